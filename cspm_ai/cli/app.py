"""The command tree, the global options, and the option types the commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Optional, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from cspm_ai import __version__
from cspm_ai.model import Severity

PROG_NAME = "cspm-ai"
_F = TypeVar("_F", bound=Callable[..., Any])


def click_exceptions() -> ModuleType:
    """The exceptions module of the click Typer runs on: click's own, or the copy newer Typers vendor
    (then click itself may not be installed at all), found from an exception Typer exports."""
    return sys.modules[typer.BadParameter.__module__]


@contextmanager
def _usage_errors_in(ctx: Any) -> Iterator[None]:
    # Click's parser raises some usage errors ("Option '--workers' requires an argument.") without
    # the context being parsed, and such an error prints no usage line: give it the command's.
    try:
        yield
    except click_exceptions().UsageError as exc:
        if exc.ctx is None:
            exc.ctx, exc.cmd = ctx, ctx.command
        raise


class CspmCommand(TyperCommand):
    """A command whose every usage error names the command, so it is shown with its usage line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _usage_errors_in(ctx):
            return super().parse_args(ctx, args)


class CspmGroup(TyperGroup):
    """A command group whose every usage error names the group, so it is shown with its usage line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _usage_errors_in(ctx):
            return super().parse_args(ctx, args)


class CspmTyper(typer.Typer):
    """A Typer whose groups and commands are `CspmGroup` and `CspmCommand`: a new command needs nothing.
    A group needing more of its own passes `cls`, a subclass of `CspmGroup`."""

    def __init__(self, *, cls: type[CspmGroup] = CspmGroup, **kwargs: Any) -> None:
        super().__init__(cls=cls, **kwargs)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[_F], _F]:
        decorate: Callable[[_F], _F] = super().command(name, cls=cls or CspmCommand, **kwargs)
        return decorate


app = CspmTyper(
    name=PROG_NAME,
    help="Live cloud security posture auditor for AI workloads (SageMaker, Azure ML, Vertex AI).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scan_app = CspmTyper(help="Scan a cloud account and write reports.", no_args_is_help=True)
checks_app = CspmTyper(help="The check catalogue.", no_args_is_help=True)
frameworks_app = CspmTyper(help="The compliance frameworks checks map to.", no_args_is_help=True)
evidence_app = CspmTyper(help="Signed evidence bundles for auditors.", no_args_is_help=True)
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
    import logging

    from cspm_ai.cli.output import DebugRecords, WarningLines, print_traceback

    _State.debug = debug
    _State.config_path = config
    if debug:
        # SDK diagnostics go to stderr, with credentials scrubbed from every record, and every record
        # and the traceback of a bug made safe for the terminal.
        from cspm_ai.logsafe import configure_debug_logging

        configure_debug_logging().addFilter(DebugRecords())
        sys.excepthook = print_traceback
    else:
        # SDKs log multi-line diagnostics (azure-identity's credential chain report, for one);
        # the user gets our one-line error and hint instead, and --debug restores them.
        from cspm_ai.logsafe import QUIET_LOGGERS

        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        # Any other library's warning is one line through the console, like everything else printed.
        logging.lastResort = WarningLines()


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
FailOnNewOpt = Annotated[
    Optional[Severity],
    typer.Option(
        "--fail-on-new",
        help="Exit 1 when an unmuted FAIL of this severity or worse was not failing in the previous comparable scan.",
    ),
]
NotifyOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--notify",
        help="Apprise URL to send new failures and regressions to (repeatable; json://, slack://, mailto://, …).",
    ),
]
