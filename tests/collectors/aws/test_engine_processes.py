"""A scan split by region over worker processes stores exactly what one process stores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import boto3
import pytest

from collectors.aws import AwsSession, aws_collector
from cspm_ai.executor import LocalProcessExecutor
from cspm_ai.model import CollectionResult
from moto_fixtures.estate import build_aws_estate
from moto_fixtures.server import running_server

pytestmark = pytest.mark.server

REGIONS = ("us-east-1", "eu-west-1")
FAKE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The mixed estate in a moto server process, which forked workers reach as the parent does. Its read
    cache answers a repeated read as the first time: moto's clocks (a trail's last delivery) stand still."""
    with mock.patch.dict(os.environ, FAKE), running_server(read_cache=True) as url:
        with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": url}):
            build_aws_estate(session=boto3.Session(), regions=REGIONS)
        yield url


def _collect(url: str, processes: int) -> CollectionResult:
    with mock.patch.dict(os.environ, {**FAKE, "AWS_ENDPOINT_URL": url}):
        return aws_collector(regions=list(REGIONS), processes=processes).collect()


def _stored(result: CollectionResult) -> tuple[object, ...]:
    return (
        sorted((r.type, r.uid, r.name, r.region, repr(r.config), repr(r.tags), r.redactions) for r in result.resources),
        sorted((r.src, r.kind, r.dst) for r in result.relations),
        sorted(repr(e) for e in result.errors),
        result.scopes,
    )


def test_regions_in_worker_processes_store_what_one_process_stores(server: str) -> None:
    alone = _collect(server, processes=1)
    split = _collect(server, processes=2)
    assert len(alone.resources) > 50 and {r.region for r in alone.resources} >= {*REGIONS, "global"}
    assert _stored(split) == _stored(alone)


def test_the_split_runs_each_region_in_another_process(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import collectors.aws.engine as engine

    seen: list[tuple[tuple[str, ...], bool]] = []
    original = LocalProcessExecutor.map

    def spy(self: LocalProcessExecutor, task: object, parts: list[engine.Part]) -> list[object]:
        seen.extend((p.regions, p.with_global) for p in parts)
        results: list[object] = original(self, task, parts)  # type: ignore[arg-type]
        return results

    monkeypatch.setattr(LocalProcessExecutor, "map", spy)
    _collect(server, processes=2)
    # One part per region; only the first also lists the global kinds (IAM, S3, ...), so none is listed twice.
    assert seen == [(("us-east-1",), True), (("eu-west-1",), False)]


def test_a_session_with_its_own_credentials_stays_in_one_process(server: str) -> None:
    with mock.patch.dict(os.environ, {**FAKE, "AWS_ENDPOINT_URL": server}):
        session = AwsSession(boto_session=boto3.Session())
        collector = aws_collector(session=session, regions=list(REGIONS), processes=2)
        assert collector.executor is not None and not session.portable
        with mock.patch.object(LocalProcessExecutor, "map", side_effect=AssertionError("forked")):
            assert collector.collect().resources


def test_workers_inherit_every_service_model_and_the_parent_works_meanwhile(
    server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The service models are parsed once, here, before the workers are forked (each would otherwise parse the
    same JSON again), and `meanwhile` runs here once every worker has started."""
    from botocore.loaders import JSONFileLoader

    parsed = tmp_path / "parsed.txt"
    original = JSONFileLoader.load_file

    def recorded(self: JSONFileLoader, file_path: str) -> object:
        with parsed.open("a") as out:
            out.write(f"{os.getpid()} {file_path}\n")
        return original(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", recorded)
    seen: list[tuple[int, int]] = []

    def meanwhile() -> None:
        seen.append((os.getpid(), len(multiprocessing.active_children())))

    with mock.patch.dict(os.environ, {**FAKE, "AWS_ENDPOINT_URL": server}):
        collector = aws_collector(regions=list(REGIONS), processes=2, meanwhile=meanwhile)
        result = collector.collect()
    assert result.resources
    loads = [line.split(" ", 1) for line in parsed.read_text().splitlines()] if parsed.exists() else []
    in_workers = [path for pid, path in loads if int(pid) != os.getpid() and "service-2" in path]
    assert in_workers == []
    assert seen == [(os.getpid(), 2)]
