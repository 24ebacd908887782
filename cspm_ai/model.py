"""Value types shared by collectors, checks, the inventory and the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

JSON = dict[str, Any]

# The region of resources that belong to no region (IAM, subscriptions, projects, budgets).
GLOBAL = "global"


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    MANUAL = "MANUAL"
    ERROR = "ERROR"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}


@dataclass(frozen=True)
class Resource:
    """One cloud resource as stored: its describe response kept whole (already redacted)."""

    provider: str
    account: str
    region: str
    type: str
    uid: str
    name: str
    config: JSON
    tags: dict[str, str] = field(default_factory=dict)
    # Where secrets were found and removed: [{"path": ..., "kind": ...}], never the value.
    redactions: tuple[JSON, ...] = ()


@dataclass(frozen=True)
class Relation:
    """A directed edge between two resources, e.g. notebook --uses_role--> role."""

    src: str
    kind: str
    dst: str


@dataclass(frozen=True)
class CollectionError:
    """A list or describe call that failed: what could not be seen, and why.

    `resource_type` names the kind whose collection failed; `resource_uid` is set
    when only one resource's describe failed (it is then stored from its list
    summary). A list failure leaves `resource_uid` empty and blinds the whole
    (account, region, resource_type) scope.
    """

    provider: str
    account: str
    region: str
    service: str
    operation: str
    code: str
    message: str
    resource_type: str | None = None
    resource_uid: str | None = None

    def __post_init__(self) -> None:
        # Cloud error messages quote request parameters (a SAS URL, a connection string): every
        # failure is scrubbed once, here, before anything stores, reports or prints it.
        from cspm_ai.redact import redact_text

        object.__setattr__(self, "message", redact_text(self.message))


@dataclass(frozen=True)
class Scope:
    """What one provider's collection covered: an account and the regions read in it."""

    provider: str
    account: str
    regions: tuple[str, ...]
    identity: str


@dataclass
class CollectionResult:
    resources: list[Resource] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    """What a check decided about one resource."""

    status: Status
    message: str
    evidence: JSON = field(default_factory=dict)


def passed(message: str, **evidence: Any) -> Verdict:
    return Verdict(Status.PASS, message, evidence)


def failed(message: str, **evidence: Any) -> Verdict:
    return Verdict(Status.FAIL, message, evidence)


def manual(message: str, **evidence: Any) -> Verdict:
    return Verdict(Status.MANUAL, message, evidence)


def errored(message: str, **evidence: Any) -> Verdict:
    return Verdict(Status.ERROR, message, evidence)


@dataclass(frozen=True)
class AffectedResource:
    """An AI resource a finding on a supporting resource (a role, key, bucket, network) bears on: one that uses
    it, directly or through its lineage (the endpoint serving a model trained with that role)."""

    uid: str
    type: str
    name: str


@dataclass(frozen=True)
class Finding:
    """One check's result on one resource, with everything a report shows."""

    id: str
    check_id: str
    title: str
    status: Status
    severity: Severity
    provider: str
    account: str
    region: str
    resource_type: str
    resource_uid: str
    resource_name: str
    message: str
    checklist: tuple[str, ...]
    compliance: dict[str, list[str]]
    remediation: str
    evidence: JSON
    muted: bool = False
    mute_reason: str | None = None
    # The resource's tags (redacted), so owners can be found and findings routed.
    resource_tags: dict[str, str] = field(default_factory=dict)
    # For a supporting resource, the AI resources it affects (serving ones first); empty for AI resources.
    affects: tuple[AffectedResource, ...] = ()


@dataclass(frozen=True)
class Reevaluation:
    """One `cspm-ai evaluate` of a stored scan: when, by which version, and with which exceptions.

    `exceptions_from` is "mutelist" when a mutelist given to it replaced the scan's exceptions
    (`mutelist_file` and `mutelist_sha256` name the file it was read from, when it was read from
    one), or "scan" when the scan's own exceptions were applied again. `replaced_exceptions` are
    the exceptions the scan carried before, as stored, so no re-evaluation erases a mute's record.
    """

    evaluated_at: datetime
    tool_version: str
    exceptions_from: str  # "mutelist" | "scan"
    mutelist_file: str | None
    mutelist_sha256: str | None
    rules: int
    findings: int
    muted: int
    replaced_exceptions: tuple[JSON, ...] = ()


@dataclass(frozen=True)
class ScanRecord:
    """A stored scan's metadata. `status` stays "incomplete" until the final commit
    marks it "complete", so an interrupted scan can never pass for a finished one."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # "complete" | "incomplete"
    providers: tuple[str, ...]
    scopes: tuple[Scope, ...]
    tool_version: str
    allowed_regions: tuple[str, ...] | None = None
    # The exceptions (mutes) its evaluation applied: each rule as written, with
    # "status" ("active" | "expired") and "matched" (findings it matches).
    exceptions: tuple[JSON, ...] = ()
    # Every later re-evaluation of its stored inventory, oldest first.
    reevaluations: tuple[Reevaluation, ...] = ()


@dataclass(frozen=True)
class Revocation:
    """The withdrawal of an attestation: when (cspm-ai's clock, never typed in), by whom, and why."""

    revoked_at: datetime
    revoked_by: str
    reason: str


@dataclass(frozen=True)
class Attestation:
    """A person's statement that a checklist item no API can show is met, with evidence.

    `attested_at` is when cspm-ai recorded it (its own clock, never typed in). It is in force from
    `in_force_from` (that moment, or an earlier `valid_from` backed by an evidence file) through
    `expires_on` (a UTC date, inclusive), unless revoked, and only for the findings of its scope:
    a provider and account when given, else every one.
    """

    id: str
    item: str
    attested_by: str
    attested_at: datetime
    expires_on: date
    evidence: str  # a URL, or the file name whose bytes and hash are kept
    note: str = ""
    evidence_sha256: str | None = None
    valid_from: datetime | None = None  # a start of force before attested_at, backed by the evidence file
    provider: str | None = None
    account: str | None = None
    # Validity longer than the default maximum (a year), recorded with --allow-long-validity.
    long_validity: bool = False
    revocation: Revocation | None = None

    @property
    def in_force_from(self) -> datetime:
        return self.valid_from if self.valid_from is not None else self.attested_at

    @property
    def in_force_until(self) -> datetime:
        """The first moment it is no longer in force: the start (UTC) of the day after `expires_on`."""
        return datetime.combine(self.expires_on + timedelta(days=1), time(), UTC)

    def covers(self, provider: str, account: str) -> bool:
        """Whether findings of this provider and account are in its scope."""
        return self.provider in (None, provider) and self.account in (None, account)
