"""The moto server process: extensions installed, latency, throttling, AccessDenied and call counting."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from moto_fixtures.estate import build_aws_estate
from moto_fixtures.server import CACHE_PATH, FAULTS_PATH, STATS_PATH, ReadCache, identify, is_read, running_server

pytestmark = pytest.mark.server

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
# One session: a fresh one re-parses every service model (about a second for EC2).
SESSION = boto3.Session()


@pytest.fixture(autouse=True)
def _lean_server_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child inherits the environment; preloading every AWS managed policy costs it ~2 s.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


def get_json(url: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def client(url: str, service: str, config: Config = NO_RETRY) -> Any:
    return SESSION.client(service, region_name="us-east-1", endpoint_url=url, config=config)


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


def test_serves_the_extensions_and_counts_calls() -> None:
    with running_server() as url:
        assert url.startswith("http://127.0.0.1:")
        sm = client(url, "sagemaker")
        domain = sm.create_domain(
            DomainName="served",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/r"},
            SubnetIds=["subnet-0123456789abcdef0"],
            VpcId="vpc-0123456789abcdef0",
        )["DomainArn"].rsplit("/", 1)[1]
        sm.create_user_profile(DomainId=domain, UserProfileName="someone")
        assert [p["UserProfileName"] for p in sm.list_user_profiles()["UserProfiles"]] == ["someone"]
        ce = client(url, "ce")
        ce.create_anomaly_monitor(
            AnomalyMonitor={"MonitorName": "m", "MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"}
        )
        assert len(ce.get_anomaly_monitors()["AnomalyMonitors"]) == 1
        s3 = client(url, "s3")
        s3.create_bucket(Bucket="served-bucket")
        assert s3.get_bucket_encryption(Bucket="served-bucket")["ServerSideEncryptionConfiguration"]["Rules"]
        client(url, "ec2").describe_vpcs()
        client(url, "iam").list_roles()
        assert get_json(url + STATS_PATH) == {
            "ce:CreateAnomalyMonitor": 1,
            "ce:GetAnomalyMonitors": 1,
            "ec2:DescribeVpcs": 1,
            "iam:ListRoles": 1,
            "s3:CreateBucket": 1,
            "s3:GetBucketEncryption": 1,
            "sagemaker:CreateDomain": 1,
            "sagemaker:CreateUserProfile": 1,
            "sagemaker:ListUserProfiles": 1,
        }
        assert get_json(url + STATS_PATH, method="DELETE") == {}
        assert get_json(url + STATS_PATH) == {}


def test_latency_applies_per_request_and_requests_overlap() -> None:
    latency = 0.4
    with running_server(latency_ms=latency * 1000) as url:
        sm = client(url, "sagemaker", Config(retries={"total_max_attempts": 1}, max_pool_connections=8))
        sm.list_models()  # warm the connection pool and the server's model loading
        started = time.perf_counter()
        sm.list_models()
        assert time.perf_counter() - started >= latency
        durations: list[float] = []

        def call() -> None:
            begin = time.perf_counter()
            sm.list_models()
            durations.append(time.perf_counter() - begin)

        threads = [threading.Thread(target=call) for _ in range(6)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        assert len(durations) == 6 and min(durations) >= latency
        # Six sequential calls would take 2.4 s; overlapping ones take about one latency.
        assert elapsed < 3 * latency


def test_throttling_answers_each_protocol_like_aws() -> None:
    with running_server(throttle_rate=1.0) as url:
        assert error_of(client(url, "sagemaker").list_models) == ("ThrottlingException", 400)
        assert error_of(client(url, "kms").list_keys) == ("ThrottlingException", 400)
        assert error_of(client(url, "guardduty").list_detectors) == ("ThrottlingException", 400)
        assert error_of(client(url, "iam").list_roles) == ("Throttling", 400)
        assert error_of(client(url, "ec2").describe_vpcs) == ("RequestLimitExceeded", 503)
        assert error_of(client(url, "s3").list_buckets) == ("SlowDown", 503)
        retrying = client(url, "sagemaker", Config(retries={"mode": "standard", "total_max_attempts": 2}))
        with pytest.raises(ClientError) as caught:
            retrying.list_endpoints()
        # botocore recognised the throttle and retried it.
        assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 1
        assert get_json(url + STATS_PATH)["sagemaker:ListEndpoints"] == 2
        assert get_json(url + FAULTS_PATH)["throttled"]["sagemaker:ListEndpoints"] == 2


def test_partial_throttling_is_seeded_and_retries_get_through() -> None:
    seed, rate = 7, 0.5
    # Sequential requests draw from random.Random(seed) in order, so the pattern is predictable.
    draws = random.Random(seed)
    expected = ["throttled" if draws.random() < rate else "ok" for _ in range(16)]
    assert 0 < expected.count("throttled") < 16
    with running_server(throttle_rate=rate, seed=seed) as url:
        sm = client(url, "sagemaker")
        results = []
        for _ in range(16):
            try:
                sm.list_models()
                results.append("ok")
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ThrottlingException"
                results.append("throttled")
        assert results == expected
        assert get_json(url + FAULTS_PATH)["throttled"]["sagemaker:ListModels"] == results.count("throttled")
        patient = client(url, "sagemaker", Config(retries={"mode": "standard", "total_max_attempts": 12}))
        for _ in range(2):
            patient.list_endpoints()


def test_denied_operations_answer_access_denied() -> None:
    with running_server(deny=("sagemaker:ListTrainingJobs", "iam:List*", "s3:GetBucketPolicy")) as url:
        sm = client(url, "sagemaker")
        code, status = error_of(sm.list_training_jobs)
        assert (code, status) == ("AccessDeniedException", 400)
        sm.list_models()
        assert error_of(client(url, "iam").list_roles) == ("AccessDenied", 403)
        assert error_of(client(url, "iam").list_users) == ("AccessDenied", 403)
        client(url, "iam").get_account_authorization_details()
        s3 = client(url, "s3")
        s3.create_bucket(Bucket="denied-bucket")
        assert error_of(lambda: s3.get_bucket_policy(Bucket="denied-bucket")) == ("AccessDenied", 403)
        faults = get_json(url + FAULTS_PATH)
        assert faults["denied"] == {
            "iam:ListRoles": 1,
            "iam:ListUsers": 1,
            "s3:GetBucketPolicy": 1,
            "sagemaker:ListTrainingJobs": 1,
        }
        assert faults["throttled"] == {}


def test_estate_builds_against_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with running_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        manifest = build_aws_estate(session=SESSION, regions=("us-east-1", "eu-west-1"))
        sm = SESSION.client("sagemaker", region_name="us-east-1")
        assert sm.describe_model(ModelName="good-model")["EnableNetworkIsolation"] is True
        assert manifest.expected[("aws.sagemaker.model_network_isolation", "bad-model")] == "FAIL"
        stats = get_json(url + STATS_PATH)
        assert stats["sagemaker:CreateUserProfile"] == 2 and stats["iam:AttachRolePolicy"] == 1


def test_explicit_port_and_clean_stop() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with running_server(port=port) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert get_json(url + STATS_PATH) == {}
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + STATS_PATH, timeout=2)


def test_a_server_that_cannot_start_reports_why() -> None:
    with running_server() as url:
        busy = int(url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError, match="did not start"):
            with running_server(port=busy):
                pass


# ------------------------------------------------------------------ the read cache


def signed_environ(service: str, method: str, region: str = "us-east-1", **params: Any) -> dict[str, Any]:
    """The WSGI environ of a real botocore request, signed as a scanner would send it; nothing is sent."""
    captured: list[Any] = []

    def keep(request: Any, **_: Any) -> Any:
        captured.append(request)
        return AWSResponse(request.url, 200, {}, None)  # stop botocore before the network

    api = SESSION.client(service, region_name=region, endpoint_url="http://127.0.0.1:9", config=NO_RETRY)
    api.meta.events.register("before-send", keep)
    with contextlib.suppress(Exception):  # the empty answer does not parse; the request is what matters
        getattr(api, method)(**params)
    request = captured[0]
    url = urlsplit(request.url)
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()}
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": url.path,
        "QUERY_STRING": url.query,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": headers.pop("Content-Type", ""),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": url.netloc,
    }
    headers.pop("Content-Length", None)
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return environ


class CountingApp:
    """A WSGI app that answers each request with how many it has answered."""

    def __init__(self, status: str = "200 OK") -> None:
        self.answered = 0
        self.status = status

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()  # as moto does: the cache must have put the body back
        self.answered += 1
        start_response(self.status, [("Content-Type", "application/json")])
        return [json.dumps({"answer": self.answered}).encode()]


def call(cache: ReadCache, app: CountingApp, environ: dict[str, Any]) -> tuple[str, Any]:
    operation = identify(environ)
    assert operation is not None
    statuses: list[str] = []
    body = b"".join(cache.serve(app, operation, environ, lambda status, headers: statuses.append(status)))
    return statuses[0], json.loads(body)


def test_is_read_by_operation_name() -> None:
    assert all(is_read(name) for name in ("ListTags", "DescribeModel", "GetRole", "Search", "BatchGetTraces"))
    assert not any(is_read(name) for name in ("CreateModel", "DeleteModel", "TagResource", "PutBucketPolicy", "POST"))


def test_read_cache_answers_the_same_read_signed_again_from_memory() -> None:
    cache, app = ReadCache(), CountingApp()
    first = signed_environ("sagemaker", "describe_model", ModelName="m")
    time.sleep(1.1)  # a new X-Amz-Date and signature
    again = signed_environ("sagemaker", "describe_model", ModelName="m")
    assert first["HTTP_AUTHORIZATION"] != again["HTTP_AUTHORIZATION"]
    assert call(cache, app, first) == ("200 OK", {"answer": 1})
    assert call(cache, app, again) == ("200 OK", {"answer": 1})
    assert app.answered == 1 and cache.stats() == {"entries": 1, "hits": 1, "misses": 1}


@pytest.mark.parametrize(
    ("service", "method", "params", "other_params", "other_region"),
    [
        # JSON protocol: parameters in the body.
        ("sagemaker", "describe_model", {"ModelName": "m"}, {"ModelName": "n"}, "eu-west-1"),
        # Query protocol: parameters in a form body.
        ("iam", "get_role", {"RoleName": "a"}, {"RoleName": "b"}, None),
        # REST: parameters in the path and query string.
        ("bedrock-agent", "list_agent_action_groups", {"agentId": "A1", "agentVersion": "1"},
         {"agentId": "A2", "agentVersion": "1"}, "eu-west-1"),
        ("s3", "get_bucket_policy", {"Bucket": "one"}, {"Bucket": "two"}, None),
    ],
)  # fmt: skip
def test_read_cache_keys_on_operation_parameters_and_region(
    service: str, method: str, params: dict[str, Any], other_params: dict[str, Any], other_region: str | None
) -> None:
    cache, app = ReadCache(), CountingApp()
    assert call(cache, app, signed_environ(service, method, **params))[1] == {"answer": 1}
    assert call(cache, app, signed_environ(service, method, **params))[1] == {"answer": 1}
    assert call(cache, app, signed_environ(service, method, **other_params))[1] == {"answer": 2}
    if other_region:
        assert call(cache, app, signed_environ(service, method, region=other_region, **params))[1] == {"answer": 3}


def test_read_cache_is_emptied_by_any_write_and_never_keeps_server_errors() -> None:
    cache, app = ReadCache(), CountingApp()
    listing = functools.partial(signed_environ, "sagemaker", "list_models")
    assert call(cache, app, listing())[1] == {"answer": 1}
    assert call(cache, app, signed_environ("sagemaker", "delete_model", ModelName="m"))[1] == {"answer": 2}
    assert call(cache, app, listing())[1] == {"answer": 3}
    assert call(cache, app, listing())[1] == {"answer": 3}
    failing = CountingApp("503 Service Unavailable")
    assert call(cache, failing, signed_environ("kms", "list_keys")) == ("503 Service Unavailable", {"answer": 1})
    assert call(cache, failing, signed_environ("kms", "list_keys")) == ("503 Service Unavailable", {"answer": 2})


def test_read_cache_drops_an_answer_a_concurrent_write_may_have_outdated() -> None:
    cache = ReadCache()

    class WriteDuringRead(CountingApp):
        def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
            if self.answered == 0:
                cache.clear()  # another thread's write lands while moto composes this answer
            return super().__call__(environ, start_response)

    app = WriteDuringRead()
    listing = functools.partial(signed_environ, "sagemaker", "list_endpoints")
    assert call(cache, app, listing())[1] == {"answer": 1}
    assert call(cache, app, listing())[1] == {"answer": 2}
    assert call(cache, app, listing())[1] == {"answer": 2}


def test_shared_signing_names_are_told_apart_by_route() -> None:
    # Agents for Bedrock signs as "bedrock" and AgentCore's control plane as "bedrock-agentcore".
    agents = identify(signed_environ("bedrock-agent", "list_agents"))
    runtimes = identify(signed_environ("bedrock-agentcore-control", "list_agent_runtimes"))
    guardrails = identify(signed_environ("bedrock", "list_guardrails"))
    assert agents is not None and runtimes is not None and guardrails is not None
    assert (agents.key, runtimes.key, guardrails.key) == (
        "bedrock:ListAgents",
        "bedrock-agentcore:ListAgentRuntimes",
        "bedrock:ListGuardrails",
    )


def test_server_read_cache_serves_repeats_and_sees_writes() -> None:
    with running_server(read_cache=True) as url:
        sm = client(url, "sagemaker")
        assert sm.list_models()["Models"] == []
        assert sm.list_models()["Models"] == []
        assert get_json(url + CACHE_PATH) == {"enabled": True, "entries": 1, "hits": 1, "misses": 1}
        sm.create_model(ModelName="fresh", ExecutionRoleArn="arn:aws:iam::123456789012:role/r")
        assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["fresh"]
        # Cached answers are still delayed, counted and subject to faults like any other.
        assert get_json(url + STATS_PATH)["sagemaker:ListModels"] == 3
        assert get_json(url + CACHE_PATH, method="DELETE") == {"enabled": True, "entries": 0, "hits": 0, "misses": 0}
    with running_server() as url:
        assert get_json(url + CACHE_PATH) == {"enabled": False}


def test_server_read_cache_keys_reads_by_account_so_a_role_assumed_again_reads_from_memory() -> None:
    """A role assumed again signs with a new key: its reads of the same account are the same reads, and signing
    in changes nothing a read answers; who the caller is stays each key's own answer."""
    with running_server(read_cache=True) as url:
        client(url, "iam").create_role(RoleName="scanner", AssumeRolePolicyDocument="{}")
        assert client(url, "sagemaker").list_models()["Models"] == []
        callers = []
        for name in ("first", "second"):
            creds = client(url, "sts").assume_role(
                RoleArn="arn:aws:iam::123456789012:role/scanner", RoleSessionName=name
            )["Credentials"]
            keys = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
            assumed = SESSION._session.create_client(  # noqa: SLF001  (one parsed model for the test's clients)
                "sagemaker", region_name="us-east-1", endpoint_url=url, config=NO_RETRY, **keys
            )
            assert assumed.list_models()["Models"] == []
            sts = SESSION._session.create_client(  # noqa: SLF001
                "sts", region_name="us-east-1", endpoint_url=url, config=NO_RETRY, **keys
            )
            callers.append(sts.get_caller_identity()["Arn"].rsplit("/", 1)[1])
        assert callers == ["first", "second"]
        stats = get_json(url + CACHE_PATH)
        assert (stats["hits"], stats["misses"]) == (2, 3)  # the two callers' identities are read, not shared
