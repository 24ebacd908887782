"""AwsSession without the network: region names checked before any call, one client per (service, region),
clients configured for throttling. Credentials and identity failures are tested through the CLI
(tests/test_cli_errors.py) and under transport faults (test_engine_faults.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from collectors.aws.session import RETRY_ATTEMPTS, AwsSession
from cspm_ai.errors import ConfigError


def offline(region: str | None = "us-east-1") -> boto3.Session:
    """A boto3 session that fails the test on any request it would send."""

    def refuse(request: Any, **_: Any) -> None:
        raise AssertionError(f"no request may be sent: {request.method} {request.url}")

    session = boto3.Session(region_name=region)
    session.events.register("before-send", refuse)
    return session


def test_unknown_region_names_are_each_named_and_known_ones_of_every_partition_pass() -> None:
    aws = AwsSession(boto_session=offline())
    aws.check_region_names(["eu-west-1", "cn-north-1", "us-gov-west-1"])
    with pytest.raises(ConfigError) as raised:
        aws.check_region_names(["us-east-1", "eu-wset-1", "mars-1"])
    message = str(raised.value)
    assert "'eu-wset-1'" in message and "'mars-1'" in message and "'us-east-1'" not in message
    assert "us-east-1" in raised.value.hint  # the hint shows what a region code looks like


def test_requested_regions_must_be_in_the_accounts_partition_and_keep_their_order() -> None:
    aws = AwsSession(boto_session=offline())
    assert aws.resolve_regions(["eu-west-1", "us-east-1", "eu-west-1"]) == ["eu-west-1", "us-east-1"]
    # A China region exists, but not in the commercial partition these credentials belong to.
    with pytest.raises(ConfigError, match="'cn-north-1'"):
        aws.resolve_regions(["eu-west-1", "cn-north-1"])


def test_one_client_per_service_and_region_shared_by_every_caller() -> None:
    aws = AwsSession(boto_session=offline())
    sagemaker = aws.client("sagemaker", "us-east-1")
    assert aws.client("sagemaker", "us-east-1") is sagemaker
    others = [aws.client("sagemaker", "eu-west-1"), aws.client("kms", "us-east-1")]
    assert len({id(c) for c in [sagemaker, *others]}) == 3
    assert [c.meta.region_name for c in (sagemaker, *others)] == ["us-east-1", "eu-west-1", "us-east-1"]
    assert [c.meta.service_model.service_name for c in (sagemaker, *others)] == ["sagemaker", "sagemaker", "kms"]


def test_clients_back_off_adaptively_and_hold_a_connection_per_worker() -> None:
    aws = AwsSession(boto_session=offline(), pool_size=7)
    config = aws.client("sagemaker", "us-east-1").meta.config
    # botocore's legacy `max_attempts` counts retries; the client holds it as the total: the first try and those.
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 1 + RETRY_ATTEMPTS}
    assert RETRY_ATTEMPTS >= 5  # enough to ride out a sustained burst of throttling
    assert config.max_pool_connections == 7


def test_the_home_region_is_the_sessions_or_us_east_1(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AwsSession(boto_session=offline("eu-central-1")).home_region == "eu-central-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert AwsSession(boto_session=offline(None)).home_region == "us-east-1"


def test_the_sessions_of_one_process_parse_each_service_model_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A worker makes a session for every account it scans: they share one loader, so SageMaker's model is
    parsed once in the process, not once an account; a session on another data path keeps a loader of its own."""
    first, second = AwsSession(), AwsSession()
    loader = first.botocore_session.get_component("data_loader")
    assert second.botocore_session.get_component("data_loader") is loader
    first.known_regions()
    read: list[str] = []
    original = loader.file_loader.load_file

    def load_file(path: str) -> Any:
        read.append(path)
        return original(path)

    monkeypatch.setattr(loader.file_loader, "load_file", load_file)
    assert AwsSession().known_regions() == first.known_regions()
    assert read == []
    assert len(loader.search_paths) == len(set(loader.search_paths))  # boto3's data folder once, not per session
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    own = AwsSession().botocore_session.get_component("data_loader")
    assert own is not loader and str(tmp_path) in own.search_paths
