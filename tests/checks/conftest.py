"""Recorded AWS describe responses, an estate builder, and table-driven case plumbing for check tests.

Each resource type has one base response in the real API shape (as the collector
stores it: timestamps as RFC 3339 text), describing a *secure* resource. Cases
vary it with dotted-path changes, add related resources and collection errors,
and evaluate one check through the real engine (`Snapshot` + `evaluate`).

The types below are the ones several check modules share. A check that introduces a
new type declares its base response in its own test module with `declare_type`.
The tests of checks/<provider>/<module>.py are tests/checks/<provider>/test_<module>.py
(tests/checks/test_mirror.py holds the tree to that).
"""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from collectors import declared_types
from cspm_ai.engine import EvaluationSettings, PreviousScan, Snapshot, evaluate
from cspm_ai.model import CollectionError, Finding, Relation, Resource, Status
from cspm_ai.registry import REGISTRY, all_checks

ACCOUNT = "111122223333"
REGION = "us-east-1"
SCAN_AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sm-execution"
DROP = object()  # a change value that deletes the key, to show what absence means

PASS, FAIL, MANUAL, ERROR = Status.PASS, Status.FAIL, Status.MANUAL, Status.ERROR

_SM = f"arn:aws:sagemaker:{{region}}:{ACCOUNT}"
# type -> (uid template, default name, global?)
TYPES: dict[str, tuple[str, str, bool]] = {
    "aws.account": (f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, True),
    "aws.region": (f"arn:aws:ec2:{{region}}:{ACCOUNT}:region/{{region}}", REGION, False),
    "aws.sagemaker.notebook_instance": (_SM + ":notebook-instance/{name}", "research-nb", False),
    "aws.sagemaker.notebook_lifecycle_config": (
        _SM + ":notebook-instance-lifecycle-config/{name}",
        "research-lcc",
        False,
    ),
    "aws.sagemaker.domain": (_SM + ":domain/{name}", "d-abc123xyz456", False),
    "aws.sagemaker.model": (_SM + ":model/{name}", "churn-model", False),
    "aws.sagemaker.endpoint_config": (_SM + ":endpoint-config/{name}", "churn-config", False),
    "aws.sagemaker.endpoint": (_SM + ":endpoint/{name}", "churn-endpoint", False),
    "aws.sagemaker.training_job": (_SM + ":training-job/{name}", "churn-train-001", False),
    "aws.sagemaker.processing_job": (_SM + ":processing-job/{name}", "churn-prep-001", False),
    "aws.sagemaker.transform_job": (_SM + ":transform-job/{name}", "churn-batch-001", False),
    "aws.sagemaker.model_package": (_SM + ":model-package/{name}", "churn/3", False),
    "aws.sagemaker.monitoring_schedule": (_SM + ":monitoring-schedule/{name}", "churn-quality", False),
    "aws.sagemaker.user_profile": (_SM + ":user-profile/d-abc123xyz456/{name}", "alice", False),
    "aws.iam.role": (f"arn:aws:iam::{ACCOUNT}:role/{{name}}", "sm-execution", True),
    "aws.iam.user": (f"arn:aws:iam::{ACCOUNT}:user/{{name}}", "ci-bot", True),
    "aws.iam.group": (f"arn:aws:iam::{ACCOUNT}:group/{{name}}", "ml-engineers", True),
    "aws.iam.policy": (f"arn:aws:iam::{ACCOUNT}:policy/{{name}}", "ml-data-access", True),
    "aws.kms.key": (f"arn:aws:kms:{{region}}:{ACCOUNT}:key/{{name}}", KEY_ID, False),
    "aws.ec2.vpc": (f"arn:aws:ec2:{{region}}:{ACCOUNT}:vpc/{{name}}", "vpc-0a1b2c3d4e5f60001", False),
    "aws.ec2.security_group": (
        f"arn:aws:ec2:{{region}}:{ACCOUNT}:security-group/{{name}}",
        "sg-0a1b2c3d4e5f60001",
        False,
    ),
    "aws.s3.bucket": ("arn:aws:s3:::{name}", "acme-ml-artifacts", False),
    "aws.cloudtrail.trail": (f"arn:aws:cloudtrail:{{region}}:{ACCOUNT}:trail/{{name}}", "org-audit", False),
    "aws.guardduty.detector": (
        f"arn:aws:guardduty:{{region}}:{ACCOUNT}:detector/{{name}}",
        "12abc34d567e8fa901bc2d34e56789f0",
        False,
    ),
    "aws.securityhub.hub": (f"arn:aws:securityhub:{{region}}:{ACCOUNT}:hub/{{name}}", "default", False),
    "aws.config.recorder": (f"arn:aws:config:{{region}}:{ACCOUNT}:config-recorder/{{name}}", "default", False),
    "aws.budgets.budget": (f"arn:aws:budgets::{ACCOUNT}:budget/{{name}}", "ml-monthly", True),
    "aws.ce.anomaly_monitor": (f"arn:aws:ce::{ACCOUNT}:anomalymonitor/{{name}}", "services-monitor", True),
}

_VPC = {"SecurityGroupIds": ["sg-0a1b2c3d4e5f60001"], "Subnets": ["subnet-0a1b2c3d4e5f60001"]}
_BUCKET = "s3://acme-ml-artifacts"

BASE: dict[str, dict[str, Any]] = {
    "aws.account": {
        "AccountId": ACCOUNT,
        "Partition": "aws",
        "Identity": f"arn:aws:sts::{ACCOUNT}:assumed-role/auditor/cspm",
        "Regions": [REGION],
    },
    "aws.region": {"RegionName": REGION, "AccountId": ACCOUNT},
    "aws.sagemaker.notebook_instance": {
        "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/research-nb",
        "NotebookInstanceName": "research-nb",
        "NotebookInstanceStatus": "InService",
        "Url": "research-nb.notebook.us-east-1.sagemaker.aws",
        "InstanceType": "ml.t3.medium",
        "SubnetId": "subnet-0a1b2c3d4e5f60001",
        "SecurityGroups": ["sg-0a1b2c3d4e5f60001"],
        "RoleArn": ROLE_ARN,
        "KmsKeyId": KEY_ARN,
        "NetworkInterfaceId": "eni-0a1b2c3d4e5f60001",
        "LastModifiedTime": "2025-05-01T10:00:00Z",
        "CreationTime": "2025-04-01T10:00:00Z",
        "NotebookInstanceLifecycleConfigName": "research-lcc",
        "DirectInternetAccess": "Disabled",
        "VolumeSizeInGB": 20,
        "RootAccess": "Disabled",
        "PlatformIdentifier": "notebook-al2-v3",
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    },
    "aws.sagemaker.notebook_lifecycle_config": {
        "NotebookInstanceLifecycleConfigArn": (
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance-lifecycle-config/research-lcc"
        ),
        "NotebookInstanceLifecycleConfigName": "research-lcc",
        "OnStart": [{"Content": "IyEvYmluL2Jhc2gKc2V0IC1lCnBpcCBpbnN0YWxsIC1xIHhnYm9vc3QK"}],
        "LastModifiedTime": "2025-04-01T10:00:00Z",
        "CreationTime": "2025-04-01T10:00:00Z",
    },
    "aws.sagemaker.domain": {
        "DomainArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/d-abc123xyz456",
        "DomainId": "d-abc123xyz456",
        "DomainName": "ml-studio",
        "HomeEfsFileSystemId": "fs-0a1b2c3d",
        "Status": "InService",
        "CreationTime": "2025-03-01T09:00:00Z",
        "LastModifiedTime": "2025-05-01T09:00:00Z",
        "AuthMode": "SSO",
        "DefaultUserSettings": {"ExecutionRole": ROLE_ARN, "SecurityGroups": ["sg-0a1b2c3d4e5f60001"]},
        "AppNetworkAccessType": "VpcOnly",
        "SubnetIds": ["subnet-0a1b2c3d4e5f60001"],
        "Url": "https://d-abc123xyz456.studio.us-east-1.sagemaker.aws",
        "VpcId": "vpc-0a1b2c3d4e5f60001",
        "KmsKeyId": KEY_ARN,
        "AppSecurityGroupManagement": "Service",
    },
    "aws.sagemaker.model": {
        "ModelName": "churn-model",
        "PrimaryContainer": {
            "Image": f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1",
            "Mode": "SingleModel",
            "ModelPackageName": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        },
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/sm-inference",
        "VpcConfig": copy.deepcopy(_VPC),
        "CreationTime": "2025-05-10T08:00:00Z",
        "ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/churn-model",
        "EnableNetworkIsolation": True,
    },
    "aws.sagemaker.endpoint_config": {
        "EndpointConfigName": "churn-config",
        "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/churn-config",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "churn-model",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
        "DataCaptureConfig": {
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": f"{_BUCKET}/capture",
            "KmsKeyId": KEY_ARN,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
        "KmsKeyId": KEY_ARN,
        "CreationTime": "2025-05-10T08:10:00Z",
    },
    "aws.sagemaker.endpoint": {
        "EndpointName": "churn-endpoint",
        "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/churn-endpoint",
        "EndpointConfigName": "churn-config",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "CurrentWeight": 1.0,
                "DesiredWeight": 1.0,
                "CurrentInstanceCount": 2,
                "DesiredInstanceCount": 2,
            }
        ],
        "DataCaptureConfig": {
            "EnableCapture": True,
            "CaptureStatus": "Started",
            "CurrentSamplingPercentage": 20,
            "DestinationS3Uri": f"{_BUCKET}/capture",
            "KmsKeyId": KEY_ARN,
        },
        "EndpointStatus": "InService",
        "CreationTime": "2025-05-10T08:20:00Z",
        "LastModifiedTime": "2025-05-10T08:30:00Z",
    },
    "aws.sagemaker.training_job": {
        "TrainingJobName": "churn-train-001",
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/churn-train-001",
        "ModelArtifacts": {"S3ModelArtifacts": f"{_BUCKET}/models/churn-train-001/output/model.tar.gz"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "HyperParameters": {"max_depth": "5", "eta": "0.2"},
        "AlgorithmSpecification": {
            "TrainingImage": f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "RoleArn": ROLE_ARN,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"{_BUCKET}/data/train",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"KmsKeyId": KEY_ARN, "S3OutputPath": f"{_BUCKET}/models"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 2,
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": KEY_ARN,
        },
        "VpcConfig": copy.deepcopy(_VPC),
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": "2025-05-09T07:00:00Z",
        "TrainingStartTime": "2025-05-09T07:02:00Z",
        "TrainingEndTime": "2025-05-09T07:40:00Z",
        "LastModifiedTime": "2025-05-09T07:41:00Z",
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "EnableManagedSpotTraining": False,
    },
    "aws.sagemaker.processing_job": {
        "ProcessingInputs": [
            {
                "InputName": "raw",
                "AppManaged": False,
                "S3Input": {
                    "S3Uri": f"{_BUCKET}/raw",
                    "LocalPath": "/opt/ml/processing/input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "train",
                    "S3Output": {
                        "S3Uri": f"{_BUCKET}/data/train",
                        "LocalPath": "/opt/ml/processing/train",
                        "S3UploadMode": "EndOfJob",
                    },
                    "AppManaged": False,
                }
            ],
            "KmsKeyId": KEY_ARN,
        },
        "ProcessingJobName": "churn-prep-001",
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": KEY_ARN,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {"ImageUri": f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1"},
        "Environment": {"STAGE": "prod"},
        "NetworkConfig": {
            "EnableInterContainerTrafficEncryption": True,
            "EnableNetworkIsolation": True,
            "VpcConfig": copy.deepcopy(_VPC),
        },
        "RoleArn": ROLE_ARN,
        "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/churn-prep-001",
        "ProcessingJobStatus": "Completed",
        "CreationTime": "2025-05-08T07:00:00Z",
        "LastModifiedTime": "2025-05-08T07:30:00Z",
    },
    "aws.sagemaker.transform_job": {
        "TransformJobName": "churn-batch-001",
        "TransformJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/churn-batch-001",
        "TransformJobStatus": "Completed",
        "ModelName": "churn-model",
        "MaxConcurrentTransforms": 1,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{_BUCKET}/batch/in"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": f"{_BUCKET}/batch/out", "AssembleWith": "Line", "KmsKeyId": KEY_ARN},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeKmsKeyId": KEY_ARN},
        "CreationTime": "2025-05-11T07:00:00Z",
    },
    "aws.sagemaker.model_package": {
        "ModelPackageName": "churn",
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": 3,
        "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3",
        "CreationTime": "2025-05-09T08:00:00Z",
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": f"{_BUCKET}/models/churn-train-001/output/model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
        "CertifyForMarketplace": False,
    },
    "aws.sagemaker.monitoring_schedule": {
        "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/churn-quality",
        "MonitoringScheduleName": "churn-quality",
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": "DataQuality",
        "CreationTime": "2025-05-12T07:00:00Z",
        "LastModifiedTime": "2025-05-12T07:00:00Z",
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": "churn-dq",
            "MonitoringType": "DataQuality",
        },
        "EndpointName": "churn-endpoint",
    },
    "aws.sagemaker.user_profile": {"DomainId": "d-abc123xyz456", "UserProfileName": "alice", "Status": "InService"},
    "aws.iam.role": {
        "Path": "/service-role/",
        "RoleName": "sm-execution",
        "RoleId": "AROAEXAMPLEROLEID0001",
        "Arn": ROLE_ARN,
        "CreateDate": "2024-11-01T10:00:00Z",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
        "InstanceProfileList": [],
        "RolePolicyList": [
            {
                "PolicyName": "ml-data-access",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Data",
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                            "Resource": ["arn:aws:s3:::acme-ml-artifacts", "arn:aws:s3:::acme-ml-artifacts/*"],
                        },
                        {
                            "Sid": "Key",
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": KEY_ARN,
                        },
                    ],
                },
            }
        ],
        "AttachedManagedPolicies": [],
        "Tags": [],
        "RoleLastUsed": {"LastUsedDate": "2025-05-30T10:00:00Z", "Region": REGION},
    },
    "aws.iam.user": {
        "Path": "/",
        "UserName": "ci-bot",
        "UserId": "AIDAEXAMPLEUSERID0001",
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci-bot",
        "CreateDate": "2024-01-15T10:00:00Z",
        "UserPolicyList": [],
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
        "AccessKeys": [
            {
                "UserName": "ci-bot",
                "AccessKeyId": "****************7QXZ",
                "Status": "Active",
                "CreateDate": "2025-01-02T12:00:00Z",
            }
        ],
    },
    "aws.iam.group": {
        "Path": "/",
        "GroupName": "ml-engineers",
        "GroupId": "AGPAEXAMPLEGROUPID01",
        "Arn": f"arn:aws:iam::{ACCOUNT}:group/ml-engineers",
        "CreateDate": "2024-01-10T10:00:00Z",
        "GroupPolicyList": [],
        "AttachedManagedPolicies": [],
    },
    "aws.iam.policy": {
        "PolicyName": "ml-data-access",
        "PolicyId": "ANPAEXAMPLEPOLICY001",
        "Arn": f"arn:aws:iam::{ACCOUNT}:policy/ml-data-access",
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "IsAttachable": True,
        "CreateDate": "2024-11-01T10:00:00Z",
        "Document": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-ml-artifacts/*"}
            ],
        },
    },
    "aws.kms.key": {
        "AWSAccountId": ACCOUNT,
        "KeyId": KEY_ID,
        "Arn": KEY_ARN,
        "CreationDate": "2024-10-01T10:00:00Z",
        "Enabled": True,
        "Description": "ML data key",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
        "KeyRotationEnabled": True,
        "RotationPeriodInDays": 365,
        "NextRotationDate": "2025-10-01T10:00:00Z",
        "Policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
    },
    "aws.ec2.vpc": {
        "VpcId": "vpc-0a1b2c3d4e5f60001",
        "CidrBlock": "10.20.0.0/16",
        "State": "available",
        "OwnerId": ACCOUNT,
        "InstanceTenancy": "default",
        "IsDefault": False,
        "VpcEndpoints": [
            {
                "VpcEndpointId": "vpce-0a1b2c3d4e5f60001",
                "VpcEndpointType": "Interface",
                "VpcId": "vpc-0a1b2c3d4e5f60001",
                "ServiceName": f"com.amazonaws.{REGION}.sagemaker.api",
                "State": "available",
                "PrivateDnsEnabled": True,
                "SubnetIds": ["subnet-0a1b2c3d4e5f60001"],
            },
            {
                "VpcEndpointId": "vpce-0a1b2c3d4e5f60002",
                "VpcEndpointType": "Interface",
                "VpcId": "vpc-0a1b2c3d4e5f60001",
                "ServiceName": f"com.amazonaws.{REGION}.sagemaker.runtime",
                "State": "available",
                "PrivateDnsEnabled": True,
                "SubnetIds": ["subnet-0a1b2c3d4e5f60001"],
            },
            {
                "VpcEndpointId": "vpce-0a1b2c3d4e5f60003",
                "VpcEndpointType": "Gateway",
                "VpcId": "vpc-0a1b2c3d4e5f60001",
                "ServiceName": f"com.amazonaws.{REGION}.s3",
                "State": "available",
            },
        ],
    },
    "aws.ec2.security_group": {
        "GroupId": "sg-0a1b2c3d4e5f60001",
        "GroupName": "ml-training",
        "Description": "ML training",
        "VpcId": "vpc-0a1b2c3d4e5f60001",
        "OwnerId": ACCOUNT,
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.20.0.0/16"}],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
                "UserIdGroupPairs": [],
            }
        ],
        "IpPermissionsEgress": [
            {
                "IpProtocol": "-1",
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
                "UserIdGroupPairs": [],
            }
        ],
    },
    "aws.s3.bucket": {
        "Bucket": "acme-ml-artifacts",
        "LocationConstraint": None,
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN},
                    "BucketKeyEnabled": True,
                }
            ]
        },
        "Policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::acme-ml-artifacts", "arn:aws:s3:::acme-ml-artifacts/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "DenyOldTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::acme-ml-artifacts", "arn:aws:s3:::acme-ml-artifacts/*"],
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
            ],
        },
        "Versioning": {"Status": "Enabled"},
        "ReplicationConfiguration": {
            "Role": f"arn:aws:iam::{ACCOUNT}:role/s3-replication",
            "Rules": [
                {
                    "ID": "dr",
                    "Priority": 1,
                    "Filter": {"Prefix": ""},
                    "Status": "Enabled",
                    "Destination": {"Bucket": "arn:aws:s3:::acme-ml-artifacts-dr"},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                }
            ],
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        "Tags": [{"Key": "data-classification", "Value": "confidential"}],
    },
    "aws.cloudtrail.trail": {
        "Name": "org-audit",
        "S3BucketName": "acme-cloudtrail-logs",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "HomeRegion": REGION,
        "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-audit",
        "LogFileValidationEnabled": True,
        "KmsKeyId": KEY_ARN,
        "HasCustomEventSelectors": False,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
        "Status": {
            "IsLogging": True,
            "LatestDeliveryTime": "2025-06-01T11:55:00Z",
            "StartLoggingTime": "2024-01-01T00:00:00Z",
        },
        "EventSelectors": [
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [],
                "ExcludeManagementEventSources": [],
            }
        ],
    },
    "aws.guardduty.detector": {
        "CreatedAt": "2024-01-01T00:00:00.000Z",
        "FindingPublishingFrequency": "FIFTEEN_MINUTES",
        "ServiceRole": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/"
        "AWSServiceRoleForAmazonGuardDuty",
        "Status": "ENABLED",
        "UpdatedAt": "2025-01-01T00:00:00.000Z",
        "Tags": {},
        "DetectorId": "12abc34d567e8fa901bc2d34e56789f0",
    },
    "aws.securityhub.hub": {
        "HubArn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default",
        "SubscribedAt": "2024-01-01T00:00:00.000Z",
        "AutoEnableControls": True,
        "ControlFindingGenerator": "SECURITY_CONTROL",
    },
    "aws.config.recorder": {
        "arn": f"arn:aws:config:{REGION}:{ACCOUNT}:configuration-recorder/default/abc123",
        "name": "default",
        "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        "recordingGroup": {
            "allSupported": True,
            "includeGlobalResourceTypes": True,
            "resourceTypes": [],
            "exclusionByResourceTypes": {"resourceTypes": []},
            "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
        },
        "recordingMode": {"recordingFrequency": "CONTINUOUS", "recordingModeOverrides": []},
        "recordingScope": "PAID",
        "Status": {
            "name": "default",
            "lastStartTime": "2024-01-01T00:00:00Z",
            "recording": True,
            "lastStatus": "Success",
            "lastStatusChangeTime": "2025-06-01T11:00:00Z",
        },
    },
    "aws.budgets.budget": {
        "BudgetName": "ml-monthly",
        "BudgetLimit": {"Amount": "5000.0", "Unit": "USD"},
        "CostFilters": {"Service": ["Amazon SageMaker"]},
        "TimeUnit": "MONTHLY",
        "TimePeriod": {"Start": "2025-01-01T00:00:00Z", "End": "2087-06-15T00:00:00Z"},
        "BudgetType": "COST",
        "LastUpdatedTime": "2025-05-01T00:00:00Z",
        "Notifications": [
            {
                "NotificationType": "ACTUAL",
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": 80.0,
                "ThresholdType": "PERCENTAGE",
                "NotificationState": "OK",
            }
        ],
    },
    "aws.ce.anomaly_monitor": {
        "MonitorArn": f"arn:aws:ce::{ACCOUNT}:anomalymonitor/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        "MonitorName": "services-monitor",
        "CreationDate": "2025-01-01",
        "MonitorType": "DIMENSIONAL",
        "MonitorDimension": "SERVICE",
        "DimensionalValueCount": 12,
    },
}


def register_type(
    provider: str,
    types: dict[str, Any],
    bases: dict[str, dict[str, Any]],
    rtype: str,
    entry: Any,
    base: Mapping[str, Any],
) -> str:
    """Add a resource type to a support module's tables: `types` (how to name one) and `bases` (its base response).

    The type must be one the provider's collector stores. Declaring it again with the same data (a module
    imported twice) changes nothing; with other data it is an error, so each type keeps one base response.
    """
    if rtype not in declared_types(provider):
        raise ValueError(f"{rtype} is not a type the {provider} collector stores")
    base = copy.deepcopy(dict(base))
    if rtype in bases and (types[rtype], bases[rtype]) != (entry, base):
        raise ValueError(f"{rtype} already has a base response: vary it with changes, or edit it where it is")
    types[rtype] = entry
    bases[rtype] = base
    return rtype


def declare_type(rtype: str, base: Mapping[str, Any], *, uid: str, name: str, is_global: bool = False) -> str:
    """Declare an AWS resource type from the test module of the check that introduces it.

    `base` is a *secure* resource's response as the collector stores it; `uid` a template with `{name}`
    (and `{region}` unless the type is global); `name` the default name. Returns `rtype`, so a module can
    write `WIDGET = declare_type("aws.service.widget", {...}, uid=..., name=...)`.
    """
    return register_type("aws", TYPES, BASE, rtype, (uid, name, is_global), base)


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with DROP, delete) a dotted path; list indexes are numbers."""
    parts = path.split(".")
    node: Any = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DROP:
        node.pop(last, None)
    else:
        node[last] = value


def make(
    rtype: str,
    changes: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    region: str = REGION,
    uid: str | None = None,
    redactions: tuple[dict[str, str], ...] = (),
) -> Resource:
    """A resource from its base response, with `changes` applied ({"Dotted.Path": value or DROP})."""
    template, default_name, is_global = TYPES[rtype]
    name = name or default_name
    config = copy.deepcopy(BASE[rtype])
    for path, value in (changes or {}).items():
        _set(config, path, value if value is DROP else copy.deepcopy(value))
    return Resource(
        provider="aws",
        account=ACCOUNT,
        region="global" if is_global else region,
        type=rtype,
        uid=uid or template.format(name=name, region=region),
        name=name,
        config=config,
        redactions=redactions,
    )


def default_region(rtype: str) -> str:
    """Where the collector records a type: "global" for global services, else the test region."""
    return "global" if TYPES[rtype][2] else REGION


def collection_error(
    rtype: str,
    *,
    uid: str | None = None,
    region: str | None = None,
    operation: str = "Describe",
    code: str = "AccessDenied",
) -> CollectionError:
    """A failed call as the collector records it: with `uid` one describe, without it a whole list."""
    service = rtype.split(".")[1]
    return CollectionError(
        provider="aws",
        account=ACCOUNT,
        region=region or default_region(rtype),
        service=service,
        operation=operation,
        code=code,
        message=f"User is not authorized to perform {service}:{operation}",
        resource_type=rtype,
        resource_uid=uid,
    )


@dataclass
class Estate:
    """A small scan: resources, relations and collection errors around one target resource."""

    target: Resource
    resources: list[Resource] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    # The resources of the previous comparable scan a history check reads; None: no earlier scan is stored.
    previous: list[Resource] | None = None

    def __post_init__(self) -> None:
        self.resources.append(self.target)

    def add(self, *resources: Resource) -> Estate:
        self.resources.extend(resources)
        return self

    def link(self, src: Resource, kind: str, dst: Resource | str) -> Estate:
        self.relations.append(Relation(src.uid, kind, dst if isinstance(dst, str) else dst.uid))
        return self

    def fail(self, error: CollectionError) -> Estate:
        self.errors.append(error)
        return self


@dataclass(frozen=True)
class Case:
    """One row of a check table: build an estate, expect a status (and a phrase in the message)."""

    check_id: str
    expected: Status
    label: str
    build: Callable[[], Estate]
    says: str = ""
    allowed_regions: frozenset[str] | None = None

    def __str__(self) -> str:
        return f"{self.check_id.split('.', 1)[1]}-{self.expected.value}-{self.label}"


def one(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Callable[[], Estate]:
    """A builder for an estate holding just one resource of `rtype`."""
    return lambda: Estate(make(rtype, changes, **kw))


Member = tuple[str, Mapping[str, Any] | None, dict[str, Any]]  # (type, changes, make keywords)


def member(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Member:
    """A resource of an account- or region-wide estate: its type, changes and `make` keywords."""
    return rtype, changes, kw


def scope(
    target_type: str, *members: Member, unlisted: tuple[str, str] | None = None, where: str | None = None
) -> Callable[[], Estate]:
    """The account or region resource with service resources and, with `unlisted` (type, operation), a failed
    list call of that type (in region `where`, by default where the collector records the type)."""

    def build() -> Estate:
        estate = Estate(make(target_type))
        for rtype, changes, kw in members:
            estate.add(make(rtype, changes, **kw))
        if unlisted:
            rtype, operation = unlisted
            estate.fail(collection_error(rtype, operation=operation, region=where or default_region(rtype)))
        return estate

    return build


def in_account(*members: Member, **kw: Any) -> Callable[[], Estate]:
    """An estate around the account resource (see `scope`)."""
    return scope("aws.account", *members, **kw)


def in_region(*members: Member, **kw: Any) -> Callable[[], Estate]:
    """An estate around the region resource (see `scope`)."""
    return scope("aws.region", *members, **kw)


def check_test_modules(provider: str | None = None) -> list[ModuleType]:
    """Every test module under tests/checks (or tests/checks/<provider>), imported: their `CASES`
    tables, and the resource types they declare."""
    root = importlib.import_module(f"tests.checks.{provider}" if provider else "tests.checks")
    return [
        importlib.import_module(module.name)
        for module in pkgutil.walk_packages(root.__path__, prefix=f"{root.__name__}.")
        if module.name.rsplit(".", 1)[-1].startswith("test_")
    ]


def run(case: Case) -> Finding:
    """Evaluate the case's check through the engine and return the finding on the target."""
    all_checks()
    estate = case.build()
    previous = None
    if estate.previous is not None:
        previous = PreviousScan("previous-scan", SCAN_AT - timedelta(days=1), {r.uid: r for r in estate.previous})
    settings = EvaluationSettings(scan_started_at=SCAN_AT, allowed_regions=case.allowed_regions, previous=previous)
    findings = evaluate(
        Snapshot(estate.resources, estate.relations, estate.errors), [REGISTRY[case.check_id]], settings
    )
    matching = [f for f in findings if f.resource_uid == estate.target.uid]
    assert len(matching) == 1, f"expected one finding on {estate.target.uid}, got {findings}"
    return matching[0]


def assert_case(case: Case) -> Finding:
    """The status matches; the message is one sentence naming the resource; evidence is JSON."""
    finding = run(case)
    assert finding.status == case.expected, f"{finding.status}: {finding.message} {finding.evidence}"
    assert finding.resource_name in finding.message, finding.message
    assert finding.message.endswith("."), finding.message
    assert "\n" not in finding.message
    assert case.says in finding.message, finding.message
    json.dumps(finding.evidence)
    # An expected ERROR must come from a collection error (Unseen), never from a crashing check.
    assert ("error.operation" in finding.evidence) == (case.expected is ERROR), finding.evidence
    return finding
