"""The offline demo: the real scan path against an in-process moto estate of good and bad resources."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

from platformdirs import user_data_dir

from collectors import ProgressCallback
from cspm_ai.inventory import Inventory
from cspm_ai.model import ScanRecord

DEMO_REGIONS = ("us-east-1", "eu-west-1")
# eu-west-1 is deliberately outside the demo's residency policy, so CL-09 shows a FAIL.
DEMO_ALLOWED_REGIONS = ("us-east-1",)

# The demo must never read or send a real credential, nor probe a metadata address.
_DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_DROP = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def demo_database_url() -> str:
    directory = Path(user_data_dir("cspm-ai"))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'demo.db'}"


def run_demo(inventory: Inventory, progress: ProgressCallback | None = None) -> ScanRecord:
    from moto import mock_aws

    from collectors.aws import aws_collector
    from cspm_ai.scan import run_scan
    from moto_fixtures.estate import build_aws_estate
    from moto_fixtures.extensions import install

    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("AWS_ENDPOINT_URL_")}
    env.update(_DEMO_ENV)
    with mock.patch.dict(os.environ, env, clear=True), mock_aws():
        install()
        manifest = build_aws_estate(regions=DEMO_REGIONS)
        collector = aws_collector(regions=manifest.regions)
        return run_scan(inventory, [collector], allowed_regions=DEMO_ALLOWED_REGIONS,
                        progress=progress, options={"demo": True})
