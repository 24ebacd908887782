"""One scan, start to finish: collect, store atomically, evaluate, and re-evaluate stored scans.

A scan of several accounts can also run in parts (`run_partitioned_scan`): each part, one account,
is collected and stored by a task an `Executor` runs (here, in local processes, or on the fleet's
workers), and the final step evaluates what the parts stored, once every part is in or the scan's
deadline has passed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone

from collectors import Collector, ProgressCallback
from cspm_ai import __version__
from cspm_ai.distributed.model import PartState, ScanPart
from cspm_ai.engine import EvaluationSettings, PreviousScan, Snapshot, evaluate
from cspm_ai.executor import Executor
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionError, CollectionResult, Finding, Reevaluation, ScanRecord, Scope
from cspm_ai.mutelist import Mutelist, apply_mutelist, exception_rules
from cspm_ai.registry import all_checks

# When set (a scheduled run), every scan begun in this context appends its id: how the runner learns
# which scan the command it ran stored.
began_scans: ContextVar[list[str] | None] = ContextVar("began_scans", default=None)
# How long a distributed scan may take unless told otherwise; parts not stored by then are ERROR.
DEFAULT_DEADLINE = timedelta(hours=6)
DEFAULT_ATTEMPTS = 3


@contextmanager
def scan_gc() -> Iterator[None]:
    """No cyclic garbage collection while a scan command runs, in its process and the region workers it forks.

    A scan builds millions of objects that live until its reports are written (documents, findings, the
    report value), so every collection walks them again though almost none is garbage: even with raised
    thresholds (50,000, 20, 100) the collector took 0.45 s of a 1,500-resource scan's 3 s in the scanning
    process. Reference counting still frees everything acyclic at once; the few cycles a scan leaves
    (0.1 M objects, about 7 MB on that scan) wait for the collector, which is enabled again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _began(scan_id: str) -> None:
    ids = began_scans.get()
    if ids is not None:
        ids.append(scan_id)


def _merge(results: Sequence[CollectionResult]) -> CollectionResult:
    merged = CollectionResult()
    for result in results:
        merged.resources.extend(result.resources)
        merged.relations.extend(result.relations)
        merged.errors.extend(result.errors)
        merged.scopes.extend(result.scopes)
    return merged


def evaluate_snapshot(
    snapshot: Snapshot,
    providers: Sequence[str],
    started_at: datetime,
    allowed_regions: Sequence[str] | None,
    previous: PreviousScan | None = None,
) -> list[Finding]:
    settings = EvaluationSettings(
        scan_started_at=started_at,
        allowed_regions=frozenset(allowed_regions) if allowed_regions else None,
        previous=previous,
    )
    checks = [c for c in all_checks() if c.provider in providers]
    return evaluate(snapshot, checks, settings)


def previous_view(
    inventory: Inventory, providers: Sequence[str], scopes: Sequence[Scope], started_at: datetime
) -> PreviousScan | None:
    """What checks that need history read of the previous comparable scan (only the types they declare)."""
    earlier = inventory.previous_comparable(providers, scopes, started_at)
    if earlier is None:
        return None
    types = {t for c in all_checks() if c.provider in providers for t in c.history_types}
    resources = inventory.resources_of(earlier.id, types)
    return PreviousScan(earlier.id, earlier.started_at, {r.uid: r for r in resources})


def run_scan(
    inventory: Inventory,
    collectors: Sequence[Collector],
    *,
    allowed_regions: Sequence[str] | None = None,
    options: dict[str, object] | None = None,
    progress: ProgressCallback | None = None,
    mutelist: Mutelist | None = None,
) -> ScanRecord:
    """Collect every provider, then store results, findings and status in one transaction.

    The scan row is committed first as "incomplete": if the process dies before
    the final commit, the database keeps an honest incomplete scan and nothing else.
    """
    providers = [c.provider for c in collectors]
    scan = inventory.begin_scan(
        providers=providers,
        tool_version=__version__,
        allowed_regions=list(allowed_regions) if allowed_regions else None,
        options=options or {},
        started_at=datetime.now(timezone.utc),
    )
    _began(scan.id)
    result = _merge([c.collect(progress) for c in collectors])
    snapshot = Snapshot(result.resources, result.relations, result.errors)
    previous = previous_view(inventory, providers, result.scopes, scan.started_at)
    findings = evaluate_snapshot(snapshot, providers, scan.started_at, allowed_regions, previous)
    findings, exceptions = apply_mutelist(findings, mutelist, scan.started_at)
    status = "incomplete" if result.errors else "complete"
    inventory.finish_scan(
        scan.id, result, findings, status=status, finished_at=datetime.now(timezone.utc), exceptions=exceptions
    )
    return inventory.get_scan(scan.id)


def reevaluate(inventory: Inventory, scan: ScanRecord, mutelist: Mutelist | None = None) -> list[Finding]:
    """Run today's checks on a stored scan's inventory and replace its findings.

    Without a new mutelist the scan keeps the exceptions it was evaluated with. Either way the
    re-evaluation is recorded on the scan: when, by which version, and which mutelist file (with
    its SHA-256) replaced which exceptions.
    """
    snapshot = inventory.snapshot(scan.id)
    previous = previous_view(inventory, scan.providers, scan.scopes, scan.started_at)
    findings = evaluate_snapshot(snapshot, scan.providers, scan.started_at, scan.allowed_regions, previous)
    rules = mutelist if mutelist is not None else exception_rules(scan.exceptions)
    findings, exceptions = apply_mutelist(findings, rules, scan.started_at)
    source = mutelist.source if mutelist is not None else None
    record = Reevaluation(
        evaluated_at=datetime.now(timezone.utc),
        tool_version=__version__,
        exceptions_from="mutelist" if mutelist is not None else "scan",
        mutelist_file=source.path if source is not None else None,
        mutelist_sha256=source.sha256 if source is not None else None,
        rules=len(rules.exceptions),
        findings=len(findings),
        muted=sum(1 for f in findings if f.muted),
    )
    inventory.replace_findings(scan.id, findings, exceptions, record)
    return findings


def run_partitioned_scan(
    inventory: Inventory,
    providers: Sequence[str],
    plan: Callable[[str], Sequence[ScanPart]],
    executor: Executor,
    *,
    allowed_regions: Sequence[str] | None = None,
    options: dict[str, object] | None = None,
    mutelist: Mutelist | None = None,
    deadline: timedelta = DEFAULT_DEADLINE,
    attempts: int = DEFAULT_ATTEMPTS,
) -> ScanRecord:
    """A scan in parts: `plan(scan_id)` gives one part per account, `executor` runs `collect_and_store` on each
    (every part stores its own rows), then `finish_partitioned_scan` evaluates what was stored.

    The scan's exceptions are stored with it before any part runs, so whichever process finishes it
    (this one, or the fleet's sweep if this one dies) applies the same ones.
    """
    from cspm_ai.distributed.parts import collect_and_store

    scan = inventory.begin_scan(
        providers=providers,
        tool_version=__version__,
        allowed_regions=list(allowed_regions) if allowed_regions else None,
        options={**(options or {}), "distributed": executor.name},
        started_at=datetime.now(timezone.utc),
    )
    _began(scan.id)
    parts = list(plan(scan.id))
    _, outcomes = apply_mutelist([], mutelist, scan.started_at)
    inventory.create_parts(
        scan.id, parts, max_attempts=attempts, deadline=scan.started_at + deadline, exceptions=outcomes
    )
    reason = "did not finish before the scan's deadline"
    try:
        executor.map(collect_and_store, parts)
    except Exception as exc:  # noqa: BLE001  (a part's task that died: the final step records it as ERROR)
        from cspm_ai.executor import Unfinished

        if not isinstance(exc, Unfinished):
            reason = f"its task failed: {type(exc).__name__}: {exc}"
    return finish_partitioned_scan(inventory, scan.id, reason)


def _unfinished_errors(reason: str) -> Callable[[PartState], tuple[list[CollectionError], Scope, str]]:
    from cspm_ai.distributed.parts import scope_errors

    def errors_for(state: PartState) -> tuple[list[CollectionError], Scope, str]:
        last = f"; the last attempt's error: {state.error}" if state.error else ""
        message = f"{state.key} {reason} ({state.attempts} attempt(s) started{last})"
        return (
            scope_errors(state.provider, state.account, "PartUnfinished", message),
            Scope(state.provider, state.account, (), ""),
            message,
        )

    return errors_for


def finish_partitioned_scan(
    inventory: Inventory, scan_id: str, reason: str = "did not finish before the scan's deadline"
) -> ScanRecord:
    """The final step of a scan in parts: parts still missing become ERROR for their account (`reason` says
    why), then the stored snapshot is evaluated, its exceptions applied and the scan closed, complete only
    when nothing failed. Idempotent: a scan already finished is returned as it is."""
    inventory.give_up_unfinished(scan_id, _unfinished_errors(reason))
    scan = inventory.get_scan(scan_id)
    if scan.finished_at is not None:
        return scan
    snapshot = inventory.snapshot(scan_id)
    scopes = inventory.part_scopes(scan_id)
    previous = previous_view(inventory, scan.providers, scopes, scan.started_at)
    findings = evaluate_snapshot(snapshot, scan.providers, scan.started_at, scan.allowed_regions, previous)
    findings, exceptions = apply_mutelist(findings, exception_rules(scan.exceptions), scan.started_at)
    status = "incomplete" if snapshot.errors else "complete"
    inventory.close_scan(scan_id, findings, scopes=scopes, exceptions=exceptions, status=status)
    return inventory.get_scan(scan_id)
