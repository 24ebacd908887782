"""build_aws_estate in other shapes: one region, no hostile strings, AWS managed policies preloaded."""

from __future__ import annotations

import boto3
from moto import mock_aws

from moto_fixtures.estate import HOSTILE_STRINGS, build_aws_estate


def test_single_region_benign_estate() -> None:
    # Runs with the suite's MOTO_IAM_LOAD_MANAGED_POLICIES=true: the builder must not care.
    with mock_aws():
        session = boto3.Session()
        manifest = build_aws_estate(session=session, regions=("eu-west-1",), hostile=False)
        assert manifest.regions == ("eu-west-1",) and manifest.hostile_strings == ()
        assert manifest.expected[("aws.guardduty.enabled", "eu-west-1")] == "PASS"
        assert not any(name == "us-east-1" for _, name in manifest.expected)
        ec2 = session.client("ec2", region_name="eu-west-1")
        for vpc in ec2.describe_vpcs()["Vpcs"]:
            assert not any(s in tag["Value"] for tag in vpc.get("Tags", []) for s in HOSTILE_STRINGS)
        kms = session.client("kms", region_name="eu-west-1")
        description = kms.describe_key(KeyId=manifest.ids["good_key_arn"])["KeyMetadata"]["Description"]
        assert not any(s in description for s in HOSTILE_STRINGS)
        location = session.client("s3").get_bucket_location(Bucket=manifest.ids["good_bucket"])
        assert location["LocationConstraint"] == "eu-west-1"
        attached = session.client("iam").list_attached_role_policies(RoleName="bad-shared-admin-role")
        assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == ["AdministratorAccess"]
