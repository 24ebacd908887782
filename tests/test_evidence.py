"""Evidence bundle primitives: canonical archives, signatures, and tamper detection byte by byte."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cspm_ai.errors import ConfigError, OutputError
from cspm_ai.evidence import BundleContents, fingerprint, generate_keypair, verify_bundle, write_bundle

FILES = {
    "report/report.json": b'{"findings": []}\n',
    "inventory/resources.json": b"[]\n",
    "README.txt": b"hi\n",
    "attestations/1/evidence.pdf": bytes(range(256)),
}


@pytest.fixture()
def keys(tmp_path: Path) -> tuple[Path, Path]:
    generate_keypair(tmp_path / "k.key", tmp_path / "k.pub")
    return tmp_path / "k.key", tmp_path / "k.pub"


@pytest.mark.parametrize("signed", [True, False])
def test_every_single_byte_of_a_bundle_is_covered(tmp_path: Path, keys: tuple[Path, Path], signed: bool) -> None:
    bundle = tmp_path / "b.zip"
    write_bundle(BundleContents(dict(FILES), {"id": "scan-1"}), bundle, keys[0] if signed else None)
    assert verify_bundle(bundle, keys[1] if signed else None).ok
    data = bundle.read_bytes()
    target = tmp_path / "t.zip"
    for offset in range(len(data)):
        for flip in (0x01, 0x80):
            changed = bytearray(data)
            changed[offset] ^= flip
            target.write_bytes(bytes(changed))
            result = verify_bundle(target)
            assert not result.ok, f"flipping {flip:#x} at byte {offset} of {len(data)} went unnoticed"


def test_export_is_deterministic_apart_from_its_time_and_signature(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 11, 22, tzinfo=UTC)
    write_bundle(BundleContents(dict(FILES), {"id": "s"}), tmp_path / "a.zip", now=when)
    write_bundle(BundleContents(dict(reversed(list(FILES.items()))), {"id": "s"}), tmp_path / "b.zip", now=when)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.namelist()[0] == "manifest.json" and z.testzip() is None


def test_a_file_added_to_the_archive_is_named(tmp_path: Path) -> None:
    bundle = tmp_path / "b.zip"
    write_bundle(BundleContents(dict(FILES), {"id": "s"}), bundle)
    with zipfile.ZipFile(bundle, "a") as z:
        z.writestr("extra.txt", "planted")
    result = verify_bundle(bundle)
    assert not result.ok and result.failed_file == "extra.txt"


def test_unsafe_or_reserved_member_paths_are_refused(tmp_path: Path) -> None:
    for bad in ("../escape.txt", "/abs.txt", "manifest.json", "a//b"):
        with pytest.raises(ValueError):
            write_bundle(BundleContents({bad: b"x"}, {}), tmp_path / "b.zip")


def test_keys_are_ed25519_and_bad_keys_are_user_errors(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    assert fingerprint(keys[1].read_bytes()).startswith("SHA256:")
    (tmp_path / "junk.key").write_text("not a key")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        write_bundle(BundleContents(dict(FILES), {}), tmp_path / "b.zip", tmp_path / "junk.key")
    with pytest.raises(ConfigError, match="not a PEM public key"):
        verify_bundle(tmp_path / "whatever.zip", tmp_path / "junk.key") if (tmp_path / "whatever.zip").write_bytes(
            b""
        ) is not None else None
    with pytest.raises(OutputError, match="already exists"):
        generate_keypair(keys[0], tmp_path / "new.pub")
