"""AWS collector: SageMaker and the IAM, KMS, network, storage and logging around it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from collectors.aws.engine import AwsEngine
from collectors.aws.organization import DEFAULT_MEMBER_ROLE, OrganizationCollector, list_accounts, select
from collectors.aws.permissions import referenced_calls
from collectors.aws.session import AwsSession
from collectors.kernel import MAX_PAGES
from cspm_ai.errors import CredentialsError
from cspm_ai.executor import LocalProcessExecutor, usable_cores

# `scan aws` without --processes collects its regions in two processes per usable core, up to this many: a
# region's process waits on the API about half the time (so two share a core well), and each holds its own
# clients and pages.
PROCESSES_PER_CORE = 2
MAX_DEFAULT_PROCESSES = 4


def default_processes() -> int:
    """Worker processes `scan aws` collects regions in when not told (never more than there are regions)."""
    return min(PROCESSES_PER_CORE * usable_cores(), MAX_DEFAULT_PROCESSES)


def _signed_in(
    session: AwsSession | None, profile: str | None, workers: int, regions: Sequence[str] | None
) -> AwsSession:
    """The session the scan runs with (the given one, or the profile's), the regions asked for checked by name
    and the caller's identity resolved: what every AWS collector needs before its first read."""
    aws = session or AwsSession(profile=profile, pool_size=workers)
    if regions:
        aws.check_region_names(regions)
    aws.resolve_identity()
    return aws


def aws_collector(
    *,
    profile: str | None = None,
    regions: Sequence[str] | None = None,
    workers: int = 32,
    session: AwsSession | None = None,
    max_pages: int = MAX_PAGES,
    processes: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> AwsEngine:
    """A ready collector: credentials checked, identity known, regions validated.

    With `processes` > 1, regions are collected in that many worker processes at once (see AwsEngine), and
    `meanwhile` is called here while they run.
    """
    aws = _signed_in(session, profile, workers, regions)
    engine = AwsEngine(aws, aws.resolve_regions(regions), workers=workers, max_pages=max_pages)
    if processes > 1:

        def while_regions_are_collected() -> None:
            # The services only this process reads (what the regions' kinds reference), then the caller's work.
            engine.load_service_models(referenced_calls())
            if meanwhile is not None:
                meanwhile()

        engine.executor = LocalProcessExecutor(processes, meanwhile=while_regions_are_collected)
    return engine


def organization_collector(
    *,
    profile: str | None = None,
    regions: Sequence[str] | None = None,
    workers: int = 32,
    session: AwsSession | None = None,
    max_pages: int = MAX_PAGES,
    member_role: str = DEFAULT_MEMBER_ROLE,
    external_id: str | None = None,
    accounts: Sequence[str] = (),
    exclude_accounts: Sequence[str] = (),
) -> OrganizationCollector:
    """A ready organization collector: credentials checked, the organization's active accounts listed and chosen.

    Each member's regions are resolved when it is signed into (its own enabled regions unless `regions`).
    """
    from collectors.aws.organization import check_account_ids, check_role_name

    check_role_name(member_role)
    only = check_account_ids(accounts, "--accounts")
    exclude = check_account_ids(exclude_accounts, "--exclude-accounts")
    aws = _signed_in(session, profile, workers, regions)
    chosen = select(list_accounts(aws), only, exclude)
    return OrganizationCollector(
        aws,
        chosen,
        member_role=member_role,
        external_id=external_id,
        regions=regions,
        workers=workers,
        max_pages=max_pages,
    )


def member_collector(
    account: str,
    *,
    home_account: str,
    collect_home: bool = True,
    profile: str | None = None,
    regions: Sequence[str] | None = None,
    workers: int = 32,
    session: AwsSession | None = None,
    max_pages: int = MAX_PAGES,
    member_role: str = DEFAULT_MEMBER_ROLE,
    external_id: str | None = None,
) -> OrganizationCollector:
    """One account of an organization scan, as one part of it on a worker: the member signed into through its
    role with this process's own credentials (or read with them when they are the account's own), exactly as
    the one-process scan signs into it. `home_account` is the account the scan runs from (the management
    account or a delegated administrator): its part, alone, also reads the organization's own kinds, and reads
    the account itself only when `collect_home` (it was not excluded).
    """
    from collectors.aws.organization import Account, check_role_name

    check_role_name(member_role)
    aws = _signed_in(session, profile, workers, regions)
    home = account == home_account
    if aws.account != home_account and (home or aws.account != account):
        reach = f"{home_account} (the account the organization scan runs from)"
        raise CredentialsError(
            f"This worker's AWS credentials reach account {aws.account}, not "
            + (reach if home else f"{reach} nor {account} (the member this part reads)")
            + ".",
            f"Give the workers credentials of account {home_account} (the management account or the delegated "
            f"administrator the scan runs from): they assume role {member_role} in each member account"
            + ("." if home else f"; or account {account}'s own."),
        )
    return OrganizationCollector(
        aws,
        [Account(account, "")] if collect_home or not home else [],
        member_role=member_role,
        external_id=external_id,
        regions=regions,
        workers=workers,
        max_pages=max_pages,
        read_organization=home,
    )


__all__ = [
    "DEFAULT_MEMBER_ROLE",
    "AwsEngine",
    "AwsSession",
    "OrganizationCollector",
    "aws_collector",
    "member_collector",
    "organization_collector",
]
