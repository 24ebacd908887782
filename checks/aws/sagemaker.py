"""SageMaker checks: networking, encryption, isolation, monitoring, provenance, secrets and residency."""

from __future__ import annotations

import re
from typing import Any

from checks._verdicts import flag_true, in_allowed_region, no_secrets, setting_is, what_serves
from checks.aws._common import GENAI_TYPES, is_true, judge_customer_key, judge_iac, require_listed
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Status, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

NOTEBOOK = "aws.sagemaker.notebook_instance"
LIFECYCLE_CONFIG = "aws.sagemaker.notebook_lifecycle_config"
DOMAIN = "aws.sagemaker.domain"
MODEL = "aws.sagemaker.model"
ENDPOINT_CONFIG = "aws.sagemaker.endpoint_config"
ENDPOINT = "aws.sagemaker.endpoint"
TRAINING_JOB = "aws.sagemaker.training_job"
PROCESSING_JOB = "aws.sagemaker.processing_job"
TRANSFORM_JOB = "aws.sagemaker.transform_job"
MODEL_PACKAGE = "aws.sagemaker.model_package"
MONITORING_SCHEDULE = "aws.sagemaker.monitoring_schedule"
CLUSTER = "aws.sagemaker.cluster"
SAGEMAKER_TYPES = (
    NOTEBOOK,
    LIFECYCLE_CONFIG,
    DOMAIN,
    "aws.sagemaker.user_profile",
    MODEL,
    ENDPOINT_CONFIG,
    ENDPOINT,
    TRAINING_JOB,
    PROCESSING_JOB,
    TRANSFORM_JOB,
    "aws.sagemaker.model_package_group",
    MODEL_PACKAGE,
    MONITORING_SCHEDULE,
    "aws.sagemaker.feature_group",
    CLUSTER,
)
# MonitoringScheduleStatus values of a schedule that runs (or is about to).
_RUNNING_SCHEDULE = ("Scheduled", "Pending")


def _subnets(resource: Resource, prefix: str) -> Verdict:
    """PASS when `<prefix>.Subnets` lists at least one subnet; absent VpcConfig = SageMaker service network."""
    subnets = get(resource.config, f"{prefix}.Subnets")
    groups = get(resource.config, f"{prefix}.SecurityGroupIds")
    evidence = {f"{prefix}.Subnets": shown(subnets), f"{prefix}.SecurityGroupIds": shown(groups)}
    if isinstance(subnets, list) and any(is_set(s) for s in subnets):
        return passed(f"{resource.name} runs in VPC subnets {', '.join(map(str, subnets))}.", **evidence)
    return failed(
        f"{resource.name} has {prefix}.Subnets {display(subnets)}, so it runs in the SageMaker service "
        "network rather than your VPC.",
        **evidence,
    )


Part = tuple[bool, str, dict[str, Any]]  # (acceptable, verb phrase after the resource name, evidence)


def _key_part(resource: Resource, path: str, what: str, absent_means: str) -> Part:
    """A KMS key reference at `path`; absent means `absent_means` encrypts `what`."""
    key = get(resource.config, path)
    if is_set(key):
        return True, f"encrypts its {what} with KMS key {key}", {path: key}
    return False, f"has {path} {display(key)}, so its {what} use {absent_means}", {path: shown(key)}


# Instance families with only local NVMe storage cannot take a volume KMS key: the
# SageMaker API documentation names ml.p4d, ml.g4dn and ml.g5, and EC2's naming
# convention marks instance-store families with a "d" attribute (m5d, c6id, p3dn...).
_DOCUMENTED_NVME = {"p4d", "g4dn", "g5"}
_FAMILY = re.compile(r"^ml\.([a-z]+)(\d+)([a-z-]*)\.")


def _local_storage_only(instance_type: Any) -> bool:
    if not isinstance(instance_type, str):
        return False
    match = _FAMILY.match(instance_type)
    if match is None:
        return False
    return "".join(match.groups()) in _DOCUMENTED_NVME or "d" in match.group(3)


def _volume_part(resource: Resource, key_path: str, types: dict[str, Any]) -> Part:
    """The volume key is set, or every instance type has only (hardware-encrypted) local NVMe storage."""
    ok, phrase, evidence = _key_part(resource, key_path, "storage volumes", "an AWS managed key")
    evidence.update({p: shown(t) for p, t in types.items()})
    if not ok and types and all(_local_storage_only(t) for t in types.values()):
        names = ", ".join(sorted({str(t) for t in types.values()}))
        return (
            True,
            (f"runs on {names}, whose local NVMe storage is hardware-encrypted and cannot take {key_path}"),
            evidence,
        )
    return ok, phrase, evidence


def _combine(resource: Resource, parts: list[Part]) -> Verdict:
    """One verdict from several requirements: FAIL names every unmet one."""
    evidence = {k: v for _, _, ev in parts for k, v in ev.items()}
    failing = [phrase for ok, phrase, _ in parts if not ok]
    if failing:
        return failed(f"{resource.name} {' and '.join(failing)}.", **evidence)
    return passed(f"{resource.name} {' and '.join(phrase for _, phrase, _ in parts)}.", **evidence)


def _training_instance_types(job: Resource) -> dict[str, Any]:
    groups = get(job.config, "ResourceConfig.InstanceGroups")
    if isinstance(groups, list) and groups:
        return {f"ResourceConfig.InstanceGroups.{i}.InstanceType": get(g, "InstanceType") for i, g in enumerate(groups)}
    return {"ResourceConfig.InstanceType": get(job.config, "ResourceConfig.InstanceType")}


@check(
    id="aws.sagemaker.notebook_direct_internet_access",
    resource_types=NOTEBOOK,
    severity=Severity.HIGH,
    title="Notebook instances have no direct internet access",
    checklist=("CL-01",),
    remediation="DirectInternetAccess cannot be changed in place: create a replacement notebook with "
    "`aws sagemaker create-notebook-instance --direct-internet-access Disabled --subnet-id <subnet> "
    "--security-group-ids <sg>` in a subnet that reaches the internet only through a NAT or VPC "
    "endpoints, move the work over, then delete the old notebook.",
    reads=("DirectInternetAccess",),
)
def notebook_direct_internet_access(nb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when DirectInternetAccess is Disabled; absent = the service default, Enabled."""
    return setting_is(nb, "DirectInternetAccess", "Disabled", absent_means="Enabled")


@check(
    id="aws.sagemaker.notebook_in_vpc",
    resource_types=NOTEBOOK,
    severity=Severity.MEDIUM,
    title="Notebook instances run in a customer VPC subnet",
    checklist=("CL-01",),
    remediation="The subnet of a notebook cannot be changed: create a replacement with "
    "`aws sagemaker create-notebook-instance --subnet-id <private-subnet> --security-group-ids <sg> "
    "--direct-internet-access Disabled`, then delete the old notebook.",
    reads=("SubnetId", "SecurityGroups"),
)
def notebook_in_vpc(nb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when SubnetId is set; absent = the notebook lives in the SageMaker service VPC."""
    subnet = get(nb.config, "SubnetId")
    evidence = {"SubnetId": shown(subnet), "SecurityGroups": shown(get(nb.config, "SecurityGroups"))}
    if is_set(subnet):
        return passed(f"{nb.name} runs in VPC subnet {subnet}.", **evidence)
    return failed(f"{nb.name} has SubnetId {display(subnet)}, so it is not attached to your VPC.", **evidence)


@check(
    id="aws.sagemaker.notebook_root_access",
    resource_types=NOTEBOOK,
    severity=Severity.MEDIUM,
    title="Notebook instances deny root access to users",
    checklist=("ZT-4",),
    remediation="Stop the notebook, run `aws sagemaker update-notebook-instance --notebook-instance-name <name> "
    "--root-access Disabled`, then start it again (lifecycle scripts still run as root).",
    reads=("RootAccess",),
)
def notebook_root_access(nb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when RootAccess is Disabled; absent = the service default, Enabled."""
    return setting_is(nb, "RootAccess", "Disabled", absent_means="Enabled")


@check(
    id="aws.sagemaker.notebook_kms_encryption",
    resource_types=NOTEBOOK,
    severity=Severity.MEDIUM,
    title="Notebook instance volumes are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="The key of a notebook cannot be changed: create a replacement with "
    "`aws sagemaker create-notebook-instance --kms-key-id <customer-managed-key-arn> ...`, copy the "
    "data from the old volume, then delete the old notebook.",
    reads=("KmsKeyId",),
)
def notebook_kms_encryption(nb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when KmsKeyId names a customer managed key (or one not in the inventory, said so); absent = AWS managed
    key.
    """
    return judge_customer_key(nb, ctx, "KmsKeyId", "its volume is encrypted with an AWS managed key")


@check(
    id="aws.sagemaker.domain_vpc_only",
    resource_types=DOMAIN,
    severity=Severity.HIGH,
    title="Studio domains send app traffic only through the customer VPC",
    checklist=("CL-01",),
    remediation="Delete the domain's running apps, then run `aws sagemaker update-domain --domain-id <id> "
    "--app-network-access-type VpcOnly --subnet-ids <private-subnets>`; give the subnets VPC "
    "endpoints (sagemaker.api, sagemaker.runtime, s3, sts) or a NAT route.",
    reads=("AppNetworkAccessType",),
)
def domain_vpc_only(domain: Resource, ctx: CheckContext) -> Verdict:
    """PASS when AppNetworkAccessType is VpcOnly; absent = the service default, PublicInternetOnly."""
    return setting_is(domain, "AppNetworkAccessType", "VpcOnly", absent_means="PublicInternetOnly")


@check(
    id="aws.sagemaker.domain_kms_encryption",
    resource_types=DOMAIN,
    severity=Severity.MEDIUM,
    title="Studio domains encrypt their storage with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="The key of a domain is fixed at creation: create a new domain with "
    "`aws sagemaker create-domain --kms-key-id <customer-managed-key-arn> ...`, migrate user "
    "profiles and data, then delete the old domain.",
    reads=("KmsKeyId",),
)
def domain_kms_encryption(domain: Resource, ctx: CheckContext) -> Verdict:
    """PASS when KmsKeyId names a customer managed key; absent = AWS managed encryption of EFS and app storage."""
    return judge_customer_key(domain, ctx, "KmsKeyId", "its EFS and app storage use an AWS managed key")


@check(
    id="aws.sagemaker.model_network_isolation",
    resource_types=MODEL,
    severity=Severity.MEDIUM,
    title="Models run with network isolation",
    checklist=("CL-01",),
    remediation="Models are immutable: create a new model with `aws sagemaker create-model "
    "--enable-network-isolation ...`, point a new endpoint config at it and update the endpoint.",
    reads=("EnableNetworkIsolation",),
)
def model_network_isolation(model: Resource, ctx: CheckContext) -> Verdict:
    """PASS when EnableNetworkIsolation is true; absent = false, containers may call out."""
    return flag_true(
        model,
        "EnableNetworkIsolation",
        "its containers cannot make outbound network calls",
        "its containers can reach the network",
    )


@check(
    id="aws.sagemaker.model_in_vpc",
    resource_types=MODEL,
    severity=Severity.MEDIUM,
    title="Models run in a customer VPC",
    checklist=("CL-01",),
    remediation="Create a new model with `aws sagemaker create-model --vpc-config "
    "Subnets=<private-subnets>,SecurityGroupIds=<sg> ...`, then a new endpoint config and "
    "`aws sagemaker update-endpoint` to switch traffic.",
    reads=("VpcConfig.Subnets", "VpcConfig.SecurityGroupIds"),
)
def model_in_vpc(model: Resource, ctx: CheckContext) -> Verdict:
    """PASS when VpcConfig lists subnets; absent = the containers run in the SageMaker service network."""
    return _subnets(model, "VpcConfig")


@check(
    id="aws.sagemaker.training_job_in_vpc",
    resource_types=TRAINING_JOB,
    severity=Severity.MEDIUM,
    title="Training jobs run in a customer VPC",
    checklist=("CL-01", "ZT-2"),
    remediation="Pass `--vpc-config Subnets=<private-subnets>,SecurityGroupIds=<training-sg>` to "
    "`aws sagemaker create-training-job` (in the SDK, `subnets=` and `security_group_ids=` on the "
    "Estimator) for future runs; completed jobs cannot be changed.",
    reads=("VpcConfig.Subnets", "VpcConfig.SecurityGroupIds"),
)
def training_job_in_vpc(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when VpcConfig lists subnets; absent = the job runs in the SageMaker service network."""
    return _subnets(job, "VpcConfig")


@check(
    id="aws.sagemaker.cluster_in_vpc",
    resource_types=CLUSTER,
    severity=Severity.HIGH,
    title="HyperPod clusters run their nodes in a customer VPC",
    checklist=("CL-01", "ZT-2"),
    remediation="A cluster's VPC cannot be added later: create a replacement with "
    "`aws sagemaker create-cluster --vpc-config Subnets=<private-subnets>,SecurityGroupIds=<cluster-sg> ...`, "
    "move the workloads, then `aws sagemaker delete-cluster`; give instance groups that need another "
    "network an OverrideVpcConfig with private subnets.",
    reads=("VpcConfig.Subnets", "InstanceGroups.*.OverrideVpcConfig.Subnets"),
)
def cluster_in_vpc(cluster: Resource, ctx: CheckContext) -> Verdict:
    """PASS when VpcConfig lists subnets and no instance group overrides it with an empty one; absent
    VpcConfig = the nodes run in the SageMaker service network, with its internet access."""
    verdict = _subnets(cluster, "VpcConfig")
    if verdict.status != Status.PASS:
        return verdict
    for i, group in enumerate(as_list(get(cluster.config, "InstanceGroups"))):
        override = get(group, "OverrideVpcConfig")
        if override is ABSENT or override is None:
            continue
        subnets = get(override, "Subnets")
        if not (isinstance(subnets, list) and any(is_set(s) for s in subnets)):
            name = get(group, "InstanceGroupName")
            return failed(
                f"{cluster.name} instance group {display(name)} overrides the cluster VPC with Subnets "
                f"{display(subnets)}, so its nodes leave your VPC.",
                **verdict.evidence,
                **{f"InstanceGroups.{i}.OverrideVpcConfig.Subnets": shown(subnets)},
            )
    return verdict


@check(
    id="aws.sagemaker.training_job_network_isolation",
    resource_types=TRAINING_JOB,
    severity=Severity.MEDIUM,
    title="Training jobs run with network isolation",
    checklist=("CL-01", "ZT-4"),
    remediation="Pass `--enable-network-isolation` to `aws sagemaker create-training-job` "
    "(`enable_network_isolation=True` on the SDK Estimator) for future runs.",
    reads=("EnableNetworkIsolation",),
)
def training_job_network_isolation(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when EnableNetworkIsolation is true; absent = false, the container may call out."""
    return flag_true(
        job,
        "EnableNetworkIsolation",
        "the training container cannot make outbound network calls",
        "the training container can reach the network",
    )


@check(
    id="aws.sagemaker.training_job_volume_encryption",
    resource_types=TRAINING_JOB,
    severity=Severity.MEDIUM,
    title="Training job storage volumes are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="Set `ResourceConfig.VolumeKmsKeyId=<customer-managed-key-arn>` in "
    "`aws sagemaker create-training-job` (`volume_kms_key=` on the SDK Estimator) for future runs.",
    reads=("ResourceConfig.VolumeKmsKeyId", "ResourceConfig.InstanceType", "ResourceConfig.InstanceGroups"),
)
def training_job_volume_encryption(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when ResourceConfig.VolumeKmsKeyId is set or every instance type is NVMe-only; absent = AWS managed key."""
    return _combine(job, [_volume_part(job, "ResourceConfig.VolumeKmsKeyId", _training_instance_types(job))])


@check(
    id="aws.sagemaker.training_job_output_encryption",
    resource_types=TRAINING_JOB,
    severity=Severity.MEDIUM,
    title="Training job model artifacts are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="Set `OutputDataConfig.KmsKeyId=<customer-managed-key-arn>` in "
    "`aws sagemaker create-training-job` (`output_kms_key=` on the SDK Estimator) for future runs.",
    reads=("OutputDataConfig.KmsKeyId",),
)
def training_job_output_encryption(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when OutputDataConfig.KmsKeyId is set; absent = the bucket default (SSE-S3 or aws/s3)."""
    return _combine(
        job, [_key_part(job, "OutputDataConfig.KmsKeyId", "model artifacts", "the output bucket's default encryption")]
    )


def _instance_count(job: Resource) -> tuple[int | None, dict[str, Any]]:
    groups = get(job.config, "ResourceConfig.InstanceGroups")
    if isinstance(groups, list) and groups:
        counts = {
            f"ResourceConfig.InstanceGroups.{i}.InstanceCount": get(g, "InstanceCount") for i, g in enumerate(groups)
        }
        valid = [c for c in counts.values() if isinstance(c, int) and not isinstance(c, bool)]
        total = sum(valid) if len(valid) == len(counts) else None
        return total, {k: shown(v) for k, v in counts.items()}
    count = get(job.config, "ResourceConfig.InstanceCount")
    readable = isinstance(count, int) and not isinstance(count, bool)
    return (count if readable else None), {"ResourceConfig.InstanceCount": shown(count)}


@check(
    id="aws.sagemaker.training_job_intercontainer_encryption",
    resource_types=TRAINING_JOB,
    severity=Severity.MEDIUM,
    title="Distributed training jobs encrypt inter-container traffic",
    checklist=("CL-04",),
    remediation="Pass `--enable-inter-container-traffic-encryption` to `aws sagemaker create-training-job` "
    "(`encrypt_inter_container_traffic=True` on the SDK Estimator) for multi-instance runs.",
    reads=("EnableInterContainerTrafficEncryption", "ResourceConfig.InstanceCount", "ResourceConfig.InstanceGroups"),
)
def training_job_intercontainer_encryption(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when EnableInterContainerTrafficEncryption is true or the job has one instance; absent = false."""
    flag = get(job.config, "EnableInterContainerTrafficEncryption")
    total, evidence = _instance_count(job)
    evidence["EnableInterContainerTrafficEncryption"] = shown(flag)
    if is_true(flag):
        return passed(f"{job.name} encrypts inter-container traffic.", **evidence)
    if total == 1:
        return passed(
            f"{job.name} runs on a single instance, so it is not distributed and has no "
            "inter-container traffic to encrypt.",
            **evidence,
        )
    if total is None:
        return failed(
            f"{job.name} has an unreadable instance count and EnableInterContainerTrafficEncryption "
            f"{display(flag)}, so it cannot be shown to be single-instance or encrypted.",
            **evidence,
        )
    return failed(
        f"{job.name} runs on {total} instances with EnableInterContainerTrafficEncryption {display(flag)} "
        "(absent means false).",
        **evidence,
    )


@check(
    id="aws.sagemaker.processing_job_in_vpc",
    resource_types=PROCESSING_JOB,
    severity=Severity.MEDIUM,
    title="Processing jobs run in a customer VPC",
    checklist=("CL-01",),
    remediation="Pass `--network-config 'VpcConfig={Subnets=[<private-subnets>],SecurityGroupIds=[<sg>]}'` to "
    "`aws sagemaker create-processing-job` (`network_config=NetworkConfig(subnets=..., "
    "security_group_ids=...)` in the SDK) for future runs.",
    reads=("NetworkConfig.VpcConfig.Subnets", "NetworkConfig.VpcConfig.SecurityGroupIds"),
)
def processing_job_in_vpc(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when NetworkConfig.VpcConfig lists subnets; absent = the SageMaker service network."""
    return _subnets(job, "NetworkConfig.VpcConfig")


@check(
    id="aws.sagemaker.processing_job_network_isolation",
    resource_types=PROCESSING_JOB,
    severity=Severity.LOW,
    title="Processing jobs run with network isolation",
    checklist=("CL-01",),
    remediation="Pass `--network-config EnableNetworkIsolation=true,...` to `aws sagemaker create-processing-job` "
    "(`NetworkConfig(enable_network_isolation=True)` in the SDK) for future runs.",
    reads=("NetworkConfig.EnableNetworkIsolation",),
)
def processing_job_network_isolation(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when NetworkConfig.EnableNetworkIsolation is true; absent = false."""
    return flag_true(
        job,
        "NetworkConfig.EnableNetworkIsolation",
        "the processing container cannot call out",
        "the processing container can reach the network",
    )


@check(
    id="aws.sagemaker.processing_job_encryption",
    resource_types=PROCESSING_JOB,
    severity=Severity.MEDIUM,
    title="Processing job volumes and outputs are encrypted with customer managed KMS keys",
    checklist=("CL-03",),
    remediation="Set `ProcessingResources.ClusterConfig.VolumeKmsKeyId` and `ProcessingOutputConfig.KmsKeyId` to "
    "a customer managed key in `aws sagemaker create-processing-job` (`volume_kms_key=` and "
    "`output_kms_key=` on the SDK Processor) for future runs.",
    reads=(
        "ProcessingResources.ClusterConfig.VolumeKmsKeyId",
        "ProcessingResources.ClusterConfig.InstanceType",
        "ProcessingOutputConfig.KmsKeyId",
        "ProcessingOutputConfig.Outputs",
    ),
)
def processing_job_encryption(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the volume and (if any outputs) output KMS keys are set; absent = AWS managed or bucket-default
    encryption.
    """
    types = {
        "ProcessingResources.ClusterConfig.InstanceType": get(
            job.config, "ProcessingResources.ClusterConfig.InstanceType"
        )
    }
    parts = [_volume_part(job, "ProcessingResources.ClusterConfig.VolumeKmsKeyId", types)]
    outputs = get(job.config, "ProcessingOutputConfig.Outputs")
    if isinstance(outputs, list) and outputs:
        parts.append(
            _key_part(job, "ProcessingOutputConfig.KmsKeyId", "outputs", "the output bucket's default encryption")
        )
    else:
        parts.append(
            (True, "writes no outputs, so needs no output key", {"ProcessingOutputConfig.Outputs": shown(outputs)})
        )
    return _combine(job, parts)


@check(
    id="aws.sagemaker.transform_job_encryption",
    resource_types=TRANSFORM_JOB,
    severity=Severity.MEDIUM,
    title="Batch transform outputs and volumes are encrypted with customer managed KMS keys",
    checklist=("CL-03",),
    remediation="Set `TransformOutput.KmsKeyId` and `TransformResources.VolumeKmsKeyId` to a customer managed key "
    "in `aws sagemaker create-transform-job` (`output_kms_key=` and `volume_kms_key=` on the SDK "
    "Transformer) for future runs.",
    reads=("TransformOutput.KmsKeyId", "TransformResources.VolumeKmsKeyId", "TransformResources.InstanceType"),
)
def transform_job_encryption(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when output and volume KMS keys are set (NVMe-only types need no volume key); absent = AWS managed or
    bucket default.
    """
    types = {"TransformResources.InstanceType": get(job.config, "TransformResources.InstanceType")}
    return _combine(
        job,
        [
            _key_part(job, "TransformOutput.KmsKeyId", "outputs", "the output bucket's default encryption"),
            _volume_part(job, "TransformResources.VolumeKmsKeyId", types),
        ],
    )


def _variants(config: Any) -> list[tuple[str, Any]]:
    return [(f"ProductionVariants.{i}", v) for i, v in enumerate(as_list(get(config, "ProductionVariants")))]


def _capture_enabled(config: Any) -> bool:
    """DataCaptureConfig present with EnableCapture not false (the API default is enabled)."""
    capture = get(config, "DataCaptureConfig")
    return isinstance(capture, dict) and capture.get("EnableCapture", True) is not False


@check(
    id="aws.sagemaker.endpoint_config_kms_encryption",
    resource_types=ENDPOINT_CONFIG,
    severity=Severity.MEDIUM,
    title="Endpoint configs encrypt hosting volumes and captured data with customer managed KMS keys",
    checklist=("CL-03",),
    remediation="Endpoint configs are immutable: create a new one with `aws sagemaker create-endpoint-config "
    "--kms-key-id <customer-managed-key-arn> --data-capture-config KmsKeyId=<key-arn>,...`, then "
    "`aws sagemaker update-endpoint --endpoint-config-name <new>` on every endpoint using it.",
    reads=("KmsKeyId", "ProductionVariants", "DataCaptureConfig.EnableCapture", "DataCaptureConfig.KmsKeyId"),
)
def endpoint_config_kms_encryption(config: Resource, ctx: CheckContext) -> Verdict:
    """PASS when KmsKeyId is set (serverless-only configs cannot take one) and captured data has a key; absent = AWS
    managed.
    """
    variants = _variants(config.config)
    serverless_only = bool(variants) and all(isinstance(get(v, "ServerlessConfig"), dict) for _, v in variants)
    parts: list[Part] = []
    if serverless_only and not is_set(get(config.config, "KmsKeyId")):
        parts.append(
            (
                True,
                "has only serverless variants (which cannot take a KmsKeyId)",
                {"KmsKeyId": "<absent>", "ProductionVariants.*.ServerlessConfig": "present"},
            )
        )
    else:
        parts.append(_key_part(config, "KmsKeyId", "hosting volumes", "an AWS managed key"))
    if _capture_enabled(config.config):
        parts.append(
            _key_part(
                config,
                "DataCaptureConfig.KmsKeyId",
                "captured inference data",
                "the capture bucket's default encryption",
            )
        )
    return _combine(config, parts)


def _variant_floor(variant: Any) -> tuple[str, int | None]:
    """Which setting decides a variant's minimum instance count, and its value."""
    scaling = get(variant, "ManagedInstanceScaling")
    if isinstance(scaling, dict) and scaling.get("Status") == "ENABLED":
        value = scaling.get("MinInstanceCount")
        return "ManagedInstanceScaling.MinInstanceCount", value if _count(value) else None
    value = get(variant, "InitialInstanceCount")
    return "InitialInstanceCount", value if _count(value) else None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@check(
    id="aws.sagemaker.endpoint_config_instance_redundancy",
    resource_types=ENDPOINT_CONFIG,
    severity=Severity.LOW,
    title="Endpoint config production variants run at least two instances",
    checklist=("PH-4",),
    remediation="Create a new endpoint config whose production variants set `InitialInstanceCount` >= 2 (and "
    "`ManagedInstanceScaling.MinInstanceCount` >= 2 when managed scaling is on), then "
    "`aws sagemaker update-endpoint`; SageMaker spreads instances across Availability Zones.",
    reads=("ProductionVariants",),
)
def endpoint_config_instance_redundancy(config: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every variant keeps at least 2 instances (or is serverless); an absent count cannot be shown >= 2."""
    variants = _variants(config.config)
    if not variants:
        return failed(
            f"{config.name} has no ProductionVariants to judge.",
            ProductionVariants=shown(get(config.config, "ProductionVariants")),
        )
    evidence: dict[str, Any] = {}
    short: list[str] = []
    for path, variant in variants:
        name = get(variant, "VariantName", path)
        if isinstance(get(variant, "ServerlessConfig"), dict):
            evidence[f"{path}.ServerlessConfig"] = "present"
            continue
        setting, floor = _variant_floor(variant)
        evidence[f"{path}.{setting}"] = shown(get(variant, setting))
        if floor is None or floor < 2:
            short.append(f"variant {name} has {setting} {display(get(variant, setting))}")
    if short:
        return failed(f"{config.name} is not redundant: {'; '.join(short)} (at least 2 needed).", **evidence)
    return passed(f"{config.name} runs every production variant on at least two instances or serverless.", **evidence)


@check(
    id="aws.sagemaker.endpoint_data_capture",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Endpoints capture inference requests and responses",
    checklist=("MS-3",),
    remediation="Create an endpoint config with `--data-capture-config EnableCapture=true,"
    "InitialSamplingPercentage=<n>,DestinationS3Uri=s3://<bucket>/capture,KmsKeyId=<key-arn>,"
    "CaptureOptions=[{CaptureMode=Input},{CaptureMode=Output}]` and run `aws sagemaker update-endpoint`.",
    reads=("DataCaptureConfig.EnableCapture", "DataCaptureConfig.CaptureStatus"),
)
def endpoint_data_capture(endpoint: Resource, ctx: CheckContext) -> Verdict:
    """PASS only when DataCaptureConfig.EnableCapture is true and CaptureStatus is Started; absent = no capture."""
    enabled = get(endpoint.config, "DataCaptureConfig.EnableCapture")
    status = get(endpoint.config, "DataCaptureConfig.CaptureStatus")
    evidence = {"DataCaptureConfig.EnableCapture": shown(enabled), "DataCaptureConfig.CaptureStatus": shown(status)}
    if not is_true(enabled):
        return failed(
            f"{endpoint.name} has DataCaptureConfig.EnableCapture {display(enabled)}, so inference data "
            "is not captured.",
            **evidence,
        )
    if status == "Stopped":
        return failed(f"{endpoint.name} has data capture enabled but CaptureStatus Stopped.", **evidence)
    if status != "Started":
        # DataCaptureConfigSummary always carries CaptureStatus (Started or Stopped): anything else is unjudgeable.
        return failed(
            f"{endpoint.name} has data capture enabled but DataCaptureConfig.CaptureStatus "
            f"{display(status)}, not Started, so capture is not shown to run.",
            **evidence,
        )
    return passed(f"{endpoint.name} captures inference data (CaptureStatus {shown(status)}).", **evidence)


@check(
    id="aws.sagemaker.endpoint_monitoring_schedule",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Endpoints have an active model monitoring schedule",
    checklist=("MS-3",),
    remediation="Create a baseline and a schedule with `aws sagemaker create-monitoring-schedule` (or "
    "`DefaultModelMonitor.create_monitoring_schedule` in the SDK) for the endpoint, and restart "
    "stopped schedules with `aws sagemaker start-monitoring-schedule`.",
    reads=("monitors<-MonitoringScheduleStatus",),
)
def endpoint_monitoring_schedule(endpoint: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a Scheduled or Pending monitoring schedule monitors the endpoint; any other status does not count,
    and none = unmonitored."""
    require_listed(ctx, [MONITORING_SCHEDULE], endpoint.account, endpoint.region)
    schedules = ctx.referrers(endpoint, "monitors")
    statuses = {s.name: shown(get(s.config, "MonitoringScheduleStatus")) for s in schedules}
    evidence = {"monitors<-MonitoringScheduleStatus": statuses}
    # Only the documented running states count: an absent or unknown status proves nothing is monitored.
    active = [name for name, status in statuses.items() if status in _RUNNING_SCHEDULE]
    if active:
        return passed(f"{endpoint.name} is monitored by schedule {active[0]} ({statuses[active[0]]}).", **evidence)
    if statuses:
        unknown = [f"{n}: {display(s)}" for n, s in statuses.items() if s not in ("Stopped", "Failed")]
        if unknown:
            return failed(
                f"{endpoint.name} has no monitoring schedule known to run; MonitoringScheduleStatus "
                f"{', '.join(unknown)} is not Scheduled or Pending.",
                **evidence,
            )
        return failed(
            f"{endpoint.name} has only stopped or failed monitoring schedules "
            f"({', '.join(f'{n}: {s}' for n, s in statuses.items())}).",
            **evidence,
        )
    return failed(f"{endpoint.name} has no monitoring schedule.", **evidence)


def _containers(model: Resource) -> list[tuple[str, Any]]:
    primary = get(model.config, "PrimaryContainer")
    if isinstance(primary, dict):
        return [("PrimaryContainer", primary)]
    return [(f"Containers.{i}", c) for i, c in enumerate(as_list(get(model.config, "Containers")))]


def _package_matches(ref: str, package: Resource) -> bool:
    arn, name = get(package.config, "ModelPackageArn"), get(package.config, "ModelPackageName")
    return ref in (package.uid, arn, name) or (is_set(arn) and arn.endswith(f"/{ref}"))


@check(
    id="aws.sagemaker.model_from_approved_package",
    resource_types=MODEL,
    severity=Severity.MEDIUM,
    title="Models are deployed from approved model registry packages",
    checklist=("MS-1",),
    remediation="Register the model in a model package group (`aws sagemaker create-model-package`), approve it "
    "with `aws sagemaker update-model-package --model-approval-status Approved`, and create models "
    "with `PrimaryContainer.ModelPackageName=<package-arn>` instead of an image and artifact URL.",
    reads=("PrimaryContainer.ModelPackageName", "Containers", "from_model_package.ModelApprovalStatus"),
)
def model_from_approved_package(model: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every container comes from a model package with ModelApprovalStatus Approved; ModelPackageName absent
    = not from the registry.
    """
    containers = _containers(model)
    if not containers:
        return failed(
            f"{model.name} has no container definition to trace to a model package.",
            PrimaryContainer="<absent>",
            Containers="<absent>",
        )
    packages = ctx.related(model, "from_model_package")
    evidence: dict[str, Any] = {}
    for path, container in containers:
        ref = get(container, "ModelPackageName")
        evidence[f"{path}.ModelPackageName"] = shown(ref)
        if not is_set(ref):
            return failed(
                f"{model.name} has {path}.ModelPackageName {shown(ref)}, so it does not come from the model registry.",
                **evidence,
            )
        found = [p for p in packages if _package_matches(ref, p)] or packages
        if not found:
            return manual(
                f"{model.name} comes from model package {ref}, which is not in the inventory (another "
                "account?); attest that it is Approved.",
                **evidence,
            )
        statuses = {p.uid: shown(get(p.config, "ModelApprovalStatus")) for p in found}
        evidence[f"from_model_package[{ref}].ModelApprovalStatus"] = statuses
        unapproved = [s for s in statuses.values() if s != "Approved"]
        if unapproved:
            return failed(
                f"{model.name} comes from model package {ref} whose ModelApprovalStatus is {unapproved[0]}.", **evidence
            )
    return passed(f"{model.name} comes only from Approved model packages.", **evidence)


@check(
    id="aws.sagemaker.no_secrets_in_configuration",
    resource_types=(LIFECYCLE_CONFIG, MODEL, TRAINING_JOB, PROCESSING_JOB, TRANSFORM_JOB, ENDPOINT_CONFIG, NOTEBOOK),
    severity=Severity.CRITICAL,
    title="SageMaker configurations hold no credentials or secrets",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now, move it to AWS Secrets Manager or SSM Parameter Store "
    "(SecureString), read it at run time through the execution role, and recreate the model, job "
    "or lifecycle config without the literal value.",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values from the stored configuration; no redactions passes."""
    return no_secrets(resource)


@check(
    id="aws.sagemaker.resource_in_allowed_region",
    resource_types=(*SAGEMAKER_TYPES, *GENAI_TYPES, "aws.s3.bucket"),
    severity=Severity.MEDIUM,
    title="AI resources and artifact buckets are in allowed regions",
    checklist=("CL-09",),
    remediation="Recreate the resource (or replicate the bucket and switch readers) in an allowed region and "
    "delete the original; set `allowed_regions` in the cspm-ai configuration to the regions your "
    "data residency policy permits.",
    reads=("<region>",),
)
def resource_in_allowed_region(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS inside the configured allowed regions, FAIL outside; no configured list = MANUAL attestation."""
    return in_allowed_region(resource, ctx)


# What a model serves: its image, its artifacts, the model package it comes from, its containers.
MODEL_SERVES = (
    "PrimaryContainer.Image",
    "PrimaryContainer.ModelDataUrl",
    "PrimaryContainer.ModelDataSource",
    "PrimaryContainer.ModelPackageName",
    "Containers",
)


@check(
    id="aws.sagemaker.endpoint_config_models_immutable",
    resource_types=ENDPOINT_CONFIG,
    severity=Severity.MEDIUM,
    title="Endpoint configs keep serving the models they were created with: a new version gets a new config",
    checklist=("PH-2",),
    remediation="Release a new model version as a new model and a new endpoint config (`aws sagemaker "
    "create-model`, `create-endpoint-config`), then `aws sagemaker update-endpoint --endpoint-config-name` (a "
    "blue/green deployment); never delete and re-create a served model under its name with other artifacts.",
    reads=tuple(f"uses_model -> {path}" for path in MODEL_SERVES),
    history_types=(ENDPOINT_CONFIG, MODEL),
)
def endpoint_config_models_immutable(config: Resource, ctx: CheckContext) -> Verdict:
    """Judged against the previous comparable scan. Endpoint configs are immutable, but the models they name are
    named, not pinned: FAIL when a model the config served then now has another image, artifacts, model package
    or containers under the same name (deleted and re-created in place). PASS when they are unchanged, or the
    config is new since then (how a new version is released). MANUAL when no earlier scan is stored."""
    since = ctx.previous_scan_started_at
    if since is None:
        return manual(
            f"{config.name}: no earlier scan of this account is stored, so whether its models were swapped in "
            "place can only be judged from the next scan on."
        )
    when = since.strftime("%Y-%m-%d %H:%M UTC")
    if ctx.previous(config.uid) is None:
        return passed(f"{config.name} is a new endpoint config since the previous scan ({when}).")
    swapped: dict[str, Any] = {}
    for model in ctx.related(config, "uses_model"):
        before = ctx.previous(model.uid)
        if before is None:
            continue
        now, then = what_serves(model.config, MODEL_SERVES), what_serves(before.config, MODEL_SERVES)
        for path in MODEL_SERVES:
            if now[path] != then[path]:
                swapped[f"{model.name}.{path}"] = {"before": then[path], "after": now[path]}
    if swapped:
        first, change = next(iter(swapped.items()))
        return failed(
            f"{config.name} serves model {first} {display(change['after'])} where the previous scan ({when}) found "
            f"{display(change['before'])}: the model was replaced in place under its name instead of released as "
            "a new model and endpoint config.",
            **swapped,
        )
    return passed(f"{config.name} serves the same model artifacts as in the previous scan ({when}).")


# PH-1: the long-lived SageMaker infrastructure. Training, processing and transform jobs and registered model
# versions are runs of pipelines, not infrastructure: their provenance is the pipeline's (MS-1 judges models').
IAC_TYPES = (
    NOTEBOOK,
    DOMAIN,
    "aws.sagemaker.user_profile",
    MODEL,
    ENDPOINT_CONFIG,
    ENDPOINT,
    "aws.sagemaker.model_package_group",
    MONITORING_SCHEDULE,
    "aws.sagemaker.feature_group",
    CLUSTER,
)


@check(
    id="aws.sagemaker.resource_managed_by_iac",
    resource_types=IAC_TYPES,
    severity=Severity.LOW,
    title="SageMaker infrastructure is created by infrastructure as code",
    checklist=("PH-1",),
    remediation="Bring the resource under IaC: import it into a CloudFormation stack (`aws cloudformation "
    "create-change-set --change-set-type IMPORT --resources-to-import ...`) or Terraform (an `import` block, with "
    "the provider's `default_tags` setting ManagedBy=terraform), change it only through reviewed pull requests, "
    "and deny console and SDK creation (an SCP or IAM condition on `aws:CalledVia` cloudformation.amazonaws.com).",
    reads=("<tags>",),
)
def resource_managed_by_iac(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the resource carries aws:cloudformation:stack-id (CloudFormation sets it on everything a stack,
    CDK, SAM or Service Catalog creates; no one else can set aws: tags) or, weaker, a ManagedBy-style tag naming an
    IaC tool (Terraform, OpenTofu, Pulumi tag by convention, and anyone may set such a tag); FAIL with neither, as
    for a resource made from the console, the CLI or an SDK script. Jobs and model versions are not judged. That
    the code was reviewed, or the resource not changed since, is not shown."""
    return judge_iac(resource)
