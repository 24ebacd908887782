"""One scan, start to finish: collect, store atomically, evaluate, and re-evaluate stored scans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from collectors import Collector, ProgressCallback
from cspm_ai import __version__
from cspm_ai.engine import EvaluationSettings, PreviousScan, Snapshot, evaluate
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Finding, Reevaluation, ScanRecord, Scope
from cspm_ai.mutelist import Mutelist, apply_mutelist, exception_rules
from cspm_ai.registry import all_checks


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
