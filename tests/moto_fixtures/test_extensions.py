"""Each moto extension answers like the real API, and each scenario fails on moto without it."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_fixtures.extensions import install, installed, uninstall

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-role"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VPC = {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-gpu-py310"

# One session for the module: mock_aws drops boto3's default session, and a fresh session
# re-parses each service model (a quarter of a second for SageMaker) on its first client.
SESSION = boto3.Session(region_name=REGION)

Scenario = Callable[[], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(function: Scenario) -> Scenario:
    SCENARIOS[function.__name__] = function
    return function


def sm() -> Any:
    return SESSION.client("sagemaker")


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def create_training_job(name: str, **extra: Any) -> None:
    sm().create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://bucket/out", "KmsKeyId": KEY},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 10, "VolumeKmsKeyId": KEY},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
        **extra,
    )


def create_processing_job(name: str, **extra: Any) -> None:
    sm().create_processing_job(
        ProcessingJobName=name,
        ProcessingResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 10,
                "VolumeKmsKeyId": KEY,
            }
        },
        AppSpecification={"ImageUri": IMAGE},
        RoleArn=ROLE,
        StoppingCondition={"MaxRuntimeInSeconds": 60},
        **extra,
    )


def create_endpoint(name: str, capture: dict[str, Any] | None) -> None:
    client = sm()
    client.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    extra = {"DataCaptureConfig": capture} if capture else {}
    client.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {"VariantName": "v", "ModelName": f"{name}-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        ],
        **extra,
    )
    client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def create_domain(name: str) -> str:
    arn = sm().create_domain(
        DomainName=name,
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=VPC["Subnets"],
        VpcId="vpc-0123456789abcdef0",
    )["DomainArn"]
    return str(arn.rsplit("/", 1)[1])


FEATURES = [
    {"FeatureName": "id", "FeatureType": "String"},
    {"FeatureName": "event_time", "FeatureType": "String"},
]

# --------------------------------------------------------------------------- SageMaker: lost fields


@scenario
def model_enable_network_isolation() -> None:
    client = sm()
    client.create_model(
        ModelName="isolated", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}, EnableNetworkIsolation=True
    )
    client.create_model(ModelName="default", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    assert client.describe_model(ModelName="isolated")["EnableNetworkIsolation"] is True
    assert client.describe_model(ModelName="default")["EnableNetworkIsolation"] is False


@scenario
def model_without_vpc_has_no_vpc_config() -> None:
    client = sm()
    client.create_model(ModelName="no-vpc", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    described = client.describe_model(ModelName="no-vpc")
    assert "VpcConfig" not in described
    assert "Containers" not in described


@scenario
def search_models_holds_each_description_and_its_tags() -> None:
    """Search(Resource="Model"): each record a ModelDashboardModel whose Model is DescribeModel's answer plus Tags,
    in pages of MaxResults."""
    client = sm()
    for index in range(3):
        client.create_model(
            ModelName=f"searched-{index}",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": IMAGE},
            Tags=[{"Key": "n", "Value": str(index)}],
        )
    first = client.search(Resource="Model", MaxResults=2)
    rest = client.search(Resource="Model", MaxResults=2, NextToken=first["NextToken"])
    assert "NextToken" not in rest
    records = [r["Model"] for r in first["Results"] + rest["Results"]]
    assert all(set(r) == {"Model"} for r in records)
    for record in (r["Model"] for r in records):
        described = client.describe_model(ModelName=record["ModelName"])
        described.pop("ResponseMetadata")
        assert {k: v for k, v in record.items() if k != "Tags"} == described
        assert record["Tags"] == [{"Key": "n", "Value": record["ModelName"].rsplit("-", 1)[1]}]
    assert sorted(r["Model"]["ModelName"] for r in records) == ["searched-0", "searched-1", "searched-2"]
    assert client.search(Resource="TrainingJob")["Results"] == []  # moto's own resources still answer


@scenario
def training_job_environment() -> None:
    create_training_job("with-env", Environment={"PASSWORD": "x"})
    assert sm().describe_training_job(TrainingJobName="with-env")["Environment"] == {"PASSWORD": "x"}


@scenario
def training_job_retry_strategy() -> None:
    create_training_job("with-retry", RetryStrategy={"MaximumRetryAttempts": 3})
    assert sm().describe_training_job(TrainingJobName="with-retry")["RetryStrategy"] == {"MaximumRetryAttempts": 3}


@scenario
def processing_job_environment() -> None:
    create_processing_job("with-env", Environment={"TOKEN": "y"})
    assert sm().describe_processing_job(ProcessingJobName="with-env")["Environment"] == {"TOKEN": "y"}


@scenario
def processing_job_resources() -> None:
    create_processing_job("with-resources")
    described = sm().describe_processing_job(ProcessingJobName="with-resources")
    assert described["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY


@scenario
def notebook_root_access_default() -> None:
    client = sm()
    client.create_notebook_instance(NotebookInstanceName="defaults", InstanceType="ml.t3.medium", RoleArn=ROLE)
    assert client.describe_notebook_instance(NotebookInstanceName="defaults")["RootAccess"] == "Enabled"


@scenario
def endpoint_config_without_capture_omits_it() -> None:
    create_endpoint("plain", capture=None)
    assert "DataCaptureConfig" not in sm().describe_endpoint_config(EndpointConfigName="plain-config")
    assert "DataCaptureConfig" not in sm().describe_endpoint(EndpointName="plain")


@scenario
def endpoint_data_capture_summary() -> None:
    create_endpoint(
        "captured",
        capture={
            "EnableCapture": True,
            "InitialSamplingPercentage": 25,
            "DestinationS3Uri": "s3://bucket/capture",
            "KmsKeyId": KEY,
            "CaptureOptions": [{"CaptureMode": "Input"}],
        },
    )
    summary = sm().describe_endpoint(EndpointName="captured")["DataCaptureConfig"]
    assert summary == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 25,
        "DestinationS3Uri": "s3://bucket/capture",
        "KmsKeyId": KEY,
    }


@scenario
def domain_without_invented_security_group() -> None:
    domain_id = create_domain("plain-domain")
    described = sm().describe_domain(DomainId=domain_id)
    assert "SecurityGroupIdForDomainBoundary" not in described
    assert "FailureReason" not in described
    assert described["AppNetworkAccessType"] == "PublicInternetOnly"


@scenario
def feature_group_online_store() -> None:
    client = sm()
    client.create_feature_group(
        FeatureGroupName="online-only",
        RecordIdentifierFeatureName="id",
        EventTimeFeatureName="event_time",
        FeatureDefinitions=FEATURES,
        OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY}},
        Description="online features",
    )
    described = client.describe_feature_group(FeatureGroupName="online-only")
    assert described["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == KEY
    assert described["Description"] == "online features"
    assert "OfflineStoreConfig" not in described
    assert error_code(lambda: client.describe_feature_group(FeatureGroupName="missing")) == "ResourceNotFound"


# --------------------------------------------------------------------------- SageMaker: missing APIs


@scenario
def user_profiles() -> None:
    client = sm()
    first, second = create_domain("team-a"), create_domain("team-b")
    for index in range(3):
        client.create_user_profile(DomainId=first, UserProfileName=f"user-{index}", Tags=[{"Key": "k", "Value": "v"}])
    arn = client.create_user_profile(DomainId=second, UserProfileName="other", UserSettings={"ExecutionRole": ROLE})[
        "UserProfileArn"
    ]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{second}/other"
    described = client.describe_user_profile(DomainId=second, UserProfileName="other")
    assert described["UserSettings"] == {"ExecutionRole": ROLE}
    assert described["Status"] == "InService"
    assert {"CreationTime", "LastModifiedTime", "HomeEfsFileSystemUid", "UserProfileArn"} <= set(described)
    pages = list(
        client.get_paginator("list_user_profiles").paginate(DomainIdEquals=first, PaginationConfig={"PageSize": 2})
    )
    assert [len(page["UserProfiles"]) for page in pages] == [2, 1]
    assert {p["UserProfileName"] for page in pages for p in page["UserProfiles"]} == {"user-0", "user-1", "user-2"}
    assert "NextToken" in client.list_user_profiles(MaxResults=1)
    assert len(client.list_user_profiles()["UserProfiles"]) == 4
    assert (
        error_code(lambda: client.describe_user_profile(DomainId=first, UserProfileName="nobody")) == "ResourceNotFound"
    )
    assert error_code(lambda: client.create_user_profile(DomainId=first, UserProfileName="user-0")) == "ResourceInUse"
    assert error_code(lambda: client.list_user_profiles(MaxResults=101)) == "ValidationException"
    client.delete_user_profile(DomainId=second, UserProfileName="other")
    assert (
        error_code(lambda: client.describe_user_profile(DomainId=second, UserProfileName="other")) == "ResourceNotFound"
    )


@scenario
def monitoring_schedules() -> None:
    client = sm()
    create_endpoint("watched", capture=None)
    create_endpoint("other", capture=None)
    inline = {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": {
            "MonitoringInputs": [
                {"EndpointInput": {"EndpointName": "watched", "LocalPath": "/opt/ml/processing/input"}}
            ],
            "MonitoringOutputConfig": {
                "MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://bucket/mon", "LocalPath": "/opt/ml/out"}}]
            },
            "MonitoringResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
            "MonitoringAppSpecification": {"ImageUri": IMAGE},
            "RoleArn": ROLE,
        },
    }
    client.create_monitoring_schedule(MonitoringScheduleName="inline-a", MonitoringScheduleConfig=inline)
    client.create_monitoring_schedule(MonitoringScheduleName="inline-b", MonitoringScheduleConfig=inline)
    client.create_data_quality_job_definition(
        JobDefinitionName="dq-other",
        DataQualityAppSpecification={"ImageUri": IMAGE},
        DataQualityJobInput={"EndpointInput": {"EndpointName": "other", "LocalPath": "/opt/ml/processing/input"}},
        DataQualityJobOutputConfig={
            "MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://bucket/dq", "LocalPath": "/opt/ml/out"}}]
        },
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}},
        RoleArn=ROLE,
    )
    arn = client.create_monitoring_schedule(
        MonitoringScheduleName="by-definition",
        MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": "dq-other",
            "MonitoringType": "DataQuality",
        },
    )["MonitoringScheduleArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/by-definition"
    described = client.describe_monitoring_schedule(MonitoringScheduleName="by-definition")
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert described["MonitoringType"] == "DataQuality"
    assert described["EndpointName"] == "other"
    assert described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == "dq-other"
    assert {"MonitoringScheduleArn", "MonitoringScheduleName", "CreationTime", "LastModifiedTime"} <= set(described)
    watched = client.list_monitoring_schedules(EndpointName="watched")["MonitoringScheduleSummaries"]
    assert sorted(s["MonitoringScheduleName"] for s in watched) == ["inline-a", "inline-b"]
    pages = list(client.get_paginator("list_monitoring_schedules").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["MonitoringScheduleSummaries"]) for page in pages] == [2, 1]
    assert error_code(lambda: client.describe_monitoring_schedule(MonitoringScheduleName="nope")) == "ResourceNotFound"
    assert (
        error_code(
            lambda: client.create_monitoring_schedule(
                MonitoringScheduleName="inline-a", MonitoringScheduleConfig=inline
            )
        )
        == "ResourceInUse"
    )


@scenario
def feature_groups_list() -> None:
    client = sm()
    for index in range(3):
        client.create_feature_group(
            FeatureGroupName=f"features-{index}",
            RecordIdentifierFeatureName="id",
            EventTimeFeatureName="event_time",
            FeatureDefinitions=FEATURES,
            OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://bucket/fs/{index}"}},
            RoleArn=ROLE,
        )
    pages = list(client.get_paginator("list_feature_groups").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["FeatureGroupSummaries"]) for page in pages] == [2, 1]
    summary = pages[0]["FeatureGroupSummaries"][0]
    assert {"FeatureGroupName", "FeatureGroupArn", "CreationTime", "FeatureGroupStatus"} <= set(summary)
    assert summary["FeatureGroupStatus"] == "Created"
    assert len(client.list_feature_groups(NameContains="features-1")["FeatureGroupSummaries"]) == 1


@scenario
def notebook_lifecycle_configs_list() -> None:
    client = sm()
    for index in range(3):
        client.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName=f"lifecycle-{index}",
            OnStart=[{"Content": base64.b64encode(b"echo hi").decode()}],
        )
    pages = list(
        client.get_paginator("list_notebook_instance_lifecycle_configs").paginate(PaginationConfig={"PageSize": 2})
    )
    names = [
        c["NotebookInstanceLifecycleConfigName"] for page in pages for c in page["NotebookInstanceLifecycleConfigs"]
    ]
    assert sorted(names) == ["lifecycle-0", "lifecycle-1", "lifecycle-2"]
    assert len(pages) == 2


@scenario
def list_models_pages() -> None:
    client = sm()
    for index in range(5):
        client.create_model(ModelName=f"model-{index}", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    first = client.list_models(MaxResults=2)
    assert len(first["Models"]) == 2 and "NextToken" in first
    pages = list(client.get_paginator("list_models").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["Models"]) for page in pages] == [2, 2, 1]
    assert set(pages[0]["Models"][0]) == {"ModelName", "ModelArn", "CreationTime"}
    assert error_code(lambda: client.list_models(MaxResults=101)) == "ValidationException"
    assert error_code(lambda: client.list_models(NextToken="not-a-token")) == "ValidationException"


@scenario
def list_tags_on_every_resource_kind() -> None:
    client = sm()
    tags = [{"Key": "team", "Value": "ml"}]
    domain_id = create_domain("tagged")
    arns = [
        client.create_user_profile(DomainId=domain_id, UserProfileName="tagged", Tags=tags)["UserProfileArn"],
        client.create_feature_group(
            FeatureGroupName="tagged",
            RecordIdentifierFeatureName="id",
            EventTimeFeatureName="event_time",
            FeatureDefinitions=FEATURES,
            OnlineStoreConfig={"EnableOnlineStore": True},
            Tags=tags,
        )["FeatureGroupArn"],
        client.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName="tagged", OnStart=[{"Content": "ZWNobw=="}], Tags=tags
        )["NotebookInstanceLifecycleConfigArn"],
    ]
    client.create_model_package_group(ModelPackageGroupName="tagged")
    arns.append(
        client.create_model_package(
            ModelPackageGroupName="tagged",
            ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            Tags=tags,
        )["ModelPackageArn"]
    )
    for arn in arns:
        assert client.list_tags(ResourceArn=arn)["Tags"] == tags, arn
    # Domains created without tags still answer (moto stored None and crashed).
    assert client.list_tags(ResourceArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{domain_id}")["Tags"] == []
    missing = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/missing"
    assert error_code(lambda: client.list_tags(ResourceArn=missing)) == "ValidationException"


# --------------------------------------------------------------------------- other services


@scenario
def cost_explorer_anomaly_monitors() -> None:
    ce = SESSION.client("ce")
    arns = [
        ce.create_anomaly_monitor(
            AnomalyMonitor={
                "MonitorName": f"monitor-{index}",
                "MonitorType": "DIMENSIONAL",
                "MonitorDimension": "SERVICE",
            }
        )["MonitorArn"]
        for index in range(3)
    ]
    assert all(arn.startswith(f"arn:aws:ce::{ACCOUNT}:anomalymonitor/") for arn in arns)
    monitors = ce.get_anomaly_monitors()["AnomalyMonitors"]
    assert [m["MonitorName"] for m in monitors] == ["monitor-0", "monitor-1", "monitor-2"]
    first = monitors[0]
    assert first["MonitorType"] == "DIMENSIONAL" and first["MonitorDimension"] == "SERVICE"
    assert len(first["CreationDate"]) == 10 and first["MonitorArn"] == arns[0]
    only = ce.get_anomaly_monitors(MonitorArnList=[arns[1]])["AnomalyMonitors"]
    assert [m["MonitorArn"] for m in only] == [arns[1]]
    page = ce.get_anomaly_monitors(MaxResults=2)
    assert len(page["AnomalyMonitors"]) == 2
    rest = ce.get_anomaly_monitors(MaxResults=2, NextPageToken=page["NextPageToken"])
    assert [m["MonitorArn"] for m in rest["AnomalyMonitors"]] == [arns[2]] and "NextPageToken" not in rest
    unknown = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/00000000-0000-0000-0000-000000000000"
    assert error_code(lambda: ce.get_anomaly_monitors(MonitorArnList=[unknown])) == "UnknownMonitorException"


@scenario
def iam_aws_managed_policy_attachable() -> None:
    iam = SESSION.client("iam")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName="admin", PolicyArn=admin)
    assert iam.get_policy(PolicyArn=admin)["Policy"]["AttachmentCount"] == 1
    details = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    assert [p["PolicyName"] for p in details] == ["AdministratorAccess"]
    assert details[0]["PolicyId"]
    document = details[0]["PolicyVersionList"][0]["Document"]
    assert document["Statement"][0]["Action"] == "*"


@scenario
def iam_authorization_details_pages() -> None:
    iam = SESSION.client("iam")
    for index in range(3):
        iam.create_user(UserName=f"user-{index}")
        iam.create_role(RoleName=f"role-{index}", AssumeRolePolicyDocument="{}")
    first = iam.get_account_authorization_details(MaxItems=4)
    assert first["IsTruncated"] is True and first["Marker"]
    assert len(first["UserDetailList"]) == 3 and len(first["RoleDetailList"]) == 1
    rest = iam.get_account_authorization_details(MaxItems=4, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["RoleDetailList"]) == 2


@scenario
def kms_key_policy_name_is_optional() -> None:
    kms = SESSION.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    response = kms.get_key_policy(KeyId=key_id)
    assert json.loads(response["Policy"])["Statement"]
    assert response["PolicyName"] == "default"


@scenario
def s3_new_bucket_defaults() -> None:
    s3 = SESSION.client("s3")
    s3.create_bucket(Bucket="fresh-bucket-defaults")
    rules = s3.get_bucket_encryption(Bucket="fresh-bucket-defaults")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    block = s3.get_public_access_block(Bucket="fresh-bucket-defaults")["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    s3.delete_public_access_block(Bucket="fresh-bucket-defaults")
    assert error_code(lambda: s3.get_public_access_block(Bucket="fresh-bucket-defaults")) == (
        "NoSuchPublicAccessBlockConfiguration"
    )


@scenario
def s3_deleted_encryption_reverts_to_sse_s3() -> None:
    s3 = SESSION.client("s3")
    s3.create_bucket(Bucket="reverting-bucket")
    s3.put_bucket_encryption(
        Bucket="reverting-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.delete_bucket_encryption(Bucket="reverting-bucket")
    rules = s3.get_bucket_encryption(Bucket="reverting-bucket")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


# --------------------------------------------------------------------------- Bedrock

FOUNDATION = f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"
CROSS_REGION = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
BEDROCK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-role"


def bedrock() -> Any:
    return SESSION.client("bedrock")


def agents() -> Any:
    return SESSION.client("bedrock-agent")


def create_guardrail(name: str, **extra: Any) -> dict[str, Any]:
    return dict(
        bedrock().create_guardrail(
            name=name, blockedInputMessaging="Blocked.", blockedOutputsMessaging="Blocked.", **extra
        )
    )


def create_custom_model(name: str, **extra: Any) -> None:
    bedrock().create_model_customization_job(
        jobName=f"{name}-job",
        customModelName=name,
        roleArn=BEDROCK_ROLE,
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": "s3://bucket/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://bucket/out/"},
        hyperParameters={"epochCount": "1"},
        **extra,
    )


@scenario
def bedrock_guardrails() -> None:
    filters = [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]
    created = create_guardrail(
        "screen",
        contentPolicyConfig={"filtersConfig": filters, "tierConfig": {"tierName": "STANDARD"}},
        sensitiveInformationPolicyConfig={"piiEntitiesConfig": [{"type": "EMAIL", "action": "ANONYMIZE"}]},
        kmsKeyId=KEY,
        tags=[{"key": "team", "value": "ml"}],
    )
    assert created["version"] == "DRAFT" and created["guardrailArn"].endswith(f":guardrail/{created['guardrailId']}")
    # GetGuardrail answers the *Config members under the names the real API reads them back with.
    got = bedrock().get_guardrail(guardrailIdentifier=created["guardrailArn"])
    assert got["contentPolicy"] == {"filters": filters, "tier": {"tierName": "STANDARD"}}
    assert got["sensitiveInformationPolicy"] == {"piiEntities": [{"type": "EMAIL", "action": "ANONYMIZE"}]}
    assert (got["kmsKeyArn"], got["status"], got["version"]) == (KEY, "READY", "DRAFT")
    assert "wordPolicy" not in got and "topicPolicy" not in got
    listed = bedrock().list_guardrails()["guardrails"]
    assert [(g["id"], g["version"]) for g in listed] == [(created["guardrailId"], "DRAFT")]
    assert bedrock().list_tags_for_resource(resourceARN=created["guardrailArn"])["tags"] == [
        {"key": "team", "value": "ml"}
    ]
    assert error_code(lambda: bedrock().get_guardrail(guardrailIdentifier="missing123")) == "ResourceNotFoundException"


@scenario
def bedrock_enforced_guardrail() -> None:
    assert bedrock().list_enforced_guardrails_configuration()["guardrailsConfig"] == []
    created = create_guardrail("enforced")
    bedrock().put_enforced_guardrail_configuration(
        guardrailInferenceConfig={"guardrailIdentifier": created["guardrailId"], "guardrailVersion": "1"}
    )
    configs = bedrock().list_enforced_guardrails_configuration()["guardrailsConfig"]
    assert [(c["guardrailArn"], c["guardrailId"], c["guardrailVersion"], c["owner"]) for c in configs] == [
        (created["guardrailArn"], created["guardrailId"], "1", "ACCOUNT")
    ]


@scenario
def bedrock_application_inference_profiles() -> None:
    client = bedrock()
    single = client.create_inference_profile(inferenceProfileName="single", modelSource={"copyFrom": FOUNDATION})
    client.create_inference_profile(inferenceProfileName="cross", modelSource={"copyFrom": CROSS_REGION})
    profiles = {
        p["inferenceProfileName"]: p
        for p in client.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    }
    assert profiles["single"]["models"] == [{"modelArn": FOUNDATION}]
    assert profiles["single"]["inferenceProfileArn"] == single["inferenceProfileArn"]
    assert ":application-inference-profile/" in single["inferenceProfileArn"]
    # A cross-region profile routes to every region of its geography.
    regions = [m["modelArn"].split(":")[3] for m in profiles["cross"]["models"]]
    assert regions == ["us-east-1", "us-east-2", "us-west-2"]
    assert client.get_inference_profile(inferenceProfileIdentifier=single["inferenceProfileArn"])["type"] == (
        "APPLICATION"
    )


@scenario
def bedrock_custom_model_key_only_when_given() -> None:
    create_custom_model("plain")
    create_custom_model("keyed", customModelKmsKeyId=KEY)
    assert "modelKmsKeyArn" not in bedrock().get_custom_model(modelIdentifier="plain")
    assert bedrock().get_custom_model(modelIdentifier="keyed")["modelKmsKeyArn"] == KEY
    assert "outputModelKmsKeyArn" not in bedrock().get_model_customization_job(jobIdentifier="plain-job")
    assert bedrock().get_model_customization_job(jobIdentifier="keyed-job")["outputModelKmsKeyArn"] == KEY


@scenario
def bedrock_provisioned_throughput() -> None:
    create_custom_model("served")
    model_arn = bedrock().get_custom_model(modelIdentifier="served")["modelArn"]
    arn = bedrock().create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="pt", modelId="served", commitmentDuration="OneMonth"
    )["provisionedModelArn"]
    summary = bedrock().list_provisioned_model_throughputs()["provisionedModelSummaries"][0]
    assert (summary["provisionedModelArn"], summary["modelArn"], summary["status"]) == (arn, model_arn, "InService")
    assert summary["foundationModelArn"].endswith("foundation-model/amazon.titan-text-express-v1")
    assert summary["commitmentExpirationTime"] > summary["creationTime"]
    assert bedrock().get_provisioned_model_throughput(provisionedModelId="pt")["modelUnits"] == 1


@scenario
def bedrock_imported_models() -> None:
    for name, key in (("keyed", {"importedModelKmsKeyId": KEY}), ("plain", {})):
        bedrock().create_model_import_job(
            jobName=f"{name}-import",
            importedModelName=name,
            roleArn=BEDROCK_ROLE,
            modelDataSource={"s3DataSource": {"s3Uri": f"s3://bucket/{name}/"}},
            **key,
        )
    models = {m["modelName"]: m["modelArn"] for m in bedrock().list_imported_models()["modelSummaries"]}
    assert sorted(models) == ["keyed", "plain"]
    assert bedrock().get_imported_model(modelIdentifier=models["keyed"])["modelKmsKeyArn"] == KEY
    plain = bedrock().get_imported_model(modelIdentifier=models["plain"])
    assert "modelKmsKeyArn" not in plain and plain["modelDataSource"]["s3DataSource"]["s3Uri"] == "s3://bucket/plain/"


@scenario
def bedrock_agent_keeps_guardrail_and_session_ttl() -> None:
    guardrail = {"guardrailIdentifier": "abc123", "guardrailVersion": "1"}
    agent_id = agents().create_agent(
        agentName="guarded", agentResourceRoleArn=BEDROCK_ROLE, guardrailConfiguration=guardrail
    )["agent"]["agentId"]
    got = agents().get_agent(agentId=agent_id)["agent"]
    assert got["guardrailConfiguration"] == guardrail
    # GetAgent always reports the idle session timeout; the service's default is 600 seconds.
    assert got["idleSessionTTLInSeconds"] == 600


@scenario
def bedrock_agent_action_groups() -> None:
    agent_id = agents().create_agent(agentName="tools", agentResourceRoleArn=BEDROCK_ROLE)["agent"]["agentId"]
    tool = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tool"
    group_id = agents().create_agent_action_group(
        agentId=agent_id, agentVersion="DRAFT", actionGroupName="lookup", actionGroupExecutor={"lambda": tool}
    )["agentActionGroup"]["actionGroupId"]
    summaries = agents().list_agent_action_groups(agentId=agent_id, agentVersion="DRAFT")["actionGroupSummaries"]
    assert [(g["actionGroupId"], g["actionGroupState"]) for g in summaries] == [(group_id, "ENABLED")]
    assert "actionGroupExecutor" not in summaries[0]
    group = agents().get_agent_action_group(agentId=agent_id, agentVersion="DRAFT", actionGroupId=group_id)
    assert group["agentActionGroup"]["actionGroupExecutor"] == {"lambda": tool}


@scenario
def bedrock_knowledge_base_data_sources() -> None:
    kb_id = agents().create_knowledge_base(
        name="docs",
        roleArn=BEDROCK_ROLE,
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": FOUNDATION},
        },
        storageConfiguration={
            "type": "RDS",
            "rdsConfiguration": {
                "resourceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:vectors",
                "credentialsSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:vectors",
                "databaseName": "kb",
                "tableName": "chunks",
                "fieldMapping": {
                    "primaryKeyField": "id",
                    "vectorField": "v",
                    "textField": "t",
                    "metadataField": "m",
                },
            },
        },
    )["knowledgeBase"]["knowledgeBaseId"]
    source_id = agents().create_data_source(
        knowledgeBaseId=kb_id,
        name="bucket",
        dataSourceConfiguration={"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::docs"}},
        serverSideEncryptionConfiguration={"kmsKeyArn": KEY},
    )["dataSource"]["dataSourceId"]
    summaries = agents().list_data_sources(knowledgeBaseId=kb_id)["dataSourceSummaries"]
    assert [(s["dataSourceId"], s["status"]) for s in summaries] == [(source_id, "AVAILABLE")]
    source = agents().get_data_source(knowledgeBaseId=kb_id, dataSourceId=source_id)["dataSource"]
    assert source["serverSideEncryptionConfiguration"] == {"kmsKeyArn": KEY}
    assert source["dataSourceConfiguration"]["s3Configuration"]["bucketArn"] == "arn:aws:s3:::docs"


@scenario
def bedrock_identifiers_have_the_real_shape_and_follow_the_name() -> None:
    """Agents and knowledge bases get 10 upper-case alphanumerics, AgentCore gateways and memories
    "<name>-<10 characters>"; drawn from the name, so the same estate on two servers has the same ids."""
    agent = agents().create_agent(agentName="named", agentResourceRoleArn=BEDROCK_ROLE)["agent"]
    assert re.fullmatch(r"[0-9A-Z]{10}", agent["agentId"]) and agent["agentArn"].endswith(f":agent/{agent['agentId']}")
    control = SESSION.client("bedrock-agentcore-control")
    gateway = control.create_gateway(name="tools", roleArn=BEDROCK_ROLE, protocolType="MCP", authorizerType="AWS_IAM")
    assert re.fullmatch(r"tools-[0-9a-z]{10}", gateway["gatewayId"])
    assert gateway["gatewayArn"].endswith(f":gateway/{gateway['gatewayId']}")
    memory = control.create_memory(name="chat_memory", eventExpiryDuration=30)["memory"]
    assert re.fullmatch(r"chat_memory-[A-Za-z]{10}", memory["id"]) and memory["arn"].endswith(f":memory/{memory['id']}")
    assert control.get_memory(memoryId=memory["id"])["memory"]["name"] == "chat_memory"


@scenario
def iam_bedrock_api_keys() -> None:
    iam = SESSION.client("iam")
    iam.create_user(UserName="dev")
    forever = iam.create_service_specific_credential(UserName="dev", ServiceName="bedrock.amazonaws.com")
    monthly = iam.create_service_specific_credential(
        UserName="dev", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30
    )
    # The key itself is shown once, at creation, and never listed.
    assert forever["ServiceSpecificCredential"]["ServiceCredentialSecret"].startswith("ABSK")
    listed = iam.list_service_specific_credentials(UserName="dev", ServiceName="bedrock.amazonaws.com")
    keys = listed["ServiceSpecificCredentials"]
    assert [k["ServiceSpecificCredentialId"] for k in keys] == [
        forever["ServiceSpecificCredential"]["ServiceSpecificCredentialId"],
        monthly["ServiceSpecificCredential"]["ServiceSpecificCredentialId"],
    ]
    assert "ExpirationDate" not in keys[0] and keys[1]["ExpirationDate"] > keys[1]["CreateDate"]
    assert not any("ServiceCredentialSecret" in k for k in keys) and listed["IsTruncated"] is False
    other = iam.list_service_specific_credentials(UserName="dev", ServiceName="codecommit.amazonaws.com")
    assert other["ServiceSpecificCredentials"] == []
    assert error_code(
        lambda: iam.create_service_specific_credential(UserName="dev", ServiceName="bedrock.amazonaws.com")
    ) == ("LimitExceeded")


@scenario
def logs_described_by_identifiers() -> None:
    logs = SESSION.client("logs")
    for name in ("/aws/bedrock/invocations", "/aws/bedrock/invocations-archive", "/other"):
        logs.create_log_group(logGroupName=name)
    groups = logs.describe_log_groups(logGroupIdentifiers=["/aws/bedrock/invocations", "/other"])["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == ["/aws/bedrock/invocations", "/other"]
    assert groups[0]["logGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{groups[0]['logGroupName']}"


@scenario
def rds_cluster_keys() -> None:
    rds = SESSION.client("rds")
    for name, encrypted in (("plain", False), ("managed", True)):
        rds.create_db_cluster(
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            MasterUsername="admin",
            MasterUserPassword="not-a-real-password-1",
            StorageEncrypted=encrypted,
        )
    clusters = {c["DBClusterIdentifier"]: c for c in rds.describe_db_clusters()["DBClusters"]}
    assert "KmsKeyId" not in clusters["plain"]
    managed = clusters["managed"]["KmsKeyId"]
    assert SESSION.client("kms").describe_key(KeyId=managed)["KeyMetadata"]["KeyManager"] == "AWS"


@scenario
def macie_is_off_until_enabled() -> None:
    # A new account has Macie off: every call answers AccessDeniedException "Macie is not enabled.".
    macie = SESSION.client("macie2")
    try:
        answer: Any = macie.get_macie_session()
    except ClientError as off:
        answer = off.response["Error"]
    assert answer == {"Code": "AccessDeniedException", "Message": "Macie is not enabled."}
    assert error_code(lambda: macie.describe_buckets()) == "AccessDeniedException"
    macie.enable_macie()
    assert macie.get_macie_session()["status"] == "ENABLED"
    assert error_code(lambda: SESSION.client("macie2", region_name="eu-west-1").get_macie_session()) == (
        "AccessDeniedException"
    )


@scenario
def macie_bucket_inventory() -> None:
    s3, macie = SESSION.client("s3"), SESSION.client("macie2")
    for name in ("ai-data", "ai-logs", "reports"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket="ai-data", Tagging={"TagSet": [{"Key": "DataClassification", "Value": "internal"}]})
    SESSION.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    macie.enable_macie()
    daily = macie.create_classification_job(
        clientToken="t1",
        jobType="SCHEDULED",
        name="daily",
        scheduleFrequency={"dailySchedule": {}},
        s3JobDefinition={"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["ai-data"]}]},
    )
    assert re.fullmatch(r"[0-9a-f]{32}", daily["jobId"])
    assert daily["jobArn"] == f"arn:aws:macie2:{REGION}:{ACCOUNT}:classification-job/{daily['jobId']}"
    macie.create_classification_job(
        clientToken="t2",
        jobType="ONE_TIME",
        name="once",
        s3JobDefinition={"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": ["ai-logs"]}]},
    )
    # The region's buckets only, each with what analyses it.
    inventory = {b["bucketName"]: b for b in macie.describe_buckets(maxResults=50)["buckets"]}
    assert sorted(inventory) == ["ai-data", "ai-logs", "reports"]
    # Macie refreshes its inventory daily: asking again gives the same answer, lastUpdated included.
    assert macie.describe_buckets()["buckets"] == list(inventory.values())
    assert inventory["ai-data"]["jobDetails"]["isMonitoredByJob"] == "TRUE"
    assert inventory["ai-data"]["jobDetails"]["lastJobId"] == daily["jobId"]
    assert inventory["ai-data"]["tags"] == [{"key": "DataClassification", "value": "internal"}]
    assert inventory["ai-logs"]["jobDetails"]["isDefinedInJob"] == "TRUE"
    assert inventory["ai-logs"]["jobDetails"]["isMonitoredByJob"] == "FALSE"
    assert inventory["reports"]["jobDetails"] == {"isDefinedInJob": "FALSE", "isMonitoredByJob": "FALSE"}
    assert inventory["ai-data"]["bucketArn"] == "arn:aws:s3:::ai-data" and inventory["ai-data"]["region"] == REGION
    assert {b["automatedDiscoveryMonitoringStatus"] for b in inventory.values()} == {"NOT_MONITORED"}
    macie.update_automated_discovery_configuration(status="ENABLED")
    assert macie.get_automated_discovery_configuration()["status"] == "ENABLED"
    one = macie.describe_buckets(criteria={"bucketName": {"eq": ["reports"]}})["buckets"]
    assert [(b["bucketName"], b["automatedDiscoveryMonitoringStatus"]) for b in one] == [("reports", "MONITORED")]
    first = macie.describe_buckets(maxResults=2)
    assert len(first["buckets"]) == 2
    rest = macie.describe_buckets(maxResults=2, nextToken=first["nextToken"])
    assert [b["bucketName"] for b in rest["buckets"]] == ["reports"] and "nextToken" not in rest


@scenario
def cloudformation_names_and_tags_sagemaker_resources() -> None:
    # A template names its resources; CloudFormation tags each with the stack that made it.
    sm().create_model(ModelName="served", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    variant = {
        "VariantName": "primary",
        "ModelName": "served",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    template = {
        "Resources": {
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {
                    "EndpointConfigName": "stack-config",
                    "ProductionVariants": [variant],
                    "Tags": [{"Key": "team", "Value": "ml"}],
                },
            },
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "DependsOn": "Config",
                "Properties": {"EndpointName": "stack-endpoint", "EndpointConfigName": "stack-config"},
            },
        }
    }
    stack = SESSION.client("cloudformation").create_stack(StackName="serving", TemplateBody=json.dumps(template))
    config = sm().describe_endpoint_config(EndpointConfigName="stack-config")["EndpointConfigArn"]
    assert sm().list_tags(ResourceArn=config)["Tags"] == [
        {"Key": "team", "Value": "ml"},
        {"Key": "aws:cloudformation:stack-name", "Value": "serving"},
        {"Key": "aws:cloudformation:stack-id", "Value": stack["StackId"]},
        {"Key": "aws:cloudformation:logical-id", "Value": "Config"},
    ]
    endpoint = sm().describe_endpoint(EndpointName="stack-endpoint")["EndpointArn"]
    tags = {t["Key"]: t["Value"] for t in sm().list_tags(ResourceArn=endpoint)["Tags"]}
    assert tags == {
        "aws:cloudformation:stack-name": "serving",
        "aws:cloudformation:stack-id": stack["StackId"],
        "aws:cloudformation:logical-id": "Endpoint",
    }
    # A resource made by a call, not a stack, carries none of them.
    sm().create_endpoint_config(EndpointConfigName="by-hand", ProductionVariants=[variant])
    by_hand = sm().describe_endpoint_config(EndpointConfigName="by-hand")["EndpointConfigArn"]
    assert sm().list_tags(ResourceArn=by_hand)["Tags"] == []


@scenario
def cost_anomaly_subscriptions() -> None:
    ce = SESSION.client("ce")
    monitor = ce.create_anomaly_monitor(
        AnomalyMonitor={"MonitorName": "services", "MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"}
    )["MonitorArn"]
    email = {"Type": "EMAIL", "Address": "finops@example.com"}
    arn = ce.create_anomaly_subscription(
        AnomalySubscription={
            "SubscriptionName": "alerts",
            "MonitorArnList": [monitor],
            "Subscribers": [email],
            "Frequency": "DAILY",
        }
    )["SubscriptionArn"]
    assert re.fullmatch(rf"arn:aws:ce::{ACCOUNT}:anomalysubscription/[0-9a-f-]{{36}}", arn)
    [listed] = ce.get_anomaly_subscriptions()["AnomalySubscriptions"]
    assert (listed["SubscriptionArn"], listed["MonitorArnList"], listed["Subscribers"]) == (arn, [monitor], [email])
    assert ce.get_anomaly_subscriptions(MonitorArn=f"{monitor[:-4]}ffff")["AnomalySubscriptions"] == []
    unknown = {**listed, "MonitorArnList": [f"{monitor[:-4]}ffff"], "SubscriptionName": "x"}
    del unknown["SubscriptionArn"], unknown["AccountId"]
    assert error_code(lambda: ce.create_anomaly_subscription(AnomalySubscription=unknown)) == "UnknownMonitorException"
    immediate = {**unknown, "MonitorArnList": [monitor], "Frequency": "IMMEDIATE"}
    assert error_code(lambda: ce.create_anomaly_subscription(AnomalySubscription=immediate)) == "ValidationException"


# --------------------------------------------------------------------------- running the scenarios


@pytest.fixture(autouse=True)
def plain_iam(monkeypatch: pytest.MonkeyPatch) -> None:
    # The suite preloads every AWS managed policy (about 2 s per mock_aws context); these
    # tests need none of them, and the IAM scenario shows what happens without them.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


@pytest.fixture
def without_extensions() -> Iterator[None]:
    uninstall()
    try:
        yield
    finally:
        install()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_passes_with_extensions(name: str) -> None:
    install()
    with mock_aws():
        SCENARIOS[name]()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_fails_on_plain_moto(name: str, without_extensions: None) -> None:
    assert not installed()
    with mock_aws(), pytest.raises((AssertionError, ClientError, NotImplementedError, KeyError, TypeError)):
        SCENARIOS[name]()


def test_fields_moto_already_keeps_survive() -> None:
    install()
    with mock_aws():
        client = sm()
        create_training_job(
            "kept",
            VpcConfig=VPC,
            EnableNetworkIsolation=True,
            EnableInterContainerTrafficEncryption=True,
        )
        job = client.describe_training_job(TrainingJobName="kept")
        assert job["VpcConfig"] == VPC
        assert job["EnableNetworkIsolation"] is True
        assert job["EnableInterContainerTrafficEncryption"] is True
        assert job["OutputDataConfig"]["KmsKeyId"] == KEY
        assert job["ResourceConfig"]["VolumeKmsKeyId"] == KEY

        network = {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True, "VpcConfig": VPC}
        create_processing_job("kept", NetworkConfig=network)
        assert client.describe_processing_job(ProcessingJobName="kept")["NetworkConfig"] == network

        client.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
        client.create_transform_job(
            TransformJobName="kept",
            ModelName="m",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/in"}}},
            TransformOutput={"S3OutputPath": "s3://bucket/out", "KmsKeyId": KEY},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
            Environment={"A": "B"},
        )
        transform = client.describe_transform_job(TransformJobName="kept")
        assert transform["Environment"] == {"A": "B"} and transform["TransformOutput"]["KmsKeyId"] == KEY
        assert "FailureReason" not in transform

        client.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName="lc", OnStart=[{"Content": "ZWNobw=="}]
        )
        client.create_notebook_instance(
            NotebookInstanceName="kept",
            InstanceType="ml.t3.medium",
            RoleArn=ROLE,
            SubnetId=VPC["Subnets"][0],
            SecurityGroupIds=VPC["SecurityGroupIds"],
            KmsKeyId=KEY,
            LifecycleConfigName="lc",
            DirectInternetAccess="Disabled",
            RootAccess="Disabled",
        )
        notebook = client.describe_notebook_instance(NotebookInstanceName="kept")
        assert (notebook["DirectInternetAccess"], notebook["RootAccess"]) == ("Disabled", "Disabled")
        assert (notebook["KmsKeyId"], notebook["SubnetId"], notebook["SecurityGroups"]) == (
            KEY,
            VPC["Subnets"][0],
            VPC["SecurityGroupIds"],
        )
        assert notebook["NotebookInstanceLifecycleConfigName"] == "lc"

        domain_id = client.create_domain(
            DomainName="kept",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": VPC["SecurityGroupIds"]},
            SubnetIds=VPC["Subnets"],
            VpcId="vpc-0123456789abcdef0",
            AppNetworkAccessType="VpcOnly",
            KmsKeyId=KEY,
        )["DomainArn"].rsplit("/", 1)[1]
        domain = client.describe_domain(DomainId=domain_id)
        assert (domain["AppNetworkAccessType"], domain["KmsKeyId"], domain["VpcId"]) == (
            "VpcOnly",
            KEY,
            "vpc-0123456789abcdef0",
        )
        assert domain["SubnetIds"] == VPC["Subnets"]
        assert domain["DefaultUserSettings"]["SecurityGroups"] == VPC["SecurityGroupIds"]

        capture = {
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://bucket/capture",
            "KmsKeyId": KEY,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
        variants = [{"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"}]
        client.create_endpoint_config(
            EndpointConfigName="kept", ProductionVariants=variants, KmsKeyId=KEY, DataCaptureConfig=capture
        )
        config = client.describe_endpoint_config(EndpointConfigName="kept")
        assert (config["KmsKeyId"], config["DataCaptureConfig"], config["ProductionVariants"]) == (
            KEY,
            capture,
            variants,
        )
        client.create_endpoint(EndpointName="kept", EndpointConfigName="kept", Tags=[{"Key": "team", "Value": "ml"}])
        endpoint_arn = client.describe_endpoint(EndpointName="kept")["EndpointArn"]
        assert client.list_tags(ResourceArn=endpoint_arn)["Tags"] == [{"Key": "team", "Value": "ml"}]

        client.create_model_package_group(ModelPackageGroupName="kept")
        package = client.create_model_package(
            ModelPackageGroupName="kept",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        assert client.describe_model_package(ModelPackageName=package)["ModelApprovalStatus"] == "PendingManualApproval"


def test_install_is_idempotent() -> None:
    for _ in range(3):
        install()
    assert installed()
    uninstall()
    assert not installed()
    install()
    install()
    with mock_aws():
        # A second install must not wrap the wrapper: that would recurse or double-apply.
        model_enable_network_isolation()
