"""AWS credentials, identity, regions and thread-safe clients with adaptive retries.

The standard boto3 credential chain and `--profile` apply; `AWS_ENDPOINT_URL`
(and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) is honoured by botocore
itself, which is how air-gapped and test endpoints work.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from cspm_ai.errors import ConfigError, CredentialsError, CspmError

# One data loader per data path for every session this process makes: the loader keeps the service models,
# endpoints and partitions it has parsed, and a session of its own would parse them again (about 0.8 s of CPU
# for SageMaker's model alone), once per account a worker scans.
_LOADERS: dict[str, Any] = {}
_LOADERS_LOCK = threading.Lock()

# Throttling must not change results: adaptive mode backs off client-side as well
# as retrying, and 10 attempts ride out a sustained burst.
RETRY_ATTEMPTS = 10


def client_config(pool_size: int) -> Config:
    return Config(
        retries={"mode": "adaptive", "max_attempts": RETRY_ATTEMPTS},
        max_pool_connections=pool_size,
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="cspm-ai",
    )


def new_boto_session(profile: str | None = None, botocore_session: Any = None) -> boto3.Session:
    """A boto3 session (on `botocore_session` when given) that reads service models through this process's
    shared loader. Raises ProfileNotFound for an unknown profile, as boto3.Session does."""
    core = botocore_session or botocore.session.get_session()
    if profile is not None:
        core.set_config_variable("profile", profile)
    key = str(core.get_config_variable("data_path") or "")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(key)
        if loader is None:
            loader = _LOADERS[key] = core.get_component("data_loader")
        else:
            core.register_component("data_loader", loader)
        session = boto3.Session(botocore_session=core, profile_name=profile)
        # boto3 adds its own data folder to the loader's search path with every session: once is enough.
        paths = loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


class AwsSession:
    """One account's credentials and identity, handing out one client per (service, region)."""

    def __init__(
        self, profile: str | None = None, pool_size: int = 32, boto_session: boto3.Session | None = None
    ) -> None:
        try:
            self._boto = boto_session or new_boto_session(profile)
        except ProfileNotFound as exc:
            raise ConfigError(
                f"AWS profile {profile!r} was not found.",
                "List profiles with `aws configure list-profiles`, or omit --profile.",
            ) from exc
        self._config = client_config(pool_size)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.profile = profile
        # A session made from a profile (or the default chain) can be made again in a worker process;
        # one handed a boto3 session (credentials of its own) cannot.
        self.portable = boto_session is None
        self.account = ""
        self.partition = "aws"
        self.identity = ""

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe; the clients they make are
            if key not in self._clients:
                self._clients[key] = self._boto.client(service, region_name=region, config=self._config)
            return self._clients[key]

    @property
    def botocore_session(self) -> Any:
        """The botocore session under the boto3 one (its loader can be shared with other accounts' sessions)."""
        return self._boto._session  # noqa: SLF001

    @property
    def home_region(self) -> str:
        return self._boto.region_name or "us-east-1"

    def resolve_identity(self) -> None:
        """Who we are: fails fast, with a fix, when there are no usable credentials."""
        try:
            answer = self.client("sts", self.home_region).get_caller_identity()
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise CredentialsError(
                "No AWS credentials were found.",
                "Run `aws configure` or `aws sso login`, set AWS_PROFILE, or pass --profile.",
            ) from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise CredentialsError(
                f"AWS rejected the credentials ({code}).",
                "Refresh them (`aws sso login`, new access keys) and check the profile.",
            ) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            # Timeouts and resets (after botocore's retries) are the network, not the credentials.
            raise CspmError(
                f"Cannot reach AWS STS: {exc}.", "Check the network, a proxy, or AWS_ENDPOINT_URL."
            ) from exc
        except (NoRegionError, BotoCoreError) as exc:
            raise CredentialsError(
                f"AWS credentials could not be used: {exc}.", "Check the profile's configuration."
            ) from exc
        arn = answer["Arn"]
        self.account = answer["Account"]
        self.partition = arn.split(":")[1] if arn.startswith("arn:") else "aws"
        self.identity = arn

    def restore_identity(self, account: str, partition: str, identity: str) -> None:
        """Take the identity the parent process resolved, instead of asking STS again."""
        self.account, self.partition, self.identity = account, partition, identity

    def known_regions(self) -> list[str]:
        return sorted(self._boto.get_available_regions("sagemaker", partition_name=self.partition))

    def enabled_regions(self) -> list[str]:
        """Regions the account has enabled (opt-in regions only once opted in)."""
        try:
            answer = self.client("ec2", self.home_region).describe_regions(AllRegions=False)
        except (ClientError, BotoCoreError) as exc:
            raise CspmError(
                f"Could not list the account's enabled regions: {exc}.",
                "Pass --regions explicitly, or allow ec2:DescribeRegions.",
            ) from exc
        known = set(self.known_regions())
        return sorted(r["RegionName"] for r in answer.get("Regions", []) if r["RegionName"] in known)

    def check_region_names(self, requested: Sequence[str]) -> None:
        """Reject a region no partition knows, before any call is made: a typo is not a network problem."""
        known = {
            r
            for p in self._boto.get_available_partitions()
            for r in self._boto.get_available_regions("sagemaker", partition_name=p)
        }
        self._reject([r for r in requested if r not in known])

    @staticmethod
    def _reject(unknown: Sequence[str]) -> None:
        if unknown:
            raise ConfigError(
                f"Unknown AWS region {', '.join(repr(r) for r in unknown)} (SageMaker does not run there).",
                "Use region codes such as us-east-1, eu-west-1; omit --regions to scan every enabled region.",
            )

    def resolve_regions(self, requested: Sequence[str] | None) -> list[str]:
        """The regions to scan: those asked for (in this account's partition), else every enabled one."""
        if not requested:
            return self.enabled_regions()
        known = set(self.known_regions())
        self._reject([r for r in requested if r not in known])
        return list(dict.fromkeys(requested))
