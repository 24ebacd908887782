"""Notifications through Apprise to a local HTTP server: what is sent, escaped per markup, and failures as warnings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cspm_ai.errors import ConfigError
from cspm_ai.history import FindingChange
from cspm_ai.model import ScanRecord, Scope, Severity, Status
from cspm_ai.notify import MAX_LISTED, build_message, check_urls, send

SECRET = "AKIAIOSFODNN7EXAMPLE"
HOSTILE = f"<script>alert(1)</script> *bold* [x](javascript:alert(1)) \x1b[31m red \u202e <!channel> {SECRET}"


class Hook:
    """A local webhook: records every request's path and body; answers `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.requests.append((self.path, json.loads(body or b"{}")))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def scan(scan_id: str = "0123456789abcdef") -> ScanRecord:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    return ScanRecord(scan_id, now, now, "complete", ("aws",), (Scope("aws", "123456789012", (), "me"),), "1")


def change(name: str, previous: Status | None = None, severity: Severity = Severity.HIGH) -> FindingChange:
    return FindingChange(
        id=name,
        check_id="aws.sagemaker.notebook_direct_internet_access",
        title="t",
        severity=severity,
        provider="aws",
        account="123456789012",
        region="us-east-1",
        resource_type="aws.sagemaker.notebook_instance",
        resource_uid=name,
        resource_name=name,
        status=Status.FAIL,
        previous_status=previous,
        message=f"{name} is open",
        muted=False,
    )


def test_a_webhook_gets_the_new_failures_as_plain_text_with_cloud_text_scrubbed(hook: Hook) -> None:
    failures = [change(HOSTILE, severity=Severity.CRITICAL), change("nb-2", previous=Status.PASS)]
    message = build_message(scan(), failures, since=scan("fedcba9876543210"))
    (delivery,) = send([f"json://127.0.0.1:{hook.port}/hook"], message)
    assert delivery.ok and delivery.target.startswith("json://127.0.0.1:")
    ((path, body),) = hook.requests
    assert path == "/hook"
    assert body["title"] == "cspm-ai: 1 new failure(s), 1 regression(s) in scan 01234567"
    text = body["message"]
    assert "[CRITICAL] aws.sagemaker.notebook_direct_internet_access on <script>" in text
    assert "(aws 123456789012 us-east-1, was PASS): nb-2 is open" in text
    assert SECRET not in text and "\x1b" not in text and "\u202e" not in text


def test_each_markup_escapes_cloud_text() -> None:
    message = build_message(scan(), [change(HOSTILE)], since=None)
    assert "first scan of these accounts" in message.text
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<li><b>HIGH</b>" in message.html
    md = message.markdown
    assert "\\<script\\>" in md and "\\*bold\\*" in md and "\\[x\\]\\(javascript:alert\\(1\\)\\)" in md
    assert "\\<\\!channel\\>" in md or "\\<!channel\\>" in md
    for body in (message.text, message.markdown, message.html):
        assert SECRET not in body and "\x1b" not in body


def test_a_long_list_is_cut() -> None:
    message = build_message(scan(), [change(f"nb-{i}") for i in range(MAX_LISTED + 5)], since=None)
    assert message.text.count("\n- [HIGH]") == MAX_LISTED and "… and 5 more" in message.text


def test_a_slack_style_webhook_on_a_local_server(hook: Hook) -> None:
    # Mattermost's incoming webhooks take Slack's payload; Apprise sends it plain text.
    (delivery,) = send(
        [f"mmost://127.0.0.1:{hook.port}/abcdefghijklmnopqrstuvwxyz"], build_message(scan(), [change(HOSTILE)], None)
    )
    assert delivery.ok, delivery.reason
    ((path, body),) = hook.requests
    assert path.endswith("/hooks/abcdefghijklmnopqrstuvwxyz")
    assert "aws.sagemaker.notebook_direct_internet_access" in body["text"] and SECRET not in body["text"]


def test_a_refused_or_unreachable_target_is_a_delivery_with_a_reason(hook: Hook) -> None:
    hook.status = 500
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()
    deliveries = send(
        [f"json://127.0.0.1:{hook.port}/secret-path-token", f"json://127.0.0.1:{port}/x"],
        build_message(scan(), [change("nb")], None),
    )
    assert [d.ok for d in deliveries] == [False, False]
    assert all(d.reason for d in deliveries)
    assert all("secret-path-token" not in d.reason + d.target for d in deliveries)


def test_unknown_urls_are_refused_before_a_scan() -> None:
    check_urls(["json://127.0.0.1/x", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"])
    with pytest.raises(ConfigError, match="not a notification URL") as refused:
        check_urls(["nosuchservice://token@host"])
    assert "token" not in refused.value.message


def test_the_config_file_and_notify_options_add_up(tmp_path: Path) -> None:
    from cspm_ai.cli.runs import _notify_targets
    from cspm_ai.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text('notify = ["json://127.0.0.1:9/from-file"]\n')
    settings = load_settings(config)
    assert _notify_targets(["json://127.0.0.1:9/option", "json://127.0.0.1:9/from-file"], settings) == [
        "json://127.0.0.1:9/from-file",
        "json://127.0.0.1:9/option",
    ]
    config.write_text('notify = ["carrier-pigeon://coop"]\n')
    with pytest.raises(ConfigError, match="carrier-pigeon://"):
        _notify_targets(None, load_settings(config))


def test_a_failed_notification_is_a_warning_and_keeps_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cspm_ai.cli import runs
    from cspm_ai.history import DiffCounts, Expiring, FindingChanges, ResourceChanges, ScanDiff, scan_ref
    from cspm_ai.notify import Delivery

    record = scan()
    changes = ScanDiff(
        from_scan=None,
        to_scan=scan_ref(record),
        comparable=False,
        note="none",
        counts=DiffCounts(),
        findings=FindingChanges(),
        resources=ResourceChanges(),
        expiring=Expiring(within_days=14, as_of=record.started_at.date()),
    )
    monkeypatch.setattr("cspm_ai.notify.send", lambda urls, message: [Delivery("json://127.0.0.1:9", False, "refused")])

    class Inventory:
        def get_scan(self, ref: str) -> ScanRecord:
            return record

    run = runs._Run(None, runs._console(), [], tmp_path, Inventory(), None, ["json://127.0.0.1:9/x"])  # type: ignore[arg-type]
    runs._notify(run, record, changes, [change("nb")])
    _, err = capsys.readouterr()
    assert err.strip() == "warning: notification to json://127.0.0.1:9 failed: refused"
    # The exit code comes from the findings alone (--fail-on, --fail-on-new), never from a delivery.
    assert runs._fail_on_new([change("nb", severity=Severity.LOW)], Severity.HIGH) == 0
    assert runs._fail_on_new([change("nb", severity=Severity.CRITICAL)], Severity.HIGH) == 1
