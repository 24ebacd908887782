"""Value types of distributed and scheduled scans: parts, what a part reports back, schedules and runs."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from cspm_ai.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str, what: str = "duration") -> int:
    """Seconds in "90s", "15m", "24h" or "7d"; anything else is a `ConfigError` naming `what`."""
    match = _DURATION.match(value)
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(
            f"{what} {value!r} is not a duration.", "Write a whole number and a unit: 90s, 15m, 24h or 7d."
        )
    return int(match.group(1)) * _UNITS[match.group(2)]


def part_key(provider: str, account: str) -> str:
    """A part's key in its scan: the provider and the account it covers."""
    return f"{provider}:{account}"


@dataclass(frozen=True)
class ScanPart:
    """One account (subscription, project) of a scan, as plain data a worker anywhere can act on.

    `settings` are the collector's options (a profile's name, regions, an endpoint, a pool size): never a
    secret. A worker reads with its own credentials. `inventory` is set only for a back end on this
    machine; a part sent through a broker never carries it (the worker uses its own `--db`).
    """

    scan_id: str
    provider: str
    account: str
    settings: dict[str, Any] = field(default_factory=dict)
    inventory: str | None = None

    @property
    def key(self) -> str:
        return part_key(self.provider, self.account)

    def to_message(self) -> dict[str, Any]:
        """The JSON a broker carries: everything but the inventory URL."""
        return asdict(replace(self, inventory=None))

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> ScanPart:
        return cls(
            scan_id=str(message["scan_id"]),
            provider=str(message["provider"]),
            account=str(message["account"]),
            settings=dict(message.get("settings") or {}),
        )


@dataclass(frozen=True)
class PartSummary:
    """What a part's task hands back: a few numbers, never the resources (they are in the inventory).

    `outcome`: "stored"; "error" (given up: ERROR for its scope); "already" (a redelivered part that was
    already stored or given up); "late" (its scan was finished without it).
    """

    key: str
    outcome: str
    attempts: int = 0
    resources: int = 0
    errors: int = 0
    seconds: float = 0.0
    worker: str = ""
    # The worker process's peak resident memory so far (ru_maxrss), in KiB.
    peak_rss_kib: int = 0
    message: str = ""

    def to_message(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> PartSummary:
        return cls(**{k: message[k] for k in cls.__dataclass_fields__ if k in message})


@dataclass(frozen=True)
class PartState:
    """A part as the inventory records it."""

    key: str
    provider: str
    account: str
    status: str
    attempts: int
    max_attempts: int
    worker: str | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    resources: int
    errors: int


@dataclass(frozen=True)
class Claim:
    """Whether a delivered part should be collected now: "run", "already" (stored or given up), "late" (its
    scan is finished) or "exhausted" (this delivery is past the part's attempts: it was given up)."""

    outcome: str
    attempts: int
    max_attempts: int


@dataclass(frozen=True)
class ScheduleRun:
    id: int
    schedule: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    mode: str
    runner: str
    scan_id: str | None = None
    exit_code: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class Schedule:
    """A scan command run every `interval_seconds` or at the times of `cron` (five fields, UTC)."""

    id: str
    name: str
    command: tuple[str, ...]
    created_at: datetime
    interval_seconds: int | None = None
    cron: str | None = None
    last_run: ScheduleRun | None = None

    @property
    def timing(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron}"
        seconds = self.interval_seconds or 0
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"every {seconds // size}{unit}"
        return f"every {seconds}s"
