"""AWS collector: SageMaker and the IAM, KMS, network, storage and logging around it."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.aws.engine import AwsEngine
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


__all__ = ["AwsEngine", "AwsSession", "aws_collector"]
