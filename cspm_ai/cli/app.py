"""The command tree, the global options, and the option types the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cspm_ai import __version__
from cspm_ai.model import Severity

if TYPE_CHECKING:
    pass


app = typer.Typer(
    name="cspm-ai",
    help="Live cloud security posture auditor for AI workloads (SageMaker, Azure ML, Vertex AI).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scan_app = typer.Typer(help="Scan a cloud account and write reports.", no_args_is_help=True)
checks_app = typer.Typer(help="The check catalogue.", no_args_is_help=True)
frameworks_app = typer.Typer(help="The compliance frameworks checks map to.", no_args_is_help=True)
evidence_app = typer.Typer(help="Signed evidence bundles for auditors.", no_args_is_help=True)
app.add_typer(scan_app, name="scan", rich_help_panel="Scan")
app.add_typer(checks_app, name="checks", rich_help_panel="Inventory and reports")
app.add_typer(frameworks_app, name="frameworks", rich_help_panel="Inventory and reports")
app.add_typer(evidence_app, name="evidence", rich_help_panel="For auditors")


class _State:
    debug = False
    config_path: Path | None = None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cspm-ai {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show tracebacks for internal errors and SDK debug logs (credentials scrubbed)."),
    ] = False,
    config: Annotated[Optional[Path], typer.Option("--config", help="Config file (TOML).")] = None,
) -> None:
    _State.debug = debug
    _State.config_path = config
    if debug:
        # SDK diagnostics go to stderr, with credentials scrubbed from every record.
        from cspm_ai.logsafe import configure_debug_logging

        configure_debug_logging()
    else:
        # SDKs log multi-line diagnostics (azure-identity's credential chain report, for one);
        # the user gets our one-line error and hint instead, and --debug restores them.
        import logging

        from cspm_ai.logsafe import QUIET_LOGGERS

        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


FormatOpt = Annotated[Optional[str], typer.Option("--format", help="Comma-separated: json,html.")]
DbOpt = Annotated[
    Optional[str],
    typer.Option("--db", help="SQLAlchemy URL of the inventory (default: SQLite in the user data directory)."),
]
OutOpt = Annotated[Optional[Path], typer.Option("--output-dir", help="Where reports are written.")]
FailOnOpt = Annotated[
    Optional[Severity],
    typer.Option("--fail-on", help="Exit 1 when an unmuted FAIL of this severity or worse is found."),
]
MutelistOpt = Annotated[
    Optional[Path],
    typer.Option("--mutelist", help="YAML file of exceptions (accepted risks) to mark muted; see the README."),
]
