"""Report output: the JSON and HTML formatters, the JSON Schema, and writing a set of reports whole."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from cspm_ai.errors import ConfigError, OutputError
from cspm_ai.files import WriteFailed, private_directory, reason, replace_together
from cspm_ai.report import Report
from reports.json_writer import render_json

__all__ = ["FORMATS", "load_schema", "render_html", "render_json", "write_outputs", "write_reports"]

# Format name -> output file name. The CLI's --format choices come from here.
FORMATS: dict[str, str] = {"json": "report.json", "html": "report.html"}


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (see `reports.html_writer`)."""
    # Imported on use so that JSON-only callers never load Jinja2.
    from reports.html_writer import render_html as render

    return render(report)


@cache
def _schema_text() -> str:
    return files("reports").joinpath("schema/report.schema.json").read_text("utf-8")


def load_schema() -> dict[str, Any]:
    """The report.json JSON Schema (draft 2020-12), a fresh dict on every call."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


_RENDERERS: dict[str, Callable[[Report], str]] = {"json": render_json, "html": render_html}


def write_reports(report: Report, output_dir: Path, formats: Iterable[str]) -> list[Path]:
    """Render each requested format and put them all into output_dir together; return the paths."""
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown report format: {', '.join(unknown)}",
            hint=f"choose from: {', '.join(FORMATS)}",
        )
    # Each format is rendered as its turn comes, while the one before is written: nothing is put in place
    # before every one is rendered and written, so a failure leaves no partial set.
    return write_outputs(Path(output_dir), ((FORMATS[f], _RENDERERS[f](report)) for f in wanted))


def write_outputs(directory: Path, rendered: Iterable[tuple[str, str]]) -> list[Path]:
    """Write each (file name, text) into `directory` (0600 files; 0700 if the directory is new), all or none.

    Every file is written and flushed beside its target before any is renamed into place, so a full
    disk or any other failure (a generator of texts that raises, too) leaves the previous set whole:
    never a new report.json beside an old report.html.
    """
    _ensure_directory(directory)
    try:
        return replace_together((directory / name, text.encode("utf-8")) for name, text in rendered)
    except WriteFailed as failed:
        raise OutputError(
            f"cannot write {failed.path}: {reason(failed.error)}",
            hint=(
                "the disk is full: free some space on it, or choose another output directory; "
                "the reports already there were left as they were"
                if failed.disk_full
                else "check the directory's permissions and free space, or choose another output directory"
            ),
        ) from failed


def _ensure_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise OutputError(
            f"cannot write reports to {directory}: it is a file, not a directory",
            hint="choose another output directory, or move that file away",
        )
    try:
        private_directory(directory)
    except OSError as exc:
        raise OutputError(
            f"cannot create report directory {directory}: {reason(exc)}",
            hint="choose an output directory you can write to, or create it first",
        ) from exc
