"""The AWS engine: paging, no repeated calls, relations, and honest failures (moto in-process)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from collectors.aws import AwsSession, aws_collector
from cspm_ai.model import CollectionResult

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture()
def small_estate() -> Iterator[dict[str, str]]:
    """A notebook, a model and a training job sharing a role, key, subnet and bucket."""
    from moto_fixtures.extensions import install

    with mock_aws():
        install()
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="sm-exec", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        key = boto3.client("kms").create_key(Description="ml")["KeyMetadata"]["Arn"]
        boto3.client("s3").create_bucket(Bucket="ml-artifacts")
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="ml", Description="ml", VpcId=vpc)["GroupId"]
        sm = boto3.client("sagemaker")
        sm.create_notebook_instance(
            NotebookInstanceName="nb",
            InstanceType="ml.t3.medium",
            RoleArn=role,
            KmsKeyId=key,
            SubnetId=subnet,
            SecurityGroupIds=[sg],
        )
        sm.create_model(
            ModelName="clf",
            ExecutionRoleArn=role,
            PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://ml-artifacts/m.tar.gz"},
            VpcConfig={"SecurityGroupIds": [sg], "Subnets": [subnet]},
        )
        sm.create_training_job(
            TrainingJobName="train",
            RoleArn=role,
            AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": "s3://ml-artifacts/out", "KmsKeyId": key},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
        yield {"role": role, "key": key, "subnet": subnet, "sg": sg, "vpc": vpc}


def _collect(boto_session: boto3.Session | None = None, regions: list[str] | None = None) -> CollectionResult:
    session = AwsSession(boto_session=boto_session or boto3.Session())
    return aws_collector(session=session, regions=regions or ["us-east-1"]).collect()


def _denying(operation: str, code: str = "AccessDeniedException") -> Callable[..., Any]:
    def deny(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {
            "Error": {"Code": code, "Message": f"not authorized to perform: {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://denied", 403, {}, None), body

    return deny


def test_collects_resources_and_derives_relations(small_estate: dict[str, str]) -> None:
    result = _collect()
    by_type = Counter(r.type for r in result.resources)
    assert by_type["aws.sagemaker.notebook_instance"] == 1
    assert by_type["aws.sagemaker.model"] == 1
    assert by_type["aws.sagemaker.training_job"] == 1
    for supporting in (
        "aws.iam.role",
        "aws.kms.key",
        "aws.ec2.subnet",
        "aws.ec2.security_group",
        "aws.ec2.vpc",
        "aws.s3.bucket",
        "aws.account",
        "aws.region",
    ):
        assert by_type[supporting] >= 1, supporting
    edges = {(r.src.rsplit("/", 1)[-1], r.kind, r.dst) for r in result.relations}
    assert ("nb", "uses_role", small_estate["role"]) in edges
    assert ("nb", "encrypted_by", small_estate["key"]) in edges
    assert ("clf", "uses_bucket", "arn:aws:s3:::ml-artifacts") in edges
    assert any(kind == "in_vpc" and dst.endswith(small_estate["vpc"]) for _, kind, dst in edges)
    assert result.errors == []
    # Only roles AI resources use are kept, not every role in the account.
    assert [r.name for r in result.resources if r.type == "aws.iam.role"] == ["sm-exec"]


def test_pages_with_the_largest_page_size_and_never_repeats_a_call(small_estate: dict[str, str]) -> None:
    calls: list[tuple[str, str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = params["body"]
        calls.append((model.name, params["url"], body.decode() if isinstance(body, bytes) else str(body)))

    session = boto3.Session()
    session.events.register("before-call.*.*", record)
    _collect(session, regions=["us-east-1", "eu-west-1"])
    repeated = [c for c, n in Counter(calls).items() if n > 1]
    assert repeated == []
    sagemaker_lists = [body for op, url, body in calls if op.startswith("List") and "sagemaker" in url]
    assert sagemaker_lists and all(json.loads(body)["MaxResults"] == 100 for body in sagemaker_lists)
    # Roles, users, groups and policies share one paginated pass (later pages carry a Marker).
    first_pages = [b for op, _, b in calls if op == "GetAccountAuthorizationDetails" and "Marker" not in b]
    assert len(first_pages) == 1 and "'MaxItems': 1000" in first_pages[0]


def test_a_denied_list_blinds_that_kind_and_nothing_else(small_estate: dict[str, str]) -> None:
    session = boto3.Session()
    session.events.register("before-call.sagemaker.ListTrainingJobs", _denying("sagemaker:ListTrainingJobs"))
    result = _collect(session)
    assert not [r for r in result.resources if r.type == "aws.sagemaker.training_job"]
    assert [r.name for r in result.resources if r.type == "aws.sagemaker.model"] == ["clf"]
    [error] = result.errors
    assert (error.operation, error.code, error.resource_type, error.resource_uid) == (
        "ListTrainingJobs",
        "AccessDeniedException",
        "aws.sagemaker.training_job",
        None,
    )
    assert error.region == "us-east-1" and error.account == "123456789012"


def test_a_denied_describe_keeps_the_resource_and_names_it(small_estate: dict[str, str]) -> None:
    session = boto3.Session()
    session.events.register(
        "before-call.sagemaker.DescribeNotebookInstance", _denying("sagemaker:DescribeNotebookInstance")
    )
    result = _collect(session)
    [notebook] = [r for r in result.resources if r.type == "aws.sagemaker.notebook_instance"]
    [error] = result.errors
    assert error.resource_uid == notebook.uid and error.operation == "DescribeNotebookInstance"
    # The list summary is kept so the resource is visible, but not its full configuration.
    assert "DirectInternetAccess" not in notebook.config


def test_a_disabled_service_is_absence_not_failure(small_estate: dict[str, str]) -> None:
    # Security Hub answers InvalidAccessException when it is not enabled: that is a
    # configuration fact (CL-10 FAILs), not a blind spot.
    session = boto3.Session()
    session.events.register(
        "before-call.securityhub.DescribeHub", _denying("securityhub:DescribeHub", "InvalidAccessException")
    )
    result = _collect(session)
    assert result.errors == []
    assert not [r for r in result.resources if r.type == "aws.securityhub.hub"]


def test_unknown_region_is_a_config_error(small_estate: dict[str, str]) -> None:
    from cspm_ai.errors import ConfigError

    with pytest.raises(ConfigError, match="us-east-9"):
        aws_collector(session=AwsSession(boto_session=boto3.Session()), regions=["us-east-9"])


def test_a_guardduty_detector_is_named_by_its_arn(small_estate: dict[str, str]) -> None:
    # ListDetectors gives bare ids and GetDetector does not repeat the id: it is kept from the list.
    detector_id = boto3.client("guardduty").create_detector(Enable=True)["DetectorId"]
    (detector,) = [r for r in _collect().resources if r.type == "aws.guardduty.detector"]
    assert detector.uid == f"arn:aws:guardduty:us-east-1:123456789012:detector/{detector_id}"
    assert detector.name == detector_id and detector.config["DetectorId"] == detector_id


# A credential pasted into a resource name and into a tag key: both are stored redacted, as configuration is.
NAME_SECRET = "AKIAQ3EGRN7XKBV2LS4M"
TAG_KEY_SECRET = "ghp_R7x2Lm9Qv4Tz8Kp1Wn6Yb3Hc5Jd0Fs2Ga7Ek"


def test_names_and_tag_keys_are_redacted_like_configuration(small_estate: dict[str, str]) -> None:
    boto3.client("sagemaker").create_model(
        ModelName=f"clf-{NAME_SECRET}",
        ExecutionRoleArn=small_estate["role"],
        PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://ml-artifacts/m.tar.gz"},
        Tags=[{"Key": TAG_KEY_SECRET, "Value": "ci"}, {"Key": "team", "Value": "ml"}],
    )
    result = _collect()
    [model] = [r for r in result.resources if r.type == "aws.sagemaker.model" and r.name != "clf"]
    assert model.name == "clf-[REDACTED:aws_access_key_id]"
    assert model.tags == {"[REDACTED:github_token]": "ci", "team": "ml"}
    assert NAME_SECRET not in json.dumps([model.name, model.config, model.tags])
    assert TAG_KEY_SECRET not in json.dumps([model.name, model.config, model.tags])
    assert {"path": "name", "kind": "aws_access_key_id"} in model.redactions
    assert {"path": "tags", "kind": "github_token"} in model.redactions


def test_a_field_only_list_roles_returns_is_read_in_one_pass_for_every_role(small_estate: dict[str, str]) -> None:
    # GetAccountAuthorizationDetails lacks MaxSessionDuration: one ListRoles pass serves every role.
    long_lived = boto3.client("iam").create_role(
        RoleName="sm-long", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=43200
    )["Role"]["Arn"]
    boto3.client("sagemaker").create_model(
        ModelName="clf-2", ExecutionRoleArn=long_lived, PrimaryContainer={"Image": "img"}
    )
    calls: list[str] = []
    session = boto3.Session()
    session.events.register("before-call.iam.ListRoles", lambda **_: calls.append("ListRoles"))
    result = _collect(session)
    durations = {r.name: r.config.get("MaxSessionDuration") for r in result.resources if r.type == "aws.iam.role"}
    assert durations == {"sm-exec": 3600, "sm-long": 43200}
    assert calls == ["ListRoles"] and result.errors == []


def test_a_denied_shared_list_is_an_error_on_each_resource_it_serves(small_estate: dict[str, str]) -> None:
    session = boto3.Session()
    session.events.register("before-call.iam.ListRoles", _denying("iam:ListRoles"))
    result = _collect(session)
    [role] = [r for r in result.resources if r.type == "aws.iam.role"]
    [error] = result.errors
    assert (error.operation, error.resource_uid) == ("ListRoles", role.uid)
    assert "MaxSessionDuration" not in role.config


def test_a_list_that_takes_no_page_size_is_still_read_to_its_last_page(small_estate: dict[str, str]) -> None:
    # DescribeConfigRules answers 25 rules a page and refuses a page size.
    config = boto3.client("config")
    for i in range(30):
        source = {"Owner": "AWS", "SourceIdentifier": "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"}
        config.put_config_rule(ConfigRule={"ConfigRuleName": f"ai-rule-{i:02d}", "Source": source})
    pages: list[dict[str, Any]] = []
    session = boto3.Session()
    session.events.register("before-call.config.DescribeConfigRules", lambda params, **_: pages.append(params))
    result = _collect(session)
    rules = sorted(r.name for r in result.resources if r.type == "aws.config.rule")
    assert rules == [f"ai-rule-{i:02d}" for i in range(30)]
    assert len(pages) == 2 and result.errors == []


def test_macie_off_is_absence_but_a_denied_macie_call_is_a_failure(small_estate: dict[str, str]) -> None:
    # Macie answers AccessDeniedException both when it is off ("Macie is not enabled.") and when a permission is
    # missing: only the first is a fact.
    result = _collect()
    assert not [r for r in result.resources if r.type.startswith("aws.macie.")] and result.errors == []
    session = boto3.Session()
    session.events.register("before-call.macie2.GetMacieSession", _denying("macie2:GetMacieSession"))
    [error] = _collect(session).errors
    assert (error.operation, error.code, error.resource_type) == (
        "GetMacieSession",
        "AccessDeniedException",
        "aws.macie.session",
    )


def test_macie_inventory_is_kept_only_for_buckets_ai_resources_use(small_estate: dict[str, str]) -> None:
    boto3.client("s3").create_bucket(Bucket="finance-reports")
    boto3.client("macie2").enable_macie()
    result = _collect()
    [session] = [r for r in result.resources if r.type == "aws.macie.session"]
    assert session.config["status"] == "ENABLED" and session.name == "us-east-1"
    [entry] = [r for r in result.resources if r.type == "aws.macie.bucket"]
    assert entry.name == "ml-artifacts" and entry.uid == "arn:aws:macie2:us-east-1:123456789012:bucket/ml-artifacts"
    assert ("arn:aws:s3:::ml-artifacts", "classified_by", entry.uid) in {
        (r.src, r.kind, r.dst) for r in result.relations
    }


def test_a_referenced_resources_independent_reads_run_at_once_and_merge_as_in_turn(
    small_estate: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A referenced bucket's reads need nothing but its name: each runs as a task of its own (two are seen in
    flight together), and what is stored is exactly what reading them one after the other stores."""
    import threading

    import collectors.aws.engine as engine

    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket="ml-artifacts", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket="ml-artifacts", Tagging={"TagSet": [{"Key": "team", "Value": "ml"}]})

    def bucket(result: CollectionResult) -> tuple[object, ...]:
        found = next(r for r in result.resources if r.type == "aws.s3.bucket")
        return found.uid, found.config, found.tags, sorted(repr(e) for e in result.errors)

    with monkeypatch.context() as one_by_one:
        one_by_one.setattr(engine, "_independent", lambda reads: False)
        in_turn = bucket(_collect())

    together = threading.Barrier(2, timeout=10)
    read = engine.AwsEngine._read

    def meeting(self: engine.AwsEngine, service: str, region: str, spec_read: Any, config: Any) -> Any:
        if spec_read.operation in ("get_bucket_versioning", "get_bucket_tagging"):
            together.wait()  # both reads must be in flight at once, or this times out
        return read(self, service, region, spec_read, config)

    monkeypatch.setattr(engine.AwsEngine, "_read", meeting)
    at_once = bucket(_collect())
    assert at_once == in_turn
    assert at_once[1]["Versioning"]["Status"] == "Enabled" and at_once[2] == {"team": "ml"}


def test_reads_run_at_once_only_when_none_depends_on_another() -> None:
    from collectors.aws.engine import _independent
    from collectors.aws.specs import REFERENCED, Read

    assert _independent(REFERENCED["aws.s3.bucket"].reads)
    named = Read("get_a", {"Id": "{Id}"}, into="A")
    assert _independent((named, Read("get_b", {"Id": "{Id}"}, into="B")))
    assert not _independent((named, Read("get_b", {"Arn": "{A.Arn}"}, into="B")))  # needs A's answer
    assert not _independent((named, Read("get_b", {"Id": "{Id}"})))  # merges keys it does not name
    assert not _independent((named, Read("get_b", {"Id": "{Id}"}, into="B", when=lambda c: "A" in c)))
    assert not _independent((named, Read("list_b", {}, into="B", paginate="Items", match="A")))
