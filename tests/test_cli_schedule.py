"""`cspm-ai schedule add|list|remove` through the CLI on SQLite and PostgreSQL, bad timings as one error line,
and the overlap lock: a run that finds the previous one still going is recorded as skipped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from cspm_ai.distributed.schedules import run_schedule
from cspm_ai.inventory import Inventory
from cspm_ai.scan import began_scans


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from cspm_ai.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_and_remove(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ("--db", database_url)
    code, out, _ = run_main(
        capsys, "schedule", "add", "nightly", "--cron", "0 3 * * *", *db, "--", "scan", "aws", "--regions", "eu-west-1"
    )
    assert code == 0 and "added schedule nightly: cron 0 3 * * *: cspm-ai scan aws --regions eu-west-1" in out
    code, out, _ = run_main(capsys, "schedule", "add", "hourly", "--every", "1h", *db, "--", "scan", "azure")
    assert code == 0 and "every 1h" in out

    code, out, _ = run_main(capsys, "schedule", "list", *db)
    assert code == 0
    rows = [line for line in out.splitlines() if "cspm-ai scan" in line]
    assert len(rows) == 2 and "hourly" in rows[0] and "nightly" in rows[1] and "never" in rows[1]
    with Inventory.open(database_url) as inventory:
        stored = {s.name: s for s in inventory.schedules()}
    assert stored["nightly"].cron == "0 3 * * *" and stored["nightly"].command == (
        "scan",
        "aws",
        "--regions",
        "eu-west-1",
    )
    assert stored["hourly"].interval_seconds == 3600

    code, _, err = run_main(capsys, "schedule", "add", "hourly", "--every", "2h", *db, "--", "scan", "azure")
    assert code != 0 and "already exists" in err

    code, out, _ = run_main(capsys, "schedule", "remove", "nightly", *db)
    assert code == 0 and "removed schedule nightly" in out
    code, out, _ = run_main(capsys, "schedule", "list", *db)
    assert "nightly" not in out and "hourly" in out
    code, _, err = run_main(capsys, "schedule", "remove", "nightly", *db)
    assert code != 0 and err.startswith("error: No schedule is named 'nightly'")


@pytest.mark.parametrize(
    ("timing", "command", "message"),
    [
        (["--every", "24x"], ["scan", "aws"], "--every '24x' is not a duration."),
        (["--every", "30s"], ["scan", "aws"], "--every 30s is shorter than a minute."),
        (["--cron", "0 25 * * *"], ["scan", "aws"], "'25' is not a valid hour (0-23)."),
        (["--cron", "0 3 * *"], ["scan", "aws"], "does not have five fields."),
        (["--cron", "*/0 * * * *"], ["scan", "aws"], "is not a valid minute"),
        (["--every", "1h", "--cron", "0 3 * * *"], ["scan", "aws"], "Give exactly one of --every and --cron."),
        ([], ["scan", "aws"], "Give exactly one of --every and --cron."),
        (["--every", "1h"], ["report"], "A schedule runs a scan"),
        (["--every", "1h"], ["scan", "aws", "--regionz", "x"], "No such option: --regionz"),
        (["--every", "1h"], ["scan", "aws", "--db", "sqlite:///x.db"], "A scheduled scan cannot set --db."),
    ],
)
def test_a_bad_schedule_is_one_error_line_and_a_hint(
    timing: list[str], command: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path}/inventory.db"
    code, out, err = run_main(capsys, "schedule", "add", "nightly", *timing, "--db", db, "--", *command)
    lines = err.strip().splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), err
    assert message in lines[0]
    with Inventory.open(db) as inventory:
        assert inventory.schedules() == []


def test_a_run_that_finds_the_previous_one_going_is_recorded_as_skipped(database_url: str) -> None:
    with Inventory.open(database_url) as inventory:
        inventory.add_schedule("nightly", ["scan", "aws"], interval_seconds=86400)
        inner: list[str] = []

        def scan_that_overlaps(argv: Sequence[str]) -> int:
            # While this run holds the lock, the next one starts (a slow scan, a second scheduler).
            assert argv[:2] == ["scan", "aws"] and "--db" in argv
            overlapping = run_schedule(inventory, "nightly", mode="process", invoke=lambda _argv: 0)
            inner.append(overlapping.status)
            ids = began_scans.get()
            assert ids is not None
            ids.append("0f0e0d0c-0000-4000-8000-000000000001")
            return 0

        first = run_schedule(inventory, "nightly", mode="process", invoke=scan_that_overlaps)
        assert inner == ["skipped"]
        assert first.status == "done" and first.scan_id == "0f0e0d0c-0000-4000-8000-000000000001"
        runs = inventory.schedule_runs("nightly")
        assert [r.status for r in runs] == ["skipped", "done"]
        assert f"run {first.id}" in (runs[0].message or "") and "is still going" in (runs[0].message or "")

        # The lock was released: the next run goes ahead.
        def scan(_argv: Sequence[str]) -> int:
            ids = began_scans.get()
            assert ids is not None
            ids.append("0f0e0d0c-0000-4000-8000-000000000002")
            return 0

        assert run_schedule(inventory, "nightly", mode="process", invoke=scan).status == "done"

        # A run whose runner died holds the lock only until its lease ends; then it is recorded abandoned.
        held = inventory.start_run("nightly", mode="process", runner="gone:1", lease=timedelta(seconds=-1))
        assert held.status == "running"
        assert run_schedule(inventory, "nightly", mode="process", invoke=scan).status == "done"
        assert [r.status for r in inventory.schedule_runs("nightly", limit=2)] == ["done", "abandoned"]


def test_the_readme_fleet_settings_load_and_its_schedule_commands_parse(tmp_path: Path) -> None:
    from cspm_ai.config import load_settings
    from cspm_ai.distributed.schedules import check_command, check_cron, parse_every

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Fleet and schedules", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "config.toml").write_text(example)
    settings = load_settings(tmp_path / "config.toml")
    assert settings.distributed.enabled and settings.distributed.broker and settings.distributed.queues == "cspm-ai"
    adds = [line.split() for line in section.splitlines() if line.startswith("cspm-ai schedule add ")]
    assert len(adds) == 3  # one of them an AWS organization's scan
    for words in adds:
        timing = words[words.index("--cron") + 1 : words.index("--cron") + 6] if "--cron" in words else []
        if timing:
            check_cron(" ".join(timing).strip('"'))
        else:
            parse_every(words[words.index("--every") + 1])
        check_command(words[words.index("--") + 1 :])
