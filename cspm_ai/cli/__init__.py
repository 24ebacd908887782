"""The `cspm-ai` command line: thin commands over scan, inventory and report functions.

Cloud SDKs, SQLAlchemy and moto are imported inside the commands that need
them, so `--help` and `--version` stay instant. The commands live in one
module per group (scans, reports, history, evidence, fleet, schedule); importing them registers them.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

import typer

from cspm_ai.cli.app import PROG_NAME, _State, app, click_exceptions
from cspm_ai.cli.output import _print_summary, _report_error, _report_usage, safe_text
from cspm_ai.errors import CspmError

# Importing a command module registers its commands; this order is the order of `--help`.
for _module in ("scans", "reports", "bom", "history", "paths", "evidence", "fleet", "schedule"):
    importlib.import_module(f"cspm_ai.cli.{_module}")

__all__ = ["_print_summary", "app", "main", "run", "safe_text"]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: typed errors become two short lines and exit 2; usage errors are Click's own words and
    usage line, exit 2; bugs show only under --debug. Everything printed goes through `output._console`."""
    try:
        code = app(args=list(argv) if argv is not None else None, prog_name=PROG_NAME, standalone_mode=False)
    except CspmError as exc:
        if _State.debug:
            raise
        _report_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _report_error("interrupted; any scan in progress stays marked incomplete in the inventory.")
        sys.exit(130)
    except Exception as exc:  # click's usage errors are handled here; anything else is a bug
        clicks = click_exceptions()
        if isinstance(exc, clicks.ClickException):
            _report_usage(exc.show)
            sys.exit(exc.exit_code)
        if isinstance(exc, typer.Abort):
            sys.exit(130)
        if _State.debug or os.environ.get("CSPM_AI_DEBUG"):
            raise
        _report_error(
            f"internal error: {type(exc).__name__}: {exc}",
            "re-run with --debug for a traceback, and report it as a bug.",
        )
        sys.exit(70)
    # Without standalone mode click hands back typer.Exit codes instead of exiting.
    sys.exit(code if isinstance(code, int) else 0)


def run() -> NoReturn:
    """The `cspm-ai` executable: `main`, then the exit handlers, then exit without the interpreter's teardown.

    A scan ends holding hundreds of thousands of objects (stored documents, findings, the report); freeing them
    one by one as the interpreter shuts down took 0.5 to 1.5 s of a 1,500-resource scan's 10 s, for memory the
    process is about to hand back whole. The exit handlers still run (open databases are closed, logs flushed), and a
    thread still at work is waited for as a normal exit would.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_status(exc)
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):  # absent, closed or a broken pipe
            stream.flush()
    os._exit(code)


def _exit_status(exc: SystemExit) -> int:
    """The status `sys.exit(code)` would give: None is 0, a message is printed and is 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1
