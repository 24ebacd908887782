"""Distributed mode when the broker or the database cannot be reached: one `error:` line naming it, a `hint:`
line saying what to do, a non-zero exit, and no wait beyond a few seconds (no workers are needed)."""

from __future__ import annotations

import time

import pytest

from cspm_ai.cli import main
from tests.conftest import PG_HOST, PG_PORT, PG_USER
from tests.distributed.conftest import ORGANIZATION, REDIS

pytestmark = pytest.mark.postgres

CLOSED = "127.0.0.1:9"  # the discard port: nothing listens there


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    started = time.monotonic()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert time.monotonic() - started < 20
    return code, capsys.readouterr().err.splitlines()


def assert_one_error(code: int, lines: list[str], *words: str) -> None:
    errors = [line for line in lines if line.startswith("error:")]
    hints = [line for line in lines if line.startswith("hint:")]
    assert code != 0
    assert len(errors) == 1 and len(hints) == 1, lines
    for word in words:
        assert word in errors[0], errors[0]
    assert "Traceback" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("command", "broker"),
    [
        (["scan", "gcp", "--organization", ORGANIZATION, "--distributed"], f"redis://{CLOSED}/0"),
        (["scan", "azure", "--distributed"], f"amqp://guest:secret@{CLOSED}//"),
        (["worker"], f"redis://{CLOSED}/0"),
        (["scheduler"], f"amqp://guest:secret@{CLOSED}//"),
    ],
    ids=["scan-redis", "scan-rabbitmq", "worker", "scheduler"],
)
def test_an_unreachable_broker_is_one_error_and_a_hint(
    command: list[str], broker: str, fleet_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{fleet_database}"
    code, lines = run([*command, "--broker", broker, "--db", db], capsys)
    assert_one_error(code, lines, "Cannot reach the broker", CLOSED)
    assert "secret" not in "\n".join(lines)  # the broker's password is never shown


@pytest.mark.parametrize("command", [["scan", "gcp", "--organization", ORGANIZATION, "--distributed"], ["worker"]])
def test_an_unreachable_database_is_one_error_and_a_hint(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"postgresql+psycopg://{PG_USER}:secret@{CLOSED}/inventory"
    code, lines = run([*command, "--broker", REDIS, "--db", db], capsys)
    assert_one_error(code, lines, CLOSED.split(":")[0])
    assert "secret" not in "\n".join(lines)
