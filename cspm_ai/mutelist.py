"""Exceptions (mutes): accepted risks, written down in a YAML file passed with `--mutelist`.

    exceptions:
      - id: dev-notebooks-internet
        checks: ["aws.sagemaker.notebook_*"]        # check id globs (required)
        resources: ["arn:aws:sagemaker:*:notebook-instance/dev-*"]  # uid or name globs
        accounts: ["111122223333"]
        regions: ["eu-west-1"]
        tags: {env: dev}                             # every tag must match (value globs)
        justification: Throwaway notebooks with no data, reviewed in RISK-142.
        owner: ml-platform@example.com
        expires: 2027-03-31

A muted finding keeps its status; it is marked muted with the exception's
reason, and `--fail-on` ignores it. An exception is judged as of the scan's
start: past its `expires` date (UTC, inclusive) it mutes nothing and the
reports list it as expired, with the findings it would have matched.
ERROR findings are never muted: an exception accepts a known risk, not a blind spot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from cspm_ai.errors import ConfigError
from cspm_ai.model import Finding, Status

ExceptionStatus = Literal["active", "expired"]


class MuteRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    checks: tuple[str, ...] = Field(min_length=1)
    resources: tuple[str, ...] = ("*",)
    accounts: tuple[str, ...] = ("*",)
    regions: tuple[str, ...] = ("*",)
    tags: dict[str, str] = Field(default_factory=dict)
    justification: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @field_validator("checks", "resources", "accounts", "regions")
    @classmethod
    def _no_empty_patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        if not patterns or any(not p.strip() for p in patterns):
            raise ValueError("must list at least one non-empty pattern")
        return patterns

    def matches(self, finding: Finding) -> bool:
        return (
            any(fnmatchcase(finding.check_id, p) for p in self.checks)
            and any(
                fnmatchcase(finding.resource_uid, p) or fnmatchcase(finding.resource_name, p) for p in self.resources
            )
            and any(fnmatchcase(finding.account, p) for p in self.accounts)
            and any(fnmatchcase(finding.region, p) for p in self.regions)
            and all(
                key in finding.resource_tags and fnmatchcase(finding.resource_tags[key], value)
                for key, value in self.tags.items()
            )
        )

    def status_on(self, day: date) -> ExceptionStatus:
        return "active" if day <= self.expires else "expired"

    def reason(self) -> str:
        return f"{self.id}: {self.justification} (owner {self.owner}, expires {self.expires.isoformat()})"


@dataclass(frozen=True)
class MutelistSource:
    """The file a mutelist was read from: its path as given and the SHA-256 of its exact bytes."""

    path: str
    sha256: str


class Mutelist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    exceptions: tuple[MuteRule, ...] = ()
    # Set by load_mutelist only: a private attribute, so no YAML key can claim a source.
    _source: MutelistSource | None = PrivateAttr(default=None)

    @property
    def source(self) -> MutelistSource | None:
        """The file the rules came from, or None for a mutelist built in code or rebuilt from a stored scan."""
        return self._source

    def __eq__(self, other: object) -> bool:
        # Two mutelists are equal when they hold the same rules; where they were read from is provenance.
        if isinstance(other, Mutelist):
            return self.exceptions == other.exceptions
        return NotImplemented

    @field_validator("exceptions")
    @classmethod
    def _unique_ids(cls, rules: tuple[MuteRule, ...]) -> tuple[MuteRule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"exception id {rule.id!r} appears twice")
            seen.add(rule.id)
        return rules


def load_mutelist(path: Path) -> Mutelist:
    """Read and validate a mutelist file; any problem is one ConfigError naming the place."""
    import yaml

    hint = 'See the README\'s "Exceptions" section for the file format.'
    try:
        content = path.read_bytes()
        raw = yaml.safe_load(content.decode("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Mutelist {path} does not exist.", "Check the path given to --mutelist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read mutelist {path}: {exc}.", "Check its permissions.") from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise ConfigError(f"Mutelist {path} is not valid YAML{at}.", hint) from exc
    try:
        mutelist = Mutelist() if raw is None else Mutelist.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"Mutelist {path}: {where}: {first['msg']}.", hint) from exc
    # Kept so a re-evaluation can record which file replaced a stored scan's exceptions.
    mutelist._source = MutelistSource(path=str(path), sha256=hashlib.sha256(content).hexdigest())
    return mutelist


def apply_mutelist(
    findings: Sequence[Finding], mutelist: Mutelist | None, as_of: datetime
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Mark matching findings muted; return them and each exception's outcome for the record.

    The first active exception that matches a finding gives its reason. An
    expired one mutes nothing; its outcome still counts what it would have matched.
    """
    if mutelist is None or not mutelist.exceptions:
        return list(findings), []
    day = as_of.date()
    matched = {rule.id: 0 for rule in mutelist.exceptions}
    out: list[Finding] = []
    for finding in findings:
        reason = None
        if finding.status is not Status.ERROR:
            for rule in mutelist.exceptions:
                if rule.matches(finding):
                    matched[rule.id] += 1
                    if reason is None and rule.status_on(day) == "active":
                        reason = rule.reason()
        out.append(
            replace(finding, muted=True, mute_reason=reason)
            if reason
            else replace(finding, muted=False, mute_reason=None)
        )
    outcomes = [
        {**rule.model_dump(mode="json"), "status": rule.status_on(day), "matched": matched[rule.id]}
        for rule in mutelist.exceptions
    ]
    return out, outcomes


def exception_rules(outcomes: Sequence[Mapping[str, Any]]) -> Mutelist:
    """The mutelist a stored scan applied, rebuilt from its recorded outcomes."""
    fields = set(MuteRule.model_fields)
    return Mutelist(
        exceptions=tuple(MuteRule.model_validate({k: v for k, v in o.items() if k in fields}) for o in outcomes)
    )
