"""AWS collector: SageMaker and the IAM, KMS, network, storage and logging around it."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.aws.engine import AwsEngine
from collectors.aws.organization import DEFAULT_MEMBER_ROLE, OrganizationCollector, list_accounts, select
from collectors.aws.session import AwsSession
from collectors.kernel import MAX_PAGES
from cspm_ai.executor import LocalProcessExecutor


def aws_collector(
    *,
    profile: str | None = None,
    regions: Sequence[str] | None = None,
    workers: int = 32,
    session: AwsSession | None = None,
    max_pages: int = MAX_PAGES,
    processes: int = 1,
) -> AwsEngine:
    """A ready collector: credentials checked, identity known, regions validated.

    With `processes` > 1, regions are collected in that many worker processes at once (see AwsEngine).
    """
    aws = session or AwsSession(profile=profile, pool_size=workers)
    if regions:
        aws.check_region_names(regions)
    aws.resolve_identity()
    executor = LocalProcessExecutor(processes) if processes > 1 else None
    return AwsEngine(aws, aws.resolve_regions(regions), workers=workers, max_pages=max_pages, executor=executor)


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
    aws = session or AwsSession(profile=profile, pool_size=workers)
    if regions:
        aws.check_region_names(regions)
    aws.resolve_identity()
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


__all__ = [
    "DEFAULT_MEMBER_ROLE",
    "AwsEngine",
    "AwsSession",
    "OrganizationCollector",
    "aws_collector",
    "organization_collector",
]
