"""A usage error is Click's own message with the command's usage line, exit 2: never an internal error.

The cases are made from the command tree Typer builds, so a new command or option is covered without
touching this file: for every command and group, an unknown option; for every option that takes a value,
that option with its value missing; for every option typed as a number or a choice, a value of the wrong
type.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
from typer.main import get_command

from cspm_ai.cli import app, main

UNKNOWN = "--zzz-no-such-option"


def _tree(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _tree(sub, (*path, name))


COMMANDS = list(_tree(get_command(app)))


def _value_options(command: Any) -> Iterator[Any]:
    for param in command.params:
        if param.param_type_name == "option" and not param.is_flag and not param.count:
            yield param


def _declared_type(command: Any, name: str) -> Any:
    """The type the command's function declares for parameter `name`, without Optional."""
    hint = typing.get_type_hints(inspect.unwrap(command.callback))[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) else hint


def _wrong_value(kind: Any) -> str | None:
    """A value of the wrong type for an option of type `kind`; None when any text is valid."""
    if isinstance(kind, type) and issubclass(kind, bool):
        return None
    if kind in (int, float):
        return "not-a-number"
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "no-such-choice"
    return None


def _cases() -> Iterator[Any]:
    for path, command in COMMANDS:
        name = " ".join(("cspm-ai", *path))
        yield pytest.param(path, [*path, UNKNOWN], f"No such option: {UNKNOWN}", id=f"{name} {UNKNOWN}")
        for option in _value_options(command):
            flag = option.opts[0]
            yield pytest.param(
                path, [*path, flag], f"Option '{flag}' requires an argument.", id=f"{name} {flag} (no value)"
            )
            wrong = _wrong_value(_declared_type(command, option.name))
            if wrong is not None:
                yield pytest.param(
                    path, [*path, flag, wrong], f"Invalid value for '{flag}': ", id=f"{name} {flag} {wrong}"
                )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    out, err = capsys.readouterr()
    return int(finished.value.code or 0), out, err


@pytest.mark.parametrize(("path", "args", "message"), list(_cases()))
def test_usage_errors_are_clicks_message_with_the_usage_line(
    capsys: pytest.CaptureFixture[str], path: tuple[str, ...], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    command = " ".join(("cspm-ai", *path))
    lines = err.splitlines()
    assert (code, out) == (2, ""), (code, out, err)
    assert "internal error" not in err and "Traceback" not in err and "report it as a bug" not in err
    assert lines[0].startswith(f"Usage: {command} [OPTIONS]"), lines
    assert lines[1:3] == [f"Try '{command} --help' for help.", ""], lines
    assert lines[3].startswith(f"Error: {message}") and len(lines) == 4, lines


def test_the_table_covers_every_kind_of_case() -> None:
    cases = [case.id for case in _cases()]
    # Every command and group, each of their valued options, and the typed ones (numbers and choices).
    assert len([c for c in cases if c.endswith(UNKNOWN)]) == len(COMMANDS) >= 18
    for typed in ("scan aws --workers", "scans --limit", "evaluate --fail-on", "checks list --format"):
        assert any(c.startswith(f"cspm-ai {typed} ") and "(no value)" not in c for c in cases), typed
    assert "cspm-ai --config (no value)" in cases and "cspm-ai evidence export --out (no value)" in cases


def test_a_mistyped_command_keeps_clicks_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scna")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "Usage: cspm-ai [OPTIONS] COMMAND [ARGS]...",
        "Try 'cspm-ai --help' for help.",
        "",
        "Error: No such command 'scna'. Did you mean 'scan', 'scans'?",
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["scan", "aws", "--nonsense"], "Error: No such option: --nonsense"),
        (["scan", "aws", "--workers", "abc"], "Error: Invalid value for '--workers': "),
        (["scan", "aws", "--workers", "0"], "Error: Invalid value for '--workers': "),
        (["scan", "aws", "--workers"], "Error: Option '--workers' requires an argument."),
    ],
)
def test_the_reported_cases(capsys: pytest.CaptureFixture[str], args: list[str], error: str) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[:3] == ["Usage: cspm-ai scan aws [OPTIONS]", "Try 'cspm-ai scan aws --help' for help.", ""]
    assert lines[3].startswith(error) and len(lines) == 4, lines


def test_a_usage_error_goes_through_the_terminal_sanitiser(capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "--x\x1b]0;pwned\x07\x1b[2J\u202eevil"
    code, _, err = run(capsys, "scan", "aws", hostile)
    assert code == 2
    # Click writes C0 controls as escapes itself; the bidi override it passes on, and the console replaces.
    assert err.splitlines()[-1] == "Error: No such option: --x\\x1b]0;pwned\\x07\\x1b[2J\ufffdevil"


def test_no_arguments_still_print_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan")
    assert code == 2 and "Usage: cspm-ai scan [OPTIONS] COMMAND [ARGS]..." in out and "aws" in out
    assert err == ""
