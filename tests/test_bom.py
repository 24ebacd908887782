"""The AI bill of materials: CycloneDX 1.6 valid under the schema the library ships, model cards, data, services
and the dependency graph from lineage, no planted secret, and `cspm-ai bom` writing each format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cspm_ai.bom import build_bom, lineage_document, render_bom
from cspm_ai.engine import Snapshot
from cspm_ai.lineage import lineage_graph
from cspm_ai.model import Finding, Relation, Resource, ScanRecord, Scope, Severity, Status
from reports.lineage_writer import CSP, render_lineage_html

ACCOUNT = "123456789012"
SM = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
# What the redactor leaves of a secret a model's environment held: the BOM copies no environment at all.
PLANTED = "AKIAIOSFODNN7EXAMPLE"
START = datetime(2026, 3, 1, 9, tzinfo=UTC)
SCAN = ScanRecord(
    "scan-bom-1",
    START,
    START + timedelta(minutes=2),
    "complete",
    ("aws", "gcp"),
    (Scope("aws", ACCOUNT, ("us-east-1",), "arn:aws:iam::123456789012:role/audit"),),
    "1.2.3",
)


def res(rtype: str, uid: str, name: str, config: dict[str, Any] | None = None) -> Resource:
    return Resource(rtype.split(".")[0], ACCOUNT, "us-east-1", rtype, uid, name, config or {})


ENDPOINT = res("aws.sagemaker.endpoint", f"{SM}:endpoint/fraud", "fraud")
CONFIG = res("aws.sagemaker.endpoint_config", f"{SM}:endpoint-config/fraud", "fraud-config")
MODEL = res(
    "aws.sagemaker.model",
    f"{SM}:model/fraud-model",
    "fraud-model",
    {
        "PrimaryContainer": {
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7",
            "ModelPackageName": f"{SM}:model-package/fraud/3",
            "Environment": {"AWS_ACCESS_KEY_ID": PLANTED},
        }
    },
)
PACKAGE = res(
    "aws.sagemaker.model_package",
    f"{SM}:model-package/fraud/3",
    "fraud",
    {
        "ModelPackageVersion": 3,
        "Task": "CLASSIFICATION",
        "ModelApprovalStatus": "Approved",
        "ModelPackageDescription": f"trained with key {PLANTED}",
        "InferenceSpecification": {
            "Containers": [
                {"Framework": "XGBOOST", "FrameworkVersion": "1.7", "ModelDataUrl": "s3://art/out/train-7/model.tar.gz"}
            ]
        },
    },
)
JOB = res(
    "aws.sagemaker.training_job",
    f"{SM}:training-job/train-7",
    "train-7",
    {
        "ModelArtifacts": {"S3ModelArtifacts": "s3://art/out/train-7/model.tar.gz"},
        "HyperParameters": {"max_depth": "6", "eta": "0.3"},
        "AlgorithmSpecification": {"TrainingImage": "xgboost:1.7"},
        "Environment": {"DB_PASSWORD": PLANTED},
    },
)
DATA = res("aws.s3.bucket", "arn:aws:s3:::training-data", "training-data")
KEY = res("aws.kms.key", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1", "k1")
ROLE = res("aws.iam.role", f"arn:aws:iam::{ACCOUNT}:role/trainer", "trainer")
RESOURCES = [ENDPOINT, CONFIG, MODEL, PACKAGE, JOB, DATA, KEY, ROLE]
RELATIONS = [
    Relation(ENDPOINT.uid, "uses_endpoint_config", CONFIG.uid),
    Relation(CONFIG.uid, "uses_model", MODEL.uid),
    Relation(CONFIG.uid, "encrypted_by", KEY.uid),
    Relation(MODEL.uid, "from_model_package", PACKAGE.uid),
    Relation(JOB.uid, "uses_bucket", DATA.uid),
    Relation(JOB.uid, "uses_role", ROLE.uid),
]
FAILING = Finding(
    id="f1",
    check_id="aws.iam.role_least_privilege",
    title="t",
    status=Status.FAIL,
    severity=Severity.HIGH,
    provider="aws",
    account=ACCOUNT,
    region="global",
    resource_type="aws.iam.role",
    resource_uid=ROLE.uid,
    resource_name="trainer",
    message="m",
    checklist=("ZT-1",),
    compliance={},
    remediation="r",
    evidence={},
)


@pytest.fixture(scope="module")
def built() -> tuple[str, dict[str, Any]]:
    snapshot = Snapshot(RESOURCES, RELATIONS, [])
    text = render_bom(build_bom(SCAN, snapshot, lineage_graph(snapshot), [FAILING]))
    return text, json.loads(text)


def test_the_bom_is_valid_cyclonedx_1_6(built: tuple[str, dict[str, Any]]) -> None:
    text, doc = built
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"
    # One scan, one serial number and time: the BOM of a stored scan is the same every time it is written.
    assert doc["serialNumber"].startswith("urn:uuid:") and doc["metadata"]["timestamp"].startswith("2026-03-01T09")


def test_models_are_ml_components_with_their_model_cards(built: tuple[str, dict[str, Any]]) -> None:
    _, doc = built
    by_ref = {c["bom-ref"]: c for c in doc["components"]}
    package = by_ref[PACKAGE.uid]
    assert package["type"] == "machine-learning-model" and package["version"] == "3"
    card = package["modelCard"]
    assert card["modelParameters"]["task"] == "CLASSIFICATION"
    # The package's training job is joined by its artifact: its data is the model's dataset.
    assert card["modelParameters"]["datasets"] == [{"ref": DATA.uid}]
    props = {p["name"]: p["value"] for p in card["properties"]}
    assert props["cspm-ai:framework"] == "XGBOOST" and props["cspm-ai:framework_version"] == "1.7"
    assert props["cspm-ai:hyperparameter:max_depth"] == "6" and props["cspm-ai:produced_by"] == "train-7"
    assert props["cspm-ai:source"] == "s3://art/out/train-7/model.tar.gz"
    model = by_ref[MODEL.uid]
    assert model["type"] == "machine-learning-model"
    assert {p["name"]: p["value"] for p in model["modelCard"]["properties"]}["cspm-ai:image"].endswith("xgboost:1.7")


def test_stores_are_data_endpoints_are_services_and_lineage_is_the_dependency_graph(
    built: tuple[str, dict[str, Any]],
) -> None:
    _, doc = built
    by_ref = {c["bom-ref"]: c for c in doc["components"]}
    assert by_ref[DATA.uid]["type"] == "data" and by_ref[DATA.uid]["data"] == [
        {"type": "dataset", "name": "training-data"}
    ]
    assert by_ref[KEY.uid]["type"] == "cryptographic-asset" and by_ref[JOB.uid]["type"] == "application"
    assert [s["bom-ref"] for s in doc["services"]] == [ENDPOINT.uid]
    depends = {d["ref"]: set(d.get("dependsOn", ())) for d in doc["dependencies"]}
    assert depends[ENDPOINT.uid] == {CONFIG.uid}
    assert depends[CONFIG.uid] == {MODEL.uid, KEY.uid}
    assert depends[PACKAGE.uid] == {JOB.uid}
    assert depends[JOB.uid] == {DATA.uid, ROLE.uid}
    assert depends["cspm-ai-scan:scan-bom-1"] == {ENDPOINT.uid}
    failing = {p["value"] for p in by_ref[ROLE.uid]["properties"] if p["name"] == "cspm-ai:failing_findings"}
    assert failing == {"1"}


def test_no_environment_description_or_secret_reaches_the_bom(built: tuple[str, dict[str, Any]]) -> None:
    text, _ = built
    assert PLANTED not in text
    assert "DB_PASSWORD" not in text and "AWS_ACCESS_KEY_ID" not in text and "trained with key" not in text


def test_the_lineage_json_and_page_say_the_same(tmp_path: Path) -> None:
    snapshot = Snapshot(RESOURCES, RELATIONS, [])
    lineages = lineage_graph(snapshot).lineages()
    doc = json.loads(lineage_document(SCAN, lineages, {ROLE.uid: 1}))
    assert doc["format"] == "cspm-ai-lineage/1" and [item["root"] for item in doc["lineage"]] == [ENDPOINT.uid]
    nodes = {n["uid"]: n for n in doc["lineage"][0]["nodes"]}
    assert nodes[ROLE.uid]["failing_findings"] == 1 and nodes[JOB.uid]["stage"] == "producer"
    page = render_lineage_html(SCAN, lineages, {ROLE.uid: 1})
    meta = BeautifulSoup(page, "html.parser").find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert "<script" not in page and meta is not None and meta["content"] == CSP
    assert "script-src" not in CSP and CSP.startswith("default-src 'none';")
    assert page.count('class="lineage-node') == len(nodes) and 'data-uid="' + ROLE.uid + '" data-failing="1"' in page
