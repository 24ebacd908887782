"""Google API reads under the real clients and raw REST: endpoints, the proto3 JSON mapping, paging, and every
way a read fails becoming a GoogleFailure naming the permission (responses replay, no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1 import types as aiplatform

import collectors.gcp as gcp
from collectors.gcp import Endpoints, GoogleApis, parse_api_endpoints
from collectors.gcp.api import to_json
from collectors.gcp.specs import GET_PROJECT, LIST_BUDGETS, LIST_SERVICE_ACCOUNTS


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
