"""The `cspm-ai` command line: thin commands over scan, inventory and report functions.

Cloud SDKs, SQLAlchemy and moto are imported inside the commands that need
them, so `--help` and `--version` stay instant. The commands live in one
module per group (scans, reports, history, evidence, fleet, schedule); importing them registers them.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import typer

from cspm_ai.cli.app import PROG_NAME, _State, app, click_exceptions
from cspm_ai.cli.output import _print_summary, _report_error, _report_usage, safe_text
from cspm_ai.errors import CspmError

# Importing a command module registers its commands; this order is the order of `--help`.
for _module in ("scans", "reports", "bom", "history", "paths", "evidence", "fleet", "schedule"):
    importlib.import_module(f"cspm_ai.cli.{_module}")

__all__ = ["_print_summary", "app", "main", "safe_text"]


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
