"""build_aws_estate creates what its manifest claims, with the fields the checks decide on."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from collectors.aws.specs import LIST_SPECS, ListSpec
from cspm_ai.doc import get
from cspm_ai.registry import all_checks
from moto_fixtures.estate import (
    HOSTILE_STRINGS,
    EstateManifest,
    build_aws_estate,
)

REGIONS = ("us-east-1", "eu-west-1")
PRIMARY, SECONDARY = REGIONS
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class Estate:
    """The manifest plus clients onto the mocked account that holds the estate."""

    def __init__(self, manifest: EstateManifest, session: boto3.Session) -> None:
        self.manifest = manifest
        self.session = session
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str = PRIMARY) -> Any:
        if (service, region) not in self._clients:
            self._clients[(service, region)] = self.session.client(service, region_name=region)
        return self._clients[(service, region)]


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    with pytest.MonkeyPatch.context() as patch:
        # Module scope runs before the suite's per-test environment fixture: isolate here too.
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", PRIMARY)
        # Exercise the extension that attaches AWS managed policies without preloading them all.
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
        with mock_aws():
            session = boto3.Session()
            yield Estate(build_aws_estate(session=session, regions=REGIONS), session)


def region_of(name: str) -> str:
    return SECONDARY if name.endswith(SECONDARY) else PRIMARY


# Checks of the one account: a single finding, so no bad example beside the good one.
ACCOUNT_WIDE = ("aws.cloudtrail.multi_region_trail", "aws.budgets.cost_alerts", "aws.cloudtrail.bedrock_data_events")
# Checks of a region's settings: named by the region.
REGION_WIDE = ("guardduty", "securityhub", "config")


# --------------------------------------------------------------------------- the manifest


def test_manifest_covers_every_check_with_pass_or_fail(estate: Estate) -> None:
    manifest = estate.manifest
    assert manifest.account_id == "123456789012"
    assert manifest.regions == REGIONS
    registered = {spec.id for spec in all_checks("aws")}
    assert set(manifest.check_ids) <= registered
    # A check that needs history is judged against an earlier scan, never in one: the demo's drift run shows it.
    needs_history = {spec.id for spec in all_checks("aws") if spec.needs_history}
    assert needs_history and not needs_history & set(manifest.check_ids)
    # Every other AWS check but four: the playbook check is MANUAL (a person attests it), the region check
    # needs allowed regions in the scan settings, and the organization's checks need an organization scan
    # (tests/collectors/aws/test_organization.py); all have cases of their own in tests/checks.
    assert registered - set(manifest.check_ids) - needs_history == {
        "aws.account.incident_response_playbooks",
        "aws.sagemaker.resource_in_allowed_region",
        "aws.organizations.scp_restricts_ai_regions",
        "aws.organizations.security_services_delegated",
    }
    assert set(manifest.expected.values()) == {"PASS", "FAIL"}
    assert manifest.hostile_strings == HOSTILE_STRINGS
    assert len(manifest.secrets) == len(set(manifest.secrets)) >= 7
    for check in manifest.check_ids:
        names = [name for c, name in manifest.expected if c == check]
        if check not in ACCOUNT_WIDE:
            # Everything else has a bad example beside the good one.
            assert {manifest.expected[(check, n)] for n in names} == {"PASS", "FAIL"}, check


def test_region_scoped_services_pass_only_in_the_first_region(estate: Estate) -> None:
    expected = estate.manifest.expected
    for check in (
        "aws.guardduty.enabled",
        "aws.securityhub.enabled",
        "aws.config.recorder_all_resources",
        "aws.config.rules_cover_ai_services",
    ):
        assert expected[(check, PRIMARY)] == "PASS"
        assert expected[(check, SECONDARY)] == "FAIL"
    assert estate.client("guardduty").list_detectors()["DetectorIds"]
    assert estate.client("guardduty", SECONDARY).list_detectors()["DetectorIds"] == []
    assert estate.client("securityhub").describe_hub()["HubArn"]
    with pytest.raises(ClientError):
        estate.client("securityhub", SECONDARY).describe_hub()
    recorder = estate.client("config").describe_configuration_recorders()["ConfigurationRecorders"][0]
    assert recorder["recordingGroup"]["allSupported"] is True
    assert estate.client("config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0][
        "recording"
    ]
    assert estate.client("config", SECONDARY).describe_configuration_recorders()["ConfigurationRecorders"] == []
    rules = {r["Source"]["SourceIdentifier"] for r in estate.client("config").describe_config_rules()["ConfigRules"]}
    assert {"SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS", "BEDROCK_DATA_SOURCE_ENCRYPTION_ENABLED"} <= rules
    assert estate.client("config", SECONDARY).describe_config_rules()["ConfigRules"] == []


def resource_exists(estate: Estate, check: str, name: str) -> bool:
    """Whether the resource an expectation names exists in the estate."""
    service = check.split(".")[1]
    manifest = estate.manifest
    if check in ACCOUNT_WIDE:
        return name == manifest.account_id
    if service in REGION_WIDE:
        return name in manifest.regions
    [spec] = [c for c in all_checks("aws") if c.id == check]
    if service == "sagemaker" or all(t.startswith("aws.sagemaker.") for t in spec.resource_types):
        # Some checks named after the identity judge the SageMaker resources that run as it.
        return _sagemaker_resource_exists(estate, check, name)
    if service in ("bedrock", "agentcore"):
        return _genai_resource_exists(estate, name)
    try:
        return _resource_exists(estate, check, name)
    except ClientError:
        return False


def _sagemaker_names(estate: Estate, spec: ListSpec, region: str) -> set[str]:
    """Names of every resource of a declared SageMaker kind, listed the way the collector lists them."""
    sm = estate.client("sagemaker", region)
    pages = sm.get_paginator(spec.list_op).paginate(**spec.list_params)
    field = spec.name.strip("{}")
    items = [item for page in pages for item in page[spec.list_key]]
    if spec.list_record:  # a Search record holds the resource one level down
        items = [get(item, spec.list_record) for item in items]
    return {item.get(field) for item in items}


def _sagemaker_resource_exists(estate: Estate, check: str, name: str) -> bool:
    """The kinds a check judges come from its id (`<kind>_...`), or every kind for checks of all of them."""
    region = region_of(name)
    kinds = [spec for spec in LIST_SPECS if spec.service == "sagemaker"]
    named = [spec for spec in kinds if check.split(".")[2].startswith(spec.type.rsplit(".", 1)[1])]
    if named:
        kinds = [max(named, key=lambda spec: len(spec.type))]
    if any(name in _sagemaker_names(estate, spec, region) for spec in kinds):
        return True
    configs = estate.client("sagemaker", region).list_notebook_instance_lifecycle_configs()[
        "NotebookInstanceLifecycleConfigs"
    ]
    return not named and name in {c["NotebookInstanceLifecycleConfigName"] for c in configs}


def _genai_resource_exists(estate: Estate, name: str) -> bool:
    """A Bedrock or AgentCore resource listed the way the collector lists its kind, an agent's Lambda tool, or a
    region (whose Bedrock settings are judged)."""
    if name in estate.manifest.regions:
        return True
    for spec in LIST_SPECS:
        if spec.service.startswith("bedrock") and spec.type != "aws.bedrock.settings":
            client = estate.client(spec.service, PRIMARY)
            pages = client.get_paginator(spec.list_op).paginate(**spec.list_params)
            items = [item for page in pages for item in page[spec.list_key]]
            field = spec.name.strip("{}")
            if spec.describe_op and all(field not in item for item in items):
                # The list items do not carry the name (AgentCore memories): read each one.
                params = {k: v.strip("{}") for k, v in spec.describe_params.items()}
                items = [getattr(client, spec.describe_op)(**{k: i[v] for k, v in params.items()}) for i in items]
                items = [i.get(spec.describe_key, i) if spec.describe_key else i for i in items]
            if name in {item.get(field) for item in items}:
                return True
    functions = estate.client("lambda").list_functions()["Functions"]
    return name in {f["FunctionName"] for f in functions}


def _resource_exists(estate: Estate, check: str, name: str) -> bool:
    """IAM, KMS, S3 and EC2 resources; raises ClientError for some that do not exist."""
    service = check.split(".")[1]
    if service == "iam":
        return _principal_exists(estate, check, name)
    elif service == "kms":
        return any(_key_exists(estate, region, name) for region in estate.manifest.regions)
    elif service in ("s3", "macie"):
        estate.client("s3").head_bucket(Bucket=name)
    elif service == "ce":
        return name in {m["MonitorName"] for m in estate.client("ce").get_anomaly_monitors()["AnomalyMonitors"]}
    elif check.startswith("aws.ec2.vpc_"):
        return any(
            estate.client("ec2", r).describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [name]}])["Vpcs"]
            for r in REGIONS
        )
    else:
        # A finding names a security group by its group name (its sg- id beside it), so the manifest does too.
        return any(
            estate.client("ec2", r).describe_security_groups(Filters=[{"Name": by, "Values": [name]}])["SecurityGroups"]
            for r in REGIONS
            for by in ("group-name", "group-id")
        )
    return True


def _principal_exists(estate: Estate, check: str, name: str) -> bool:
    """A user or role of one of the types the check judges."""
    iam = estate.client("iam")
    [spec] = [c for c in all_checks("aws") if c.id == check]
    users = {u["UserName"] for u in iam.list_users()["Users"]} if "aws.iam.user" in spec.resource_types else set()
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]} if "aws.iam.role" in spec.resource_types else set()
    return name in users | roles


def _key_exists(estate: Estate, region: str, key_id: str) -> bool:
    try:
        estate.client("kms", region).describe_key(KeyId=key_id)
    except ClientError:
        return False
    return True


def test_every_expectation_names_a_resource_that_exists(estate: Estate) -> None:
    missing = [key for key in estate.manifest.expected if not resource_exists(estate, *key)]
    assert missing == []


def test_names_are_valid_sagemaker_names(estate: Estate) -> None:
    names = {name for check, name in estate.manifest.expected if check.startswith("aws.sagemaker.")}
    assert names and all(NAME_PATTERN.match(name) for name in names)
    for name in names:
        assert not any(s in name for s in HOSTILE_STRINGS)


# --------------------------------------------------------------------------- SageMaker fields


def test_notebooks(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    good = sm.describe_notebook_instance(NotebookInstanceName="good-notebook")
    assert good["DirectInternetAccess"] == "Disabled" and good["RootAccess"] == "Disabled"
    assert good["SubnetId"].startswith("subnet-") and good["KmsKeyId"] == estate.manifest.ids["good_key_arn"]
    assert good["NotebookInstanceLifecycleConfigName"] == "good-notebook-lifecycle"
    bad = sm.describe_notebook_instance(NotebookInstanceName="bad-notebook")
    assert bad["DirectInternetAccess"] == "Enabled" and bad["RootAccess"] == "Enabled"
    assert "SubnetId" not in bad and "KmsKeyId" not in bad
    secondary = estate.client("sagemaker", SECONDARY)
    regional = secondary.describe_notebook_instance(NotebookInstanceName=f"good-notebook-{SECONDARY}")
    assert f":{SECONDARY}:" in regional["KmsKeyId"]


def test_lifecycle_scripts_carry_secrets_only_in_the_bad_one(estate: Estate) -> None:
    sm = estate.client("sagemaker")

    def script(name: str) -> str:
        config = sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
        return base64.b64decode(config["OnStart"][0]["Content"]).decode()

    bad, good = script("bad-notebook-lifecycle"), script("good-notebook-lifecycle")
    secret_line = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", bad)
    assert secret_line and len(secret_line.group(1)) == 40 and secret_line.group(1) in estate.manifest.secrets
    assert re.search(r"hf_[A-Za-z]{34}", bad)
    assert not any(secret in good for secret in estate.manifest.secrets)


def test_domains_and_user_profiles(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    ids = estate.manifest.ids
    good = sm.describe_domain(DomainId=ids["good_domain_id"])
    assert good["AppNetworkAccessType"] == "VpcOnly" and good["KmsKeyId"] == ids["good_key_arn"]
    assert good["VpcId"] == ids["good_vpc"] and len(good["SubnetIds"]) == 2
    bad = sm.describe_domain(DomainId=ids["bad_domain_id"])
    assert bad["AppNetworkAccessType"] == "PublicInternetOnly" and "KmsKeyId" not in bad
    profiles = sm.list_user_profiles(DomainIdEquals=ids["good_domain_id"])["UserProfiles"]
    assert [p["UserProfileName"] for p in profiles] == ["good-user-profile"]


def test_models(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    ids = estate.manifest.ids
    good = sm.describe_model(ModelName="good-model")
    assert good["EnableNetworkIsolation"] is True and good["VpcConfig"]["Subnets"]
    assert good["PrimaryContainer"]["ModelPackageName"] == ids["approved_package"]
    assert sm.describe_model_package(ModelPackageName=ids["approved_package"])["ModelApprovalStatus"] == "Approved"
    pending = sm.describe_model_package(ModelPackageName=ids["pending_package"])
    assert pending["ModelApprovalStatus"] == "PendingManualApproval"
    assert (
        sm.describe_model(ModelName="bad-pending-package-model")["PrimaryContainer"]["ModelPackageName"]
        == ids["pending_package"]
    )
    bad = sm.describe_model(ModelName="bad-model")
    assert bad["EnableNetworkIsolation"] is False and "VpcConfig" not in bad
    environment = bad["PrimaryContainer"]["Environment"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", environment["AWS_ACCESS_KEY_ID"])
    assert {environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"]} <= set(estate.manifest.secrets)


def test_endpoints_configs_and_monitoring(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    good = sm.describe_endpoint_config(EndpointConfigName="good-endpoint-config")
    assert good["KmsKeyId"] and good["ProductionVariants"][0]["InitialInstanceCount"] == 2
    assert good["DataCaptureConfig"]["KmsKeyId"] == estate.manifest.ids["good_key_arn"]
    bad = sm.describe_endpoint_config(EndpointConfigName="bad-endpoint-config")
    assert "KmsKeyId" not in bad and "DataCaptureConfig" not in bad
    assert bad["ProductionVariants"][0]["InitialInstanceCount"] == 1
    assert sm.describe_endpoint(EndpointName="good-endpoint")["DataCaptureConfig"]["EnableCapture"] is True
    assert "DataCaptureConfig" not in sm.describe_endpoint(EndpointName="bad-endpoint")
    watched = sm.list_monitoring_schedules(EndpointName="good-endpoint")["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in watched] == ["good-endpoint-monitor"]
    assert sm.list_monitoring_schedules(EndpointName="bad-endpoint")["MonitoringScheduleSummaries"] == []
    described = sm.describe_monitoring_schedule(MonitoringScheduleName="good-endpoint-monitor")
    assert described["EndpointName"] == "good-endpoint" and described["MonitoringScheduleStatus"] == "Scheduled"


def test_training_processing_and_transform_jobs(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    good = sm.describe_training_job(TrainingJobName="good-training-job")
    assert good["VpcConfig"] and good["EnableNetworkIsolation"] and good["EnableInterContainerTrafficEncryption"]
    assert good["ResourceConfig"]["InstanceCount"] == 2 and good["ResourceConfig"]["VolumeKmsKeyId"]
    assert good["OutputDataConfig"]["KmsKeyId"]
    bad = sm.describe_training_job(TrainingJobName="bad-training-job")
    assert (
        "VpcConfig" not in bad
        and not bad["EnableNetworkIsolation"]
        and not bad["EnableInterContainerTrafficEncryption"]
    )
    assert "KmsKeyId" not in bad["OutputDataConfig"] and "VolumeKmsKeyId" not in bad["ResourceConfig"]
    assert bad["Environment"]["DB_PASSWORD"] in estate.manifest.secrets

    good_processing = sm.describe_processing_job(ProcessingJobName="good-processing-job")
    assert good_processing["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert good_processing["NetworkConfig"]["VpcConfig"]["Subnets"]
    assert good_processing["ProcessingOutputConfig"]["KmsKeyId"]
    assert good_processing["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"]
    bad_processing = sm.describe_processing_job(ProcessingJobName="bad-processing-job")
    assert "NetworkConfig" not in bad_processing and "KmsKeyId" not in bad_processing["ProcessingOutputConfig"]
    assert bad_processing["Environment"]["HF_TOKEN"] in estate.manifest.secrets

    good_transform = sm.describe_transform_job(TransformJobName="good-transform-job")
    assert good_transform["TransformOutput"]["KmsKeyId"] and good_transform["TransformResources"]["VolumeKmsKeyId"]
    bad_transform = sm.describe_transform_job(TransformJobName="bad-transform-job")
    assert "KmsKeyId" not in bad_transform["TransformOutput"]


def test_the_good_endpoint_comes_from_a_cloudformation_stack_and_the_rest_from_terraform(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    stack_id = estate.manifest.ids["serving_stack_id"]
    for arn in (
        sm.describe_endpoint(EndpointName="good-endpoint")["EndpointArn"],
        sm.describe_endpoint_config(EndpointConfigName="good-endpoint-config")["EndpointConfigArn"],
    ):
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
        assert tags["aws:cloudformation:stack-id"] == stack_id and "ManagedBy" not in tags
    resources = estate.client("cloudformation").describe_stack_resources(StackName=stack_id)["StackResources"]
    assert sorted(r["PhysicalResourceId"].rsplit("/", 1)[-1] for r in resources) == [
        "good-endpoint",
        "good-endpoint-config",
    ]
    model = sm.describe_model(ModelName="good-model")["ModelArn"]
    assert {"Key": "ManagedBy", "Value": "terraform"} in sm.list_tags(ResourceArn=model)["Tags"]
    bad = sm.describe_model(ModelName="bad-model")["ModelArn"]
    assert sm.list_tags(ResourceArn=bad)["Tags"] == []


def test_feature_groups_and_tags(estate: Estate) -> None:
    sm = estate.client("sagemaker")
    good = sm.describe_feature_group(FeatureGroupName="good-feature-group")
    assert good["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"]
    assert good["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"]
    bad = sm.describe_feature_group(FeatureGroupName="bad-feature-group")
    assert "SecurityConfig" not in bad["OnlineStoreConfig"]
    aws_key = bad["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"]
    assert aws_key == estate.manifest.ids["aws_managed_key_arn"]
    assert estate.client("kms").describe_key(KeyId=aws_key)["KeyMetadata"]["KeyManager"] == "AWS"
    tags = sm.list_tags(ResourceArn=good["FeatureGroupArn"])["Tags"]
    assert {"Key": "DataClassification", "Value": "confidential"} in tags
    names = [g["FeatureGroupName"] for g in sm.list_feature_groups()["FeatureGroupSummaries"]]
    assert sorted(names) == ["bad-feature-group", "good-feature-group"]


# --------------------------------------------------------------------------- Bedrock and AgentCore fields


def test_bedrock_region_settings(estate: Estate) -> None:
    good = estate.client("bedrock").get_model_invocation_logging_configuration()["loggingConfig"]
    assert good["s3Config"]["bucketName"] == estate.manifest.ids["good_bucket"] and good["textDataDeliveryEnabled"]
    group = estate.client("logs").describe_log_groups(logGroupIdentifiers=[good["cloudWatchConfig"]["logGroupName"]])
    assert group["logGroups"][0]["kmsKeyId"] == estate.manifest.ids["good_key_arn"]
    [enforced] = estate.client("bedrock").list_enforced_guardrails_configuration()["guardrailsConfig"]
    guardrails = {g["name"]: g["id"] for g in estate.client("bedrock").list_guardrails()["guardrails"]}
    assert enforced["guardrailId"] == guardrails["good-guardrail"]
    # The second region only calls models: metadata-only logging, no guardrail, nothing enforced.
    bad = estate.client("bedrock", SECONDARY).get_model_invocation_logging_configuration()["loggingConfig"]
    assert "s3Config" not in bad and "textDataDeliveryEnabled" not in bad
    destination = bad["cloudWatchConfig"]["logGroupName"]
    [group] = estate.client("logs", SECONDARY).describe_log_groups(logGroupIdentifiers=[destination])["logGroups"]
    assert "kmsKeyId" not in group
    assert estate.client("bedrock", SECONDARY).list_guardrails()["guardrails"] == []
    metrics = estate.client("cloudwatch", SECONDARY).list_metrics(Namespace="AWS/Bedrock", MetricName="Invocations")
    assert metrics["Metrics"]


def test_bedrock_guardrails_models_and_profiles(estate: Estate) -> None:
    bedrock = estate.client("bedrock")
    guardrails = {g["name"]: g["id"] for g in bedrock.list_guardrails()["guardrails"]}
    good = bedrock.get_guardrail(guardrailIdentifier=guardrails["good-guardrail"])
    assert {f["type"]: f["inputStrength"] for f in good["contentPolicy"]["filters"]}["PROMPT_ATTACK"] == "HIGH"
    assert good["sensitiveInformationPolicy"]["piiEntities"]
    bad = bedrock.get_guardrail(guardrailIdentifier=guardrails["bad-guardrail"])
    assert "sensitiveInformationPolicy" not in bad
    assert bedrock.get_custom_model(modelIdentifier="good-custom-model")["modelKmsKeyArn"]
    assert "modelKmsKeyArn" not in bedrock.get_custom_model(modelIdentifier="bad-custom-model")
    assert bedrock.get_model_customization_job(jobIdentifier="good-customization-job")["vpcConfig"]["subnetIds"]
    assert "vpcConfig" not in bedrock.get_model_customization_job(jobIdentifier="bad-customization-job")
    throughputs = {
        t["provisionedModelName"]: t["modelArn"]
        for t in bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"]
    }
    assert throughputs["bad-provisioned-throughput"].endswith("custom-model/bad-custom-model")
    profiles = {
        p["inferenceProfileName"]: p["models"]
        for p in bedrock.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    }
    assert len(profiles["good-inference-profile"]) == 1 and len(profiles["bad-inference-profile"]) == 3


def test_bedrock_agents_and_knowledge_bases(estate: Estate) -> None:
    agents = estate.client("bedrock-agent")
    by_name = {a["agentName"]: a["agentId"] for a in agents.list_agents()["agentSummaries"]}
    good = agents.get_agent(agentId=by_name["good-agent"])["agent"]
    assert good["guardrailConfiguration"]["guardrailIdentifier"] and good["customerEncryptionKeyArn"]
    bad = agents.get_agent(agentId=by_name["bad-agent"])["agent"]
    assert "guardrailConfiguration" not in bad and bad["idleSessionTTLInSeconds"] == 3600
    [group] = agents.list_agent_action_groups(agentId=by_name["bad-agent"], agentVersion="DRAFT")[
        "actionGroupSummaries"
    ]
    executor = agents.get_agent_action_group(
        agentId=by_name["bad-agent"], agentVersion="DRAFT", actionGroupId=group["actionGroupId"]
    )["agentActionGroup"]["actionGroupExecutor"]["lambda"]
    tool = estate.client("lambda").get_function_configuration(FunctionName=executor)
    assert tool["Environment"]["Variables"]["CRM_API_TOKEN"] in estate.manifest.secrets
    kbs = {k["name"]: k["knowledgeBaseId"] for k in agents.list_knowledge_bases()["knowledgeBaseSummaries"]}
    [source] = agents.list_data_sources(knowledgeBaseId=kbs["bad-knowledge-base"])["dataSourceSummaries"]
    detail = agents.get_data_source(knowledgeBaseId=kbs["bad-knowledge-base"], dataSourceId=source["dataSourceId"])
    assert "serverSideEncryptionConfiguration" not in detail["dataSource"]
    clusters = {
        c["DBClusterIdentifier"]: c["StorageEncrypted"]
        for c in estate.client("rds").describe_db_clusters()["DBClusters"]
    }
    assert clusters == {"good-kb-vectors": True, "bad-kb-vectors": False}


def test_agentcore(estate: Estate) -> None:
    control = estate.client("bedrock-agentcore-control")
    runtimes = {r["agentRuntimeName"]: r["agentRuntimeId"] for r in control.list_agent_runtimes()["agentRuntimes"]}
    good = control.get_agent_runtime(agentRuntimeId=runtimes["good_agent_runtime"])
    assert good["networkConfiguration"]["networkMode"] == "VPC"
    bad = control.get_agent_runtime(agentRuntimeId=runtimes["bad_agent_runtime"])
    assert bad["networkConfiguration"] == {"networkMode": "PUBLIC"}
    assert bad["environmentVariables"]["OPENAI_API_KEY"] in estate.manifest.secrets
    gateways = {g["name"]: g["authorizerType"] for g in control.list_gateways()["items"]}
    assert gateways == {"good-tool-gateway": "CUSTOM_JWT", "bad-tool-gateway": "NONE"}
    memories = [control.get_memory(memoryId=m["id"])["memory"] for m in control.list_memories()["memories"]]
    assert {m["name"]: "encryptionKeyArn" in m for m in memories} == {
        "good_agent_memory": True,
        "bad_agent_memory": False,
    }


def test_a_bedrock_api_key_never_expires(estate: Estate) -> None:
    keys = estate.client("iam").list_service_specific_credentials(
        UserName="bad-ai-user", ServiceName="bedrock.amazonaws.com"
    )["ServiceSpecificCredentials"]
    assert [(k["Status"], "ExpirationDate" in k) for k in keys] == [("Active", False)]


# --------------------------------------------------------------------------- supporting resources


def test_iam_roles_and_users(estate: Estate) -> None:
    iam = estate.client("iam")
    bad = iam.get_role(RoleName="bad-shared-admin-role")["Role"]
    principals = [s["Principal"] for s in bad["AssumeRolePolicyDocument"]["Statement"]]
    assert {"AWS": "arn:aws:iam::111122223333:root"} in principals
    attached = iam.list_attached_role_policies(RoleName="bad-shared-admin-role")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    sm = estate.client("sagemaker")
    assert sm.describe_training_job(TrainingJobName="bad-training-job")["RoleArn"] == bad["Arn"]
    assert sm.describe_model(ModelName="bad-model")["ExecutionRoleArn"] == bad["Arn"]
    training = iam.get_role_policy(RoleName="good-training-role", PolicyName="training-data-access")
    actions = [a for s in training["PolicyDocument"]["Statement"] for a in s["Action"]]
    assert not any(a.startswith("sagemaker:") or a == "*" for a in actions)
    good_trust = iam.get_role(RoleName="good-training-role")["Role"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in good_trust["Statement"]] == [{"Service": "sagemaker.amazonaws.com"}]
    keys = iam.list_access_keys(UserName="bad-ai-user")["AccessKeyMetadata"]
    assert [k["Status"] for k in keys] == ["Active"]
    assert iam.list_access_keys(UserName="good-ai-user")["AccessKeyMetadata"] == []
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert {"good-training-role", "good-inference-role", "good-studio-role", "bad-shared-admin-role"} <= {
        r["RoleName"] for r in details
    }


def test_roles_people_assume_and_step_up(estate: Estate) -> None:
    iam = estate.client("iam")
    durations = {r["RoleName"]: r["MaxSessionDuration"] for r in iam.list_roles()["Roles"]}
    assert durations["bad-shared-admin-role"] == 43200 and durations["good-training-role"] == 3600
    document = iam.get_user_policy(UserName="good-ai-user", PolicyName="sagemaker-read")["PolicyDocument"]
    [deploy] = [s for s in document["Statement"] if "sagemaker:CreateEndpoint" in s["Action"]]
    assert deploy["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    bad = iam.get_user_policy(UserName="bad-ai-user", PolicyName="sagemaker-full")["PolicyDocument"]
    assert [s.get("Condition") for s in bad["Statement"]] == [None]


def test_kms_keys(estate: Estate) -> None:
    kms = estate.client("kms")
    rotation = {
        name: kms.get_key_rotation_status(KeyId=name)["KeyRotationEnabled"]
        for (check, name), _ in estate.manifest.expected.items()
        if check == "aws.kms.key_rotation_enabled" and _key_exists(estate, PRIMARY, name)
    }
    expected = {
        name: status == "PASS"
        for (check, name), status in estate.manifest.expected.items()
        if check == "aws.kms.key_rotation_enabled" and name in rotation
    }
    assert rotation == expected and sorted(rotation.values()) == [False, True]
    for key_id in rotation:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert metadata["KeyManager"] == "CUSTOMER"
        assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"])["Statement"]


def test_buckets(estate: Estate) -> None:
    s3 = estate.client("s3")
    ids = estate.manifest.ids
    good, bad = ids["good_bucket"], ids["bad_bucket"]
    rule = s3.get_bucket_encryption(Bucket=good)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    policy = json.loads(s3.get_bucket_policy(Bucket=good)["Policy"])
    assert any(s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false" for s in policy["Statement"])
    assert s3.get_bucket_versioning(Bucket=good)["Status"] == "Enabled"
    assert s3.get_bucket_replication(Bucket=good)["ReplicationConfiguration"]["Rules"]
    assert all(s3.get_public_access_block(Bucket=good)["PublicAccessBlockConfiguration"].values())
    assert {"Key": "DataClassification", "Value": "confidential"} in s3.get_bucket_tagging(Bucket=good)["TagSet"]
    assert s3.get_bucket_location(Bucket=ids["replica_bucket"])["LocationConstraint"] == SECONDARY

    # The bad bucket keeps only what S3 cannot take away: SSE-S3.
    bad_rule = s3.get_bucket_encryption(Bucket=bad)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert bad_rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "Status" not in s3.get_bucket_versioning(Bucket=bad)
    for call, code in (
        (lambda: s3.get_bucket_policy(Bucket=bad), "NoSuchBucketPolicy"),
        (lambda: s3.get_bucket_replication(Bucket=bad), "ReplicationConfigurationNotFoundError"),
        (lambda: s3.get_public_access_block(Bucket=bad), "NoSuchPublicAccessBlockConfiguration"),
        (lambda: s3.get_bucket_tagging(Bucket=bad), "NoSuchTagSet"),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == code


def test_macie_classifies_only_the_good_bucket_and_only_in_the_first_region(estate: Estate) -> None:
    ids = estate.manifest.ids
    macie = estate.client("macie2")
    assert macie.get_macie_session()["status"] == "ENABLED"
    assert macie.get_automated_discovery_configuration()["status"] == "DISABLED"
    inventory = {b["bucketName"]: b for b in macie.describe_buckets()["buckets"]}
    assert inventory[ids["good_bucket"]]["jobDetails"]["isMonitoredByJob"] == "TRUE"
    assert inventory[ids["bad_bucket"]]["jobDetails"] == {"isDefinedInJob": "FALSE", "isMonitoredByJob": "FALSE"}
    assert {b["automatedDiscoveryMonitoringStatus"] for b in inventory.values()} == {"NOT_MONITORED"}
    with pytest.raises(ClientError) as off:
        estate.client("macie2", SECONDARY).get_macie_session()
    assert (off.value.response["Error"]["Code"], off.value.response["Error"]["Message"]) == (
        "AccessDeniedException",
        "Macie is not enabled.",
    )


def test_network(estate: Estate) -> None:
    ec2 = estate.client("ec2")
    ids = estate.manifest.ids
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    by_vpc = {(e["VpcId"], e["ServiceName"]) for e in endpoints}
    assert by_vpc == {
        (ids["good_vpc"], f"com.amazonaws.{PRIMARY}.{service}")
        for service in ("sagemaker.api", "sagemaker.runtime", "bedrock", "bedrock-runtime", "bedrock-agent-runtime")
    }
    groups = ec2.describe_security_groups(GroupIds=[ids["bad-open-sg"], ids["good-training-sg"]])["SecurityGroups"]
    ranges = {
        g["GroupId"]: {
            r.get("CidrIp") or r.get("CidrIpv6") for p in g["IpPermissions"] for r in p["IpRanges"] + p["Ipv6Ranges"]
        }
        for g in groups
    }
    assert {"0.0.0.0/0", "::/0"} <= ranges[ids["bad-open-sg"]]
    assert ranges[ids["good-training-sg"]] == {"10.0.0.0/8"}
    sm = estate.client("sagemaker")
    shared = {
        sm.describe_training_job(TrainingJobName="bad-shared-sg-training-job")["VpcConfig"]["SecurityGroupIds"][0],
        sm.describe_model(ModelName="bad-shared-sg-model")["VpcConfig"]["SecurityGroupIds"][0],
    }
    assert shared == {ids["bad-open-sg"]}
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["good_vpc"]]}])["Subnets"]


def test_account_services(estate: Estate) -> None:
    trail = estate.client("cloudtrail").describe_trails()["trailList"][0]
    assert trail["IsMultiRegionTrail"] is True and trail["HomeRegion"] == PRIMARY
    assert estate.client("cloudtrail").get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True
    selectors = estate.client("cloudtrail").get_event_selectors(TrailName=trail["Name"])["EventSelectors"]
    assert selectors[0]["IncludeManagementEvents"] is True
    # A multi-region trail shows up in every region.
    assert estate.client("cloudtrail", SECONDARY).describe_trails()["trailList"][0]["Name"] == trail["Name"]
    account = estate.manifest.account_id
    budgets = estate.client("budgets").describe_budgets(AccountId=account)["Budgets"]
    assert [b["BudgetName"] for b in budgets] == ["ai-gpu-monthly"]
    notifications = estate.client("budgets").describe_notifications_for_budget(
        AccountId=account, BudgetName="ai-gpu-monthly"
    )
    assert notifications["Notifications"][0]["Threshold"] == 80
    monitors = estate.client("ce").get_anomaly_monitors()["AnomalyMonitors"]
    ids = estate.manifest.ids
    assert [m["MonitorArn"] for m in monitors] == [ids["anomaly_monitor_arn"], ids["silent_monitor_arn"]]
    [subscription] = estate.client("ce").get_anomaly_subscriptions()["AnomalySubscriptions"]
    assert subscription["MonitorArnList"] == [ids["anomaly_monitor_arn"]] and subscription["Subscribers"]


def test_hostile_strings_sit_where_aws_allows_them(estate: Estate) -> None:
    script, image = HOSTILE_STRINGS
    vpc_tags = estate.client("ec2").describe_vpcs(VpcIds=[estate.manifest.ids["good_vpc"]])["Vpcs"][0]["Tags"]
    assert {t["Value"] for t in vpc_tags} >= {script, image}
    key = estate.client("kms").describe_key(KeyId=estate.manifest.ids["good_key_arn"])["KeyMetadata"]
    assert any(s in key["Description"] for s in HOSTILE_STRINGS)
    role = estate.client("iam").get_role(RoleName="good-training-role")["Role"]
    assert any(s in role["Description"] for s in HOSTILE_STRINGS)
    group = estate.client("sagemaker").describe_model_package_group(ModelPackageGroupName="ai-model-registry")
    assert any(s in group["ModelPackageGroupDescription"] for s in HOSTILE_STRINGS)
    monitor = estate.client("ce").get_anomaly_monitors()["AnomalyMonitors"][0]
    assert any(s in monitor["MonitorName"] for s in HOSTILE_STRINGS)


def test_scanner_calls_answer(estate: Estate) -> None:
    """Every read call the scanner makes answers against the estate (regional ones in both regions)."""
    account = estate.manifest.account_id
    ids = estate.manifest.ids
    good_key = ids["good_key_arn"]
    trail_arn = f"arn:aws:cloudtrail:{PRIMARY}:{account}:trail/good-multi-region-trail"
    global_calls: list[tuple[str, str, dict[str, Any]]] = [
        ("sts", "get_caller_identity", {}),
        ("iam", "get_account_authorization_details", {}),
        ("iam", "list_roles", {}),
        ("iam", "list_access_keys", {"UserName": "bad-ai-user"}),
        ("iam", "get_access_key_last_used", {"AccessKeyId": ids["bad_user_access_key_id"]}),
        ("kms", "describe_key", {"KeyId": good_key}),
        ("kms", "get_key_rotation_status", {"KeyId": good_key}),
        ("kms", "get_key_policy", {"KeyId": good_key}),
        ("s3", "get_bucket_location", {"Bucket": ids["good_bucket"]}),
        ("s3", "get_bucket_encryption", {"Bucket": ids["good_bucket"]}),
        ("s3", "get_bucket_policy", {"Bucket": ids["good_bucket"]}),
        ("s3", "get_bucket_versioning", {"Bucket": ids["good_bucket"]}),
        ("s3", "get_bucket_replication", {"Bucket": ids["good_bucket"]}),
        ("s3", "get_public_access_block", {"Bucket": ids["good_bucket"]}),
        ("s3", "get_bucket_tagging", {"Bucket": ids["good_bucket"]}),
        ("securityhub", "describe_hub", {}),
        ("budgets", "describe_budgets", {"AccountId": account}),
        ("budgets", "describe_notifications_for_budget", {"AccountId": account, "BudgetName": "ai-gpu-monthly"}),
        ("ce", "get_anomaly_monitors", {}),
        ("ce", "get_anomaly_subscriptions", {}),
        # Macie is on in the first region only (elsewhere it answers "Macie is not enabled.", see above).
        ("macie2", "get_macie_session", {}),
        ("macie2", "describe_buckets", {}),
        # The collector reads a trail's selectors in its home region (moto, like the docs, wants that).
        ("cloudtrail", "get_event_selectors", {"TrailName": trail_arn}),
    ]
    regional_calls: list[tuple[str, str, dict[str, Any]]] = [
        ("ec2", "describe_regions", {}),
        ("ec2", "describe_vpcs", {}),
        ("ec2", "describe_subnets", {}),
        ("ec2", "describe_security_groups", {}),
        ("ec2", "describe_vpc_endpoints", {}),
        ("cloudtrail", "describe_trails", {}),
        ("cloudtrail", "get_trail_status", {"Name": trail_arn}),
        ("guardduty", "list_detectors", {}),
        ("config", "describe_configuration_recorders", {}),
        ("config", "describe_configuration_recorder_status", {}),
        ("config", "describe_config_rules", {}),
        ("bedrock", "get_model_invocation_logging_configuration", {}),
        ("bedrock", "list_enforced_guardrails_configuration", {}),
        ("bedrock", "list_guardrails", {}),
        ("bedrock", "list_custom_models", {"isOwned": True}),
        ("bedrock", "list_model_customization_jobs", {}),
        ("bedrock", "list_imported_models", {}),
        ("bedrock", "list_provisioned_model_throughputs", {}),
        ("bedrock", "list_inference_profiles", {"typeEquals": "APPLICATION"}),
        ("bedrock-agent", "list_agents", {}),
        ("bedrock-agent", "list_knowledge_bases", {}),
        ("bedrock-agentcore-control", "list_agent_runtimes", {}),
        ("bedrock-agentcore-control", "list_gateways", {}),
        ("bedrock-agentcore-control", "list_memories", {}),
        ("cloudwatch", "list_metrics", {"Namespace": "AWS/Bedrock", "MetricName": "Invocations"}),
    ] + [
        ("sagemaker", operation, {})
        for operation in (
            "list_notebook_instances",
            "list_notebook_instance_lifecycle_configs",
            "list_domains",
            "list_user_profiles",
            "list_models",
            "list_endpoint_configs",
            "list_endpoints",
            "list_training_jobs",
            "list_processing_jobs",
            "list_transform_jobs",
            "list_model_package_groups",
            "list_monitoring_schedules",
            "list_feature_groups",
        )
    ]
    answered = [(service, operation, PRIMARY, params) for service, operation, params in global_calls]
    answered += [(s, o, region, p) for region in REGIONS for s, o, p in regional_calls]
    for service, operation, region, params in answered:
        response = getattr(estate.client(service, region), operation)(**params)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, (service, operation, region)
    detector = estate.client("guardduty").list_detectors()["DetectorIds"][0]
    assert estate.client("guardduty").get_detector(DetectorId=detector)["Status"] == "ENABLED"
