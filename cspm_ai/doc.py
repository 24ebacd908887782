"""Reading stored configuration documents, telling "absent" apart from "false".

Cloud APIs omit fields freely: AWS leaves out unset optional members, Azure
omits defaults, Google's JSON drops false and empty values. A check must say
what absence means, so `get` returns the `ABSENT` sentinel rather than None
(which some APIs return as a real value).
"""

from __future__ import annotations

from typing import Any, Final


class _Absent:
    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()


def get(doc: Any, path: str, default: Any = ABSENT) -> Any:
    """Value at a dotted path (`"VpcConfig.Subnets"`, `"ProductionVariants.0.InstanceType"`).

    Returns `default` (ABSENT unless given) when any step is missing or of the
    wrong kind, so a malformed document never raises.
    """
    node = doc
    for part in path.split("."):
        if isinstance(node, dict):
            if part not in node:
                return default
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(node) <= index < len(node):
                return default
            node = node[index]
        else:
            return default
    return node


def has(doc: Any, path: str) -> bool:
    """True when the path is present, whatever its value (None included)."""
    return get(doc, path) is not ABSENT


def as_list(value: Any) -> list[Any]:
    """A list whatever the API returned: ABSENT/None give [], a scalar gives [scalar]."""
    if value is ABSENT or value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def shown(value: Any) -> Any:
    """A value as evidence: ABSENT is shown as the string "<absent>"."""
    return "<absent>" if value is ABSENT else value


def is_set(value: Any) -> bool:
    """A non-empty string: how every cloud returns an id, ARN, URI or key reference that is configured."""
    return isinstance(value, str) and value.strip() != ""


def display(value: Any) -> str:
    """A config value inside a message: `<absent>`, booleans and null as JSON spells them, and
    empty or boolean-looking strings quoted so they are not mistaken for the real thing."""
    if value is ABSENT:
        return "<absent>"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and (not value.strip() or value.lower() in ("true", "false")):
        return repr(value)
    return str(value)
