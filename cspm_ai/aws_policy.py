"""Reading IAM policy documents: statements, Action/NotAction and Resource wildcards, Allow and Deny.

Shared by the AWS checks and the attack-path analysis (`cspm_ai.attack_paths`), which sits below the checks.

The evaluation is deliberately conservative for a posture check: a conditional
Allow still counts as a grant (it holds in some request context), while only an
unconditional Deny on every resource counts as taking a grant away.
Permissions boundaries and SCPs are not modelled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Statement:
    """One statement of a document; `actions` is None when the statement uses NotAction."""

    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any
    not_principal: Any
    conditional: bool
    condition: Any = None  # the Condition block as written (operators to {key: value})


@dataclass(frozen=True)
class PolicySource:
    """A policy document and where it came from, for evidence."""

    label: str  # e.g. "inline policy ml-access" or "managed policy AmazonSageMakerFullAccess"
    path: str  # config path of the document, e.g. "RolePolicyList.0.PolicyDocument"
    document: Any


@dataclass(frozen=True)
class Grant:
    """An Allow statement that grants what was asked for."""

    source: PolicySource
    statement: Statement
    pattern: str

    def where(self) -> str:
        return f"{self.source.path}.Statement.{self.statement.index}"

    def describe(self) -> str:
        sid = f" ({self.statement.sid})" if self.statement.sid else ""
        return f"{self.source.label} statement {self.statement.index}{sid} allows {self.pattern}"


def parse_document(value: Any) -> dict[str, Any] | None:
    """A policy document as a dict: stored URL-decoded JSON objects, or the raw (encoded) string."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    for text in (value, unquote(value)):
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        return parsed if isinstance(parsed, dict) else None
    return None


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(str(v) for v in items if isinstance(v, (str, int, float)))


def statements(document: Any) -> list[Statement] | None:
    """Every statement of a document (Statement as object or list); None when unreadable."""
    doc = parse_document(document)
    if doc is None or "Statement" not in doc:
        return None
    raw = doc["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(item, dict) for item in items):
        return None
    return [_statement(i, item) for i, item in enumerate(items)]


def _statement(index: int, item: dict[str, Any]) -> Statement:
    sid = item.get("Sid")
    effect = item.get("Effect")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) else None,
        effect=effect if isinstance(effect, str) else "",
        actions=_strings(item.get("Action")),
        not_actions=_strings(item.get("NotAction")),
        resources=_strings(item.get("Resource")),
        not_resources=_strings(item.get("NotResource")),
        principal=item.get("Principal"),
        not_principal=item.get("NotPrincipal"),
        conditional=bool(item.get("Condition")),
        condition=item.get("Condition"),
    )


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    escaped = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(f"^{escaped}$", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=1 << 16)
def wildcard_match(pattern: str, value: str) -> bool:
    """IAM matching: `*` any run of characters, `?` one character, case-insensitive. Remembered: the attack
    paths ask the same (pattern, action or ARN) pairs for every role of an estate."""
    return _pattern(pattern).match(value) is not None


def action_covered(stmt: Statement, action: str) -> bool:
    """Whether the statement's Action (or NotAction) applies to `action`."""
    if stmt.actions is not None:
        return any(wildcard_match(p, action) for p in stmt.actions)
    if stmt.not_actions is not None:
        return not any(wildcard_match(p, action) for p in stmt.not_actions)
    return False


def all_resources(stmt: Statement) -> bool:
    """Resource "*" exactly: the statement applies to every resource."""
    return stmt.resources is not None and "*" in stmt.resources


def broad_resources(stmt: Statement) -> bool:
    """Resource "*", or NotResource (everything except a few named resources)."""
    return all_resources(stmt) or (stmt.not_resources is not None and "*" not in stmt.not_resources)


def _whole_service(pattern: str) -> bool:
    """`*`, `*:*` or `<service>:*`: every action of at least one service."""
    if pattern == "*":
        return True
    _, sep, action = pattern.partition(":")
    return bool(sep) and action == "*"


def full_service_grants(sources: list[PolicySource]) -> list[Grant]:
    """Allow statements granting `*`, `<service>:*` or a NotAction on Resource "*" (or NotResource)."""
    found: list[Grant] = []
    for source in sources:
        for stmt in statements(source.document) or ():
            if stmt.effect != "Allow" or not broad_resources(stmt):
                continue
            if stmt.actions is not None:
                found.extend(Grant(source, stmt, p) for p in stmt.actions if _whole_service(p))
            elif stmt.not_actions is not None:
                found.append(Grant(source, stmt, f"every action except {list(stmt.not_actions)}"))
    return found


def unreadable(sources: list[PolicySource]) -> list[PolicySource]:
    """Sources whose document has no readable Statement."""
    return [s for s in sources if statements(s.document) is None]


def _denied_everywhere(sources: list[PolicySource], action: str) -> bool:
    for source in sources:
        for stmt in statements(source.document) or ():
            if stmt.effect == "Deny" and not stmt.conditional and all_resources(stmt) and action_covered(stmt, action):
                return True
    return False


def action_grants(sources: list[PolicySource], action: str) -> list[Grant]:
    """Allow statements that grant `action` on some resource, unless an unconditional Deny on "*" removes it."""
    if _denied_everywhere(sources, action):
        return []
    found: list[Grant] = []
    for source in sources:
        for stmt in statements(source.document) or ():
            if stmt.effect == "Allow" and (stmt.resources or stmt.not_resources) and action_covered(stmt, action):
                found.append(Grant(source, stmt, _matching_pattern(stmt, action)))
    return found


def _matching_pattern(stmt: Statement, action: str) -> str:
    if stmt.actions is not None:
        return next(p for p in stmt.actions if wildcard_match(p, action))
    return f"{action} through NotAction {list(stmt.not_actions or ())}"


def _reaches_service(pattern: str, service: str) -> bool:
    if pattern == "*":
        return True
    prefix, sep, _ = pattern.partition(":")
    return bool(sep) and wildcard_match(prefix, service)


def _covers_service(pattern: str, service: str) -> bool:
    if pattern == "*":
        return True
    prefix, sep, action = pattern.partition(":")
    return bool(sep) and action == "*" and wildcard_match(prefix, service)


def service_grants(sources: list[PolicySource], service: str) -> list[Grant]:
    """Allow statements that grant at least one action of `service` (e.g. any `sagemaker:` action).

    An unconditional Deny of `<service>:*` (or `*`) on Resource "*" removes them all.
    """
    for source in sources:
        for stmt in statements(source.document) or ():
            if (
                stmt.effect == "Deny"
                and not stmt.conditional
                and all_resources(stmt)
                and any(_covers_service(p, service) for p in stmt.actions or ())
            ):
                return []
    found: list[Grant] = []
    for source in sources:
        for stmt in statements(source.document) or ():
            if stmt.effect != "Allow" or not (stmt.resources or stmt.not_resources):
                continue
            if stmt.actions is not None:
                found.extend(Grant(source, stmt, p) for p in stmt.actions if _reaches_service(p, service))
            elif stmt.not_actions is not None and not any(_covers_service(p, service) for p in stmt.not_actions):
                found.append(Grant(source, stmt, f"{service} actions through NotAction {list(stmt.not_actions)}"))
    return found


_TRUE = ("true",)
_FALSE = ("false",)
_LESS = ("NumericLessThan", "NumericLessThanEquals")


def _is(value: Any, wanted: tuple[str, ...]) -> bool:
    """Every value of a condition test (a bool, a string or a list of them) is one of `wanted`."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(str(v).lower() in wanted for v in items)


def _tests(condition: Any) -> list[tuple[str, str, str, Any]]:
    """(operator, key, lower-cased key, value) of each test of a Condition block (keys are case-insensitive)."""
    if not isinstance(condition, dict):
        return []
    return [
        (str(operator), str(key), str(key).lower(), value)
        for operator, tests in condition.items()
        if isinstance(tests, dict)
        for key, value in tests.items()
    ]


def step_up_condition(condition: Any) -> str | None:
    """What in an Allow's Condition makes the grant need MFA or expire, as written; None when nothing does.

    MFA: Bool aws:MultiFactorAuthPresent true, or NumericLessThan(Equals) aws:MultiFactorAuthAge. The IfExists
    forms do not count: a request signed with an access key carries no MFA key at all, and IfExists lets it
    through. Expiry: DateLessThan(Equals) aws:CurrentTime, or NumericLessThan(Equals) aws:EpochTime.
    """
    for operator, key, lower, value in _tests(condition):
        if (
            (operator == "Bool" and lower == "aws:multifactorauthpresent" and _is(value, _TRUE))
            or (operator in _LESS and lower in ("aws:multifactorauthage", "aws:epochtime"))
            or (operator in ("DateLessThan", "DateLessThanEquals") and lower == "aws:currenttime")
        ):
            return f"{operator} {key} {value}"
    return None


def denies_without_mfa(condition: Any) -> str | None:
    """What in a Deny's Condition makes it deny every request made without MFA; None when nothing does.

    BoolIfExists aws:MultiFactorAuthPresent false, or Null aws:MultiFactorAuthAge (or ...Present) true. A plain
    Bool ... false does not count: requests signed with an access key lack the key, so it never denies them.
    """
    for operator, key, lower, value in _tests(condition):
        absent = operator == "Null" and lower in ("aws:multifactorauthage", "aws:multifactorauthpresent")
        if (operator == "BoolIfExists" and lower == "aws:multifactorauthpresent" and _is(value, _FALSE)) or (
            absent and _is(value, _TRUE)
        ):
            return f"{operator} {key} {value}"
    return None


def covers_resource(stmt: Statement, resource: str) -> bool:
    """Whether the statement's Resource (or NotResource) applies to `resource`; a pattern naming objects under a
    bucket prefix (`arn:aws:s3:::b/models/*`) applies to the bucket's objects (`arn:aws:s3:::b/*`)."""
    return _covers(stmt.resources, stmt.not_resources, resource)


@lru_cache(maxsize=1 << 18)
def _covers(resources: tuple[str, ...] | None, not_resources: tuple[str, ...] | None, resource: str) -> bool:
    # Remembered by value: the roles of an estate hold the same policies (and each role its own parsed copy), and
    # the attack paths ask every role about every bucket, key and role.
    if resources is not None:
        stem = resource.rstrip("*").lower()
        objects = resource.endswith("/*")
        return any(wildcard_match(p, resource) or (objects and p.lower().startswith(stem)) for p in resources)
    if not_resources is not None:
        # Excluded only when a NotResource pattern takes in the whole of `resource`.
        return not any(wildcard_match(p, resource) for p in not_resources)
    return False
