"""AWS Organizations: the organization's active accounts, each scanned through a member role, in one scan.

From the management account or a delegated administrator, `ListAccounts` names the accounts; the member
role (`DEFAULT_MEMBER_ROLE` unless told otherwise, deployed by the StackSet in cspm_ai/permissions) is
assumed in each, and every account is collected by the one-account engine, all of them on one bounded
pool. The account the scan runs from is read with the caller's own credentials. An account whose role
cannot be assumed (or whose regions cannot be listed) is blind: every kind is a collection error there,
naming the role and the reason, and the other accounts are scanned.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from collectors import ProgressCallback, declared_types
from collectors.aws.engine import AwsEngine
from collectors.aws.session import AwsSession, new_boto_session
from collectors.aws.specs import ORGANIZATION
from collectors.kernel import GLOBAL, MAX_PAGES
from collectors.pool import TaskGroup
from cspm_ai.config import DEFAULT_MEMBER_ROLE
from cspm_ai.errors import ConfigError, CredentialsError, CspmError
from cspm_ai.model import CollectionError, CollectionResult, Scope

SESSION_NAME = "cspm-ai"
# ListAccounts returns at most 20 accounts a page.
ACCOUNTS_PAGE_SIZE = 20
# Accounts collected at once; their calls share one pool of `workers` threads, so this bounds threads, not calls.
ACCOUNTS_AT_ONCE = 8
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_MANAGEMENT_POLICY = "cspm_ai/permissions/aws-organization-policy.json"


@dataclass(frozen=True)
class Account:
    """One account of the organization, as ListAccounts names it."""

    id: str
    name: str


@dataclass
class Member:
    """An account to scan: its session once signed in, or why it could not be."""

    account: Account
    role_arn: str
    session: AwsSession | None = None
    failure: CollectionError | None = None
    regions: tuple[str, ...] = field(default_factory=tuple)


def check_role_name(name: str) -> str:
    """The member role's name (with an optional path), never an ARN: the account is filled in per member."""
    if not _ROLE_NAME.match(name):
        raise ConfigError(
            f"Member role {name!r} is not an IAM role name.",
            f"Pass the role's name (default {DEFAULT_MEMBER_ROLE}), not its ARN; each account's ARN is built from it.",
        )
    return name


def check_account_ids(ids: Sequence[str], option: str) -> list[str]:
    bad = [i for i in ids if not _ACCOUNT_ID.match(i)]
    if bad:
        raise ConfigError(
            f"{option} names {', '.join(map(repr, bad))}, not a 12-digit AWS account id.",
            f"Give account ids separated by commas, e.g. {option} 111122223333,444455556666.",
        )
    return list(dict.fromkeys(ids))


def list_accounts(session: AwsSession) -> list[Account]:
    """The organization's ACTIVE accounts, or a typed error saying why they cannot be listed."""
    client = session.client("organizations", session.home_region)
    accounts: list[Account] = []
    try:
        paginator = client.get_paginator("list_accounts")
        for page in paginator.paginate(PaginationConfig={"PageSize": ACCOUNTS_PAGE_SIZE}):
            for item in page.get("Accounts", []):
                # `State` replaces the deprecated `Status`; either says ACTIVE (not SUSPENDED, PENDING_CLOSURE).
                if (item.get("State") or item.get("Status")) == "ACTIVE":
                    accounts.append(Account(str(item["Id"]), str(item.get("Name", ""))))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code, message = str(err.get("Code", "ClientError")), str(err.get("Message", exc))
        if code == "AWSOrganizationsNotInUseException":
            raise ConfigError(
                f"Account {session.account} is not in an AWS organization.",
                "Omit --organization to scan this account alone.",
            ) from exc
        if code in ("AccessDeniedException", "AccessDenied"):
            raise CredentialsError(
                f"{session.identity} may not list the organization's accounts ({code}: {message}).",
                "Run from the management account or a delegated administrator, allowed the actions of "
                f"{_MANAGEMENT_POLICY}.",
            ) from exc
        raise CspmError(
            f"Could not list the organization's accounts ({code}: {message}).", "Retry, or pass --accounts."
        ) from exc
    except BotoCoreError as exc:
        raise CspmError(
            f"Could not list the organization's accounts: {exc}.", "Check the network, a proxy, or AWS_ENDPOINT_URL."
        ) from exc
    return sorted(accounts, key=lambda a: a.id)


def select(accounts: Sequence[Account], only: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[Account]:
    """The accounts to scan: `only` those (each must be an active account of the organization), less `exclude`."""
    known = {a.id: a for a in accounts}
    for option, ids in (("--accounts", only), ("--exclude-accounts", exclude)):
        missing = [i for i in ids if i not in known]
        if missing:
            raise ConfigError(
                f"{option} names {', '.join(missing)}, not an active account of the organization.",
                "List the organization's accounts with `aws organizations list-accounts` and check the ids.",
            )
    chosen = [known[i] for i in only] if only else list(accounts)
    left = [a for a in chosen if a.id not in set(exclude)]
    if not left:
        raise ConfigError("No account of the organization is left to scan.", "Exclude fewer accounts.")
    return left


def blind_account(account: str, role_arn: str, code: str, message: str, operation: str) -> CollectionError:
    """The one error a member that could not be read stands for (`account_errors` spreads it over every kind)."""
    return CollectionError(
        "aws",
        account,
        GLOBAL,
        "sts" if operation == "AssumeRole" else "ec2",
        operation,
        code,
        f"account {account} was not scanned: {operation} with role {role_arn} failed: {message}",
    )


def member_types() -> frozenset[str]:
    """The kinds an account's own collection reads (the organization's kinds are read once, where the scan runs)."""
    return declared_types("aws") - {spec.type for spec in ORGANIZATION}


def account_errors(error: CollectionError) -> list[CollectionError]:
    """Every kind is blind in an account that could not be read, so every check is ERROR there, never PASS."""
    return [
        CollectionError(
            error.provider,
            error.account,
            error.region,
            error.service,
            error.operation,
            error.code,
            error.message,
            resource_type=rtype,
        )
        for rtype in sorted(member_types())
    ]


def _refreshing_session(sts: Any, params: dict[str, Any], source: AwsSession) -> tuple[boto3.Session, str]:
    """A boto3 session on the role's credentials, assumed again before they expire (a long scan outlives them).

    It reads service models through the process's shared loader, so each is parsed once, not per account."""
    from botocore.credentials import RefreshableCredentials
    from botocore.session import get_session

    arn: list[str] = []

    def assume() -> dict[str, str]:
        answer = sts.assume_role(**params)
        creds = answer["Credentials"]
        arn.append(answer["AssumedRoleUser"]["Arn"])
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(assume(), assume, "sts-assume-role")
    botocore_session = get_session()
    botocore_session._credentials = credentials  # noqa: SLF001  (botocore's documented way to inject refreshers)
    botocore_session.set_config_variable("region", source.home_region)
    return new_boto_session(botocore_session=botocore_session), arn[0]


class OrganizationCollector:
    """Collects every chosen member account with the one-account engine, on one pool of `workers` threads."""

    provider = "aws"

    def __init__(
        self,
        session: AwsSession,
        accounts: Sequence[Account],
        *,
        member_role: str = DEFAULT_MEMBER_ROLE,
        external_id: str | None = None,
        regions: Sequence[str] | None = None,
        workers: int = 32,
        max_pages: int = MAX_PAGES,
        read_organization: bool = True,
    ) -> None:
        self.session = session
        self.accounts = tuple(accounts)
        self.member_role = check_role_name(member_role)
        self.external_id = external_id
        self.requested_regions = tuple(regions) if regions else None
        self.workers = workers
        self.max_pages = max_pages
        # The organization's own kinds (its policies, delegated administrators), read where the scan runs.
        self.read_organization = read_organization
        self._lock = threading.Lock()

    def part_accounts(self) -> list[str]:
        """The accounts of this scan's parts on the fleet: each chosen account, and the account the scan runs from
        even when it was excluded (its part alone reads the organization's own kinds, as `collect` does once)."""
        chosen = [a.id for a in self.accounts]
        return chosen if self.session.account in chosen else [self.session.account, *chosen]

    def part_settings(self) -> dict[str, Any]:
        """What a worker needs to read any one of `part_accounts` as this collector would
        (`collectors.aws.member_collector`), with its own credentials: names and ids, never a secret (an ExternalId
        is not one, AWS says: it guards against a confused deputy and authenticates nothing)."""
        return {
            "home_account": self.session.account,
            "collect_home": any(a.id == self.session.account for a in self.accounts),
            "member_role": self.member_role,
            "external_id": self.external_id,
            "regions": list(self.requested_regions) if self.requested_regions else None,
            "workers": self.workers,
            "max_pages": self.max_pages,
        }

    def role_arn(self, account: str) -> str:
        return f"arn:{self.session.partition}:iam::{account}:role/{self.member_role}"

    def sign_in(self, account: Account) -> Member:
        """The member's session through its role (the caller's own in the caller's account), and its regions."""
        member = Member(account, self.role_arn(account.id))
        if account.id == self.session.account:
            member.session = self.session
        else:
            params: dict[str, Any] = {"RoleArn": member.role_arn, "RoleSessionName": SESSION_NAME}
            if self.external_id:
                params["ExternalId"] = self.external_id
            sts = self.session.client("sts", self.session.home_region)
            try:
                boto_session, identity = _refreshing_session(sts, params, self.session)
            except ClientError as exc:
                err = exc.response.get("Error", {})
                code, message = str(err.get("Code", "ClientError")), str(err.get("Message", exc))
                member.failure = blind_account(account.id, member.role_arn, code, message, "AssumeRole")
                return member
            except BotoCoreError as exc:
                failure = blind_account(account.id, member.role_arn, type(exc).__name__, str(exc), "AssumeRole")
                member.failure = failure
                return member
            member.session = AwsSession(pool_size=self.workers, boto_session=boto_session)
            member.session.restore_identity(account.id, self.session.partition, identity)
        try:
            member.regions = tuple(member.session.resolve_regions(self.requested_regions))
        except CspmError as exc:
            member.failure = blind_account(
                account.id, member.role_arn, "RegionsUnknown", exc.message, "DescribeRegions"
            )
        return member

    def _collect_member(self, tasks: TaskGroup, account: Account) -> CollectionResult:
        member = self.sign_in(account)
        if member.session is None or member.failure is not None:
            failure = member.failure or blind_account(account.id, member.role_arn, "NoSession", "", "AssumeRole")
            scope = Scope("aws", account.id, (), member.role_arn)
            return CollectionResult(errors=account_errors(failure), scopes=[scope])
        engine = AwsEngine(member.session, member.regions, self.workers, max_pages=self.max_pages)
        return engine.collect_in(tasks)

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        merged = CollectionResult()
        with TaskGroup(self.workers, progress) as tasks:
            with ThreadPoolExecutor(max_workers=min(ACCOUNTS_AT_ONCE, len(self.accounts) or 1)) as accounts:
                futures = [accounts.submit(self._collect_member, tasks, a) for a in self.accounts]
                if self.read_organization:
                    engine = AwsEngine(self.session, (), self.workers, max_pages=self.max_pages, kinds=ORGANIZATION)
                    futures.append(accounts.submit(engine.collect_in, tasks))
                results = [f.result() for f in futures]
        for result in results:
            merged.resources.extend(result.resources)
            merged.relations.extend(result.relations)
            merged.errors.extend(result.errors)
            merged.scopes.extend(result.scopes)
        return merged


__all__ = [
    "DEFAULT_MEMBER_ROLE",
    "Account",
    "Member",
    "OrganizationCollector",
    "account_errors",
    "check_account_ids",
    "check_role_name",
    "list_accounts",
    "select",
]
