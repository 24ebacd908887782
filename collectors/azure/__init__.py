"""Azure collector: Azure Machine Learning and the identities, keys, networks and logging around it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from collectors.azure.arm import CLOUDS, ArmFailure, ArmReader
from collectors.azure.engine import AzureEngine, check_management_group
from collectors.kernel import MAX_PAGES
from cspm_ai.errors import ConfigError, CredentialsError


def default_credential(authority: str) -> Any:
    """Environment, workload identity, managed identity, Azure CLI... for the chosen cloud."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(authority=authority)


# Tests and the offline demo replace this; a real scan uses DefaultAzureCredential.
credential_factory: Callable[[str], Any] = default_credential


def _no_credentials() -> CredentialsError:
    return CredentialsError(
        "No usable Azure credentials were found.",
        "Run `az login`, set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, "
        "or run where a managed identity is available.",
    )


def _identity(credential: Any, endpoint: str) -> str:
    """Who the token says we are (user principal name, app id or object id), for the report's scope."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        token = credential.get_token(f"{endpoint}/.default").token
    except ClientAuthenticationError as exc:  # CredentialUnavailableError is one of these
        raise _no_credentials() from exc
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, AttributeError):
        return "unknown"
    for claim in ("upn", "unique_name", "appid", "oid"):
        if isinstance(claims.get(claim), str):
            return claims[claim]
    return "unknown"


def azure_collector(
    *,
    subscriptions: Sequence[str] | None = None,
    management_group: str | None = None,
    cloud: str = "public",
    arm_endpoint: str | None = None,
    workers: int = 16,
    max_pages: int = MAX_PAGES,
) -> AzureEngine:
    """A ready collector: signed in, subscriptions resolved (each one asked for must be visible; a management group's
    listed with its descendants)."""
    if management_group and subscriptions:
        raise ConfigError(
            "--subscriptions and --management-group cannot be used together.",
            "Pass one of them (or set one of subscriptions and management_group in [azure]): "
            "--management-group scans every subscription under the group.",
        )
    if management_group:
        check_management_group(management_group)  # a typo is reported before any sign-in
    if cloud not in CLOUDS:
        raise ConfigError(f"Unknown Azure cloud {cloud!r}.", f"Choose one of: {', '.join(CLOUDS)}.")
    endpoint = (arm_endpoint or CLOUDS[cloud].arm_endpoint).rstrip("/")
    if not endpoint.startswith("https://"):
        raise ConfigError(
            f"ARM endpoint {endpoint!r} is not https.",
            "Azure Resource Manager tokens are only sent over TLS; pass an https:// URL.",
        )
    credential = credential_factory(CLOUDS[cloud].authority)
    engine = AzureEngine(
        ArmReader(credential, endpoint, max_pages=max_pages),
        subscriptions,
        management_group=management_group,
        identity=_identity(credential, endpoint),
        workers=workers,
    )
    try:
        engine.subscriptions()
    except ConfigError as exc:
        cause = exc.__cause__
        if isinstance(cause, ArmFailure) and cause.code in ("ClientAuthenticationError", "CredentialUnavailableError"):
            raise _no_credentials() from exc
        raise
    return engine


__all__ = ["AzureEngine", "ArmReader", "azure_collector", "credential_factory"]
