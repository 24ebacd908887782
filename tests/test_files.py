"""What cspm-ai creates is its owner's only (0600 files, 0700 directories, stricter when the umask is), and
a set of files is put in place whole or not at all."""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cspm_ai import files
from cspm_ai.evidence import BundleContents, generate_keypair, write_bundle
from cspm_ai.files import WriteFailed, create_private_file, private_directory, replace_together


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask() -> Iterator[Callable[[int], object]]:
    """Set the process umask for the test; the previous one is restored afterwards."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"),
    [
        (0o022, 0o600, 0o700),  # the usual umask: group and others would read everything
        (0o002, 0o600, 0o700),  # user-private-group systems: group would even write
        (0o000, 0o600, 0o700),
        (0o077, 0o600, 0o700),
        (0o277, 0o400, 0o500),  # stricter than private: the umask wins
    ],
)
def test_new_files_and_directories_are_private_or_stricter(
    tmp_path: Path, umask: Callable[[int], object], mask: int, file_mode: int, dir_mode: int
) -> None:
    umask(mask)
    top = tmp_path / "a"
    private_directory(top / "b" / "c")
    assert [mode(p) for p in (top, top / "b", top / "b" / "c")] == [dir_mode] * 3
    umask(0o022)  # so the files below can be made inside (not needed as root, but as anyone else)
    (top / "b" / "c").chmod(0o700)
    umask(mask)
    assert create_private_file(top / "b" / "c" / "new") is True
    assert mode(top / "b" / "c" / "new") == file_mode
    [written] = replace_together([(top / "b" / "c" / "out", b"data")])
    assert mode(written) == file_mode and written.read_bytes() == b"data"


def test_existing_files_and_directories_keep_their_mode(tmp_path: Path, umask: Callable[[int], object]) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    existing = shared / "inventory.db"
    existing.write_bytes(b"kept")
    existing.chmod(0o640)
    assert private_directory(shared) == shared
    assert create_private_file(existing) is False
    assert (mode(shared), mode(existing), existing.read_bytes()) == (0o755, 0o640, b"kept")


def test_a_file_in_the_way_of_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        private_directory(tmp_path / "file" / "sub")
    with pytest.raises(FileExistsError):
        private_directory(tmp_path / "file")


def test_a_symlink_planted_at_a_temporary_name_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    planted = tmp_path / ".report.json.planted.tmp"
    planted.symlink_to(victim)
    monkeypatch.setattr(files, "temporary_beside", lambda path: planted)
    with pytest.raises(WriteFailed) as caught:
        replace_together([(tmp_path / "report.json", b"new")])
    assert caught.value.path == tmp_path / "report.json"
    assert victim.read_text() == "untouched" and not (tmp_path / "report.json").exists()


def _full_disk_on_write(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """The `nth` file flushed to disk (1-based) fails as a full disk does."""
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync(fd: Any) -> None:
        calls["n"] += 1
        if calls["n"] == nth:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_full_disk_leaves_every_target_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("one", "two", "three"):
        (tmp_path / name).write_text(f"old {name}")
    _full_disk_on_write(monkeypatch, nth=2)
    with pytest.raises(WriteFailed) as caught:
        replace_together([(tmp_path / name, f"new {name}".encode()) for name in ("one", "two", "three")])
    assert caught.value.path == tmp_path / "two" and caught.value.disk_full
    assert str(caught.value) == f"cannot write {tmp_path / 'two'}: No space left on device"
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "one": "old one",
        "two": "old two",
        "three": "old three",
    }


def test_a_rendering_that_fails_leaves_every_target_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "one").write_text("old one")

    def outputs() -> Iterator[tuple[Path, bytes]]:
        yield tmp_path / "one", b"new one"
        raise RuntimeError("the second output could not be rendered")

    with pytest.raises(RuntimeError, match="could not be rendered"):
        replace_together(outputs())
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"one": "old one"}


def test_an_output_is_written_while_the_next_is_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Writing the first output finishes only once the second is being rendered: one after the other, the
    # first write would wait for ever (here: fail after ten seconds).
    second_rendered = threading.Event()
    real_write = files.write_new_file

    def write(path: Path, data: bytes) -> None:
        if data == b"1":
            assert second_rendered.wait(10), "the second output was not rendered while the first was written"
        real_write(path, data)

    monkeypatch.setattr(files, "write_new_file", write)

    def outputs() -> Iterator[tuple[Path, bytes]]:
        yield tmp_path / "one", b"1"
        second_rendered.set()
        yield tmp_path / "two", b"2"

    assert replace_together(outputs()) == [tmp_path / "one", tmp_path / "two"]
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"one": "1", "two": "2"}


def test_evidence_bundles_and_their_directory_are_private(tmp_path: Path, umask: Callable[[int], object]) -> None:
    out = tmp_path / "exports" / "q3" / "bundle.zip"
    write_bundle(BundleContents({"report/report.json": b"{}"}, {"id": "scan-1"}), out)
    assert mode(out) == 0o600
    assert mode(out.parent) == mode(out.parent.parent) == 0o700
    assert sorted(p.name for p in out.parent.iterdir()) == ["bundle.zip"]


def test_a_bundle_replaced_on_a_full_disk_stays_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cspm_ai.errors import OutputError

    out = tmp_path / "bundle.zip"
    out.write_bytes(b"old bundle")
    _full_disk_on_write(monkeypatch, nth=1)
    with pytest.raises(OutputError) as caught:
        write_bundle(BundleContents({"report/report.json": b"{}"}, {"id": "scan-1"}), out)
    assert caught.value.message == f"Cannot write {out}: No space left on device."
    assert "space" in caught.value.hint
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.zip"] and out.read_bytes() == b"old bundle"


def test_signing_keys_directory_is_private(tmp_path: Path, umask: Callable[[int], object]) -> None:
    keys = tmp_path / "keys"
    generate_keypair(keys / "signing.key", keys / "signing.pub")
    assert mode(keys) == 0o700 and mode(keys / "signing.key") == 0o600


def test_everything_the_commands_create_is_private(
    tmp_path: Path, umask: Callable[[int], object], capsys: pytest.CaptureFixture[str]
) -> None:
    """The default inventory (and its -wal and -shm), its data directory, report directories, the scan's
    reports, a framework's reports in every format and an evidence bundle, under the usual umask 022."""
    import platformdirs

    from cspm_ai.cli import main
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import CollectionResult, Resource

    data = Path(platformdirs.user_data_dir("cspm-ai"))  # XDG_DATA_HOME is the test's own (tests/conftest.py)
    assert not data.parent.exists()
    with Inventory.open(None) as inventory:
        scan = inventory.begin_scan(providers=["aws"], tool_version="0.0.0")
        notebook = Resource("aws", "123456789012", "us-east-1", "aws.sagemaker.notebook_instance", "arn:nb", "nb", {})
        inventory.finish_scan(scan.id, CollectionResult(resources=[notebook]), [], status="complete")
    out = tmp_path / "out"
    for args in (
        ["report", "--output-dir", str(out / "reports")],
        ["report", "--framework", "checklist", "--format", "html,json,csv,ocsf", "--output-dir", str(out / "fw")],
        ["evidence", "export", "--out", str(out / "evidence" / "bundle.zip")],
    ):
        with pytest.raises(SystemExit) as finished:
            main(args)
        assert finished.value.code in (0, None), capsys.readouterr().err
    created = [data.parent, *data.parent.rglob("*"), out, *out.rglob("*")]
    assert {p.name for p in created if p.is_file()} >= {
        "inventory.db",
        "inventory.db-wal",
        "inventory.db-shm",
        "report.json",
        "report.html",
        "checklist-report.html",
        "checklist-report.json",
        "checklist-report.csv",
        "checklist-ocsf.json",
        "bundle.zip",
    }
    wrong = {str(p): oct(mode(p)) for p in created if mode(p) != (0o700 if p.is_dir() else 0o600)}
    assert wrong == {}


def test_the_demo_data_directory_is_private(umask: Callable[[int], object]) -> None:
    import platformdirs

    from cspm_ai.demo import demo_database_url

    data = Path(platformdirs.user_data_dir("cspm-ai"))
    assert demo_database_url() == f"sqlite:///{data / 'demo.db'}"
    assert mode(data) == mode(data.parent) == 0o700
