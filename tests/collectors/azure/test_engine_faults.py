"""Faults from Azure Resource Manager, injected into the recorded estate under the real SDK pipeline.

Throttling, denials, connection resets, timeouts and malformed answers are
registered on the `responses` replay in front of (or instead of) the estate's
recorded answers. A transient fault must change nothing; a lasting one must be
retried a bounded number of times and then become an ERROR naming the RBAC
action; garbage must never be judged PASS.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from azure.core.pipeline.transport import HttpTransport

from collectors.azure import ArmReader, AzureEngine
from collectors.azure.arm import RETRY_ATTEMPTS, is_arm_id
from collectors.kernel import MAX_PAGES
from cspm_ai.demo import DemoCredential
from cspm_ai.engine import Snapshot
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Finding, Status
from cspm_ai.scan import evaluate_snapshot, run_scan
from moto_fixtures.azure_estate import (
    PROD_SUBSCRIPTION_ID,
    AzureEstateManifest,
    register_azure_estate,
)

ENDPOINT = "https://management.azure.com"
PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/providers"
WORKSPACES = f"{PROD}/Microsoft.MachineLearningServices/workspaces"
COGNITIVE = f"{PROD}/Microsoft.CognitiveServices/accounts"
# An AI services account and every kind listed under it.
COGNITIVE_FAMILY = (
    "azure.cognitive.account",
    "azure.cognitive.deployment",
    "azure.cognitive.rai_policy",
    "azure.cognitive.project",
    "azure.cognitive.connection",
    "azure.cognitive.project_connection",
)
STARTED = datetime(2026, 6, 11, tzinfo=UTC)
ZT3 = "azure.authorization.deploy_export_roles_time_bound"
ZT4 = "azure.subscription.assume_breach_review"
ALLOWED = ["eastus2"]

# One route's registrations: the keyword arguments register_azure_estate passes to `responses.add`.
Answer = dict[str, Any]
Plan = Callable[[int, str, Answer], list[Answer]]


class _FaultyReplay:
    """Stands in for the RequestsMock given to register_azure_estate: each recorded route is
    registered as the answers `plan` returns for it. `responses` serves a URL's answers in
    registration order and repeats the last, so faults placed first are what the client meets first."""

    def __init__(self, replay: responses.RequestsMock, plan: Plan) -> None:
        self.replay, self.plan, self.ordinal = replay, plan, 0

    def add(self, method: str, url: str, **answer: Any) -> None:
        for planned in self.plan(self.ordinal, url.removeprefix(ENDPOINT), answer):
            self.replay.add(method, url, **planned)
        self.ordinal += 1


def _clean(ordinal: int, path: str, answer: Answer) -> list[Answer]:
    return [answer]


def _fault(answer: Answer, **fault: Any) -> Answer:
    """A fault on the same URL and query as the recorded answer."""
    return {"match": answer["match"], **fault}


def _arm_error(status: int, code: str, message: str, **headers: str) -> dict[str, Any]:
    return {"status": status, "json": {"error": {"code": code, "message": message}}, "headers": headers or None}


@dataclass
class Scanned:
    manifest: AzureEstateManifest
    result: CollectionResult
    findings: list[Finding]
    attempts: Counter[str]  # path -> requests made, faults included
    hosts: Counter[str]  # host (and port, user) -> requests made

    def by_key(self) -> dict[tuple[str, str], tuple[str, str]]:
        return {(f.check_id, f.resource_uid): (f.status.value, f.message) for f in self.findings}

    def on(self, uid: str) -> list[Finding]:
        return [f for f in self.findings if f.resource_uid == uid]


def _scan(plan: Plan = _clean, *, denied: bool = False, max_pages: int = MAX_PAGES) -> Scanned:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(_FaultyReplay(replay, plan), denied_subscription=denied)  # type: ignore[arg-type]
        reader = ArmReader(DemoCredential(), manifest.arm_endpoint, max_pages=max_pages)
        result = AzureEngine(reader, workers=4).collect()
        attempts = Counter(c.request.url.split("?")[0].removeprefix(ENDPOINT) for c in replay.calls)
        hosts = Counter(urlsplit(c.request.url).netloc for c in replay.calls)
    snapshot = Snapshot(result.resources, result.relations, result.errors)
    return Scanned(manifest, result, evaluate_snapshot(snapshot, ["azure"], STARTED, ALLOWED), attempts, hosts)


@pytest.fixture(scope="module")
def baseline() -> Scanned:
    return _scan()


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every back-off the SDK pipeline asks for, recorded instead of slept, so the real retry
    settings (Retry-After, exponential back-off) are exercised without slowing the suite."""
    asked: list[float] = []
    monkeypatch.setattr(HttpTransport, "sleep", lambda self, duration: asked.append(duration))
    yield asked


def _without(findings: list[Finding], *resource_types: str) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (f.check_id, f.resource_uid): (f.status.value, f.message)
        for f in findings
        if f.resource_type not in resource_types
    }


# -- throttling ------------------------------------------------------------------------------------------------


def test_throttling_on_a_share_of_calls_is_retried_and_changes_nothing(baseline: Scanned, sleeps: list[float]) -> None:
    """tests/collectors/azure/test_engine.py throttles one call once; here a third of all reads answer 429
    with Retry-After, another third 503, and the workspace list stays throttled for six answers in a row."""
    injected: Counter[int] = Counter()

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        if path == WORKSPACES and ordinal == min(throttled_lists, default=ordinal):
            throttled_lists.append(ordinal)
            faults = [_fault(answer, **_arm_error(429, "TooManyRequests", "throttled", **{"Retry-After": "7"}))] * 6
        elif ordinal % 3 == 0:
            faults = [_fault(answer, **_arm_error(429, "TooManyRequests", "throttled", **{"Retry-After": "7"}))]
        elif ordinal % 3 == 1:
            faults = [_fault(answer, **_arm_error(503, "ServiceUnavailable", "try again later"))]
        else:
            faults = []
        for fault in faults:
            injected[fault["status"]] += 1
        return [*faults, answer]

    throttled_lists: list[int] = []
    throttled = _scan(plan)
    assert throttled.result.errors == []
    assert throttled.by_key() == baseline.by_key()
    assert [(r.uid, r.config, r.tags) for r in throttled.result.resources] == [
        (r.uid, r.config, r.tags) for r in baseline.result.resources
    ]
    assert throttled.result.relations == baseline.result.relations
    # Every injected fault was met and retried: one extra request each.
    assert sum(throttled.attempts.values()) == sum(baseline.attempts.values()) + sum(injected.values())
    assert injected[429] > 10 and injected[503] > 10
    # Each 429 waited exactly its Retry-After.
    assert sleeps.count(7.0) == injected[429]


def test_throttling_that_never_ends_is_retried_a_bounded_number_of_times_then_error(baseline: Scanned) -> None:
    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        if path == COGNITIVE:
            return [_fault(answer, **_arm_error(429, "TooManyRequests", "throttled", **{"Retry-After": "1"}))]
        return [answer]

    throttled = _scan(plan)
    assert throttled.attempts[COGNITIVE] == 1 + RETRY_ATTEMPTS
    assert [(e.operation, e.code) for e in throttled.result.errors] == [
        ("Microsoft.CognitiveServices/accounts/read", "TooManyRequests")
    ]
    cognitive = [f for f in throttled.findings if f.resource_type == "azure.cognitive.account"]
    assert cognitive and {f.status for f in cognitive} == {Status.ERROR}
    assert all("Microsoft.CognitiveServices/accounts/read" in f.message for f in cognitive)
    # The AI services account named the key it encrypts with; unread, that key is not fetched either, nor is what
    # is listed under the accounts (deployments, content filters, projects, connections).
    unread = ("azure.keyvault.key", *COGNITIVE_FAMILY)
    # The operator's role assignment is scoped to the unread account: whether its grant reaches an AI resource is
    # unknown, so it is ERROR, not the PASS of the recorded estate.
    operator = (ZT3, baseline.manifest.resource_ids["role_assignment:operator"])
    assert baseline.by_key()[operator][0] == "PASS" and throttled.by_key()[operator][0] == "ERROR"
    assert "TooManyRequests" in throttled.by_key()[operator][1]
    assert {k: v for k, v in _without(throttled.findings, *unread).items() if k != operator} == {
        k: v for k, v in _without(baseline.findings, *unread).items() if k != operator
    }


# -- denials ---------------------------------------------------------------------------------------------------


def _denied(action: str) -> dict[str, Any]:
    return _arm_error(
        403,
        "AuthorizationFailed",
        f"The client 'cspm-reader@contoso.com' does not have authorization to perform action "
        f"'{action}' over scope '/subscriptions/{PROD_SUBSCRIPTION_ID}'.",
    )


def test_a_denied_resource_provider_is_error_and_the_rest_is_scanned(baseline: Scanned, tmp_path: Path) -> None:
    """The existing denial tests deny a whole subscription; here one provider (Machine Learning) is denied
    inside a subscription that is otherwise readable, through run_scan so the scan's status is checked."""
    ml = f"{PROD}/Microsoft.MachineLearningServices/"

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        if path.startswith(ml):
            return [_fault(answer, **_denied(f"Microsoft.MachineLearningServices/{path.rsplit('/', 1)[1]}/read"))]
        return [answer]

    inventory = Inventory.open(f"sqlite:///{tmp_path / 'inventory.db'}")
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            register_azure_estate(_FaultyReplay(replay, plan), denied_subscription=False)  # type: ignore[arg-type]
            scan = run_scan(inventory, [AzureEngine(ArmReader(DemoCredential(), ENDPOINT))], allowed_regions=ALLOWED)
        findings, errors = inventory.findings(scan.id), inventory.errors(scan.id)
    finally:
        inventory.close()

    assert scan.status == "incomplete"
    assert sorted((e.operation, e.code, e.account) for e in errors) == [
        ("Microsoft.MachineLearningServices/registries/read", "AuthorizationFailed", PROD_SUBSCRIPTION_ID),
        ("Microsoft.MachineLearningServices/workspaces/read", "AuthorizationFailed", PROD_SUBSCRIPTION_ID),
    ]
    ml_findings = [f for f in findings if f.resource_type.startswith("azure.ml.")]
    assert ml_findings and {f.status for f in ml_findings} == {Status.ERROR}
    assert {f.resource_type for f in ml_findings} == {"azure.ml.workspace", "azure.ml.registry"}
    assert all(
        "AuthorizationFailed" in f.message and "Microsoft.MachineLearningServices/" in f.message for f in ml_findings
    )
    # Every other provider is judged exactly as in a clean scan.
    cognitive = {
        (f.check_id, f.resource_uid): (f.status.value, f.message)
        for f in findings
        if f.resource_type == "azure.cognitive.account"
    }
    assert cognitive == {
        k: v
        for k, v in baseline.by_key().items()
        if k[1] in {f.resource_uid for f in baseline.findings if f.resource_type == "azure.cognitive.account"}
    }
    assert {f.resource_type for f in findings if f.status == Status.PASS} >= {
        "azure.cognitive.account",
        "azure.keyvault.vault",
        "azure.storage.account",
        "azure.subscription",
    }


def test_a_denied_single_read_blinds_only_what_depends_on_it(baseline: Scanned) -> None:
    """One workspace's diagnostic settings and one role definition are denied: only the workspace and
    the assignments granting that role turn ERROR, each naming the action it needed."""
    secure_ws = baseline.manifest.resource_ids["workspace:good"]
    owner_definition = next(
        r.uid
        for r in baseline.result.resources
        if r.type == "azure.authorization.role_definition" and r.config.get("properties", {}).get("roleName") == "Owner"
    )

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        if path == f"{secure_ws}/providers/Microsoft.Insights/diagnosticSettings":
            return [_fault(answer, **_denied("Microsoft.Insights/diagnosticSettings/read"))]
        if path == owner_definition:
            return [_fault(answer, **_denied("Microsoft.Authorization/roleDefinitions/read"))]
        return [answer]

    denied = _scan(plan)
    assert sorted((e.operation, e.resource_uid) for e in denied.result.errors) == sorted(
        [
            ("Microsoft.Insights/diagnosticSettings/read", secure_ws),
            ("Microsoft.Authorization/roleDefinitions/read", owner_definition),
        ]
    )
    # The workspace is still recorded, and no check on it passes.
    assert any(r.uid == secure_ws for r in denied.result.resources)
    on_ws = denied.on(secure_ws)
    assert on_ws and {f.status for f in on_ws} == {Status.ERROR}
    assert all("Microsoft.Insights/diagnosticSettings/read" in f.message for f in on_ws)
    granting = [
        f
        for f in denied.findings
        if f.check_id == "azure.authorization.no_broad_privileged_roles"
        and any(r.src == f.resource_uid and r.dst == owner_definition for r in denied.result.relations)
    ]
    assert granting and {f.status for f in granting} == {Status.ERROR}
    assert all("Microsoft.Authorization/roleDefinitions/read" in f.message for f in granting)
    blinded = {secure_ws, owner_definition, *(f.resource_uid for f in granting)}
    assert {k: v for k, v in denied.by_key().items() if k[1] not in blinded} == {
        k: v for k, v in baseline.by_key().items() if k[1] not in blinded
    }


# -- connection resets and timeouts ----------------------------------------------------------------------------


def test_transient_resets_and_timeouts_are_retried_and_change_nothing(baseline: Scanned) -> None:
    faulted: list[str] = []

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        if ordinal % 2 == 0:
            error: Exception = requests.exceptions.ConnectionError("Connection reset by peer")
        elif ordinal % 5 == 1:
            error = requests.exceptions.ReadTimeout("Read timed out. (read timeout=300)")
        else:
            return [answer]
        faulted.append(path)
        return [_fault(answer, body=error), answer]

    flaky = _scan(plan)
    assert flaky.result.errors == []
    assert flaky.by_key() == baseline.by_key()
    assert [(r.uid, r.config) for r in flaky.result.resources] == [(r.uid, r.config) for r in baseline.result.resources]
    assert len(faulted) > 10
    # Each fault was met once and retried once.
    assert sum(flaky.attempts.values()) == sum(baseline.attempts.values()) + len(faulted)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (requests.exceptions.ConnectionError("Connection reset by peer"), "ServiceRequestError"),
        (requests.exceptions.ReadTimeout("Read timed out. (read timeout=300)"), "ServiceResponseTimeoutError"),
    ],
)
def test_a_read_that_keeps_failing_is_retried_a_bounded_number_of_times_then_error(
    baseline: Scanned, sleeps: list[float], error: Exception, code: str
) -> None:
    vaults = f"{PROD}/Microsoft.KeyVault/vaults"

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        return [_fault(answer, body=error)] if path == vaults else [answer]

    broken = _scan(plan)
    # azure-core retries a connection or read failure 3 times: 4 attempts, then it gives up;
    # the back-off between them grows but stays short.
    assert broken.attempts[vaults] == 4
    assert len(sleeps) < 4 and sum(sleeps) < 10
    assert [(e.operation, e.code, e.resource_type) for e in broken.result.errors] == [
        ("Microsoft.KeyVault/vaults/read", code, "azure.keyvault.vault")
    ]
    vault_findings = [f for f in broken.findings if f.resource_type == "azure.keyvault.vault"]
    assert vault_findings and {f.status for f in vault_findings} == {Status.ERROR}
    assert all("Microsoft.KeyVault/vaults/read" in f.message and code in f.message for f in vault_findings)
    # Keys are fetched from the vaults they live in; with no vault read, none is.
    assert _without(broken.findings, "azure.keyvault.vault", "azure.keyvault.key") == _without(
        baseline.findings, "azure.keyvault.vault", "azure.keyvault.key"
    )


# -- malformed answers -----------------------------------------------------------------------------------------


def _edit(answer: Answer, name: str, change: Callable[[dict[str, Any]], None]) -> Answer:
    """The recorded answer with the item called `name` changed (in a list page or as a single item)."""
    body = copy.deepcopy(answer["json"])
    for item in body.get("value", [body]):
        if item.get("name") == name:
            change(item)
    return {**answer, "json": body}


def test_malformed_items_are_recorded_and_never_judged_pass(baseline: Scanned) -> None:
    ids = baseline.manifest.resource_ids

    def garble_workspace(ws: dict[str, Any]) -> None:
        ws["properties"]["publicNetworkAccess"] = "Sometimes"  # an enum value ARM does not define
        ws["properties"]["managedNetwork"] = "AllowOnlyApprovedOutbound"  # a string where an object belongs

    def garble_instance(ci: dict[str, Any]) -> None:
        ci["properties"]["properties"]["sshSettings"] = "Disabled"  # a string where an object belongs

    def garble_cluster(cluster: dict[str, Any]) -> None:
        del cluster["properties"]["computeType"]  # a required field missing

    def garble_account(account: dict[str, Any]) -> None:
        account["properties"]["disableLocalAuth"] = "true"  # a string where a boolean belongs

    def garble_assignment(assignment: dict[str, Any]) -> None:
        assignment["properties"] = "Owner"  # a string where an object belongs

    owner_assignment = next(
        r
        for r in baseline.result.resources
        if r.type == "azure.authorization.role_assignment"
        and baseline.by_key()[("azure.authorization.no_broad_privileged_roles", r.uid)][0] == "FAIL"
    )
    edits = {
        (WORKSPACES, "mlw-secure"): garble_workspace,
        (f"{ids['workspace:good']}/computes", "ci-secure"): garble_instance,
        (f"{ids['workspace:bad']}/computes", "aml-open-cluster"): garble_cluster,
        (COGNITIVE, "aoai-secure"): garble_account,
        (f"{PROD}/Microsoft.Authorization/roleAssignments", owner_assignment.name): garble_assignment,
    }

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        for (where, name), change in edits.items():
            if path == where:
                answer = _edit(answer, name, change)
        return [answer]

    garbled = _scan(plan)
    assert garbled.result.errors == []
    stored = {r.uid: r for r in garbled.result.resources}
    assert stored[ids["workspace:good"]].config["properties"]["publicNetworkAccess"] == "Sometimes"
    assert stored[owner_assignment.uid].config["properties"] == "Owner"

    def verdict(check: str, uid: str) -> tuple[str, str]:
        return garbled.by_key()[(f"azure.{check}", uid)]

    # Fail closed, naming the value it was given.
    status, message = verdict("ml.workspace_public_network_disabled", ids["workspace:good"])
    assert status == "FAIL" and "Sometimes" in message
    assert verdict("ml.workspace_managed_network_isolation", ids["workspace:good"])[0] == "FAIL"
    status, message = verdict("cognitive.account_local_auth_disabled", ids["cognitive:good"])
    assert status == "FAIL" and "'true'" in message
    # Cannot be judged at all: ERROR saying what was wrong.
    for check, uid, what in [
        ("ml.compute_no_public_ssh", ids["compute:good"], "sshSettings"),
        ("ml.compute_no_public_ip", ids["compute:bad"], "computeType"),
        ("ml.compute_no_public_ssh", ids["compute:bad"], "computeType"),
        ("authorization.no_broad_privileged_roles", owner_assignment.uid, "properties"),
    ]:
        status, message = verdict(check, uid)
        assert (status, what in message) == ("ERROR", True), (check, message)
    # Nothing that was not garbled changed.
    touched = {
        ids["workspace:good"],
        ids["compute:good"],
        ids["compute:bad"],
        ids["cognitive:good"],
        owner_assignment.uid,
    }
    assert {k: v for k, v in garbled.by_key().items() if k[1] not in touched} == {
        k: v for k, v in baseline.by_key().items() if k[1] not in touched
    }


@pytest.mark.parametrize(
    ("answer", "resource_type"),
    [
        ({"body": "<html><body>502 Bad Gateway</body></html>", "content_type": "text/html"}, "azure.security.pricing"),
        ({"json": {"value": "Standard"}}, "azure.security.pricing"),
        ({"json": {"value": {"name": "AI"}}}, "azure.security.pricing"),
        ({"json": {"value": ["AI", "CloudPosture"]}}, "azure.security.pricing"),
        ({"json": {"nextLink": None}}, "azure.security.pricing"),
        ({"json": [{"name": "AI"}]}, "azure.security.pricing"),
    ],
)
def test_a_malformed_list_page_is_error_not_a_crash_nor_an_empty_list(
    baseline: Scanned, answer: Answer, resource_type: str
) -> None:
    pricings = f"{PROD}/Microsoft.Security/pricings"

    def plan(ordinal: int, path: str, recorded: Answer) -> list[Answer]:
        return [_fault(recorded, **answer)] if path == pricings else [recorded]

    broken = _scan(plan)
    assert [(e.operation, e.code) for e in broken.result.errors] == [
        ("Microsoft.Security/pricings/read", "MalformedResponse")
    ]
    blind = [
        f
        for f in broken.findings
        if f.account == PROD_SUBSCRIPTION_ID
        and (f.resource_type == resource_type or f.check_id == "azure.security.defender_for_ai_present")
    ]
    assert blind and {f.status for f in blind} == {Status.ERROR}
    assert _without(broken.findings, resource_type, "azure.subscription") == _without(
        baseline.findings, resource_type, "azure.subscription"
    )


def test_a_non_json_item_read_is_error_on_that_resource(baseline: Scanned) -> None:
    open_ws = baseline.manifest.resource_ids["workspace:bad"]
    settings = f"{open_ws}/providers/Microsoft.Insights/diagnosticSettings"

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        return [_fault(answer, body='{"value": [', content_type="application/json")] if path == settings else [answer]

    broken = _scan(plan)
    assert [(e.operation, e.code, e.resource_uid) for e in broken.result.errors] == [
        ("Microsoft.Insights/diagnosticSettings/read", "MalformedResponse", open_ws)
    ]
    on_ws = broken.on(open_ws)
    assert on_ws and {f.status for f in on_ws} == {Status.ERROR}
    assert {k: v for k, v in broken.by_key().items() if k[1] != open_ws} == {
        k: v for k, v in baseline.by_key().items() if k[1] != open_ws
    }


# -- lists that go on ------------------------------------------------------------------------------------------


def test_a_list_longer_than_max_pages_is_error_not_cut_short(baseline: Scanned) -> None:
    """The recorded workspace list has four pages; with one page allowed it is a failed list, never its first page
    alone. No other list of the estate has a second page."""
    capped = _scan(max_pages=1)
    assert [(e.operation, e.code, e.account, e.resource_uid) for e in capped.result.errors] == [
        ("Microsoft.MachineLearningServices/workspaces/read", "TooManyPages", PROD_SUBSCRIPTION_ID, None)
    ]
    assert not [r for r in capped.result.resources if r.type == "azure.ml.workspace"]
    blind = [f for f in capped.findings if f.resource_uid.endswith(":global:azure.ml.workspace")]
    assert blind and {f.status for f in blind} == {Status.ERROR}
    assert all("TooManyPages" in f.message and "1 pages" in f.message for f in blind)
    # What lives under the workspaces and the key only a workspace names are unread with them; everything else
    # is judged as with no cap.
    workspaces = tuple(r.uid for r in baseline.result.resources if r.type == "azure.ml.workspace")
    # (The secure workspace and the AI Foundry hub both name one key.)
    [ws_key] = {r.dst for r in baseline.result.relations if r.src in workspaces and r.kind == "encrypted_by"}

    # The subscription's assume-breach review starts from its workspaces: unlisted, it is ERROR.
    review = (ZT4, f"/subscriptions/{PROD_SUBSCRIPTION_ID}")
    assert capped.by_key()[review][0] == "ERROR"

    def rest(scanned: Scanned) -> dict[tuple[str, str], tuple[str, str]]:
        return {
            k: v
            for k, v in scanned.by_key().items()
            if not k[1].startswith(workspaces)
            and k[1] != ws_key
            and not k[1].endswith(":global:azure.ml.workspace")
            and k != review
        }

    assert rest(capped) == rest(baseline)


# -- ids that are not ARM ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "https://attacker.example.net/loot",  # a URL where an ARM id belongs
        "@attacker.example.net/loot",  # appended to the endpoint, the endpoint's host becomes a user name
        ".attacker.example.net/loot",  # appended to the endpoint, a subdomain of the attacker's host
        "subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",  # no leading slash
    ],
)
def test_a_reference_that_is_not_an_arm_id_is_error_on_its_resource_and_never_fetched(
    baseline: Scanned, hostile: str
) -> None:
    """A workspace's keyVaultArmId and a role assignment's roleDefinitionId name what is fetched next. Neither
    may send the bearer token anywhere: each is malformed data, an ERROR on the resource that holds it."""
    ids = baseline.manifest.resource_ids
    workspace, assignment = ids["workspace:good"], ids["role_assignment:owner"]
    key, definition = (
        next(r.dst for r in baseline.result.relations if r.src == src and r.kind == kind)
        for src, kind in ((workspace, "encrypted_by"), (assignment, "assigns_role"))
    )

    def point_key(ws: dict[str, Any]) -> None:
        ws["properties"]["encryption"]["keyVaultProperties"]["keyVaultArmId"] = hostile

    def point_role(ra: dict[str, Any]) -> None:
        ra["properties"]["roleDefinitionId"] = hostile

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        if path == WORKSPACES:
            return [_edit(answer, "mlw-secure", point_key)]
        if path == f"{PROD}/Microsoft.Authorization/roleAssignments":
            return [_edit(answer, assignment.rsplit("/", 1)[1], point_role)]
        return [answer]

    hostile_scan = _scan(plan)
    assert set(hostile_scan.hosts) == {"management.azure.com"}
    # Every path read is the subscription list or an ARM id: under a subscription, or a tenant-wide built-in (the
    # benchmark initiative an assignment names).
    assert all(path == "/subscriptions" or is_arm_id(path) for path in hostile_scan.attempts)
    assert sorted((e.operation, e.code, e.resource_uid) for e in hostile_scan.result.errors) == [
        ("Microsoft.Authorization/roleDefinitions/read", "MalformedReference", assignment),
        ("Microsoft.KeyVault/vaults/keys/read", "MalformedReference", workspace),
    ]
    assert all(hostile in e.message for e in hostile_scan.result.errors)
    verdicts = hostile_scan.by_key()
    # Both were PASS or FAIL on the recorded estate; neither may be judged on an id that names nothing.
    for check, uid in (
        ("azure.ml.workspace_cmk_encryption", workspace),
        ("azure.authorization.no_broad_privileged_roles", assignment),
    ):
        assert baseline.by_key()[(check, uid)][0] in ("PASS", "FAIL")
        status, message = verdicts[(check, uid)]
        assert status == "ERROR" and "MalformedReference" in message, (check, message)
    assert {status for (_, uid), (status, _) in verdicts.items() if uid in (workspace, assignment)} == {"ERROR"}
    # The key and role definition they named are not read, and nothing else changes.
    unread = {workspace, assignment, key, definition}
    assert {k: v for k, v in verdicts.items() if k[1] not in unread} == {
        k: v for k, v in baseline.by_key().items() if k[1] not in unread
    }


def test_a_listed_item_whose_id_is_not_an_arm_id_is_error_and_nothing_is_read_under_it(baseline: Scanned) -> None:
    """A workspace's endpoints, computes and diagnostic settings are read under its id: a listed id that is not
    an ARM id blinds the list (ERROR), and nothing is requested under it."""
    open_ws = baseline.manifest.resource_ids["workspace:bad"]

    def rename(ws: dict[str, Any]) -> None:
        ws["id"] = ".attacker.example.net/loot"

    def plan(ordinal: int, path: str, answer: Answer) -> list[Answer]:
        return [_edit(answer, open_ws.rsplit("/", 1)[1], rename)] if path == WORKSPACES else [answer]

    renamed = _scan(plan)
    assert set(renamed.hosts) == {"management.azure.com"}
    assert [(e.operation, e.code, e.resource_type, e.resource_uid) for e in renamed.result.errors] == [
        ("Microsoft.MachineLearningServices/workspaces/read", "MalformedResponse", "azure.ml.workspace", None)
    ]
    blind = [f for f in renamed.findings if f.resource_uid.endswith(":global:azure.ml.workspace")]
    assert blind and {f.status for f in blind} == {Status.ERROR}
    assert all(".attacker.example.net/loot" in f.message for f in blind)
    # Only the renamed workspace and what lives under it are unread; everything else is judged as before, but for
    # the data scientists' grant on the other workspace: with the workspace list blind, it is ERROR.
    # The same goes for the subscription's assume-breach review, which starts from the workspaces.
    scientists = (ZT3, baseline.manifest.resource_ids["role_assignment:data_scientist"])
    review = (ZT4, f"/subscriptions/{PROD_SUBSCRIPTION_ID}")
    assert renamed.by_key()[scientists][0] == renamed.by_key()[review][0] == "ERROR"
    kept = {
        k: v
        for k, v in renamed.by_key().items()
        if not k[1].endswith(":global:azure.ml.workspace") and k not in (scientists, review)
    }
    assert kept == {
        k: v for k, v in baseline.by_key().items() if not k[1].startswith(open_ws) and k not in (scientists, review)
    }


def test_fault_plans_register_the_estate_unchanged_when_clean(baseline: Scanned) -> None:
    """The wrapper itself must not alter the estate: a clean plan yields the manifest's expectations."""
    got = {
        (f.check_id, f.resource_name): f.status.value
        for f in baseline.findings
        if f.account == baseline.manifest.prod_subscription_id
    }
    assert {k: got.get(k) for k in baseline.manifest.expected} == baseline.manifest.expected
