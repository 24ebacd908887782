"""Notifications after a scan: new failures and regressions, sent to Slack, Microsoft Teams, e-mail or a webhook.

Delivery is Apprise's (one URL per target: `slack://…`, `workflows://…`, `mailto://…`, `json://host/path`).
Every string from a cloud is scrubbed of credentials (`logsafe.scrub`) and then escaped for the markup
the target reads: plain text with control characters replaced, CommonMark with every markup character
backslash-escaped, or HTML-escaped. A failed delivery is a `Delivery` with a reason, never an exception:
the CLI prints it as a warning, and the scan's result and exit code stay as they were.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cspm_ai.errors import ConfigError
from cspm_ai.logsafe import scrub
from cspm_ai.model import Status

if TYPE_CHECKING:
    from cspm_ai.history import FindingChange
    from cspm_ai.model import ScanRecord

# Failures listed in one notification; the rest are counted.
MAX_LISTED: Final = 20
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&-])")
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s?#]+)[^\s]*")
URL_HINT = "Use an Apprise URL such as json://host/path, slack://…, workflows://… or mailto://…; see the README."


@dataclass(frozen=True)
class Message:
    """A notification, rendered once per markup; `title` holds no cloud text."""

    title: str
    text: str
    markdown: str
    html: str

    def body(self, markup: str) -> str:
        return {"markdown": self.markdown, "html": self.html}.get(markup, self.text)


@dataclass(frozen=True)
class Delivery:
    target: str  # the URL's service and host only (Apprise's privacy form, cut after the host)
    ok: bool
    reason: str = ""


def _plain(value: object) -> str:
    return _UNSAFE.sub("\N{REPLACEMENT CHARACTER}", scrub(str(value)))


def _markdown(value: object) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _plain(value))


def _html(value: object) -> str:
    return html.escape(_plain(value), quote=True)


def build_message(scan: ScanRecord, failures: Sequence[FindingChange], since: ScanRecord | None) -> Message:
    """The summary of `failures` (new failures and regressions, most severe first) after `scan`."""
    regressed = sum(1 for f in failures if f.previous_status is Status.PASS)
    title = (
        f"cspm-ai: {len(failures) - regressed} new failure(s), {regressed} regression(s) in scan {scan.id[:8]}"
        if since is not None
        else f"cspm-ai: {len(failures)} failure(s) in scan {scan.id[:8]} (no earlier scan of these accounts)"
    )
    intro = (
        f"Scan {scan.id} ({scan.status}) compared with scan {since.id}."
        if since is not None
        else f"Scan {scan.id} ({scan.status}): the first scan of these accounts, so every failure is new."
    )

    def render(escape: Callable[[object], str], item: str, join: str) -> str:
        lines = [escape(intro)]
        for f in failures[:MAX_LISTED]:
            was = f"was {f.previous_status.value}" if f.previous_status is not None else "new"
            lines.append(
                item.format(
                    severity=f.severity.value.upper(),
                    check=escape(f.check_id),
                    resource=escape(f.resource_name),
                    where=escape(f"{f.provider} {f.account} {f.region}"),
                    was=was,
                    message=escape(f.message),
                )
            )
        if len(failures) > MAX_LISTED:
            lines.append(escape(f"… and {len(failures) - MAX_LISTED} more: see the report."))
        return join.join(lines)

    return Message(
        title=title,
        text=render(_plain, "- [{severity}] {check} on {resource} ({where}, {was}): {message}", "\n"),
        markdown=render(_markdown, "- **{severity}** {check} on {resource} ({where}, {was}): {message}", "\n"),
        html=render(_html, "<li><b>{severity}</b> {check} on {resource} ({where}, {was}): {message}</li>", "\n"),
    )


def _instantiate(url: str) -> Any:
    import apprise

    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def check_urls(urls: Sequence[str]) -> None:
    """Refuse, before any scan starts, a URL no notification service understands."""
    for url in urls:
        if _instantiate(url) is None:
            shown = _plain(url.split("://", 1)[0] + "://…" if "://" in url else "(no scheme)")
            raise ConfigError(f"--notify {shown} is not a notification URL cspm-ai can send to.", URL_HINT)


def send(urls: Sequence[str], message: Message) -> list[Delivery]:
    """Send `message` to each URL in the markup its service reads; one Delivery per URL, in order."""
    import apprise

    deliveries = []
    for url in urls:
        plugin = _instantiate(url)
        if plugin is None:
            deliveries.append(Delivery("(unknown notification URL)", False, "not a notification URL"))
            continue
        # Only the service and host: a webhook's path is often its secret.
        target = _plain(_URL.sub(r"\1", plugin.url(privacy=True)))
        formats = plugin.notify_format
        markup = str((formats[0] if isinstance(formats, tuple) else formats).value)
        with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
            try:
                ok = bool(plugin.notify(body=message.body(markup), title=message.title, body_format=markup))
            except Exception as exc:  # noqa: BLE001  a notification must never end a finished scan
                ok, reason = False, f"{type(exc).__name__}: {exc}"
            else:
                reason = "" if ok else _last_line(captured.getvalue()) or "the service refused the notification"
        deliveries.append(Delivery(target, ok, _plain(reason)))
    return deliveries


def _last_line(log: str) -> str:
    """Apprise's last warning, with every URL cut to its host: a webhook's path is its secret."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return _URL.sub(r"\1/…", lines[-1]) if lines else ""
