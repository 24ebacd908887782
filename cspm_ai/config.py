"""User configuration: an optional TOML file, overridden by command-line options.

Looked up at `--config PATH`, else $CSPM_AI_CONFIG, else `config.toml` in the
user's config directory. A file that exists but cannot be read is an error
(never silently ignored): a scheduled scan must not drift from its settings.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cspm_ai.errors import ConfigError

# The role `scan aws --organization` assumes in each member account: what the shipped StackSet template creates.
DEFAULT_MEMBER_ROLE = "CspmAiAuditRole"


class AwsSettings(BaseModel):
    """`scan aws` fallbacks; the organization's are checked by the collector like the options they stand in for."""

    # TOML readily holds account ids as numbers; they are the same ids.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    profile: str | None = None
    regions: list[str] | None = None
    workers: int = Field(default=32, ge=1, le=256)
    # Worker processes collecting regions at once (`--processes`); unset: two per core, at most 4.
    processes: int | None = Field(default=None, ge=1, le=64)
    # Scan every active account of the organization (`--organization`), through `member_role`.
    organization: bool = False
    member_role: str | None = None
    external_id: str | None = None
    accounts: list[str] | None = None
    exclude_accounts: list[str] | None = None


class AzureSettings(BaseModel):
    """`scan azure` fallbacks. The cloud name and endpoint are checked where the options are, by the
    collector, so a typo reads the same from the file as from the command line."""

    model_config = ConfigDict(extra="forbid")

    subscriptions: list[str] | None = None
    # Every enabled subscription under this management group (`--management-group`); not with `subscriptions`.
    management_group: str | None = None
    cloud: str = "public"
    arm_endpoint: str | None = None
    workers: int = Field(default=16, ge=1, le=256)


class GcpSettings(BaseModel):
    """`scan gcp` fallbacks, checked by the collector like the options they stand in for."""

    # TOML readily holds `organization = 123456789012` (or a folder) as a number; it is the same id.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    projects: list[str] | None = None
    organization: str | None = None
    # Every active project under this folder, at any depth (`--folder`); not with `projects` or `organization`.
    folder: str | None = None
    locations: list[str] | None = None
    impersonate_service_account: str | None = None
    universe_domain: str | None = None
    # API=HOST, as --api-endpoint takes them.
    api_endpoints: list[str] | None = None
    workers: int = Field(default=16, ge=1, le=256)


class DistributedSettings(BaseModel):
    """Distributed mode (the `distributed` extra): the broker, and the bounds of a scan in parts."""

    model_config = ConfigDict(extra="forbid")

    # Scans run on the fleet without --distributed.
    enabled: bool = False
    # redis://host:6379/0 or amqp://user@host:5672//; the inventory (`db`) must be PostgreSQL.
    broker: str | None = None
    # The longest a scan may take: parts not stored by then are ERROR for their account.
    deadline: str = "6h"
    # Deliveries of one part before it is ERROR for its account (a failed collection, a worker that died).
    attempts: int = Field(default=3, ge=1, le=20)
    # The longest one part may run on a worker before it is stopped (and retried while attempts remain).
    part_time_limit: str = "1h"
    # Pool processes of `cspm-ai worker` (default: one per core).
    concurrency: int | None = Field(default=None, ge=1, le=256)
    # The fleet's queues are QUEUES.parts and QUEUES.schedules: two fleets (say staging and production) can
    # share one broker under two names. The scans, workers and scheduler of one fleet use the same.
    queues: str = Field(default="cspm-ai", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

    @field_validator("deadline", "part_time_limit")
    @classmethod
    def _duration(cls, value: str) -> str:
        from cspm_ai.distributed.model import parse_duration

        try:
            parse_duration(value)
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    db: str | None = None
    output_dir: Path | None = None
    formats: list[str] = Field(default_factory=lambda: ["json", "html"])
    allowed_regions: list[str] | None = None
    # The exceptions file every scan applies unless --mutelist names another.
    mutelist: Path | None = None
    # Apprise URLs every scan notifies of new failures and regressions (besides any --notify).
    notify: list[str] = Field(default_factory=list)
    # Pages one list may take on any cloud (collectors.kernel.MAX_PAGES); a longer list is an ERROR, not cut short.
    max_pages: int = Field(default=10_000, ge=1)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    gcp: GcpSettings = Field(default_factory=GcpSettings)
    distributed: DistributedSettings = Field(default_factory=DistributedSettings)


def default_config_path() -> Path:
    return Path(user_config_dir("cspm-ai")) / "config.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the config file, or defaults when there is none."""
    explicit = path or (Path(os.environ["CSPM_AI_CONFIG"]) if os.environ.get("CSPM_AI_CONFIG") else None)
    candidate = explicit or default_config_path()
    if not candidate.exists():
        if explicit is not None:
            raise ConfigError(
                f"Config file {candidate} does not exist.", "Check the path given to --config or $CSPM_AI_CONFIG."
            )
        return Settings()
    try:
        raw = tomllib.loads(candidate.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {candidate}: {exc}.", "Check its permissions.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Config file {candidate} is not valid TOML: {exc}.",
            "Fix the syntax, or move the file away to use defaults.",
        ) from exc
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(
            f"Config file {candidate}: {where}: {first['msg']}.",
            "See the README's configuration section for the accepted keys.",
        ) from exc
