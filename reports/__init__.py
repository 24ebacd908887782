"""Report output: the JSON and HTML formatters, the JSON Schema, and atomic file writing."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from cspm_ai.errors import ConfigError, OutputError
from cspm_ai.report import Report
from reports.json_writer import render_json

__all__ = ["FORMATS", "load_schema", "render_html", "render_json", "write_reports"]

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
    """Render each requested format and write it atomically into output_dir; return the paths."""
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown report format: {', '.join(unknown)}",
            hint=f"choose from: {', '.join(FORMATS)}",
        )
    # Render everything before touching the disk, so a failure leaves no partial set.
    rendered = [(FORMATS[f], _RENDERERS[f](report)) for f in wanted]
    directory = Path(output_dir)
    _ensure_directory(directory)
    return [_write_atomically(directory / name, text) for name, text in rendered]


def _ensure_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise OutputError(
            f"cannot write reports to {directory}: it is a file, not a directory",
            hint="choose another output directory, or move that file away",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create report directory {directory}: {exc.strerror or exc}",
            hint="choose an output directory you can write to, or create it first",
        ) from exc


def _write_atomically(path: Path, text: str) -> Path:
    # The temp file sits in the target directory so os.replace is a same-filesystem
    # rename: readers see the old report or the new one, never half of one.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        # os.open with 0o666 lets the user's umask decide the mode, as a plain open() would;
        # O_EXCL makes sure we never write through an existing file or symlink.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(text.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check the directory's permissions and free space, or choose another output directory",
        ) from exc
    return path
