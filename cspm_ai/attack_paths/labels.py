"""What tags and labels say about a resource for attack paths: its owning team, its data classification, and
whether an inference endpoint serves production.

One reading for the three clouds (AWS tags, Azure tags, Google labels are all `Resource.tags` or `labels`), so
"another team's data store" and "sensitive data" mean the same everywhere:

- team: the value of a tag whose key, lower-cased without "-", "_" and spaces, is team, owner, owningteam,
  ownerteam or teamname; absent = unknown (a store of unknown ownership is never counted as another team's);
- classification: the value of a tag whose key so spelt contains classification, sensitivity or
  confidentiality (DataClassification, data-classification, ...); a value naming public data (public,
  unclassified, none, non-sensitive, open) is not sensitive; absent = unclassified, not counted as sensitive
  (DP-1 already fails stores without a classification);
- production: an inference endpoint counts as production unless an env, environment, stage or tier tag names
  another environment (dev, test, staging, sandbox, qa, ...): serving is production until it says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cspm_ai.model import Resource

TEAM_KEYS = frozenset({"team", "owner", "owningteam", "ownerteam", "teamname"})
CLASSIFICATION_WORDS = ("classification", "sensitivity", "confidentiality")
PUBLIC_VALUES = frozenset({"public", "unclassified", "none", "nonsensitive", "open", "publicdata"})
ENVIRONMENT_KEYS = frozenset({"env", "environment", "stage", "tier"})
NON_PRODUCTION = frozenset(
    {"dev", "development", "test", "testing", "qa", "staging", "stage", "sandbox", "sbx", "nonprod", "experiment"}
)


def _spelt(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def tags_of(resource: Resource) -> dict[str, str]:
    """The resource's tags, or for Google Cloud stores (which keep them in config) its labels."""
    if resource.tags:
        return dict(resource.tags)
    labels: Any = resource.config.get("labels") if isinstance(resource.config, dict) else None
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items()}
    return {}


def team(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """(key, value) of the owning-team tag, if there is one with a value."""
    for key, value in tags.items():
        if _spelt(key) in TEAM_KEYS and str(value).strip():
            return key, str(value)
    return None


def classification(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """(key, value) of the data classification tag, if there is one with a value."""
    for key, value in tags.items():
        if any(word in _spelt(key) for word in CLASSIFICATION_WORDS) and str(value).strip():
            return key, str(value)
    return None


def sensitive(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """The classification tag when it names data that is not public."""
    found = classification(tags)
    return found if found is not None and _spelt(found[1]) not in PUBLIC_VALUES else None


def non_production(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """(key, value) of an environment tag naming anything but production."""
    for key, value in tags.items():
        if _spelt(key) in ENVIRONMENT_KEYS and _spelt(str(value)) in NON_PRODUCTION:
            return key, str(value)
    return None


def shown_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags that decide attack-path verdicts (team, classification, environment), for labels and evidence."""
    keep: dict[str, str] = {}
    for found in (team(tags), classification(tags)):
        if found is not None:
            keep[found[0]] = found[1]
    for key, value in tags.items():
        if _spelt(key) in ENVIRONMENT_KEYS:
            keep[key] = str(value)
    return keep
