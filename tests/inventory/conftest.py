"""Inventory fixtures: each test gets an empty database on SQLite (a temp file) and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cspm_ai.inventory import Inventory
from cspm_ai.model import (
    CollectionError,
    CollectionResult,
    Finding,
    Relation,
    Resource,
    Scope,
    Severity,
    Status,
)
from tests.conftest import PG_HOST, PG_PORT, PG_USER  # noqa: E402,F401  (re-exported for the tests)


@pytest.fixture
def open_inventory(database_url: str) -> Iterator[Callable[[], Inventory]]:
    """Opens `Inventory` objects on the test database and closes them all afterwards."""
    opened: list[Inventory] = []

    def _open() -> Inventory:
        inventory = Inventory.open(database_url)
        opened.append(inventory)
        return inventory

    yield _open
    for inventory in opened:
        inventory.close()


@pytest.fixture
def inventory(open_inventory: Callable[[], Inventory]) -> Inventory:
    return open_inventory()


# Not UTC on purpose: values must come back as the same instant, in UTC.
PARIS_SUMMER = timezone(timedelta(hours=2))
T0 = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=PARIS_SUMMER)
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ml-exécution"
NOTEBOOK = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance/研究-nb"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234"


def make_resource(
    uid: str,
    rtype: str = "aws.sagemaker.notebook_instance",
    *,
    provider: str = "aws",
    region: str = "eu-west-1",
    config: dict[str, object] | None = None,
) -> Resource:
    return Resource(
        provider=provider,
        account=ACCOUNT,
        region=region,
        type=rtype,
        uid=uid,
        name=uid.rsplit("/", 1)[-1],
        config=config if config is not None else {"Arn": uid},
    )


def make_result() -> CollectionResult:
    """A small scan: unicode names, nested JSON, a redaction, a duplicate relation, two errors."""
    notebook = Resource(
        provider="aws",
        account=ACCOUNT,
        region="eu-west-1",
        type="aws.sagemaker.notebook_instance",
        uid=NOTEBOOK,
        name="研究-nb",
        config={
            "NotebookInstanceName": "研究-nb",
            "DirectInternetAccess": "Disabled",
            "RootAccess": None,
            "InstanceCount": 2,
            "Ratio": 0.25,
            "Enabled": False,
            "Nested": {"List": [1, "two", {"three": [True, None]}], "Emoji": "🔐"},
            "Env": {"TOKEN": "[REDACTED:token]"},
        },
        tags={"owner": "Zoë", "team": "ml"},
        redactions=({"path": "Env.TOKEN", "kind": "token"},),
    )
    return CollectionResult(
        resources=[notebook, make_resource(ROLE, "aws.iam.role", region="global")],
        relations=[
            Relation(NOTEBOOK, "uses_role", ROLE),
            Relation(NOTEBOOK, "encrypted_by", KEY),
            Relation(NOTEBOOK, "uses_role", ROLE),
        ],
        errors=[
            CollectionError(
                "aws",
                ACCOUNT,
                "eu-west-1",
                "kms",
                "DescribeKey",
                "AccessDenied",
                "User is not authorized to perform kms:DescribeKey — «denied»",
                resource_type="aws.kms.key",
                resource_uid=KEY,
            ),
            CollectionError(
                "aws",
                ACCOUNT,
                "us-east-1",
                "sagemaker",
                "ListDomains",
                "Throttling",
                "Rate exceeded",
                resource_type="aws.sagemaker.domain",
            ),
        ],
        scopes=[Scope("aws", ACCOUNT, ("eu-west-1", "us-east-1"), f"arn:aws:sts::{ACCOUNT}:assumed-role/audit/zoë")],
    )


def make_finding(
    uid: str = NOTEBOOK,
    check_id: str = "aws.sagemaker.notebook_direct_internet_access",
    status: Status = Status.PASS,
    **changes: object,
) -> Finding:
    from cspm_ai.engine import finding_id

    values: dict[str, object] = dict(
        id=finding_id(check_id, uid),
        check_id=check_id,
        title="Notebook instances have no direct internet access",
        status=status,
        severity=Severity.HIGH,
        provider="aws",
        account=ACCOUNT,
        region="eu-west-1",
        resource_type="aws.sagemaker.notebook_instance",
        resource_uid=uid,
        resource_name="研究-nb",
        message="Notebook 研究-nb has DirectInternetAccess=Disabled.",
        checklist=("CL-01",),
        compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
        remediation="Recreate the notebook with DirectInternetAccess=Disabled.",
        evidence={"DirectInternetAccess": "Disabled", "nested": {"a": [1, None]}},
    )
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
