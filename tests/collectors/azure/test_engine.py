"""The Azure engine on the recorded estate: every route read, relations, denials, throttling, secrets."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import pytest
import responses
from azure.core.exceptions import ClientAuthenticationError

import collectors.azure as azure
from collectors.azure import ArmReader, AzureEngine, azure_collector
from collectors.azure.arm import rbac_action
from cspm_ai.demo import DemoCredential
from cspm_ai.errors import ConfigError, CredentialsError
from cspm_ai.model import CollectionResult
from moto_fixtures.azure_estate import (
    AzureEstateManifest,
    azure_routes,
    register_azure_estate,
)


def _collect(throttle: bool = False, denied: bool = True) -> tuple[CollectionResult, AzureEstateManifest, set[str]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(replay, throttle=throttle, denied_subscription=denied)
        result = AzureEngine(ArmReader(DemoCredential(), manifest.arm_endpoint, retry_backoff_factor=0)).collect()
        called = {c.request.url.split("?")[0].removeprefix(manifest.arm_endpoint) for c in replay.calls}
    return result, manifest, called


@pytest.fixture(scope="module")
def collected() -> tuple[CollectionResult, AzureEstateManifest, set[str]]:
    return _collect()


def test_every_recorded_route_is_read_once_through_paging(collected: Any) -> None:
    result, manifest, called = collected
    assert {path for path, _ in azure_routes()} <= called
    by_type = Counter(r.type for r in result.resources)
    assert by_type["azure.ml.workspace"] == 4 and by_type["azure.ml.online_endpoint"] == 4
    assert by_type["azure.keyvault.key"] == 2 and by_type["azure.subscription"] == 2


def test_relations_link_children_keys_and_roles(collected: Any) -> None:
    result, _, _ = collected
    kinds = Counter(r.kind for r in result.relations)
    for kind in ("in_workspace", "in_endpoint", "uses_storage", "uses_key_vault", "encrypted_by", "assigns_role"):
        assert kinds[kind] >= 1, kind
    stored = {r.uid for r in result.resources}
    keys = [r for r in result.relations if r.kind == "encrypted_by"]
    # The workspaces (by ARM id: the secure one and the AI Foundry hub share a key) and the AI services account (by
    # vault URI) reach the two stored keys.
    assert len({r.dst for r in keys}) == 2 and len(keys) == 3 and all(r.dst in stored for r in keys)


def test_a_denied_subscription_is_an_error_per_kind_and_the_rest_is_scanned(collected: Any) -> None:
    result, manifest, _ = collected
    denied = [e for e in result.errors if e.account == manifest.denied_subscription_id]
    assert denied and all(e.code == "AuthorizationFailed" and e.operation.endswith("/read") for e in denied)
    assert not [e for e in result.errors if e.account == manifest.prod_subscription_id]
    assert any(r.account == manifest.prod_subscription_id and r.type == "azure.ml.workspace" for r in result.resources)


def test_throttling_changes_nothing() -> None:
    throttled, _, _ = _collect(throttle=True, denied=False)
    clean, _, _ = _collect(denied=False)
    assert [(r.uid, r.config) for r in throttled.resources] == [(r.uid, r.config) for r in clean.resources]
    assert throttled.errors == clean.errors == []


def test_secrets_are_redacted_before_anything_is_returned(collected: Any) -> None:
    result, manifest, _ = collected
    blob = json.dumps([[r.config, r.tags] for r in result.resources])
    assert manifest.secrets and not [s for s in manifest.secrets if s in blob]
    assert any(r.redactions for r in result.resources)


@pytest.fixture()
def demo_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(azure, "credential_factory", lambda authority: DemoCredential())
    yield


def test_an_invisible_subscription_is_a_config_error(demo_credentials: None) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_azure_estate(replay)
        with pytest.raises(ConfigError, match="not visible"):
            azure_collector(subscriptions=["00000000-dead-beef-0000-000000000000"])


def test_missing_sign_in_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoCredential:
        def get_token(self, *_: Any, **__: Any) -> Any:
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    monkeypatch.setattr(azure, "credential_factory", lambda authority: NoCredential())
    with pytest.raises(CredentialsError, match="No usable Azure credentials"):
        azure_collector()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cloud": "mars"}, "Unknown Azure cloud"),
        ({"arm_endpoint": "http://127.0.0.1:8080"}, "not https"),
    ],
)
def test_bad_cloud_settings_are_config_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        azure_collector(**kwargs)


def test_every_arm_read_of_a_scan_is_in_the_shipped_azure_role() -> None:
    shipped = json.loads(files("cspm_ai").joinpath("permissions/azure-readonly-role.json").read_text())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(replay)
        AzureEngine(ArmReader(DemoCredential(), manifest.arm_endpoint)).collect()
        needed = {rbac_action(call.request.url) for call in replay.calls}
    assert needed - set(shipped["Actions"]) == set()


# A credential pasted into a resource name and into a tag key: both are stored redacted, as configuration is.
NAME_SECRET = "AKIAQ3EGRN7XKBV2LS4M"
TAG_KEY_SECRET = "ghp_R7x2Lm9Qv4Tz8Kp1Wn6Yb3Hc5Jd0Fs2Ga7Ek"


def _plant_in_name_and_tag_key(node: Any) -> None:
    """The open embedding endpoint, as ARM lists it, renamed and tagged with a secret."""
    if isinstance(node, dict):
        if node.get("name") == "embed-open-ep" and "properties" in node:
            node["name"] = f"embed-{NAME_SECRET}"
            node["tags"] = {**node.get("tags", {}), TAG_KEY_SECRET: "ci"}
        for value in node.values():
            _plant_in_name_and_tag_key(value)
    elif isinstance(node, list):
        for value in node:
            _plant_in_name_and_tag_key(value)


def test_names_and_tag_keys_are_redacted_like_configuration() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(replay, denied_subscription=False)
        for registered in replay.registered():
            body = getattr(registered, "body", None)
            if isinstance(body, (bytes, str)) and b"embed-open-ep" in (
                body if isinstance(body, bytes) else body.encode()
            ):
                document = json.loads(body)
                _plant_in_name_and_tag_key(document)
                registered.body = json.dumps(document).encode()
        result = AzureEngine(ArmReader(DemoCredential(), manifest.arm_endpoint, retry_backoff_factor=0)).collect()
    [endpoint] = [r for r in result.resources if r.uid == manifest.resource_ids["online_endpoint:embed-open-ep"]]
    assert endpoint.name == "embed-[REDACTED:aws_access_key_id]"
    assert endpoint.tags["[REDACTED:github_token]"] == "ci"
    stored = json.dumps([endpoint.name, endpoint.config, endpoint.tags])
    assert NAME_SECRET not in stored and TAG_KEY_SECRET not in stored
    assert {"path": "name", "kind": "aws_access_key_id"} in endpoint.redactions
    assert {"path": "tags", "kind": "github_token"} in endpoint.redactions


def test_a_deployment_names_its_content_filter_under_its_own_account(collected: Any) -> None:
    result, manifest, _ = collected
    rai = {(r.src, r.dst) for r in result.relations if r.kind == "uses_rai_policy"}
    good, bad = manifest.resource_ids["cognitive:good"], manifest.resource_ids["cognitive:bad"]
    # By name, resolved under the deployment's own account: the same built-in name is two policies.
    assert (f"{good}/deployments/embed-large", f"{good}/raiPolicies/Microsoft.DefaultV2") in rai
    assert (f"{bad}/deployments/gpt-4o-mini-dev", f"{bad}/raiPolicies/Microsoft.Default") in rai
    stored = {r.uid for r in result.resources}
    assert rai and all(dst in stored for _, dst in rai)


def test_children_without_a_location_are_recorded_where_their_parent_is(collected: Any) -> None:
    result, manifest, _ = collected
    by_uid = {r.uid: r for r in result.resources}
    deployment = by_uid[manifest.resource_ids["ai_deployment:gpt-4o-prod"]]
    assert "location" not in deployment.config and deployment.region == "eastus2"
    connections = [r for r in result.resources if r.type == "azure.cognitive.project_connection"]
    assert connections and {r.region for r in connections} == {"westeurope"}
    links = {(r.src, r.kind, r.dst) for r in result.relations}
    aoai_key = f"{manifest.resource_ids['cognitive:bad']}/connections/aoai-key"
    assert (aoai_key, "connects_to", manifest.resource_ids["cognitive:good"]) in links
    assert (aoai_key, "in_account", manifest.resource_ids["cognitive:bad"]) in links
    # A project connection to the AI Search service it retrieves from, by the ResourceId in its metadata.
    search_entra = f"{manifest.resource_ids['foundry_project:agents-prod']}/connections/search-entra"
    assert (search_entra, "connects_to", manifest.resource_ids["search:good"]) in links


def test_a_model_monitor_names_its_deployment_by_id_or_by_endpoint_and_deployment(collected: Any) -> None:
    result, manifest, _ = collected
    monitors = {(r.src.rsplit("/", 1)[1], r.dst) for r in result.relations if r.kind == "monitors"}
    assert monitors == {
        ("chat-secure-monitor", manifest.resource_ids["online_deployment:chat-secure-ep/chat-secure-blue"]),
        # "azureml:embed-secure-ep:embed-secure-blue", resolved in the monitor's own workspace.
        ("embed-secure-monitor", manifest.resource_ids["online_deployment:embed-secure-ep/embed-secure-blue"]),
    }
    hub = {(r.src, r.dst) for r in result.relations if r.kind == "in_hub"}
    assert hub == {(manifest.resource_ids["workspace:project"], manifest.resource_ids["workspace:hub"])}


def test_deployment_history_is_read_in_the_resource_groups_that_hold_ai_resources(collected: Any) -> None:
    result, manifest, called = collected
    listed = sorted(p.split("/")[4] for p in called if p.endswith("/providers/Microsoft.Resources/deployments"))
    # Groups of workspaces, registries, AI services accounts and search services; none for the groups that hold only
    # vaults, storage or networks, and none in the denied subscription, where nothing was listed.
    assert listed == ["rg-ai", "rg-ai-dev", "rg-ml-open", "rg-ml-secure"]
    deploys = {(r.src.rsplit("/", 1)[1], r.dst.rsplit("/", 1)[1]) for r in result.relations if r.kind == "deploys"}
    # Only whole AI resources: the storage account, vault and compute the same template wrote are not AI kinds.
    assert ("ml-platform-20260302", "mlw-secure") in deploys and ("ai-dev-sandbox", "ais-open") in deploys
    assert not [dst for _, dst in deploys if dst in ("ci-secure", "stsecureml", "kv-secure-ml", "gpt-4o-prod")]
