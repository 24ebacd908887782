"""SageMaker checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.checks.conftest import (
    ACCOUNT,
    DROP,
    ERROR,
    FAIL,
    KEY_ARN,
    MANUAL,
    PASS,
    REGION,
    ROLE_ARN,
    Case,
    Estate,
    assert_case,
    collection_error,
    declare_type,
    make,
    one,
)

IAC = "aws.sagemaker.resource_managed_by_iac"
# What CloudFormation adds to everything a stack creates (CDK and SAM deploy through it).
CFN_TAGS = {
    "aws:cloudformation:stack-name": "ml-serving",
    "aws:cloudformation:stack-id": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ml-serving/"
    "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "aws:cloudformation:logical-id": "ChurnEndpoint",
}


def with_tags(rtype: str, tags: dict[str, str]) -> Callable[[], Estate]:
    return lambda: Estate(dataclasses.replace(make(rtype), tags=tags))


NB = "aws.sagemaker.notebook_instance"
LCC = "aws.sagemaker.notebook_lifecycle_config"
DOMAIN = "aws.sagemaker.domain"
MODEL = "aws.sagemaker.model"
EPC = "aws.sagemaker.endpoint_config"
EP = "aws.sagemaker.endpoint"
TJ = "aws.sagemaker.training_job"
PJ = "aws.sagemaker.processing_job"
XJ = "aws.sagemaker.transform_job"
PKG = "aws.sagemaker.model_package"
SCHEDULE = "aws.sagemaker.monitoring_schedule"
KEY = "aws.kms.key"
# Types only the region check reads, so their base responses live here rather than in the shared support.
PACKAGE_GROUP = declare_type(
    "aws.sagemaker.model_package_group",
    {
        "ModelPackageGroupName": "churn",
        "ModelPackageGroupArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/churn",
        "ModelPackageGroupDescription": "Churn prediction models",
        "CreationTime": "2025-05-01T08:00:00Z",
        "ModelPackageGroupStatus": "Completed",
    },
    uid=f"arn:aws:sagemaker:{{region}}:{ACCOUNT}:model-package-group/{{name}}",
    name="churn",
)
FEATURE_GROUP = declare_type(
    "aws.sagemaker.feature_group",
    {
        "FeatureGroupArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/churn-features",
        "FeatureGroupName": "churn-features",
        "RecordIdentifierFeatureName": "customer_id",
        "EventTimeFeatureName": "event_time",
        "FeatureDefinitions": [
            {"FeatureName": "customer_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "String"},
            {"FeatureName": "tenure_months", "FeatureType": "Integral"},
        ],
        "CreationTime": "2025-04-20T08:00:00Z",
        "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY_ARN}},
        "OfflineStoreConfig": {
            "S3StorageConfig": {"S3Uri": "s3://acme-ml-artifacts/feature-store", "KmsKeyId": KEY_ARN},
            "DisableGlueTableCreation": False,
        },
        "RoleArn": ROLE_ARN,
        "FeatureGroupStatus": "Created",
        "OfflineStoreStatus": {"Status": "Active"},
    },
    uid=f"arn:aws:sagemaker:{{region}}:{ACCOUNT}:feature-group/{{name}}",
    name="churn-features",
)


# A HyperPod cluster as DescribeCluster returns it (a real cluster's ARN ends in its generated id).
CLUSTER = declare_type(
    "aws.sagemaker.cluster",
    {
        "ClusterArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:cluster/k2ve4b1mqjxn",
        "ClusterName": "llm-pretrain",
        "ClusterStatus": "InService",
        "CreationTime": "2025-05-10T08:00:00Z",
        "InstanceGroups": [
            {
                "CurrentCount": 4,
                "TargetCount": 4,
                "InstanceGroupName": "workers",
                "InstanceType": "ml.p5.48xlarge",
                "LifeCycleConfig": {
                    "SourceS3Uri": "s3://sagemaker-lifecycle-acme/hyperpod/",
                    "OnCreate": "on_create.sh",
                },
                "ExecutionRole": ROLE_ARN,
                "ThreadsPerCore": 1,
                "InstanceStorageConfigs": [{"EbsVolumeConfig": {"VolumeSizeInGB": 500}}],
                "Status": "InService",
            }
        ],
        "VpcConfig": {"SecurityGroupIds": ["sg-0a1b2c3d4e5f60001"], "Subnets": ["subnet-0a1b2c3d4e5f60001"]},
        "NodeRecovery": "Automatic",
    },
    uid=f"arn:aws:sagemaker:{{region}}:{ACCOUNT}:cluster/{{name}}",
    name="llm-pretrain",
)


def keyed(rtype: str, changes: dict[str, Any] | None = None, key: dict[str, Any] | None = None) -> Callable[[], Estate]:
    """The resource linked by encrypted_by to a (customer managed unless changed) key in the inventory."""

    def build() -> Estate:
        target, kms = make(rtype, changes), make(KEY, key)
        return Estate(target).add(kms).link(target, "encrypted_by", kms)

    return build


def key_not_collected(rtype: str) -> Callable[[], Estate]:
    def build() -> Estate:
        target = make(rtype)
        return Estate(target).link(target, "encrypted_by", "arn:aws:kms:us-east-1:444455556666:key/other-account")

    return build


def key_unreadable(rtype: str) -> Callable[[], Estate]:
    def build() -> Estate:
        target, kms = make(rtype), make(KEY)
        return (
            Estate(target)
            .add(kms)
            .link(target, "encrypted_by", kms)
            .fail(collection_error(KEY, uid=kms.uid, operation="DescribeKey"))
        )

    return build


def monitored(*statuses: str) -> Callable[[], Estate]:
    def build() -> Estate:
        endpoint = make(EP)
        estate = Estate(endpoint)
        for i, status in enumerate(statuses):
            schedule = make(SCHEDULE, {"MonitoringScheduleStatus": status}, name=f"churn-monitor-{i}")
            estate.add(schedule).link(schedule, "monitors", endpoint)
        return estate

    return build


def schedules_unlisted() -> Estate:
    return Estate(make(EP)).fail(collection_error(SCHEDULE, operation="ListMonitoringSchedules"))


def packaged(
    model_changes: dict[str, Any] | None = None,
    package: dict[str, Any] | None = None,
    collected: bool = True,
    describe_failed: bool = False,
) -> Callable[[], Estate]:
    def build() -> Estate:
        model, pkg = make(MODEL, model_changes), make(PKG, package)
        estate = Estate(model).link(model, "from_model_package", pkg)
        if collected:
            estate.add(pkg)
        if describe_failed:
            estate.fail(collection_error(PKG, uid=pkg.uid, operation="DescribeModelPackage"))
        return estate

    return build


SECRETS = (
    {"path": "OnStart.0.Content", "kind": "aws_secret_access_key"},
    {"path": "OnStart.0.Content", "kind": "password"},
)
SERVERLESS = [
    {
        "VariantName": "AllTraffic",
        "ModelName": "churn-model",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
    }
]
ONE = frozenset({"us-east-1"})


def served(before: Mapping[str, Any] | None, config_existed: bool = True) -> Callable[[], Estate]:
    """An endpoint config serving churn-model; the previous scan had the config (unless not `config_existed`)
    and the model as `before` (None: not the model)."""

    def build() -> Estate:
        config, model = make(EPC), make(MODEL)
        previous = ([make(EPC)] if config_existed else []) + ([make(MODEL, before)] if before is not None else [])
        estate = Estate(config, previous=previous).add(model)
        return estate.link(config, "uses_model", model)

    return build


CASES: list[Case] = [
    # CL-01 notebooks
    Case("aws.sagemaker.notebook_direct_internet_access", PASS, "disabled", one(NB)),
    Case(
        "aws.sagemaker.notebook_direct_internet_access", FAIL, "enabled", one(NB, {"DirectInternetAccess": "Enabled"})
    ),
    Case(
        "aws.sagemaker.notebook_direct_internet_access",
        FAIL,
        "absent",
        one(NB, {"DirectInternetAccess": DROP}),
        says="absent means Enabled",
    ),
    Case("aws.sagemaker.notebook_direct_internet_access", FAIL, "malformed", one(NB, {"DirectInternetAccess": 0})),
    Case("aws.sagemaker.notebook_in_vpc", PASS, "subnet", one(NB), says="subnet-0a1b2c3d4e5f60001"),
    Case("aws.sagemaker.notebook_in_vpc", FAIL, "absent", one(NB, {"SubnetId": DROP}), says="<absent>"),
    Case("aws.sagemaker.notebook_in_vpc", FAIL, "empty", one(NB, {"SubnetId": ""})),
    Case("aws.sagemaker.notebook_root_access", PASS, "disabled", one(NB)),
    Case("aws.sagemaker.notebook_root_access", FAIL, "enabled", one(NB, {"RootAccess": "Enabled"})),
    Case(
        "aws.sagemaker.notebook_root_access", FAIL, "absent", one(NB, {"RootAccess": DROP}), says="absent means Enabled"
    ),
    # CL-03 notebooks and domains: a key, and a customer managed one
    Case("aws.sagemaker.notebook_kms_encryption", PASS, "customer-key", keyed(NB), says="customer managed"),
    Case(
        "aws.sagemaker.notebook_kms_encryption",
        FAIL,
        "aws-managed-key",
        keyed(NB, key={"KeyManager": "AWS"}),
        says="KeyManager is AWS",
    ),
    Case("aws.sagemaker.notebook_kms_encryption", FAIL, "absent", one(NB, {"KmsKeyId": DROP})),
    Case(
        "aws.sagemaker.notebook_kms_encryption",
        PASS,
        "alias-resolved",
        keyed(NB, {"KmsKeyId": "alias/ml-data"}),
        says="customer managed",
    ),
    Case(
        "aws.sagemaker.notebook_kms_encryption", PASS, "key-not-collected", key_not_collected(NB), says="not verified"
    ),
    Case("aws.sagemaker.notebook_kms_encryption", ERROR, "key-describe-failed", key_unreadable(NB), says="DescribeKey"),
    Case("aws.sagemaker.domain_vpc_only", PASS, "vpc-only", one(DOMAIN)),
    Case("aws.sagemaker.domain_vpc_only", FAIL, "public", one(DOMAIN, {"AppNetworkAccessType": "PublicInternetOnly"})),
    Case(
        "aws.sagemaker.domain_vpc_only",
        FAIL,
        "absent",
        one(DOMAIN, {"AppNetworkAccessType": DROP}),
        says="absent means PublicInternetOnly",
    ),
    Case("aws.sagemaker.domain_kms_encryption", PASS, "customer-key", keyed(DOMAIN)),
    Case("aws.sagemaker.domain_kms_encryption", FAIL, "aws-managed-key", keyed(DOMAIN, key={"KeyManager": "AWS"})),
    Case("aws.sagemaker.domain_kms_encryption", FAIL, "absent", one(DOMAIN, {"KmsKeyId": DROP})),
    Case("aws.sagemaker.domain_kms_encryption", ERROR, "key-describe-failed", key_unreadable(DOMAIN)),
    # CL-01 models and jobs
    Case("aws.sagemaker.model_network_isolation", PASS, "isolated", one(MODEL)),
    Case("aws.sagemaker.model_network_isolation", FAIL, "false", one(MODEL, {"EnableNetworkIsolation": False})),
    Case(
        "aws.sagemaker.model_network_isolation",
        FAIL,
        "absent",
        one(MODEL, {"EnableNetworkIsolation": DROP}),
        says="absent means false",
    ),
    Case("aws.sagemaker.model_network_isolation", FAIL, "string-true", one(MODEL, {"EnableNetworkIsolation": "true"})),
    Case("aws.sagemaker.model_in_vpc", PASS, "vpc", one(MODEL)),
    Case("aws.sagemaker.model_in_vpc", FAIL, "absent", one(MODEL, {"VpcConfig": DROP})),
    Case("aws.sagemaker.model_in_vpc", FAIL, "no-subnets", one(MODEL, {"VpcConfig.Subnets": []})),
    Case("aws.sagemaker.training_job_in_vpc", PASS, "vpc", one(TJ)),
    Case("aws.sagemaker.training_job_in_vpc", FAIL, "absent", one(TJ, {"VpcConfig": DROP})),
    Case("aws.sagemaker.training_job_in_vpc", FAIL, "malformed", one(TJ, {"VpcConfig": "vpc-123"})),
    Case("aws.sagemaker.cluster_in_vpc", PASS, "vpc", one(CLUSTER)),
    Case("aws.sagemaker.cluster_in_vpc", FAIL, "absent", one(CLUSTER, {"VpcConfig": DROP}), "service network"),
    Case("aws.sagemaker.cluster_in_vpc", FAIL, "no-subnets", one(CLUSTER, {"VpcConfig.Subnets": []})),
    Case(
        "aws.sagemaker.cluster_in_vpc",
        FAIL,
        "group-override-without-subnets",
        one(CLUSTER, {"InstanceGroups.0.OverrideVpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": []}}),
        "instance group workers overrides",
    ),
    Case(
        "aws.sagemaker.cluster_in_vpc",
        PASS,
        "group-override-in-vpc",
        one(CLUSTER, {"InstanceGroups.0.OverrideVpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-2"]}}),
    ),
    Case("aws.sagemaker.training_job_network_isolation", PASS, "isolated", one(TJ)),
    Case("aws.sagemaker.training_job_network_isolation", FAIL, "absent", one(TJ, {"EnableNetworkIsolation": DROP})),
    Case("aws.sagemaker.processing_job_in_vpc", PASS, "vpc", one(PJ)),
    Case("aws.sagemaker.processing_job_in_vpc", FAIL, "absent", one(PJ, {"NetworkConfig.VpcConfig": DROP})),
    Case("aws.sagemaker.processing_job_network_isolation", PASS, "isolated", one(PJ)),
    Case("aws.sagemaker.processing_job_network_isolation", FAIL, "absent", one(PJ, {"NetworkConfig": DROP})),
    # CL-03 jobs
    Case("aws.sagemaker.training_job_volume_encryption", PASS, "key", one(TJ)),
    Case(
        "aws.sagemaker.training_job_volume_encryption",
        FAIL,
        "absent-ebs",
        one(TJ, {"ResourceConfig.VolumeKmsKeyId": DROP}),
        says="AWS managed key",
    ),
    Case(
        "aws.sagemaker.training_job_volume_encryption",
        PASS,
        "absent-nvme-g5",
        one(TJ, {"ResourceConfig.VolumeKmsKeyId": DROP, "ResourceConfig.InstanceType": "ml.g5.2xlarge"}),
        says="local NVMe",
    ),
    Case(
        "aws.sagemaker.training_job_volume_encryption",
        PASS,
        "absent-nvme-p4d",
        one(TJ, {"ResourceConfig.VolumeKmsKeyId": DROP, "ResourceConfig.InstanceType": "ml.p4d.24xlarge"}),
    ),
    Case(
        "aws.sagemaker.training_job_volume_encryption",
        FAIL,
        "absent-p3",
        one(TJ, {"ResourceConfig.VolumeKmsKeyId": DROP, "ResourceConfig.InstanceType": "ml.p3.2xlarge"}),
    ),
    Case(
        "aws.sagemaker.training_job_volume_encryption",
        PASS,
        "groups-all-nvme",
        one(
            TJ,
            {
                "ResourceConfig": {
                    "InstanceGroups": [
                        {"InstanceGroupName": "a", "InstanceType": "ml.g4dn.xlarge", "InstanceCount": 1},
                        {"InstanceGroupName": "b", "InstanceType": "ml.m5d.large", "InstanceCount": 1},
                    ]
                }
            },
        ),
    ),
    Case(
        "aws.sagemaker.training_job_volume_encryption",
        FAIL,
        "groups-mixed",
        one(
            TJ,
            {
                "ResourceConfig": {
                    "InstanceGroups": [
                        {"InstanceGroupName": "a", "InstanceType": "ml.g4dn.xlarge", "InstanceCount": 1},
                        {"InstanceGroupName": "b", "InstanceType": "ml.c5.xlarge", "InstanceCount": 1},
                    ]
                }
            },
        ),
    ),
    Case("aws.sagemaker.training_job_output_encryption", PASS, "key", one(TJ)),
    Case("aws.sagemaker.training_job_output_encryption", FAIL, "absent", one(TJ, {"OutputDataConfig.KmsKeyId": DROP})),
    Case("aws.sagemaker.processing_job_encryption", PASS, "both-keys", one(PJ)),
    Case(
        "aws.sagemaker.processing_job_encryption",
        FAIL,
        "no-output-key",
        one(PJ, {"ProcessingOutputConfig.KmsKeyId": DROP}),
        says="ProcessingOutputConfig.KmsKeyId",
    ),
    Case(
        "aws.sagemaker.processing_job_encryption",
        FAIL,
        "no-volume-key",
        one(PJ, {"ProcessingResources.ClusterConfig.VolumeKmsKeyId": DROP}),
        says="VolumeKmsKeyId",
    ),
    Case(
        "aws.sagemaker.processing_job_encryption",
        PASS,
        "no-outputs",
        one(PJ, {"ProcessingOutputConfig": DROP}),
        says="writes no outputs",
    ),
    Case("aws.sagemaker.transform_job_encryption", PASS, "both-keys", one(XJ)),
    Case("aws.sagemaker.transform_job_encryption", FAIL, "no-output-key", one(XJ, {"TransformOutput.KmsKeyId": DROP})),
    Case(
        "aws.sagemaker.transform_job_encryption",
        FAIL,
        "no-volume-key",
        one(XJ, {"TransformResources.VolumeKmsKeyId": DROP}),
    ),
    Case(
        "aws.sagemaker.transform_job_encryption",
        PASS,
        "nvme-no-volume-key",
        one(XJ, {"TransformResources.VolumeKmsKeyId": DROP, "TransformResources.InstanceType": "ml.g4dn.xlarge"}),
    ),
    Case("aws.sagemaker.endpoint_config_kms_encryption", PASS, "keys", one(EPC)),
    Case("aws.sagemaker.endpoint_config_kms_encryption", FAIL, "no-key", one(EPC, {"KmsKeyId": DROP})),
    Case(
        "aws.sagemaker.endpoint_config_kms_encryption",
        PASS,
        "serverless-only",
        one(EPC, {"KmsKeyId": DROP, "ProductionVariants": SERVERLESS}),
        says="serverless",
    ),
    Case(
        "aws.sagemaker.endpoint_config_kms_encryption",
        FAIL,
        "capture-without-key",
        one(EPC, {"DataCaptureConfig.KmsKeyId": DROP}),
        says="DataCaptureConfig.KmsKeyId",
    ),
    Case(
        "aws.sagemaker.endpoint_config_kms_encryption",
        PASS,
        "capture-disabled",
        one(EPC, {"DataCaptureConfig.KmsKeyId": DROP, "DataCaptureConfig.EnableCapture": False}),
    ),
    # CL-04
    Case("aws.sagemaker.training_job_intercontainer_encryption", PASS, "encrypted", one(TJ)),
    Case(
        "aws.sagemaker.training_job_intercontainer_encryption",
        FAIL,
        "two-instances-off",
        one(TJ, {"EnableInterContainerTrafficEncryption": False}),
        says="2 instances",
    ),
    Case(
        "aws.sagemaker.training_job_intercontainer_encryption",
        FAIL,
        "groups-absent-flag",
        one(
            TJ,
            {
                "EnableInterContainerTrafficEncryption": DROP,
                "ResourceConfig": {
                    "InstanceGroups": [
                        {"InstanceGroupName": "a", "InstanceType": "ml.p4d.24xlarge", "InstanceCount": 2},
                        {"InstanceGroupName": "b", "InstanceType": "ml.c5.xlarge", "InstanceCount": 1},
                    ]
                },
            },
        ),
        says="3 instances",
    ),
    Case(
        "aws.sagemaker.training_job_intercontainer_encryption",
        PASS,
        "single-instance",
        one(TJ, {"EnableInterContainerTrafficEncryption": DROP, "ResourceConfig.InstanceCount": 1}),
        says="not distributed",
    ),
    Case(
        "aws.sagemaker.training_job_intercontainer_encryption",
        FAIL,
        "unreadable-count",
        one(TJ, {"EnableInterContainerTrafficEncryption": False, "ResourceConfig.InstanceCount": "two"}),
    ),
    # PH-4
    Case("aws.sagemaker.endpoint_config_instance_redundancy", PASS, "two", one(EPC)),
    Case(
        "aws.sagemaker.endpoint_config_instance_redundancy",
        FAIL,
        "one",
        one(EPC, {"ProductionVariants.0.InitialInstanceCount": 1}),
        says="AllTraffic",
    ),
    Case(
        "aws.sagemaker.endpoint_config_instance_redundancy",
        PASS,
        "serverless",
        one(EPC, {"ProductionVariants": SERVERLESS}),
    ),
    Case(
        "aws.sagemaker.endpoint_config_instance_redundancy",
        PASS,
        "managed-scaling-min-2",
        one(
            EPC,
            {
                "ProductionVariants.0.InitialInstanceCount": 1,
                "ProductionVariants.0.ManagedInstanceScaling": {
                    "Status": "ENABLED",
                    "MinInstanceCount": 2,
                    "MaxInstanceCount": 4,
                },
            },
        ),
    ),
    Case(
        "aws.sagemaker.endpoint_config_instance_redundancy",
        FAIL,
        "managed-scaling-min-1",
        one(
            EPC,
            {
                "ProductionVariants.0.ManagedInstanceScaling": {
                    "Status": "ENABLED",
                    "MinInstanceCount": 1,
                    "MaxInstanceCount": 4,
                }
            },
        ),
    ),
    Case(
        "aws.sagemaker.endpoint_config_instance_redundancy", FAIL, "no-variants", one(EPC, {"ProductionVariants": DROP})
    ),
    Case(
        "aws.sagemaker.endpoint_config_instance_redundancy",
        FAIL,
        "count-absent",
        one(EPC, {"ProductionVariants.0.InitialInstanceCount": DROP}),
    ),
    # MS-3
    Case("aws.sagemaker.endpoint_data_capture", PASS, "capturing", one(EP)),
    Case("aws.sagemaker.endpoint_data_capture", FAIL, "absent", one(EP, {"DataCaptureConfig": DROP})),
    Case("aws.sagemaker.endpoint_data_capture", FAIL, "disabled", one(EP, {"DataCaptureConfig.EnableCapture": False})),
    Case(
        "aws.sagemaker.endpoint_data_capture", FAIL, "stopped", one(EP, {"DataCaptureConfig.CaptureStatus": "Stopped"})
    ),
    Case(
        "aws.sagemaker.endpoint_monitoring_schedule", PASS, "scheduled", monitored("Scheduled"), says="churn-monitor-0"
    ),
    Case("aws.sagemaker.endpoint_monitoring_schedule", PASS, "one-of-two-active", monitored("Stopped", "Pending")),
    Case("aws.sagemaker.endpoint_monitoring_schedule", FAIL, "none", monitored(), says="no monitoring schedule"),
    Case("aws.sagemaker.endpoint_monitoring_schedule", FAIL, "stopped-failed", monitored("Stopped", "Failed")),
    Case("aws.sagemaker.endpoint_monitoring_schedule", ERROR, "schedules-unlisted", schedules_unlisted),
    # MS-1
    Case("aws.sagemaker.model_from_approved_package", PASS, "approved", packaged()),
    Case(
        "aws.sagemaker.model_from_approved_package",
        FAIL,
        "pending",
        packaged(package={"ModelApprovalStatus": "PendingManualApproval"}),
        says="PendingManualApproval",
    ),
    Case(
        "aws.sagemaker.model_from_approved_package",
        FAIL,
        "image-only",
        one(
            MODEL,
            {
                "PrimaryContainer.ModelPackageName": DROP,
                "PrimaryContainer.ModelDataUrl": "s3://acme-ml-artifacts/models/model.tar.gz",
            },
        ),
    ),
    Case(
        "aws.sagemaker.model_from_approved_package",
        FAIL,
        "one-container-unpackaged",
        one(
            MODEL,
            {
                "PrimaryContainer": DROP,
                "Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/pre:1", "ContainerHostname": "pre"}],
            },
        ),
    ),
    Case("aws.sagemaker.model_from_approved_package", FAIL, "no-containers", one(MODEL, {"PrimaryContainer": DROP})),
    Case(
        "aws.sagemaker.model_from_approved_package",
        MANUAL,
        "package-not-collected",
        packaged(collected=False),
        says="not in the inventory",
    ),
    Case("aws.sagemaker.model_from_approved_package", ERROR, "package-describe-failed", packaged(describe_failed=True)),
    # MS-4
    Case("aws.sagemaker.no_secrets_in_configuration", PASS, "clean-model", one(MODEL)),
    Case(
        "aws.sagemaker.no_secrets_in_configuration",
        FAIL,
        "lifecycle-script",
        one(LCC, redactions=SECRETS),
        says="2 secret-looking value(s) of kind aws_secret_access_key, password",
    ),
    Case(
        "aws.sagemaker.no_secrets_in_configuration",
        FAIL,
        "training-env",
        one(
            TJ,
            {"Environment": {"HF_TOKEN": "[REDACTED:token]"}},
            redactions=({"path": "Environment.HF_TOKEN", "kind": "token"},),
        ),
    ),
    Case("aws.sagemaker.no_secrets_in_configuration", PASS, "clean-notebook", one(NB)),
    # CL-09
    Case("aws.sagemaker.resource_in_allowed_region", MANUAL, "unconfigured", one(TJ), says="attest data residency"),
    Case("aws.sagemaker.resource_in_allowed_region", PASS, "allowed", one(MODEL), allowed_regions=ONE),
    Case(
        "aws.sagemaker.resource_in_allowed_region",
        FAIL,
        "outside",
        one(EP, region="eu-west-1"),
        allowed_regions=ONE,
        says="eu-west-1",
    ),
    Case(
        "aws.sagemaker.resource_in_allowed_region",
        FAIL,
        "bucket-outside",
        one("aws.s3.bucket", region="ap-south-1"),
        allowed_regions=ONE,
    ),
    Case(
        "aws.sagemaker.resource_in_allowed_region",
        PASS,
        "package-group-allowed",
        one(PACKAGE_GROUP),
        allowed_regions=ONE,
    ),
    Case(
        "aws.sagemaker.resource_in_allowed_region",
        FAIL,
        "feature-group-outside",
        one(FEATURE_GROUP, region="eu-central-1"),
        allowed_regions=ONE,
        says="eu-central-1",
    ),
    Case(
        "aws.sagemaker.endpoint_config_models_immutable",
        FAIL,
        "model-artifacts-replaced-in-place",
        served({"PrimaryContainer.ModelPackageName": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/2"}),
        says="replaced in place",
    ),
    Case(
        "aws.sagemaker.endpoint_config_models_immutable",
        FAIL,
        "model-image-replaced-in-place",
        served({"PrimaryContainer.Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"}),
        says="PrimaryContainer.Image",
    ),
    Case("aws.sagemaker.endpoint_config_models_immutable", PASS, "unchanged", served({}), says="same model artifacts"),
    Case(
        "aws.sagemaker.endpoint_config_models_immutable",
        PASS,
        "new-config-for-a-new-version",
        served(None, config_existed=False),
        says="new endpoint config",
    ),
    Case("aws.sagemaker.endpoint_config_models_immutable", MANUAL, "no-earlier-scan", one(EPC), says="no earlier scan"),
    # PH-1: provenance from tags
    Case(IAC, PASS, "cloudformation-stack", with_tags(EP, CFN_TAGS), says="CloudFormation stack ml-serving"),
    Case(IAC, PASS, "terraform-default-tags", with_tags(NB, {"ManagedBy": "Terraform", "team": "ml"}), says="a tag"),
    Case(IAC, PASS, "terraform-modules-convention", with_tags(MODEL, {"Terraform": "true"})),
    Case(IAC, PASS, "pulumi", with_tags(DOMAIN, {"managed-by": "pulumi"})),
    Case(IAC, FAIL, "console-made", with_tags(EPC, {"team": "ml"}), says="made outside infrastructure as code"),
    Case(IAC, FAIL, "untagged", one(NB), says="made outside infrastructure as code"),
    Case(IAC, FAIL, "managed-by-a-person", with_tags(MODEL, {"ManagedBy": "alice"})),
    Case(IAC, FAIL, "stack-name-alone", with_tags(EP, {"stack": "ml-serving", "terraform": "false"})),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sagemaker_check(case: Case) -> None:
    assert_case(case)


def test_redaction_evidence_names_paths_and_kinds_never_values() -> None:
    case = next(c for c in CASES if c.label == "training-env")
    from tests.checks.conftest import run

    finding = run(case)
    assert finding.evidence == {"Environment.HF_TOKEN": "[REDACTED:token]"}


def test_key_not_in_inventory_is_flagged_in_evidence() -> None:
    from tests.checks.conftest import run

    finding = run(next(c for c in CASES if c.label == "key-not-collected"))
    assert finding.evidence["key_verified"] is False
    assert finding.evidence["KmsKeyId"] == KEY_ARN
