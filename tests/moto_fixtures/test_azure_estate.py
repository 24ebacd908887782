"""register_azure_estate replays ARM as ARM answers: envelopes, paging, enum spellings, denial, throttling."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from azure.core.credentials import AccessToken

from collectors.azure.arm import ArmFailure, ArmReader
from cspm_ai.registry import all_checks
from moto_fixtures.azure_estate import (
    API_VERSIONS,
    AZURE_HOSTILE_STRINGS,
    AzureEstateManifest,
    azure_routes,
    register_azure_estate,
)

PROD = "11111111-2222-3333-4444-555555555555"
SUB_LISTS = {
    "workspaces": ("Microsoft.MachineLearningServices/workspaces", API_VERSIONS["ml"]),
    "registries": ("Microsoft.MachineLearningServices/registries", API_VERSIONS["ml"]),
    "accounts": ("Microsoft.CognitiveServices/accounts", API_VERSIONS["cognitive"]),
    "vaults": ("Microsoft.KeyVault/vaults", API_VERSIONS["keyvault"]),
    "storage": ("Microsoft.Storage/storageAccounts", API_VERSIONS["storage"]),
    "acr": ("Microsoft.ContainerRegistry/registries", API_VERSIONS["containerregistry"]),
    "role_assignments": ("Microsoft.Authorization/roleAssignments", API_VERSIONS["authorization"]),
    "pricings": ("Microsoft.Security/pricings", API_VERSIONS["security"]),
    "policy_assignments": ("Microsoft.Authorization/policyAssignments", API_VERSIONS["policy"]),
    "budgets": ("Microsoft.Consumption/budgets", API_VERSIONS["consumption"]),
    "search": ("Microsoft.Search/searchServices", API_VERSIONS["search"]),
    "schedule_instances": ("Microsoft.Authorization/roleAssignmentScheduleInstances", API_VERSIONS["schedules"]),
    "purview": ("Microsoft.Purview/accounts", API_VERSIONS["purview"]),
}
ENVELOPE = {"id", "name", "type", "properties"}
TRACKED = ENVELOPE | {"location", "tags", "systemData"}


class FakeCredential:
    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)


def reader(endpoint: str = "https://management.azure.com") -> ArmReader:
    return ArmReader(FakeCredential(), endpoint, retry_backoff_factor=0)


def sub_list(name: str, sub: str = PROD) -> tuple[str, str]:
    rtype, api = SUB_LISTS[name]
    return f"/subscriptions/{sub}/providers/{rtype}", api


@pytest.fixture
def estate() -> Iterator[tuple[AzureEstateManifest, ArmReader]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield register_azure_estate(rsps), reader()


def everything(arm: ArmReader) -> dict[str, list[dict[str, Any]]]:
    """Every list the collector reads in prod, walked the way the collector walks it."""
    found = {name: arm.list(*sub_list(name)) for name in SUB_LISTS}
    ml = API_VERSIONS["ml"]
    for kind in ("onlineEndpoints", "batchEndpoints", "computes", "connections", "schedules"):
        found[kind] = [i for ws in found["workspaces"] for i in arm.list(f"{ws['id']}/{kind}", ml)]
    found["deployments"] = [d for ep in found["onlineEndpoints"] for d in arm.list(f"{ep['id']}/deployments", ml)]
    found["batchDeployments"] = [d for ep in found["batchEndpoints"] for d in arm.list(f"{ep['id']}/deployments", ml)]
    cognitive = API_VERSIONS["cognitive"]
    for kind, segment in (("aiDeployments", "deployments"), ("raiPolicies", "raiPolicies"), ("projects", "projects")):
        found[kind] = [i for a in found["accounts"] for i in arm.list(f"{a['id']}/{segment}", cognitive)]
    found["aiConnections"] = [c for a in found["accounts"] for c in arm.list(f"{a['id']}/connections", cognitive)]
    found["projectConnections"] = [c for p in found["projects"] for c in arm.list(f"{p['id']}/connections", cognitive)]
    found["diagnosticSettings"] = [
        s
        for r in found["workspaces"] + found["accounts"]
        for s in arm.list(f"{r['id']}/providers/Microsoft.Insights/diagnosticSettings", API_VERSIONS["diagnostics"])
    ]
    return found


def type_of_id(rid: str) -> tuple[str, str]:
    """The ARM type an id names (namespace + type segments after the last `providers`) and its name."""
    segments = rid.strip("/").split("/")
    start = len(segments) - 1 - [s.lower() for s in segments][::-1].index("providers")
    rest = segments[start + 1 :]
    return "/".join([rest[0]] + rest[1::2]), rest[-1]


def test_paging_follows_next_link_across_pages(estate: tuple[AzureEstateManifest, ArmReader]) -> None:
    manifest, arm = estate
    workspaces = arm.list(*sub_list("workspaces"))
    assert [w["name"] for w in workspaces] == ["mlw-secure", "mlw-open", "hub-secure", "proj-secure"]
    assert [w["kind"] for w in workspaces] == ["Default", "Default", "Hub", "Project"]
    for ws in workspaces:
        endpoints = arm.list(f"{ws['id']}/onlineEndpoints", API_VERSIONS["ml"])
        assert len(endpoints) == (2 if ws["kind"] == "Default" else 0)
    assert {(w["location"], w["id"].split("/")[4]) for w in workspaces} == {
        ("eastus2", "rg-ml-secure"),
        ("westeurope", "rg-ml-open"),
    }
    assert workspaces[3]["properties"]["hubResourceId"] == workspaces[2]["id"]
    assert manifest.resource_ids["workspace:good"] == workspaces[0]["id"]


def test_next_links_are_absolute_on_the_endpoint_with_skip_and_skip_token() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_azure_estate(rsps)
        arm = reader()
        workspaces = arm.list(*sub_list("workspaces"))
        for ws in workspaces:
            arm.list(f"{ws['id']}/onlineEndpoints", API_VERSIONS["ml"])
        queries = [parse_qs(urlsplit(c.request.url).query) for c in rsps.calls]
        assert all(c.request.url.startswith("https://management.azure.com/") for c in rsps.calls)
    assert sum("$skip" in q for q in queries) == 3
    assert sum("$skipToken" in q for q in queries) == 2
    assert all(q["api-version"] == [API_VERSIONS["ml"]] for q in queries)


def test_every_item_has_the_arm_envelope_and_an_id_matching_its_type(
    estate: tuple[AzureEstateManifest, ArmReader],
) -> None:
    _, arm = estate
    found = everything(arm)
    untracked = {
        "role_assignments",
        "schedule_instances",
        "pricings",
        "policy_assignments",
        "budgets",
        "diagnosticSettings",
        # Proxy resources of an AI services account: no location or tags of their own.
        "aiDeployments",
        "raiPolicies",
        "aiConnections",
        "projectConnections",
        "connections",
        "schedules",
    }
    for kind, items in found.items():
        assert items, kind
        for item in items:
            assert (ENVELOPE if kind in untracked else TRACKED) <= item.keys(), (kind, item["id"])
            rtype, name = type_of_id(item["id"])
            assert rtype.lower() == item["type"].lower(), item["id"]
            assert name == item["name"]
            assert item["id"].startswith(f"/subscriptions/{PROD}/")
    computes = {c["name"]: c for c in found["computes"]}
    assert computes["ci-secure"]["properties"]["properties"]["sshSettings"]["sshPublicAccess"] == "Disabled"
    assert computes["aml-open-cluster"]["properties"]["properties"]["remoteLoginPortPublicAccess"] == "Enabled"
    # Deployment names are unique in the estate, so each expectation names exactly one.
    assert {d["name"] for d in found["deployments"]} == {
        "chat-secure-blue",
        "embed-secure-blue",
        "chat-open-blue",
        "embed-open-blue",
    }
    assert {d["name"] for d in found["batchDeployments"]} == {"nightly-secure", "nightly-open"}
    assert {e["properties"]["defaults"]["deploymentName"] for e in found["batchEndpoints"]} == {
        "nightly-secure",
        "nightly-open",
    }


def test_keys_role_definitions_and_subscriptions_answer_single_gets(
    estate: tuple[AzureEstateManifest, ArmReader],
) -> None:
    manifest, arm = estate
    subs = arm.list("/subscriptions", API_VERSIONS["subscriptions"])
    assert [s["subscriptionId"] for s in subs] == list(manifest.subscription_ids)
    assert arm.get(f"/subscriptions/{PROD}", API_VERSIONS["subscriptions"])["displayName"] == "prod"

    ws = next(w for w in arm.list(*sub_list("workspaces")) if w["name"] == "mlw-secure")
    kv = ws["properties"]["encryption"]["keyVaultProperties"]
    key_name = kv["keyIdentifier"].split("/keys/")[1].split("/")[0]
    key = arm.get(f"{kv['keyVaultArmId']}/keys/{key_name}", API_VERSIONS["keyvault"])
    assert [a["action"]["type"].lower() for a in key["properties"]["rotationPolicy"]["lifetimeActions"]] == [
        "rotate",
        "notify",
    ]
    aoai = next(a for a in arm.list(*sub_list("accounts")) if a["kind"] == "OpenAI")
    key_props = aoai["properties"]["encryption"]["keyVaultProperties"]
    vault = next(v for v in arm.list(*sub_list("vaults")) if v["properties"]["vaultUri"] == key_props["keyVaultUri"])
    other = arm.get(f"{vault['id']}/keys/{key_props['keyName']}", API_VERSIONS["keyvault"])
    assert "rotationPolicy" not in other["properties"]

    for assignment in arm.list(*sub_list("role_assignments")):
        definition = arm.get(assignment["properties"]["roleDefinitionId"], API_VERSIONS["authorization"])
        assert definition["name"] == assignment["properties"]["roleDefinitionId"].rsplit("/", 1)[1]


def test_enum_spellings_and_defaults_follow_the_reference(estate: tuple[AzureEstateManifest, ArmReader]) -> None:
    _, arm = estate
    found = everything(arm)
    ws = {w["name"]: w for w in found["workspaces"]}
    assert ws["mlw-secure"]["identity"]["type"] == "SystemAssigned,UserAssigned"  # ML: no space
    assert ws["mlw-secure"]["properties"]["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert ws["mlw-secure"]["properties"]["systemDatastoresAuthMode"] == "Identity"
    assert ws["mlw-open"]["properties"]["systemDatastoresAuthMode"] == "AccessKey"
    assert "managedNetwork" not in ws["mlw-open"]["properties"]
    assert ws["mlw-open"]["properties"]["v1LegacyMode"] is True
    accounts = {a["name"]: a for a in found["accounts"]}
    assert accounts["aoai-secure"]["identity"]["type"] == "SystemAssigned, UserAssigned"  # Cognitive: a space
    assert accounts["aoai-secure"]["properties"]["encryption"]["keySource"] == "Microsoft.KeyVault"
    assert "disableLocalAuth" not in accounts["ais-open"]["properties"]
    assert accounts["ais-open"]["kind"] == "AIServices"
    endpoints = {e["name"]: e["properties"] for e in found["onlineEndpoints"]}
    assert {(p["publicNetworkAccess"], p["authMode"]) for p in endpoints.values()} == {
        ("Disabled", "AADToken"),
        ("Enabled", "Key"),
        ("Disabled", "Key"),
    }
    vaults = {v["name"]: v["properties"] for v in found["vaults"]}
    assert (
        vaults["kv-secure-ml"]["enablePurgeProtection"] is True and "enablePurgeProtection" not in vaults["kv-open-ml"]
    )
    tls = {s["name"]: s["properties"]["minimumTlsVersion"] for s in found["storage"]}
    assert tls == {"stsecureml": "TLS1_2", "stopenml": "TLS1_0"}
    tiers = {p["name"]: p["properties"]["pricingTier"] for p in found["pricings"]}
    assert tiers == {"AI": "Free", "CloudPosture": "Standard", "StorageAccounts": "Standard", "KeyVaults": "Standard"}
    diag = {s["name"]: s for s in found["diagnosticSettings"]}
    assert {g["categoryGroup"] for s in diag.values() for g in s["properties"]["logs"]} == {"audit", "allLogs"}
    assert arm.get(
        f"{ws['mlw-open']['id']}/providers/Microsoft.Insights/diagnosticSettings", API_VERSIONS["diagnostics"]
    ) == {"value": []}


def test_shared_identity_hostile_data_and_secrets_are_present(estate: tuple[AzureEstateManifest, ArmReader]) -> None:
    manifest, arm = estate
    found = everything(arm)
    shared = manifest.resource_ids["identity:shared"]
    users = [
        r["name"]
        for r in found["computes"] + found["onlineEndpoints"]
        if shared in ((r.get("identity") or {}).get("userAssignedIdentities") or {})
    ]
    assert sorted(users) == ["aml-open-cluster", "chat-open-ep"]
    text = repr(found)
    for hostile in AZURE_HOSTILE_STRINGS:
        assert hostile in text or repr(hostile)[1:-1] in text, hostile
    assert set(manifest.hostile_strings) == set(AZURE_HOSTILE_STRINGS)
    tag_secret, env_secret, pg_password, aoai_key, batch_password, bearer, *key_file = manifest.secrets
    assert any(a["tags"].get("api_key") == tag_secret for a in found["accounts"])
    assert env_secret.startswith("sk-proj-") and len(env_secret) == 48
    variables = {k: v for d in found["deployments"] for k, v in d["properties"]["environmentVariables"].items()}
    assert variables["OPENAI_API_KEY"] == env_secret and variables["PGPASSWORD"] == pg_password
    assert len(aoai_key) == 32 and variables["AZURE_OPENAI_KEY"] == aoai_key
    batch = [
        json.loads(v)
        for d in found["batchDeployments"]
        for k, v in d["properties"]["environmentVariables"].items()
        if k == "DB_CONFIG"
    ]
    assert [b["password"] for b in batch] == [batch_password]
    # The startup script of the scripted instance: base64 in scriptData, wrapping a base64 key file at 76 columns.
    [scripted] = [c for c in found["computes"] if c["name"] == "ci-open-scripts"]
    startup = scripted["properties"]["properties"]["setupScripts"]["scripts"]["startupScript"]
    script = base64.b64decode(startup["scriptData"]).decode()
    key_lines = [line for line in script.splitlines() if len(line) == 76]
    assert f"Bearer {bearer}" in script and key_lines and set(key_lines) <= set(key_file)
    assert "-----BEGIN PRIVATE KEY-----" in base64.b64decode("".join(key_lines)).decode()
    # Script-borne secrets are also listed as they show inside the base64 scriptData, so a search of the stored
    # bytes finds them there too.
    assert len([s for s in manifest.secrets if s in startup["scriptData"]]) > len(key_lines)


def test_expected_verdicts_name_known_checks_and_resources(estate: tuple[AzureEstateManifest, ArmReader]) -> None:
    manifest, arm = estate
    found = everything(arm)
    names = {i["name"] for items in found.values() for i in items} | {PROD}
    names |= {
        k.rsplit("/", 1)[1] for k in (manifest.resource_ids["key:workspace"], manifest.resource_ids["key:openai"])
    }
    registered = {spec.id for spec in all_checks("azure")}
    assert set(manifest.check_ids) <= registered
    # A check that needs history is judged against an earlier scan, never in one: the demo's drift run shows it.
    needs_history = {spec.id for spec in all_checks("azure") if spec.needs_history}
    assert needs_history and not needs_history & set(manifest.check_ids)
    # Every other Azure check but two: the playbook check is MANUAL (a person attests it) and the region check
    # needs allowed regions in the scan settings; both have cases of their own in tests/checks.
    assert registered - set(manifest.check_ids) - needs_history == {
        "azure.ml.resource_in_allowed_region",
        "azure.subscription.incident_response_playbooks",
    }
    assert set(manifest.expected.values()) <= {"PASS", "FAIL"}
    for check, name in manifest.expected:
        assert name in names, (check, name)
    for check in manifest.check_ids:
        verdicts = {v for (c, _), v in manifest.expected.items() if c == check}
        # Subscription-wide checks: one subscription holds the estate (the second one's verdicts are tested end to
        # end in tests/test_e2e_azure.py).
        single = {
            "azure.security.defender_for_ai_present",
            "azure.policy.assignments_monitor_compliance",
            "azure.consumption.budget_alerts",
            "azure.subscription.assume_breach_review",
        }
        assert verdicts == ({"PASS", "FAIL"} if check not in single else verdicts), check


def test_denied_subscription_answers_authorization_failed() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        manifest = register_azure_estate(rsps)
        arm = reader()
        for name in SUB_LISTS:
            with pytest.raises(ArmFailure) as denied:
                arm.list(*sub_list(name, manifest.denied_subscription_id))
            assert (denied.value.status, denied.value.code) == (403, "AuthorizationFailed"), name
            assert denied.value.action in denied.value.message
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        manifest = register_azure_estate(rsps, denied_subscription=False)
        arm = reader()
        assert all(arm.list(*sub_list(n, manifest.denied_subscription_id)) == [] for n in SUB_LISTS)


def test_throttle_retries_after_retry_after_and_yields_the_same_items() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_azure_estate(rsps)
        plain = reader().list(*sub_list("workspaces"))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        register_azure_estate(rsps, throttle=True)
        started = time.monotonic()
        throttled = ArmReader(FakeCredential()).list(*sub_list("workspaces"))
        elapsed = time.monotonic() - started
        statuses = [c.response.status_code for c in rsps.calls]
        # Every other route is fine unfired; only the workspace pages had to be.
        rsps.assert_all_requests_are_fired = False
    assert throttled == plain
    assert statuses == [429, 200, 200, 200, 200]  # the throttled first page, then the four pages
    assert elapsed >= 1.0


def test_sovereign_endpoint_keeps_next_links_on_it() -> None:
    usgov = "https://management.usgovcloudapi.net"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        manifest = register_azure_estate(rsps, arm_endpoint=usgov)
        assert manifest.arm_endpoint == usgov
        assert len(reader(usgov).list(*sub_list("workspaces"))) == 4
        assert all(c.request.url.startswith(usgov) for c in rsps.calls)


def test_every_route_is_reachable() -> None:
    routes = azure_routes()
    assert len(routes) == len(set(routes))
    assert ("/subscriptions", API_VERSIONS["subscriptions"]) in routes
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_azure_estate(rsps)
        arm = reader()
        for path, api in routes:
            try:
                arm.get(path, api)  # a list route answers its first page
            except ArmFailure as failure:
                assert (failure.status, failure.code) == (403, "AuthorizationFailed"), path
        reached = {
            (urlsplit(c.request.url).path, parse_qs(urlsplit(c.request.url).query)["api-version"][0])
            for c in rsps.calls
        }
    assert set(routes) <= reached
    assert all(api in API_VERSIONS.values() for _, api in routes)
