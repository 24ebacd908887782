"""register_gcp_estate replays Google REST as Google answers: real GAPIC clients (REST transport) parse it,
lists page, enums arrive as integers, the denied project and throttling behave, and `expected` is exactly
what the GCP checks conclude on the estate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
import requests
import responses
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials

from checks.gcp.orgpolicy import AI_CONSTRAINTS
from collectors.kernel import Record, to_resource
from cspm_ai.engine import EvaluationSettings, Snapshot, evaluate
from cspm_ai.model import Relation, Resource
from cspm_ai.registry import REGISTRY
from moto_fixtures.gcp_estate import (
    AI_ASSET_TYPES,
    PROJECT_NUMBERS,
    VERTEX_COLLECTIONS,
    GcpEstateManifest,
    register_gcp_estate,
)
from tests.checks.gcp_support import load_gcp_checks

PROD, DEV, DENIED = "ml-prod-4521", "ml-dev-7781", "ml-denied-9001"
ORG = "organizations/222233334444"
CRED = AnonymousCredentials()
BOTH_VERDICTS = (
    "gcp.vertex.endpoint_private",
    "gcp.vertex.resource_cmek",
    "gcp.vertex.job_on_vpc",
    "gcp.vertex.dedicated_service_account",
    "gcp.notebooks.no_public_ip",
    "gcp.vertex.no_secrets_in_configuration",
    "gcp.notebooks.no_secrets_in_configuration",
    "gcp.iam.no_user_managed_keys",
    "gcp.kms.key_rotation",
    "gcp.logging.vertex_data_access_audit_logs",
    "gcp.scc.enabled",
    "gcp.orgpolicy.tls_versions_restricted",
    "gcp.iam.predict_not_public",
    "gcp.vertex.endpoint_calls_authenticated",
    "gcp.compute.ai_network_no_internet_ingress",
    "gcp.compute.inference_network_separated",
    "gcp.iam.deploy_export_grants_expire",
    "gcp.vertex.provisioned_by_terraform",
    "gcp.orgpolicy.vertex_workbench_constraints",
    "gcp.vertex.endpoint_min_replicas",
    "gcp.storage.bucket_multi_region",
    "gcp.storage.bucket_versioning",
    "gcp.vertex.deployed_models_lineage",
    "gcp.modelarmor.floor_setting_enforced",
    "gcp.modelarmor.template_filters",
    "gcp.storage.bucket_classified",
    "gcp.bigquery.dataset_classified",
    "gcp.vertex.index_endpoint_private",
)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def estate(rsps: responses.RequestsMock) -> GcpEstateManifest:
    return register_gcp_estate(rsps)


def opts(host: str, universe: str = "googleapis.com") -> ClientOptions:
    return ClientOptions(api_endpoint=f"{host}.{universe}")


def test_models_page_through_the_real_client(estate: GcpEstateManifest, rsps: responses.RequestsMock) -> None:
    from google.cloud import aiplatform_v1

    client = aiplatform_v1.ModelServiceClient(
        credentials=CRED, transport="rest", client_options=opts("us-central1-aiplatform")
    )
    models = list(client.list_models(request={"parent": f"projects/{PROD}/locations/us-central1", "page_size": 100}))
    assert len(models) >= 5
    assert len(rsps.calls) == 3  # page_size=2 caps each page
    assert all(m.name.startswith("projects/123456789012/locations/us-central1/models/") for m in models)
    envs = {e.name: e.value for m in models for e in m.container_spec.env}
    assert envs["HF_TOKEN"] in estate.secrets and envs["OPENAI_API_KEY"] in estate.secrets
    assert "enum-encoding=int" in requests.utils.unquote(rsps.calls[0].request.url)


def test_integer_enums_parse_into_names(estate: GcpEstateManifest) -> None:
    from google.cloud import aiplatform_v1, kms_v1, notebooks_v2

    jobs = aiplatform_v1.JobServiceClient(
        credentials=CRED, transport="rest", client_options=opts("us-central1-aiplatform")
    )
    parent = f"projects/{PROD}/locations/us-central1"
    states = {j.display_name: j.state.name for j in jobs.list_custom_jobs(parent=parent)}
    assert states["train-fraud"] == "JOB_STATE_SUCCEEDED"
    monitors = {j.display_name: j.state.name for j in jobs.list_model_deployment_monitoring_jobs(parent=parent)}
    assert monitors == {"fraud-drift": "JOB_STATE_RUNNING", "churn-drift": "JOB_STATE_CANCELLED"}
    raw = requests.get(f"https://us-central1-aiplatform.googleapis.com/v1/{parent}/customJobs?pageSize=100").json()
    assert {type(j["state"]) for j in raw["customJobs"]} == {int}
    nb = notebooks_v2.NotebookServiceClient(credentials=CRED, transport="rest")
    (alice,) = nb.list_instances(parent=f"projects/{PROD}/locations/us-central1-a")
    assert alice.state.name == "ACTIVE" and alice.gce_setup.boot_disk.disk_type.name == "PD_BALANCED"
    assert alice.gce_setup.disable_public_ip is True
    kms = kms_v1.KeyManagementServiceClient(credentials=CRED, transport="rest")
    key = kms.get_crypto_key(name=f"projects/{PROD}/locations/us-central1/keyRings/vertex-kr/cryptoKeys/vertex-cmek")
    assert key.purpose.name == "ENCRYPT_DECRYPT" and key.primary.protection_level.name == "HSM"
    assert key.rotation_period.total_seconds() == 7776000


def test_asset_search_finds_projects_and_ai_resources(estate: GcpEstateManifest) -> None:
    from google.cloud import asset_v1

    client = asset_v1.AssetServiceClient(credentials=CRED, transport="rest")
    projects = list(
        client.search_all_resources(
            request={"scope": ORG, "asset_types": ["cloudresourcemanager.googleapis.com/Project"], "page_size": 500}
        )
    )
    ids = {p.additional_attributes["projectId"]: p.state for p in projects}
    assert set(estate.project_ids) < set(ids) and "DELETE_REQUESTED" in ids.values()
    assert all(ids[p] == "ACTIVE" for p in estate.project_ids)
    ai = list(
        client.search_all_resources(
            request={"scope": ORG, "asset_types": list(AI_ASSET_TYPES.values()), "page_size": 500}
        )
    )
    assert any(r.project == "projects/345678901234" for r in ai)  # the denied project, seen org-wide
    prod = list(
        client.search_all_resources(request={"scope": f"projects/{PROD}", "asset_types": list(AI_ASSET_TYPES.values())})
    )
    assert {r.location for r in prod} == {"us-central1", "europe-west4", "us-central1-a", "europe-west4-b"}
    assert all(
        r.name.startswith(
            ("//aiplatform.googleapis.com/projects/123456789012/", "//notebooks.googleapis.com/projects/ml-prod-4521/")
        )
        for r in prod
    )
    with pytest.raises(gexc.Forbidden):
        list(
            client.search_all_resources(
                request={"scope": f"projects/{DENIED}", "asset_types": list(AI_ASSET_TYPES.values())}
            )
        )


def test_denied_project_answers_permission_denied(estate: GcpEstateManifest) -> None:
    from google.cloud import aiplatform_v1, resourcemanager_v3

    endpoints = aiplatform_v1.EndpointServiceClient(
        credentials=CRED, transport="rest", client_options=opts("us-central1-aiplatform")
    )
    # Over REST, api_core maps the HTTP 403 to Forbidden (PermissionDenied is its gRPC-status subclass).
    with pytest.raises(gexc.Forbidden) as err:
        list(endpoints.list_endpoints(parent=f"projects/{DENIED}/locations/us-central1"))
    assert err.value.reason == "IAM_PERMISSION_DENIED"
    assert "aiplatform.endpoints.list" in err.value.message
    projects = resourcemanager_v3.ProjectsClient(credentials=CRED, transport="rest")
    for call in (
        lambda: projects.get_project(name=f"projects/{DENIED}"),
        lambda: projects.get_iam_policy(
            request={"resource": f"projects/{DENIED}", "options": {"requested_policy_version": 3}}
        ),
    ):
        with pytest.raises(gexc.Forbidden):
            call()
    for url in (
        f"https://iam.googleapis.com/v1/projects/{DENIED}/serviceAccounts?pageSize=100",
        f"https://orgpolicy.googleapis.com/v2/projects/{DENIED}/policies/gcp.resourceLocations:getEffectivePolicy",
        f"https://securitycentermanagement.googleapis.com/v1/projects/{DENIED}/locations/global/"
        "securityCenterServices?pageSize=100",
        f"https://cloudbilling.googleapis.com/v1/projects/{DENIED}/billingInfo",
    ):
        answer = requests.get(url)
        assert answer.status_code == 403 and answer.json()["error"]["status"] == "PERMISSION_DENIED"
    assert projects.get_project(name=f"projects/{PROD}").project_id == PROD
    assert projects.get_project(name="projects/123456789012").project_id == PROD
    missing = requests.get("https://cloudresourcemanager.googleapis.com/v3/projects/no-such-project")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"


def test_allowed_denied_project_is_empty(rsps: responses.RequestsMock) -> None:
    register_gcp_estate(rsps, denied_project=False)
    base = f"https://us-central1-aiplatform.googleapis.com/v1/projects/{DENIED}/locations/us-central1"
    assert requests.get(f"{base}/models?pageSize=100").json() == {}
    policy = requests.post(
        f"https://cloudresourcemanager.googleapis.com/v3/projects/{DENIED}:getIamPolicy",
        json={"options": {"requestedPolicyVersion": 3}},
    ).json()
    assert "auditConfigs" not in policy
    assert requests.get(f"https://iam.googleapis.com/v1/projects/{DENIED}/serviceAccounts").json() == {}


def test_throttle_answers_429_or_503_then_the_same(rsps: responses.RequestsMock) -> None:
    register_gcp_estate(rsps, throttle=True)
    urls = [
        f"https://iam.googleapis.com/v1/projects/{PROD}/serviceAccounts?pageSize=100",
        f"https://us-central1-aiplatform.googleapis.com/v1/projects/{PROD}/locations/us-central1/endpoints",
    ]
    first = [requests.get(u) for u in urls]
    assert [r.status_code for r in first] == [429, 503]
    assert first[0].json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert first[1].json()["error"]["status"] == "UNAVAILABLE"
    second = [requests.get(u) for u in urls]
    assert [r.status_code for r in second] == [200, 200]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as calm:
        register_gcp_estate(calm)
        assert [requests.get(u).json() for u in urls] == [r.json() for r in second]


def test_service_accounts_page_with_raw_requests(estate: GcpEstateManifest) -> None:
    url = f"https://iam.googleapis.com/v1/projects/{PROD}/serviceAccounts"
    emails: list[str] = []
    params: dict[str, Any] = {"pageSize": 100}
    pages = 0
    while True:
        body = requests.get(url, params=params).json()
        pages += 1
        emails += [a["email"] for a in body["accounts"]]
        if "nextPageToken" not in body:
            break
        params["pageToken"] = body["nextPageToken"]
    assert pages >= 3 and len(emails) == len(set(emails)) >= 6
    bad = requests.get(url, params={"pageToken": "bm90LWEtdG9rZW4"})
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    trainer = f"vertex-trainer@{PROD}.iam.gserviceaccount.com"
    keys = requests.get(f"{url}/{quote(trainer)}/keys", params={"keyTypes": "USER_MANAGED"}).json()["keys"]
    assert [k["keyType"] for k in keys] == ["USER_MANAGED"]
    assert not any("privateKeyData" in k for k in keys)
    serving = f"vertex-serving@{PROD}.iam.gserviceaccount.com"
    assert requests.get(f"{url}/{serving}/keys", params={"keyTypes": "USER_MANAGED"}).json() == {}


def test_sovereign_universe_answers_only_there(rsps: responses.RequestsMock) -> None:
    from google.cloud import aiplatform_v1

    manifest = register_gcp_estate(rsps, universe_domain="example-sovereign.goog")
    assert manifest.universe_domain == "example-sovereign.goog"
    client = aiplatform_v1.EndpointServiceClient(
        credentials=CRED, transport="rest", client_options=opts("us-central1-aiplatform", "example-sovereign.goog")
    )
    names = {e.display_name for e in client.list_endpoints(parent=f"projects/{PROD}/locations/us-central1")}
    assert "fraud-ep-private" in names
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"https://iam.googleapis.com/v1/projects/{PROD}/serviceAccounts")


def test_unknown_url_is_a_named_404(estate: GcpEstateManifest) -> None:
    url = "https://aiplatform-nope.googleapis.com/v1/projects/ml-prod-4521/whatever"
    answer = requests.get(url)
    assert answer.status_code == 404 and url in answer.json()["error"]["message"]


def test_manifest_covers_every_check_with_both_verdicts(estate: GcpEstateManifest) -> None:
    load_gcp_checks()
    # A check that needs history is judged against an earlier scan, never in one: the demo's drift run shows it.
    needs_history = {cid for cid, spec in REGISTRY.items() if cid.startswith("gcp.") and spec.needs_history}
    assert needs_history and not needs_history & set(estate.check_ids)
    assert set(estate.check_ids) == {cid for cid in REGISTRY if cid.startswith("gcp.")} - needs_history
    for check_id in BOTH_VERDICTS:
        verdicts = {v for (cid, _), v in estate.expected.items() if cid == check_id}
        assert {"PASS", "FAIL"} <= verdicts, check_id
    assert estate.expected[("gcp.project.incident_response_playbooks", PROD)] == "MANUAL"
    assert estate.expected[("gcp.project.training_blast_radius", PROD)] == "FAIL"
    assert estate.allowed_regions == ("us-central1",)
    assert len(estate.secrets) >= 2 and all(len(s) > 20 for s in estate.secrets)


# ------------------------------------------------------------ a minimal collector, to check `expected`


def _list(url: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params = {"pageSize": 100, **params}
    while True:
        answer = requests.get(url, params=params)
        assert answer.status_code == 200, (url, answer.text)
        body = answer.json()
        items += body.get(key, [])
        if not body.get("nextPageToken"):
            return items
        params["pageToken"] = body["nextPageToken"]


_VERTEX_TYPES = {
    "endpoints": "endpoint",
    "models": "model",
    "datasets": "dataset",
    "customJobs": "custom_job",
    "trainingPipelines": "training_pipeline",
    "featurestores": "featurestore",
    "modelDeploymentMonitoringJobs": "model_monitoring_job",
    "reasoningEngines": "reasoning_engine",
    "tuningJobs": "tuning_job",
    "indexEndpoints": "index_endpoint",
}
# The answers whose enums the checks read, turned from the GAPIC clients' integers back to names as the collector's
# clients do (a message class per collection).
_NAMED = {
    "models": ("aiplatform_v1", "Model"),
    "modelDeploymentMonitoringJobs": ("aiplatform_v1", "ModelDeploymentMonitoringJob"),
}


def _named(module: str, message: str, item: dict[str, Any]) -> dict[str, Any]:
    """A REST item parsed into its generated message and written back in the proto3 JSON mapping: enums by name."""
    import importlib

    from google.protobuf.json_format import MessageToDict, ParseDict

    cls = getattr(importlib.import_module(f"google.cloud.{module}"), message)
    return MessageToDict(ParseDict(item, cls.pb(cls()), ignore_unknown_fields=True))


def _stores(node: Any, buckets: set[str], datasets: set[str]) -> None:
    """The Cloud Storage buckets and BigQuery datasets an AI resource names (gs:// and bq:// URIs, Google's own
    schema bucket aside)."""
    if isinstance(node, dict):
        for value in node.values():
            _stores(value, buckets, datasets)
    elif isinstance(node, list):
        for value in node:
            _stores(value, buckets, datasets)
    elif isinstance(node, str) and node.startswith("gs://"):
        bucket = node[len("gs://") :].split("/", 1)[0]
        if bucket != "google-cloud-aiplatform":
            buckets.add(bucket)
    elif isinstance(node, str) and node.startswith("bq://"):
        project, dataset = node[len("bq://") :].split(".")[:2]
        datasets.add(f"{project}.{dataset}")


class _Collector:
    """Reads the estate over REST as the GCP collector does, one method per kind, into Resources."""

    def __init__(self) -> None:
        self.out: list[Resource] = []
        self.relations: list[Relation] = []
        self.buckets: set[str] = set()
        self.datasets: set[str] = set()
        self.networks: set[str] = set()

    def add(
        self, project: str, region: str, rtype: str, uid: str, config: dict[str, Any], name: str | None = None
    ) -> None:
        display = name or config.get("displayName") or str(config.get("name", uid)).rsplit("/", 1)[-1]
        # Stored as the collector stores it: redacted by the kernel, so MS-4 sees what was removed.
        record = Record(rtype, project, region, uid, display, config, dict(config.get("labels") or {}))
        self.out.append(to_resource("gcp", record))

    def project(self, pid: str, number: str) -> dict[str, Any]:
        """The project with its IAM policy and billing info; returns the billing info."""
        project = requests.get(f"https://cloudresourcemanager.googleapis.com/v3/projects/{pid}").json()
        policy = requests.post(
            f"https://cloudresourcemanager.googleapis.com/v3/projects/{pid}:getIamPolicy",
            json={"options": {"requestedPolicyVersion": 3}},
        ).json()
        for audit in policy.get("auditConfigs", []):  # ints (enum-encoding=int) back to names
            for log in audit["auditLogConfigs"]:
                log["logType"] = {1: "ADMIN_READ", 2: "DATA_WRITE", 3: "DATA_READ"}[log["logType"]]
        billing: dict[str, Any] = requests.get(
            f"https://cloudbilling.googleapis.com/v1/projects/{pid}/billingInfo"
        ).json()
        inherited = []  # the folders' and the organization's policies, nearest first
        parent = project["parent"]
        while parent.startswith(("folders/", "organizations/")):
            above = requests.post(
                f"https://cloudresourcemanager.googleapis.com/v3/{parent}:getIamPolicy",
                json={"options": {"requestedPolicyVersion": 3}},
            )
            assert above.status_code == 200, (parent, above.text)
            inherited.append({"resource": parent, "iamPolicy": above.json()})
            if parent.startswith("organizations/"):
                break
            parent = requests.get(f"https://cloudresourcemanager.googleapis.com/v3/{parent}").json()["parent"]
        self.add(
            pid,
            "global",
            "gcp.project",
            f"//cloudresourcemanager.googleapis.com/projects/{number}",
            {
                **project,
                "iamPolicy": policy,
                "ancestorIamPolicies": inherited,
                "billingInfo": billing,
                "defaultComputeServiceAccount": f"{number}-compute@developer.gserviceaccount.com",
            },
            name=pid,
        )
        return billing

    def vertex(self, pid: str, regions: set[str], identities: set[str], keys: set[str]) -> None:
        """Every Vertex AI collection in each region; notes the identities and CMEK keys they use."""
        for region in sorted(regions):
            for collection in VERTEX_COLLECTIONS:
                for item in _list(
                    f"https://{region}-aiplatform.googleapis.com/v1/projects/{pid}/locations/{region}/{collection}",
                    collection,
                ):
                    if collection in _NAMED:
                        item = _named(*_NAMED[collection], item)
                    self.add(
                        pid,
                        region,
                        f"gcp.vertex.{_VERTEX_TYPES[collection]}",
                        f"//aiplatform.googleapis.com/{item['name']}",
                        item,
                    )
                    identities.update(_vertex_identities(item))
                    if "kmsKeyName" in item.get("encryptionSpec", {}):
                        keys.add(item["encryptionSpec"]["kmsKeyName"])
                    _stores(item, self.buckets, self.datasets)
                    self.networks.update(_vertex_networks(item))
                    for dm in item.get("deployedModels", []):
                        model = dm["model"].split("@", 1)[0]
                        self.relations.append(
                            Relation(
                                f"//aiplatform.googleapis.com/{item['name']}",
                                "serves_model",
                                f"//aiplatform.googleapis.com/{model}",
                            )
                        )

    def notebooks(self, pid: str, zones: set[str], identities: set[str]) -> None:
        for zone in sorted(zones):
            for item in _list(
                f"https://notebooks.googleapis.com/v2/projects/{pid}/locations/{zone}/instances", "instances"
            ):
                self.add(pid, zone, "gcp.notebooks.instance", f"//notebooks.googleapis.com/{item['name']}", item)
                identities.update(sa["email"] for sa in item["gceSetup"].get("serviceAccounts", []))
                self.networks.update(nic["network"] for nic in item["gceSetup"].get("networkInterfaces", []))

    def service_accounts(self, pid: str, identities: set[str]) -> None:
        """The service accounts AI resources run as, with their user-managed keys."""
        accounts = _list(f"https://iam.googleapis.com/v1/projects/{pid}/serviceAccounts", "accounts")
        for sa in accounts:
            if sa["email"] in identities:
                sa_keys = (
                    requests.get(
                        f"https://iam.googleapis.com/v1/{sa['name']}/keys", params={"keyTypes": "USER_MANAGED"}
                    )
                    .json()
                    .get("keys", [])
                )
                self.add(
                    pid,
                    "global",
                    "gcp.iam.service_account",
                    f"//iam.googleapis.com/{sa['name']}",
                    {
                        **sa,
                        "keys": sa_keys,
                        "iamPolicy": requests.post(
                            f"https://iam.googleapis.com/v1/{sa['name']}:getIamPolicy",
                            params={"options.requestedPolicyVersion": 3},
                        ).json(),
                    },
                    name=sa["email"],
                )
        assert identities <= {sa["email"] for sa in accounts}

    def runs_as(self) -> None:
        """The service account each workload runs as (the attack paths start from these)."""
        accounts = {r.config["email"]: r.uid for r in self.out if r.type == "gcp.iam.service_account"}
        for resource in self.out:
            emails = _vertex_identities(resource.config)
            emails |= {sa["email"] for sa in resource.config.get("gceSetup", {}).get("serviceAccounts", [])}
            if isinstance(resource.config.get("serviceAccount"), str):
                emails.add(resource.config["serviceAccount"])
            for email in sorted(emails & accounts.keys()):
                self.relations.append(Relation(resource.uid, "uses_service_account", accounts[email]))

    def crypto_keys(self, pid: str, keys: set[str]) -> None:
        for key in sorted(keys):
            body = requests.get(f"https://cloudkms.googleapis.com/v1/{key}").json()
            self.add(pid, key.split("/")[3], "gcp.kms.crypto_key", f"//cloudkms.googleapis.com/{key}", body)

    def org_policies(self, pid: str) -> None:
        for constraint in AI_CONSTRAINTS:
            body = requests.get(
                f"https://orgpolicy.googleapis.com/v2/projects/{pid}/policies/"
                f"{constraint.removeprefix('constraints/')}:getEffectivePolicy"
            ).json()
            self.add(pid, "global", "gcp.orgpolicy.policy", f"//orgpolicy.googleapis.com/{body['name']}", body)

    def security_center(self, pid: str, number: str) -> None:
        services = _list(
            f"https://securitycentermanagement.googleapis.com/v1/projects/{pid}/locations/global/"
            "securityCenterServices",
            "securityCenterServices",
        )
        self.add(
            pid,
            "global",
            "gcp.scc.settings",
            f"//securitycenter.googleapis.com/projects/{number}/settings",
            {"enabled": any(s.get("effectiveEnablementState") == 2 for s in services), "services": services},
            name="securityCenterSettings",
        )

    def budgets(self, billing_account: str) -> None:
        for budget in _list(f"https://billingbudgets.googleapis.com/v1/{billing_account}/budgets", "budgets"):
            self.add(
                billing_account,
                "global",
                "gcp.billing.budget",
                f"//billingbudgets.googleapis.com/{budget['name']}",
                budget,
            )

    def model_armor(self, pid: str, regions: set[str]) -> None:
        """The floor setting (a note when the API is off) and the templates of each AI region."""
        answer = requests.get(f"https://modelarmor.googleapis.com/v1/projects/{pid}/locations/global/floorSetting")
        if answer.status_code == 403:
            assert answer.json()["error"]["details"][0]["reason"] == "SERVICE_DISABLED"
            floor: dict[str, Any] = {"name": f"projects/{pid}/locations/global/floorSetting", "apiDisabled": True}
        else:
            floor = _named("modelarmor_v1", "FloorSetting", answer.json())
        self.add(
            pid,
            "global",
            "gcp.modelarmor.floor_setting",
            f"//modelarmor.googleapis.com/{floor['name']}",
            floor,
            name=f"Model Armor floor setting ({pid})",
        )
        for region in sorted(regions):
            url = f"https://modelarmor.{region}.rep.googleapis.com/v1/projects/{pid}/locations/{region}/templates"
            if requests.get(url).status_code == 403:
                continue  # the API is off: no templates
            for item in _list(url, "templates"):
                template = _named("modelarmor_v1", "Template", item)
                self.add(
                    pid, region, "gcp.modelarmor.template", f"//modelarmor.googleapis.com/{item['name']}", template
                )

    def discovery_configs(self, pid: str, locations: set[str]) -> None:
        for location in sorted(locations | {"global"}):
            url = f"https://dlp.googleapis.com/v2/projects/{pid}/locations/{location}/discoveryConfigs"
            if requests.get(url).status_code == 403:
                continue  # the API is off: no discovery configs
            for item in _list(url, "discoveryConfigs"):
                config = _named("dlp_v2", "DiscoveryConfig", item)
                self.add(pid, location, "gcp.dlp.discovery_config", f"//dlp.googleapis.com/{item['name']}", config)

    def data_stores(self) -> None:
        """The buckets and datasets the AI resources named, under their own projects."""
        numbers = {number: pid for pid, number in PROJECT_NUMBERS.items()}
        for bucket in sorted(self.buckets):
            item = requests.get(f"https://storage.googleapis.com/storage/v1/b/{bucket}").json()
            item["iamPolicy"] = requests.get(
                f"https://storage.googleapis.com/storage/v1/b/{bucket}/iam",
                params={"optionsRequestedPolicyVersion": 3},
            ).json()
            self.add(
                numbers[item["projectNumber"]],
                item["location"].lower(),
                "gcp.storage.bucket",
                f"//storage.googleapis.com/projects/_/buckets/{bucket}",
                item,
                name=bucket,
            )
        for name in sorted(self.datasets):
            project, dataset = name.split(".")
            item = requests.get(
                f"https://bigquery.googleapis.com/bigquery/v2/projects/{project}/datasets/{dataset}"
            ).json()
            self.add(
                project,
                item["location"].lower(),
                "gcp.bigquery.dataset",
                f"//bigquery.googleapis.com/projects/{project}/datasets/{dataset}",
                item,
                name=name,
            )

    def networks_and_firewalls(self) -> None:
        """Each network the AI resources use, with its project's firewall rules on it."""
        numbers = {number: pid for pid, number in PROJECT_NUMBERS.items()}
        wanted = {}
        for value in self.networks:
            _, token, _, _, name = value.split("/")
            wanted[(numbers.get(token, token), name)] = None
        for project, name in sorted(wanted):
            network = requests.get(
                f"https://compute.googleapis.com/compute/v1/projects/{project}/global/networks/{name}"
            ).json()
            rules = _list(f"https://compute.googleapis.com/compute/v1/projects/{project}/global/firewalls", "items")
            network["firewalls"] = [r for r in rules if r["network"] == network["selfLink"]]
            self.add(
                project,
                "global",
                "gcp.compute.network",
                f"//compute.googleapis.com/projects/{project}/global/networks/{name}",
                network,
                name=name,
            )

    def perimeters(self, organization_id: str) -> None:
        for policy in _list(
            "https://accesscontextmanager.googleapis.com/v1/accessPolicies",
            "accessPolicies",
            parent=f"organizations/{organization_id}",
        ):
            for perimeter in _list(
                f"https://accesscontextmanager.googleapis.com/v1/{policy['name']}/servicePerimeters",
                "servicePerimeters",
            ):
                self.add(
                    policy["name"],
                    "global",
                    "gcp.accesscontext.perimeter",
                    f"//accesscontextmanager.googleapis.com/{perimeter['name']}",
                    perimeter,
                )


def _vertex_networks(item: dict[str, Any]) -> set[str]:
    """The VPC networks a Vertex AI resource is attached to (endpoints, jobs, pipelines)."""
    found = {
        item.get("network"),
        item.get("jobSpec", {}).get("network"),
        item.get("trainingTaskInputs", {}).get("network"),
    }
    return {n for n in found if n}


def _vertex_identities(item: dict[str, Any]) -> set[str]:
    """The service accounts a Vertex AI resource runs as (deployed models, custom jobs, pipelines)."""
    identities = {dm["serviceAccount"] for dm in item.get("deployedModels", []) if "serviceAccount" in dm}
    for sa in (
        item.get("jobSpec", {}).get("serviceAccount"),
        item.get("trainingTaskInputs", {}).get("serviceAccount"),
        item.get("spec", {}).get("serviceAccount"),
    ):
        if sa:
            identities.add(sa)
    return identities


def _collect(manifest: GcpEstateManifest) -> tuple[list[Resource], list[Relation]]:
    collector = _Collector()
    budgets_seen = False
    for pid in (manifest.prod_project_id, manifest.dev_project_id):
        number = manifest.project_numbers[pid]
        billing = collector.project(pid, number)
        found = _list(
            f"https://cloudasset.googleapis.com/v1/projects/{pid}:searchAllResources",
            "results",
            assetTypes=list(AI_ASSET_TYPES.values()),
        )
        regions = {r["location"] for r in found if r["assetType"].startswith("aiplatform")}
        zones = {r["location"] for r in found if r["assetType"].startswith("notebooks")}
        identities: set[str] = set()
        keys: set[str] = set()
        collector.vertex(pid, regions, identities, keys)
        collector.notebooks(pid, zones, identities)
        collector.service_accounts(pid, identities)
        collector.crypto_keys(pid, keys)
        collector.org_policies(pid)
        collector.security_center(pid, number)
        collector.model_armor(pid, regions)
        collector.discovery_configs(pid, regions)
        if not budgets_seen:
            budgets_seen = True
            collector.budgets(billing["billingAccountName"])
    collector.perimeters(manifest.organization_id)
    collector.data_stores()
    collector.networks_and_firewalls()
    collector.runs_as()
    return collector.out, collector.relations


def test_expected_is_what_the_checks_conclude(estate: GcpEstateManifest) -> None:
    load_gcp_checks()
    resources, relations = _collect(estate)
    settings = EvaluationSettings(
        scan_started_at=datetime(2026, 6, 1, tzinfo=UTC), allowed_regions=frozenset(estate.allowed_regions)
    )
    # Checks that need history are MANUAL in one scan and are left to the drift run (tests/test_history_e2e.py).
    gcp_checks = [spec for cid, spec in REGISTRY.items() if cid.startswith("gcp.") and not spec.needs_history]
    findings = evaluate(Snapshot(resources, relations, []), gcp_checks, settings)
    got = {
        (f.check_id, f.resource_name): f.status.value
        for f in findings
        if f.account in (estate.prod_project_id, estate.dev_project_id)
    }
    assert got == estate.expected
