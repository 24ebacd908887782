"""Evidence bundle primitives: canonical archives, signatures, and tamper detection byte by byte."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from cspm_ai import evidence
from cspm_ai.errors import ConfigError, OutputError
from cspm_ai.evidence import (
    EXIT_FAILED,
    EXIT_SIGNER_UNVERIFIED,
    EXIT_VERIFIED,
    BundleContents,
    _write_zip_atomically,
    fingerprint,
    generate_keypair,
    verify_bundle,
    write_bundle,
)

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


# ----------------------------------------------------------------------------- trust


def test_only_a_signature_under_the_auditors_key_is_trusted(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    generate_keypair(tmp_path / "mallory.key", tmp_path / "mallory.pub")
    signed, forged, unsigned = tmp_path / "signed.zip", tmp_path / "forged.zip", tmp_path / "unsigned.zip"
    write_bundle(BundleContents(dict(FILES), {"id": "s"}), signed, keys[0])
    write_bundle(BundleContents(dict(FILES), {"id": "s"}), forged, tmp_path / "mallory.key")
    write_bundle(BundleContents(dict(FILES), {"id": "s"}), unsigned)

    trusted = verify_bundle(signed, keys[1])
    assert trusted.ok and trusted.trusted and trusted.exit_code == EXIT_VERIFIED == 0
    # Intact, but nothing the auditor trusts vouches for the signer: a distinct non-zero exit.
    for bundle in (signed, forged, unsigned):
        result = verify_bundle(bundle)
        assert result.ok and not result.trusted and result.exit_code == EXIT_SIGNER_UNVERIFIED == 3
    forged_under_trusted_key = verify_bundle(forged, keys[1])
    assert not forged_under_trusted_key.ok and forged_under_trusted_key.exit_code == EXIT_FAILED == 1


def _rewrite(bundle: Path, out: Path, extra: list[tuple[str, bytes]]) -> None:
    """The bundle's members, with `extra` after manifest.json, written the canonical way export writes them."""
    with zipfile.ZipFile(bundle) as z:
        members = [(name, z.read(name)) for name in z.namelist()]
    _write_zip_atomically(out, [members[0], *extra, *members[1:]])


def test_an_unsigned_bundle_carrying_an_unlisted_signer_key_fails(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    unsigned = tmp_path / "unsigned.zip"
    write_bundle(BundleContents(dict(FILES), {"id": "s"}), unsigned)
    planted = tmp_path / "planted.zip"
    _rewrite(unsigned, planted, [("signer.pub", keys[1].read_bytes())])
    result = verify_bundle(planted)
    assert not result.ok and result.failed_file == "signer.pub" and result.exit_code == 1
    assert "unsigned" in result.problem


# ----------------------------------------------------------------------------- bounded reading


def test_verify_streams_a_large_bundle_in_memory_far_below_its_size(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    size = 48 * 1024 * 1024
    bundle = tmp_path / "large.zip"
    write_bundle(BundleContents({**FILES, "inventory/large.bin": bytes(size)}, {"id": "s"}), bundle, keys[0])
    assert bundle.stat().st_size > size
    tracemalloc.start()
    try:
        result = verify_bundle(bundle, keys[1])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.trusted and result.files_checked == len(FILES) + 1
    assert peak < size / 8, f"verify held {peak} bytes at once for a {size}-byte file"


@pytest.mark.parametrize(
    ("limit", "value", "failed_file", "needle"),
    [
        ("MAX_MEMBER_BYTES", 10_000, "inventory/large.bin", "20000 bytes"),
        ("MAX_MEMBERS", 3, "(zip directory)", "members"),
        ("MAX_DIRECTORY_BYTES", 100, "(zip directory)", "zip directory is"),
        ("MAX_MANIFEST_BYTES", 100, "manifest.json", "bytes"),
    ],
)
def test_members_and_the_directory_are_bounded_with_a_clear_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int, failed_file: str, needle: str
) -> None:
    bundle = tmp_path / "b.zip"
    write_bundle(BundleContents({**FILES, "inventory/large.bin": bytes(20_000)}, {"id": "s"}), bundle)
    assert verify_bundle(bundle).ok
    monkeypatch.setattr(evidence, limit, value)
    result = verify_bundle(bundle)
    assert not result.ok and result.failed_file == failed_file
    assert needle in result.problem and "limit" in result.problem
