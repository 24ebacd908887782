"""Build a large SageMaker estate (hundreds of resources per region) for the collector benchmark."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config

from moto_fixtures.extensions import install

__all__ = ["BENCH_KINDS", "KINDS", "build_bulk_estate", "plan"]

# Creation order matters: endpoint configs name models, endpoints name endpoint configs.
KINDS: tuple[str, ...] = ("model", "endpoint_config", "endpoint", "notebook_instance", "training_job", "processing_job")
_WORKERS = 16
_ROLE = "bulk-sagemaker-role"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


# The benchmark estate: 100 of each per region, 300 of each over three regions.
BENCH_KINDS: tuple[str, ...] = ("model", "endpoint_config", "endpoint", "notebook_instance", "training_job")


def _ordered(kinds: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
    if not kinds:
        raise ValueError("at least one kind is needed")
    return tuple(kind for kind in KINDS if kind in kinds)


def plan(per_region: int, kinds: Sequence[str] = KINDS) -> dict[str, int]:
    """How many of each kind one region gets; endpoints never outnumber configs, configs never models."""
    if per_region < 0:
        raise ValueError("per_region must not be negative")
    chosen = _ordered(kinds)
    parents = {"endpoint": "endpoint_config", "endpoint_config": "model"}
    if any(kind in chosen and parent not in chosen for kind, parent in parents.items()):
        raise ValueError("endpoints need endpoint configs, and endpoint configs need models")
    counts = dict.fromkeys(chosen, per_region // len(chosen))
    # The remainder goes to the kinds that need no parent, first.
    for kind in chosen[: per_region % len(chosen)]:
        counts[kind] += 1
    return counts


def _creators(sm: Any, region: str, role_arn: str, bucket: str) -> dict[str, Callable[[int], None]]:
    image = f"763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"
    tags = [{"Key": "estate", "Value": "bulk"}]

    def model(i: int) -> None:
        sm.create_model(
            ModelName=f"bulk-model-{i:05d}",
            ExecutionRoleArn=role_arn,
            PrimaryContainer={"Image": image, "ModelDataUrl": f"s3://{bucket}/models/{i}/model.tar.gz"},
            EnableNetworkIsolation=i % 2 == 0,
            Tags=tags,
        )

    def endpoint_config(i: int) -> None:
        sm.create_endpoint_config(
            EndpointConfigName=f"bulk-endpoint-config-{i:05d}",
            ProductionVariants=[
                {
                    "VariantName": "primary",
                    "ModelName": f"bulk-model-{i:05d}",
                    "InitialInstanceCount": 1 + i % 2,
                    "InstanceType": "ml.m5.large",
                }
            ],
            Tags=tags,
        )

    def endpoint(i: int) -> None:
        sm.create_endpoint(
            EndpointName=f"bulk-endpoint-{i:05d}",
            EndpointConfigName=f"bulk-endpoint-config-{i:05d}",
            Tags=tags,
        )

    def notebook_instance(i: int) -> None:
        sm.create_notebook_instance(
            NotebookInstanceName=f"bulk-notebook-{i:05d}",
            InstanceType="ml.t3.medium",
            RoleArn=role_arn,
            DirectInternetAccess="Enabled" if i % 3 else "Disabled",
            Tags=tags,
        )

    def training_job(i: int) -> None:
        sm.create_training_job(
            TrainingJobName=f"bulk-training-job-{i:05d}",
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            RoleArn=role_arn,
            OutputDataConfig={"S3OutputPath": f"s3://{bucket}/training/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            Environment={"RUN": str(i)},
            Tags=tags,
        )

    def processing_job(i: int) -> None:
        sm.create_processing_job(
            ProcessingJobName=f"bulk-processing-job-{i:05d}",
            ProcessingResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
            AppSpecification={"ImageUri": image},
            RoleArn=role_arn,
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            Tags=tags,
        )

    return {
        "model": model,
        "endpoint_config": endpoint_config,
        "endpoint": endpoint,
        "notebook_instance": notebook_instance,
        "training_job": training_job,
        "processing_job": processing_job,
    }


def build_bulk_estate(
    regions: Sequence[str] = ("us-east-1", "eu-west-1", "ap-southeast-2"),
    per_region: int = 500,
    session: boto3.Session | None = None,
    kinds: Sequence[str] = KINDS,
) -> int:
    """Create per_region SageMaker resources in each region (a mix of `kinds`); return how many were created."""
    counts = plan(per_region, kinds)
    install()
    session = session or boto3.Session()
    if not regions:
        return 0
    home = regions[0]
    account_id = session.client("sts", region_name=home).get_caller_identity()["Account"]
    iam = session.client("iam", region_name=home)
    try:
        role_arn = iam.create_role(RoleName=_ROLE, AssumeRolePolicyDocument=json.dumps(_TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role_arn = iam.get_role(RoleName=_ROLE)["Role"]["Arn"]
    bucket = f"bulk-ai-artifacts-{account_id}"
    s3 = session.client("s3", region_name=home)
    try:
        if home == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": home})
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass

    # One client per region, shared by the workers (botocore clients are thread-safe); a pool
    # as large as the worker count so concurrent calls do not queue for connections.
    config = Config(max_pool_connections=_WORKERS, retries={"mode": "standard", "max_attempts": 10})
    clients = {region: session.client("sagemaker", region_name=region, config=config) for region in regions}
    creators = {region: _creators(clients[region], region, role_arn, bucket) for region in regions}
    created = 0
    lock = threading.Lock()

    def run(create: Callable[[int], None], index: int) -> None:
        nonlocal created
        create(index)
        with lock:
            created += 1

    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for kind in counts:
            # Each kind finishes everywhere before its dependants start.
            futures = [
                pool.submit(run, creators[region][kind], index) for region in regions for index in range(counts[kind])
            ]
            for future in futures:
                future.result()
    return created
