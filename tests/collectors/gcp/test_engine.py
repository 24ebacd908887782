"""The Google Cloud collector under the real clients (REST transport) on the recorded estate: project mode,
throttling, permissions, universes and endpoints, and reads that go wrong."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any

import pytest
import responses
from google.auth.credentials import AnonymousCredentials

import collectors.gcp as gcp
from collectors.gcp import Endpoints, GcpEngine, GoogleApis, gcp_collector, parse_api_endpoints
from cspm_ai.engine import Snapshot
from cspm_ai.errors import ConfigError, CredentialsError
from cspm_ai.model import CollectionResult
from cspm_ai.scan import evaluate_snapshot
from moto_fixtures.gcp_estate import register_gcp_estate


class UniverseCredentials(AnonymousCredentials):
    """Anonymous credentials issued in another universe (a sovereign cloud)."""

    def __init__(self, universe: str) -> None:
        super().__init__()
        self._universe_domain = universe


TRAINER = "vertex-trainer@ml-prod-4521.iam.gserviceaccount.com"


def collect(
    *, throttle: bool = False, denied: bool = True, universe: str = "googleapis.com", **engine: Any
) -> tuple[CollectionResult, GoogleApis, list[tuple[str, str, int]]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_gcp_estate(replay, denied_project=denied, throttle=throttle, universe_domain=universe)
        credentials = AnonymousCredentials() if universe == "googleapis.com" else UniverseCredentials(universe)
        apis = GoogleApis(credentials, Endpoints(universe), retry_initial=0.001)
        if "organization" not in engine:
            engine.setdefault("projects", list(manifest.project_ids))
        result = GcpEngine(apis, **engine).collect()
        calls = [
            (c.request.method, c.request.url, c.response.status_code if c.response is not None else 0)
            for c in replay.calls
        ]
    return result, apis, calls


def verdicts(result: CollectionResult) -> set[tuple[str, str, str]]:
    snapshot = Snapshot(result.resources, result.relations, result.errors)
    findings = evaluate_snapshot(snapshot, ["gcp"], datetime(2026, 11, 22, tzinfo=timezone.utc), ["us-central1"])
    return {(f.check_id, f.resource_uid, f.status.value) for f in findings}


@pytest.fixture(scope="module")
def by_projects() -> Iterator[tuple[CollectionResult, GoogleApis, list[tuple[str, str, int]]]]:
    yield collect()


def test_project_mode_scans_each_project_and_isolates_the_denied_one(by_projects: Any) -> None:
    result, _, _ = by_projects
    accounts = {r.account for r in result.resources if r.type == "gcp.project"}
    assert accounts == {"ml-prod-4521", "ml-dev-7781"}
    denied = {(e.resource_type, e.code) for e in result.errors}
    assert {e.account for e in result.errors} == {"ml-denied-9001"}
    # Cloud Asset Inventory is denied too, so every Vertex AI kind there is blind rather than empty.
    assert ("gcp.vertex.endpoint", "PERMISSION_DENIED") in denied
    assert ("gcp.notebooks.instance", "PERMISSION_DENIED") in denied
    assert all(e.operation.count(".") >= 2 for e in result.errors)  # each names the IAM permission


def test_project_mode_walks_folders_to_the_organization_perimeters(by_projects: Any) -> None:
    result, _, calls = by_projects
    assert any("/v3/folders/111122223333" in url for _, url, _ in calls)
    perimeters = [r for r in result.resources if r.type == "gcp.accesscontext.perimeter"]
    assert perimeters and {r.account for r in perimeters} == {"organizations/222233334444"}


def test_enums_arrive_as_integers_and_are_stored_by_name(by_projects: Any) -> None:
    result, _, _ = by_projects
    jobs = [r for r in result.resources if r.type == "gcp.vertex.custom_job"]
    assert {r.config.get("state") for r in jobs} >= {"JOB_STATE_SUCCEEDED"}
    project = next(r for r in result.resources if r.type == "gcp.project" and r.account == "ml-prod-4521")
    log_types = {c["logType"] for a in project.config["iamPolicy"]["auditConfigs"] for c in a["auditLogConfigs"]}
    assert {"DATA_READ", "DATA_WRITE"} <= log_types
    assert project.config["defaultComputeServiceAccount"] == "123456789012-compute@developer.gserviceaccount.com"


def test_paged_lists_are_read_to_the_end(by_projects: Any) -> None:
    result, _, calls = by_projects
    models = [
        r
        for r in result.resources
        if r.type == "gcp.vertex.model" and r.region == "us-central1" and r.account == "ml-prod-4521"
    ]
    assert len(models) >= 5
    assert any("pageToken=" in url for _, url, _ in calls if "/models" in url)
    assert any("pageToken=" in url for _, url, _ in calls if "/serviceAccounts?" in url)


def test_only_the_service_accounts_ai_runs_as_are_collected_with_their_keys(by_projects: Any) -> None:
    result, _, calls = by_projects
    accounts = {r.name: r for r in result.resources if r.type == "gcp.iam.service_account"}
    assert "vertex-trainer@ml-prod-4521.iam.gserviceaccount.com" in accounts
    assert not [n for n in accounts if n.startswith(("ci-deployer", "bq-exporter"))]
    trainer = accounts["vertex-trainer@ml-prod-4521.iam.gserviceaccount.com"]
    assert trainer.config["keys"] and all("privateKeyData" not in k for k in trainer.config["keys"])
    assert all("keyTypes=USER_MANAGED" in url for _, url, _ in calls if url.split("?")[0].endswith("/keys"))


def test_inherited_bucket_and_account_iam_policies_are_read_once_each_and_stored_whole(by_projects: Any) -> None:
    result, _, calls = by_projects
    reads = [
        (method, url.split("?")[0], url)
        for method, url, status in calls
        if status == 200 and (":getIamPolicy" in url or url.split("?")[0].endswith("/iam"))
    ]
    counted = Counter((method, bare) for method, bare, _ in reads)
    assert set(counted.values()) == {1}  # no policy is read twice
    # Production sits in the platform folder, development right under the organization: one read of each.
    resource_manager = "https://cloudresourcemanager.googleapis.com/v3/"
    assert {bare for _, bare, _ in reads if bare.startswith(resource_manager)} == {
        f"{resource_manager}{name}:getIamPolicy"
        for name in (
            "folders/111122223333",
            "organizations/222233334444",
            "projects/ml-prod-4521",
            "projects/ml-dev-7781",
        )
    }
    projects = {r.account: r.config for r in result.resources if r.type == "gcp.project"}
    assert [a["resource"] for a in projects["ml-prod-4521"]["ancestorIamPolicies"]] == [
        "folders/111122223333",
        "organizations/222233334444",
    ]
    organization = projects["ml-dev-7781"]["ancestorIamPolicies"][0]
    assert organization["resource"] == "organizations/222233334444"
    assert organization["iamPolicy"]["version"] == 3 and organization["iamPolicy"]["etag"]
    assert {b.get("condition", {}).get("title") for b in organization["iamPolicy"]["bindings"]} >= {"break-glass-2026"}

    buckets = {r.name: r.config for r in result.resources if r.type == "gcp.storage.bucket"}
    bucket_reads = [url for _, bare, url in reads if bare.endswith("/iam")]
    assert len(bucket_reads) == len(buckets) and all("optionsRequestedPolicyVersion=3" in u for u in bucket_reads)
    assert all(c["iamPolicy"]["resourceId"] == f"projects/_/buckets/{name}" for name, c in buckets.items())
    agents = buckets["ml-prod-4521-agents"]["iamPolicy"]["bindings"]
    assert {"role": "roles/storage.objectViewer", "members": [f"serviceAccount:{TRAINER}"]} in agents

    accounts = {r.name: r.config for r in result.resources if r.type == "gcp.iam.service_account"}
    account_reads = [(method, url) for method, bare, url in reads if bare.startswith("https://iam.googleapis.com/")]
    assert len(account_reads) == len(accounts)
    assert all(m == "POST" and "options.requestedPolicyVersion=3" in u for m, u in account_reads)
    assert all(c["iamPolicy"]["etag"] for c in accounts.values())
    assert accounts[TRAINER]["iamPolicy"]["bindings"] == [
        {
            "role": "roles/iam.serviceAccountTokenCreator",
            "members": ["serviceAccount:support-agent@ml-prod-4521.iam.gserviceaccount.com"],
        }
    ]


def test_relations_link_workloads_to_identities_keys_endpoints_and_projects(by_projects: Any) -> None:
    result, _, _ = by_projects
    kinds = {r.kind for r in result.relations}
    assert kinds == {
        "in_project",
        "uses_service_account",
        "encrypted_by",
        "monitors",
        "serves_model",
        "produces_model",
        "produced_by",
        "uses_bucket",
        "uses_dataset",
        "in_network",
    }
    stored = {r.uid for r in result.resources}
    # Every relation to a supporting kind the collector fetches lands on a stored resource: keys, buckets,
    # datasets and networks are read because an AI resource names them.
    fetched = [r for r in result.relations if r.kind in ("encrypted_by", "uses_bucket", "uses_dataset", "in_network")]
    assert fetched and all(r.dst in stored for r in fetched)
    by_kind = {kind: {(r.src, r.dst) for r in result.relations if r.kind == kind} for kind in kinds}
    vertex = "//aiplatform.googleapis.com/projects/123456789012/locations/us-central1"
    assert (f"{vertex}/endpoints/4567890123456789012", f"{vertex}/models/998877") in by_kind["serves_model"]
    assert (f"{vertex}/tuningJobs/3141592653589793238", f"{vertex}/models/221100") in by_kind["produces_model"]
    # A model names the training pipeline that made it (its lineage's producer).
    assert by_kind["produced_by"] == {(f"{vertex}/models/998877", f"{vertex}/trainingPipelines/7777000011112222")}
    assert (
        f"{vertex}/reasoningEngines/2468013579246801357",
        "//storage.googleapis.com/projects/_/buckets/ml-prod-4521-agents",
    ) in by_kind["uses_bucket"]
    assert (
        f"{vertex}/endpoints/4567890123456789012",
        "//bigquery.googleapis.com/projects/ml-prod-4521/datasets/logging",
    ) in by_kind["uses_dataset"]
    # A network named by project number (an endpoint) and by project id (Workbench) is one network.
    ml_vpc = "//compute.googleapis.com/projects/ml-prod-4521/global/networks/ml-vpc"
    assert {src for src, dst in by_kind["in_network"] if dst == ml_vpc} >= {
        f"{vertex}/endpoints/6789012345678901234",
        "//notebooks.googleapis.com/projects/ml-prod-4521/locations/us-central1-a/instances/wb-alice",
    }
    # Google's own schema buckets are named in schema and task-definition URIs, never read.
    assert not [r for r in result.relations if "google-cloud-aiplatform" in r.dst]


def test_secret_env_values_are_redacted_and_the_place_recorded(by_projects: Any) -> None:
    result, _, _ = by_projects
    secrets = register_gcp_estate(responses.RequestsMock()).secrets
    text = json.dumps([[r.config, r.tags] for r in result.resources])
    assert secrets and not [s for s in secrets if s in text]
    redacted = [r for r in result.resources if r.redactions]
    assert any(p["path"].startswith("containerSpec.env") for r in redacted for p in r.redactions)


def test_throttling_is_retried_and_changes_no_result(by_projects: Any) -> None:
    calm, _, _ = by_projects
    throttled, _, calls = collect(throttle=True)
    assert {status for _, _, status in calls} >= {429, 503}
    assert verdicts(throttled) == verdicts(calm)
    assert sorted(r.uid for r in throttled.resources) == sorted(r.uid for r in calm.resources)


def test_a_scan_uses_every_permission_of_the_shipped_role_and_no_other(by_projects: Any) -> None:
    """That the role is what the declarations derive, and only reads, is tested in test_permissions.py."""
    _, apis, _ = by_projects
    shipped = json.loads(files("cspm_ai").joinpath("permissions/gcp-readonly-role.json").read_text())
    assert apis.permissions_used == set(shipped["includedPermissions"])


def test_locations_limit_where_vertex_ai_is_read() -> None:
    result, _, calls = collect(locations=["us-central1"], projects=["ml-prod-4521"])
    assert {r.region for r in result.resources if r.type.startswith("gcp.vertex.")} == {"us-central1"}
    assert not [url for _, url, _ in calls if "europe-west4" in url]


def test_a_sovereign_universe_is_reached_on_its_own_hosts() -> None:
    result, _, calls = collect(universe="example-sovereign.goog", projects=["ml-prod-4521"])
    assert calls and all(".example-sovereign.goog/" in url for _, url, _ in calls)
    assert any(r.type == "gcp.vertex.endpoint" for r in result.resources)
    # Asset names keep Google's service names whatever the universe.
    assert all(r.uid.startswith("//") and ".googleapis.com/" in r.uid for r in result.resources)


def test_credentials_from_another_universe_are_refused_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcp, "credential_factory", lambda _: (AnonymousCredentials(), None, "anon"))
    with pytest.raises(ConfigError, match="universe googleapis.com"):
        gcp_collector(projects=["ml-prod-4521"], universe_domain="example-sovereign.goog")


@pytest.mark.parametrize("value", ["aiplatform", "unknownapi=host", "aiplatform=", "iam=http://plain.example"])
def test_bad_api_endpoint_overrides_are_refused(value: str) -> None:
    with pytest.raises(ConfigError):
        parse_api_endpoints([value])


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({}, "No Google Cloud project"),
        ({"projects": ["Bad_Project"]}, "not a Google Cloud project id"),
        ({"organization": "acme"}, "not an organization id"),
        ({"projects": ["ml-prod-4521"], "locations": ["us central"]}, "not a Google Cloud location"),
    ],
)
def test_bad_scope_is_a_config_error(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        GcpEngine(GoogleApis(AnonymousCredentials()), **kwargs)


def test_an_organization_whose_projects_cannot_be_listed_is_a_config_error() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_gcp_estate(replay)
        engine = GcpEngine(GoogleApis(AnonymousCredentials(), retry_initial=0.001), organization="999999999999")
        with pytest.raises(ConfigError, match="Cannot list the projects of organization 999999999999"):
            engine.projects()


def test_missing_application_default_credentials_is_a_credentials_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(CredentialsError, match="No usable Google Cloud credentials"):
        gcp.default_credentials(None)


def test_an_expired_login_is_a_credentials_error_before_the_scan(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    adc = tmp_path / "adc.json"
    adc.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "cspm-test.apps.googleusercontent.com",
                "client_secret": "not-a-secret",
                "refresh_token": "1//expired",
            }
        )
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    with responses.RequestsMock() as replay:
        replay.add(
            responses.POST,
            "https://oauth2.googleapis.com/token",
            status=400,
            json={"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        )
        with pytest.raises(CredentialsError, match="No usable Google Cloud credentials.*invalid_grant"):
            gcp.default_credentials(None)


# A credential pasted into a display name and into a label key (label keys allow only lower case): both are stored
# redacted, as configuration is.
NAME_SECRET = "AKIAQ3EGRN7XKBV2LS4M"
LABEL_KEY_SECRET = "ghp_r7x2lm9qv4tz8kp1wn6yb3hc5jd0fs2ga7ek"


def _plant_in_name_and_label_key(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("displayName") == "recs-ranker":
            node["displayName"] = f"recs-ranker {NAME_SECRET}"
            node["labels"] = {**node.get("labels", {}), LABEL_KEY_SECRET: "ci"}
        for value in node.values():
            _plant_in_name_and_label_key(value)
    elif isinstance(node, list):
        for value in node:
            _plant_in_name_and_label_key(value)


def test_names_and_label_keys_are_redacted_like_configuration() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_gcp_estate(replay, denied_project=False)
        for registered in replay.registered():
            answer = registered.callback

            def planted(request: Any, answer: Any = answer) -> tuple[int, dict[str, str], str]:
                status, headers, body = answer(request)
                document = json.loads(body)
                _plant_in_name_and_label_key(document)
                return status, headers, json.dumps(document)

            registered.callback = planted
        apis = GoogleApis(AnonymousCredentials(), Endpoints("googleapis.com"), retry_initial=0.001)
        result = GcpEngine(apis, projects=[manifest.prod_project_id]).collect()
    [model] = [r for r in result.resources if r.type == "gcp.vertex.model" and r.uid.endswith("/models/665544")]
    assert model.name == "recs-ranker [REDACTED:aws_access_key_id]"
    assert model.tags["[REDACTED:github_token]"] == "ci"
    stored = json.dumps([model.name, model.config, model.tags])
    assert NAME_SECRET not in stored and LABEL_KEY_SECRET not in stored
    assert {"path": "name", "kind": "aws_access_key_id"} in model.redactions
    assert {"path": "tags", "kind": "github_token"} in model.redactions
