"""What the command line prints: cloud text made safe for a terminal, errors, progress, scan summaries."""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cspm_ai.model import SEVERITY_ORDER, Finding, Severity, Status

if TYPE_CHECKING:
    from cspm_ai.model import ScanRecord


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(value: object) -> Text:
    """Cloud-supplied text for the terminal: no markup, no escape sequences, and nothing that starts a
    line or reorders what is shown (tab, newline, bidi controls, Unicode line separators)."""
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", str(value))
    return Text(
        re.sub(r"[\t\n\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]", "\N{REPLACEMENT CHARACTER}", text)
    )


def _console() -> Console:
    # Piped or scheduled output goes to logs: wide enough that check ids are not cut.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
    return Console(highlight=False, soft_wrap=False, width=width)


@contextmanager
def _progress(console: Console, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing at all when output is piped or scheduled."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _report_error(message: str, hint: str = "") -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(Text(f"error: {message}", style="bold red"))
    if hint:
        err.print(Text(f"hint: {hint}"))


def _print_summary(console: Console, scan: ScanRecord, findings: Sequence[Finding], paths: Sequence[Path]) -> None:
    by_status = Counter(f.status for f in findings)
    by_severity = Counter(f.severity for f in findings if f.status == Status.FAIL)
    console.print(Text(f"Scan {scan.id} ({scan.status})", style="bold"))
    table = Table(title="Findings by status", show_lines=False)
    for status in Status:
        table.add_column(status.value, justify="right")
    table.add_row(*(str(by_status.get(s, 0)) for s in Status))
    console.print(table)
    sev = Table(title="Failed checks by severity")
    for severity in Severity:
        sev.add_column(severity.value, justify="right")
    sev.add_row(*(str(by_severity.get(s, 0)) for s in Severity))
    console.print(sev)
    worst = sorted(
        (f for f in findings if f.status == Status.FAIL and f.severity in (Severity.CRITICAL, Severity.HIGH)),
        key=lambda f: (SEVERITY_ORDER[f.severity], f.check_id, f.resource_uid),
    )
    if worst:
        top = Table(title=f"Critical and high failures (first {min(len(worst), 15)} of {len(worst)})")
        for col in ("severity", "check", "region", "resource"):
            top.add_column(col)
        for f in worst[:15]:
            top.add_row(f.severity.value, f.check_id, safe_text(f.region), safe_text(f.resource_name))
        console.print(top)
    muted = sum(1 for f in findings if f.muted)
    if muted:
        console.print(Text(f"{muted} finding(s) muted by exceptions; the reports show each with its reason."))
    for rule in scan.exceptions:
        if rule.get("status") == "expired":
            console.print(
                safe_text(
                    f"exception {rule.get('id')} expired on {rule.get('expires')}: it no longer "
                    f"mutes the {rule.get('matched')} finding(s) it matches"
                ),
                style="yellow",
            )
    if scan.status != "complete":
        console.print(
            Text(
                "Scan is INCOMPLETE: some resources could not be read; "
                "see the ERROR findings and errors[] in the report.",
                style="bold yellow",
            )
        )
    for path in paths:
        console.print(Text(f"wrote {path}"))
