"""Raw Azure Resource Manager reads through the SDK's authenticated, retrying pipeline.

Typed `azure-mgmt-*` models silently drop fields they do not know (the
Machine Learning client targets an API version without online endpoints or
`managedNetwork`), so cspm-ai reads ARM JSON with pinned `api-version`s
through a generated client's `send_request`: ARM bearer auth for the chosen
cloud, retries that honour `Retry-After` on 429, and `nextLink` paging here.

The bearer token goes wherever a request goes, and every path read comes
from the estate (an id listed, a key or role an answer names): a request
whose URL is not on the ARM endpoint is refused before it is sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from collectors.kernel import MAX_PAGES, ReadFailure

# The client needs a subscription id to exist; raw requests carry their own in the path.
_UNUSED_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
# Enough attempts to ride out a throttled subscription (ARM answers 429 with Retry-After).
RETRY_ATTEMPTS = 10


@dataclass(frozen=True)
class ArmCloud:
    name: str
    arm_endpoint: str
    authority: str


CLOUDS: dict[str, ArmCloud] = {
    "public": ArmCloud("public", "https://management.azure.com", "https://login.microsoftonline.com"),
    "usgov": ArmCloud("usgov", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us"),
    "china": ArmCloud("china", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}


class ArmFailure(ReadFailure):
    """A read that failed: the RBAC action it needed, the ARM error code, and its message."""

    def __init__(self, action: str, status: int | None, code: str, message: str) -> None:
        super().__init__(action.split("/", 1)[0], action, code, message, status)
        self.action = action


# "/subscriptions/..." or "/providers/..." (tenant and management group scopes), segments of printable
# characters without "?", "#", "\\" or whitespace, and no "." or ".." segment.
_ARM_ID = re.compile(r"^/(?i:subscriptions|providers)(?:/(?!\.\.?(?:/|$))[^/?#\\\s]+)+$")


def is_arm_id(value: object) -> TypeGuard[str]:
    """True for an ARM resource id ("/subscriptions/..." or "/providers/..."): a path on the ARM endpoint,
    never a URL or anything that would change the host when appended to the endpoint."""
    return isinstance(value, str) and value.isprintable() and _ARM_ID.match(value) is not None


def rbac_action(path: str) -> str:
    """The Azure RBAC action a GET on `path` needs, e.g. `Microsoft.MachineLearningServices/workspaces/read`.

    It is named by the last provider namespace in the path and the resource type
    segments after it (instance names skipped), which is how ARM authorises reads.
    """
    segments = [s for s in urlsplit(path).path.split("/") if s]
    lowered = [s.lower() for s in segments]
    if "providers" not in lowered:
        # /subscriptions, /subscriptions/{id}/resourceGroups: Microsoft.Resources types.
        types = [s for i, s in enumerate(segments) if i % 2 == 0]
        return "Microsoft.Resources/" + "/".join(types) + "/read"
    start = len(lowered) - 1 - lowered[::-1].index("providers")
    namespace, rest = segments[start + 1], segments[start + 2 :]
    types = [s for i, s in enumerate(rest) if i % 2 == 0]
    return f"{namespace}/{'/'.join(types)}/read"


class ArmReader:
    """GETs against one ARM endpoint with one credential; safe to share between threads."""

    def __init__(
        self,
        credential: Any,
        arm_endpoint: str = CLOUDS["public"].arm_endpoint,
        *,
        retry_backoff_factor: float = 0.8,
        max_pages: int = MAX_PAGES,
    ) -> None:
        from azure.mgmt.resource.resources import ResourceManagementClient

        self.endpoint = arm_endpoint.rstrip("/")
        self.max_pages = max_pages
        self._client = ResourceManagementClient(
            credential,
            _UNUSED_SUBSCRIPTION,
            base_url=self.endpoint,
            # Tokens must be for this cloud's Resource Manager, not the public one.
            credential_scopes=[f"{self.endpoint}/.default"],
            # azure-core caps retries on 429/5xx at 3 unless told otherwise; a throttled subscription
            # needs them all. Connection and read failures keep azure-core's bound of 3.
            retry_total=RETRY_ATTEMPTS,
            retry_status=RETRY_ATTEMPTS,
            retry_backoff_factor=retry_backoff_factor,
        )

    def _url(self, path_or_url: str, api_version: str | None) -> str:
        url = path_or_url if path_or_url.startswith("https://") else f"{self.endpoint}{path_or_url}"
        if api_version is not None and "api-version=" not in url:
            url += ("&" if "?" in url else "?") + f"api-version={api_version}"
        return url

    def get(self, path: str, api_version: str | None) -> dict[str, Any]:
        """One resource (or one page) as ARM's JSON."""
        from azure.core.exceptions import AzureError, DecodeError
        from azure.core.rest import HttpRequest

        action = rbac_action(path)
        url = self._url(path, api_version)
        if _origin(url) != _origin(self.endpoint):
            # The token would go with the request: it is only ever sent to this endpoint.
            scheme, host = _origin(url)
            raise ArmFailure(
                action, None, "UnexpectedHost", f"{scheme}://{host} is not the ARM endpoint {self.endpoint}"
            )
        try:
            response = self._client.send_request(HttpRequest("GET", url))
        except DecodeError as exc:
            raise ArmFailure(action, None, "MalformedResponse", "the answer was not JSON") from exc
        except AzureError as exc:  # no answer at all: connection refused, timeouts after retries
            raise ArmFailure(action, None, type(exc).__name__, str(exc).splitlines()[0]) from exc
        if response.status_code >= 400:
            code, message = _error_of(response.text())
            raise ArmFailure(action, response.status_code, code or f"HTTP{response.status_code}", message)
        try:
            body = response.json()
        except ValueError as exc:
            raise ArmFailure(action, response.status_code, "MalformedResponse", "the answer was not JSON") from exc
        if not isinstance(body, dict):
            raise ArmFailure(action, response.status_code, "MalformedResponse", "the answer was not an object")
        return body

    def list(self, path: str, api_version: str | None) -> list[dict[str, Any]]:
        """Every item of a list, following `nextLink` (which already carries the api-version), at most
        `max_pages` pages."""
        items: list[dict[str, Any]] = []
        next_url: str | None = self._url(path, api_version)
        seen: set[str] = set()
        while next_url:
            if next_url in seen:
                # Looping pages would repeat forever; stopping quietly would hide resources.
                raise ArmFailure(rbac_action(path), None, "RepeatedNextLink", f"nextLink repeats: {next_url}")
            if len(seen) == self.max_pages:
                # A list whose every page links a new one would never end; cutting it short would hide resources.
                raise ArmFailure(
                    rbac_action(path), None, "TooManyPages", f"the list goes on past {self.max_pages} pages"
                )
            seen.add(next_url)
            page = self.get(next_url, None)
            value = page.get("value")
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                # Reading a wrongly shaped page as empty would hide every resource on it.
                raise ArmFailure(
                    rbac_action(path), None, "MalformedResponse", 'the page has no "value" list of objects'
                )
            items.extend(value)
            link = page.get("nextLink")
            next_url = link if isinstance(link, str) and link else None
            if next_url and _origin(next_url) != _origin(self.endpoint):
                # The bearer token goes wherever the link points: never off this endpoint.
                raise ArmFailure(
                    rbac_action(path),
                    None,
                    "UnexpectedNextLink",
                    f"nextLink points outside {self.endpoint}: {_origin(next_url)}",
                )
        return items


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _error_of(text: str) -> tuple[str, str]:
    """ARM's `{"error": {"code", "message"}}`, tolerating bodies that are not."""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return "", text[:300]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return "", text[:300]
