"""A realistic mixed Google Cloud AI estate, replayed as Google REST JSON on a `responses` mock.

`register_gcp_estate(rsps)` registers one callback per HTTP method (GET, POST) for every
`https://<service>.<universe_domain>/...` URL and answers the reads a Google Cloud collector makes
with the GAPIC clients (`transport="rest"`, which send `$alt=json;enum-encoding=int`) and with raw
`AuthorizedSession` GETs: Cloud Asset Inventory searches, Resource Manager v3, regional Vertex AI
lists, Workbench (notebooks v2), IAM admin, Org Policy v2, Security Command Center management,
Cloud Billing, Billing Budgets, Cloud KMS and Access Context Manager. Bodies follow the proto3 JSON
mapping (see /work/shared/reference/azure-gcp-api-shapes.md, sections F to L): lowerCamelCase,
defaults omitted (an empty list is `{}`), int64 as strings, durations as "7776000s", enums as
INTEGERS in GAPIC answers and as names in the raw REST ones (IAM admin, Access Context Manager).
Lists page with `pageSize`/`pageToken`/`nextPageToken`; errors use Google's
`{"error": {code, message, status, details}}` envelope. Good and bad resources sit side by side;
the returned `GcpEstateManifest` says what each check should conclude.

Nothing here talks to Google, and no secret in it is, or ever was, a working credential.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import responses

__all__ = [
    "DEFAULT_UNIVERSE_DOMAIN",
    "DENIED_PROJECT_ID",
    "DEV_PROJECT_ID",
    "FOLDER_ID",
    "FORBIDDEN_FOLDER_ID",
    "GCP_HOSTILE_STRINGS",
    "ORGANIZATION_ID",
    "PARTNER_FOLDER_ID",
    "PROD_PROJECT_ID",
    "GcpEstateManifest",
    "register_gcp_estate",
]

PASS = "PASS"
FAIL = "FAIL"
MANUAL = "MANUAL"

DEFAULT_UNIVERSE_DOMAIN = "googleapis.com"
ORGANIZATION_ID = "222233334444"
FOLDER_ID = "111122223333"
PARTNER_FOLDER_ID = "555566667777"  # under FOLDER_ID; holds the denied project
FORBIDDEN_FOLDER_ID = "999900001111"  # searching it is refused
PROD_PROJECT_ID = "ml-prod-4521"
DEV_PROJECT_ID = "ml-dev-7781"
DENIED_PROJECT_ID = "ml-denied-9001"
DELETED_PROJECT_ID = "ml-old-2020"  # DELETE_REQUESTED: only in the org-scope Cloud Asset Inventory search
PROJECT_NUMBERS: dict[str, str] = {
    PROD_PROJECT_ID: "123456789012",
    DEV_PROJECT_ID: "210987654321",
    DENIED_PROJECT_ID: "345678901234",
    DELETED_PROJECT_ID: "456789012345",
}
BILLING_ACCOUNT = "billingAccounts/01A2B3-C4D5E6-F7A8B9"
ACCESS_POLICY = "accessPolicies/987654321098"
ALLOWED_REGIONS = ("us-central1",)

# checks/gcp/orgpolicy.py AI_CONSTRAINTS, without the "constraints/" prefix (as they sit in the URL).
ORG_POLICY_CONSTRAINTS: tuple[str, ...] = (
    "gcp.resourceLocations",
    "gcp.restrictNonCmekServices",
    "iam.disableServiceAccountKeyCreation",
    "iam.managed.disableServiceAccountKeyCreation",
    "iam.automaticIamGrantsForDefaultServiceAccounts",
    "ainotebooks.disableRootAccess",
    "ainotebooks.disableFileDownloads",
    "ainotebooks.disableTerminal",
    "ainotebooks.restrictPublicIp",
    "compute.vmExternalIpAccess",
    "vertexai.allowedModels",
    "ainotebooks.requireAutoUpgradeSchedule",
    "ainotebooks.restrictVpcNetworks",
    "ainotebooks.accessMode",
    "ainotebooks.environmentOptions",
    "gcp.restrictTLSVersion",
)

HOSTILE_ENDPOINT_NAME = '<script>alert("ep")</script>'
GCP_HOSTILE_STRINGS: tuple[str, ...] = (
    HOSTILE_ENDPOINT_NAME,
    '"><img src=x onerror=alert(1)>',
    "=cmd|' /C calc'!A0",
    "\u001b[31mred alert\u001b[0m",
)

# Vertex AI collections (URL segment = list envelope key) and their list permissions.
VERTEX_COLLECTIONS: tuple[str, ...] = (
    "endpoints",
    "models",
    "datasets",
    "customJobs",
    "trainingPipelines",
    "featurestores",
    "modelDeploymentMonitoringJobs",
    "reasoningEngines",
    "tuningJobs",
    "indexEndpoints",
)
# Collections Cloud Asset Inventory does not index here: the collector lists them where the search found other
# AI resources of the project.
UNSEARCHED: tuple[str, ...] = ("reasoningEngines", "tuningJobs")
AI_ASSET_TYPES: dict[str, str] = {
    "endpoints": "aiplatform.googleapis.com/Endpoint",
    "models": "aiplatform.googleapis.com/Model",
    "datasets": "aiplatform.googleapis.com/Dataset",
    "customJobs": "aiplatform.googleapis.com/CustomJob",
    "trainingPipelines": "aiplatform.googleapis.com/TrainingPipeline",
    "featurestores": "aiplatform.googleapis.com/Featurestore",
    "modelDeploymentMonitoringJobs": "aiplatform.googleapis.com/ModelDeploymentMonitoringJob",
    "indexEndpoints": "aiplatform.googleapis.com/IndexEndpoint",
    "instances": "notebooks.googleapis.com/Instance",
}
PROJECT_ASSET_TYPE = "cloudresourcemanager.googleapis.com/Project"

# Enum numbers (verified against the installed protos; GAPIC REST asks for enum-encoding=int).
JOB_STATE_RUNNING, JOB_STATE_SUCCEEDED, JOB_STATE_FAILED, JOB_STATE_CANCELLED = 3, 4, 5, 7
PIPELINE_STATE_SUCCEEDED, PIPELINE_STATE_FAILED = 4, 5
FEATURESTORE_STABLE = 1
SCHEDULE_OFFLINE = 2
DEDICATED_RESOURCES = 1
PROJECT_ACTIVE, PROJECT_DELETE_REQUESTED, FOLDER_ACTIVE = 1, 2, 1
KMS_ENCRYPT_DECRYPT, KMS_VERSION_ENABLED, KMS_SOFTWARE, KMS_HSM, KMS_SYMMETRIC = 1, 1, 1, 2, 1
WORKBENCH_ACTIVE, WORKBENCH_HEALTHY, PD_BALANCED, GVNIC = 3, 1, 3, 2
SCC_INHERITED, SCC_ENABLED, SCC_DISABLED = 1, 2, 3
CURRENT_SPEND, FORECASTED_SPEND, CALENDAR_MONTH, INCLUDE_ALL_CREDITS = 1, 2, 1, 1
LOG_ADMIN_READ, LOG_DATA_WRITE, LOG_DATA_READ = 1, 2, 3
MODEL_SOURCE_CUSTOM, MODEL_SOURCE_GENIE = 2, 5
# Model Armor (modelarmor_v1) and Sensitive Data Protection (dlp_v2) enums.
ARMOR_AI_PLATFORM, ARMOR_ENABLED, ARMOR_DISABLED = 1, 1, 2
ARMOR_MEDIUM_AND_ABOVE, ARMOR_HIGH = 2, 3
RAI_SEXUALLY_EXPLICIT, RAI_HATE_SPEECH, RAI_HARASSMENT, RAI_DANGEROUS = 2, 3, 6, 17
ARMOR_INSPECT_ONLY, ARMOR_INSPECT_AND_BLOCK = 1, 2
DLP_RUNNING = 1
TERRAFORM_LABEL = {"goog-terraform-provisioned": "true"}

# Deterministic fakes shaped like the real thing so secret detectors fire.
_FAKES = random.Random(20261122)
_ALNUM = string.ascii_letters + string.digits


def _fake(alphabet: str, length: int) -> str:
    return "".join(_FAKES.choice(alphabet) for _ in range(length))


_HF_TOKEN = "hf_" + _fake(string.ascii_letters, 34)
_OPENAI_API_KEY = "sk-proj-" + _fake(_ALNUM, 40)
_WANDB_API_KEY = _fake("0123456789abcdef", 40)
# The shapes redaction used to miss: a compound name, a plain KEY holding 32 hex digits, JSON inside a string,
# a bearer token in a curl line and a service-account key file base64-wrapped at 76 columns in a heredoc.
_AZURE_OPENAI_KEY = _fake("0123456789abcdef", 32)
_TRAINING_DB_PASSWORD = "Db-" + _fake(_ALNUM, 21) + "#"
_PIPELINE_DB_PASSWORD = "Pl-" + _fake(_ALNUM, 21) + "%"
_WORKBENCH_PGPASSWORD = "Pg-" + _fake(_ALNUM, 21) + "!"
_GATEWAY_BEARER = _fake("0123456789abcdef", 40)
_KEY_FILE_PEM = "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQ" + _fake(_ALNUM + "+/", 200)
_KEY_FILE = json.dumps(
    {
        "type": "service_account",
        "project_id": "ml-prod-4521",
        "private_key_id": _fake("0123456789abcdef", 40),
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{_KEY_FILE_PEM}\n-----END PRIVATE KEY-----\n",
        "client_email": "batch-scorer@ml-prod-4521.iam.gserviceaccount.com",
        "client_id": "117284930561728394056",
        "token_uri": "https://oauth2.googleapis.com/token",
    },
    indent=2,
)
_WRAPPED_KEY_FILE = base64.encodebytes(_KEY_FILE.encode()).decode()  # `base64 sa.json`: 76 columns
_LEAKY_STARTUP_SCRIPT = (
    "#!/bin/bash\nset -euo pipefail\n"
    f"export PGPASSWORD='{_WORKBENCH_PGPASSWORD}'\n"
    "cat > /etc/ml/sa.json.b64 <<'EOF'\n"
    f"{_WRAPPED_KEY_FILE}"
    "EOF\n"
    "base64 -d /etc/ml/sa.json.b64 > /etc/ml/sa.json\n"
    f'curl -sf -H "Authorization: Bearer {_GATEWAY_BEARER}" https://llm-gateway.internal.example.com/v1/models\n'
)
# The good practice: the script reads its secrets from Secret Manager at boot.
_CLEAN_STARTUP_SCRIPT = (
    "#!/bin/bash\nset -euo pipefail\n"
    "export PGPASSWORD=$(gcloud secrets versions access latest --secret=pg-password)\n"
    'curl -sf -H "Authorization: Bearer $(gcloud auth print-access-token)" '
    "https://llm-gateway.internal.example.com/v1/models\n"
)
# An agent's deployment env with a GitHub token pasted in.
_AGENT_GITHUB_TOKEN = "ghp_" + _fake(_ALNUM, 36)
_PLANTED = (
    _AGENT_GITHUB_TOKEN,
    _HF_TOKEN,
    _OPENAI_API_KEY,
    _WANDB_API_KEY,
    _AZURE_OPENAI_KEY,
    _TRAINING_DB_PASSWORD,
    _PIPELINE_DB_PASSWORD,
    _WORKBENCH_PGPASSWORD,
    _GATEWAY_BEARER,
    # Every line of the wrapped key file but the short last one: any of them surviving is a leak.
    *_WRAPPED_KEY_FILE.splitlines()[:-1],
)

_TIMES = {"createTime": "2026-03-02T09:15:27.123456Z", "updateTime": "2026-05-20T16:40:03.765432Z"}


@dataclass(frozen=True)
class GcpEstateManifest:
    """What register_gcp_estate replays and what each check should conclude about it."""

    organization_id: str
    project_ids: tuple[str, ...]
    prod_project_id: str
    dev_project_id: str
    denied_project_id: str
    project_numbers: dict[str, str]
    universe_domain: str
    secrets: tuple[str, ...]
    hostile_strings: tuple[str, ...]
    # (check_id, resource name) -> "PASS" | "FAIL" | "MANUAL"; project-level checks use the project id.
    expected: dict[tuple[str, str], str] = field(default_factory=dict)
    allowed_regions: tuple[str, ...] = ALLOWED_REGIONS

    @property
    def check_ids(self) -> tuple[str, ...]:
        """The checks the estate exercises: every check id its expectations name, in order of first mention."""
        return tuple(dict.fromkeys(check_id for check_id, _ in self.expected))


def _error(code: int, status: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = details
    return {"error": body}


def _error_info(reason: str, domain: str, **metadata: str) -> dict[str, Any]:
    info: dict[str, Any] = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain}
    if metadata:
        info["metadata"] = metadata
    return info


class _Reply(Exception):
    """Raised inside the router to answer at once."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _not_found(message: str) -> _Reply:
    return _Reply(404, _error(404, "NOT_FOUND", message))


@dataclass(frozen=True)
class _Placement:
    """Where the production project's Vertex AI resources live: regions, CMEK keys, network, service accounts."""

    project: str
    us: str
    eu: str
    key_us: str
    key_eu: str
    vpc: str
    serving: str
    trainer: str
    default: str


def _service_account(
    project: str, email: str, display: str, unique: str, description: str = "", disabled: bool = False
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": f"projects/{project}/serviceAccounts/{email}",
        "projectId": project,
        "uniqueId": unique,
        "email": email,
        "displayName": display,
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": unique,
    }
    if description:
        item["description"] = description
    if disabled:
        item["disabled"] = True
    return item


def _service_account_key(
    project: str, email: str, key_id: str, key_type: str, after: str, before: str, **extra: Any
) -> dict[str, Any]:
    return {
        "name": f"projects/{project}/serviceAccounts/{email}/keys/{key_id}",
        "validAfterTime": after,
        "validBeforeTime": before,
        "keyAlgorithm": "KEY_ALG_RSA_2048",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": key_type,
        **extra,
    }


class _Builder:
    """Builds the estate tables and the expected verdicts."""

    def __init__(self, denied_project: bool) -> None:
        self.denied = denied_project
        self.projects: dict[str, dict[str, Any]] = {}
        self.iam_policies: dict[str, dict[str, Any]] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.vertex: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.notebooks: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.accounts: dict[str, list[dict[str, Any]]] = {}
        self.keys: dict[str, list[dict[str, Any]]] = {}
        self.org_policies: dict[str, dict[str, dict[str, Any]]] = {}
        self.scc: dict[str, list[dict[str, Any]]] = {}
        self.billing_info: dict[str, dict[str, Any]] = {}
        self.budgets: list[dict[str, Any]] = []
        self.crypto_keys: dict[str, dict[str, Any]] = {}
        self.access_policies: list[dict[str, Any]] = []
        self.perimeters: dict[str, list[dict[str, Any]]] = {}
        self.floor_settings: dict[str, dict[str, Any] | None] = {}  # None: the Model Armor API is disabled
        self.armor_templates: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.buckets: dict[str, dict[str, Any]] = {}
        # IAM policies beside the projects': of the organization and folders ("folders/<id>"), of each bucket,
        # and of each service account (by e-mail).
        self.ancestor_policies: dict[str, dict[str, Any]] = {}
        self.bucket_policies: dict[str, dict[str, Any]] = {}
        self.account_policies: dict[str, dict[str, Any]] = {}
        self.bq_datasets: dict[tuple[str, str], dict[str, Any]] = {}
        self.discovery_configs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.networks: dict[tuple[str, str], dict[str, Any]] = {}
        self.firewalls: dict[str, list[dict[str, Any]]] = {}
        self.cai_projects: list[dict[str, Any]] = []
        self.cai_org_extra: list[tuple[str, dict[str, Any]]] = []  # resources seen only at org scope
        self.expected: dict[tuple[str, str], str] = {}
        self.random = random.Random(7781)  # build-time fakes: the same estate on every build

    def hex(self, length: int) -> str:
        return "".join(self.random.choice("0123456789abcdef") for _ in range(length))

    # ------------------------------------------------------------------ helpers

    def expect(self, check_id: str, name: str, status: str) -> None:
        assert check_id.startswith("gcp."), check_id
        assert status in (PASS, FAIL, MANUAL), status
        assert (check_id, name) not in self.expected, (check_id, name)
        self.expected[(check_id, name)] = status

    def expect_all(self, name: str, verdicts: dict[str, str]) -> None:
        for check_id, status in verdicts.items():
            self.expect(check_id, name, status)

    @staticmethod
    def loc(project: str, region: str) -> str:
        return f"projects/{PROJECT_NUMBERS[project]}/locations/{region}"

    def put(self, project: str, region: str, collection: str, item: dict[str, Any]) -> dict[str, Any]:
        self.vertex.setdefault((project, region, collection), []).append(item)
        return item

    @staticmethod
    def key_name(project: str, region: str, ring: str, key: str) -> str:
        return f"projects/{project}/locations/{region}/keyRings/{ring}/cryptoKeys/{key}"

    @staticmethod
    def secrets_verdict(env: list[dict[str, str]] | None) -> str:
        """MS-4 on a container env: FAIL exactly when one of its values is a planted secret (or hides one)."""
        values = [e["value"] for e in env or []]
        return FAIL if any(secret in value for value in values for secret in _PLANTED) else PASS

    @staticmethod
    def region_verdict(location: str) -> str:
        region = re.sub(r"-[a-z]$", "", location)
        return PASS if region in ALLOWED_REGIONS else FAIL

    # ------------------------------------------------------------------ the estate

    def build(self) -> None:
        self.resource_manager()
        self.prod_vertex()
        self.dev_vertex()
        self.denied_vertex()
        self.workbench()
        self.service_accounts()
        self.kms()
        self.org_policy()
        self.security_center()
        self.billing()
        self.access_context()
        self.model_armor()
        self.data_stores()
        self.sensitive_data_protection()
        self.compute()
        self.resource_iam_policies()
        self.expect_attack_paths()

    def resource_manager(self) -> None:
        self.folder()
        self.resource_manager_projects()
        self.prod_iam_policy()
        self.other_iam_policies()
        self.expect_projects()

    def folder(self) -> None:
        self.folders[FOLDER_ID] = {
            "name": f"folders/{FOLDER_ID}",
            "parent": f"organizations/{ORGANIZATION_ID}",
            "displayName": "ml-platform",
            "state": FOLDER_ACTIVE,
            "createTime": "2024-02-01T10:00:00.000Z",
            "updateTime": "2024-02-01T10:00:00.000Z",
            "etag": 'W/"f0ld3r11"',
        }
        self.folders[PARTNER_FOLDER_ID] = {
            "name": f"folders/{PARTNER_FOLDER_ID}",
            "parent": f"folders/{FOLDER_ID}",
            "displayName": "ml-partners",
            "state": FOLDER_ACTIVE,
            "createTime": "2024-06-11T09:00:00.000Z",
            "updateTime": "2024-06-11T09:00:00.000Z",
            "etag": 'W/"f0ld3r55"',
        }

    def folder_chain(self, parent: str) -> list[str]:
        """The folders above a resource whose parent is `parent`, nearest first (Cloud Asset Inventory's `folders`)."""
        chain: list[str] = []
        while parent.startswith("folders/"):
            chain.append(parent)
            parent = self.folders[parent.removeprefix("folders/")]["parent"]
        return chain

    def resource_manager_projects(self) -> None:
        specs: tuple[tuple[str, str, str, dict[str, str], int], ...] = (
            (
                PROD_PROJECT_ID,
                f"folders/{FOLDER_ID}",
                "ML production",
                {"env": "prod", "team": "ml-platform"},
                PROJECT_ACTIVE,
            ),
            (DEV_PROJECT_ID, f"organizations/{ORGANIZATION_ID}", "ML dev sandbox", {"env": "dev"}, PROJECT_ACTIVE),
            (
                DENIED_PROJECT_ID,
                f"folders/{PARTNER_FOLDER_ID}",
                "ML partner share",
                {"env": "partner"},
                PROJECT_ACTIVE,
            ),
            (DELETED_PROJECT_ID, f"organizations/{ORGANIZATION_ID}", "ML 2020 pilot", {}, PROJECT_DELETE_REQUESTED),
        )
        for pid, parent, display, labels, state in specs:
            self.add_project(pid, parent, display, labels, state)

    def add_project(self, pid: str, parent: str, display: str, labels: dict[str, str], state: int) -> None:
        """The project as Resource Manager answers it, and as the Cloud Asset Inventory lists it."""
        number = PROJECT_NUMBERS[pid]
        project: dict[str, Any] = {
            "name": f"projects/{number}",
            "parent": parent,
            "projectId": pid,
            "state": state,
            "displayName": display,
            "createTime": "2024-02-03T08:30:12.000Z",
            "updateTime": "2025-11-03T14:02:55.000Z",
            "etag": f'W/"{number[-6:]}e7a1"',
        }
        if labels:
            project["labels"] = labels
        if state == PROJECT_DELETE_REQUESTED:
            project["deleteTime"] = "2026-04-01T00:00:00.000Z"
        self.projects[pid] = project
        folders = self.folder_chain(parent)
        result: dict[str, Any] = {
            "name": f"//cloudresourcemanager.googleapis.com/projects/{number}",
            "assetType": PROJECT_ASSET_TYPE,
            "project": f"projects/{number}",
            "displayName": display,
            "location": "global",
            "organization": f"organizations/{ORGANIZATION_ID}",
            "createTime": "2024-02-03T08:30:12Z",
            "state": "DELETE_REQUESTED" if state == PROJECT_DELETE_REQUESTED else "ACTIVE",
            "additionalAttributes": {"projectId": pid},
            "parentFullResourceName": f"//cloudresourcemanager.googleapis.com/{parent}",
            "parentAssetType": (
                "cloudresourcemanager.googleapis.com/Folder"
                if folders
                else "cloudresourcemanager.googleapis.com/Organization"
            ),
        }
        if folders:
            result["folders"] = folders
        if labels:
            result["labels"] = labels
        self.cai_projects.append(result)

    def prod_iam_policy(self) -> None:
        prod_sa = self.sa_email(PROD_PROJECT_ID, "vertex-serving")
        trainer = self.sa_email(PROD_PROJECT_ID, "vertex-trainer")
        prod_default = self.default_sa(PROD_PROJECT_ID)
        self.iam_policies[PROD_PROJECT_ID] = {
            "version": 3,
            "etag": "BwYd8dXZ2mE=",
            "bindings": [
                {
                    "role": "roles/aiplatform.user",
                    "members": [f"serviceAccount:{prod_sa}", f"serviceAccount:{trainer}"],
                },
                {
                    "role": "roles/aiplatform.user",
                    "members": ["group:ml-engineers@example.com"],
                    "condition": {
                        "title": "jit-deploy-window",
                        "description": "Just-in-time deploy access granted by the change process",
                        "expression": "request.time < timestamp('2026-06-30T18:00:00.000Z')",
                    },
                },
                {
                    "role": "roles/aiplatform.viewer",
                    "members": ["group:analysts@example.com"],
                    "condition": {
                        "title": "expires-2026-12",
                        "description": "Temporary analyst access",
                        "expression": "request.time < timestamp('2026-12-31T00:00:00.000Z')",
                    },
                },
                {
                    "role": "roles/editor",
                    "members": [
                        f"serviceAccount:{PROJECT_NUMBERS[PROD_PROJECT_ID]}@cloudservices.gserviceaccount.com",
                        f"serviceAccount:{prod_default}",
                        f"serviceAccount:{trainer}",
                    ],
                },
                {"role": "roles/owner", "members": [f"serviceAccount:{self.sa_email(PROD_PROJECT_ID, 'terraform')}"]},
            ],
            "auditConfigs": [
                {"service": "allServices", "auditLogConfigs": [{"logType": LOG_ADMIN_READ}]},
                {
                    "service": "aiplatform.googleapis.com",
                    "auditLogConfigs": [
                        {"logType": LOG_DATA_READ, "exemptedMembers": ["user:ml-loadtest@example.com"]},
                        {"logType": LOG_DATA_WRITE},
                    ],
                },
            ],
        }

    def other_iam_policies(self) -> None:
        self.iam_policies[DEV_PROJECT_ID] = {
            "version": 1,
            "etag": "BwYdRk1y0sQ=",
            "bindings": [
                {
                    "role": "roles/editor",
                    "members": [
                        f"serviceAccount:{PROJECT_NUMBERS[DEV_PROJECT_ID]}@cloudservices.gserviceaccount.com",
                        f"serviceAccount:{self.default_sa(DEV_PROJECT_ID)}",
                        "group:ml-engineers@example.com",
                    ],
                },
                {"role": "roles/owner", "members": ["user:dev-lead@example.com"]},
                # Anyone in the company may call the sandbox's models.
                {"role": "roles/aiplatform.user", "members": ["domain:example.com"]},
            ],
        }
        self.iam_policies[DENIED_PROJECT_ID] = {
            "version": 1,
            "etag": "BwYdAAAAAAA=",
            "bindings": [{"role": "roles/owner", "members": ["group:partner-admins@example.com"]}],
        }

    def resource_iam_policies(self) -> None:
        """Grants made outside the project policies, which the attack paths must see: the platform folder lets the
        serving account read every bucket below it (the scratch bucket of team ml among them), the agents bucket
        lets the trainer read it, and the trainer's own policy lets the support agent mint its tokens (the trainer
        holds Editor: a way to more permissions). The organization grants only people, one binding with a
        condition."""
        p = PROD_PROJECT_ID
        self.ancestor_policies[f"organizations/{ORGANIZATION_ID}"] = {
            "version": 3,
            "etag": "BwYe0rg0AAE=",
            "bindings": [
                {"role": "roles/resourcemanager.organizationAdmin", "members": ["group:cloud-admins@example.com"]},
                {"role": "roles/iam.securityReviewer", "members": ["group:security-auditors@example.com"]},
                {
                    "role": "roles/storage.objectViewer",
                    "members": ["group:incident-responders@example.com"],
                    "condition": {
                        "title": "break-glass-2026",
                        "description": "Incident response access, reviewed quarterly",
                        "expression": "request.time < timestamp('2026-12-31T00:00:00.000Z')",
                    },
                },
            ],
        }
        self.ancestor_policies[f"folders/{FOLDER_ID}"] = {
            "version": 1,
            "etag": "BwYe0f1dAAE=",
            "bindings": [
                {
                    "role": "roles/storage.objectViewer",
                    "members": [f"serviceAccount:{self.sa_email(p, 'vertex-serving')}"],
                },
                {"role": "roles/aiplatform.viewer", "members": ["group:ml-platform@example.com"]},
            ],
        }
        self.ancestor_policies[f"folders/{PARTNER_FOLDER_ID}"] = {
            "version": 1,
            "etag": "BwYe0f1dAFU=",
            "bindings": [{"role": "roles/viewer", "members": ["group:partner-admins@example.com"]}],
        }
        agents = self.bucket_policies[f"{p}-agents"]
        agents["etag"] = "CAI="
        agents["bindings"].append(
            {"role": "roles/storage.objectViewer", "members": [f"serviceAccount:{self.sa_email(p, 'vertex-trainer')}"]}
        )
        self.account_policies[self.sa_email(p, "vertex-trainer")] = {
            "version": 1,
            "etag": "BwYe5atrAAE=",
            "bindings": [
                {
                    "role": "roles/iam.serviceAccountTokenCreator",
                    "members": [f"serviceAccount:{self.sa_email(p, 'support-agent')}"],
                }
            ],
        }

    def expect_attack_paths(self) -> None:
        """ZT-4: Editor lets the trainer and the default compute account mint keys for the Terraform account (Owner) and
        redeploy every production endpoint, and aiplatform.user lets the serving account redeploy them; the public
        endpoint and the Workbench instance with an external IP run as the default account, which reads the
        confidential buckets and the restricted dataset. The support agent's account holds no project role, but the
        trainer's own IAM policy lets it mint the trainer's tokens (and so reach what Editor reaches); the platform
        folder's grant lets the serving account, which the public European endpoint runs as, read the confidential
        buckets (`resource_iam_policies`)."""
        p, d = PROD_PROJECT_ID, DEV_PROJECT_ID
        blast = "gcp.iam.ai_identity_blast_radius"
        for email, status in (
            (self.sa_email(p, "vertex-trainer"), FAIL),
            (self.sa_email(p, "vertex-serving"), FAIL),
            (self.default_sa(p), FAIL),
            (self.sa_email(p, "support-agent"), FAIL),
            (self.default_sa(d), PASS),
        ):
            self.expect(blast, email, status)
        exposed = "gcp.iam.exposed_ai_identity_sensitive_data"
        for name, status in (
            ("churn-ep-public", FAIL),
            ("wb-eu-bob", FAIL),
            ("recs-ep-eu", FAIL),
            ("fraud-ep-private", PASS),
            ("dev-playground-ep", PASS),
            ("wb-alice", PASS),
            (HOSTILE_ENDPOINT_NAME, PASS),
        ):
            self.expect(exposed, name, status)

    def expect_projects(self) -> None:
        for pid, verdicts in (
            (
                PROD_PROJECT_ID,
                {
                    "gcp.logging.vertex_data_access_audit_logs": PASS,
                    "gcp.orgpolicy.ai_constraints": PASS,
                    "gcp.scc.enabled": PASS,
                    "gcp.billing.budget_alerts": PASS,
                    "gcp.accesscontext.vertex_in_perimeter": PASS,
                    "gcp.project.incident_response_playbooks": MANUAL,
                    "gcp.project.training_blast_radius": FAIL,
                    "gcp.iam.deploy_export_grants_expire": PASS,
                    "gcp.orgpolicy.vertex_workbench_constraints": PASS,
                    "gcp.orgpolicy.tls_versions_restricted": PASS,
                    "gcp.iam.predict_not_public": PASS,
                },
            ),
            (
                DEV_PROJECT_ID,
                {
                    "gcp.logging.vertex_data_access_audit_logs": FAIL,
                    "gcp.orgpolicy.ai_constraints": FAIL,
                    "gcp.scc.enabled": FAIL,
                    "gcp.billing.budget_alerts": FAIL,
                    "gcp.accesscontext.vertex_in_perimeter": FAIL,
                    "gcp.project.incident_response_playbooks": MANUAL,
                    "gcp.project.training_blast_radius": PASS,
                    "gcp.iam.deploy_export_grants_expire": FAIL,
                    "gcp.orgpolicy.vertex_workbench_constraints": FAIL,
                    "gcp.orgpolicy.tls_versions_restricted": FAIL,
                    "gcp.iam.predict_not_public": FAIL,
                },
            ),
        ):
            self.expect_all(pid, verdicts)

    @staticmethod
    def sa_email(project: str, account: str) -> str:
        return f"{account}@{project}.iam.gserviceaccount.com"

    @staticmethod
    def default_sa(project: str) -> str:
        return f"{PROJECT_NUMBERS[project]}-compute@developer.gserviceaccount.com"

    # ---- Vertex AI resources (each with its expected verdicts next to it)

    def endpoint(
        self, project: str, region: str, eid: str, display: str, *, verdicts: dict[str, str], **fields: Any
    ) -> dict[str, Any]:
        item = {
            "name": f"{self.loc(project, region)}/endpoints/{eid}",
            "displayName": display,
            "etag": f"AMEw9yN{eid[-6:]}",
            **fields,
            **_TIMES,
        }
        self.put(project, region, "endpoints", item)
        self.expect_all(display, {**verdicts, "gcp.vertex.resource_in_allowed_region": self.region_verdict(region)})
        return item

    def deployed(
        self, project: str, region: str, dm_id: str, model_id: str, display: str, sa: str | None, replicas: int = 1
    ) -> dict[str, Any]:
        dm: dict[str, Any] = {
            "id": dm_id,
            "model": f"{self.loc(project, region)}/models/{model_id}",
            "modelVersionId": "1",
            "displayName": display,
            "createTime": "2026-03-02T10:05:00.000Z",
            "dedicatedResources": {
                "machineSpec": {"machineType": "n1-standard-4"},
                "minReplicaCount": replicas,
                "maxReplicaCount": 3,
            },
            "enableAccessLogging": True,
        }
        if sa:
            dm["serviceAccount"] = sa
        return dm

    def model(
        self,
        project: str,
        region: str,
        mid: str,
        display: str,
        *,
        key: str | None,
        env: list[dict[str, str]] | None = None,
        description: str | None = None,
        lineage: dict[str, str] | None = None,
    ) -> None:
        item: dict[str, Any] = {
            "name": f"{self.loc(project, region)}/models/{mid}",
            "displayName": display,
            "versionId": "1",
            "versionAliases": ["default"],
            "versionCreateTime": _TIMES["createTime"],
            "versionUpdateTime": _TIMES["updateTime"],
            "artifactUri": f"gs://{project}-artifacts/models/{display}/",
            "supportedDeploymentResourcesTypes": [DEDICATED_RESOURCES],
            "containerSpec": {
                "imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
                "ports": [{"containerPort": 8080}],
                "predictRoute": "/predict",
                "healthRoute": "/health",
            },
            "etag": f"AMEw9yM{mid[-6:]}",
            "labels": {"team": "ml-platform"},
            "modelSourceInfo": {"sourceType": MODEL_SOURCE_CUSTOM},
            **(lineage or {}),
            **_TIMES,
        }
        if env:
            item["containerSpec"]["env"] = env
        if description:
            item["description"] = description
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
        self.put(project, region, "models", item)
        self.expect_all(
            display,
            {
                "gcp.vertex.resource_cmek": PASS if key else FAIL,
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(region),
                "gcp.vertex.no_secrets_in_configuration": self.secrets_verdict(env),
            },
        )

    def dataset(
        self,
        project: str,
        region: str,
        did: str,
        display: str,
        *,
        key: str | None,
        description: str | None = None,
        terraform: bool = False,
    ) -> None:
        item: dict[str, Any] = {
            "name": f"{self.loc(project, region)}/datasets/{did}",
            "displayName": display,
            "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml",
            "metadata": {"inputConfig": {"bigquerySource": {"uri": f"bq://{project}.ml.{display.replace('-', '_')}"}}},
            "etag": f"AMEw9yD{did[-6:]}",
            "metadataArtifact": f"{self.loc(project, region)}/metadataStores/default/artifacts/{did}",
            **_TIMES,
        }
        if description:
            item["description"] = description
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
        if terraform:
            item["labels"] = dict(TERRAFORM_LABEL)
        self.put(project, region, "datasets", item)
        self.expect_all(
            display,
            {
                "gcp.vertex.resource_cmek": PASS if key else FAIL,
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(region),
                "gcp.vertex.provisioned_by_terraform": PASS if terraform else FAIL,
            },
        )

    def custom_job(
        self,
        project: str,
        region: str,
        jid: str,
        display: str,
        *,
        state: int,
        key: str | None,
        sa: str | None,
        network: str | None,
        env: list[dict[str, str]] | None = None,
    ) -> None:
        pool: dict[str, Any] = {
            "machineSpec": {"machineType": "n1-standard-8"},
            "replicaCount": "1",
            "containerSpec": {"imageUri": f"us-docker.pkg.dev/{project}/train/{display}:v3", "args": ["--epochs=10"]},
            "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100},
        }
        if env:
            pool["containerSpec"]["env"] = env
        spec: dict[str, Any] = {
            "workerPoolSpecs": [pool],
            "baseOutputDirectory": {"outputUriPrefix": f"gs://{project}-artifacts/jobs/{jid}"},
        }
        if sa:
            spec["serviceAccount"] = sa
        if network:
            spec["network"] = network
            spec["reservedIpRanges"] = ["vertex-range"]
        else:
            spec["enableWebAccess"] = True
        item: dict[str, Any] = {
            "name": f"{self.loc(project, region)}/customJobs/{jid}",
            "displayName": display,
            "jobSpec": spec,
            "state": state,
            "startTime": "2026-03-02T09:20:00Z",
            "endTime": "2026-03-02T10:20:00Z",
            **_TIMES,
        }
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
        if state == JOB_STATE_FAILED:
            item["error"] = {"code": 3, "message": "The replica workerpool0-0 exited with a non-zero status of 1."}
        self.put(project, region, "customJobs", item)
        default = sa is None or sa.endswith("-compute@developer.gserviceaccount.com")
        self.expect_all(
            display,
            {
                "gcp.vertex.resource_cmek": PASS if key else FAIL,
                "gcp.vertex.job_on_vpc": PASS if network else FAIL,
                "gcp.vertex.dedicated_service_account": FAIL if default else PASS,
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(region),
                "gcp.vertex.no_secrets_in_configuration": self.secrets_verdict(env),
            },
        )

    def pipeline(
        self,
        project: str,
        region: str,
        pid: str,
        display: str,
        *,
        key: str | None,
        sa: str | None,
        network: str | None,
        env: list[dict[str, str]] | None = None,
        dataset: str | None = None,
    ) -> None:
        container: dict[str, Any] = {"imageUri": f"us-docker.pkg.dev/{project}/train/{display}:v1"}
        if env:
            container["env"] = env
        inputs: dict[str, Any] = {
            "workerPoolSpecs": [
                {"machineSpec": {"machineType": "n1-standard-8"}, "replicaCount": "1", "containerSpec": container}
            ],
            "baseOutputDirectory": {"outputUriPrefix": f"gs://{project}-artifacts/pipelines/{pid}"},
        }
        if sa:
            inputs["serviceAccount"] = sa
        if network:
            inputs["network"] = network
        item: dict[str, Any] = {
            "name": f"{self.loc(project, region)}/trainingPipelines/{pid}",
            "displayName": display,
            "trainingTaskDefinition": "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml",
            "trainingTaskInputs": inputs,
            "state": PIPELINE_STATE_SUCCEEDED,
            "modelToUpload": {"displayName": f"{display}-model"},
            "startTime": "2026-03-03T09:00:00Z",
            "endTime": "2026-03-03T11:00:00Z",
            **_TIMES,
        }
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
            item["modelToUpload"]["encryptionSpec"] = {"kmsKeyName": key}
        if dataset:
            # The managed dataset it trains on, by bare id in its own project and location.
            item["inputDataConfig"] = {"datasetId": dataset, "fractionSplit": {"trainingFraction": 0.8}}
        self.put(project, region, "trainingPipelines", item)
        self.expect_all(
            display,
            {
                "gcp.vertex.resource_cmek": PASS if key else FAIL,
                "gcp.vertex.job_on_vpc": PASS if network else FAIL,
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(region),
                "gcp.vertex.no_secrets_in_configuration": self.secrets_verdict(env),
            },
        )

    def featurestore(self, project: str, region: str, fid: str, *, key: str | None, terraform: bool = False) -> None:
        item: dict[str, Any] = {
            "name": f"{self.loc(project, region)}/featurestores/{fid}",
            "etag": f"AMEw9yF{fid[-4:]}",
            "onlineServingConfig": {"scaling": {"minNodeCount": 1, "maxNodeCount": 3}},
            "state": FEATURESTORE_STABLE,
            "onlineStorageTtlDays": 30,
            "labels": {"team": "ml-platform", **(TERRAFORM_LABEL if terraform else {})},
            **_TIMES,
        }
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
        self.put(project, region, "featurestores", item)
        self.expect_all(
            fid,
            {
                "gcp.vertex.resource_cmek": PASS if key else FAIL,
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(region),
                "gcp.vertex.provisioned_by_terraform": PASS if terraform else FAIL,
            },
        )

    def monitoring_job(
        self,
        project: str,
        region: str,
        jid: str,
        display: str,
        endpoint: dict[str, Any],
        dm_id: str,
        *,
        state: int,
        key: str | None,
    ) -> None:
        item: dict[str, Any] = {
            "name": f"{self.loc(project, region)}/modelDeploymentMonitoringJobs/{jid}",
            "displayName": display,
            "endpoint": endpoint["name"],
            "state": state,
            "modelDeploymentMonitoringObjectiveConfigs": [
                {
                    "deployedModelId": dm_id,
                    "objectiveConfig": {
                        "predictionDriftDetectionConfig": {"driftThresholds": {"amount": {"value": 0.3}}}
                    },
                }
            ],
            "modelDeploymentMonitoringScheduleConfig": {"monitorInterval": "3600s"},
            "loggingSamplingStrategy": {"randomSampleConfig": {"sampleRate": 0.2}},
            "modelMonitoringAlertConfig": {
                "emailAlertConfig": {"userEmails": ["ml-oncall@example.com"]},
                "enableLogging": True,
            },
            "logTtl": "2592000s",
            **_TIMES,
        }
        if state == JOB_STATE_RUNNING:
            item["scheduleState"] = SCHEDULE_OFFLINE
            item["nextScheduleTime"] = "2026-05-20T17:00:00Z"
            endpoint["modelDeploymentMonitoringJob"] = item["name"]
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
        self.put(project, region, "modelDeploymentMonitoringJobs", item)
        self.expect("gcp.vertex.resource_in_allowed_region", display, self.region_verdict(region))

    def prod_vertex(self) -> None:
        prod = self.prod_placement()
        secure, public = self.prod_monitored_endpoints(prod)
        self.prod_other_endpoints(prod)
        self.prod_models(prod)
        self.prod_datasets(prod)
        self.prod_training(prod)
        self.prod_featurestores(prod)
        self.prod_monitoring_jobs(prod, secure, public)
        self.prod_generative(prod)
        self.expect_prod_service_accounts(prod)

    def prod_placement(self) -> _Placement:
        p, us, eu = PROD_PROJECT_ID, "us-central1", "europe-west4"
        return _Placement(
            project=p,
            us=us,
            eu=eu,
            key_us=self.key_name(p, us, "vertex-kr", "vertex-cmek"),
            key_eu=self.key_name(p, eu, "vertex-kr-eu", "vertex-cmek-eu"),
            vpc=f"projects/{PROJECT_NUMBERS[p]}/global/networks/ml-vpc",
            serving=self.sa_email(p, "vertex-serving"),
            trainer=self.sa_email(p, "vertex-trainer"),
            default=self.default_sa(p),
        )

    def prod_monitored_endpoints(self, prod: _Placement) -> tuple[dict[str, Any], dict[str, Any]]:
        """The private, logged endpoint and the public one; each has a model monitoring job (see below)."""
        secure = self.endpoint(
            prod.project,
            prod.us,
            "4567890123456789012",
            "fraud-ep-private",
            labels={"env": "prod", "team": "fraud", **TERRAFORM_LABEL},
            deployedModels=[
                self.deployed(
                    prod.project, prod.us, "1122334455667788990", "998877", "fraud-v1", prod.serving, replicas=2
                )
            ],
            trafficSplit={"1122334455667788990": 100},
            encryptionSpec={"kmsKeyName": prod.key_us},
            privateServiceConnectConfig={
                "enablePrivateServiceConnect": True,
                "projectAllowlist": [prod.project],
                "serviceAttachment": (
                    f"projects/k8a1b2c3d4e5f-tp/regions/{prod.us}/serviceAttachments/sa-4567890123456789012"
                ),
            },
            predictRequestResponseLoggingConfig={
                "enabled": True,
                "samplingRate": 0.1,
                "bigqueryDestination": {"outputUri": f"bq://{prod.project}.logging.request_response_logging"},
            },
            verdicts={
                "gcp.vertex.endpoint_private": PASS,
                "gcp.vertex.resource_cmek": PASS,
                "gcp.vertex.dedicated_service_account": PASS,
                "gcp.vertex.endpoint_request_logging": PASS,
                "gcp.vertex.endpoint_monitored": PASS,
                "gcp.vertex.endpoint_calls_authenticated": PASS,
                "gcp.compute.inference_network_separated": PASS,
                "gcp.vertex.provisioned_by_terraform": PASS,
                "gcp.vertex.endpoint_min_replicas": PASS,
                "gcp.vertex.deployed_models_lineage": PASS,
            },
        )
        public = self.endpoint(
            prod.project,
            prod.us,
            "5678901234567890123",
            "churn-ep-public",
            labels={"env": "prod", "team": "growth"},
            deployedModels=[
                self.deployed(prod.project, prod.us, "2233445566778899001", "887766", "churn-v4", prod.default)
            ],
            trafficSplit={"2233445566778899001": 100},
            verdicts={
                "gcp.vertex.endpoint_private": FAIL,
                "gcp.vertex.resource_cmek": FAIL,
                "gcp.vertex.dedicated_service_account": FAIL,
                "gcp.vertex.endpoint_request_logging": FAIL,
                "gcp.vertex.endpoint_monitored": FAIL,
                "gcp.vertex.endpoint_calls_authenticated": PASS,
                "gcp.compute.inference_network_separated": FAIL,
                "gcp.vertex.provisioned_by_terraform": FAIL,
                "gcp.vertex.endpoint_min_replicas": FAIL,
                "gcp.vertex.deployed_models_lineage": FAIL,
            },
        )
        return secure, public

    def prod_other_endpoints(self, prod: _Placement) -> None:
        """An endpoint with a hostile name on a VPC network, and one in Europe."""
        self.endpoint(
            prod.project,
            prod.us,
            "6789012345678901234",
            HOSTILE_ENDPOINT_NAME,
            labels={"env": "prod", "owner": GCP_HOSTILE_STRINGS[1]},
            description=GCP_HOSTILE_STRINGS[3],
            network=prod.vpc,
            encryptionSpec={"kmsKeyName": prod.key_us},
            verdicts={
                "gcp.vertex.endpoint_private": PASS,
                "gcp.vertex.resource_cmek": PASS,
                "gcp.vertex.dedicated_service_account": PASS,
                "gcp.vertex.endpoint_request_logging": FAIL,
                "gcp.vertex.endpoint_monitored": FAIL,
                "gcp.vertex.endpoint_calls_authenticated": FAIL,
                "gcp.compute.inference_network_separated": FAIL,
                "gcp.vertex.provisioned_by_terraform": FAIL,
                "gcp.vertex.endpoint_min_replicas": PASS,
                "gcp.vertex.deployed_models_lineage": PASS,
            },
        )
        self.endpoint(
            prod.project,
            prod.eu,
            "7890123456789012345",
            "recs-ep-eu",
            labels={"env": "prod", "team": "recs"},
            deployedModels=[
                self.deployed(prod.project, prod.eu, "3344556677889900112", "776655", "recs-v2", prod.serving)
            ],
            trafficSplit={"3344556677889900112": 100},
            encryptionSpec={"kmsKeyName": prod.key_eu},
            predictRequestResponseLoggingConfig={
                "samplingRate": 0.05,
                "bigqueryDestination": {"outputUri": f"bq://{prod.project}.logging.recs"},
            },
            verdicts={
                "gcp.vertex.endpoint_private": FAIL,
                "gcp.vertex.resource_cmek": PASS,
                "gcp.vertex.dedicated_service_account": PASS,
                "gcp.vertex.endpoint_request_logging": FAIL,
                "gcp.vertex.endpoint_monitored": FAIL,
                "gcp.vertex.endpoint_calls_authenticated": PASS,
                "gcp.compute.inference_network_separated": FAIL,
                "gcp.vertex.provisioned_by_terraform": FAIL,
                "gcp.vertex.endpoint_min_replicas": FAIL,
                "gcp.vertex.deployed_models_lineage": PASS,
            },
        )

    def prod_models(self, prod: _Placement) -> None:
        self.model(
            prod.project,
            prod.us,
            "998877",
            "fraud-classifier",
            key=prod.key_us,
            # Trained by fraud-pipeline, which uploaded it to the registry.
            lineage={"trainingPipeline": f"{self.loc(prod.project, prod.us)}/trainingPipelines/7777000011112222"},
            env=[{"name": "HF_TOKEN", "value": _HF_TOKEN}, {"name": "LOG_LEVEL", "value": "info"}],
        )
        self.model(
            prod.project,
            prod.us,
            "887766",
            "churn-model",
            key=None,
            env=[{"name": "OPENAI_API_KEY", "value": _OPENAI_API_KEY}],
        )
        self.model(prod.project, prod.us, "665544", "recs-ranker", key=prod.key_us)
        self.model(prod.project, prod.us, "554433", "sentiment-bert", key=None, description=GCP_HOSTILE_STRINGS[3])
        # Calls Azure OpenAI as a fallback, with the account key pasted in (a name ending in a plain KEY).
        self.model(
            prod.project,
            prod.us,
            "443322",
            "llm-summarizer",
            key=prod.key_us,
            env=[
                {"name": "AZURE_OPENAI_ENDPOINT", "value": "https://contoso-aoai.openai.azure.com/"},
                {"name": "AZURE_OPENAI_KEY", "value": _AZURE_OPENAI_KEY},
                {"name": "MAX_TOKENS", "value": "4096"},
            ],
        )
        # Look-alikes only: a token budget, a key's name, a digest.
        self.model(
            prod.project,
            prod.eu,
            "776655",
            "recs-ranker-eu",
            key=prod.key_eu,
            lineage={"pipelineJob": f"{self.loc(prod.project, prod.eu)}/pipelineJobs/recs-train-20260301"},
            env=[
                {"name": "MAX_TOKENS", "value": "4096"},
                {"name": "KMS_KEY_NAME", "value": prod.key_eu},
                {"name": "MODEL_SHA256", "value": hashlib.sha256(b"recs-ranker-eu").hexdigest()},
            ],
        )

    def prod_datasets(self, prod: _Placement) -> None:
        self.dataset(prod.project, prod.us, "3344556677", "transactions", key=prod.key_us, terraform=True)
        self.dataset(
            prod.project, prod.us, "4455667788", "support-tickets", key=None, description=GCP_HOSTILE_STRINGS[2]
        )

    def prod_training(self, prod: _Placement) -> None:
        """Custom jobs and training pipelines."""
        self.custom_job(
            prod.project,
            prod.us,
            "5555000011112222",
            "train-fraud",
            state=JOB_STATE_SUCCEEDED,
            key=prod.key_us,
            sa=prod.trainer,
            network=prod.vpc,
            # The good practice: a Secret Manager reference the job resolves at run time.
            env=[{"name": "HF_TOKEN", "value": f"projects/{prod.project}/secrets/hf-token/versions/latest"}],
        )
        self.custom_job(
            prod.project,
            prod.us,
            "5555000033334444",
            "train-churn-adhoc",
            state=JOB_STATE_FAILED,
            key=None,
            sa=prod.default,
            network=None,
            env=[
                {"name": "WANDB_API_KEY", "value": _WANDB_API_KEY},
                {"name": "DBPASSWORD", "value": _TRAINING_DB_PASSWORD},
            ],
        )
        self.pipeline(
            prod.project,
            prod.us,
            "7777000011112222",
            "fraud-pipeline",
            key=prod.key_us,
            sa=prod.trainer,
            network=prod.vpc,
            dataset="3344556677",
        )
        self.pipeline(
            prod.project,
            prod.us,
            "7777000033334444",
            "churn-pipeline",
            key=None,
            sa=None,
            network=None,
            # JSON inside a string: the database settings, password included, in one variable.
            env=[
                {
                    "name": "DB_CONFIG",
                    "value": json.dumps({"host": "10.20.0.5", "user": "churn", "password": _PIPELINE_DB_PASSWORD}),
                }
            ],
        )

    def prod_featurestores(self, prod: _Placement) -> None:
        self.featurestore(prod.project, prod.us, "fraud_features", key=prod.key_us, terraform=True)
        self.featurestore(prod.project, prod.eu, "recs_features_eu", key=None)

    def prod_monitoring_jobs(self, prod: _Placement, secure: dict[str, Any], public: dict[str, Any]) -> None:
        self.monitoring_job(
            prod.project,
            prod.us,
            "8888000011112222",
            "fraud-drift",
            secure,
            "1122334455667788990",
            state=JOB_STATE_RUNNING,
            key=prod.key_us,
        )
        self.monitoring_job(
            prod.project,
            prod.us,
            "8888000033334444",
            "churn-drift",
            public,
            "2233445566778899001",
            state=JOB_STATE_CANCELLED,
            key=None,
        )

    def expect_prod_service_accounts(self, prod: _Placement) -> None:
        """The other SAs an AI resource runs as: their IAM verdicts."""
        self.expect_all(
            prod.serving, {"gcp.iam.no_basic_roles_for_ai_service_accounts": PASS, "gcp.iam.no_user_managed_keys": PASS}
        )
        self.expect_all(
            prod.trainer, {"gcp.iam.no_basic_roles_for_ai_service_accounts": FAIL, "gcp.iam.no_user_managed_keys": FAIL}
        )
        self.expect_all(
            prod.default, {"gcp.iam.no_basic_roles_for_ai_service_accounts": FAIL, "gcp.iam.no_user_managed_keys": PASS}
        )

    def dev_vertex(self) -> None:
        p, us = DEV_PROJECT_ID, "us-central1"
        default = self.default_sa(p)
        self.endpoint(
            p,
            us,
            "1234509876123450987",
            "dev-playground-ep",
            labels={"env": "dev"},
            deployedModels=[self.deployed(p, us, "9988776655443322110", "112233", "scratch-v1", default)],
            trafficSplit={"9988776655443322110": 100},
            verdicts={
                "gcp.vertex.endpoint_private": FAIL,
                "gcp.vertex.resource_cmek": FAIL,
                "gcp.vertex.dedicated_service_account": FAIL,
                "gcp.vertex.endpoint_request_logging": FAIL,
                "gcp.vertex.endpoint_monitored": FAIL,
                "gcp.vertex.endpoint_calls_authenticated": PASS,
                "gcp.compute.inference_network_separated": FAIL,
                "gcp.vertex.provisioned_by_terraform": FAIL,
                "gcp.vertex.endpoint_min_replicas": FAIL,
                "gcp.vertex.deployed_models_lineage": FAIL,
            },
        )
        self.model(p, us, "112233", "scratch-model", key=None)
        self.dataset(p, us, "9900112233", "dev-samples", key=None)
        self.custom_job(
            p, us, "6666000011112222", "dev-notebook-export", state=JOB_STATE_SUCCEEDED, key=None, sa=None, network=None
        )
        self.expect_all(
            default, {"gcp.iam.no_basic_roles_for_ai_service_accounts": FAIL, "gcp.iam.no_user_managed_keys": PASS}
        )

    def denied_vertex(self) -> None:
        """One public endpoint: always in the org-scope search; listed by the project itself when readable."""
        p, us = DENIED_PROJECT_ID, "us-central1"
        item = {
            "name": f"{self.loc(p, us)}/endpoints/3456789012345678901",
            "displayName": "partner-share-ep",
            "etag": "AMEw9yN678901",
            "labels": {"env": "partner"},
            **_TIMES,
        }
        if self.denied:
            self.cai_org_extra.append((p, self.cai_result(p, us, "endpoints", item)))
        else:
            self.put(p, us, "endpoints", item)

    def workbench(self) -> None:
        p = PROD_PROJECT_ID
        number = PROJECT_NUMBERS[p]

        def instance(
            zone: str, name: str, owner: str, sa: str, public_ip_disabled: bool, startup_script: str, network: str
        ) -> dict[str, Any]:
            terraform = network == "ml-vpc"  # the platform team's instances come from Terraform
            region = zone[:-2]
            setup: dict[str, Any] = {
                "machineType": "e2-standard-4",
                "serviceAccounts": [
                    {
                        "email": sa,
                        "scopes": [
                            "https://www.googleapis.com/auth/cloud-platform",
                            "https://www.googleapis.com/auth/userinfo.email",
                        ],
                    }
                ],
                "vmImage": {"project": "cloud-notebooks-managed", "name": "workbench-instances-v20260415"},
                "bootDisk": {"diskSizeGb": "150", "diskType": PD_BALANCED},
                "dataDisks": [{"diskSizeGb": "100", "diskType": PD_BALANCED}],
                "shieldedInstanceConfig": {
                    "enableSecureBoot": True,
                    "enableVtpm": True,
                    "enableIntegrityMonitoring": True,
                },
                "networkInterfaces": [
                    {
                        "network": f"projects/{p}/global/networks/{network}",
                        "subnet": f"projects/{p}/regions/{region}/subnetworks/{network}-{region}",
                        "nicType": GVNIC,
                    }
                ],
                "tags": ["deeplearning-vm", "notebook-instance"],
                "metadata": {
                    "notebook-disable-root": "true",
                    "idle-timeout-seconds": "10800",
                    "proxy-mode": "service_account",
                    "shutdown-script": "/opt/deeplearning/bin/shutdown_script.sh",
                    "startup-script": startup_script,
                },
            }
            if public_ip_disabled:
                setup["disablePublicIp"] = True
            item = {
                "name": f"projects/{p}/locations/{zone}/instances/{name}",
                "proxyUri": f"{self.hex(10)}-dot-{region}.notebooks.googleusercontent.com",
                "creator": owner,
                "instanceOwners": [owner],
                "state": WORKBENCH_ACTIVE,
                "healthState": WORKBENCH_HEALTHY,
                "healthInfo": {"jupyterlab_status": "1"},
                "id": f"9f8e7d6c-5b4a-4321-9876-{self.hex(12)}",
                "gceSetup": setup,
                "labels": {
                    "consumer-project-id": number,
                    "notebooks-product": "workbench-instances",
                    **(TERRAFORM_LABEL if terraform else {}),
                },
                **_TIMES,
            }
            self.notebooks.setdefault((p, zone), []).append(item)
            self.expect_all(
                name,
                {
                    "gcp.notebooks.no_public_ip": PASS if public_ip_disabled else FAIL,
                    "gcp.vertex.resource_in_allowed_region": self.region_verdict(zone),
                    "gcp.notebooks.no_secrets_in_configuration": (
                        FAIL if any(secret in startup_script for secret in _PLANTED) else PASS
                    ),
                    "gcp.vertex.provisioned_by_terraform": PASS if terraform else FAIL,
                },
            )
            return item

        alice_sa, bob_sa = self.sa_email(p, "vertex-trainer"), self.default_sa(p)
        instance("us-central1-a", "wb-alice", "alice@example.com", alice_sa, True, _CLEAN_STARTUP_SCRIPT, "ml-vpc")
        # Bob's instance sits on the project's default network, whose default rules admit SSH and RDP from anywhere.
        instance("europe-west4-b", "wb-eu-bob", "bob@example.com", bob_sa, False, _LEAKY_STARTUP_SCRIPT, "default")

    def service_accounts(self) -> None:
        self.prod_service_accounts()
        self.other_service_accounts()
        self.system_managed_keys()
        self.user_managed_keys()

    def prod_service_accounts(self) -> None:
        p = PROD_PROJECT_ID
        self.accounts[p] = [
            _service_account(p, self.default_sa(p), "Compute Engine default service account", "104729384756102938401"),
            _service_account(
                p,
                self.sa_email(p, "vertex-serving"),
                "Vertex AI serving",
                "104729384756102938402",
                "Runs fraud-ep-private and recs-ep-eu deployed models",
            ),
            _service_account(
                p,
                self.sa_email(p, "vertex-trainer"),
                "Vertex AI training",
                "104729384756102938403",
                "Custom training jobs and Workbench",
            ),
            _service_account(p, self.sa_email(p, "ci-deployer"), "CI deployer", "104729384756102938404"),
            _service_account(p, self.sa_email(p, "bq-exporter"), "BigQuery exporter", "104729384756102938405"),
            _service_account(p, self.sa_email(p, "cspm-scanner"), "CSPM read-only scanner", "104729384756102938406"),
            _service_account(
                p,
                self.sa_email(p, "support-agent"),
                "Support agent runtime",
                "104729384756102938408",
                "Runs the support-agent reasoning engine",
            ),
            _service_account(p, self.sa_email(p, "terraform"), "Terraform", "104729384756102938409"),
            _service_account(
                p,
                self.sa_email(p, "dataflow-runner"),
                "Dataflow runner (retired)",
                "104729384756102938407",
                disabled=True,
            ),
        ]

    def other_service_accounts(self) -> None:
        d = DEV_PROJECT_ID
        self.accounts[d] = [
            _service_account(d, self.default_sa(d), "Compute Engine default service account", "118273645501928374601"),
            _service_account(d, self.sa_email(d, "dev-runner"), "Dev runner", "118273645501928374602"),
        ]
        self.accounts[DENIED_PROJECT_ID] = []

    def system_managed_keys(self) -> None:
        """Every service account has a Google-managed key."""
        for project, items in self.accounts.items():
            for sa in items:
                email = sa["email"]
                system = _service_account_key(
                    project, email, self.hex(40), "SYSTEM_MANAGED", "2026-05-01T00:00:00Z", "2026-05-17T00:00:00Z"
                )
                self.keys[email] = [system]

    def user_managed_keys(self) -> None:
        """Two long-lived keys: one active on the trainer, one disabled on the CI deployer."""
        p = PROD_PROJECT_ID
        trainer = self.sa_email(p, "vertex-trainer")
        self.keys[trainer].append(
            _service_account_key(
                p,
                trainer,
                "3f6a9c1e5b7d2f4a8c0e1b3d5f7a9c2e4b6d8f01",
                "USER_MANAGED",
                "2025-01-15T10:00:00Z",
                "9999-12-31T23:59:59Z",
            )
        )
        ci = self.sa_email(p, "ci-deployer")
        self.keys[ci].append(
            _service_account_key(
                p,
                ci,
                "7b1d3f5a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b03",
                "USER_MANAGED",
                "2024-06-01T08:00:00Z",
                "9999-12-31T23:59:59Z",
                disabled=True,
            )
        )

    def kms(self) -> None:
        p = PROD_PROJECT_ID

        def crypto_key(region: str, ring: str, name: str, *, hsm: bool, rotation: str | None) -> None:
            full = self.key_name(p, region, ring, name)
            level = KMS_HSM if hsm else KMS_SOFTWARE
            item: dict[str, Any] = {
                "name": full,
                "primary": {
                    "name": f"{full}/cryptoKeyVersions/3",
                    "state": KMS_VERSION_ENABLED,
                    "protectionLevel": level,
                    "algorithm": KMS_SYMMETRIC,
                    "createTime": "2026-02-01T00:00:00.123456Z",
                    "generateTime": "2026-02-01T00:00:00.123456Z",
                },
                "purpose": KMS_ENCRYPT_DECRYPT,
                "createTime": "2024-02-05T11:00:00.000000Z",
                "versionTemplate": {"protectionLevel": level, "algorithm": KMS_SYMMETRIC},
                "destroyScheduledDuration": "2592000s",
                "labels": {"team": "ml-platform"},
            }
            if rotation:
                item["rotationPeriod"] = rotation
                item["nextRotationTime"] = "2026-08-01T00:00:00Z"
            self.crypto_keys[full] = item
            self.expect("gcp.kms.key_rotation", name, PASS if rotation else FAIL)

        crypto_key("us-central1", "vertex-kr", "vertex-cmek", hsm=True, rotation="7776000s")
        crypto_key("europe-west4", "vertex-kr-eu", "vertex-cmek-eu", hsm=False, rotation=None)

    def org_policy(self) -> None:
        prod: dict[str, dict[str, Any]] = {
            "iam.disableServiceAccountKeyCreation": {"rules": [{"enforce": True}]},
            "gcp.resourceLocations": {
                "rules": [{"values": {"allowedValues": ["in:us-central1-locations", "in:europe-west4-locations"]}}]
            },
            "iam.automaticIamGrantsForDefaultServiceAccounts": {"rules": [{"enforce": True}]},
            "compute.vmExternalIpAccess": {"rules": [{"denyAll": True}]},
            "ainotebooks.restrictPublicIp": {"rules": [{"enforce": True}]},
            "ainotebooks.disableRootAccess": {"rules": [{"enforce": True}]},
            "ainotebooks.requireAutoUpgradeSchedule": {"rules": [{"enforce": True}]},
            "vertexai.allowedModels": {
                "rules": [
                    {
                        "values": {
                            "allowedValues": [
                                "publishers/google/models/gemini-2.5-flash:predict",
                                "publishers/google/models/text-embedding-005:predict",
                            ]
                        }
                    }
                ]
            },
            "gcp.restrictTLSVersion": {"rules": [{"values": {"deniedValues": ["TLS_VERSION_1", "TLS_VERSION_1_1"]}}]},
        }
        dev: dict[str, dict[str, Any]] = {
            "compute.vmExternalIpAccess": {"rules": [{"allowAll": True}]},
            "iam.disableServiceAccountKeyCreation": {"rules": [{}]},
        }
        self.org_policies[PROD_PROJECT_ID] = prod
        self.org_policies[DEV_PROJECT_ID] = dev
        self.org_policies[DENIED_PROJECT_ID] = {}

    def security_center(self) -> None:
        services = (
            "security-health-analytics",
            "event-threat-detection",
            "container-threat-detection",
            "vm-threat-detection",
            "web-security-scanner",
        )

        def states(project: str, enabled: set[str]) -> list[dict[str, Any]]:
            number = PROJECT_NUMBERS[project]
            return [
                {
                    "name": f"projects/{number}/locations/global/securityCenterServices/{s}",
                    "intendedEnablementState": SCC_INHERITED,
                    "effectiveEnablementState": SCC_ENABLED if s in enabled else SCC_DISABLED,
                    "updateTime": "2026-04-11T07:00:00.000000Z",
                }
                for s in services
            ]

        self.scc[PROD_PROJECT_ID] = states(PROD_PROJECT_ID, set(services[:3]))
        self.scc[DEV_PROJECT_ID] = states(DEV_PROJECT_ID, set())
        self.scc[DENIED_PROJECT_ID] = []

    def billing(self) -> None:
        for pid in (PROD_PROJECT_ID, DEV_PROJECT_ID):
            self.billing_info[pid] = {
                "name": f"projects/{pid}/billingInfo",
                "projectId": pid,
                "billingAccountName": BILLING_ACCOUNT,
                "billingEnabled": True,
            }
        self.billing_info[DENIED_PROJECT_ID] = {
            "name": f"projects/{DENIED_PROJECT_ID}/billingInfo",
            "projectId": DENIED_PROJECT_ID,
        }
        self.budgets = [
            {
                "name": f"{BILLING_ACCOUNT}/budgets/b1c2d3e4-0000-1111-2222-333344445555",
                "displayName": "ai-prod-monthly",
                "etag": "2d3e4f5a6b7c8d9e",
                "budgetFilter": {
                    "projects": [f"projects/{PROJECT_NUMBERS[PROD_PROJECT_ID]}"],
                    "creditTypesTreatment": INCLUDE_ALL_CREDITS,
                    "services": ["services/C7E2-9256-1C43"],
                    "calendarPeriod": CALENDAR_MONTH,
                },
                "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "5000"}},
                "thresholdRules": [
                    {"thresholdPercent": 0.5, "spendBasis": CURRENT_SPEND},
                    {"thresholdPercent": 0.9, "spendBasis": CURRENT_SPEND},
                    {"thresholdPercent": 1, "spendBasis": FORECASTED_SPEND},
                ],
                "notificationsRule": {
                    "pubsubTopic": f"projects/{PROD_PROJECT_ID}/topics/budget-alerts",
                    "schemaVersion": "1.0",
                    "monitoringNotificationChannels": [f"projects/{PROD_PROJECT_ID}/notificationChannels/1357924680"],
                },
            },
            {
                "name": f"{BILLING_ACCOUNT}/budgets/c2d3e4f5-0000-1111-2222-444455556666",
                "displayName": "ai-dev-monthly",
                "etag": "3e4f5a6b7c8d9e0f",
                "budgetFilter": {
                    "projects": [f"projects/{PROJECT_NUMBERS[DEV_PROJECT_ID]}"],
                    "creditTypesTreatment": INCLUDE_ALL_CREDITS,
                    "calendarPeriod": CALENDAR_MONTH,
                },
                "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "500"}},
            },
        ]

    def access_context(self) -> None:
        self.access_policies = [
            {
                "name": ACCESS_POLICY,
                "parent": f"organizations/{ORGANIZATION_ID}",
                "title": "default policy",
                "etag": '"8d3b1f6a2c4e"',
            }
        ]
        prod, dev = PROJECT_NUMBERS[PROD_PROJECT_ID], PROJECT_NUMBERS[DEV_PROJECT_ID]
        self.perimeters[ACCESS_POLICY] = [
            {
                "name": f"{ACCESS_POLICY}/servicePerimeters/ml_perimeter",
                "title": "ml_perimeter",
                "perimeterType": "PERIMETER_TYPE_REGULAR",
                "status": {
                    "resources": [f"projects/{prod}"],
                    "restrictedServices": [
                        "aiplatform.googleapis.com",
                        "bigquery.googleapis.com",
                        "notebooks.googleapis.com",
                        "storage.googleapis.com",
                    ],
                    "vpcAccessibleServices": {"enableRestriction": True, "allowedServices": ["RESTRICTED-SERVICES"]},
                },
                "etag": '"6d9c1a4e"',
            },
            # dev is in a perimeter that restricts only Cloud Storage; its dry-run spec (which does not count)
            # would add Vertex AI.
            {
                "name": f"{ACCESS_POLICY}/servicePerimeters/dev_perimeter",
                "title": "dev_perimeter",
                "perimeterType": "PERIMETER_TYPE_REGULAR",
                "status": {"resources": [f"projects/{dev}"], "restrictedServices": ["storage.googleapis.com"]},
                "spec": {
                    "resources": [f"projects/{dev}"],
                    "restrictedServices": ["aiplatform.googleapis.com", "storage.googleapis.com"],
                },
                "useExplicitDryRunSpec": True,
                "etag": '"71ab0c3d"',
            },
        ]

    # ---- generative AI: Agent Engine, tuning, Vector Search

    def prod_generative(self, prod: _Placement) -> None:
        self.reasoning_engines(prod)
        self.tuning_jobs(prod)
        self.index_endpoints(prod)

    def reasoning_engine(
        self,
        prod: _Placement,
        eid: str,
        display: str,
        *,
        bucket: str,
        sa: str | None,
        key: str | None,
        env: list[dict[str, str]],
        terraform: bool,
    ) -> None:
        package = f"gs://{bucket}/{display}"
        deployment: dict[str, Any] = {"env": env, "minInstances": 1, "maxInstances": 10, "containerConcurrency": 9}
        spec: dict[str, Any] = {
            "packageSpec": {
                "pickleObjectGcsUri": f"{package}/agent_engine.pkl",
                "dependencyFilesGcsUri": f"{package}/dependencies.tar.gz",
                "requirementsGcsUri": f"{package}/requirements.txt",
                "pythonVersion": "3.12",
            },
            "deploymentSpec": deployment,
            "classMethods": [{"name": "query", "api_mode": "", "parameters": {"type": "object"}}],
            "agentFramework": "google-adk",
        }
        if sa:
            spec["serviceAccount"] = sa
        item: dict[str, Any] = {
            "name": f"{self.loc(prod.project, prod.us)}/reasoningEngines/{eid}",
            "displayName": display,
            "description": f"{display} on Vertex AI Agent Engine",
            "spec": spec,
            "etag": f"AMEw9yR{eid[-6:]}",
            **_TIMES,
        }
        if key:
            item["encryptionSpec"] = {"kmsKeyName": key}
        if terraform:
            item["labels"] = dict(TERRAFORM_LABEL)
        self.put(prod.project, prod.us, "reasoningEngines", item)
        self.expect_all(
            display,
            {
                "gcp.vertex.resource_cmek": PASS if key else FAIL,
                "gcp.vertex.dedicated_service_account": PASS if sa else FAIL,
                "gcp.vertex.no_secrets_in_configuration": self.secrets_verdict(env),
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(prod.us),
                "gcp.vertex.provisioned_by_terraform": PASS if terraform else FAIL,
            },
        )

    def reasoning_engines(self, prod: _Placement) -> None:
        agent = self.sa_email(prod.project, "support-agent")
        self.reasoning_engine(
            prod,
            "2468013579246801357",
            "support-agent",
            bucket=f"{prod.project}-agents",
            sa=agent,
            key=prod.key_us,
            env=[{"name": "LOG_LEVEL", "value": "info"}],
            terraform=True,
        )
        # A proof of concept deployed from a laptop: the Agent Engine service agent, Google's key, a token pasted in.
        self.reasoning_engine(
            prod,
            "1357924680135792468",
            "triage-agent-poc",
            bucket=f"{prod.project}-scratch",
            sa=None,
            key=None,
            env=[{"name": "GITHUB_TOKEN", "value": _AGENT_GITHUB_TOKEN}],
            terraform=False,
        )
        self.expect_all(
            agent, {"gcp.iam.no_basic_roles_for_ai_service_accounts": PASS, "gcp.iam.no_user_managed_keys": PASS}
        )

    def tuning_jobs(self, prod: _Placement) -> None:
        loc = self.loc(prod.project, prod.us)
        good: dict[str, Any] = {
            "name": f"{loc}/tuningJobs/3141592653589793238",
            "baseModel": "gemini-2.5-flash",
            "supervisedTuningSpec": {
                "trainingDatasetUri": f"gs://{prod.project}-training/support/train.jsonl",
                "validationDatasetUri": f"gs://{prod.project}-training/support/validation.jsonl",
                "hyperParameters": {"epochCount": "4", "learningRateMultiplier": 1},
            },
            "tunedModelDisplayName": "support-gemini-tuned",
            "description": "support-tune-v2",
            "state": JOB_STATE_SUCCEEDED,
            "startTime": "2026-04-02T08:00:00Z",
            "endTime": "2026-04-02T09:30:00Z",
            "labels": {"team": "support"},
            "tunedModel": {"model": f"{loc}/models/221100@1"},
            "tuningDataStats": {
                "supervisedTuningDataStats": {"tuningDatasetExampleCount": "1200", "tuningStepCount": "300"}
            },
            "encryptionSpec": {"kmsKeyName": prod.key_us},
            **_TIMES,
        }
        bad: dict[str, Any] = {
            "name": f"{loc}/tuningJobs/2718281828459045235",
            "baseModel": "gemini-2.5-flash",
            "supervisedTuningSpec": {"trainingDatasetUri": f"gs://{prod.project}-scratch/tuning/train.jsonl"},
            "tunedModelDisplayName": "support-tune-adhoc",
            "state": JOB_STATE_FAILED,
            "startTime": "2026-04-01T08:00:00Z",
            "endTime": "2026-04-01T08:05:00Z",
            "error": {"code": 3, "message": "Training dataset has 12 examples; at least 16 are required."},
            **_TIMES,
        }
        for item, key in ((good, True), (bad, False)):
            self.put(prod.project, prod.us, "tuningJobs", item)
            self.expect_all(
                item["name"].rsplit("/", 1)[-1],
                {
                    "gcp.vertex.resource_cmek": PASS if key else FAIL,
                    "gcp.vertex.resource_in_allowed_region": self.region_verdict(prod.us),
                },
            )
        # The tuned model the good job registered: a Model Registry entry without artifacts or a container.
        tuned: dict[str, Any] = {
            "name": f"{loc}/models/221100",
            "displayName": "support-gemini-tuned",
            "versionId": "1",
            "versionAliases": ["default"],
            "versionCreateTime": "2026-04-02T09:30:00Z",
            "versionUpdateTime": "2026-04-02T09:30:00Z",
            "modelSourceInfo": {"sourceType": MODEL_SOURCE_GENIE},
            "encryptionSpec": {"kmsKeyName": prod.key_us},
            "etag": "AMEw9yM221100",
            **_TIMES,
        }
        self.put(prod.project, prod.us, "models", tuned)
        self.expect_all(
            "support-gemini-tuned",
            {
                "gcp.vertex.resource_cmek": PASS,
                "gcp.vertex.resource_in_allowed_region": self.region_verdict(prod.us),
                "gcp.vertex.no_secrets_in_configuration": PASS,
            },
        )

    def index_endpoints(self, prod: _Placement) -> None:
        loc = self.loc(prod.project, prod.us)
        number = PROJECT_NUMBERS[prod.project]
        private: dict[str, Any] = {
            "name": f"{loc}/indexEndpoints/8642097531864209753",
            "displayName": "docs-index-psc",
            "deployedIndexes": [
                {
                    "id": "docs_v3",
                    "index": f"{loc}/indexes/1122001122",
                    "displayName": "docs-v3",
                    "createTime": "2026-03-05T10:00:00Z",
                    "privateEndpoints": {
                        "serviceAttachment": f"projects/k8a1b2c3d4e5f-tp/regions/{prod.us}/serviceAttachments/ie-8642"
                    },
                    "indexSyncTime": "2026-05-20T16:00:00Z",
                    "dedicatedResources": {
                        "machineSpec": {"machineType": "e2-standard-16"},
                        "minReplicaCount": 2,
                        "maxReplicaCount": 4,
                    },
                }
            ],
            "etag": "AMEw9yI864209",
            "labels": {"team": "search", **TERRAFORM_LABEL},
            "privateServiceConnectConfig": {"enablePrivateServiceConnect": True, "projectAllowlist": [prod.project]},
            "encryptionSpec": {"kmsKeyName": prod.key_us},
            **_TIMES,
        }
        public: dict[str, Any] = {
            "name": f"{loc}/indexEndpoints/9753108642975310864",
            "displayName": "docs-index-public",
            "deployedIndexes": [
                {
                    "id": "docs_v2",
                    "index": f"{loc}/indexes/1122003344",
                    "displayName": "docs-v2",
                    "createTime": "2026-02-05T10:00:00Z",
                    "indexSyncTime": "2026-05-20T16:00:00Z",
                    "automaticResources": {"minReplicaCount": 1, "maxReplicaCount": 2},
                }
            ],
            "etag": "AMEw9yI975310",
            "labels": {"team": "search"},
            "publicEndpointEnabled": True,
            "publicEndpointDomainName": f"9753108642.{prod.us}-{number}.vdb.vertexai.goog",
            **_TIMES,
        }
        for item, good in ((private, True), (public, False)):
            self.put(prod.project, prod.us, "indexEndpoints", item)
            self.expect_all(
                item["displayName"],
                {
                    "gcp.vertex.index_endpoint_private": PASS if good else FAIL,
                    "gcp.vertex.resource_cmek": PASS if good else FAIL,
                    "gcp.vertex.resource_in_allowed_region": self.region_verdict(prod.us),
                    "gcp.vertex.provisioned_by_terraform": PASS if good else FAIL,
                },
            )

    # ---- Model Armor

    def model_armor(self) -> None:
        p = PROD_PROJECT_ID
        rai = [
            {"filterType": RAI_HATE_SPEECH, "confidenceLevel": ARMOR_MEDIUM_AND_ABOVE},
            {"filterType": RAI_DANGEROUS, "confidenceLevel": ARMOR_MEDIUM_AND_ABOVE},
            {"filterType": RAI_HARASSMENT, "confidenceLevel": ARMOR_MEDIUM_AND_ABOVE},
            {"filterType": RAI_SEXUALLY_EXPLICIT, "confidenceLevel": ARMOR_HIGH},
        ]
        screening = {
            "raiSettings": {"raiFilters": rai},
            "sdpSettings": {"basicConfig": {"filterEnforcement": ARMOR_ENABLED}},
            "piAndJailbreakFilterSettings": {
                "filterEnforcement": ARMOR_ENABLED,
                "confidenceLevel": ARMOR_MEDIUM_AND_ABOVE,
            },
            "maliciousUriFilterSettings": {"filterEnforcement": ARMOR_ENABLED},
        }
        self.floor_settings[p] = {
            "name": f"projects/{PROJECT_NUMBERS[p]}/locations/global/floorSetting",
            "createTime": "2026-01-12T10:00:00.000000Z",
            "updateTime": "2026-03-02T10:00:00.000000Z",
            "filterConfig": copy.deepcopy(screening),
            "enableFloorSettingEnforcement": True,
            "integratedServices": [ARMOR_AI_PLATFORM],
            "aiPlatformFloorSetting": {"inspectAndBlock": True, "enableCloudLogging": True},
            "floorSettingMetadata": {"multiLanguageDetection": {"enableMultiLanguageDetection": True}},
        }
        self.expect("gcp.modelarmor.floor_setting_enforced", f"Model Armor floor setting ({p})", PASS)
        # The sandbox never enabled the Model Armor API: nothing screens its prompts.
        self.floor_settings[DEV_PROJECT_ID] = None
        self.expect("gcp.modelarmor.floor_setting_enforced", f"Model Armor floor setting ({DEV_PROJECT_ID})", FAIL)

        def template(name: str, config: dict[str, Any], enforcement: int) -> dict[str, Any]:
            return {
                "name": f"projects/{p}/locations/us-central1/templates/{name}",
                "createTime": "2026-01-15T10:00:00.000000Z",
                "updateTime": "2026-03-02T10:00:00.000000Z",
                "labels": {"team": "ml-platform"},
                "filterConfig": config,
                "templateMetadata": {
                    "logTemplateOperations": True,
                    "logSanitizeOperations": True,
                    "enforcementType": enforcement,
                },
            }

        log_only = {
            "raiSettings": {"raiFilters": [{"filterType": RAI_HATE_SPEECH, "confidenceLevel": ARMOR_HIGH}]},
            "piAndJailbreakFilterSettings": {"filterEnforcement": ARMOR_DISABLED},
        }
        self.armor_templates[(p, "us-central1")] = [
            template("prompt-shield", copy.deepcopy(screening), ARMOR_INSPECT_AND_BLOCK),
            template("chat-log-only", log_only, ARMOR_INSPECT_ONLY),
        ]
        self.expect("gcp.modelarmor.template_filters", "prompt-shield", PASS)
        self.expect("gcp.modelarmor.template_filters", "chat-log-only", FAIL)

    # ---- the data stores AI resources read and write

    def bucket(
        self,
        project: str,
        name: str,
        *,
        location: str,
        location_type: str,
        versioned: bool,
        labels: dict[str, str] | None,
        sdp: bool = False,
    ) -> None:
        item: dict[str, Any] = {
            "kind": "storage#bucket",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
            "id": name,
            "name": name,
            "projectNumber": PROJECT_NUMBERS[project],
            "generation": "1709546400123456",
            "metageneration": "4",
            "location": location,
            "storageClass": "STANDARD",
            "etag": "CAQ=",
            "timeCreated": "2024-03-04T10:00:00.123Z",
            "updated": "2026-02-01T10:00:00.456Z",
            "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2024-03-04T10:00:00.123Z"},
            "iamConfiguration": {
                "bucketPolicyOnly": {"enabled": True, "lockedTime": "2024-06-02T10:00:00.123Z"},
                "uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2024-06-02T10:00:00.123Z"},
                "publicAccessPrevention": "enforced",
            },
            "locationType": location_type,
            "rpo": "DEFAULT",
        }
        if versioned:
            item["versioning"] = {"enabled": True}
        if labels:
            item["labels"] = labels
        self.buckets[name] = item
        # Uniform bucket-level access: the project's basic roles through the convenience members, as created.
        self.bucket_policies[name] = {
            "kind": "storage#policy",
            "resourceId": f"projects/_/buckets/{name}",
            "version": 1,
            "etag": "CAE=",
            "bindings": [
                {
                    "role": "roles/storage.legacyBucketOwner",
                    "members": [f"projectEditor:{project}", f"projectOwner:{project}"],
                },
                {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project}"]},
            ],
        }
        self.expect_all(
            name,
            {
                "gcp.storage.bucket_classified": PASS if "data-classification" in (labels or {}) or sdp else FAIL,
                "gcp.storage.bucket_multi_region": PASS if location_type != "region" else FAIL,
                "gcp.storage.bucket_versioning": PASS if versioned else FAIL,
            },
        )

    def bq_dataset(
        self, project: str, dataset: str, *, location: str, labels: dict[str, str] | None, sdp: bool
    ) -> None:
        item: dict[str, Any] = {
            "kind": "bigquery#dataset",
            "etag": "h2Ub6k9bQ4mR1mXyK1uBvA==",
            "id": f"{project}:{dataset}",
            "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{project}/datasets/{dataset}",
            "datasetReference": {"datasetId": dataset, "projectId": project},
            "access": [
                {"role": "WRITER", "specialGroup": "projectWriters"},
                {"role": "OWNER", "specialGroup": "projectOwners"},
                {"role": "READER", "specialGroup": "projectReaders"},
            ],
            "creationTime": "1709546400123",
            "lastModifiedTime": "1772445600456",
            "location": location,
            "type": "DEFAULT",
            "maxTimeTravelHours": "168",
        }
        if labels:
            item["labels"] = labels
        self.bq_datasets[(project, dataset)] = item
        self.expect("gcp.bigquery.dataset_classified", f"{project}.{dataset}", PASS if labels or sdp else FAIL)

    def data_stores(self) -> None:
        p, d = PROD_PROJECT_ID, DEV_PROJECT_ID
        classified = {"data-classification": "confidential", "team": "ml-platform"}
        self.bucket(
            p, f"{p}-artifacts", location="NAM4", location_type="dual-region", versioned=True, labels=classified
        )
        self.bucket(p, f"{p}-agents", location="US", location_type="multi-region", versioned=True, labels=classified)
        # No label, but a Sensitive Data Protection discovery config profiles it (see below).
        self.bucket(
            p, f"{p}-training", location="US-CENTRAL1", location_type="region", versioned=True, labels=None, sdp=True
        )
        self.bucket(
            p, f"{p}-scratch", location="US-CENTRAL1", location_type="region", versioned=False, labels={"team": "ml"}
        )
        self.bucket(d, f"{d}-artifacts", location="US-CENTRAL1", location_type="region", versioned=False, labels=None)
        self.bq_dataset(p, "ml", location="US", labels={"data-classification": "restricted"}, sdp=True)
        self.bq_dataset(p, "logging", location="us-central1", labels=None, sdp=True)
        self.bq_dataset(d, "ml", location="US", labels=None, sdp=False)

    def sensitive_data_protection(self) -> None:
        p = PROD_PROJECT_ID
        self.discovery_configs[(p, "global")] = [
            {
                "name": f"projects/{p}/locations/global/discoveryConfigs/ai-data-profiles",
                "displayName": "AI data profiles",
                "inspectTemplates": [f"projects/{p}/locations/global/inspectTemplates/ai-pii"],
                "actions": [
                    {
                        "exportData": {
                            "profileTable": {"projectId": p, "datasetId": "dlp_profiles", "tableId": "profiles"}
                        }
                    },
                    {"publishToScc": {}},
                ],
                "targets": [
                    {
                        "cloudStorageTarget": {
                            "filter": {
                                "collection": {
                                    "includeRegexes": {
                                        "patterns": [
                                            {"cloudStorageRegex": {"bucketNameRegex": f"{p}-(training|datasets)"}}
                                        ]
                                    }
                                }
                            },
                            "generationCadence": {"refreshFrequency": 3},
                        }
                    },
                    {"bigQueryTarget": {"filter": {"otherTables": {}}, "cadence": {"refreshFrequency": 3}}},
                ],
                "createTime": "2026-01-20T10:00:00.000000Z",
                "updateTime": "2026-01-20T10:00:00.000000Z",
                "lastRunTime": "2026-05-20T03:00:00.000000Z",
                "status": DLP_RUNNING,
            }
        ]

    # ---- Compute Engine: the VPC networks AI resources are attached to, and their firewall rules

    def compute(self) -> None:
        p = PROD_PROJECT_ID
        base = f"https://www.googleapis.com/compute/v1/projects/{p}"

        def network(name: str, nid: str, *, custom: bool, open_to_internet: bool) -> None:
            item: dict[str, Any] = {
                "kind": "compute#network",
                "id": nid,
                "creationTimestamp": "2024-02-03T01:02:03.456-08:00",
                "name": name,
                "selfLink": f"{base}/global/networks/{name}",
                "selfLinkWithId": f"{base}/global/networks/{nid}",
                "autoCreateSubnetworks": not custom,
                "subnetworks": [f"{base}/regions/us-central1/subnetworks/{name}-us-central1"],
                "routingConfig": {"routingMode": "REGIONAL"},
                "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
                "mtu": 1460,
            }
            if custom:
                item["peerings"] = [
                    {
                        "name": "servicenetworking-googleapis-com",
                        "network": "https://www.googleapis.com/compute/v1/projects/k8a1b2c3d4e5f-tp/global/networks/"
                        "servicenetworking",
                        "state": "ACTIVE",
                        "stateDetails": "[2024-02-03T01:10:00.000-08:00]: Connected.",
                        "autoCreateRoutes": True,
                        "exchangeSubnetRoutes": True,
                        "stackType": "IPV4_ONLY",
                    }
                ]
            self.networks[(p, name)] = item
            self.expect("gcp.compute.ai_network_no_internet_ingress", name, FAIL if open_to_internet else PASS)

        network("ml-vpc", "5551234567890123456", custom=True, open_to_internet=False)
        network("default", "5550987654321098765", custom=False, open_to_internet=True)

        def rule(name: str, net: str, ranges: list[str], allowed: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
            return {
                "kind": "compute#firewall",
                "id": str(7770000000000000000 + len(name)),
                "creationTimestamp": "2024-02-03T01:05:00.000-08:00",
                "name": name,
                "network": f"{base}/global/networks/{net}",
                "priority": 1000,
                "sourceRanges": ranges,
                "allowed": allowed,
                "direction": "INGRESS",
                "logConfig": {"enable": False},
                "disabled": False,
                "selfLink": f"{base}/global/firewalls/{name}",
                **extra,
            }

        self.firewalls[p] = [
            rule(
                "ml-vpc-allow-internal", "ml-vpc", ["10.20.0.0/16"], [{"IPProtocol": "tcp", "ports": ["443", "8080"]}]
            ),
            rule(
                "ml-vpc-allow-iap-ssh",
                "ml-vpc",
                ["35.235.240.0/20"],
                [{"IPProtocol": "tcp", "ports": ["22"]}],
                targetTags=["notebook-instance"],
            ),
            # Opened for a demo once; disabled since, so it admits nothing.
            rule(
                "ml-vpc-open-jupyter",
                "ml-vpc",
                ["0.0.0.0/0"],
                [{"IPProtocol": "tcp", "ports": ["8888"]}],
                disabled=True,
            ),
            rule(
                "default-allow-ssh", "default", ["0.0.0.0/0"], [{"IPProtocol": "tcp", "ports": ["22"]}], priority=65534
            ),
            rule(
                "default-allow-rdp",
                "default",
                ["0.0.0.0/0"],
                [{"IPProtocol": "tcp", "ports": ["3389"]}],
                priority=65534,
            ),
            rule(
                "default-allow-internal",
                "default",
                ["10.128.0.0/9"],
                [{"IPProtocol": "tcp", "ports": ["0-65535"]}, {"IPProtocol": "udp", "ports": ["0-65535"]}],
                priority=65534,
            ),
        ]
        self.firewalls[DEV_PROJECT_ID] = []

    # ---- Cloud Asset Inventory view of the AI resources

    def cai_result(self, project: str, location: str, collection: str, item: dict[str, Any]) -> dict[str, Any]:
        number = PROJECT_NUMBERS[project]
        service = "notebooks" if collection == "instances" else "aiplatform"
        result: dict[str, Any] = {
            "name": f"//{service}.googleapis.com/{item['name']}",
            "assetType": AI_ASSET_TYPES[collection],
            "project": f"projects/{number}",
            "organization": f"organizations/{ORGANIZATION_ID}",
            "displayName": item.get("displayName") or item["name"].rsplit("/", 1)[-1],
            "location": location,
            "parentFullResourceName": f"//cloudresourcemanager.googleapis.com/projects/{number}",
            "parentAssetType": PROJECT_ASSET_TYPE,
            "createTime": item["createTime"].split(".")[0] + "Z",
            "updateTime": item["updateTime"].split(".")[0] + "Z",
        }
        if self.projects[project]["parent"].startswith("folders/"):
            result["folders"] = self.folder_chain(self.projects[project]["parent"])
        if item.get("labels"):
            result["labels"] = item["labels"]
        key = (item.get("encryptionSpec") or {}).get("kmsKeyName")
        if key:
            result["kmsKeys"] = [key]
        return result

    def cai_ai_results(self, project: str | None) -> list[dict[str, Any]]:
        """The AI resources of one project (None: the whole organization), as searchAllResources results."""
        results: list[dict[str, Any]] = []
        for (pid, region, collection), items in self.vertex.items():
            if collection in UNSEARCHED:
                continue
            if project is None or pid == project:
                results.extend(self.cai_result(pid, region, collection, item) for item in items)
        for (pid, zone), items in self.notebooks.items():
            if project is None or pid == project:
                results.extend(self.cai_result(pid, zone, "instances", item) for item in items)
        if project is None:
            results.extend(result for _, result in self.cai_org_extra)
        return results


# ---------------------------------------------------------------------- the HTTP side

_CAI_SCOPE = re.compile(r"/v1/(organizations/[^/]+|folders/[^/]+|projects/[^/]+):searchAllResources")
_PROJECT_IN_PATH = re.compile(r"(?:^|/)projects/([^/:]+)")


class _Router:
    """Answers one request from the builder's tables: (status, headers, body)."""

    def __init__(self, builder: _Builder, universe_domain: str, page_size: int, throttle: bool) -> None:
        self.b = builder
        self.universe = universe_domain
        self.page_size = page_size
        self.throttle = throttle
        self.seen: dict[tuple[str, str, str], int] = {}
        # <service>.<universe>, or a regional endpoint <service>.<location>.rep.<universe> (Model Armor).
        self.host = re.compile(r"([a-z0-9-]+(?:\.[a-z0-9-]+\.rep)?)\." + re.escape(universe_domain))
        by_number = {number: pid for pid, number in PROJECT_NUMBERS.items()}
        self.ids = {**by_number, **{pid: pid for pid in PROJECT_NUMBERS}}

    # ---- plumbing

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        split = urlsplit(request.url)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        key = (request.method, path, (query.get("pageToken") or [""])[0])
        if self.throttle:
            if key not in self.seen:
                self.seen[key] = len(self.seen)
                status, body = (
                    (
                        429,
                        _error(
                            429,
                            "RESOURCE_EXHAUSTED",
                            (
                                "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' "
                                f"of service '{split.hostname}' "
                                f"for consumer 'project_number:{PROJECT_NUMBERS[PROD_PROJECT_ID]}'."
                            ),
                            [
                                _error_info(
                                    "RATE_LIMIT_EXCEEDED",
                                    "googleapis.com",
                                    service=str(split.hostname),
                                    quota_metric="Read requests",
                                )
                            ],
                        ),
                    )
                    if self.seen[key] % 2 == 0
                    else (503, _error(503, "UNAVAILABLE", "The service is currently unavailable."))
                )
                return status, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(body)
        try:
            match = self.host.fullmatch(split.hostname or "")
            if not match:
                raise _not_found(f"Requested entity was not found: {request.url}")
            status, body = 200, self.route(request.method, match.group(1), path, query, request)
        except _Reply as reply:
            status, body = reply.status, reply.body
        return status, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(body)

    def unknown(self, url: str) -> _Reply:
        return _not_found(f"The requested URL {url} was not found on this server (no route in the GCP estate).")

    def project(self, token: str) -> str:
        """The project id a path names (id or number); 404 when the estate has no such project."""
        pid = self.ids.get(token)
        if pid is None or pid == DELETED_PROJECT_ID:
            raise _not_found(f"Project '{token}' not found or deleted.")
        return pid

    def deny(self, pid: str, service: str, permission: str, resource: str) -> None:
        if pid == DENIED_PROJECT_ID and self.b.denied:
            raise _Reply(
                403,
                _error(
                    403,
                    "PERMISSION_DENIED",
                    (
                        f"Permission '{permission}' denied on resource '//{service}.googleapis.com/{resource}' "
                        "(or it may not exist)."
                    ),
                    [_error_info("IAM_PERMISSION_DENIED", f"{service}.googleapis.com", permission=permission)],
                ),
            )

    def token(self, path: str, offset: int) -> str:
        digest = hashlib.sha256(f"{path}#{self.universe}".encode()).digest()[:9]
        return base64.urlsafe_b64encode(offset.to_bytes(3, "big") + digest).decode()

    def page(
        self,
        path: str,
        query: dict[str, list[str]],
        key: str,
        items: list[dict[str, Any]],
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One page of `items` under `key` ({} when empty), with nextPageToken when more remain."""
        try:
            size = int((query.get("pageSize") or ["0"])[0] or 0)
        except ValueError:
            raise _Reply(400, _error(400, "INVALID_ARGUMENT", "Invalid value at 'page_size' (TYPE_INT32).")) from None
        size = min(size, self.page_size) if size > 0 else self.page_size
        offset = 0
        given = (query.get("pageToken") or [""])[0]
        if given:
            offsets = [o for o in range(1, len(items) + 1) if self.token(path, o) == given]
            if not offsets:
                raise _Reply(400, _error(400, "INVALID_ARGUMENT", "Invalid page token."))
            offset = offsets[0]
        chunk = items[offset : offset + size]
        body: dict[str, Any] = dict(extra or {})
        if chunk:
            body[key] = copy.deepcopy(chunk)
        if offset + size < len(items):
            body["nextPageToken"] = self.token(path, offset + size)
        return body

    # ---- routes

    def route(self, method: str, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        handler: Callable[..., dict[str, Any]] | None = None
        if method == "POST":
            if svc == "cloudresourcemanager":
                handler = self.get_iam_policy
            elif svc == "iam":
                handler = self.account_iam_policy
        elif svc == "cloudasset":
            handler = self.search_all_resources
        elif svc == "cloudresourcemanager":
            handler = self.resource_manager
        elif svc.endswith("-aiplatform"):
            handler = self.vertex
        else:
            handler = {
                "notebooks": self.workbench,
                "iam": self.iam,
                "orgpolicy": self.org_policy,
                "securitycentermanagement": self.scc,
                "cloudbilling": self.billing_info,
                "billingbudgets": self.budgets,
                "cloudkms": self.kms,
                "accesscontextmanager": self.access_context,
                "storage": self.storage,
                "bigquery": self.bigquery,
                "dlp": self.dlp,
                "compute": self.compute,
            }.get(svc)
            if svc == "modelarmor" or re.fullmatch(r"modelarmor\.[a-z0-9-]+\.rep", svc):
                handler = self.model_armor
        if handler is None:
            raise self.unknown(request.url)
        return handler(svc, path, query, request)

    def search_all_resources(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = _CAI_SCOPE.fullmatch(path)
        if not match:
            raise self.unknown(request.url)
        scope = match.group(1)
        kind, ident = scope.split("/", 1)
        perm = "cloudasset.assets.searchAllResources"
        if kind == "organizations":
            if ident != ORGANIZATION_ID:
                raise _Reply(
                    403,
                    _error(
                        403,
                        "PERMISSION_DENIED",
                        f"The caller does not have permission on {scope}.",
                        [_error_info("IAM_PERMISSION_DENIED", "cloudasset.googleapis.com", permission=perm)],
                    ),
                )
            results = self.b.cai_projects + self.b.cai_ai_results(None)
        elif kind == "folders":
            if ident == FORBIDDEN_FOLDER_ID:
                raise _Reply(
                    403,
                    _error(
                        403,
                        "PERMISSION_DENIED",
                        f"The caller does not have permission on {scope}.",
                        [_error_info("IAM_PERMISSION_DENIED", "cloudasset.googleapis.com", permission=perm)],
                    ),
                )
            if ident not in self.b.folders:
                raise _not_found(f"Folder {ident} not found.")
            results = [r for r in self.b.cai_projects + self.b.cai_ai_results(None) if scope in r.get("folders", ())]
        else:
            pid = self.project(ident)
            self.deny(pid, "cloudasset", perm, f"projects/{ident}")
            number = PROJECT_NUMBERS[pid]
            results = [r for r in self.b.cai_projects if r["project"] == f"projects/{number}"]
            results += self.b.cai_ai_results(pid)
        wanted = query.get("assetTypes")
        if wanted:
            results = [r for r in results if r["assetType"] in wanted]
        return self.page(path + "?" + ",".join(sorted(wanted or [])), query, "results", results)

    def resource_manager(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        if match := re.fullmatch(r"/v3/projects/([^/:]+)", path):
            token = match.group(1)
            pid = self.ids.get(token)
            if pid is None:
                raise _not_found(f"Project 'projects/{token}' not found.")
            self.deny(pid, "cloudresourcemanager", "resourcemanager.projects.get", f"projects/{token}")
            return copy.deepcopy(self.b.projects[pid])
        if match := re.fullmatch(r"/v3/folders/([^/:]+)", path):
            folder = self.b.folders.get(match.group(1))
            if folder is None:
                raise _not_found(f"Folder 'folders/{match.group(1)}' not found.")
            return copy.deepcopy(folder)
        raise self.unknown(request.url)

    def get_iam_policy(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        if match := re.fullmatch(r"/v3/((?:folders|organizations)/[^/:]+):getIamPolicy", path):
            known = self.b.ancestor_policies.get(match.group(1))
            if known is None:
                raise _Reply(
                    403,
                    _error(403, "PERMISSION_DENIED", f"The caller does not have permission on {match.group(1)}."),
                )
            policy = copy.deepcopy(known)
        elif match := re.fullmatch(r"/v3/projects/([^/:]+):getIamPolicy", path):
            pid = self.project(match.group(1))
            self.deny(
                pid, "cloudresourcemanager", "resourcemanager.projects.getIamPolicy", f"projects/{match.group(1)}"
            )
            policy = copy.deepcopy(self.b.iam_policies[pid])
        else:
            raise self.unknown(request.url)
        try:
            wanted = int(json.loads(request.body or b"{}").get("options", {}).get("requestedPolicyVersion", 0))
        except (ValueError, AttributeError):
            wanted = 0
        if policy.get("version") == 3 and wanted < 3:
            # Asked for v1 of a policy with conditions: Google refuses rather than drop the conditions.
            raise _Reply(
                400,
                _error(
                    400,
                    "INVALID_ARGUMENT",
                    (
                        "Request contains an invalid argument. The policy has conditional role bindings; request "
                        "requestedPolicyVersion 3 to read it."
                    ),
                ),
            )
        return policy

    def vertex(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        host_region = svc[: -len("-aiplatform")]
        match = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/([A-Za-z]+)(?:/([^/:]+))?", path)
        if not match or match.group(3) not in VERTEX_COLLECTIONS:
            raise self.unknown(request.url)
        token, region, collection, item_id = match.groups()
        pid = self.project(token)
        perm = f"aiplatform.{collection}.{'get' if item_id else 'list'}"
        self.deny(pid, "aiplatform", perm, f"projects/{token}/locations/{region}")
        if region != host_region:
            raise _Reply(
                400,
                _error(
                    400,
                    "INVALID_ARGUMENT",
                    (
                        f"Request is for location {region}, but the endpoint serves {host_region}; use "
                        f"{region}-aiplatform.{self.universe}."
                    ),
                ),
            )
        items = self.b.vertex.get((pid, region, collection), [])
        if item_id:
            for item in items:
                if item["name"].rsplit("/", 1)[-1] == item_id:
                    return copy.deepcopy(item)
            raise _not_found(f"{collection[:-1]} {path[4:]} not found.")
        return self.page(path, query, collection, items)

    def workbench(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/v2/projects/([^/]+)/locations/([^/]+)/instances", path)
        if not match:
            raise self.unknown(request.url)
        pid = self.project(match.group(1))
        zone = match.group(2)
        self.deny(pid, "notebooks", "notebooks.instances.list", f"projects/{match.group(1)}/locations/{zone}")
        items = [i for (p, z), items in self.b.notebooks.items() for i in items if p == pid and (zone in (z, "-"))]
        return self.page(path, query, "instances", items)

    def iam(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        if match := re.fullmatch(r"/v1/projects/([^/]+)/serviceAccounts", path):
            pid = self.project(match.group(1))
            self.deny(pid, "iam", "iam.serviceAccounts.list", f"projects/{match.group(1)}")
            return self.page(path, query, "accounts", self.b.accounts[pid])
        if match := re.fullmatch(r"/v1/projects/([^/]+)/serviceAccounts/([^/]+)/keys", path):
            token, email = match.groups()
            owner = next(
                (
                    p
                    for p, items in self.b.accounts.items()
                    for sa in items
                    if sa["email"] == email or sa["uniqueId"] == email
                ),
                None,
            )
            if token != "-":
                pid = self.project(token)
                self.deny(pid, "iam", "iam.serviceAccountKeys.list", f"projects/{token}/serviceAccounts/{email}")
            if owner is None or (token != "-" and owner != self.ids[token]):
                raise _not_found(f"Service account projects/{token}/serviceAccounts/{email} does not exist.")
            email = next(sa["email"] for sa in self.b.accounts[owner] if email in (sa["email"], sa["uniqueId"]))
            types = query.get("keyTypes")
            keys = [k for k in self.b.keys.get(email, []) if not types or k["keyType"] in types]
            return {"keys": copy.deepcopy(keys)} if keys else {}
        raise self.unknown(request.url)

    def account_iam_policy(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        """IAM admin's getIamPolicy of one service account (a POST; the version asked in the query)."""
        match = re.fullmatch(r"/v1/projects/([^/]+)/serviceAccounts/([^/:]+):getIamPolicy", path)
        if not match:
            raise self.unknown(request.url)
        token, email = match.groups()
        pid = self.project(token)
        self.deny(pid, "iam", "iam.serviceAccounts.getIamPolicy", f"projects/{token}/serviceAccounts/{email}")
        if not any(sa["email"] == email for sa in self.b.accounts.get(pid, [])):
            raise _not_found(f"Service account projects/{token}/serviceAccounts/{email} does not exist.")
        # A service account nobody was granted anything on has an empty policy: only its etag.
        return copy.deepcopy(self.b.account_policies.get(email, {"etag": "ACAB"}))

    def org_policy(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/v2/projects/([^/]+)/policies/([^/:]+):getEffectivePolicy", path)
        if not match:
            raise self.unknown(request.url)
        token, constraint = match.groups()
        pid = self.project(token)
        self.deny(pid, "orgpolicy", "orgpolicy.policy.get", f"projects/{token}/policies/{constraint}")
        if constraint.startswith("constraints/") or "." not in constraint:
            raise _Reply(400, _error(400, "INVALID_ARGUMENT", f"Invalid policy name: {constraint}."))
        body: dict[str, Any] = {"name": f"projects/{PROJECT_NUMBERS[pid]}/policies/{constraint}"}
        spec = self.b.org_policies[pid].get(constraint)
        if spec is not None:
            body["spec"] = {
                "etag": "CLCb2b8GEMCW6ssB",
                "updateTime": "2025-02-01T00:00:00.000000Z",
                **copy.deepcopy(spec),
            }
        return body

    def scc(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/securityCenterServices", path)
        if not match:
            raise self.unknown(request.url)
        pid = self.project(match.group(1))
        self.deny(
            pid,
            "securitycentermanagement",
            "securitycentermanagement.securityCenterServices.list",
            f"projects/{match.group(1)}/locations/{match.group(2)}",
        )
        if match.group(2) != "global":
            raise _Reply(400, _error(400, "INVALID_ARGUMENT", f"Location {match.group(2)} is not supported."))
        return self.page(path, query, "securityCenterServices", self.b.scc[pid])

    def billing_info(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/v1/projects/([^/]+)/billingInfo", path)
        if not match:
            raise self.unknown(request.url)
        pid = self.project(match.group(1))
        self.deny(pid, "cloudbilling", "billing.resourceAssociations.list", f"projects/{match.group(1)}")
        return copy.deepcopy(self.b.billing_info[pid])

    def budgets(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        if path != f"/v1/{BILLING_ACCOUNT}/budgets":
            if re.fullmatch(r"/v1/billingAccounts/[^/]+/budgets", path):
                raise _Reply(
                    403,
                    _error(
                        403,
                        "PERMISSION_DENIED",
                        (f"Permission 'billing.budgets.list' denied on resource '{path[4:-8]}' (or it may not exist)."),
                        [
                            _error_info(
                                "IAM_PERMISSION_DENIED",
                                "billingbudgets.googleapis.com",
                                permission="billing.budgets.list",
                            )
                        ],
                    ),
                )
            raise self.unknown(request.url)
        return self.page(path, query, "budgets", self.b.budgets)

    def kms(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/v1/projects/([^/]+)/(locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+)", path)
        if not match:
            raise self.unknown(request.url)
        pid = self.project(match.group(1))
        self.deny(pid, "cloudkms", "cloudkms.cryptoKeys.get", path[4:])
        key = self.b.crypto_keys.get(f"projects/{pid}/{match.group(2)}")
        if key is None:
            raise _not_found(f"{path[4:]} not found.")
        return copy.deepcopy(key)

    def service_disabled(self, pid: str, service: str, title: str) -> _Reply:
        """Google's answer when an API is not enabled in the project."""
        number = PROJECT_NUMBERS[pid]
        return _Reply(
            403,
            _error(
                403,
                "PERMISSION_DENIED",
                (
                    f"{title} API has not been used in project {number} before or it is disabled. Enable it by "
                    f"visiting https://console.developers.google.com/apis/api/{service}/overview?project={number} "
                    "then retry. If you enabled this API recently, wait a few minutes for the action to propagate "
                    "to our systems and retry."
                ),
                [
                    _error_info(
                        "SERVICE_DISABLED",
                        "googleapis.com",
                        service=service,
                        consumer=f"projects/{number}",
                        serviceTitle=f"{title} API",
                        activationUrl=f"https://console.developers.google.com/apis/api/{service}/overview?project={number}",
                    )
                ],
            ),
        )

    def model_armor(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        """The floor setting on the global host; templates on modelarmor.<location>.rep only."""
        host_location = svc.split(".")[1] if svc.endswith(".rep") else "global"
        if match := re.fullmatch(r"/v1/projects/([^/]+)/locations/global/floorSetting", path):
            pid = self.project(match.group(1))
            self.deny(pid, "modelarmor", "modelarmor.floorSettings.get", path[4:])
            setting = self.b.floor_settings.get(pid)
            if setting is None:
                raise self.service_disabled(pid, "modelarmor.googleapis.com", "Model Armor")
            return copy.deepcopy(setting)
        if match := re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/templates", path):
            token, location = match.groups()
            pid = self.project(token)
            self.deny(pid, "modelarmor", "modelarmor.templates.list", f"projects/{token}/locations/{location}")
            if location != host_location:
                raise _Reply(
                    400,
                    _error(
                        400,
                        "INVALID_ARGUMENT",
                        f"Location {location} is not served here; use modelarmor.{location}.rep.{self.universe}.",
                    ),
                )
            if self.b.floor_settings.get(pid) is None:
                raise self.service_disabled(pid, "modelarmor.googleapis.com", "Model Armor")
            return self.page(path, query, "templates", self.b.armor_templates.get((pid, location), []))
        raise self.unknown(request.url)

    def storage(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/storage/v1/b/([^/]+)(/iam)?", path)
        if not match:
            raise self.unknown(request.url)
        bucket = self.b.buckets.get(match.group(1))
        if bucket is None:
            raise _Reply(404, _error(404, "NOT_FOUND", "The specified bucket does not exist."))
        if match.group(2):
            # Asked for version 3, a policy without conditions still answers as version 1.
            return copy.deepcopy(self.b.bucket_policies[match.group(1)])
        return copy.deepcopy(bucket)

    def bigquery(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)", path)
        if not match:
            raise self.unknown(request.url)
        token, dataset = match.groups()
        pid = self.project(token)
        self.deny(pid, "bigquery", "bigquery.datasets.get", f"projects/{token}/datasets/{dataset}")
        item = self.b.bq_datasets.get((pid, dataset))
        if item is None:
            raise _not_found(f"Not found: Dataset {pid}:{dataset}")
        return copy.deepcopy(item)

    def dlp(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        match = re.fullmatch(r"/v2/projects/([^/]+)/locations/([^/]+)/discoveryConfigs", path)
        if not match:
            raise self.unknown(request.url)
        token, location = match.groups()
        pid = self.project(token)
        self.deny(pid, "dlp", "dlp.jobTriggers.list", f"projects/{token}/locations/{location}")
        if pid == DEV_PROJECT_ID:
            raise self.service_disabled(pid, "dlp.googleapis.com", "Sensitive Data Protection (DLP)")
        return self.page(path, query, "discoveryConfigs", self.b.discovery_configs.get((pid, location), []))

    def compute(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        if match := re.fullmatch(r"/compute/v1/projects/([^/]+)/global/networks/([^/]+)", path):
            token, name = match.groups()
            pid = self.project(token)
            self.deny(pid, "compute", "compute.networks.get", path[len("/compute/v1/") :])
            network = self.b.networks.get((pid, name))
            if network is None:
                raise _not_found(f"The resource 'projects/{token}/global/networks/{name}' was not found")
            return copy.deepcopy(network)
        if match := re.fullmatch(r"/compute/v1/projects/([^/]+)/global/firewalls", path):
            pid = self.project(match.group(1))
            self.deny(pid, "compute", "compute.firewalls.list", path[len("/compute/v1/") :])
            # Compute Engine pages with maxResults, not pageSize.
            paging = {"pageSize": query.get("maxResults", []), "pageToken": query.get("pageToken", [])}
            extra = {
                "kind": "compute#firewallList",
                "id": f"projects/{pid}/global/firewalls",
                "selfLink": f"https://www.googleapis.com/compute/v1/projects/{pid}/global/firewalls",
            }
            return self.page(path, paging, "items", self.b.firewalls.get(pid, []), extra)
        raise self.unknown(request.url)

    def access_context(self, svc: str, path: str, query: dict[str, list[str]], request: Any) -> dict[str, Any]:
        if path == "/v1/accessPolicies":
            parent = (query.get("parent") or [""])[0]
            if not parent.startswith("organizations/"):
                raise _Reply(400, _error(400, "INVALID_ARGUMENT", "parent must be organizations/{organization_id}."))
            policies = [p for p in self.b.access_policies if p["parent"] == parent]
            return self.page(path + "?" + parent, query, "accessPolicies", policies)
        if match := re.fullmatch(r"/v1/(accessPolicies/[^/]+)/servicePerimeters", path):
            if match.group(1) not in self.b.perimeters:
                raise _not_found(f"Access policy '{match.group(1)}' not found.")
            return self.page(path, query, "servicePerimeters", self.b.perimeters[match.group(1)])
        raise self.unknown(request.url)


def _build(denied_project: bool = True) -> _Builder:
    builder = _Builder(denied_project)
    builder.build()
    return builder


def register_gcp_estate(
    rsps: responses.RequestsMock,
    *,
    denied_project: bool = True,
    throttle: bool = False,
    page_size: int = 2,
    universe_domain: str = DEFAULT_UNIVERSE_DOMAIN,
) -> GcpEstateManifest:
    """Register one callback per method (GET, POST) answering every `https://*.<universe_domain>/` URL of the
    estate, and describe it."""
    assert page_size >= 1, page_size
    builder = _build(denied_project)
    router = _Router(builder, universe_domain, page_size, throttle)
    url = re.compile(r"https://[a-z0-9-]+(?:\.[a-z0-9-]+\.rep)?\." + re.escape(universe_domain) + r"/.*")
    rsps.add_callback(responses.GET, url, callback=router)
    rsps.add_callback(responses.POST, url, callback=router)
    return GcpEstateManifest(
        organization_id=ORGANIZATION_ID,
        project_ids=(PROD_PROJECT_ID, DEV_PROJECT_ID, DENIED_PROJECT_ID),
        prod_project_id=PROD_PROJECT_ID,
        dev_project_id=DEV_PROJECT_ID,
        denied_project_id=DENIED_PROJECT_ID,
        project_numbers={pid: PROJECT_NUMBERS[pid] for pid in (PROD_PROJECT_ID, DEV_PROJECT_ID, DENIED_PROJECT_ID)},
        universe_domain=universe_domain,
        secrets=_PLANTED,
        hostile_strings=GCP_HOSTILE_STRINGS,
        expected=dict(builder.expected),
        allowed_regions=ALLOWED_REGIONS,
    )
