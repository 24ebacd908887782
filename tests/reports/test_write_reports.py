"""Tests for reports.write_reports: atomic writes of the whole set, private modes, file names, and OutputError."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cspm_ai.errors import ConfigError, OutputError
from cspm_ai.model import Finding, ScanRecord
from cspm_ai.report import Report
from reports import render_html, render_json, write_reports


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_writes_each_format_and_returns_paths(report: Report, tmp_path: Path) -> None:
    paths = write_reports(report, tmp_path, ["json", "html"])
    assert paths == [tmp_path / "report.json", tmp_path / "report.html"]
    assert paths[0].read_text("utf-8") == render_json(report)
    assert paths[1].read_text("utf-8") == render_html(report)
    assert _leftovers(tmp_path) == []


def test_writes_only_requested_formats_once(report: Report, tmp_path: Path) -> None:
    assert write_reports(report, tmp_path, ["json", "json"]) == [tmp_path / "report.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_creates_missing_directories(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    write_reports(report, target, ["json"])
    assert (target / "report.json").is_file()


def test_replaces_by_rename_from_the_same_directory(
    report: Report,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "report.json").write_text("old", "utf-8")
    calls: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        calls.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_reports(report, tmp_path, ["json"])
    [(src, dst)] = calls
    assert dst == tmp_path / "report.json"
    assert src.parent == tmp_path and src.name.startswith(".report.json.")
    assert dst.read_text("utf-8") == render_json(report)
    assert _leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_report_and_no_temp_file(
    report: Report,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "report.json").write_text("old", "utf-8")

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OutputError) as caught:
        write_reports(report, tmp_path, ["json"])
    assert "No space left on device" in caught.value.message
    assert caught.value.hint
    assert (tmp_path / "report.json").read_text("utf-8") == "old"
    assert _leftovers(tmp_path) == []


def test_reports_are_private_under_the_usual_umask(report: Report, tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "new" / "reports"
    paths = write_reports(report, target, ["json", "html"])
    assert [stat.S_IMODE(os.stat(p).st_mode) for p in paths] == [0o600, 0o600]
    assert stat.S_IMODE(os.stat(target).st_mode) == stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700


def test_a_stricter_umask_makes_reports_stricter(report: Report, tmp_path: Path) -> None:
    previous = os.umask(0o277)
    try:
        [path] = write_reports(report, tmp_path, ["json"])
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o400


def test_replacing_a_world_readable_report_leaves_a_private_one(
    report: Report, tmp_path: Path, umask_022: None
) -> None:
    old = tmp_path / "report.json"
    old.write_text("old", "utf-8")
    old.chmod(0o644)
    write_reports(report, tmp_path, ["json"])
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o600


def _full_disk_on(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """The `nth` file flushed to disk (1-based) fails as a full disk does (ext4 and NFS report it there)."""
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync(fd: Any) -> None:
        calls["n"] += 1
        if calls["n"] == nth:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_full_disk_on_the_second_report_keeps_the_old_pair(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.json").write_text("old json", "utf-8")
    (tmp_path / "report.html").write_text("old html", "utf-8")
    _full_disk_on(monkeypatch, nth=2)
    with pytest.raises(OutputError) as caught:
        write_reports(report, tmp_path, ["json", "html"])
    assert caught.value.message == f"cannot write {tmp_path / 'report.html'}: No space left on device"
    assert "disk is full" in caught.value.hint and "left as they were" in caught.value.hint
    assert (tmp_path / "report.json").read_text("utf-8") == "old json"
    assert (tmp_path / "report.html").read_text("utf-8") == "old html"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("nth", [1, 2, 3, 4])
def test_a_full_disk_on_any_framework_report_keeps_the_old_set(
    scan_factory: Callable[..., ScanRecord],
    finding_factory: Callable[..., Finding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    nth: int,
) -> None:
    from cspm_ai.compliance import framework
    from cspm_ai.framework_report import build_framework_report
    from reports.framework_writer import FRAMEWORK_FORMATS, write_framework_reports

    value = build_framework_report(framework("checklist"), scan_factory(), [finding_factory()], [], "1.2.3")
    names = [pattern.format(id="checklist") for pattern in FRAMEWORK_FORMATS.values()]
    for name in names:
        (tmp_path / name).write_text(f"old {name}", "utf-8")
    real_fsync = os.fsync
    _full_disk_on(monkeypatch, nth=nth)
    with pytest.raises(OutputError) as caught:
        write_framework_reports(value, tmp_path, list(FRAMEWORK_FORMATS))
    assert caught.value.message == f"cannot write {tmp_path / names[nth - 1]}: No space left on device"
    assert {p.name: p.read_text("utf-8") for p in tmp_path.iterdir()} == {name: f"old {name}" for name in names}
    monkeypatch.setattr(os, "fsync", real_fsync)  # space freed: the next run writes the whole set
    written = write_framework_reports(value, tmp_path, list(FRAMEWORK_FORMATS))
    assert [p.name for p in written] == names
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in written)


def test_path_that_is_a_file_raises_output_error(report: Report, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "out"
    not_a_dir.write_text("x", "utf-8")
    with pytest.raises(OutputError) as caught:
        write_reports(report, not_a_dir, ["json", "html"])
    assert str(not_a_dir) in caught.value.message
    assert "is a file" in caught.value.message
    assert caught.value.hint
    assert not_a_dir.read_text("utf-8") == "x"


def test_parent_that_is_a_file_raises_output_error(report: Report, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    with pytest.raises(OutputError) as caught:
        write_reports(report, tmp_path / "file" / "sub", ["json"])
    assert "cannot create report directory" in caught.value.message
    assert caught.value.hint


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root bypasses directory permissions")
def test_read_only_directory_raises_output_error(report: Report, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError) as caught:
            write_reports(report, locked, ["json"])
        assert "Permission denied" in caught.value.message
        assert caught.value.hint
    finally:
        locked.chmod(0o700)


def test_read_only_directory_error_message_without_root(
    report: Report,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same path as the chmod case, simulated so it also runs where tests run as root.
    def denied(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(OutputError) as caught:
        write_reports(report, tmp_path, ["json"])
    assert caught.value.message == f"cannot write {tmp_path / 'report.json'}: Permission denied"
    assert caught.value.hint


def test_unknown_format_is_a_config_error_and_writes_nothing(report: Report, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        write_reports(report, tmp_path / "out", ["json", "pdf"])
    assert "pdf" in caught.value.message and "json" in caught.value.hint
    assert not (tmp_path / "out").exists()
