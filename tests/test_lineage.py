"""Lineage: what each AI serving resource is made of, walked over small in-memory estates of each cloud."""

from __future__ import annotations

from typing import Any

import pytest

from cspm_ai.lineage import (
    AWS,
    CLOUDS,
    GCP,
    Join,
    Stage,
    build_graph,
    derived_relations,
    joined,
    short_id,
    stage_of,
)
from cspm_ai.model import Relation, Resource

ACCOUNT = "123456789012"
ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"


def res(rtype: str, uid: str, name: str, config: dict[str, Any] | None = None, **kw: str) -> Resource:
    provider = rtype.split(".", 1)[0]
    return Resource(
        provider=provider,
        account=kw.get("account", ACCOUNT),
        region=kw.get("region", "us-east-1"),
        type=rtype,
        uid=uid,
        name=name,
        config=config or {},
    )


ENDPOINT = res("aws.sagemaker.endpoint", f"{ARN}:endpoint/fraud", "fraud")
CONFIG = res("aws.sagemaker.endpoint_config", f"{ARN}:endpoint-config/fraud", "fraud-config")
MODEL = res(
    "aws.sagemaker.model",
    f"{ARN}:model/fraud-model",
    "fraud-model",
    {"PrimaryContainer": {"ModelDataUrl": "s3://art/out/train-7/output/model.tar.gz"}},
)
JOB = res(
    "aws.sagemaker.training_job",
    f"{ARN}:training-job/train-7",
    "train-7",
    {"ModelArtifacts": {"S3ModelArtifacts": "s3://art/out/train-7/output/model.tar.gz"}},
)
# Its output directory is a string prefix of train-7's, not a path prefix: it must not join.
OTHER_JOB = res(
    "aws.sagemaker.training_job",
    f"{ARN}:training-job/train",
    "train",
    {"ModelArtifacts": {"S3ModelArtifacts": "s3://art/out/train"}},
)
BUCKET = res("aws.s3.bucket", "arn:aws:s3:::art", "art")
ROLE = res("aws.iam.role", f"arn:aws:iam::{ACCOUNT}:role/trainer", "trainer")
KEY = res("aws.kms.key", "arn:aws:kms:us-east-1:123456789012:key/k1", "k1")
SG = res("aws.ec2.security_group", "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1", "training-sg")
VPC = res("aws.ec2.vpc", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1", "vpc-1")
NOTEBOOK = res("aws.sagemaker.notebook_instance", f"{ARN}:notebook-instance/lab", "lab")
GONE_BUCKET = "arn:aws:s3:::deleted-training-data"

AWS_RESOURCES = [ENDPOINT, CONFIG, MODEL, JOB, OTHER_JOB, BUCKET, ROLE, KEY, SG, VPC, NOTEBOOK]
AWS_RELATIONS = [
    Relation(ENDPOINT.uid, "uses_endpoint_config", CONFIG.uid),
    Relation(CONFIG.uid, "uses_model", MODEL.uid),
    Relation(CONFIG.uid, "encrypted_by", KEY.uid),
    Relation(MODEL.uid, "uses_bucket", BUCKET.uid),
    Relation(JOB.uid, "uses_bucket", BUCKET.uid),
    Relation(JOB.uid, "uses_bucket", GONE_BUCKET),
    Relation(JOB.uid, "uses_role", ROLE.uid),
    Relation(JOB.uid, "in_security_group", SG.uid),
    Relation(SG.uid, "in_vpc", VPC.uid),
    Relation(NOTEBOOK.uid, "in_security_group", SG.uid),
    # Not a lineage step: a monitor names the endpoint, but is not part of it.
    Relation(f"{ARN}:monitoring-schedule/m", "monitors", ENDPOINT.uid),
]


@pytest.fixture(scope="module")
def aws_graph() -> Any:
    return build_graph(AWS_RESOURCES, AWS_RELATIONS)


def test_an_endpoint_lineage_reaches_the_job_that_trained_its_model_and_what_that_job_used(aws_graph: Any) -> None:
    lineage = aws_graph.of(ENDPOINT.uid)
    stages = {n.name: n.stage for n in lineage.nodes}
    assert stages == {
        "fraud": Stage.SERVING,
        "fraud-config": Stage.DEPLOYMENT,
        "fraud-model": Stage.MODEL,
        "train-7": Stage.PRODUCER,
        "art": Stage.DATA,
        "deleted-training-data": Stage.DATA,
        "k1": Stage.KEY,
        "trainer": Stage.IDENTITY,
        "training-sg": Stage.NETWORK,
        "vpc-1": Stage.NETWORK,
    }
    edges = {(e.src, e.kind, e.dst) for e in lineage.edges}
    assert (MODEL.uid, "trained_by", JOB.uid) in edges
    assert (MODEL.uid, "trained_by", OTHER_JOB.uid) not in edges
    assert (SG.uid, "in_vpc", VPC.uid) in edges
    # Nodes in stage order, the root first; a bucket the scan could not find is drawn, marked not collected.
    assert lineage.nodes[0] == lineage.root
    assert [n.uid for n in lineage.nodes if not n.collected] == [GONE_BUCKET]


def test_a_supporting_resource_names_the_ai_resources_it_affects_serving_ones_first(aws_graph: Any) -> None:
    affected = aws_graph.affected()
    assert [a.name for a in affected[ROLE.uid]] == ["fraud", "fraud-config", "fraud-model", "train-7"]
    # The security group is used by the notebook directly and by the endpoint through its model's training.
    assert [a.name for a in affected[SG.uid]] == ["fraud", "fraud-config", "fraud-model", "lab", "train-7"]
    assert {a.type for a in affected[VPC.uid]} >= {"aws.sagemaker.notebook_instance", "aws.sagemaker.endpoint"}
    # AI resources are affected by what they use, not listed as affecting themselves or what uses them.
    assert ENDPOINT.uid not in affected


def test_lineage_is_the_same_whatever_order_the_scan_stored_things_in() -> None:
    forward = build_graph(AWS_RESOURCES, AWS_RELATIONS).of(ENDPOINT.uid)
    backward = build_graph(AWS_RESOURCES[::-1], AWS_RELATIONS[::-1]).of(ENDPOINT.uid)
    assert forward == backward
    assert forward.as_json() == backward.as_json()


def test_a_prefix_join_matches_at_path_boundaries_only() -> None:
    join = AWS.joins[0]
    sources = [
        res("aws.sagemaker.model", "m1", "m1", {"PrimaryContainer": {"ModelDataUrl": "s3://b/out/job/model/"}}),
        res("aws.sagemaker.model", "m2", "m2", {"PrimaryContainer": {"ModelDataUrl": "s3://b/out/job2/x.tar.gz"}}),
        res(
            "aws.sagemaker.model_package",
            "p",
            "p",
            {"InferenceSpecification": {"Containers": [{"ModelDataUrl": "s3://b/out/job"}]}},
        ),
    ]
    target = res(
        "aws.sagemaker.training_job", "job", "job", {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/out/job/"}}
    )
    assert joined(join, [*sources, target]) == [Relation("m1", "trained_by", "job"), Relation("p", "trained_by", "job")]


def test_an_equality_join_by_bare_id_stays_in_the_sources_project_and_location() -> None:
    loc = "projects/42/locations/us-central1"
    pipeline = res(
        "gcp.vertex.training_pipeline",
        f"//aiplatform.googleapis.com/{loc}/trainingPipelines/7",
        "fraud-pipeline",
        {"inputDataConfig": {"datasetId": "55"}},
        account="prod",
        region="us-central1",
    )
    here = res(
        "gcp.vertex.dataset",
        f"//aiplatform.googleapis.com/{loc}/datasets/55",
        "txns",
        {"name": f"{loc}/datasets/55"},
        account="prod",
        region="us-central1",
    )
    elsewhere = res(
        "gcp.vertex.dataset",
        "//aiplatform.googleapis.com/projects/42/locations/europe-west4/datasets/55",
        "txns-eu",
        {"name": "projects/42/locations/europe-west4/datasets/55"},
        account="prod",
        region="europe-west4",
    )
    assert derived_relations([pipeline, here, elsewhere]) == [Relation(pipeline.uid, "trains_on", here.uid)]


def test_a_vertex_endpoint_reaches_its_pipeline_dataset_and_the_tuning_job_of_a_tuned_model() -> None:
    loc = "projects/42/locations/us-central1"
    vx = "//aiplatform.googleapis.com/" + loc
    endpoint = res("gcp.vertex.endpoint", f"{vx}/endpoints/1", "fraud-ep", account="prod", region="us-central1")
    model = res("gcp.vertex.model", f"{vx}/models/2", "fraud-model", account="prod", region="us-central1")
    tuned = res("gcp.vertex.model", f"{vx}/models/3", "support-tuned", account="prod", region="us-central1")
    pipeline = res(
        "gcp.vertex.training_pipeline",
        f"{vx}/trainingPipelines/4",
        "fraud-pipeline",
        {"inputDataConfig": {"datasetId": "5"}},
        account="prod",
        region="us-central1",
    )
    dataset = res(
        "gcp.vertex.dataset",
        f"{vx}/datasets/5",
        "txns",
        {"name": f"{loc}/datasets/5"},
        account="prod",
        region="us-central1",
    )
    tables = res("gcp.bigquery.dataset", "//bigquery.googleapis.com/projects/prod/datasets/ml", "prod.ml")
    tuning = res("gcp.vertex.tuning_job", f"{vx}/tuningJobs/6", "6", account="prod", region="us-central1")
    sa = res("gcp.iam.service_account", "//iam.googleapis.com/projects/prod/serviceAccounts/t@x", "t@x")
    relations = [
        Relation(endpoint.uid, "serves_model", model.uid),
        Relation(endpoint.uid, "serves_model", tuned.uid),
        Relation(model.uid, "produced_by", pipeline.uid),
        Relation(dataset.uid, "uses_dataset", tables.uid),
        Relation(tuning.uid, "produces_model", tuned.uid),
        Relation(pipeline.uid, "uses_service_account", sa.uid),
    ]
    graph = build_graph([endpoint, model, tuned, pipeline, dataset, tables, tuning, sa], relations)
    lineage = graph.of(endpoint.uid)
    assert [(n.stage.value, n.name) for n in lineage.nodes] == [
        ("serving", "fraud-ep"),
        ("model", "fraud-model"),
        ("model", "support-tuned"),
        ("producer", "fraud-pipeline"),
        ("producer", "6"),
        ("data", "prod.ml"),
        ("data", "txns"),
        ("identity", "t@x"),
    ]
    # The tuning job names the model: the walk goes from the model back to the job, drawn model -> job.
    assert any(e.src == tuned.uid and e.dst == tuning.uid and e.kind == "produces_model" for e in lineage.edges)


def test_an_azure_endpoint_gathers_its_deployments_and_an_ai_account_only_its_model_deployments() -> None:
    ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw"
    acct = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/aoai"
    kw = {"account": "s", "region": "eastus2"}
    endpoint = res("azure.ml.online_endpoint", f"{ws}/onlineEndpoints/ep", "ep", **kw)
    deployment = res("azure.ml.online_deployment", f"{ws}/onlineEndpoints/ep/deployments/blue", "blue", **kw)
    workspace = res("azure.ml.workspace", ws, "mlw", **kw)
    storage = res(
        "azure.storage.account",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
        "st",
        **kw,
    )
    account = res("azure.cognitive.account", acct, "aoai", **kw)
    gpt = res("azure.cognitive.deployment", f"{acct}/deployments/gpt", "gpt", **kw)
    policy = res("azure.cognitive.rai_policy", f"{acct}/raiPolicies/strict", "strict", **kw)
    relations = [
        Relation(deployment.uid, "in_endpoint", endpoint.uid),
        Relation(endpoint.uid, "in_workspace", workspace.uid),
        Relation(workspace.uid, "uses_storage", storage.uid),
        Relation(gpt.uid, "in_account", account.uid),
        Relation(policy.uid, "in_account", account.uid),
        Relation(gpt.uid, "uses_rai_policy", policy.uid),
    ]
    graph = build_graph([endpoint, deployment, workspace, storage, account, gpt, policy], relations)
    assert graph.roots == [account.uid, endpoint.uid]
    assert [n.name for n in graph.of(endpoint.uid).nodes] == ["ep", "blue", "st", "mlw"]
    ai = graph.of(account.uid)
    assert [(n.stage.value, n.name) for n in ai.nodes] == [
        ("serving", "aoai"),
        ("deployment", "gpt"),
        ("control", "strict"),
    ]
    # The policy is reached through the deployment that uses it, not as a member of the account.
    assert {(e.src, e.kind) for e in ai.edges} == {(account.uid, "in_account"), (gpt.uid, "uses_rai_policy")}


def test_every_cloud_declares_a_stage_for_the_types_its_steps_and_joins_name() -> None:
    for cloud in CLOUDS.values():
        for step in cloud.steps:
            for rtype in (*(step.sources or ()), *(step.targets or ())):
                assert stage_of(rtype, cloud.provider) is not None, (cloud.provider, step.kind, rtype)
        for join in cloud.joins:
            for rtype in (*join.sources, join.target):
                assert stage_of(rtype, cloud.provider) is not None, (cloud.provider, join.kind, rtype)
    assert GCP.serving == {"gcp.vertex.endpoint", "gcp.vertex.reasoning_engine", "gcp.vertex.index_endpoint"}


def test_a_join_declares_a_match_it_knows() -> None:
    assert {j.match for c in CLOUDS.values() for j in c.joins} <= {"equal", "prefix"}
    assert isinstance(AWS.joins[0], Join)


@pytest.mark.parametrize(
    ("uid", "name", "shown"),
    [
        ("arn:aws:ec2:us-east-1:1:security-group/sg-0a1", "training-sg", "sg-0a1"),
        ("arn:aws:sagemaker:us-east-1:1:endpoint/fraud", "fraud", None),
        ("arn:aws:s3:::art", "art", None),
        ("//aiplatform.googleapis.com/projects/42/locations/l/endpoints/77", "fraud-ep", "77"),
    ],
)
def test_the_id_shown_beside_a_human_name(uid: str, name: str, shown: str | None) -> None:
    assert short_id(uid, name) == shown
