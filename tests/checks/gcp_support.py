"""Recorded Google Cloud REST responses (proto3 JSON mapping) and an estate builder for the GCP check tests.

Each resource type has one base item in the real REST shape (lowerCamelCase; false, 0, "" and empty
lists omitted; int64 as strings; durations as "7776000s"; enums by name), plus the keys
docs/architecture.md adds (`iamPolicy`, `defaultComputeServiceAccount`, `keys`), describing a *secure*
resource. Cases vary it with dotted-path changes (DROP deletes a key) and evaluate one check through the
real engine via `tests.checks.conftest.assert_case`.

The types below are the ones several check modules share; a check that introduces a new type declares
its base item in its own test module with `declare_type`.

Test modules name their tables `CASES`; tests/test_registry.py lints every registered
check against them, live or staged.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

import checks.gcp
from cspm_ai.model import CollectionError, Resource
from tests.checks.conftest import DROP, Case, Estate, _set, register_type

PROJECT_ID = "ml-prod-4521"
PROJECT_NUMBER = "123456789012"
REGION = "us-central1"
ZONE = "us-central1-a"
PROJ = f"projects/{PROJECT_NUMBER}"
LOC = f"{PROJ}/locations/{REGION}"
VERTEX = "//aiplatform.googleapis.com/"
KEY_NAME = f"projects/{PROJECT_ID}/locations/{REGION}/keyRings/vertex-kr/cryptoKeys/vertex-cmek"
ENCRYPTION = {"kmsKeyName": KEY_NAME}
NETWORK = f"{PROJ}/global/networks/ml-vpc"
SERVING_SA = f"vertex-serving@{PROJECT_ID}.iam.gserviceaccount.com"
TRAINER_SA = f"vertex-trainer@{PROJECT_ID}.iam.gserviceaccount.com"
DEFAULT_SA = f"{PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
ENDPOINT_NAME = f"{LOC}/endpoints/4567890123456789012"
POLICY = "accessPolicies/987654321098"
BILLING_ACCOUNT = "billingAccounts/01A2B3-C4D5E6-F7A8B9"

# type -> (config name template, default last segment, where the collector records it)
TYPES: dict[str, tuple[str, str, str]] = {
    "gcp.project": (PROJ, PROJECT_NUMBER, "global"),
    "gcp.vertex.endpoint": (f"{LOC}/endpoints/{{name}}", "4567890123456789012", REGION),
    "gcp.vertex.model": (f"{LOC}/models/{{name}}", "998877", REGION),
    "gcp.vertex.dataset": (f"{LOC}/datasets/{{name}}", "3344556677", REGION),
    "gcp.vertex.custom_job": (f"{LOC}/customJobs/{{name}}", "5555000011112222", REGION),
    "gcp.vertex.training_pipeline": (f"{LOC}/trainingPipelines/{{name}}", "7777000011112222", REGION),
    "gcp.vertex.featurestore": (f"{LOC}/featurestores/{{name}}", "fraud_features", REGION),
    "gcp.vertex.model_monitoring_job": (f"{LOC}/modelDeploymentMonitoringJobs/{{name}}", "8888000011112222", REGION),
    "gcp.notebooks.instance": (f"projects/{PROJECT_ID}/locations/{ZONE}/instances/{{name}}", "wb-alice", ZONE),
    "gcp.iam.service_account": (f"projects/{PROJECT_ID}/serviceAccounts/{{name}}", SERVING_SA, "global"),
    "gcp.kms.crypto_key": (
        f"projects/{PROJECT_ID}/locations/{REGION}/keyRings/vertex-kr/cryptoKeys/{{name}}",
        "vertex-cmek",
        REGION,
    ),
    "gcp.orgpolicy.policy": (f"{PROJ}/policies/{{name}}", "iam.disableServiceAccountKeyCreation", "global"),
    "gcp.accesscontext.perimeter": (f"{POLICY}/servicePerimeters/{{name}}", "ml_perimeter", "global"),
    "gcp.scc.settings": (f"{PROJ}/securityCenterSettings", "securityCenterSettings", "global"),
    "gcp.billing.budget": (
        "billingAccounts/01A2B3-C4D5E6-F7A8B9/budgets/{name}",
        "b1c2d3e4-0000-1111-2222-333344445555",
        "global",
    ),
    "gcp.dlp.discovery_config": (
        f"projects/{PROJECT_ID}/locations/global/discoveryConfigs/{{name}}",
        "ai-data",
        "global",
    ),
}
# Cloud Asset Inventory service prefix of each type, for the full resource name used as uid.
SERVICE_HOST = {
    "gcp.project": "cloudresourcemanager",
    "gcp.notebooks.instance": "notebooks",
    "gcp.iam.service_account": "iam",
    "gcp.kms.crypto_key": "cloudkms",
    "gcp.orgpolicy.policy": "orgpolicy",
    "gcp.accesscontext.perimeter": "accesscontextmanager",
    "gcp.scc.settings": "securitycenter",
    "gcp.billing.budget": "billingbudgets",
    "gcp.dlp.discovery_config": "dlp",
}

_TIMES = {"createTime": "2025-01-10T12:00:00.123456Z", "updateTime": "2025-01-11T09:00:00Z"}

BASE: dict[str, dict[str, Any]] = {
    "gcp.project": {
        "name": PROJ,
        "parent": "folders/111122223333",
        "projectId": PROJECT_ID,
        "state": "ACTIVE",
        "displayName": "ML production",
        "etag": 'W/"a1b2c3d4e5f6"',
        "labels": {"env": "prod"},
        **_TIMES,
        "iamPolicy": {
            "version": 1,
            "etag": "BwWWja0YfJA=",
            "bindings": [
                {"role": "roles/owner", "members": ["group:cloud-admins@example.com"]},
                {
                    "role": "roles/aiplatform.user",
                    "members": [f"serviceAccount:{SERVING_SA}", f"serviceAccount:{TRAINER_SA}", "group:ml@example.com"],
                },
                {
                    "role": "roles/editor",
                    "members": [
                        f"serviceAccount:{DEFAULT_SA}",
                        f"serviceAccount:{PROJECT_NUMBER}@cloudservices.gserviceaccount.com",
                    ],
                },
            ],
            "auditConfigs": [
                {"service": "allServices", "auditLogConfigs": [{"logType": "ADMIN_READ"}]},
                {
                    "service": "aiplatform.googleapis.com",
                    "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
                },
            ],
        },
        "defaultComputeServiceAccount": DEFAULT_SA,
        "billingInfo": {
            "name": f"projects/{PROJECT_ID}/billingInfo",
            "projectId": PROJECT_ID,
            "billingAccountName": BILLING_ACCOUNT,
            "billingEnabled": True,
        },
    },
    "gcp.vertex.endpoint": {
        "name": ENDPOINT_NAME,
        "displayName": "fraud-ep",
        "etag": "AMEw9yNxyz",
        "labels": {"env": "prod"},
        **_TIMES,
        "deployedModels": [
            {
                "id": "1122334455667788990",
                "model": f"{LOC}/models/998877",
                "modelVersionId": "1",
                "displayName": "fraud-v1",
                "createTime": "2025-01-10T12:05:00Z",
                "dedicatedResources": {
                    "machineSpec": {"machineType": "n1-standard-4"},
                    "minReplicaCount": 1,
                    "maxReplicaCount": 2,
                },
                "serviceAccount": SERVING_SA,
                "enableAccessLogging": True,
            }
        ],
        "trafficSplit": {"1122334455667788990": 100},
        "encryptionSpec": ENCRYPTION,
        "privateServiceConnectConfig": {
            "enablePrivateServiceConnect": True,
            "projectAllowlist": [PROJECT_ID],
            "serviceAttachment": f"projects/x-tp/regions/{REGION}/serviceAttachments/sa-1",
        },
        "predictRequestResponseLoggingConfig": {
            "enabled": True,
            "samplingRate": 0.1,
            "bigqueryDestination": {"outputUri": f"bq://{PROJECT_ID}.logs.predict"},
        },
        "modelDeploymentMonitoringJob": f"{LOC}/modelDeploymentMonitoringJobs/8888000011112222",
    },
    "gcp.vertex.model": {
        "name": f"{LOC}/models/998877",
        "versionId": "1",
        "displayName": "fraud",
        "artifactUri": "gs://ml-prod-art/model/",
        "encryptionSpec": ENCRYPTION,
        "versionAliases": ["default"],
        **_TIMES,
        "containerSpec": {
            "imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
            "ports": [{"containerPort": 8080}],
            "predictRoute": "/predict",
            "healthRoute": "/health",
        },
    },
    "gcp.vertex.dataset": {
        "name": f"{LOC}/datasets/3344556677",
        "displayName": "transactions",
        "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml",
        "metadata": {"inputConfig": {"bigquerySource": {"uri": f"bq://{PROJECT_ID}.fraud.transactions"}}},
        "encryptionSpec": ENCRYPTION,
        "etag": "AMEw9yNabc",
        **_TIMES,
    },
    "gcp.vertex.custom_job": {
        "name": f"{LOC}/customJobs/5555000011112222",
        "displayName": "train-fraud",
        "state": "JOB_STATE_SUCCEEDED",
        "encryptionSpec": ENCRYPTION,
        "jobSpec": {
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-8"},
                    "replicaCount": "1",
                    "containerSpec": {
                        "imageUri": "us-docker.pkg.dev/ml-prod-4521/train/fraud:v3",
                        "args": ["--epochs=10"],
                    },
                    "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100},
                }
            ],
            "serviceAccount": TRAINER_SA,
            "network": NETWORK,
            "reservedIpRanges": ["vertex-range"],
            "baseOutputDirectory": {"outputUriPrefix": "gs://ml-prod-art/out"},
        },
        "startTime": "2025-01-10T12:01:00Z",
        "endTime": "2025-01-10T13:01:00Z",
        **_TIMES,
    },
    "gcp.vertex.training_pipeline": {
        "name": f"{LOC}/trainingPipelines/7777000011112222",
        "displayName": "fraud-pipeline",
        "trainingTaskDefinition": "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml",
        "trainingTaskInputs": {
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-8"},
                    "replicaCount": "1",
                    "containerSpec": {"imageUri": "us-docker.pkg.dev/p/t/fraud:v3"},
                }
            ],
            "serviceAccount": TRAINER_SA,
            "network": NETWORK,
            "baseOutputDirectory": {"outputUriPrefix": "gs://ml-prod-art/pipeline"},
        },
        "state": "PIPELINE_STATE_SUCCEEDED",
        "encryptionSpec": ENCRYPTION,
        "modelToUpload": {"displayName": "fraud", "encryptionSpec": ENCRYPTION},
        **_TIMES,
    },
    "gcp.vertex.featurestore": {
        "name": f"{LOC}/featurestores/fraud_features",
        "etag": "AMEw9yNdef",
        "state": "STABLE",
        "onlineServingConfig": {"scaling": {"minNodeCount": 1, "maxNodeCount": 3}},
        "onlineStorageTtlDays": 30,
        "encryptionSpec": ENCRYPTION,
        **_TIMES,
    },
    "gcp.vertex.model_monitoring_job": {
        "name": f"{LOC}/modelDeploymentMonitoringJobs/8888000011112222",
        "displayName": "fraud-drift",
        "endpoint": ENDPOINT_NAME,
        "state": "JOB_STATE_RUNNING",
        "scheduleState": "OFFLINE",
        "modelDeploymentMonitoringObjectiveConfigs": [
            {
                "deployedModelId": "1122334455667788990",
                "objectiveConfig": {"predictionDriftDetectionConfig": {"driftThresholds": {"amount": {"value": 0.3}}}},
            }
        ],
        "modelDeploymentMonitoringScheduleConfig": {"monitorInterval": "86400s"},
        "loggingSamplingStrategy": {"randomSampleConfig": {"sampleRate": 0.2}},
        "modelMonitoringAlertConfig": {
            "emailAlertConfig": {"userEmails": ["ml-oncall@example.com"]},
            "enableLogging": True,
        },
        "encryptionSpec": ENCRYPTION,
        **_TIMES,
    },
    "gcp.notebooks.instance": {
        "name": f"projects/{PROJECT_ID}/locations/{ZONE}/instances/wb-alice",
        "proxyUri": "2b3c4d5e6f-dot-us-central1.notebooks.googleusercontent.com",
        "creator": "alice@example.com",
        "instanceOwners": ["alice@example.com"],
        "state": "ACTIVE",
        "healthState": "HEALTHY",
        "id": "9f8e7d6c-5b4a-4321-9876-abcdef012345",
        **_TIMES,
        "gceSetup": {
            "machineType": "e2-standard-4",
            "serviceAccounts": [{"email": TRAINER_SA, "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}],
            "vmImage": {"project": "cloud-notebooks-managed", "family": "workbench-instances"},
            "bootDisk": {"diskSizeGb": "150", "diskType": "PD_BALANCED"},
            "dataDisks": [{"diskSizeGb": "100", "diskType": "PD_BALANCED"}],
            "shieldedInstanceConfig": {"enableSecureBoot": True, "enableVtpm": True, "enableIntegrityMonitoring": True},
            "networkInterfaces": [
                {"network": NETWORK, "subnet": f"{PROJ}/regions/{REGION}/subnetworks/ml", "nicType": "GVNIC"}
            ],
            "disablePublicIp": True,
            "tags": ["deeplearning-vm"],
            "metadata": {
                "notebook-disable-root": "true",
                "notebook-disable-downloads": "true",
                "idle-timeout-seconds": "10800",
            },
        },
    },
    "gcp.iam.service_account": {
        "name": f"projects/{PROJECT_ID}/serviceAccounts/{SERVING_SA}",
        "projectId": PROJECT_ID,
        "uniqueId": "104729384756102938475",
        "email": SERVING_SA,
        "displayName": "Vertex AI serving",
        "description": "Runs fraud-ep deployed models",
        "oauth2ClientId": "104729384756102938475",
        "etag": "MDEwMjE5MjA=",
    },
    "gcp.kms.crypto_key": {
        "name": KEY_NAME,
        "primary": {
            "name": f"{KEY_NAME}/cryptoKeyVersions/3",
            "state": "ENABLED",
            "protectionLevel": "HSM",
            "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
            "createTime": "2025-04-01T00:00:00Z",
            "generateTime": "2025-04-01T00:00:00Z",
        },
        "purpose": "ENCRYPT_DECRYPT",
        "createTime": "2024-01-01T00:00:00Z",
        "nextRotationTime": "2025-07-01T00:00:00Z",
        "rotationPeriod": "7776000s",
        "versionTemplate": {"protectionLevel": "HSM", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"},
        "destroyScheduledDuration": "2592000s",
    },
    "gcp.orgpolicy.policy": {
        "name": f"{PROJ}/policies/iam.disableServiceAccountKeyCreation",
        "spec": {"etag": "CLCb2b8GEMCW6ssB", "updateTime": "2025-02-01T00:00:00Z", "rules": [{"enforce": True}]},
    },
    "gcp.accesscontext.perimeter": {
        "name": f"{POLICY}/servicePerimeters/ml_perimeter",
        "title": "ml_perimeter",
        "status": {
            "resources": [PROJ, "projects/210987654321"],
            "restrictedServices": [
                "aiplatform.googleapis.com",
                "storage.googleapis.com",
                "bigquery.googleapis.com",
                "notebooks.googleapis.com",
            ],
            "vpcAccessibleServices": {"enableRestriction": True, "allowedServices": ["RESTRICTED-SERVICES"]},
        },
        "etag": '"6d9c1a4e"',
    },
    "gcp.scc.settings": {
        "enabled": True,
        "services": [
            {"name": "security-health-analytics", "effectiveEnablementState": "ENABLED"},
            {"name": "event-threat-detection", "effectiveEnablementState": "ENABLED"},
        ],
    },
    "gcp.billing.budget": {
        "name": "billingAccounts/01A2B3-C4D5E6-F7A8B9/budgets/b1c2d3e4-0000-1111-2222-333344445555",
        "displayName": "ai-monthly",
        "etag": "2d3e4f5a6b7c8d9e",
        "budgetFilter": {
            "projects": [PROJ],
            "creditTypesTreatment": "INCLUDE_ALL_CREDITS",
            "services": ["services/C7E2-9256-1C43"],
            "calendarPeriod": "MONTH",
        },
        "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "5000"}},
        "thresholdRules": [
            {"thresholdPercent": 0.5, "spendBasis": "CURRENT_SPEND"},
            {"thresholdPercent": 0.9, "spendBasis": "CURRENT_SPEND"},
            {"thresholdPercent": 1},
        ],
        "notificationsRule": {
            "monitoringNotificationChannels": [f"projects/{PROJECT_ID}/notificationChannels/1357924680"]
        },
    },
}


# Sensitive Data Protection profiles the data stores of the storage and BigQuery checks alike.
BASE["gcp.dlp.discovery_config"] = {
    "name": f"projects/{PROJECT_ID}/locations/global/discoveryConfigs/ai-data",
    "displayName": "AI data profiles",
    "inspectTemplates": [f"projects/{PROJECT_ID}/locations/global/inspectTemplates/ai-pii"],
    "actions": [{"publishToScc": {}}],
    "targets": [
        {
            "cloudStorageTarget": {
                "filter": {
                    "collection": {
                        "includeRegexes": {"patterns": [{"cloudStorageRegex": {"bucketNameRegex": "ml-prod-art"}}]}
                    }
                },
                "generationCadence": {"refreshFrequency": "UPDATE_FREQUENCY_MONTHLY"},
            }
        },
        {
            "bigQueryTarget": {
                "filter": {"otherTables": {}},
                "cadence": {"refreshFrequency": "UPDATE_FREQUENCY_MONTHLY"},
            }
        },
    ],
    "createTime": "2025-01-20T10:00:00Z",
    "updateTime": "2025-01-20T10:00:00Z",
    "lastRunTime": "2025-05-20T03:00:00Z",
    "status": "RUNNING",
}


def declare_type(
    rtype: str, base: Mapping[str, Any], *, uid: str, name: str, region: str, host: str = "aiplatform"
) -> str:
    """Declare a Google Cloud resource type from the test module of the check that introduces it.

    `base` is a *secure* resource's REST item as the collector stores it; `uid` the template of its config
    `name` with `{name}` for the last segment; `name` that segment's default; `region` where the collector
    records the type; `host` its Cloud Asset Inventory service prefix. Returns `rtype`.
    """
    known = SERVICE_HOST.get(rtype, "aiplatform")
    if rtype in TYPES and known != host:
        raise ValueError(f"{rtype} is already declared under host {known}")
    register_type("gcp", TYPES, BASE, rtype, (uid, name, region), base)
    SERVICE_HOST[rtype] = host
    return rtype


def load_gcp_checks() -> None:
    """Import every GCP check module (registering its checks); `all_checks()` skips GCP on purpose."""
    for module in pkgutil.iter_modules(checks.gcp.__path__):
        importlib.import_module(f"checks.gcp.{module.name}")


def make(
    rtype: str,
    changes: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    account: str = PROJECT_ID,
    region: str | None = None,
) -> Resource:
    """A resource from its base item, with `changes` applied ({"dotted.path": value or DROP}).

    `name` replaces the last segment of the config `name`; the Resource's name is `displayName` when set,
    else that last segment, and its uid the Cloud Asset Inventory full resource name.
    """
    template, default_last, default_region = TYPES[rtype]
    last = name or default_last
    config = copy.deepcopy(BASE[rtype])
    full = template.format(name=last)
    if "name" in config and rtype not in ("gcp.project", "gcp.scc.settings"):
        config["name"] = full
    for path, value in (changes or {}).items():
        _set(config, path, value if value is DROP else copy.deepcopy(value))
    host = SERVICE_HOST.get(rtype, "aiplatform")
    uid = f"//{host}.googleapis.com/{full}" if account == PROJECT_ID else f"//{host}.googleapis.com/{account}/{full}"
    display_name = config.get("displayName") or config.get("title") or last
    return Resource(
        provider="gcp",
        account=account,
        region=region or default_region,
        type=rtype,
        uid=uid,
        name=display_name,
        config=config,
        tags=dict(config.get("labels") or {}),
    )


def one(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Callable[[], Estate]:
    """A builder for an estate holding just one resource of `rtype`."""
    return lambda: Estate(make(rtype, changes, **kw))


def project_with(
    *others: tuple[str, dict[str, object] | None, dict[str, object]], **changes: object
) -> Callable[[], Estate]:
    """A project (with `changes`, dotted paths as keys in a dict) plus other resources (type, changes, make kw)."""

    def build() -> Estate:
        estate = Estate(make("gcp.project", changes.get("changes")))  # type: ignore[arg-type]
        for rtype, rchanges, kw in others:
            estate.add(make(rtype, rchanges, **kw))  # type: ignore[arg-type]
        return estate

    return build


def collection_error(
    rtype: str,
    *,
    uid: str | None = None,
    region: str = "global",
    account: str = PROJECT_ID,
    operation: str = "list",
    code: str = "PERMISSION_DENIED",
) -> CollectionError:
    """A failed Google API read as the collector records it: with `uid` one get, without it the whole list."""
    service = rtype.split(".")[1]
    return CollectionError(
        provider="gcp",
        account=account,
        region=region,
        service=service,
        operation=operation,
        code=code,
        message=f"Permission denied on {rtype} in project {account} (or it may not exist).",
        resource_type=rtype,
        resource_uid=uid,
    )


__all__ = [
    "DROP",
    "Case",
    "Estate",
    "collection_error",
    "declare_type",
    "load_gcp_checks",
    "make",
    "one",
    "project_with",
]
