"""Scans split into parts run by workers, and scans run on a schedule.

A scan of many accounts (subscriptions, projects) is split into one part per account; an `Executor`
runs `collect_and_store` on each part, in this process, in local worker processes, or on a fleet of
Celery workers (`cspm_ai.distributed.fleet`, the `distributed` extra). Each part stores its own
rows in the shared inventory; the final step evaluates what was stored. Nothing here imports Celery:
only the fleet module does.
"""

from __future__ import annotations

from cspm_ai.distributed.model import PartState, PartSummary, ScanPart, Schedule, ScheduleRun, parse_duration

__all__ = ["PartState", "PartSummary", "ScanPart", "Schedule", "ScheduleRun", "parse_duration"]
