"""`python -m tests.distributed.estate_worker worker|scheduler OPTIONS…`: the real `cspm-ai worker` (or
`cspm-ai scheduler`), with the recorded Azure and Google Cloud estates standing in for the clouds.

The estates are replayed in this process before Celery forks its pool, so every pool process answers
from them. The file named by `CSPM_TEST_FAULTS_FILE` (read as each part starts collecting, so one fleet
serves every test) makes chosen parts misbehave, by the account they collect:
`ml-dev-7781=slow:4,ml-denied-9001=crash` — `slow:S` waits S seconds before collecting, `crash` kills
the pool process with SIGKILL (as the kernel's out-of-memory killer would), `fail` raises, `hang` never
returns.

AWS is a moto server process rather than a recording (an organization's accounts are entered through
AssumeRole): the file named by `CSPM_TEST_AWS_ENDPOINT_FILE` holds its URL, written by the test that uses
it, and an AWS part reads it as it starts, as a worker's environment would give it `AWS_ENDPOINT_URL`.

As each part starts collecting, the pool process checks that it holds no other part's results (no
`CollectionResult` is alive in it) and prints `HELD n result(s)` on standard error if it does: the
fleet tests assert no worker ever printed it.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import responses
from google.auth.credentials import AnonymousCredentials

import collectors.azure
import collectors.gcp
from collectors import Collector, ProgressCallback
from collectors.azure import AzureEngine
from collectors.gcp import GcpEngine
from cspm_ai.demo import DemoCredential
from cspm_ai.distributed import parts
from cspm_ai.distributed.model import ScanPart
from cspm_ai.model import CollectionResult
from moto_fixtures.azure_estate import register_azure_estate
from moto_fixtures.gcp_estate import register_gcp_estate

IDENTITY = "scanner@ml-prod-4521.iam.gserviceaccount.com"


HELD = "HELD"


def faults() -> dict[str, str]:
    path = os.environ.get("CSPM_TEST_FAULTS_FILE", "")
    text = Path(path).read_text() if path and Path(path).is_file() else ""
    pairs = [item.strip().split("=", 1) for item in text.split(",") if "=" in item]
    return {account: fault for account, fault in pairs}


def check_nothing_held() -> None:
    """A pool process about to collect a part holds no other part's results."""
    if not os.environ.get("CSPM_TEST_FAULTS_FILE"):
        return  # only in the fleet's worker processes, not where a test scans in one process
    held = sum(1 for o in gc.get_objects() if isinstance(o, CollectionResult))
    if held:
        print(f"{HELD} {held} result(s) in pool process {os.getpid()}", file=sys.stderr, flush=True)


def misbehave(account: str | None) -> None:
    check_nothing_held()
    fault = faults().get(account or "")
    if fault is None:
        return
    if fault == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "fail":
        raise RuntimeError(f"the test made {account} fail")
    if fault == "hang":
        time.sleep(3600)
    if fault.startswith("slow:"):
        time.sleep(float(fault.split(":", 1)[1]))


def register_estates(replay: responses.RequestsMock) -> None:
    """Both recorded estates on one mock (each with its denied subscription or project)."""
    register_azure_estate(replay, denied_subscription=True)
    register_gcp_estate(replay, denied_project=True)


def aws_endpoint() -> None:
    """Point this process's AWS clients at the test's moto server, when one is named."""
    path = Path(os.environ.get("CSPM_TEST_AWS_ENDPOINT_FILE", ""))
    if path.name and path.is_file():
        os.environ["AWS_ENDPOINT_URL"] = path.read_text().strip()


def patch_collectors(setattr: Callable[[Any, str, Any], None] = setattr) -> None:
    """Credential factories that need no sign-in, and the faults of `CSPM_TEST_FAULTS_FILE` (read when a part
    collects); `setattr` is pytest's monkeypatch.setattr in a test, so it is undone afterwards."""
    setattr(collectors.azure, "credential_factory", lambda _authority: DemoCredential())
    setattr(collectors.gcp, "credential_factory", lambda _impersonate: (AnonymousCredentials(), None, IDENTITY))
    gcp_collect, azure_collect = GcpEngine.collect, AzureEngine.collect

    def gcp(self: GcpEngine, progress: ProgressCallback | None = None) -> CollectionResult:
        misbehave(self.requested[0] if self.requested else None)
        return gcp_collect(self, progress)

    def azure(self: AzureEngine, progress: ProgressCallback | None = None) -> CollectionResult:
        misbehave(self.requested[0] if self.requested else None)
        return azure_collect(self, progress)

    setattr(GcpEngine, "collect", gcp)
    setattr(AzureEngine, "collect", azure)
    build = parts.build_collector

    def build_collector(part: ScanPart) -> Collector:
        if part.provider == "aws":
            aws_endpoint()
            misbehave(part.account)
        return build(part)

    setattr(parts, "build_collector", build_collector)


def main(argv: list[str]) -> Any:
    replay = responses.RequestsMock(assert_all_requests_are_fired=False)
    replay.start()
    register_estates(replay)
    patch_collectors()
    from cspm_ai.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
