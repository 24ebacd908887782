"""Google API reads: the generated clients over REST, raw REST where no client speaks it, one retry policy.

Vertex AI, Cloud Asset Inventory, Resource Manager, Org Policy, Cloud KMS,
Workbench, Billing, Security Command Center, Model Armor, Sensitive Data
Protection and Compute Engine are read through their `google-cloud-*` clients
with `transport="rest"`. IAM admin and Access Context Manager have no Python
client that speaks REST (google-cloud-iam's admin client is gRPC only;
google-cloud-access-context-manager ships only types), and Cloud Storage's and
BigQuery's JSON APIs have only hand-written clients with transports of their
own, so those few GETs go through google-auth's `AuthorizedSession`.

Every answer is turned into the proto3 JSON mapping (lowerCamelCase, enum
names, defaults omitted), whatever encoding the server used. Both kinds of
read go through `transport`: each HTTP attempt bounded as a whole, a few
attempts for a read that gets no answer, a long deadline for one throttled.
"""

from __future__ import annotations

import builtins
import importlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from collectors.gcp.specs import Read
from collectors.gcp.transport import ATTEMPT_TIMEOUT, NETWORK_ATTEMPTS, RETRY_DEADLINE, BoundedAdapter, ReadRetry
from collectors.kernel import MAX_PAGES, ReadFailure

DEFAULT_UNIVERSE = "googleapis.com"
RAW_PAGE_SIZE = 100  # serviceAccounts.list, accessPolicies.list and servicePerimeters.list maximum


class GoogleFailure(ReadFailure):
    """A read that failed: the permission it needed, the status, Google's message and, when Google sent one, the
    ErrorInfo reason ("SERVICE_DISABLED", "IAM_PERMISSION_DENIED")."""

    def __init__(self, read: Read, status: int | None, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(read.api, read.permission, code, message, status)
        self.read = read
        self.reason = reason

    @property
    def service_disabled(self) -> bool:
        """The API is not enabled in the project: a fact about the project (the feature is off), not a blind read."""
        return self.reason == "SERVICE_DISABLED"


@dataclass(frozen=True)
class Endpoints:
    """Where each API is reached: `<api>.<universe>`, Vertex AI on `<location>-aiplatform.<universe>`, Model Armor's
    regional resources on `modelarmor.<location>.rep.<universe>`.

    `overrides` maps an API ("aiplatform", "cloudasset", ...) to a host or URL for private or
    sovereign endpoints; "{location}" in it is replaced by the Vertex AI location.
    """

    universe_domain: str = DEFAULT_UNIVERSE
    overrides: Mapping[str, str] = field(default_factory=dict)

    def host(self, api: str, location: str | None = None) -> str:
        template = self.overrides.get(api)
        if template is None:
            regional = location not in (None, "global")
            if api == "aiplatform" and regional:
                template = f"{{location}}-{api}.{self.universe_domain}"
            elif api == "modelarmor" and regional:
                template = f"{api}.{{location}}.rep.{self.universe_domain}"
            else:
                template = f"{api}.{self.universe_domain}"
        return template.format(location=location or "")

    def url(self, api: str, path: str) -> str:
        host = self.host(api)
        base = host if host.startswith(("https://", "http://")) else f"https://{host}"
        return f"{base.rstrip('/')}/{path.lstrip('/')}"


def to_json(message: Any) -> dict[str, Any]:
    """A proto-plus or protobuf message in the proto3 JSON mapping (what the REST API documents)."""
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(getattr(message, "_pb", message))


# The client module of each generated-client API.
_MODULES = {
    "aiplatform": "google.cloud.aiplatform_v1",
    "cloudasset": "google.cloud.asset_v1",
    "cloudresourcemanager": "google.cloud.resourcemanager_v3",
    "orgpolicy": "google.cloud.orgpolicy_v2",
    "securitycentermanagement": "google.cloud.securitycentermanagement_v1",
    "cloudbilling": "google.cloud.billing_v1",
    "billingbudgets": "google.cloud.billing.budgets_v1",
    "cloudkms": "google.cloud.kms_v1",
    "notebooks": "google.cloud.notebooks_v2",
    "modelarmor": "google.cloud.modelarmor_v1",
    "dlp": "google.cloud.dlp_v2",
    "compute": "google.cloud.compute_v1",
}


class GoogleApis:
    """Reads with one credential; clients are built once per (class, host) and shared between threads."""

    def __init__(
        self,
        credentials: Any,
        endpoints: Endpoints | None = None,
        *,
        workers: int = 16,
        retry_initial: float = 1.0,
        retry_timeout: float = RETRY_DEADLINE,
        network_attempts: int = NETWORK_ATTEMPTS,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.credentials = credentials
        self.endpoints = endpoints or Endpoints()
        self.max_pages = max_pages
        # Every request has one: some generated methods default to none (wait forever).
        self.attempt_timeout = attempt_timeout
        self._workers = workers
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None
        # A read that gets no answer (an API unreachable behind a firewall or VPC Service Controls) is given a few
        # attempts; one throttled (429, 500, 503) is retried until the generous deadline, because a throttled scan
        # must finish with the same results.
        self.retry = ReadRetry(initial=retry_initial, deadline=retry_timeout, network_attempts=network_attempts)
        self.permissions_used: set[str] = set()

    # -- clients -------------------------------------------------------------------------

    def _bound(self, session: Any) -> None:
        """Every attempt through `session` ends within `attempt_timeout`, body included."""
        adapter = BoundedAdapter(attempt_timeout=self.attempt_timeout, pool_maxsize=self._workers)
        session.mount("https://", adapter)
        session.mount("http://", adapter)  # a private endpoint given as http:// (tests); --api-endpoint refuses it

    def client(self, api: str, cls: str, location: str | None = None) -> Any:
        host = self.endpoints.host(api, location)
        key = (cls, host)
        with self._lock:
            if key not in self._clients:
                from google.api_core.client_options import ClientOptions

                module = importlib.import_module(_MODULES[api])
                options = ClientOptions(api_endpoint=host, universe_domain=self.endpoints.universe_domain)
                client = getattr(module, cls)(credentials=self.credentials, transport="rest", client_options=options)
                session = client.transport._session  # the REST transport's AuthorizedSession
                if not session.is_mtls:  # a client certificate session keeps its own adapter
                    self._bound(session)
                self._clients[key] = client
            return self._clients[key]

    def _raw_session(self) -> Any:
        with self._lock:
            if self._session is None:
                from google.auth.transport.requests import AuthorizedSession

                session = AuthorizedSession(self.credentials)
                self._bound(session)
                self._session = session
            return self._session

    # -- reads ---------------------------------------------------------------------------

    def _guard(self, read: Read, call: Callable[[], Any]) -> Any:
        """Run a read, turning every way it can fail into a GoogleFailure naming the permission."""
        from google.api_core import exceptions
        from google.auth import exceptions as auth_exceptions
        from google.protobuf.json_format import ParseError
        from requests import RequestException

        with self._lock:
            self.permissions_used.add(read.permission)
        try:
            return call()
        except exceptions.RetryError as exc:
            cause = exc.cause
            raise GoogleFailure(
                read, getattr(cause, "code", None), "RETRIES_EXHAUSTED", _first_line(cause or exc)
            ) from exc
        except exceptions.GoogleAPICallError as exc:
            status, message = _google_error(exc)
            raise GoogleFailure(read, exc.code, status, message, getattr(exc, "reason", None)) from exc
        except (exceptions.GoogleAPIError, auth_exceptions.GoogleAuthError, RequestException) as exc:
            raise GoogleFailure(read, None, type(exc).__name__, _first_line(exc)) from exc
        except ParseError as exc:
            raise GoogleFailure(read, None, "MalformedResponse", _first_line(exc)) from exc

    def _method(self, read: Read, location: str | None) -> Any:
        if read.client is None or read.method is None:
            raise TypeError(f"{read.rest} is read through REST, not a client")
        return getattr(self.client(read.api, read.client, location), read.method)

    def get(self, read: Read, request: Mapping[str, Any], *, location: str | None = None) -> dict[str, Any]:
        """One resource through the read's generated client method."""
        call = self._method(read, location)
        return self._guard(
            read, lambda: to_json(call(request=dict(request), retry=self.retry, timeout=self.attempt_timeout))
        )

    def list(self, read: Read, request: Mapping[str, Any], *, location: str | None = None) -> list[dict[str, Any]]:
        """Every item of a paged list through a generated client (see `_next_page` for how paging ends)."""
        call = self._method(read, location)

        def pages() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = []
            seen: set[str] = set()
            for page in call(request=dict(request), retry=self.retry, timeout=self.attempt_timeout).pages:
                items.extend(to_json(item) for item in _items(page))
                if page.next_page_token:
                    self._next_page(read, seen, page.next_page_token)
            return items

        return self._guard(read, pages)

    def raw_list(
        self, read: Read, params: Mapping[str, str] | None = None, *, paged: bool = True, **path: str
    ) -> builtins.list[dict[str, Any]]:
        """Every item of a REST list (already proto3 JSON) from an API without a REST client; `path`
        fills the read's path template."""
        if read.path is None or read.items is None:
            raise TypeError(f"{read.rest} is read through a client, not REST")
        url = self.endpoints.url(read.api, read.path.format(**path))
        key = read.items

        def pages() -> list[dict[str, Any]]:
            query = dict(params or {})
            if paged:
                query["pageSize"] = str(RAW_PAGE_SIZE)
            items: list[dict[str, Any]] = []
            seen: set[str] = set()
            while True:
                body = self.retry(self._raw_page)(url, key, dict(query))
                items.extend(body.get(key) or [])
                token = body.get("nextPageToken") if paged else None
                if not token:
                    return items
                self._next_page(read, seen, token)
                query["pageToken"] = token

        return self._guard(read, pages)

    def raw_get(self, read: Read, params: Mapping[str, str] | None = None, **path: str) -> dict[str, Any]:
        """One resource through a REST read of a single resource (Cloud Storage, BigQuery, an IAM policy);
        `path` fills the read's path template, each value percent-encoded as one path segment."""
        if read.path is None or not read.single:
            raise TypeError(f"{read.rest} is not a REST read of one resource")
        url = self.endpoints.url(read.api, read.path.format(**{k: quote(v, safe="") for k, v in path.items()}))
        return self._guard(read, lambda: self.retry(self._raw_json)(url, dict(params or {}), read.verb))

    def _raw_json(self, url: str, query: dict[str, str], verb: str = "GET") -> dict[str, Any]:
        """One REST answer, checked to be a JSON object (a POST read sends an empty request body)."""
        from google.api_core import exceptions
        from google.protobuf.json_format import ParseError

        payload: dict[str, Any] | None = {} if verb == "POST" else None
        response = self._raw_session().request(verb, url, params=query, json=payload, timeout=self.attempt_timeout)
        if response.status_code >= 400:
            raise exceptions.from_http_response(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise ParseError("the answer was not JSON") from exc
        if not isinstance(body, dict):
            raise ParseError("the answer was not a JSON object")
        return body

    def _raw_page(self, url: str, key: str, query: dict[str, str]) -> dict[str, Any]:
        """One page of a REST list, its items checked to be a list of objects."""
        from google.protobuf.json_format import ParseError

        body = self._raw_json(url, query)
        items = body.get(key)
        # An item of the wrong shape dropped here would read as "none": a PASS on garbage.
        if items is not None and (not isinstance(items, list) or not all(isinstance(v, dict) for v in items)):
            raise ParseError(f"{key} was not a list of objects")
        return body

    def _next_page(self, read: Read, seen: set[str], token: str) -> None:
        """A list goes on to the page `token` names. A token seen before would page forever, and so would a
        list whose every page names a new one: past `max_pages` pages it is a failure. Stopping quietly
        instead would hide resources."""
        if token in seen:
            raise GoogleFailure(read, None, "RepeatedPageToken", f"nextPageToken repeats: {token}")
        seen.add(token)
        if len(seen) >= self.max_pages:
            raise GoogleFailure(read, None, "TooManyPages", f"the list goes on past {self.max_pages} pages")


def _items(page: Any) -> Iterable[Any]:
    """The repeated field of a list response (the one that is not `unreachable` or a token)."""
    for descriptor in page._pb.DESCRIPTOR.fields:
        if descriptor.is_repeated and descriptor.message_type is not None:
            return getattr(page, descriptor.name)
    return ()


def _google_error(exc: Any) -> tuple[str, str]:
    """Google's own status ("PERMISSION_DENIED") and message from the error envelope, when it sent one."""
    error: Any = None
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            error = None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error.get("status") or f"HTTP{exc.code}"), error["message"]
    status = exc.grpc_status_code.name if exc.grpc_status_code is not None else f"HTTP{exc.code}"
    return status, exc.message or _first_line(exc)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
