"""The offline demo: the real scan path against simulated estates of good and bad resources.

AWS runs against an in-process moto organization (a management account and two members, one well configured
and one not; see moto_fixtures/demo_organization.py), scanned the way `scan aws --organization` scans one;
Azure and Google Cloud against recorded API responses replayed under the real SDK clients. Each estate lives
only while its collector runs, inside its own mock.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from platformdirs import user_data_dir

from collectors import Collector, ProgressCallback
from cspm_ai.errors import CspmError
from cspm_ai.files import private_directory
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, ScanRecord

if TYPE_CHECKING:
    from moto_fixtures.demo_organization import DemoOrganization

DEMO_REGIONS = ("us-east-1", "eu-west-1")
# Outside each demo's residency policy on purpose, so CL-09 shows FAILs: eu-west-1 on AWS,
# westeurope on Azure, europe-west4 on Google Cloud.
DEMO_ALLOWED_REGIONS = ("us-east-1", "eastus2", "us-central1")

# The demo must never read or send a real credential, nor probe a metadata address.
_DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_DROP = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
# moto names what it creates at random (account ids, key ids, VPCs, role ids) and stamps it with the time: the
# demo fixes both, so two runs of the same day build the same AWS estate and only a drift shows as a change.
DEMO_SEED = 2026


def require_demo_extra() -> None:
    """Stop with one line naming the extra when the simulators are missing: they are the `demo` extra,
    left out of a plain install because only the demo and the tests need them."""
    try:
        import freezegun  # noqa: F401
        import moto  # noqa: F401
        import responses  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "a simulator package"
        raise CspmError(
            f"The demo needs {missing}, which is not installed: pip install 'cspm-ai[demo]'.",
            "From a checkout, `make demo` installs it into .venv.",
        ) from exc


def demo_database_url() -> str:
    directory = private_directory(Path(user_data_dir("cspm-ai")))
    return f"sqlite:///{directory / 'demo.db'}"


class DemoCredential:
    """A token for the simulated Resource Manager; nothing signs in anywhere."""

    def get_token(self, *scopes: str, **_: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("demo-token", int(time.time()) + 3600)


class _Simulated:
    """A collector that builds its simulated estate and collects it inside one mock."""

    def __init__(self, provider: str, simulate: Callable[[], Any]) -> None:
        self.provider = provider
        self._simulate = simulate

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        with self._simulate() as collector:
            return collector.collect(progress)


@contextmanager
def _repeatable() -> Iterator[None]:
    """moto's random names, uuid4 and the clock fixed for the AWS estate: today at 00:00 UTC, one seed."""
    import freezegun
    from moto.moto_api._internal import mock_random

    rng = random.Random(DEMO_SEED)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    mock_random.seed(DEMO_SEED)
    with freezegun.freeze_time(today), mock.patch("uuid.uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4)):
        yield


@contextmanager
def aws_demo_organization(drift: bool = False) -> Iterator[tuple[DemoOrganization, Collector]]:
    """The demo's AWS organization, built in moto (drifted with `drift`), and the collector `scan aws
    --organization` builds for it from the management account's credentials; both live inside the mock."""
    import boto3
    from moto import mock_aws

    from collectors.aws import AwsSession, organization_collector
    from moto_fixtures.demo_organization import build_demo_organization

    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("AWS_ENDPOINT_URL_")}
    env.update(_DEMO_ENV)
    with mock.patch.dict(os.environ, env, clear=True), _repeatable(), mock_aws():
        organization = build_demo_organization(DEMO_REGIONS)
        if drift:
            from moto_fixtures.drift import drift_aws_estate

            drift_aws_estate(organization.sandbox, organization.sandbox_session)
        collector = organization_collector(session=AwsSession(boto_session=boto3.Session()), regions=DEMO_REGIONS)
        yield organization, collector


def _aws_estate(drift: bool) -> Callable[[], Any]:
    @contextmanager
    def simulate() -> Iterator[Collector]:
        with aws_demo_organization(drift) as (_, collector):
            yield collector

    return simulate


def _azure_estate(drift: bool) -> Callable[[], Any]:
    @contextmanager
    def simulate() -> Iterator[Collector]:
        import responses

        from collectors.azure import ArmReader, AzureEngine
        from moto_fixtures.azure_estate import register_azure_estate

        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            manifest = register_azure_estate(replay, denied_subscription=False)
            if drift:
                from moto_fixtures.drift import drift_azure_estate

                drift_azure_estate(replay, manifest)
            yield AzureEngine(ArmReader(DemoCredential(), manifest.arm_endpoint), identity="demo@contoso.com")

    return simulate


def _gcp_estate(drift: bool) -> Callable[[], Any]:
    @contextmanager
    def simulate() -> Iterator[Collector]:
        import responses
        from google.auth.credentials import AnonymousCredentials

        from collectors.gcp import GcpEngine, GoogleApis
        from moto_fixtures.gcp_estate import register_gcp_estate

        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            manifest = register_gcp_estate(replay, denied_project=False)
            if drift:
                from moto_fixtures.drift import drift_gcp_estate

                drift_gcp_estate(replay)
            # Anonymous: no token is requested from anywhere.
            yield GcpEngine(
                GoogleApis(AnonymousCredentials()),
                organization=manifest.organization_id,
                identity="demo-scanner@ml-prod-4521.iam.gserviceaccount.com",
            )

    return simulate


def run_demo(inventory: Inventory, progress: ProgressCallback | None = None, drift: bool = False) -> ScanRecord:
    """Scan the three simulated estates; with `drift`, as `moto_fixtures.drift` changed them."""
    from cspm_ai.scan import run_scan

    collectors = [
        _Simulated("aws", _aws_estate(drift)),
        _Simulated("azure", _azure_estate(drift)),
        _Simulated("gcp", _gcp_estate(drift)),
    ]
    return run_scan(
        inventory,
        collectors,
        allowed_regions=DEMO_ALLOWED_REGIONS,
        progress=progress,
        options={"demo": True, "drift": drift},
    )
