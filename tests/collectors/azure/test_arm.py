"""Raw ARM reads under the real azure-core pipeline, replayed from recorded responses."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import responses
from azure.core.credentials import AccessToken

from collectors.azure.arm import CLOUDS, ArmFailure, ArmReader, rbac_action

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "azure"
RECORDED = json.loads((FIXTURES / "workspaces_listBySubscription.json").read_text())
SUB = RECORDED["subscription"]
WORKSPACES = f"/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices/workspaces"
API = "2025-06-01"


class FakeCredential:
    """Hands out a token without any sign-in call; records the scopes it was asked for."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)


def _register_pages(base: str = "https://management.azure.com") -> None:
    first, second = json.loads(json.dumps(RECORDED["pages"]))
    # Each cloud's Resource Manager links to its own host.
    first["nextLink"] = first["nextLink"].replace("https://management.azure.com", base)
    responses.get(
        f"{base}{WORKSPACES}", json=first, match=[responses.matchers.query_param_matcher({"api-version": API})]
    )
    responses.get(
        f"{base}{WORKSPACES}",
        json=second,
        match=[responses.matchers.query_param_matcher({"api-version": API, "$skip": "1"})],
    )


@responses.activate
def test_lists_follow_next_link_with_bearer_auth() -> None:
    _register_pages()
    credential = FakeCredential()
    items = ArmReader(credential).list(WORKSPACES, API)
    assert [w["name"] for w in items] == ["secure-ws", "open-ws"]
    assert items[1]["properties"]["publicNetworkAccess"] == "Enabled"
    assert items[1]["tags"]["owner"] == "<script>alert(1)</script>"
    assert all(c.request.headers["Authorization"] == "Bearer fake-token" for c in responses.calls)
    assert credential.scopes[0] == ("https://management.azure.com/.default",)
    assert len(responses.calls) == 2


@responses.activate
def test_throttling_is_retried_after_retry_after_and_changes_nothing() -> None:
    first, second = RECORDED["pages"]
    url = f"https://management.azure.com{WORKSPACES}"
    responses.get(
        url,
        status=429,
        headers={"Retry-After": "1"},
        json={"error": {"code": "TooManyRequests", "message": "Rate limit exceeded"}},
    )
    _register_pages()
    started = time.monotonic()
    items = ArmReader(FakeCredential()).list(WORKSPACES, API)
    assert [w["name"] for w in items] == ["secure-ws", "open-ws"]
    assert [c.response.status_code for c in responses.calls] == [429, 200, 200]
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured, not ignored


@responses.activate
def test_denied_read_names_the_missing_permission() -> None:
    responses.get(
        f"https://management.azure.com{WORKSPACES}",
        status=403,
        json={
            "error": {
                "code": "AuthorizationFailed",
                "message": "The client 'x' does not have authorization to perform action "
                "'Microsoft.MachineLearningServices/workspaces/read' over scope '/subscriptions/...'",
            }
        },
    )
    with pytest.raises(ArmFailure) as denied:
        ArmReader(FakeCredential()).list(WORKSPACES, API)
    failure = denied.value
    assert (failure.action, failure.status, failure.code) == (
        "Microsoft.MachineLearningServices/workspaces/read",
        403,
        "AuthorizationFailed",
    )
    assert "does not have authorization" in failure.message


@responses.activate
@pytest.mark.parametrize("body", ["<html>gateway</html>", "[1, 2]"])
def test_a_malformed_answer_is_a_failure_not_an_empty_list(body: str) -> None:
    responses.get(f"https://management.azure.com{WORKSPACES}", body=body, content_type="application/json")
    with pytest.raises(ArmFailure) as bad:
        ArmReader(FakeCredential()).list(WORKSPACES, API)
    assert bad.value.code == "MalformedResponse"


@responses.activate
def test_sovereign_cloud_uses_its_own_endpoint_and_token_scope() -> None:
    usgov = CLOUDS["usgov"].arm_endpoint
    _register_pages(usgov)
    credential = FakeCredential()
    assert len(ArmReader(credential, usgov).list(WORKSPACES, API)) == 2
    assert credential.scopes[0] == ("https://management.usgovcloudapi.net/.default",)
    assert all(c.request.url.startswith(usgov) for c in responses.calls)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        (WORKSPACES, "Microsoft.MachineLearningServices/workspaces/read"),
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/"
            "onlineEndpoints",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read",
        ),
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/"
            "providers/Microsoft.Insights/diagnosticSettings",
            "Microsoft.Insights/diagnosticSettings/read",
        ),
        (
            f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments",
            "Microsoft.Authorization/roleAssignments/read",
        ),
        ("/subscriptions", "Microsoft.Resources/subscriptions/read"),
        (f"/subscriptions/{SUB}/resourceGroups", "Microsoft.Resources/subscriptions/resourceGroups/read"),
    ],
)
def test_rbac_action_of_each_read(path: str, action: str) -> None:
    assert rbac_action(path) == action


@responses.activate
def test_a_next_link_to_another_host_is_refused_before_the_token_is_sent() -> None:
    first = dict(RECORDED["pages"][0], nextLink=f"https://attacker.example{WORKSPACES}?api-version={API}")
    responses.get(f"https://management.azure.com{WORKSPACES}", json=first)
    with pytest.raises(ArmFailure) as refused:
        ArmReader(FakeCredential()).list(WORKSPACES, API)
    assert refused.value.code == "UnexpectedNextLink"
    assert [c.request.url.split("/")[2] for c in responses.calls] == ["management.azure.com"]


@responses.activate
def test_a_repeating_next_link_fails_rather_than_hiding_resources() -> None:
    url = f"https://management.azure.com{WORKSPACES}?api-version={API}"
    responses.get(f"https://management.azure.com{WORKSPACES}", json=dict(RECORDED["pages"][0], nextLink=url))
    with pytest.raises(ArmFailure) as looping:
        ArmReader(FakeCredential()).list(WORKSPACES, API)
    assert looping.value.code == "RepeatedNextLink"


@responses.activate
@pytest.mark.parametrize(
    "target",
    [
        "https://attacker.example.net/loot/keys/k",  # a URL where an ARM id belongs
        "@attacker.example.net/loot/keys/k",  # appended to the endpoint: the endpoint becomes a user name
        ".attacker.example.net/loot/keys/k",  # appended to the endpoint: a subdomain of the attacker's
        ":443@attacker.example.net/loot/keys/k",
        "http://management.azure.com/subscriptions/s/providers/Microsoft.KeyVault/vaults/v/keys/k",  # not TLS
    ],
)
@pytest.mark.parametrize("read", ["get", "list"])
def test_a_read_off_the_arm_endpoint_is_refused_before_any_request_or_token(target: str, read: str) -> None:
    """Only nextLink was checked: an id from the estate, appended to the endpoint or used as a URL, carried the
    bearer token to whatever host it named."""
    credential = FakeCredential()
    with pytest.raises(ArmFailure) as refused:
        getattr(ArmReader(credential), read)(target, "2023-07-01")
    assert refused.value.code == "UnexpectedHost"
    assert "https://management.azure.com" in refused.value.message
    assert len(responses.calls) == 0
    assert credential.scopes == []  # no token was even asked for


def _numbered_pages(pages: int | None) -> list[str]:
    """The workspace list as `pages` pages of one workspace each (None: every page links a new one);
    returns the URLs the reader asked for."""
    served: list[str] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        served.append(request.url)
        n = len(served)
        body: dict[str, Any] = {"value": [{"id": f"{WORKSPACES}/ws-{n}", "name": f"ws-{n}"}]}
        if pages is None or n < pages:
            body["nextLink"] = f"https://management.azure.com{WORKSPACES}?api-version={API}&$skiptoken={n}"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    responses.add_callback(responses.GET, f"https://management.azure.com{WORKSPACES}", callback=answer)
    return served


@responses.activate
def test_a_list_whose_pages_never_end_fails_at_max_pages() -> None:
    """Every page linking a new one was followed forever (3,000 pages in 5 s observed)."""
    served = _numbered_pages(None)
    with pytest.raises(ArmFailure) as endless:
        ArmReader(FakeCredential(), max_pages=5).list(WORKSPACES, API)
    assert (endless.value.code, endless.value.action) == (
        "TooManyPages",
        "Microsoft.MachineLearningServices/workspaces/read",
    )
    assert "5 pages" in endless.value.message
    assert len(served) == 5


@responses.activate
def test_a_list_of_exactly_max_pages_is_read_whole() -> None:
    served = _numbered_pages(5)
    items = ArmReader(FakeCredential(), max_pages=5).list(WORKSPACES, API)
    assert [w["name"] for w in items] == [f"ws-{n}" for n in range(1, 6)]
    assert len(served) == 5
