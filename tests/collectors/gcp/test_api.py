"""Google API reads under the real clients and raw REST: endpoints, the proto3 JSON mapping, paging, and every
way a read fails becoming a GoogleFailure naming the permission (responses replay, no network)."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import responses
import urllib3.util.connection
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1 import types as aiplatform

import collectors.gcp as gcp
from collectors.gcp import Endpoints, GoogleApis, parse_api_endpoints
from collectors.gcp.api import to_json
from collectors.gcp.specs import GET_PROJECT, LIST_BUDGETS, LIST_SERVICE_ACCOUNTS
from collectors.gcp.transport import NETWORK_ATTEMPTS
from tests.collectors.gcp.local_server import local_server


def test_endpoints_put_vertex_ai_on_regional_hosts_and_take_overrides() -> None:
    default = Endpoints()
    assert default.host("aiplatform", "europe-west4") == "europe-west4-aiplatform.googleapis.com"
    assert default.host("aiplatform", "global") == "aiplatform.googleapis.com"
    assert default.host("cloudasset") == "cloudasset.googleapis.com"
    private = Endpoints(overrides=parse_api_endpoints(["aiplatform={location}-aiplatform.p.example.internal"]))
    assert private.host("aiplatform", "us-central1") == "us-central1-aiplatform.p.example.internal"
    assert private.url("cloudasset", "v1/x") == "https://cloudasset.googleapis.com/v1/x"


def test_a_looping_page_token_is_an_error_not_an_endless_scan() -> None:
    page = {
        "accounts": [
            {"name": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "email": "a@p.iam.gserviceaccount.com"}
        ],
        "nextPageToken": "again",
    }
    with responses.RequestsMock() as replay:
        replay.add(responses.GET, "https://iam.googleapis.com/v1/projects/loop-project/serviceAccounts", json=page)
        apis = GoogleApis(AnonymousCredentials(), retry_initial=0.001)
        with pytest.raises(gcp.GoogleFailure, match="RepeatedPageToken|repeats"):
            apis.raw_list(LIST_SERVICE_ACCOUNTS, project="loop-project")


def test_a_malformed_answer_is_a_failure_naming_the_permission() -> None:
    with responses.RequestsMock() as replay:
        replay.add(
            responses.GET,
            "https://cloudresourcemanager.googleapis.com/v3/projects/odd-project",
            body="<html>proxy error</html>",
            status=200,
        )
        apis = GoogleApis(AnonymousCredentials(), retry_initial=0.001)
        with pytest.raises(gcp.GoogleFailure) as failure:
            apis.get(GET_PROJECT, {"name": "projects/odd-project"})
    assert failure.value.read.permission == "resourcemanager.projects.get"
    assert failure.value.code == "MalformedResponse"


def test_a_raw_answer_that_is_not_json_is_a_malformed_response() -> None:
    with responses.RequestsMock() as replay:
        replay.add(
            responses.GET,
            "https://iam.googleapis.com/v1/projects/odd-project/serviceAccounts",
            body="<html>captive portal</html>",
            status=200,
        )
        apis = GoogleApis(AnonymousCredentials(), retry_initial=0.001)
        with pytest.raises(gcp.GoogleFailure) as failure:
            apis.raw_list(LIST_SERVICE_ACCOUNTS, project="odd-project")
    assert (failure.value.code, failure.value.read.permission) == ("MalformedResponse", "iam.serviceAccounts.list")


def test_to_json_is_the_proto3_json_mapping() -> None:
    job = aiplatform.CustomJob(
        display_name="train",
        state=aiplatform.JobState.JOB_STATE_SUCCEEDED,
        encryption_spec=aiplatform.EncryptionSpec(kms_key_name="projects/p/locations/l/keyRings/r/cryptoKeys/k"),
    )
    # lowerCamelCase names, enum names rather than numbers, fields left at their default omitted.
    assert to_json(job) == {
        "displayName": "train",
        "state": "JOB_STATE_SUCCEEDED",
        "encryptionSpec": {"kmsKeyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k"},
    }
    assert to_json(job._pb) == to_json(job)  # a bare protobuf message maps the same


def test_a_read_is_made_only_the_way_it_is_declared() -> None:
    apis = GoogleApis(AnonymousCredentials())
    with pytest.raises(TypeError, match="through a client, not REST"):
        apis.raw_list(GET_PROJECT)
    with pytest.raises(TypeError, match="through REST, not a client"):
        apis.get(LIST_SERVICE_ACCOUNTS, {})


def _numbered_pages(replay: responses.RequestsMock, url: str, key: str, pages: int | None) -> list[str]:
    """`url` answers `pages` pages of one item each (None: every page names a new token); returns the URLs
    asked for."""
    served: list[str] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        served.append(request.url)
        n = len(served)
        body: dict[str, Any] = {key: [{"name": f"item-{n}"}]}
        if pages is None or n < pages:
            body["nextPageToken"] = f"token-{n}"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    replay.add_callback(responses.GET, url, callback=answer)
    return served


BUDGETS = "https://billingbudgets.googleapis.com/v1/billingAccounts/000000-AAAAAA-BBBBBB/budgets"
ACCOUNTS = "https://iam.googleapis.com/v1/projects/endless-project/serviceAccounts"


def _read_all(apis: GoogleApis, through: str) -> list[dict[str, Any]]:
    if through == "client":
        return apis.list(LIST_BUDGETS, {"parent": "billingAccounts/000000-AAAAAA-BBBBBB", "page_size": 100})
    return apis.raw_list(LIST_SERVICE_ACCOUNTS, project="endless-project")


@pytest.mark.parametrize(("through", "url", "key"), [("client", BUDGETS, "budgets"), ("raw", ACCOUNTS, "accounts")])
def test_a_list_whose_pages_never_end_fails_at_max_pages(through: str, url: str, key: str) -> None:
    """Every page naming a new token was followed forever, by the generated clients' pagers and the raw reader."""
    with responses.RequestsMock() as replay:
        served = _numbered_pages(replay, url, key, None)
        apis = GoogleApis(AnonymousCredentials(), retry_initial=0.001, max_pages=5)
        with pytest.raises(gcp.GoogleFailure) as endless:
            _read_all(apis, through)
    assert endless.value.code == "TooManyPages" and "5 pages" in endless.value.message
    assert len(served) == 5


@pytest.mark.parametrize(("through", "url", "key"), [("client", BUDGETS, "budgets"), ("raw", ACCOUNTS, "accounts")])
def test_a_list_of_exactly_max_pages_is_read_whole(through: str, url: str, key: str) -> None:
    with responses.RequestsMock() as replay:
        served = _numbered_pages(replay, url, key, 5)
        items = _read_all(GoogleApis(AnonymousCredentials(), retry_initial=0.001, max_pages=5), through)
    assert [item["name"] for item in items] == [f"item-{n}" for n in range(1, 6)]
    assert len(served) == 5


# -- reads that get no answer, through real sockets --------------------------------------------------------------


def _read_one(apis: GoogleApis, through: str) -> Any:
    if through == "client":
        return apis.get(GET_PROJECT, {"name": "projects/ml-prod-4521"})
    return apis.raw_list(LIST_SERVICE_ACCOUNTS, project="ml-prod-4521")


def _apis_at(url: str, **settings: Any) -> GoogleApis:
    """Resource Manager (a generated client) and IAM (raw REST) reached at `url`."""
    endpoints = Endpoints(overrides={"cloudresourcemanager": url, "iam": url})
    return GoogleApis(AnonymousCredentials(), endpoints, retry_initial=0.01, **settings)


@pytest.mark.parametrize("through", ["client", "raw"])
def test_a_dripping_server_holds_each_attempt_no_longer_than_its_timeout(through: str) -> None:
    """A read whose server sends a byte every 0.2 s ends after NETWORK_ATTEMPTS attempts of 1 s each, where each
    attempt used to last as long as the server kept dripping."""
    with local_server("body", interval=0.2) as server:
        started = time.monotonic()
        with pytest.raises(gcp.GoogleFailure) as slow:
            _read_one(_apis_at(server.url, attempt_timeout=1.0), through)
        elapsed = time.monotonic() - started
    assert slow.value.code == "RETRIES_EXHAUSTED" and "no complete answer within 1 s" in slow.value.message
    assert server.accepted == NETWORK_ATTEMPTS
    assert NETWORK_ATTEMPTS * 1.0 <= elapsed < NETWORK_ATTEMPTS * 1.0 + 4, elapsed


@pytest.fixture
def refusing_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Counter[tuple[str, int]]]]:
    """A local URL whose port refuses connections (bound, never listening), and the connections tried."""
    connect = urllib3.util.connection.create_connection
    tried: Counter[tuple[str, int]] = Counter()

    def counted(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        tried[address] += 1
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counted)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield "http://127.0.0.1:%d" % sock.getsockname()[1], tried


@pytest.mark.parametrize("through", ["client", "raw"])
def test_an_unreachable_host_is_given_a_few_attempts_not_the_retry_deadline(
    refusing_url: tuple[str, Counter[tuple[str, int]]], through: str
) -> None:
    url, tried = refusing_url
    started = time.monotonic()
    with pytest.raises(gcp.GoogleFailure) as refused:
        _read_one(_apis_at(url, retry_timeout=30.0), through)
    assert refused.value.code == "RETRIES_EXHAUSTED" and "Connection refused" in refused.value.message
    assert list(tried.values()) == [NETWORK_ATTEMPTS]
    assert time.monotonic() - started < 5
