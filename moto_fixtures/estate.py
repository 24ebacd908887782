"""Build a realistic mixed AI estate (good and bad resources side by side) through the boto3 API."""

from __future__ import annotations

import base64
import io
import json
import random
import string
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3

from moto_fixtures.extensions import install

__all__ = ["AccountControls", "EstateManifest", "HOSTILE_STRINGS", "build_account_controls", "build_aws_estate"]

PASS = "PASS"
FAIL = "FAIL"

# The account-wide controls an estate's account has: "mixed" (a multi-region trail of management events only, a
# budget and cost anomaly monitors, and GuardDuty, Security Hub and AWS Config in the first region alone),
# "complete" (the trail also records Bedrock's data events, and the three services run in every region of the
# account) or "lax" (a trail of the first region only, nothing alerting on spend; the three services as in
# "mixed").
AccountControls = Literal["mixed", "complete", "lax"]

HOSTILE_STRINGS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
)

# Fixed fake credentials: deterministic so failures reproduce, shaped like the real thing so
# secret detectors fire. None of them is, or was ever, a working credential.
_FAKES = random.Random(20240611)
_B64 = string.ascii_letters + string.digits + "+/"


def _fake(alphabet: str, length: int, rng: random.Random = _FAKES) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


_LIFECYCLE_SECRET_KEY = _fake(_B64, 40)
_LIFECYCLE_HF_TOKEN = "hf_" + _fake(string.ascii_letters, 34)
_MODEL_ACCESS_KEY_ID = "AKIA" + _fake(string.ascii_uppercase + "234567", 16)
_MODEL_SECRET_KEY = _fake(_B64, 40)
_TRAINING_PASSWORD = "Pw-" + _fake(string.ascii_letters + string.digits, 21) + "!"
_PROCESSING_HF_TOKEN = "hf_" + _fake(string.ascii_letters, 34)
_TOOL_API_TOKEN = "crm_" + _fake(string.ascii_letters + string.digits, 32)
_RUNTIME_OPENAI_KEY = "sk-proj-" + _fake(string.ascii_letters + string.digits, 40)
_VECTOR_DB_PASSWORD = "Vx-" + _fake(string.ascii_letters + string.digits, 21) + "!"

_IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-training:2.1.0-gpu-py310"
# What Terraform's provider default_tags put on every good Bedrock resource (Bedrock spells tags in lower case).
_TERRAFORM_TAGS = ({"key": "ManagedBy", "value": "terraform"},)
_INFERENCE_IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.1.0-gpu-py310"
TRAINING_JOB_CHECKS = (
    "aws.sagemaker.training_job_in_vpc",
    "aws.sagemaker.training_job_network_isolation",
    "aws.sagemaker.training_job_volume_encryption",
    "aws.sagemaker.training_job_output_encryption",
    "aws.sagemaker.training_job_intercontainer_encryption",
    "aws.sagemaker.no_secrets_in_configuration",
)
# A complete account's trail: every management event, and the data events of Bedrock's agents, knowledge bases
# and guardrails.
_MANAGEMENT_AND_BEDROCK_DATA = [
    {"Name": "Management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
    {
        "Name": "BedrockData",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {
                "Field": "resources.type",
                "Equals": ["AWS::Bedrock::AgentAlias", "AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::Guardrail"],
            },
        ],
    },
]
_SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class EstateManifest:
    """What build_aws_estate created and what each check should conclude about it."""

    account_id: str
    regions: tuple[str, ...]
    secrets: tuple[str, ...]
    hostile_strings: tuple[str, ...]
    expected: dict[tuple[str, str], str]
    # Logical name -> identifier (ids, ARNs, bucket names) for tests that need to look things up.
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def check_ids(self) -> tuple[str, ...]:
        """The checks the estate exercises: every check id its expectations name, in order of first mention."""
        return tuple(dict.fromkeys(check_id for check_id, _ in self.expected))


@dataclass(frozen=True)
class _SageMakerEnv:
    """What the primary region's SageMaker resources are built from: client, keys, buckets, network, roles."""

    region: str
    sm: Any
    good_key: str
    bad_key: str
    good_bucket: str
    bad_bucket: str
    good_vpc: str
    bad_vpc: str
    good_subnets: list[str]
    bad_subnets: list[str]
    training_sg: str
    inference_sg: str
    studio_sg: str
    open_sg: str
    training_role: str
    inference_role: str
    studio_role: str
    bad_role: str
    training_image: str
    inference_image: str
    confidential: list[dict[str, str]]


class _Builder:
    def __init__(
        self,
        session: boto3.Session,
        regions: Sequence[str],
        hostile: bool,
        *,
        bad: bool = True,
        controls: AccountControls = "mixed",
        account_regions: Sequence[str] = (),
    ) -> None:
        if not regions:
            raise ValueError("build_aws_estate needs at least one region")
        self.session = session
        self.regions = tuple(regions)
        self.primary = self.regions[0]
        self.hostile = hostile
        # Without the bad resources the account is well configured throughout (every finding PASS).
        self.bad = bad
        self.controls = controls
        # The regions the account's controls are judged in (a scan's regions): the estate's and any more.
        self.account_regions = tuple(dict.fromkeys((*self.regions, *account_regions)))
        self.expected: dict[tuple[str, str], str] = {}
        self.ids: dict[str, str] = {}
        self.secrets: list[str] = [
            _LIFECYCLE_SECRET_KEY,
            _LIFECYCLE_HF_TOKEN,
            _MODEL_ACCESS_KEY_ID,
            _MODEL_SECRET_KEY,
            _TRAINING_PASSWORD,
            _PROCESSING_HF_TOKEN,
            _TOOL_API_TOKEN,
            _RUNTIME_OPENAI_KEY,
            _VECTOR_DB_PASSWORD,
        ]
        self._clients: dict[tuple[str, str], Any] = {}
        self.account_id = self.client("sts").get_caller_identity()["Account"]
        self.partition = "aws"

    # ------------------------------------------------------------------ utilities

    def client(self, service: str, region: str | None = None) -> Any:
        # Creating a boto3 client costs tens of milliseconds; the build would spend most of its time there.
        key = (service, region or self.primary)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1])
        return self._clients[key]

    def expect(self, check_id: str, resource_name: str, status: str) -> None:
        if not check_id.startswith("aws."):
            raise ValueError(f"not an AWS check id: {check_id}")
        previous = self.expected.get((check_id, resource_name))
        if previous is not None and previous != status:
            raise ValueError(f"conflicting expectation for {check_id} on {resource_name}")
        self.expected[(check_id, resource_name)] = status

    def sides(self) -> tuple[bool, ...]:
        """Good (True) and bad (False), or only good when the estate leaves the bad resources out."""
        return (True, False) if self.bad else (True,)

    def text(self, benign: str, index: int = 0) -> str:
        """A description: carries a hostile string when the estate is hostile."""
        if not self.hostile:
            return benign
        return f"{benign} {HOSTILE_STRINGS[index % len(HOSTILE_STRINGS)]}"

    def ec2_tags(self, name: str) -> list[dict[str, str]]:
        # EC2 tag values accept any character, so they carry the hostile payloads.
        tags = [{"Key": "Name", "Value": name}, {"Key": "team", "Value": "ml-platform"}]
        if self.hostile:
            tags += [
                {"Key": "Description", "Value": HOSTILE_STRINGS[0]},
                {"Key": "Owner", "Value": HOSTILE_STRINGS[1]},
            ]
        return tags

    @staticmethod
    def sagemaker_tags(classification: str, managed_by: str | None = "terraform") -> list[dict[str, str]]:
        # SageMaker tag values only allow letters, digits, spaces and _.:/=+-@. The good estate is Terraform's
        # (its provider's default_tags say so), but for what a CloudFormation stack serves (see good_serving_stack).
        tags = [
            {"Key": "team", "Value": "ml-platform"},
            {"Key": "DataClassification", "Value": classification},
        ]
        return tags + ([{"Key": "ManagedBy", "Value": managed_by}] if managed_by else [])

    def role_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{name}"

    # ------------------------------------------------------------------ IAM

    def build_iam(self) -> None:
        self.iam_training_role()
        self.iam_inference_role()
        self.iam_studio_role()
        if self.bad:
            self.iam_admin_role()
        self.iam_service_roles()
        self.expect_execution_roles()
        self.iam_users()

    def create_role(self, name: str, trust: dict[str, Any], description: str, max_session: int = 3600) -> None:
        self.client("iam").create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=description,
            MaxSessionDuration=max_session,
            Tags=[{"Key": "team", "Value": "ml-platform"}],
        )
        self.ids[name] = self.role_arn(name)

    def iam_training_role(self) -> None:
        good_bucket = self.ids["good_bucket"]
        self.create_role("good-training-role", _SAGEMAKER_TRUST, self.text("Training jobs only"))
        self.client("iam").put_role_policy(
            RoleName="good-training-role",
            PolicyName="training-data-access",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                            "Resource": [
                                f"arn:aws:s3:::{good_bucket}",
                                f"arn:aws:s3:::{good_bucket}/*",
                            ],
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": self.ids["good_key_arn"],
                        },
                        {
                            "Effect": "Allow",
                            "Action": [
                                "ecr:GetAuthorizationToken",
                                "ecr:BatchGetImage",
                                "ecr:GetDownloadUrlForLayer",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "ec2:CreateNetworkInterface",
                                "ec2:DescribeNetworkInterfaces",
                                "ec2:DeleteNetworkInterface",
                            ],
                            "Resource": "*",
                        },
                    ],
                }
            ),
        )

    def iam_inference_role(self) -> None:
        good_bucket = self.ids["good_bucket"]
        self.create_role("good-inference-role", _SAGEMAKER_TRUST, self.text("Inference only", 1))
        self.client("iam").put_role_policy(
            RoleName="good-inference-role",
            PolicyName="model-artifact-read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": f"arn:aws:s3:::{good_bucket}/models/*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt"],
                            "Resource": self.ids["good_key_arn"],
                        },
                    ],
                }
            ),
        )

    def iam_studio_role(self) -> None:
        good_bucket = self.ids["good_bucket"]
        self.create_role("good-studio-role", _SAGEMAKER_TRUST, self.text("Notebooks and Studio"))
        self.client("iam").put_role_policy(
            RoleName="good-studio-role",
            PolicyName="studio-read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [
                                f"arn:aws:s3:::{good_bucket}",
                                f"arn:aws:s3:::{good_bucket}/*",
                            ],
                        }
                    ],
                }
            ),
        )

    def iam_admin_role(self) -> None:
        """Bad: admin, assumable by a whole AWS account without MFA for twelve-hour sessions, shared by training and
        inference."""
        bad_trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "sts:AssumeRole",
                },
            ],
        }
        self.create_role("bad-shared-admin-role", bad_trust, self.text("Shared admin role", 1), max_session=43200)
        self.client("iam").attach_role_policy(
            RoleName="bad-shared-admin-role",
            PolicyArn=f"arn:{self.partition}:iam::aws:policy/AdministratorAccess",
        )

    def iam_service_roles(self) -> None:
        """Service roles that AWS services (not SageMaker) assume."""
        self.create_role(
            "s3-replication-role",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "S3 replication",
        )
        self.create_role(
            "aws-config-role",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "AWS Config recorder",
        )

    def expect_execution_roles(self) -> None:
        roles = [("good-training-role", PASS), ("good-inference-role", PASS), ("good-studio-role", PASS)]
        for role, status in roles + ([("bad-shared-admin-role", FAIL)] if self.bad else []):
            for check in (
                "aws.iam.execution_role_not_admin",
                "aws.iam.execution_role_trust_sagemaker_only",
                "aws.iam.role_session_duration",
                "aws.iam.deploy_export_requires_mfa",
            ):
                self.expect(check, role, status)
        self.expect("aws.iam.role_not_shared_training_inference", "good-training-role", PASS)
        self.expect("aws.iam.role_not_shared_training_inference", "good-inference-role", PASS)
        self.expect("aws.iam.training_role_cannot_deploy", "good-training-role", PASS)
        if self.bad:
            self.expect("aws.iam.role_not_shared_training_inference", "bad-shared-admin-role", FAIL)
            self.expect("aws.iam.training_role_cannot_deploy", "bad-shared-admin-role", FAIL)

    def iam_users(self) -> None:
        """One user with a long-lived key that reaches SageMaker and can deploy without MFA, one federated-style user
        without keys who deploys only with MFA."""
        if self.bad:
            self.bad_ai_user()
        self.good_ai_user()
        for check in (
            "aws.iam.user_no_access_keys_for_ai",
            "aws.iam.user_no_bedrock_api_keys",
            "aws.iam.deploy_export_requires_mfa",
        ):
            if self.bad:
                self.expect(check, "bad-ai-user", FAIL)
            self.expect(check, "good-ai-user", PASS)

    def bad_ai_user(self) -> None:
        iam = self.client("iam")
        iam.create_user(UserName="bad-ai-user", Tags=[{"Key": "team", "Value": "ml-platform"}])
        iam.put_user_policy(
            UserName="bad-ai-user",
            PolicyName="sagemaker-full",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName="bad-ai-user")["AccessKey"]
        self.secrets.append(key["SecretAccessKey"])
        # A long-term Bedrock API key that never expires (no CredentialAgeDays); its value is shown only now.
        api_key = iam.create_service_specific_credential(UserName="bad-ai-user", ServiceName="bedrock.amazonaws.com")
        self.secrets.append(api_key["ServiceSpecificCredential"]["ServiceCredentialSecret"])
        self.ids["bad_user_access_key_id"] = key["AccessKeyId"]

    def good_ai_user(self) -> None:
        iam = self.client("iam")
        iam.create_user(UserName="good-ai-user", Tags=[{"Key": "team", "Value": "ml-platform"}])
        iam.put_user_policy(
            UserName="good-ai-user",
            PolicyName="sagemaker-read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["sagemaker:Describe*", "sagemaker:List*"],
                            "Resource": "*",
                        },
                        {
                            "Sid": "DeployWithMfa",
                            "Effect": "Allow",
                            "Action": ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                            "Resource": f"arn:aws:sagemaker:*:{self.account_id}:endpoint/*",
                            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                        },
                    ],
                }
            ),
        )

    # ------------------------------------------------------------------ KMS

    def build_key(self, region: str, label: str, rotate: bool, judged: bool = True) -> str:
        """A customer managed key; `judged` when AI resources use it (the KMS checks judge only those)."""
        kms = self.client("kms", region)
        metadata = kms.create_key(
            Description=self.text(f"{label} customer managed key"),
            KeyUsage="ENCRYPT_DECRYPT",
            Tags=[{"TagKey": "team", "TagValue": "ml-platform"}]
            + ([{"TagKey": "Owner", "TagValue": HOSTILE_STRINGS[1]}] if self.hostile else []),
        )["KeyMetadata"]
        if rotate:
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        kms.create_alias(AliasName=f"alias/{label}", TargetKeyId=metadata["KeyId"])
        if judged:
            self.expect("aws.kms.key_customer_managed", metadata["KeyId"], PASS)
            self.expect("aws.kms.key_rotation_enabled", metadata["KeyId"], PASS if rotate else FAIL)
        return str(metadata["Arn"])

    # ------------------------------------------------------------------ S3

    def create_bucket(self, name: str, region: str) -> None:
        s3 = self.client("s3", region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})

    def build_buckets(self) -> None:
        good = f"good-ai-artifacts-{self.account_id}"
        replica = f"good-ai-artifacts-replica-{self.account_id}"
        bad = f"bad-ai-artifacts-{self.account_id}"
        trail = f"cloudtrail-logs-{self.account_id}"
        self.ids.update(good_bucket=good, replica_bucket=replica, trail_bucket=trail)
        replica_region = self.regions[1] if len(self.regions) > 1 else self.primary
        self.create_bucket(good, self.primary)
        self.create_bucket(replica, replica_region)
        if self.bad:
            self.ids["bad_bucket"] = bad
            self.create_bucket(bad, self.primary)
        self.create_bucket(trail, self.primary)

    def configure_buckets(self) -> None:
        self.encrypt_and_replicate_good_bucket()
        self.lock_down_good_bucket()
        if self.bad:
            # A new bucket gets Block Public Access by default; the bad bucket has had it removed.
            self.client("s3").delete_public_access_block(Bucket=self.ids["bad_bucket"])
        self.trail_bucket_policy()
        self.expect_buckets()

    def encrypt_and_replicate_good_bucket(self) -> None:
        s3 = self.client("s3")
        good, replica = self.ids["good_bucket"], self.ids["replica_bucket"]
        replica_region = self.regions[1] if len(self.regions) > 1 else self.primary
        s3.put_bucket_encryption(
            Bucket=good,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self.ids["good_key_arn"],
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        s3.put_bucket_versioning(Bucket=good, VersioningConfiguration={"Status": "Enabled"})
        self.client("s3", replica_region).put_bucket_versioning(
            Bucket=replica, VersioningConfiguration={"Status": "Enabled"}
        )
        s3.put_bucket_replication(
            Bucket=good,
            ReplicationConfiguration={
                "Role": self.role_arn("s3-replication-role"),
                "Rules": [
                    {
                        "ID": "replicate-all",
                        "Priority": 1,
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "DeleteMarkerReplication": {"Status": "Disabled"},
                        "Destination": {"Bucket": f"arn:aws:s3:::{replica}"},
                    }
                ],
            },
        )

    def lock_down_good_bucket(self) -> None:
        """Block Public Access, TLS-only bucket policy and classification tags on the good bucket."""
        s3 = self.client("s3")
        good = self.ids["good_bucket"]
        s3.put_public_access_block(
            Bucket=good,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_policy(
            Bucket=good,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [f"arn:aws:s3:::{good}", f"arn:aws:s3:::{good}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Sid": "DenyOldTls",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [f"arn:aws:s3:::{good}", f"arn:aws:s3:::{good}/*"],
                            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                        },
                    ],
                }
            ),
        )
        s3.put_bucket_tagging(
            Bucket=good,
            Tagging={
                "TagSet": [
                    {"Key": "DataClassification", "Value": "confidential"},
                    {"Key": "team", "Value": "ml-platform"},
                ]
            },
        )

    def trail_bucket_policy(self) -> None:
        s3 = self.client("s3")
        trail = self.ids["trail_bucket"]
        s3.put_bucket_policy(
            Bucket=trail,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AWSCloudTrailAclCheck",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:GetBucketAcl",
                            "Resource": f"arn:aws:s3:::{trail}",
                        },
                        {
                            "Sid": "AWSCloudTrailWrite",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{trail}/AWSLogs/{self.account_id}/*",
                            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                        },
                    ],
                }
            ),
        )

    def expect_buckets(self) -> None:
        good, bad = self.ids["good_bucket"], self.ids.get("bad_bucket", "")
        for check, good_status in (
            ("aws.s3.bucket_sse_kms", PASS),
            ("aws.s3.bucket_secure_transport", PASS),
            ("aws.s3.bucket_versioning", PASS),
            ("aws.s3.bucket_replication", PASS),
            ("aws.s3.bucket_public_access_block", PASS),
        ):
            self.expect(check, good, good_status)
            if self.bad:
                self.expect(check, bad, FAIL)

    # ------------------------------------------------------------------ EC2

    def build_network(self, region: str, suffix: str, with_endpoints: bool, cidr: str) -> dict[str, Any]:
        ec2 = self.client("ec2", region)
        vpc_name = f"{'good' if with_endpoints else 'bad'}-vpc{suffix}"
        vpc_id = ec2.create_vpc(
            CidrBlock=cidr,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": self.ec2_tags(vpc_name)}],
        )["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        base = cidr.split(".")
        subnets = []
        for index, zone in enumerate(zones):
            subnet_cidr = f"{base[0]}.{base[1]}.{index}.0/24"
            subnets.append(
                ec2.create_subnet(
                    VpcId=vpc_id,
                    CidrBlock=subnet_cidr,
                    AvailabilityZone=zone,
                    TagSpecifications=[
                        {"ResourceType": "subnet", "Tags": self.ec2_tags(f"{vpc_name}-private-{index}")}
                    ],
                )["Subnet"]["SubnetId"]
            )
        return {"vpc_id": vpc_id, "subnets": subnets, "ec2": ec2, "name": vpc_name}

    def security_group(self, network: dict[str, Any], name: str, description: str) -> str:
        ec2 = network["ec2"]
        group_id: str = ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=network["vpc_id"],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": self.ec2_tags(name)}],
        )["GroupId"]
        self.ids[name] = group_id
        return group_id

    def closed_ingress(self, network: dict[str, Any], group_id: str) -> None:
        # HTTPS only from inside the VPC: what SageMaker ENIs and VPC endpoints need.
        network["ec2"].authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "VPC internal"}],
                }
            ],
        )

    def vpc_endpoints(self, network: dict[str, Any], region: str, group_id: str) -> None:
        for service in ("sagemaker.api", "sagemaker.runtime", "bedrock", "bedrock-runtime", "bedrock-agent-runtime"):
            network["ec2"].create_vpc_endpoint(
                VpcId=network["vpc_id"],
                ServiceName=f"com.amazonaws.{region}.{service}",
                VpcEndpointType="Interface",
                SubnetIds=network["subnets"],
                SecurityGroupIds=[group_id],
                PrivateDnsEnabled=True,
                TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": self.ec2_tags(f"{service}-endpoint")}],
            )

    def build_primary_networks(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A VPC with SageMaker endpoints and closed security groups, and (with the bad resources) one open to the
        internet without."""
        good_net = self.build_network(self.primary, "", with_endpoints=True, cidr="10.0.0.0/16")
        self.ids.update(good_vpc=good_net["vpc_id"])
        training_sg = self.security_group(good_net, "good-training-sg", "Training jobs")
        inference_sg = self.security_group(good_net, "good-inference-sg", "Inference models")
        studio_sg = self.security_group(good_net, "good-studio-sg", "Studio and notebooks")
        endpoint_sg = self.security_group(good_net, "good-vpce-sg", "SageMaker interface endpoints")
        for group in (training_sg, inference_sg, studio_sg, endpoint_sg):
            self.closed_ingress(good_net, group)
        self.vpc_endpoints(good_net, self.primary, endpoint_sg)
        for check in ("aws.ec2.vpc_sagemaker_endpoints", "aws.ec2.vpc_bedrock_endpoints"):
            self.expect(check, good_net["vpc_id"], PASS)
        # A security group is named by its GroupName (its sg- id is in its uid).
        for group in ("good-training-sg", "good-inference-sg", "good-studio-sg"):
            self.expect("aws.ec2.security_group_no_public_ingress", group, PASS)
        self.expect("aws.ec2.security_group_training_inference_separation", "good-training-sg", PASS)
        self.expect("aws.ec2.security_group_training_inference_separation", "good-inference-sg", PASS)
        if not self.bad:
            return good_net, None
        bad_net = self.build_network(self.primary, "", with_endpoints=False, cidr="10.1.0.0/16")
        self.ids.update(bad_vpc=bad_net["vpc_id"])
        open_sg = self.security_group(bad_net, "bad-open-sg", "Open to the internet")
        bad_net["ec2"].authorize_security_group_ingress(
            GroupId=open_sg,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            ],
        )
        for check in ("aws.ec2.vpc_sagemaker_endpoints", "aws.ec2.vpc_bedrock_endpoints"):
            self.expect(check, bad_net["vpc_id"], FAIL)
        self.expect("aws.ec2.security_group_no_public_ingress", "bad-open-sg", FAIL)
        self.expect("aws.ec2.security_group_training_inference_separation", "bad-open-sg", FAIL)
        return good_net, bad_net

    # ------------------------------------------------------------------ SageMaker (primary region)

    def sagemaker_env(self, good_net: dict[str, Any], bad_net: dict[str, Any] | None) -> _SageMakerEnv:
        """What the primary region's resources are built from; the bad half's fields are empty without it."""
        region = self.primary
        bad = bad_net or {"vpc_id": "", "subnets": []}
        return _SageMakerEnv(
            region=region,
            sm=self.client("sagemaker", region),
            good_key=self.ids["good_key_arn"],
            bad_key=self.ids.get("bad_key_arn", ""),
            good_bucket=self.ids["good_bucket"],
            bad_bucket=self.ids.get("bad_bucket", ""),
            good_vpc=good_net["vpc_id"],
            bad_vpc=bad["vpc_id"],
            good_subnets=good_net["subnets"],
            bad_subnets=bad["subnets"],
            training_sg=self.ids["good-training-sg"],
            inference_sg=self.ids["good-inference-sg"],
            studio_sg=self.ids["good-studio-sg"],
            open_sg=self.ids.get("bad-open-sg", ""),
            training_role=self.role_arn("good-training-role"),
            inference_role=self.role_arn("good-inference-role"),
            studio_role=self.role_arn("good-studio-role"),
            bad_role=self.role_arn("bad-shared-admin-role"),
            training_image=_IMAGE.format(region=region),
            inference_image=_INFERENCE_IMAGE.format(region=region),
            confidential=self.sagemaker_tags("confidential"),
        )

    def build_sagemaker(self, good_net: dict[str, Any], bad_net: dict[str, Any] | None) -> None:
        env = self.sagemaker_env(good_net, bad_net)
        self.sagemaker_lifecycle_configs(env)
        self.sagemaker_notebooks(env)
        self.sagemaker_domains(env)
        packages = self.sagemaker_model_registry(env)
        self.sagemaker_models(env, packages)
        self.sagemaker_endpoint_configs(env)
        self.sagemaker_endpoints(env)
        self.sagemaker_training_jobs(env)
        self.sagemaker_processing_jobs(env)
        self.sagemaker_transform_jobs(env)
        self.sagemaker_feature_groups(env)
        self.sagemaker_clusters(env)

    def sagemaker_lifecycle_configs(self, env: _SageMakerEnv) -> None:
        """Notebook lifecycle configs: a clean start script and one that exports credentials."""
        good_script = "#!/bin/bash\nset -euo pipefail\nsudo -u ec2-user -i pip install --quiet pandas==2.2.2\n"
        bad_script = (
            "#!/bin/bash\n"
            "export AWS_ACCESS_KEY_ID=AKIA" + "Q" * 16 + "\n"
            f"export AWS_SECRET_ACCESS_KEY={_LIFECYCLE_SECRET_KEY}\n"
            f"export HF_TOKEN={_LIFECYCLE_HF_TOKEN}\n"
            "huggingface-cli login --token $HF_TOKEN\n"
        )
        self.secrets.append("AKIA" + "Q" * 16)
        scripts = (("good-notebook-lifecycle", good_script, PASS), ("bad-notebook-lifecycle", bad_script, FAIL))
        for name, script, status in scripts[: 2 if self.bad else 1]:
            env.sm.create_notebook_instance_lifecycle_config(
                NotebookInstanceLifecycleConfigName=name,
                OnStart=[{"Content": base64.b64encode(script.encode()).decode()}],
            )
            self.expect("aws.sagemaker.no_secrets_in_configuration", name, status)

    def sagemaker_notebooks(self, env: _SageMakerEnv) -> None:
        env.sm.create_notebook_instance(
            NotebookInstanceName="good-notebook",
            InstanceType="ml.t3.medium",
            RoleArn=env.studio_role,
            SubnetId=env.good_subnets[0],
            SecurityGroupIds=[env.studio_sg],
            KmsKeyId=env.good_key,
            LifecycleConfigName="good-notebook-lifecycle",
            DirectInternetAccess="Disabled",
            RootAccess="Disabled",
            Tags=env.confidential,
        )
        self.expect_notebook("good-notebook", PASS)
        if not self.bad:
            return
        env.sm.create_notebook_instance(
            NotebookInstanceName="bad-notebook",
            InstanceType="ml.t3.medium",
            RoleArn=env.bad_role,
            LifecycleConfigName="bad-notebook-lifecycle",
        )
        self.expect_notebook("bad-notebook", FAIL)

    def sagemaker_domains(self, env: _SageMakerEnv) -> None:
        """Studio domains and their user profiles."""
        good_domain = env.sm.create_domain(
            DomainName="good-domain",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": env.studio_role, "SecurityGroups": [env.studio_sg]},
            SubnetIds=env.good_subnets,
            VpcId=env.good_vpc,
            AppNetworkAccessType="VpcOnly",
            KmsKeyId=env.good_key,
            Tags=env.confidential,
        )["DomainArn"]
        good_domain_id = good_domain.rsplit("/", 1)[1]
        self.ids.update(good_domain_id=good_domain_id)
        env.sm.create_user_profile(
            DomainId=good_domain_id,
            UserProfileName="good-user-profile",
            UserSettings={"ExecutionRole": env.studio_role, "SecurityGroups": [env.studio_sg]},
            Tags=env.confidential,
        )
        self.expect("aws.sagemaker.domain_vpc_only", "good-domain", PASS)
        self.expect("aws.sagemaker.domain_kms_encryption", "good-domain", PASS)
        if not self.bad:
            return
        bad_domain = env.sm.create_domain(
            DomainName="bad-domain",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": env.bad_role, "SecurityGroups": [env.open_sg]},
            SubnetIds=env.bad_subnets,
            VpcId=env.bad_vpc,
            AppNetworkAccessType="PublicInternetOnly",
        )["DomainArn"]
        bad_domain_id = bad_domain.rsplit("/", 1)[1]
        self.ids.update(bad_domain_id=bad_domain_id)
        env.sm.create_user_profile(
            DomainId=bad_domain_id,
            UserProfileName="bad-user-profile",
            UserSettings={"ExecutionRole": env.bad_role},
        )
        self.expect("aws.sagemaker.domain_vpc_only", "bad-domain", FAIL)
        self.expect("aws.sagemaker.domain_kms_encryption", "bad-domain", FAIL)

    def sagemaker_model_registry(self, env: _SageMakerEnv) -> dict[str, str]:
        """Model registry: one approved and one pending package; returns their ARNs by approval status."""
        env.sm.create_model_package_group(
            ModelPackageGroupName="ai-model-registry",
            ModelPackageGroupDescription=self.text("Fraud models"),
            Tags=env.confidential,
        )
        packages: dict[str, str] = {}
        # The approved version is what good-training-job wrote (S3OutputPath/<job>/output/model.tar.gz): its lineage.
        artifacts = {
            "Approved": f"s3://{env.good_bucket}/training-output/good-training-job/output/model.tar.gz",
            "PendingManualApproval": f"s3://{env.good_bucket}/models/fraud/pendingmanualapproval/model.tar.gz",
        }
        for status in ("Approved", "PendingManualApproval"):
            packages[status] = env.sm.create_model_package(
                ModelPackageGroupName="ai-model-registry",
                ModelPackageDescription=self.text(f"fraud model ({status})", 1),
                ModelApprovalStatus=status,
                InferenceSpecification={
                    "Containers": [
                        {
                            "Image": env.inference_image,
                            "ModelDataUrl": artifacts[status],
                        }
                    ],
                    "SupportedContentTypes": ["application/json"],
                    "SupportedResponseMIMETypes": ["application/json"],
                },
            )["ModelPackageArn"]
        self.ids.update(approved_package=packages["Approved"], pending_package=packages["PendingManualApproval"])
        return packages

    def sagemaker_models(self, env: _SageMakerEnv, packages: dict[str, str]) -> None:
        env.sm.create_model(
            ModelName="good-model",
            ExecutionRoleArn=env.inference_role,
            PrimaryContainer={
                "ModelPackageName": packages["Approved"],
                "Environment": {"SAGEMAKER_CONTAINER_LOG_LEVEL": "20"},
            },
            VpcConfig={"SecurityGroupIds": [env.inference_sg], "Subnets": env.good_subnets},
            EnableNetworkIsolation=True,
            Tags=env.confidential,
        )
        if self.bad:
            self.bad_models(env, packages)
        for model, isolation, in_vpc, approved, secrets in (
            ("good-model", PASS, PASS, PASS, PASS),
            *(
                (
                    ("bad-model", FAIL, FAIL, FAIL, FAIL),
                    ("bad-pending-package-model", PASS, PASS, FAIL, None),
                    ("bad-shared-sg-model", PASS, PASS, FAIL, None),
                )
                if self.bad
                else ()
            ),
        ):
            self.expect("aws.sagemaker.model_network_isolation", model, isolation)
            self.expect("aws.sagemaker.model_in_vpc", model, in_vpc)
            self.expect("aws.sagemaker.model_from_approved_package", model, approved)
            if secrets is not None:
                self.expect("aws.sagemaker.no_secrets_in_configuration", model, secrets)

    def bad_models(self, env: _SageMakerEnv, packages: dict[str, str]) -> None:
        env.sm.create_model(
            ModelName="bad-model",
            ExecutionRoleArn=env.bad_role,
            PrimaryContainer={
                "Image": env.inference_image,
                # What bad-training-job wrote: the model's lineage leads to that job.
                "ModelDataUrl": f"s3://{env.bad_bucket}/training-output/bad-training-job/output/model.tar.gz",
                "Environment": {
                    "AWS_ACCESS_KEY_ID": _MODEL_ACCESS_KEY_ID,
                    "AWS_SECRET_ACCESS_KEY": _MODEL_SECRET_KEY,
                },
            },
        )
        env.sm.create_model(
            ModelName="bad-pending-package-model",
            ExecutionRoleArn=env.inference_role,
            PrimaryContainer={"ModelPackageName": packages["PendingManualApproval"]},
            VpcConfig={"SecurityGroupIds": [env.inference_sg], "Subnets": env.good_subnets},
            EnableNetworkIsolation=True,
        )
        # Inference half of the security-group sharing scenario (see the training job below).
        env.sm.create_model(
            ModelName="bad-shared-sg-model",
            ExecutionRoleArn=env.inference_role,
            PrimaryContainer={
                "Image": env.inference_image,
                "ModelDataUrl": f"s3://{env.good_bucket}/models/shared/model.tar.gz",
            },
            VpcConfig={"SecurityGroupIds": [env.open_sg], "Subnets": env.bad_subnets},
            EnableNetworkIsolation=True,
        )

    def good_serving_stack(self, env: _SageMakerEnv) -> None:
        """The good endpoint and its config come from a CloudFormation stack (as a CDK or SAM deployment makes
        them): AWS tags both with the stack's aws:cloudformation:stack-id."""
        tags = self.sagemaker_tags("confidential", managed_by=None)
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "ServingConfig": {
                    "Type": "AWS::SageMaker::EndpointConfig",
                    "Properties": {
                        "EndpointConfigName": "good-endpoint-config",
                        "ProductionVariants": [
                            {
                                "VariantName": "primary",
                                "ModelName": "good-model",
                                "InitialInstanceCount": 2,
                                "InstanceType": "ml.m5.xlarge",
                                "InitialVariantWeight": 1.0,
                            }
                        ],
                        "KmsKeyId": env.good_key,
                        "DataCaptureConfig": {
                            "EnableCapture": True,
                            "InitialSamplingPercentage": 20,
                            "DestinationS3Uri": f"s3://{env.good_bucket}/data-capture/",
                            "KmsKeyId": env.good_key,
                            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                        },
                        "Tags": tags,
                    },
                },
                "ServingEndpoint": {
                    "Type": "AWS::SageMaker::Endpoint",
                    "DependsOn": "ServingConfig",
                    "Properties": {
                        "EndpointName": "good-endpoint",
                        "EndpointConfigName": "good-endpoint-config",
                        "Tags": tags,
                    },
                },
            },
        }
        stack = self.client("cloudformation", env.region).create_stack(
            StackName="good-serving-stack", TemplateBody=json.dumps(template)
        )
        self.ids["serving_stack_id"] = stack["StackId"]

    def sagemaker_endpoint_configs(self, env: _SageMakerEnv) -> None:
        self.good_serving_stack(env)
        self.expect("aws.sagemaker.endpoint_config_kms_encryption", "good-endpoint-config", PASS)
        self.expect("aws.sagemaker.endpoint_config_instance_redundancy", "good-endpoint-config", PASS)
        if not self.bad:
            return
        env.sm.create_endpoint_config(
            EndpointConfigName="bad-endpoint-config",
            ProductionVariants=[
                {
                    "VariantName": "primary",
                    "ModelName": "bad-model",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                }
            ],
        )
        self.expect("aws.sagemaker.endpoint_config_kms_encryption", "bad-endpoint-config", FAIL)
        self.expect("aws.sagemaker.endpoint_config_instance_redundancy", "bad-endpoint-config", FAIL)

    def sagemaker_endpoints(self, env: _SageMakerEnv) -> None:
        """The bad endpoint (the good one is the serving stack's), and the data-quality monitor of the good one."""
        if self.bad:
            env.sm.create_endpoint(EndpointName="bad-endpoint", EndpointConfigName="bad-endpoint-config")

        env.sm.create_data_quality_job_definition(
            JobDefinitionName="good-endpoint-data-quality",
            DataQualityAppSpecification={
                "ImageUri": f"156813124566.dkr.ecr.{env.region}.amazonaws.com/sagemaker-model-monitor-analyzer"
            },
            DataQualityJobInput={
                "EndpointInput": {"EndpointName": "good-endpoint", "LocalPath": "/opt/ml/processing/input"}
            },
            DataQualityJobOutputConfig={
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "S3Uri": f"s3://{env.good_bucket}/monitoring/",
                            "LocalPath": "/opt/ml/processing/output",
                        }
                    }
                ],
                "KmsKeyId": env.good_key,
            },
            JobResources={
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                    "VolumeSizeInGB": 20,
                    "VolumeKmsKeyId": env.good_key,
                }
            },
            NetworkConfig={
                "EnableInterContainerTrafficEncryption": True,
                "EnableNetworkIsolation": True,
                "VpcConfig": {"SecurityGroupIds": [env.inference_sg], "Subnets": env.good_subnets},
            },
            RoleArn=env.inference_role,
            StoppingCondition={"MaxRuntimeInSeconds": 1800},
        )
        env.sm.create_monitoring_schedule(
            MonitoringScheduleName="good-endpoint-monitor",
            MonitoringScheduleConfig={
                "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                "MonitoringJobDefinitionName": "good-endpoint-data-quality",
                "MonitoringType": "DataQuality",
            },
            Tags=env.confidential,
        )
        for check in ("aws.sagemaker.endpoint_data_capture", "aws.sagemaker.endpoint_monitoring_schedule"):
            self.expect(check, "good-endpoint", PASS)
            if self.bad:
                self.expect(check, "bad-endpoint", FAIL)

    def sagemaker_training_jobs(self, env: _SageMakerEnv) -> None:
        env.sm.create_training_job(
            TrainingJobName="good-training-job",
            AlgorithmSpecification={"TrainingImage": env.training_image, "TrainingInputMode": "File"},
            RoleArn=env.training_role,
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://{env.good_bucket}/datasets/fraud/train/",
                            "S3DataDistributionType": "ShardedByS3Key",
                        }
                    },
                }
            ],
            OutputDataConfig={"S3OutputPath": f"s3://{env.good_bucket}/training-output/", "KmsKeyId": env.good_key},
            ResourceConfig={
                "InstanceType": "ml.p3.2xlarge",
                "InstanceCount": 2,
                "VolumeSizeInGB": 100,
                "VolumeKmsKeyId": env.good_key,
            },
            VpcConfig={"SecurityGroupIds": [env.training_sg], "Subnets": env.good_subnets},
            StoppingCondition={"MaxRuntimeInSeconds": 86400},
            EnableNetworkIsolation=True,
            EnableInterContainerTrafficEncryption=True,
            Environment={"EPOCHS": "20", "LOG_LEVEL": "info"},
            RetryStrategy={"MaximumRetryAttempts": 2},
            Tags=env.confidential,
        )
        for check in TRAINING_JOB_CHECKS:
            self.expect(check, "good-training-job", PASS)
        if self.bad:
            self.bad_training_jobs(env)

    def bad_training_jobs(self, env: _SageMakerEnv) -> None:
        env.sm.create_training_job(
            TrainingJobName="bad-training-job",
            AlgorithmSpecification={"TrainingImage": env.training_image, "TrainingInputMode": "File"},
            RoleArn=env.bad_role,
            OutputDataConfig={"S3OutputPath": f"s3://{env.bad_bucket}/training-output/"},
            ResourceConfig={"InstanceType": "ml.p3.2xlarge", "InstanceCount": 2, "VolumeSizeInGB": 100},
            StoppingCondition={"MaxRuntimeInSeconds": 86400},
            Environment={"DB_USER": "trainer", "DB_PASSWORD": _TRAINING_PASSWORD},
        )
        # Training half of the sharing scenario: it sits in bad-open-sg with bad-shared-sg-model,
        # and encrypts with the key whose rotation is off.
        env.sm.create_training_job(
            TrainingJobName="bad-shared-sg-training-job",
            AlgorithmSpecification={"TrainingImage": env.training_image, "TrainingInputMode": "File"},
            RoleArn=env.training_role,
            OutputDataConfig={"S3OutputPath": f"s3://{env.good_bucket}/training-output/", "KmsKeyId": env.bad_key},
            ResourceConfig={
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 50,
                "VolumeKmsKeyId": env.bad_key,
            },
            VpcConfig={"SecurityGroupIds": [env.open_sg], "Subnets": env.bad_subnets},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            EnableNetworkIsolation=True,
        )
        for check in TRAINING_JOB_CHECKS:
            self.expect(check, "bad-training-job", FAIL)
        self.expect("aws.sagemaker.training_job_in_vpc", "bad-shared-sg-training-job", PASS)
        self.expect("aws.sagemaker.training_job_network_isolation", "bad-shared-sg-training-job", PASS)

    def sagemaker_processing_jobs(self, env: _SageMakerEnv) -> None:
        env.sm.create_processing_job(
            ProcessingJobName="good-processing-job",
            ProcessingResources={
                "ClusterConfig": {
                    "InstanceCount": 2,
                    "InstanceType": "ml.m5.xlarge",
                    "VolumeSizeInGB": 50,
                    "VolumeKmsKeyId": env.good_key,
                }
            },
            AppSpecification={"ImageUri": env.training_image, "ContainerEntrypoint": ["python3", "preprocess.py"]},
            RoleArn=env.training_role,
            Environment={"STAGE": "preprocess"},
            NetworkConfig={
                "EnableInterContainerTrafficEncryption": True,
                "EnableNetworkIsolation": True,
                "VpcConfig": {"SecurityGroupIds": [env.training_sg], "Subnets": env.good_subnets},
            },
            ProcessingInputs=[
                {
                    "InputName": "raw",
                    "S3Input": {
                        "S3Uri": f"s3://{env.good_bucket}/datasets/fraud/raw/",
                        "LocalPath": "/opt/ml/processing/input",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            ProcessingOutputConfig={
                "Outputs": [
                    {
                        "OutputName": "features",
                        "S3Output": {
                            "S3Uri": f"s3://{env.good_bucket}/datasets/fraud/features/",
                            "LocalPath": "/opt/ml/processing/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ],
                "KmsKeyId": env.good_key,
            },
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            Tags=env.confidential,
        )
        checks = (
            "aws.sagemaker.processing_job_in_vpc",
            "aws.sagemaker.processing_job_network_isolation",
            "aws.sagemaker.processing_job_encryption",
            "aws.sagemaker.no_secrets_in_configuration",
        )
        for check in checks:
            self.expect(check, "good-processing-job", PASS)
        if not self.bad:
            return
        env.sm.create_processing_job(
            ProcessingJobName="bad-processing-job",
            ProcessingResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 50}
            },
            AppSpecification={"ImageUri": env.training_image, "ContainerEntrypoint": ["python3", "preprocess.py"]},
            RoleArn=env.bad_role,
            Environment={"HF_TOKEN": _PROCESSING_HF_TOKEN},
            ProcessingOutputConfig={
                "Outputs": [
                    {
                        "OutputName": "features",
                        "S3Output": {
                            "S3Uri": f"s3://{env.bad_bucket}/datasets/features/",
                            "LocalPath": "/opt/ml/processing/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
        for check in checks:
            self.expect(check, "bad-processing-job", FAIL)

    def sagemaker_transform_jobs(self, env: _SageMakerEnv) -> None:
        env.sm.create_transform_job(
            TransformJobName="good-transform-job",
            ModelName="good-model",
            TransformInput={
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{env.good_bucket}/batch/input/"}
                },
                "ContentType": "application/json",
            },
            TransformOutput={"S3OutputPath": f"s3://{env.good_bucket}/batch/output/", "KmsKeyId": env.good_key},
            TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeKmsKeyId": env.good_key},
            Environment={"BATCH_SIZE": "64"},
            Tags=env.confidential,
        )
        self.expect("aws.sagemaker.transform_job_encryption", "good-transform-job", PASS)
        if not self.bad:
            return
        env.sm.create_transform_job(
            TransformJobName="bad-transform-job",
            ModelName="bad-model",
            TransformInput={
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{env.bad_bucket}/batch/input/"}
                }
            },
            TransformOutput={"S3OutputPath": f"s3://{env.bad_bucket}/batch/output/"},
            TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        )
        self.expect("aws.sagemaker.transform_job_encryption", "bad-transform-job", FAIL)

    def sagemaker_feature_groups(self, env: _SageMakerEnv) -> None:
        """Feature groups (no check ids of their own yet; collected for relations and tags)."""
        definitions = [
            {"FeatureName": "transaction_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "String"},
            {"FeatureName": "amount", "FeatureType": "Fractional"},
        ]
        env.sm.create_feature_group(
            FeatureGroupName="good-feature-group",
            RecordIdentifierFeatureName="transaction_id",
            EventTimeFeatureName="event_time",
            FeatureDefinitions=definitions,
            OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": env.good_key}},
            OfflineStoreConfig={
                "S3StorageConfig": {"S3Uri": f"s3://{env.good_bucket}/feature-store/", "KmsKeyId": env.good_key}
            },
            RoleArn=env.training_role,
            Description=self.text("Fraud features"),
            Tags=env.confidential,
        )
        if not self.bad:
            return
        # The bad group's offline store uses the AWS managed key: encrypted, but not with a key
        # the account controls (the one FAIL for aws.kms.key_customer_managed).
        aws_key = self.client("kms", env.region).describe_key(KeyId="alias/aws/sagemaker")["KeyMetadata"]
        self.ids["aws_managed_key_arn"] = aws_key["Arn"]
        self.expect("aws.kms.key_customer_managed", aws_key["KeyId"], FAIL)
        env.sm.create_feature_group(
            FeatureGroupName="bad-feature-group",
            RecordIdentifierFeatureName="transaction_id",
            EventTimeFeatureName="event_time",
            FeatureDefinitions=definitions,
            OnlineStoreConfig={"EnableOnlineStore": True},
            OfflineStoreConfig={
                "S3StorageConfig": {"S3Uri": f"s3://{env.bad_bucket}/feature-store/", "KmsKeyId": aws_key["Arn"]}
            },
            RoleArn=env.bad_role,
            Description=self.text("Unencrypted features", 1),
        )

    def sagemaker_clusters(self, env: _SageMakerEnv) -> None:
        """HyperPod clusters: one whose nodes sit in the good VPC, one left on the service network."""
        clusters = (
            ("good-hyperpod-cluster", {"SecurityGroupIds": [env.training_sg], "Subnets": env.good_subnets}),
            ("bad-hyperpod-cluster", None),
        )
        for name, vpc in clusters[: 2 if self.bad else 1]:
            group = {
                "InstanceGroupName": "workers",
                "InstanceType": "ml.p5.48xlarge",
                "InstanceCount": 2,
                "LifeCycleConfig": {
                    "SourceS3Uri": "s3://sagemaker-hyperpod-lifecycle/scripts/",
                    "OnCreate": "on_create.sh",
                },
                "ExecutionRole": env.training_role if vpc else env.bad_role,
                "ThreadsPerCore": 1,
            }
            extra = {"VpcConfig": vpc} if vpc else {}
            tags = env.confidential if vpc else self.sagemaker_tags("confidential", managed_by=None)
            env.sm.create_cluster(ClusterName=name, InstanceGroups=[group], Tags=tags, **extra)
            self.expect("aws.sagemaker.cluster_in_vpc", name, PASS if vpc else FAIL)

    def expect_notebook(self, name: str, status: str) -> None:
        for check in (
            "aws.sagemaker.notebook_direct_internet_access",
            "aws.sagemaker.notebook_in_vpc",
            "aws.sagemaker.notebook_root_access",
            "aws.sagemaker.notebook_kms_encryption",
        ):
            self.expect(check, name, status)

    # ------------------------------------------------------------------ Bedrock and AgentCore (primary region)

    def build_bedrock(self, env: _SageMakerEnv) -> None:
        """Good and bad Bedrock and AgentCore resources in the first region; the second region only calls models."""
        self.bedrock_roles()
        guardrail = self.bedrock_guardrails()
        self.bedrock_settings(env, guardrail)
        self.bedrock_models(env)
        self.bedrock_agents(env, guardrail)
        self.bedrock_knowledge_bases(env)
        self.agentcore(env)
        self.bedrock_secondary_region()

    def bedrock_roles(self) -> None:
        """One role per service that runs as it: Bedrock, AgentCore, and the agent's Lambda tool."""
        for name, service, description in (
            ("good-bedrock-role", "bedrock.amazonaws.com", "Bedrock agent, knowledge base and customization"),
            ("good-agentcore-role", "bedrock-agentcore.amazonaws.com", "AgentCore runtime, gateway and memory"),
            ("good-agent-tool-role", "lambda.amazonaws.com", "The agent's order lookup tool"),
        ):
            trust = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
            }
            self.create_role(name, trust, self.text(description))
            self.client("iam").put_role_policy(
                RoleName=name,
                PolicyName="scoped",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["bedrock:InvokeModel", "s3:GetObject", "kms:Decrypt"],
                                "Resource": [
                                    f"arn:aws:bedrock:{self.primary}::foundation-model/*",
                                    f"arn:aws:s3:::{self.ids['good_bucket']}/*",
                                    self.ids["good_key_arn"],
                                ],
                            }
                        ],
                    }
                ),
            )
            for check in (
                "aws.iam.execution_role_not_admin",
                "aws.iam.execution_role_trust_sagemaker_only",
                "aws.iam.role_session_duration",
                "aws.iam.deploy_export_requires_mfa",
            ):
                self.expect(check, name, PASS)
        self.expect("aws.iam.role_not_shared_across_agents", "good-bedrock-role", PASS)
        if self.bad:
            self.expect("aws.iam.role_not_shared_across_agents", "bad-shared-admin-role", FAIL)

    def bedrock_guardrails(self) -> str:
        """A guardrail with strong filters (enforced on the region), and one that screens little."""
        strong = [
            {"type": t, "inputStrength": "HIGH", "outputStrength": "HIGH"}
            for t in ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
        ] + [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]
        bedrock = self.client("bedrock")
        good = bedrock.create_guardrail(
            name="good-guardrail",
            description=self.text("Screens the support agent"),
            contentPolicyConfig={"filtersConfig": strong},
            sensitiveInformationPolicyConfig={
                "piiEntitiesConfig": [
                    {"type": "AWS_SECRET_KEY", "action": "BLOCK"},
                    {"type": "EMAIL", "action": "ANONYMIZE"},
                ]
            },
            blockedInputMessaging="Sorry, I cannot help with that.",
            blockedOutputsMessaging="Sorry, I cannot answer that.",
            kmsKeyId=self.ids["good_key_arn"],
            tags=[{"key": "team", "value": "ml-platform"}, *_TERRAFORM_TAGS],
        )
        checks = (
            "aws.bedrock.guardrail_prompt_attack_filter",
            "aws.bedrock.guardrail_content_filters",
            "aws.bedrock.guardrail_sensitive_information_filter",
        )
        for check in checks:
            self.expect(check, "good-guardrail", PASS)
        if not self.bad:
            return str(good["guardrailId"])
        bedrock.create_guardrail(
            name="bad-guardrail",
            contentPolicyConfig={
                "filtersConfig": [
                    {"type": "HATE", "inputStrength": "LOW", "outputStrength": "LOW"},
                    {"type": "PROMPT_ATTACK", "inputStrength": "LOW", "outputStrength": "NONE"},
                ]
            },
            blockedInputMessaging="Blocked.",
            blockedOutputsMessaging="Blocked.",
        )
        for check in checks:
            self.expect(check, "bad-guardrail", FAIL)
        return str(good["guardrailId"])

    def bedrock_settings(self, env: _SageMakerEnv, guardrail: str) -> None:
        """The first region logs prompts and responses to KMS-encrypted, private destinations and enforces a
        guardrail on every model call."""
        logs = self.client("logs")
        logs.create_log_group(logGroupName="/aws/bedrock/invocations", kmsKeyId=env.good_key)
        bedrock = self.client("bedrock")
        bedrock.put_model_invocation_logging_configuration(
            loggingConfig={
                "cloudWatchConfig": {
                    "logGroupName": "/aws/bedrock/invocations",
                    "roleArn": self.role_arn("good-bedrock-role"),
                },
                "s3Config": {"bucketName": env.good_bucket, "keyPrefix": "bedrock-invocations/"},
                "textDataDeliveryEnabled": True,
                "imageDataDeliveryEnabled": True,
                "embeddingDataDeliveryEnabled": True,
            }
        )
        bedrock.put_enforced_guardrail_configuration(
            guardrailInferenceConfig={"guardrailIdentifier": guardrail, "guardrailVersion": "1"}
        )

    def bedrock_models(self, env: _SageMakerEnv) -> None:
        """Customization jobs (and the custom models they make), imported models, provisioned throughput, and
        application inference profiles."""
        bedrock = self.client("bedrock")
        for good in self.sides():
            prefix = "good" if good else "bad"
            extra: dict[str, Any] = (
                {
                    "customModelKmsKeyId": env.good_key,
                    "vpcConfig": {"subnetIds": env.good_subnets, "securityGroupIds": [env.training_sg]},
                }
                if good
                else {}
            )
            bucket = env.good_bucket if good else env.bad_bucket
            bedrock.create_model_customization_job(
                jobName=f"{prefix}-customization-job",
                customModelName=f"{prefix}-custom-model",
                roleArn=self.role_arn("good-bedrock-role") if good else env.bad_role,
                baseModelIdentifier="amazon.titan-text-express-v1",
                trainingDataConfig={"s3Uri": f"s3://{bucket}/bedrock/train.jsonl"},
                outputDataConfig={"s3Uri": f"s3://{bucket}/bedrock/output/"},
                hyperParameters={"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"},
                **extra,
            )
            bedrock.create_model_import_job(
                jobName=f"{prefix}-import-job",
                importedModelName=f"{prefix}-imported-model",
                roleArn=self.role_arn("good-bedrock-role") if good else env.bad_role,
                modelDataSource={"s3DataSource": {"s3Uri": f"s3://{bucket}/weights/llama/"}},
                **({"importedModelKmsKeyId": env.good_key} if good else {}),
            )
            bedrock.create_provisioned_model_throughput(
                modelUnits=1,
                provisionedModelName=f"{prefix}-provisioned-throughput",
                modelId=f"{prefix}-custom-model",
                **({"tags": list(_TERRAFORM_TAGS)} if good else {}),
            )
            status = PASS if good else FAIL
            self.expect("aws.bedrock.custom_model_kms_encryption", f"{prefix}-custom-model", status)
            self.expect("aws.bedrock.customization_job_in_vpc", f"{prefix}-customization-job", status)
            self.expect("aws.bedrock.imported_model_kms_encryption", f"{prefix}-imported-model", status)
            self.expect(
                "aws.bedrock.provisioned_throughput_model_kms_encryption", f"{prefix}-provisioned-throughput", status
            )
        model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
        profiles = (
            ("good-inference-profile", f"arn:aws:bedrock:{self.primary}::foundation-model/{model}"),
            # A US cross-region profile: requests also go to us-east-2 and us-west-2.
            ("bad-inference-profile", f"arn:aws:bedrock:{self.primary}:{self.account_id}:inference-profile/us.{model}"),
        )
        for (name, source), good in zip(profiles, self.sides(), strict=False):
            bedrock.create_inference_profile(
                inferenceProfileName=name,
                modelSource={"copyFrom": source},
                **({"tags": list(_TERRAFORM_TAGS)} if good else {}),
            )
            self.expect("aws.bedrock.inference_profile_allowed_regions", name, PASS if good else FAIL)

    def agent_tool(self, name: str, role: str, environment: dict[str, str]) -> str:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return {'orders': []}\n")
        return str(
            self.client("lambda").create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": buffer.getvalue()},
                Environment={"Variables": environment},
            )["FunctionArn"]
        )

    def bedrock_agents(self, env: _SageMakerEnv, guardrail: str) -> None:
        """An agent screened by the good guardrail, under a customer key, with a clean tool; one with none of it,
        hour-long idle sessions and a tool holding an API token."""
        agents = self.client("bedrock-agent")
        good_tool = self.agent_tool(
            "good-agent-tool", self.role_arn("good-agent-tool-role"), {"ORDERS_TABLE": "orders"}
        )
        good = agents.create_agent(
            agentName="good-agent",
            agentResourceRoleArn=self.role_arn("good-bedrock-role"),
            foundationModel="anthropic.claude-3-5-sonnet-20240620-v1:0",
            instruction="Answer questions about orders with the order lookup tool.",
            description=self.text("Support agent"),
            customerEncryptionKeyArn=env.good_key,
            idleSessionTTLInSeconds=600,
            guardrailConfiguration={"guardrailIdentifier": guardrail, "guardrailVersion": "1"},
            tags={"team": "ml-platform", "ManagedBy": "terraform"},
        )["agent"]["agentId"]
        built = [(good, good_tool)]
        if self.bad:
            bad_tool = self.agent_tool("bad-agent-tool", env.bad_role, {"CRM_API_TOKEN": _TOOL_API_TOKEN})
            bad = agents.create_agent(
                agentName="bad-agent",
                agentResourceRoleArn=env.bad_role,
                foundationModel="anthropic.claude-3-5-sonnet-20240620-v1:0",
                instruction="Answer any question a caller asks, about anything at all.",
                idleSessionTTLInSeconds=3600,
            )["agent"]["agentId"]
            built.append((bad, bad_tool))
        for agent_id, tool in built:
            agents.create_agent_action_group(
                agentId=agent_id,
                agentVersion="DRAFT",
                actionGroupName="order-lookup",
                actionGroupExecutor={"lambda": tool},
                functionSchema={"functions": [{"name": "get_order", "parameters": {}}]},
            )
        for check in (
            "aws.bedrock.agent_guardrail",
            "aws.bedrock.agent_kms_encryption",
            "aws.bedrock.agent_idle_session_ttl",
        ):
            self.expect(check, "good-agent", PASS)
            if self.bad:
                self.expect(check, "bad-agent", FAIL)
        self.expect("aws.bedrock.no_secrets_in_configuration", "good-agent-tool", PASS)
        if self.bad:
            self.expect("aws.bedrock.no_secrets_in_configuration", "bad-agent-tool", FAIL)

    def bedrock_knowledge_bases(self, env: _SageMakerEnv) -> None:
        """Knowledge bases over the classified, keyed bucket and an encrypted Aurora store, and over the bad
        bucket with an unencrypted store."""
        rds, agents = self.client("rds"), self.client("bedrock-agent")
        embeddings = f"arn:aws:bedrock:{self.primary}::foundation-model/amazon.titan-embed-text-v2:0"
        secrets = f"arn:aws:secretsmanager:{self.primary}:{self.account_id}:secret"
        for good in self.sides():
            prefix = "good" if good else "bad"
            cluster = rds.create_db_cluster(
                DBClusterIdentifier=f"{prefix}-kb-vectors",
                Engine="aurora-postgresql",
                MasterUsername="kbadmin",
                MasterUserPassword=_VECTOR_DB_PASSWORD,
                StorageEncrypted=good,
                **({"KmsKeyId": env.good_key} if good else {}),
            )["DBCluster"]["DBClusterArn"]
            kb_id = agents.create_knowledge_base(
                name=f"{prefix}-knowledge-base",
                roleArn=self.role_arn("good-bedrock-role") if good else env.bad_role,
                knowledgeBaseConfiguration={
                    "type": "VECTOR",
                    "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": embeddings},
                },
                storageConfiguration={
                    "type": "RDS",
                    "rdsConfiguration": {
                        "resourceArn": cluster,
                        "credentialsSecretArn": f"{secrets}:{prefix}-kb",
                        "databaseName": "kb",
                        "tableName": "bedrock_integration.bedrock_kb",
                        "fieldMapping": {
                            "primaryKeyField": "id",
                            "vectorField": "embedding",
                            "textField": "chunks",
                            "metadataField": "metadata",
                        },
                    },
                },
                **({"tags": {"ManagedBy": "terraform"}} if good else {}),
            )["knowledgeBase"]["knowledgeBaseId"]
            bucket = env.good_bucket if good else env.bad_bucket
            agents.create_data_source(
                knowledgeBaseId=kb_id,
                name=f"{prefix}-documents",
                dataSourceConfiguration={"type": "S3", "s3Configuration": {"bucketArn": f"arn:aws:s3:::{bucket}"}},
                **({"serverSideEncryptionConfiguration": {"kmsKeyArn": env.good_key}} if good else {}),
            )
            for check in (
                "aws.bedrock.knowledge_base_data_source_kms_encryption",
                "aws.bedrock.knowledge_base_sources_classified",
                "aws.bedrock.knowledge_base_vector_store_encryption",
            ):
                self.expect(check, f"{prefix}-knowledge-base", PASS if good else FAIL)

    def agentcore(self, env: _SageMakerEnv) -> None:
        """AgentCore: a runtime in the good VPC and one on the public network with a key in its environment,
        a gateway that checks tokens and one open to anyone, a memory under a customer key and one without."""
        control = self.client("bedrock-agentcore-control")
        image = f"{self.account_id}.dkr.ecr.{self.primary}.amazonaws.com/support-agent:1"
        for good in self.sides():
            prefix = "good" if good else "bad"
            role = self.role_arn("good-agentcore-role") if good else env.bad_role
            network = (
                {
                    "networkMode": "VPC",
                    "networkModeConfig": {"subnets": env.good_subnets, "securityGroups": [env.inference_sg]},
                }
                if good
                else {"networkMode": "PUBLIC"}
            )
            control.create_agent_runtime(
                agentRuntimeName=f"{prefix}_agent_runtime",
                agentRuntimeArtifact={"containerConfiguration": {"containerUri": image}},
                roleArn=role,
                networkConfiguration=network,
                environmentVariables={"LOG_LEVEL": "INFO"} if good else {"OPENAI_API_KEY": _RUNTIME_OPENAI_KEY},
                tags={"team": "ml-platform", **({"ManagedBy": "terraform"} if good else {})},
            )
            authorizer: dict[str, Any] = (
                {
                    "authorizerType": "CUSTOM_JWT",
                    "authorizerConfiguration": {
                        "customJWTAuthorizer": {
                            "discoveryUrl": f"https://cognito-idp.{self.primary}.amazonaws.com/"
                            f"{self.primary}_AbCdEf123/.well-known/openid-configuration",
                            "allowedClients": ["4k2m9q1x7z3w5v8b0n6c"],
                        }
                    },
                }
                if good
                else {"authorizerType": "NONE"}
            )
            managed = {"tags": {"ManagedBy": "terraform"}} if good else {}
            control.create_gateway(
                name=f"{prefix}-tool-gateway", roleArn=role, protocolType="MCP", **authorizer, **managed
            )
            control.create_memory(
                name=f"{prefix}_agent_memory",
                eventExpiryDuration=30,
                memoryExecutionRoleArn=role,
                **({"encryptionKeyArn": env.good_key} if good else {}),
                **managed,
            )
            status = PASS if good else FAIL
            self.expect("aws.agentcore.runtime_in_vpc", f"{prefix}_agent_runtime", status)
            self.expect("aws.bedrock.no_secrets_in_configuration", f"{prefix}_agent_runtime", status)
            self.expect("aws.agentcore.gateway_inbound_authorization", f"{prefix}-tool-gateway", status)
            self.expect("aws.agentcore.memory_kms_encryption", f"{prefix}_agent_memory", status)

    def bedrock_secondary_region(self) -> None:
        """In the other region an application calls models (CloudWatch has the metrics) with metadata-only logging
        to a log group without a KMS key, no guardrail and nothing enforced: every region-wide setting fails
        there; in the first region each passes."""
        region = self.regions[1] if len(self.regions) > 1 else None
        for check in (
            "aws.bedrock.model_invocation_logging",
            "aws.bedrock.invocation_logs_protected",
            "aws.bedrock.guardrail_in_region",
            "aws.bedrock.enforced_guardrail",
        ):
            self.expect(check, self.primary, PASS)
            if region:
                self.expect(check, region, FAIL)
            # Where the account has no AI at all, nothing calls Bedrock: its region-wide settings are not needed.
            for idle in self.account_regions[len(self.regions) :]:
                self.expect(check, idle, PASS)
        if region is None:
            return
        self.client("logs", region).create_log_group(logGroupName="/aws/bedrock/metadata-only")
        self.client("bedrock", region).put_model_invocation_logging_configuration(
            loggingConfig={
                "cloudWatchConfig": {
                    "logGroupName": "/aws/bedrock/metadata-only",
                    "roleArn": self.role_arn("good-bedrock-role"),
                }
            }
        )
        self.client("cloudwatch", region).put_metric_data(
            Namespace="AWS/Bedrock",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Value": 12,
                    "Dimensions": [{"Name": "ModelId", "Value": "anthropic.claude-3-haiku-20240307-v1:0"}],
                }
            ],
        )

    def expect_provenance(self) -> None:
        """PH-1: every good AI resource comes from Terraform (its ManagedBy tag) or the serving stack; every bad
        one was made by hand. Jobs and the models they make are not judged."""
        sagemaker = (
            "notebook",
            "domain",
            "user-profile",
            "model",
            "endpoint-config",
            "endpoint",
            "feature-group",
            "hyperpod-cluster",
            *(f"notebook-{region}" for region in self.regions[1:]),
        )
        for name in sagemaker:
            self.expect("aws.sagemaker.resource_managed_by_iac", f"good-{name}", PASS)
            if self.bad:
                self.expect("aws.sagemaker.resource_managed_by_iac", f"bad-{name}", FAIL)
        for name, status in (("ai-model-registry", PASS), ("good-endpoint-monitor", PASS)):
            self.expect("aws.sagemaker.resource_managed_by_iac", name, status)
        for name in ("bad-pending-package-model", "bad-shared-sg-model") if self.bad else ():
            self.expect("aws.sagemaker.resource_managed_by_iac", name, FAIL)
        for name in (
            "{}-guardrail",
            "{}-agent",
            "{}-knowledge-base",
            "{}-inference-profile",
            "{}-provisioned-throughput",
            "{}_agent_runtime",
            "{}-tool-gateway",
            "{}_agent_memory",
        ):
            self.expect("aws.bedrock.resource_managed_by_iac", name.format("good"), PASS)
            if self.bad:
                self.expect("aws.bedrock.resource_managed_by_iac", name.format("bad"), FAIL)

    # ------------------------------------------------------------------ secondary regions

    def build_secondary_region(self, region: str, index: int) -> None:
        network = self.build_network(region, f"-{region}", with_endpoints=False, cidr=f"10.{10 + index}.0.0/16")
        # The secondary VPC hosts a notebook but has no SageMaker endpoints, nor Bedrock's (models are called there).
        self.expect("aws.ec2.vpc_sagemaker_endpoints", network["vpc_id"], FAIL)
        self.expect("aws.ec2.vpc_bedrock_endpoints", network["vpc_id"], FAIL)
        self.ids[f"vpc-{region}"] = network["vpc_id"]
        group = self.security_group(network, f"good-studio-sg-{region}", "Studio notebooks")
        self.closed_ingress(network, group)
        self.expect("aws.ec2.security_group_no_public_ingress", f"good-studio-sg-{region}", PASS)
        key_arn = self.build_key(region, f"good-ai-key-{region}", rotate=True)
        sm = self.client("sagemaker", region)
        sm.create_notebook_instance(
            NotebookInstanceName=f"good-notebook-{region}",
            InstanceType="ml.t3.medium",
            RoleArn=self.role_arn("good-studio-role"),
            SubnetId=network["subnets"][0],
            SecurityGroupIds=[group],
            KmsKeyId=key_arn,
            DirectInternetAccess="Disabled",
            RootAccess="Disabled",
            Tags=self.sagemaker_tags("internal"),
        )
        self.expect_notebook(f"good-notebook-{region}", PASS)
        if self.bad:
            sm.create_notebook_instance(
                NotebookInstanceName=f"bad-notebook-{region}",
                InstanceType="ml.t3.medium",
                RoleArn=self.role_arn("bad-shared-admin-role"),
            )
            self.expect_notebook(f"bad-notebook-{region}", FAIL)

    # ------------------------------------------------------------------ account services

    def build_account_services(self) -> None:
        self.build_trail()
        self.build_threat_detection()
        self.build_cost_controls(silent_monitor=self.bad)
        self.build_classification()

    def build_trail(self) -> None:
        region = self.primary
        ct = self.client("cloudtrail", region)
        trail_tags = [{"Key": "team", "Value": "security"}]
        if self.hostile:
            trail_tags.append({"Key": "Owner", "Value": HOSTILE_STRINGS[0]})
        # A lax account's trail records its first region alone.
        multi_region = self.controls != "lax"
        ct.create_trail(
            Name="good-multi-region-trail" if multi_region else "bad-single-region-trail",
            S3BucketName=self.ids["trail_bucket"],
            IsMultiRegionTrail=multi_region,
            IncludeGlobalServiceEvents=True,
            EnableLogFileValidation=True,
            KmsKeyId=self.ids["good_key_arn"],
            TagsList=trail_tags,
        )
        trail = "good-multi-region-trail" if multi_region else "bad-single-region-trail"
        if self.controls == "complete":
            ct.put_event_selectors(TrailName=trail, AdvancedEventSelectors=_MANAGEMENT_AND_BEDROCK_DATA)
        else:
            ct.put_event_selectors(
                TrailName=trail,
                EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
            )
        ct.start_logging(Name=trail)
        self.expect("aws.cloudtrail.multi_region_trail", self.account_id, PASS if multi_region else FAIL)
        # Management events only, but for a complete account's: the agents', knowledge bases' and guardrails' data
        # events go unrecorded.
        self.expect(
            "aws.cloudtrail.bedrock_data_events", self.account_id, PASS if self.controls == "complete" else FAIL
        )

    def build_threat_detection(self) -> None:
        """GuardDuty, Security Hub, an AWS Config recorder and rules for the AI services: in the first region only,
        or in every region of a complete account."""
        covered = self.account_regions if self.controls == "complete" else (self.primary,)
        for region in covered:
            self.threat_detection_in(region)
        for scanned in self.account_regions:
            status = PASS if scanned in covered else FAIL
            self.expect("aws.guardduty.enabled", scanned, status)
            self.expect("aws.securityhub.enabled", scanned, status)
            self.expect("aws.config.recorder_all_resources", scanned, status)
            self.expect("aws.config.rules_cover_ai_services", scanned, status)

    def threat_detection_in(self, region: str) -> None:
        detector_tags = {"team": "security"}
        if self.hostile:
            detector_tags["Owner"] = HOSTILE_STRINGS[1]
        self.client("guardduty", region).create_detector(
            Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES", Tags=detector_tags
        )
        self.client("securityhub", region).enable_security_hub(EnableDefaultStandards=True)
        config = self.client("config", region)
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": self.role_arn("aws-config-role"),
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            }
        )
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": self.ids["trail_bucket"]})
        config.start_configuration_recorder(ConfigurationRecorderName="default")
        # Managed rules watching SageMaker and Bedrock where the recorder runs; the other region has neither.
        for name, identifier, types in (
            ("sagemaker-notebook-no-direct-internet-access", "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS", None),
            (
                "sagemaker-endpoint-configuration-kms-key-configured",
                "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED",
                ["AWS::SageMaker::EndpointConfig"],
            ),
            ("bedrock-data-source-encryption-enabled", "BEDROCK_DATA_SOURCE_ENCRYPTION_ENABLED", None),
        ):
            rule: dict[str, Any] = {
                "ConfigRuleName": name,
                "Description": self.text(f"{identifier} on AI resources"),
                "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
            }
            if types:
                rule["Scope"] = {"ComplianceResourceTypes": types}
            config.put_config_rule(ConfigRule=rule)

    def build_cost_controls(self, silent_monitor: bool) -> None:
        """A SageMaker budget with an alert, an anomaly monitor that alerts the FinOps team and, with
        `silent_monitor`, one that alerts no one; a lax account has none of them, so nothing alerts on its spend."""
        self.expect("aws.budgets.cost_alerts", self.account_id, FAIL if self.controls == "lax" else PASS)
        if self.controls == "lax":
            return
        self.ai_budget()
        self.anomaly_monitors(silent_monitor)

    def ai_budget(self) -> None:
        # Budgets and Cost Explorer are global services answered from us-east-1.
        self.client("budgets", "us-east-1").create_budget(
            AccountId=self.account_id,
            Budget={
                "BudgetName": "ai-gpu-monthly",
                "BudgetLimit": {"Amount": "5000", "Unit": "USD"},
                "TimeUnit": "MONTHLY",
                "BudgetType": "COST",
                "CostFilters": {"Service": ["Amazon SageMaker"]},
            },
            NotificationsWithSubscribers=[
                {
                    "Notification": {
                        "NotificationType": "ACTUAL",
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": 80,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "ml-finops@example.com"}],
                }
            ],
        )

    def anomaly_monitors(self, silent: bool) -> None:
        ce = self.client("ce", "us-east-1")
        monitor_name = self.text("ai-services-spend")
        monitor_arn = ce.create_anomaly_monitor(
            AnomalyMonitor={"MonitorName": monitor_name, "MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"}
        )["MonitorArn"]
        self.ids["anomaly_monitor_arn"] = monitor_arn
        ce.create_anomaly_subscription(
            AnomalySubscription={
                "SubscriptionName": "ai-spend-alerts",
                "MonitorArnList": [monitor_arn],
                "Subscribers": [{"Type": "EMAIL", "Address": "ml-finops@example.com"}],
                "Frequency": "DAILY",
                "ThresholdExpression": {
                    "Dimensions": {
                        "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                        "Values": ["100"],
                        "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                    }
                },
            }
        )
        self.expect("aws.ce.anomaly_monitor_alerts", monitor_name, PASS)
        if not silent:
            return
        # The ML team's own monitor finds anomalies in its tagged spend, and tells no one.
        self.ids["silent_monitor_arn"] = ce.create_anomaly_monitor(
            AnomalyMonitor={
                "MonitorName": "bad-ml-team-spend",
                "MonitorType": "CUSTOM",
                "MonitorSpecification": {"Tags": {"Key": "team", "Values": ["ml-platform"]}},
            }
        )["MonitorArn"]
        self.expect("aws.ce.anomaly_monitor_alerts", "bad-ml-team-spend", FAIL)

    def build_classification(self) -> None:
        """Macie in the first region: a daily classification job over the good bucket and automated discovery off,
        so the bad bucket is read by nothing; Macie stays off in the other regions."""
        macie = self.client("macie2")
        macie.enable_macie(findingPublishingFrequency="FIFTEEN_MINUTES", status="ENABLED")
        macie.update_automated_discovery_configuration(status="DISABLED")
        macie.create_classification_job(
            clientToken="good-ai-data-daily",
            jobType="SCHEDULED",
            name="good-ai-data-daily",
            description=self.text("Daily sensitive data discovery over the AI artifacts bucket"),
            scheduleFrequency={"dailySchedule": {}},
            s3JobDefinition={
                "bucketDefinitions": [{"accountId": self.account_id, "buckets": [self.ids["good_bucket"]]}]
            },
        )
        for check in ("aws.s3.bucket_classification_tag", "aws.macie.bucket_sensitive_data_discovery"):
            self.expect(check, self.ids["good_bucket"], PASS)
            if self.bad:
                self.expect(check, self.ids["bad_bucket"], FAIL)

    # ------------------------------------------------------------------ everything

    def expect_attack_paths(self) -> None:
        """ZT-4: the admin role every bad resource runs as can raise its own permissions and redeploy every endpoint,
        and the bad notebooks and Studio domain, open to the internet, reach the confidential bucket through it; the
        good roles reach only their own team's bucket and keys."""
        if self.bad:
            self.expect("aws.iam.ai_identity_blast_radius", "bad-shared-admin-role", FAIL)
        for role in (
            "good-training-role",
            "good-inference-role",
            "good-studio-role",
            "good-bedrock-role",
            "good-agentcore-role",
            "good-agent-tool-role",
        ):
            self.expect("aws.iam.ai_identity_blast_radius", role, PASS)
        exposed = "aws.iam.exposed_ai_identity_sensitive_data"
        for suffix in ("", *(f"-{region}" for region in self.regions[1:])):
            if self.bad:
                self.expect(exposed, f"bad-notebook{suffix}", FAIL)
            self.expect(exposed, f"good-notebook{suffix}", PASS)
        if self.bad:
            self.expect(exposed, "bad-domain", FAIL)
        self.expect(exposed, "good-domain", PASS)

    def build(self) -> EstateManifest:
        self.build_buckets()
        self.ids["good_key_arn"] = self.build_key(self.primary, "good-ai-key", rotate=True)
        if self.bad:
            self.ids["bad_key_arn"] = self.build_key(self.primary, "bad-ai-key", rotate=False)
        self.configure_buckets()
        self.build_iam()

        good_net, bad_net = self.build_primary_networks()
        self.build_sagemaker(good_net, bad_net)
        self.build_bedrock(self.sagemaker_env(good_net, bad_net))
        for index, region in enumerate(self.regions[1:], start=1):
            self.build_secondary_region(region, index)
        self.expect_provenance()
        self.expect_attack_paths()
        self.build_account_services()
        return self.manifest()

    def build_controls(self, silent_monitor: bool) -> EstateManifest:
        """An account without AI workloads: its trail's bucket and key, the AWS Config role, and the account-wide
        services (a management account kept for governance, where the organization's cost monitors live)."""
        trail = f"cloudtrail-logs-{self.account_id}"
        self.ids["trail_bucket"] = trail
        self.create_bucket(trail, self.primary)
        self.trail_bucket_policy()
        self.ids["good_key_arn"] = self.build_key(self.primary, "audit-log-key", rotate=True, judged=False)
        self.iam_service_roles()
        self.build_trail()
        self.build_threat_detection()
        self.build_cost_controls(silent_monitor)
        for check in (
            "aws.bedrock.model_invocation_logging",
            "aws.bedrock.invocation_logs_protected",
            "aws.bedrock.guardrail_in_region",
            "aws.bedrock.enforced_guardrail",
        ):
            for region in self.account_regions:  # nothing calls Bedrock here, so none of them is needed
                self.expect(check, region, PASS)
        return self.manifest()

    def manifest(self) -> EstateManifest:
        return EstateManifest(
            account_id=self.account_id,
            regions=self.regions,
            secrets=tuple(dict.fromkeys(self.secrets)),
            hostile_strings=HOSTILE_STRINGS if self.hostile else (),
            expected=dict(self.expected),
            ids=dict(self.ids),
        )


def build_aws_estate(
    session: boto3.Session | None = None,
    regions: Sequence[str] = ("us-east-1", "eu-west-1"),
    hostile: bool = True,
    *,
    bad: bool = True,
    controls: AccountControls = "mixed",
    account_regions: Sequence[str] = (),
) -> EstateManifest:
    """Create the estate under an active mock_aws (or against AWS_ENDPOINT_URL) and describe it.

    Without `bad` only the good resources are made (a well configured account); `controls` says how well the
    account-wide services are set up; `account_regions` adds regions (to `regions`) the account is judged in
    without AI resources there."""
    install()
    builder = _Builder(
        session or boto3.Session(), regions, hostile, bad=bad, controls=controls, account_regions=account_regions
    )
    return builder.build()


def build_account_controls(
    session: boto3.Session | None = None,
    regions: Sequence[str] = ("us-east-1", "eu-west-1"),
    controls: AccountControls = "complete",
    silent_monitor: bool = False,
) -> EstateManifest:
    """An account with no AI workloads and its account-wide services set up as `controls` says (with
    `silent_monitor`, a cost anomaly monitor that alerts no one beside the one that alerts), under an active
    mock_aws; its manifest describes what each check should conclude."""
    install()
    builder = _Builder(session or boto3.Session(), regions, hostile=False, bad=False, controls=controls)
    return builder.build_controls(silent_monitor)
