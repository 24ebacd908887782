"""Google Cloud collector: Vertex AI, Workbench, Model Armor and the IAM, keys, data stores, networks, policies and
billing around them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from collectors.gcp.api import DEFAULT_UNIVERSE, Endpoints, GoogleApis, GoogleFailure
from collectors.gcp.engine import GcpEngine, check_scope
from collectors.kernel import MAX_PAGES
from cspm_ai.errors import ConfigError, CredentialsError

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
# The APIs an --api-endpoint override may name.
APIS = (
    "aiplatform",
    "cloudasset",
    "cloudresourcemanager",
    "iam",
    "orgpolicy",
    "securitycentermanagement",
    "cloudbilling",
    "billingbudgets",
    "cloudkms",
    "accesscontextmanager",
    "notebooks",
    "modelarmor",
    "dlp",
    "compute",
    "storage",
    "bigquery",
)


def _no_credentials(detail: str) -> CredentialsError:
    return CredentialsError(
        f"No usable Google Cloud credentials were found: {detail}",
        "Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a credentials "
        "file, or run where a service account is attached.",
    )


def default_credentials(impersonate: str | None) -> tuple[Any, str | None, str]:
    """(credentials, default project, identity) from Application Default Credentials, optionally
    impersonating a service account (the caller needs roles/iam.serviceAccountTokenCreator on it)."""
    import google.auth
    from google.auth import exceptions, impersonated_credentials

    try:
        credentials, project = google.auth.default(scopes=list(SCOPES))
    except exceptions.GoogleAuthError as exc:
        raise _no_credentials(str(exc).splitlines()[0]) from exc
    identity = getattr(credentials, "service_account_email", None) or "application default credentials"
    if impersonate:
        credentials = impersonated_credentials.Credentials(
            source_credentials=credentials, target_principal=impersonate, target_scopes=list(SCOPES)
        )
        identity = impersonate
    _first_token(credentials, impersonate)
    return credentials, project, str(identity)


def _first_token(credentials: Any, impersonate: str | None) -> None:
    """Get a token now: an expired login or a refused impersonation is one clear error, not an ERROR
    finding on every read of the scan."""
    from google.auth import exceptions
    from google.auth.transport.requests import Request

    try:
        credentials.refresh(Request())
    except exceptions.GoogleAuthError as exc:
        detail = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        if impersonate:
            raise CredentialsError(
                f"Cannot impersonate {impersonate}: {detail}",
                "Grant your identity roles/iam.serviceAccountTokenCreator on that service account, and check "
                "the IAM Service Account Credentials API is enabled.",
            ) from exc
        raise _no_credentials(detail) from exc


# Tests and the offline demo replace this; a real scan uses Application Default Credentials.
credential_factory: Callable[[str | None], tuple[Any, str | None, str]] = default_credentials


def parse_api_endpoints(values: Sequence[str] | None) -> dict[str, str]:
    """`api=host` pairs (host may hold "{location}" for Vertex AI's regional hosts)."""
    overrides: dict[str, str] = {}
    for value in values or ():
        api, sep, host = value.partition("=")
        api, host = api.strip(), host.strip()
        if not sep or not host or api not in APIS:
            raise ConfigError(
                f"--api-endpoint {value!r} is not API=HOST for a known API.",
                f"Use e.g. aiplatform={{location}}-aiplatform.p.googleapis.com; APIs: {', '.join(APIS)}.",
            )
        if host.startswith("http://"):
            raise ConfigError(
                f"--api-endpoint {value!r} is not https.",
                "Google credentials are only sent over TLS; pass an https:// URL or a bare host.",
            )
        overrides[api] = host
    return overrides


def gcp_collector(
    *,
    projects: Sequence[str] | None = None,
    organization: str | None = None,
    folder: str | None = None,
    locations: Sequence[str] | None = None,
    impersonate_service_account: str | None = None,
    universe_domain: str | None = None,
    api_endpoints: Mapping[str, str] | None = None,
    workers: int = 16,
    max_pages: int = MAX_PAGES,
) -> GcpEngine:
    """A ready collector: credentials found, projects resolved (an organization's or a folder's through Cloud Asset
    Inventory)."""
    check_scope(projects, organization, locations, folder)  # a typo is reported before any sign-in
    credentials, default_project, identity = credential_factory(impersonate_service_account)
    if not projects and not organization and not folder and default_project:
        projects = [default_project]
    issued_in = getattr(credentials, "universe_domain", None) or DEFAULT_UNIVERSE
    universe = universe_domain or issued_in
    if universe != issued_in:
        # The clients would refuse every call; say so once, before the scan starts.
        raise ConfigError(
            f"The credentials were issued in universe {issued_in}, not {universe}.",
            "Use credentials from that universe's sign-in, or drop --universe-domain.",
        )
    apis = GoogleApis(credentials, Endpoints(universe, dict(api_endpoints or {})), workers=workers, max_pages=max_pages)
    engine = GcpEngine(
        apis,
        projects=projects,
        organization=organization,
        folder=folder,
        locations=locations,
        identity=identity,
        workers=workers,
    )
    engine.projects()
    return engine


__all__ = [
    "GcpEngine",
    "GoogleApis",
    "GoogleFailure",
    "Endpoints",
    "credential_factory",
    "gcp_collector",
    "parse_api_endpoints",
]
