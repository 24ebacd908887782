"""A scan's parts: planned from a ready collector, each collected and stored by one task wherever it runs.

`collect_and_store` is the task every executor runs (in this process, in local worker processes, on a
Celery worker): it counts the delivery in the inventory, collects its account with the credentials of
the process it runs in, and stores what it read in one transaction under the scan, replacing whatever
an earlier delivery of the same part stored. It hands back a `PartSummary`, never the resources, so a
worker holds one part's results at a time and the process that started the scan holds none.

Why an account (subscription, project) and not a region: a cloud's collector follows references
across regions within an account (global roles and buckets, keys in other regions) and assembles one
account's resources together, so an account is the smallest unit whose result is the same alone as
in a whole scan. Within an account, regions already run concurrently (the thread pool, and
`--processes` for AWS).
"""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any

from collectors import Collector
from cspm_ai.distributed.model import PartSummary, ScanPart
from cspm_ai.errors import CspmError
from cspm_ai.inventory import Inventory
from cspm_ai.logsafe import scrub
from cspm_ai.model import GLOBAL, CollectionError, Scope

# Seconds between the attempts of a part whose collection raised (doubling, at most RETRY_MAX_S).
RETRY_BASE_S = 2.0
RETRY_MAX_S = 30.0


def plan_parts(
    scan_id: str,
    provider: str,
    accounts: Sequence[str],
    settings: Mapping[str, Any],
    inventory: str | None = None,
) -> list[ScanPart]:
    """One part per account (subscription, project), in the order given."""
    return [
        ScanPart(scan_id=scan_id, provider=provider, account=account, settings=dict(settings), inventory=inventory)
        for account in dict.fromkeys(accounts)
    ]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def peak_rss_kib() -> int:
    """This process's peak resident memory so far, in KiB (Linux reports ru_maxrss in KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def scope_errors(provider: str, account: str, code: str, message: str) -> list[CollectionError]:
    """A part given up: every kind its provider's checks read is blind in its account, so each check is ERROR
    there (never a PASS on what was not read)."""
    from cspm_ai.registry import all_checks

    types = sorted({t for c in all_checks() if c.provider == provider for t in c.resource_types})
    return [
        CollectionError(provider, account, GLOBAL, "cspm-ai", "CollectPart", code, message, resource_type=t)
        for t in types
    ]


def preload_clients() -> list[str]:
    """Import the cloud client libraries a part imports on first use (the Google Cloud ones: about two seconds
    of CPU), so a worker pays for them once at start and forks its pool processes with them loaded (shared
    until written) instead of each pool process's first part paying again. The modules it could not import
    (a part then fails with its own error)."""
    import importlib

    from collectors.gcp.api import _MODULES as GOOGLE_CLIENT_MODULES

    missing = []
    for module in ("google.api_core.client_options", *dict.fromkeys(GOOGLE_CLIENT_MODULES.values())):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


def build_collector(part: ScanPart) -> Collector:
    """The collector of one part, signed in with this process's own credentials."""
    s = part.settings
    if part.provider == "aws" and s.get("home_account"):
        from collectors.aws import member_collector

        # One account of an organization scan (see `OrganizationCollector.part_settings`).
        return member_collector(
            part.account,
            home_account=str(s["home_account"]),
            collect_home=bool(s.get("collect_home", True)),
            profile=s.get("profile"),
            regions=s.get("regions"),
            workers=int(s.get("workers", 32)),
            max_pages=int(s.get("max_pages", 10_000)),
            member_role=str(s["member_role"]),
            external_id=s.get("external_id"),
        )
    if part.provider == "aws":
        from collectors.aws import aws_collector

        collector = aws_collector(
            profile=s.get("profile"),
            regions=s.get("regions"),
            workers=int(s.get("workers", 32)),
            max_pages=int(s.get("max_pages", 10_000)),
        )
        if collector.session.account != part.account:
            raise CspmError(
                f"This worker's AWS credentials reach account {collector.session.account}, not {part.account}.",
                "Give every worker credentials for the accounts it scans (the same profile names as the scan's).",
            )
        return collector
    if part.provider == "azure":
        from collectors.azure import azure_collector

        return azure_collector(
            subscriptions=[part.account],
            cloud=str(s.get("cloud", "public")),
            arm_endpoint=s.get("arm_endpoint"),
            workers=int(s.get("workers", 16)),
            max_pages=int(s.get("max_pages", 10_000)),
        )
    if part.provider == "gcp":
        from collectors.gcp import gcp_collector

        return gcp_collector(
            projects=[part.account],
            organization=s.get("organization"),
            locations=s.get("locations"),
            impersonate_service_account=s.get("impersonate_service_account"),
            universe_domain=s.get("universe_domain"),
            api_endpoints=s.get("api_endpoints"),
            workers=int(s.get("workers", 16)),
            max_pages=int(s.get("max_pages", 10_000)),
        )
    raise CspmError(f"Unknown provider {part.provider!r} in a scan part.", "Upgrade the workers to this version.")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, CspmError):
        text = f"{exc.message} {exc.hint}".strip()
    else:
        text = f"{type(exc).__name__}: {exc}"
    return scrub(" ".join(text.split()))[:2000]


def give_up(inventory: Inventory, part: ScanPart, code: str, message: str) -> bool:
    """Record `part` as ERROR for its whole account, with `message` saying why."""
    errors = scope_errors(part.provider, part.account, code, message)
    scope = Scope(part.provider, part.account, (), "")
    return inventory.fail_part(part.scan_id, part.key, errors, scope, message)


def collect_and_store(part: ScanPart, inventory: Inventory | None = None) -> PartSummary:
    """Collect one part and store it under its scan (see the module docstring); never raises for a failed
    collection: after the part's attempts it is ERROR for its account. `inventory` defaults to the part's
    own URL (a back end on this machine)."""
    if inventory is None:
        with Inventory.open(part.inventory) as own:
            return collect_and_store(part, own)
    started = time.monotonic()
    worker = worker_name()

    def summary(outcome: str, attempts: int, message: str = "", resources: int = 0, errors: int = 0) -> PartSummary:
        return PartSummary(
            key=part.key,
            outcome=outcome,
            attempts=attempts,
            resources=resources,
            errors=errors,
            seconds=round(time.monotonic() - started, 3),
            worker=worker,
            peak_rss_kib=peak_rss_kib(),
            message=message,
        )

    while True:
        claim = inventory.claim_part(part.scan_id, part.key, worker)
        if claim.outcome == "exhausted":
            message = (
                f"Gave up on {part.key} after {claim.max_attempts} attempt(s): the process collecting it "
                "stopped before storing it each time (killed, out of memory, or past its time limit)."
            )
            return summary("error" if give_up(inventory, part, "PartAbandoned", message) else "already", claim.attempts)
        if claim.outcome != "run":
            return summary(claim.outcome, claim.attempts)
        try:
            result = build_collector(part).collect()
        except Exception as exc:  # noqa: BLE001  (any failure of this attempt: retried, then ERROR for the scope)
            reason = _reason(exc)
            if claim.attempts >= claim.max_attempts:
                message = f"Collecting {part.key} failed {claim.attempts} time(s); the last: {reason}"
                given = give_up(inventory, part, "PartFailed", message)
                return summary("error" if given else "already", claim.attempts, message)
            inventory.release_part(part.scan_id, part.key, reason)
            time.sleep(min(RETRY_BASE_S * 2 ** (claim.attempts - 1), RETRY_MAX_S))
            continue
        stored = inventory.store_part(part.scan_id, part.key, result)
        count, failed = len(result.resources), len(result.errors)
        del result  # this part's resources are in the inventory now; the worker keeps none of them
        return summary("stored" if stored else "late", claim.attempts, resources=count, errors=failed)
