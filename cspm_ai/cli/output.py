"""What the command line prints, and the one console everything it prints goes through.

Every line (errors and hints, usage errors, the summary, warnings, `wrote <path>`, progress) is
printed by a console from `_console`, which scrubs credentials from each piece of text
(`cspm_ai.logsafe.scrub`: passwords in URLs, tokens, keys) and replaces every character that
could steer a terminal (`clean`) before Rich lays it out, and cleans the laid-out text again.
Markup and emoji codes are off, so text from a cloud is never read as styling either.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.protocol import rich_cast
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from cspm_ai.logsafe import scrub
from cspm_ai.model import SEVERITY_ORDER, Finding, Severity, Status

if TYPE_CHECKING:
    from cspm_ai.model import ScanRecord

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
# What could steer a terminal or rearrange what it shows: C0 controls (ESC, so every CSI, OSC and
# other escape sequence loses its introducer; BEL, backspace, carriage return, tab and newline too),
# DEL, C1 controls (8-bit CSI and OSC among them), the bidi marks, embeddings, overrides and
# isolates, and the Unicode line and paragraph separators.
_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
# The same in text Rich has laid out, where a newline is Rich's own line break.
_UNSAFE_LAID_OUT = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")


def clean(text: str) -> str:
    """`text` with each character that could steer a terminal replaced by U+FFFD, one for one."""
    return _UNSAFE.sub(REPLACEMENT, text)


def printable(value: object) -> str:
    """`value` as a terminal may show it: credentials scrubbed, then cleaned."""
    return clean(scrub(str(value)))


def clean_lines(text: str) -> str:
    """Multi-line text (a traceback, a debug record) cleaned as `clean` does, its line breaks kept."""
    return _UNSAFE_LAID_OUT.sub(REPLACEMENT, text)


def safe_text(value: object) -> Text:
    """Cloud-supplied text for the terminal: no markup, no escape sequences, and nothing that starts a
    line or reorders what is shown (tab, newline, bidi controls, Unicode line separators)."""
    return Text(clean(str(value)))


def _printable_renderable(renderable: RenderableType) -> RenderableType:
    """Strings and Text scrubbed and cleaned (a Text keeps its style); other renderables as they are,
    their text being rendered through the console in turn."""
    renderable = rich_cast(renderable)
    if isinstance(renderable, str):
        return printable(renderable)
    if isinstance(renderable, Text):
        shown = printable(renderable.plain)
        if shown != renderable.plain:
            renderable = renderable.copy()
            renderable.plain = shown
    return renderable


class SafeConsole(Console):
    """A Rich console that prints nothing a terminal would act on, and no credential.

    Rich makes every string it prints into Text with `render_str`, and renders everything (tables and
    their cells, progress descriptions, titles) through `render`: strings are scrubbed and cleaned in
    the first, before Rich's own Text drops some controls (BEL, backspace, CR) unreplaced, and every
    Text in the second; every laid-out segment is cleaned again. Rich's control segments (cursor
    moves) are kept.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(_printable_renderable(renderable), options):
            if segment.control or not _UNSAFE_LAID_OUT.search(segment.text):
                yield segment
            else:
                yield Segment(_UNSAFE_LAID_OUT.sub(REPLACEMENT, segment.text), segment.style)


class WarningLines(logging.Handler):
    """Python's last-resort handler, for records no handler takes (a library's warning in a normal run):
    each is one `warning:` line through the console, not the raw message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _console(stderr=True).print(f"warning: {record.getMessage()}", style="yellow")
        except Exception:  # noqa: BLE001  logging's contract: a failing handler reports, never raises
            self.handleError(record)


class DebugRecords(logging.Filter):
    """Cleans `--debug` records for the terminal after `logsafe.RedactingFilter` scrubbed them;
    their line breaks stay, as SDK diagnostics and tracebacks need them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = clean_lines(scrub(record.getMessage()))
        record.args = None
        if record.exc_text:
            record.exc_text = clean_lines(scrub(record.exc_text))
        return True


def print_traceback(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """`sys.excepthook` under `--debug`: the traceback, scrubbed and cleaned, on standard error."""
    sys.stderr.write(clean_lines(scrub("".join(traceback.format_exception(kind, value, tb)))))


def _console(stderr: bool = False) -> Console:
    """The console every command prints through: standard output, or standard error for errors."""
    if stderr:
        return SafeConsole(stderr=True, soft_wrap=True)
    # Piped or scheduled output goes to logs: wide enough that check ids are not cut.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
    return SafeConsole(soft_wrap=False, width=width)


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
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        # Scrubbed before Rich measures the column: a longer [REDACTED:...] mark would be cut short.
        task = bar.add_task(printable(label), total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _report_error(message: str, hint: str = "") -> None:
    """The two lines of a typed error on standard error: `error: <message>` and `hint: <hint>`."""
    err = _console(stderr=True)
    err.print(f"error: {message}", style="bold red")
    if hint:
        err.print(f"hint: {hint}")


def _report_usage(show: Callable[[io.StringIO], None]) -> None:
    """A usage error as Click words it (usage line, help hint, message), through the same console."""
    buffer = io.StringIO()
    show(buffer)
    shown = buffer.getvalue()
    if not shown.strip():  # `--help` for a command given no arguments: Typer printed it already
        return
    err = _console(stderr=True)
    for line in shown.rstrip("\n").split("\n"):
        err.print(line)


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
        console.print(f"wrote {path}", soft_wrap=True)  # a path stays one line, whatever the width
