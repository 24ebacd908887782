"""Organization scans in moto: every active account through the member role, one scan, a member whose role cannot
be assumed blind (and only that one), --accounts and --exclude-accounts, and bad input as typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from collectors import declared_types
from collectors.aws import member_collector, organization_collector
from collectors.aws.organization import Account, check_account_ids, check_role_name, select
from collectors.aws.session import AwsSession
from cspm_ai.config import DEFAULT_MEMBER_ROLE
from cspm_ai.errors import ConfigError, CredentialsError
from cspm_ai.model import CollectionResult
from moto_fixtures.organization import MemberSpec, OrganizationManifest, build_organization, member_session

MEMBERS = (
    MemberSpec("prod", notebooks=("a", "b")),
    MemberSpec("dev"),
    MemberSpec("sandbox", role=False),
    MemberSpec("partner", external_id="s3cret-id"),
)


@dataclass
class Org:
    manifest: OrganizationManifest
    session: boto3.Session

    def collect(self, **options: object) -> CollectionResult:
        aws = AwsSession(boto_session=self.session)
        collector = organization_collector(session=aws, regions=["us-east-1"], workers=8, **options)  # type: ignore[arg-type]
        return collector.collect()


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        with mock_aws():
            session = boto3.Session(region_name="us-east-1")
            manifest = build_organization(
                session, MEMBERS, ai_regions=("us-east-1",), delegated=(("guardduty.amazonaws.com", "prod"),)
            )
            yield Org(manifest, session)


def notebooks(result: CollectionResult) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in result.resources:
        if r.type == "aws.sagemaker.notebook_instance":
            found.setdefault(r.account, set()).add(r.name)
    return found


def test_every_active_account_is_scanned_and_a_member_without_the_role_is_blind(org: Org) -> None:
    m = org.manifest
    result = org.collect()
    prod, dev, sandbox, partner = (m.id_of(n) for n in ("prod", "dev", "sandbox", "partner"))
    # Each resource carries its account; the management account is read with the caller's own credentials.
    assert notebooks(result) == {prod: {"prod-a", "prod-b"}, dev: {"dev-nb"}}
    accounts = {r.account for r in result.resources if r.type == "aws.account"}
    assert accounts == {m.management, prod, dev}
    assert {s.account for s in result.scopes} == {m.management, prod, dev, sandbox, partner}
    # The sandbox has no member role; the partner's trust policy requires an ExternalId this scan did not pass.
    assert {e.account for e in result.errors} == {sandbox, partner}
    sandbox_errors = [e for e in result.errors if e.account == sandbox]
    assert {e.resource_type for e in sandbox_errors} == declared_types("aws") - {
        "aws.organizations.organization",
        "aws.organizations.policy",
    }
    first = sandbox_errors[0]
    assert (first.service, first.operation, first.code) == ("sts", "AssumeRole", "AccessDenied")
    assert f"arn:aws:iam::{sandbox}:role/{DEFAULT_MEMBER_ROLE}" in first.message
    assert "not authorized" in first.message and first.resource_uid is None


def test_the_organization_itself_is_read_once_where_the_scan_runs(org: Org) -> None:
    m = org.manifest
    result = org.collect(accounts=[m.id_of("dev")])
    kinds = [r for r in result.resources if r.type.startswith("aws.organizations.")]
    assert {r.account for r in kinds} == {m.management} and result.errors == []
    [organization] = [r for r in kinds if r.type == "aws.organizations.organization"]
    assert [a["Id"] for a in organization.config["GuardDutyDelegatedAdministrators"]] == [m.id_of("prod")]
    assert organization.config["SecurityHubDelegatedAdministrators"] == []
    policies = {r.name: r for r in kinds if r.type == "aws.organizations.policy"}
    assert set(policies) == {"FullAWSAccess", "ai-regions"}
    fence = policies["ai-regions"].config
    # DescribePolicy's Content arrives as a JSON string and is stored as the document.
    assert fence["Content"]["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["us-east-1"]
    assert [t["Type"] for t in fence["Targets"]] == ["ROOT"]


def test_the_external_id_opens_the_partner_and_accounts_narrow_the_scan(org: Org) -> None:
    m = org.manifest
    partner = m.id_of("partner")
    result = org.collect(accounts=[partner], external_id="s3cret-id")
    assert result.errors == []
    assert notebooks(result) == {partner: {"partner-nb"}}
    assert {s.account for s in result.scopes} == {partner}


def test_excluded_accounts_are_not_scanned(org: Org) -> None:
    m = org.manifest
    left_out = [m.id_of("sandbox"), m.id_of("partner"), m.id_of("prod")]
    result = org.collect(exclude_accounts=left_out)
    assert result.errors == []
    assert {s.account for s in result.scopes} == {m.management, m.id_of("dev")}


def test_another_member_role_name_is_assumed_in_each_member(org: Org) -> None:
    m = org.manifest
    # AWS creates OrganizationAccountAccessRole in every account CreateAccount makes: every member opens with it.
    result = org.collect(member_role="OrganizationAccountAccessRole", accounts=[m.id_of("sandbox")])
    assert result.errors == [] and {s.account for s in result.scopes} == {m.id_of("sandbox")}


def _comparable(result: CollectionResult) -> tuple[set[str], set[tuple[str, str, str]], set[str]]:
    return (
        {r.uid for r in result.resources},
        {(e.account, e.resource_type or "", e.message) for e in result.errors},
        {s.account for s in result.scopes},
    )


@pytest.mark.parametrize("narrowed", [{}, {"exclude_accounts": ["123456789012"], "external_id": "s3cret-id"}])
def test_the_fleet_parts_of_an_organization_read_what_the_whole_scan_reads(
    org: Org, narrowed: dict[str, object]
) -> None:
    """Each part read alone, as a worker would with the management account's credentials, and merged: the same
    resources, errors and scopes as the organization read in one go; the organization's own kinds read once, in
    the part of the account the scan runs from (even when that account itself is excluded)."""
    aws = AwsSession(boto_session=org.session)
    whole = organization_collector(session=aws, regions=["us-east-1"], workers=8, **narrowed)  # type: ignore[arg-type]
    settings = whole.part_settings()
    assert settings["home_account"] == org.manifest.management
    assert settings["collect_home"] == (not narrowed)
    assert org.manifest.management in whole.part_accounts()
    merged = CollectionResult()
    for account in whole.part_accounts():
        options = {k: v for k, v in settings.items() if k != "home_account"}
        part = member_collector(account, home_account=org.manifest.management, session=aws, **options)  # type: ignore[arg-type]
        result = part.collect()
        if account != org.manifest.management:
            assert not [r for r in result.resources if r.type.startswith("aws.organizations.")]
        merged.resources.extend(result.resources)
        merged.errors.extend(result.errors)
        merged.scopes.extend(result.scopes)
    assert _comparable(merged) == _comparable(whole.collect())
    assert sum(1 for r in merged.resources if r.type == "aws.organizations.organization") == 1


def test_a_worker_reads_a_member_with_the_management_accounts_credentials_or_the_members_own(org: Org) -> None:
    m = org.manifest
    dev, prod = m.id_of("dev"), m.id_of("prod")
    as_dev = AwsSession(boto_session=member_session(org.session, dev))
    # The member's own credentials read it directly.
    own = member_collector(dev, home_account=m.management, session=as_dev, regions=["us-east-1"]).collect()
    assert own.errors == [] and notebooks(own) == {dev: {"dev-nb"}}
    # Another member's credentials read neither that member nor the organization: one typed error saying whose.
    for account, needle in ((prod, f"nor {prod}"), (m.management, "scan runs from).")):
        with pytest.raises(CredentialsError, match=f"reach account {dev}, not {m.management}") as raised:
            member_collector(account, home_account=m.management, session=as_dev, regions=["us-east-1"])
        assert needle in raised.value.message
        assert f"credentials of account {m.management}" in raised.value.hint
        assert f"assume role {DEFAULT_MEMBER_ROLE}" in raised.value.hint


def test_an_account_not_in_the_organization_is_named(org: Org) -> None:
    with pytest.raises(ConfigError, match="999999999999") as raised:
        org.collect(accounts=["999999999999"])
    assert "list-accounts" in raised.value.hint


def test_an_account_outside_any_organization_is_told_to_scan_alone(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "444455556666")  # moto's caller: an account no organization holds
    with pytest.raises(ConfigError, match="444455556666 is not in an AWS organization") as raised:
        organization_collector(session=AwsSession(boto_session=boto3.Session()), regions=["us-east-1"])
    assert "Omit --organization" in raised.value.hint


def test_a_caller_denied_listing_accounts_gets_the_management_policy_named() -> None:
    from botocore.stub import Stubber

    aws = AwsSession(boto_session=boto3.Session(region_name="us-east-1"))
    aws.restore_identity("111122223333", "aws", "arn:aws:iam::111122223333:user/auditor")
    client = aws.client("organizations", "us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_accounts", "AccessDeniedException", "You don't have permissions to access this.")
        from collectors.aws.organization import list_accounts

        with pytest.raises(CredentialsError, match="auditor may not list") as raised:
            list_accounts(aws)
    assert "aws-organization-policy.json" in raised.value.hint


def test_selection_and_names_are_checked_before_any_call() -> None:
    accounts = [Account("111111111111", "a"), Account("222222222222", "b")]
    assert [a.id for a in select(accounts, only=["222222222222"])] == ["222222222222"]
    assert [a.id for a in select(accounts, exclude=["222222222222"])] == ["111111111111"]
    with pytest.raises(ConfigError, match="--exclude-accounts names 333333333333"):
        select(accounts, exclude=["333333333333"])
    with pytest.raises(ConfigError, match="No account"):
        select(accounts, exclude=["111111111111", "222222222222"])
    with pytest.raises(ConfigError, match="'12345'"):
        check_account_ids(["12345"], "--accounts")
    with pytest.raises(ConfigError, match="not an IAM role name"):
        check_role_name("arn:aws:iam::111111111111:role/CspmAiAuditRole")
    assert check_role_name("audit/CspmAiAuditRole") == "audit/CspmAiAuditRole"


def test_members_are_read_under_the_read_only_policy_and_the_caller_under_it_and_the_management_policy(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    from importlib.resources import files
    from typing import Any

    import botocore

    import collectors.aws.organization as organization
    from collectors.aws.permissions import iam_action

    def recorder(into: set[str]) -> Any:
        def record(model: Any, **_: Any) -> None:
            into.add(iam_action(model.service_model.service_name, botocore.xform_name(model.name)))

        return record

    member_calls: set[str] = set()
    caller_calls: set[str] = set()
    signed_in = organization._refreshing_session

    def recording(*args: Any) -> Any:
        session, arn = signed_in(*args)
        session.events.register("before-call.*.*", recorder(member_calls))
        return session, arn

    monkeypatch.setattr(organization, "_refreshing_session", recording)
    caller = recorder(caller_calls)
    org.session.events.register("before-call.*.*", caller)
    try:
        org.collect(accounts=[org.manifest.management, org.manifest.id_of("dev")])
    finally:
        org.session.events.unregister("before-call.*.*", caller)

    def shipped(name: str) -> set[str]:
        document = json.loads(files("cspm_ai").joinpath(f"permissions/{name}").read_text())
        return {
            a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }

    readonly, management = shipped("aws-readonly-policy.json"), shipped("aws-organization-policy.json")
    assert "sagemaker:ListNotebookInstances" in member_calls and member_calls <= readonly
    assert {"organizations:ListAccounts", "sts:AssumeRole", "organizations:DescribePolicy"} <= caller_calls
    assert caller_calls <= readonly | management
