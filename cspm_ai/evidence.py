"""Evidence bundles: a stored scan as a zip an auditor can verify on another machine.

    manifest.json   scanner, scan metadata (identity, scope, times) and every file's SHA-256
    manifest.sig    Ed25519 signature of manifest.json's exact bytes (signed bundles only)
    signer.pub      the signer's public key, PEM (signed bundles only)
    report/...      report.json and report.html, as `cspm-ai report` writes them
    bom/bom.cdx.json the AI bill of materials (CycloneDX 1.6 JSON), as `cspm-ai bom` writes it
    compliance/...  the per-framework report of every shipped framework, JSON and HTML
    inventory/...   every evaluated resource's stored (redacted) configuration, and relations
    checks.json     the check catalogue, each check with its content version
    frameworks/...  the framework mapping files the reports used
    attestations.json, attestations/<id>/<file>   attestations and their evidence files
    exceptions.json the exceptions (mutes) the scan applied

The archive is written canonically (fixed timestamps and attributes, no extra
fields, no comments, entries back to back), and `verify` insists on exactly that
layout, so changing any byte of a bundle fails verification: a byte of a file
fails its hash (or the zip's CRC), a byte of the zip's own records fails the layout.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, BinaryIO

from cspm_ai import __version__
from cspm_ai.errors import ConfigError, CspmError, OutputError
from cspm_ai.report import rfc3339

BUNDLE_FORMAT = "cspm-ai-evidence-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNER = "signer.pub"
CONTROL_FILES = (MANIFEST, SIGNATURE, SIGNER)

# Canonical zip entries: what `export` writes and `verify` requires.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODE = 0o100644 << 16
_UNIX = 3
_VERSION = 20
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_CENTRAL_HEADER = struct.Struct("<4sBBBBHHHHLLLHHHHHLL")
_END_RECORD = struct.Struct("<4sHHHHLLH")


class BundleError(CspmError):
    """An evidence bundle cannot be written, or a key cannot be used."""


# ----------------------------------------------------------------------------- keys


def generate_keypair(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair (PEM; the private key readable by its owner only); return the fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for path in (private_path, public_path):
        if path.exists():
            raise OutputError(f"{path} already exists.", "Choose another path; keys are never overwritten.")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private_pem, 0o600)
    _write_new(public_path, public_pem, 0o644)
    return fingerprint(public_pem)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    import os

    from cspm_ai.files import private_directory

    try:
        private_directory(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise OutputError(
            f"Cannot write {path}: {exc.strerror or exc}.", "Choose a directory you can write to."
        ) from exc


def _load_private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(
            f"Cannot read signing key {path}: {exc.strerror or exc}.",
            "Pass the private key `cspm-ai evidence keygen` wrote.",
        ) from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{path} is not an unencrypted PEM private key.", "Pass the private key `cspm-ai evidence keygen` wrote."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 key.", "Make one with `cspm-ai evidence keygen`.")
    return key


def _load_public_key(pem: bytes, where: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{where} is not a PEM public key.", "Pass the public key `cspm-ai evidence keygen` wrote."
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(
            f"{where} is not an Ed25519 public key.", "Pass the public key `cspm-ai evidence keygen` wrote."
        )
    return key


def fingerprint(public_pem: bytes) -> str:
    """SHA256:<base64> of the raw public key, as ssh-keygen shows fingerprints."""
    from cryptography.hazmat.primitives import serialization

    raw = _load_public_key(public_pem, "the public key").public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")


# ----------------------------------------------------------------------------- export


@dataclass
class BundleContents:
    """What goes into a bundle besides the manifest: path -> bytes, and the scan's metadata."""

    files: dict[str, bytes]
    scan: dict[str, Any]


def write_bundle(
    contents: BundleContents, out: Path, signing_key: Path | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Hash every file into the manifest, sign it when a key is given, and write the zip atomically."""
    key = _load_private_key(signing_key) if signing_key is not None else None
    clashes = [p for p in contents.files if p in CONTROL_FILES or not _safe_member(p)]
    if clashes:
        raise ValueError(f"reserved or unsafe bundle paths: {clashes}")
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "created_at": rfc3339(now or datetime.now(UTC)),
        "scanner": {"name": "cspm-ai", "version": __version__},
        "scan": contents.scan,
        "signature": None,
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for path, data in sorted(contents.files.items())
        ],
    }
    members: list[tuple[str, bytes]] = []
    if key is not None:
        from cryptography.hazmat.primitives import serialization

        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        manifest["signature"] = {
            "algorithm": "Ed25519",
            "signed_file": MANIFEST,
            "public_key_fingerprint": fingerprint(public_pem),
        }
        manifest_bytes = _json_bytes(manifest)
        members += [
            (MANIFEST, manifest_bytes),
            (SIGNATURE, base64.b64encode(key.sign(manifest_bytes)) + b"\n"),
            (SIGNER, public_pem),
        ]
    else:
        members.append((MANIFEST, _json_bytes(manifest)))
    members += sorted(contents.files.items())
    _write_zip_atomically(out, members)
    return manifest


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_zip_atomically(out: Path, members: Sequence[tuple[str, bytes]]) -> None:
    """Write the zip to a private (0600) temporary file beside `out`, then rename it into place."""
    from cspm_ai.files import WriteFailed, private_directory, reason, replace_together

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = _UNIX
            info.external_attr = _MODE
            archive.writestr(info, data)
    if out.exists() and out.is_dir():
        raise OutputError(f"{out} is a directory.", "Pass a file name for the bundle, e.g. --out bundle.zip.")
    try:
        private_directory(out.parent)
        replace_together([(out, buffer.getvalue())])
    except WriteFailed as failed:
        hint = (
            "Free some space on that disk, or choose a path on another one."
            if failed.disk_full
            else "Choose a path in a directory you can write to."
        )
        raise OutputError(f"Cannot write {out}: {reason(failed.error)}.", hint) from failed
    except OSError as exc:
        raise OutputError(
            f"Cannot write {out}: {reason(exc)}.", "Choose a path in a directory you can write to."
        ) from exc


def _safe_member(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and all(p not in ("", ".", "..") for p in parts)


# ----------------------------------------------------------------------------- verify

# What `evidence verify` exits with. 0 only when a key the auditor holds vouches for the bundle:
# an intact bundle that nobody the auditor trusts signed is not evidence of who made it.
EXIT_VERIFIED = 0
EXIT_FAILED = 1  # a byte changed, a file is missing or extra, or a signature does not hold
EXIT_SIGNER_UNVERIFIED = 3  # every hash holds, but the signer is not verified against a trusted key

# Bounds on what `verify` reads, so a hostile bundle costs bounded memory and time: listed files are
# hashed in chunks; only the zip directory, manifest.json, manifest.sig and signer.pub are held whole.
MAX_MEMBERS = 50_000
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_CONTROL_BYTES = 16 * 1024
_CHUNK = 1024 * 1024
_DIRECTORY = "(zip directory)"


@dataclass
class Verification:
    ok: bool  # the archive is exactly as exported and every hash holds; see `trusted` for who signed it
    problem: str = ""
    failed_file: str | None = None
    signed: bool = False
    signer: str | None = None  # fingerprint of the key the signature was checked against
    pinned: bool = False  # True when that key came from --public-key, not from the bundle
    files_checked: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def trusted(self) -> bool:
        """Intact, and signed by the key the auditor passed (not merely by the bundle's own signer.pub)."""
        return self.ok and self.signed and self.pinned

    @property
    def exit_code(self) -> int:
        if not self.ok:
            return EXIT_FAILED
        return EXIT_VERIFIED if self.trusted else EXIT_SIGNER_UNVERIFIED


def verify_bundle(path: Path, public_key: Path | None = None) -> Verification:
    """Check the layout, every file's hash and the signature; stop at the first thing that does not hold.

    The bundle is read in bounded pieces, never whole: see MAX_MEMBERS and the other limits.
    """
    pinned_pem = _read_trusted_key(public_key) if public_key is not None else None
    try:
        with path.open("rb") as handle:
            return _verify_open_bundle(handle, path.name, pinned_pem)
    except _Rejected as rejected:
        return Verification(False, rejected.problem, failed_file=rejected.failed_file)
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.", "Pass the bundle's path.") from exc


def _read_trusted_key(public_key: Path) -> bytes:
    try:
        pem = public_key.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read public key {public_key}: {exc.strerror or exc}.", "Pass the signer's public key file."
        ) from exc
    _load_public_key(pem, str(public_key))
    return pem


class _Rejected(Exception):
    """One check of the bundle does not hold: what to report, and on which member."""

    def __init__(self, problem: str, failed_file: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.failed_file = failed_file


def _verify_open_bundle(handle: BinaryIO, file_name: str, pinned_pem: bytes | None) -> Verification:
    size = os.fstat(handle.fileno()).st_size
    _check_end_record(handle, size, file_name)
    try:
        archive = zipfile.ZipFile(handle)
    except Exception:  # noqa: BLE001  zipfile raises many types on hostile bytes; all mean "not our bundle"
        raise _Rejected("the file is not a readable zip archive", file_name) from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        _check_layout(handle, archive.infolist(), archive.start_dir, size)
        return _verify_contents(handle, members, pinned_pem)


def _check_end_record(handle: BinaryIO, size: int, file_name: str) -> None:
    """Bound the zip directory before zipfile reads it: export writes no comment, so the end record ends the file."""
    if size < _END_RECORD.size:
        raise _Rejected("the file is not a readable zip archive", file_name)
    handle.seek(size - _END_RECORD.size)
    signature, _, _, _, entries, directory_size, _, _ = _END_RECORD.unpack(handle.read(_END_RECORD.size))
    if signature != b"PK\x05\x06":
        raise _Rejected("the file is not a readable zip archive (no zip end record where export puts it)", file_name)
    if entries > MAX_MEMBERS:
        raise _Rejected(f"the archive lists {entries} members, over the limit of {MAX_MEMBERS}", _DIRECTORY)
    if directory_size > MAX_DIRECTORY_BYTES:
        raise _Rejected(
            f"the zip directory is {directory_size} bytes, over the limit of {MAX_DIRECTORY_BYTES}", _DIRECTORY
        )


def _verify_contents(handle: BinaryIO, members: dict[str, zipfile.ZipInfo], pinned_pem: bytes | None) -> Verification:
    manifest_bytes, manifest, listed = _read_manifest(handle, members)
    result = Verification(True, manifest=manifest)
    # The signature first: if the manifest was altered, no hash in it can be trusted.
    signer = _verify_signature(handle, members, manifest, manifest_bytes, pinned_pem)
    if signer is not None:
        result.signed, result.signer, result.pinned = True, signer, pinned_pem is not None
    _check_unlisted_members(members, listed)
    result.files_checked = _check_listed_files(handle, members, listed)
    return result


def _content_offset(info: zipfile.ZipInfo) -> int:
    # The layout check has already proved the local header is 30 bytes plus the (ASCII) name.
    return info.header_offset + _LOCAL_HEADER.size + len(info.filename)


def _read_whole(handle: BinaryIO, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """A control file's bytes (at most `limit`), or None when they do not match the zip's CRC."""
    if info.file_size > limit:
        raise _Rejected(f"it is {info.file_size} bytes, over the limit of {limit} for this file", info.filename)
    handle.seek(_content_offset(info))
    data = handle.read(info.file_size)
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return None
    return data


def _stream_digest(handle: BinaryIO, info: zipfile.ZipInfo) -> str | None:
    """A member's SHA-256, read in chunks; None when its bytes do not match the zip's CRC."""
    handle.seek(_content_offset(info))
    digest = hashlib.sha256()
    crc = 0
    remaining = info.file_size
    while remaining:
        chunk = handle.read(min(_CHUNK, remaining))
        if not chunk:
            return None
        digest.update(chunk)
        crc = zlib.crc32(chunk, crc)
        remaining -= len(chunk)
    return digest.hexdigest() if crc == info.CRC else None


def _read_manifest(
    handle: BinaryIO, members: dict[str, zipfile.ZipInfo]
) -> tuple[bytes, dict[str, Any], list[tuple[str, str, int]]]:
    """manifest.json's bytes, its parsed content and its (path, sha256, size) file list."""
    if MANIFEST not in members:
        raise _Rejected("the bundle has no manifest.json", MANIFEST)
    manifest_bytes = _read_whole(handle, members[MANIFEST], MAX_MANIFEST_BYTES)
    if manifest_bytes is None:
        raise _Rejected("manifest.json is damaged (its CRC does not match)", MANIFEST)
    try:
        manifest = json.loads(manifest_bytes)
        listed = [(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in manifest["files"]]
        fmt = manifest["format"]
    except (ValueError, KeyError, TypeError):
        raise _Rejected("manifest.json is not a cspm-ai manifest", MANIFEST) from None
    if fmt != BUNDLE_FORMAT:
        raise _Rejected(f"unknown bundle format {fmt!r}", MANIFEST)
    return manifest_bytes, manifest, listed


def _verify_signature(
    handle: BinaryIO,
    members: dict[str, zipfile.ZipInfo],
    manifest: dict[str, Any],
    manifest_bytes: bytes,
    pinned_pem: bytes | None,
) -> str | None:
    """The fingerprint of the key the signature holds under; None for a bundle that is rightly unsigned."""
    if SIGNATURE not in members:
        _check_unsigned(members, manifest, pinned_pem)
        return None
    signature = _read_whole(handle, members[SIGNATURE], MAX_CONTROL_BYTES)
    if signature is None:
        raise _Rejected("manifest.sig is damaged", SIGNATURE)
    bundled_pem = _read_whole(handle, members[SIGNER], MAX_CONTROL_BYTES) if SIGNER in members else None
    if SIGNER in members and bundled_pem is None:
        raise _Rejected("signer.pub is damaged", SIGNER)
    key_pem = pinned_pem if pinned_pem is not None else bundled_pem
    if key_pem is None:
        raise _Rejected("the bundle is signed but carries no signer.pub; pass --public-key", SIGNER)
    try:
        key = _load_public_key(key_pem, SIGNER)
    except ConfigError:
        raise _Rejected("signer.pub is not an Ed25519 public key", SIGNER) from None
    if not _signature_holds(key, signature, manifest_bytes):
        who = "the --public-key given" if pinned_pem is not None else "the bundle's signer.pub"
        raise _Rejected(f"the signature of manifest.json does not hold under {who}", MANIFEST)
    if bundled_pem is not None:
        _check_bundled_signer(bundled_pem, manifest)
    return fingerprint(key_pem)


def _check_unsigned(members: dict[str, zipfile.ZipInfo], manifest: dict[str, Any], pinned_pem: bytes | None) -> None:
    """A bundle without manifest.sig must not claim a signature, carry a key, nor be checked against --public-key."""
    if manifest.get("signature") is not None:
        raise _Rejected("the manifest says the bundle is signed, but manifest.sig is missing", SIGNATURE)
    # Nothing hashes or signs a key in an unsigned bundle: one found there was put in afterwards.
    if SIGNER in members:
        raise _Rejected("the bundle is unsigned, yet carries a signer.pub that no hash or signature covers", SIGNER)
    if pinned_pem is not None:
        raise _Rejected("the bundle is not signed, so it cannot be checked against --public-key", SIGNATURE)


def _check_bundled_signer(bundled_pem: bytes, manifest: dict[str, Any]) -> None:
    # The control files are not in the manifest, so each must be exactly as export writes it.
    if not _canonical_public_pem(bundled_pem):
        raise _Rejected("signer.pub was altered", SIGNER)
    declared = (manifest.get("signature") or {}).get("public_key_fingerprint")
    if declared != fingerprint(bundled_pem):
        raise _Rejected("signer.pub is not the key the manifest names", SIGNER)


def _check_unlisted_members(members: dict[str, zipfile.ZipInfo], listed: list[tuple[str, str, int]]) -> None:
    listed_paths = {p for p, _, _ in listed}
    for name in members:
        if name not in CONTROL_FILES and name not in listed_paths:
            raise _Rejected("the file is in the bundle but not in the manifest", name)


def _check_listed_files(
    handle: BinaryIO, members: dict[str, zipfile.ZipInfo], listed: list[tuple[str, str, int]]
) -> int:
    """Check every file the manifest lists against its size and SHA-256; return how many were checked."""
    for path, digest, size in listed:
        info = members.get(path)
        if info is None:
            raise _Rejected("the manifest lists this file but the bundle lacks it", path)
        if info.file_size != size:
            raise _Rejected(f"it is {info.file_size} bytes, but the manifest says {size}", path)
        actual = _stream_digest(handle, info)
        if actual is None:
            raise _Rejected("the file is damaged (its CRC does not hold)", path)
        if actual != digest:
            raise _Rejected("its SHA-256 does not match the manifest", path)
    return len(listed)


def _signature_holds(key: Any, signature_b64: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(signature_b64[:-1], validate=True)
        if base64.b64encode(signature) + b"\n" != signature_b64:
            return False
        key.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _canonical_public_pem(pem: bytes) -> bool:
    from cryptography.hazmat.primitives import serialization

    try:
        key = _load_public_key(pem, SIGNER)
    except ConfigError:
        return False
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) == pem


def _canonical_entry(info: zipfile.ZipInfo) -> bool:
    return (
        info.date_time == _EPOCH
        and info.compress_type == zipfile.ZIP_STORED
        and info.compress_size == info.file_size
        and info.create_system == _UNIX
        and info.create_version == _VERSION
        and info.extract_version == _VERSION
        and info.external_attr == _MODE
        and info.internal_attr == 0
        and info.flag_bits == 0
        and info.extra == b""
        and info.comment == b""
        and info.volume == 0
    )


def _check_local_header(handle: BinaryIO, info: zipfile.ZipInfo, offset: int) -> int:
    """Check one member's local header against its directory entry; return the offset just past its content."""
    name = info.filename
    handle.seek(offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise _Rejected("the archive is truncated", name)
    (sig, version, flags, method, mtime, mdate, crc, csize, usize, name_len, extra_len) = _LOCAL_HEADER.unpack(header)
    local_name = handle.read(name_len)
    if (
        sig != b"PK\x03\x04"
        or version != _VERSION
        or flags != info.flag_bits
        or method != zipfile.ZIP_STORED
        or (mtime, mdate) != (0, 0x21)
        or crc != info.CRC
        or csize != info.compress_size
        or usize != info.file_size
        or extra_len != 0
        or local_name != name.encode("ascii", "replace")
    ):
        raise _Rejected("its zip local header was altered", name)
    return offset + _LOCAL_HEADER.size + name_len + csize


def _check_layout(handle: BinaryIO, infos: list[zipfile.ZipInfo], start_dir: int, size: int) -> None:
    """Reject the archive unless it is exactly as `export` writes it, reading only headers and the directory."""
    seen: set[str] = set()
    offset = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise _Rejected("the name appears twice in the archive", name)
        seen.add(name)
        if not _safe_member(name):
            raise _Rejected("unsafe member path", name)
        if not _canonical_entry(info) or info.header_offset != offset:
            raise _Rejected("its zip directory entry was altered", name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise _Rejected(f"it is {info.file_size} bytes, over the limit of {MAX_MEMBER_BYTES} per file", name)
        offset = _check_local_header(handle, info, offset)
    if start_dir != offset:
        raise _Rejected("there are bytes between the files and the zip directory", _DIRECTORY)
    # Rebuild the central directory and its end record from the canonical values: every byte must match.
    central = b"".join(
        _CENTRAL_HEADER.pack(
            b"PK\x01\x02",
            _VERSION,
            _UNIX,
            _VERSION,
            0,
            info.flag_bits,
            zipfile.ZIP_STORED,
            0,
            0x21,
            info.CRC,
            info.compress_size,
            info.file_size,
            len(info.filename),
            0,
            0,
            0,
            0,
            _MODE,
            info.header_offset,
        )
        + info.filename.encode("ascii", "replace")
        for info in infos
    )
    expected = central + _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(infos), len(infos), len(central), offset, 0)
    handle.seek(offset)
    if size - offset != len(expected) or handle.read(len(expected)) != expected:
        raise _Rejected("the zip directory or its end record was altered", _DIRECTORY)


def package_frameworks() -> dict[str, bytes]:
    """The framework files as shipped, for the bundle's frameworks/ folder."""
    folder = files("cspm_ai").joinpath("data/frameworks")
    return {f"frameworks/{e.name}": e.read_bytes() for e in folder.iterdir() if e.name.endswith(".json")}


def bundle_contents(inventory: Any, scan: Any) -> BundleContents:
    """Everything an auditor needs about one stored scan, rendered from the inventory.

    `inventory` is a `cspm_ai.inventory.Inventory`; `scan` its `ScanRecord`.
    """
    from cspm_ai.attestation import Standing, standing_for_scan
    from cspm_ai.bom import build_bom, render_bom
    from cspm_ai.catalogue import catalogue_json
    from cspm_ai.compliance import frameworks
    from cspm_ai.framework_report import build_framework_report
    from cspm_ai.lineage import lineage_graph
    from cspm_ai.registry import all_checks
    from cspm_ai.report import AttestationRecordOut, attestation_fields, build_report
    from reports import render_html, render_json
    from reports.framework_writer import render_framework

    findings = inventory.findings(scan.id)
    errors = inventory.errors(scan.id)
    attestations = inventory.attestations()
    snapshot = inventory.snapshot(scan.id)
    graph = lineage_graph(snapshot)
    report = build_report(
        scan, graph.with_affects(findings), errors, __version__, attestations, lineage=graph.lineages()
    )
    out: dict[str, bytes] = {
        "report/report.json": render_json(report).encode("utf-8"),
        "report/report.html": render_html(report).encode("utf-8"),
        # The AI bill of materials (CycloneDX 1.6), as `cspm-ai bom` writes it.
        "bom/bom.cdx.json": render_bom(build_bom(scan, snapshot, graph, report.findings)).encode("utf-8"),
    }
    for framework in frameworks().values():
        fw_report = build_framework_report(framework, scan, findings, errors, __version__, attestations)
        for name, text in render_framework(fw_report, ("json", "html")):
            out[f"compliance/{name}"] = text.encode("utf-8")
    evaluated = {f.resource_uid for f in findings}
    resources = [
        {
            "uid": r.uid,
            "type": r.type,
            "provider": r.provider,
            "account": r.account,
            "region": r.region,
            "name": r.name,
            "tags": r.tags,
            "redactions": list(r.redactions),
            "evaluated": r.uid in evaluated,
            "config": r.config,
        }
        for r in sorted(snapshot.resources, key=lambda r: (r.provider, r.account, r.type, r.uid))
    ]
    out["inventory/resources.json"] = _json_bytes(resources)
    out["inventory/relations.json"] = _json_bytes(
        sorted(
            ({"src": rel.src, "kind": rel.kind, "dst": rel.dst} for rel in snapshot.relations),
            key=lambda r: (r["src"], r["kind"], r["dst"]),
        )
    )
    checks = [c for c in all_checks() if c.provider in scan.providers]
    out["checks.json"] = catalogue_json(checks).encode("utf-8")
    out.update(package_frameworks())
    listed = []
    for att in attestations:
        at_scan = standing_for_scan(att, scan)
        entry = {
            **AttestationRecordOut(**attestation_fields(att)).model_dump(mode="json"),
            # Judged as of the scan's start, beside that start, so both times are in the record.
            "scan_started_at": rfc3339(scan.started_at),
            "at_scan": at_scan.value,
            "in_force_at_scan": at_scan is Standing.IN_FORCE,
            "evidence_file": None,
        }
        content = inventory.attestation_evidence(att.id) if att.evidence_sha256 else None
        if content is not None:
            path = f"attestations/{att.id}/{_file_name(att.evidence)}"
            out[path] = content
            entry["evidence_file"] = path
        listed.append(entry)
    out["attestations.json"] = _json_bytes(listed)
    out["exceptions.json"] = _json_bytes(list(scan.exceptions))
    out["README.txt"] = _README.encode("utf-8")
    meta = {
        "id": scan.id,
        "status": scan.status,
        "started_at": rfc3339(scan.started_at),
        "finished_at": rfc3339(scan.finished_at) if scan.finished_at else None,
        "collected_by": {"name": "cspm-ai", "version": scan.tool_version},
        "providers": list(scan.providers),
        "scopes": [
            {"provider": s.provider, "account": s.account, "regions": list(s.regions), "identity": s.identity}
            for s in scan.scopes
        ],
        "allowed_regions": list(scan.allowed_regions) if scan.allowed_regions is not None else None,
        # Signed with the manifest: every re-evaluation, and which mutelist file replaced which exceptions.
        "reevaluations": [r.model_dump(mode="json") for r in report.scan.reevaluations],
        "counts": {
            "resources": len(resources),
            "findings": len(findings),
            "errors": len(errors),
            "by_status": report.summary.by_status.model_dump(),
        },
    }
    return BundleContents(files=out, scan=meta)


def _file_name(name: str) -> str:
    # The evidence file's own name, reduced to characters safe in any archive tool.
    import re

    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).strip("._") or "evidence"
    return cleaned[:120]


_README = """cspm-ai evidence bundle
=======================

This archive holds the evidence of one stored cspm-ai scan. manifest.json names
the scan (id, times, scope and the identity it read the clouds as), the scanner
version, and the SHA-256 and size of every other file. When the bundle is signed,
manifest.sig is the Ed25519 signature of manifest.json's exact bytes and
signer.pub the public key that made it.

To verify it (no cloud access or database needed):

    cspm-ai evidence verify bundle.zip --public-key signer-you-trust.pub

It exits 0 only when the archive is intact, every file matches its hash and the
signature holds under the public key you pass, obtained from the signer apart
from this bundle. It exits 1 and names the first file that does not hold when
anything was changed, and 3 when everything is intact but the signer is not
verified: the bundle is unsigned, or no --public-key was given (a signature that
holds only under the bundle's own signer.pub proves nothing about who made it).

  report/           the scan's report.json (the JSON contract) and report.html
  bom/              the AI bill of materials of the scanned estate (CycloneDX 1.6
                    JSON): models, data stores, endpoints and how they depend
  compliance/       one report per framework, control by control (JSON and HTML)
  inventory/        every collected resource's configuration as stored (secrets
                    redacted before storage) and the relations between them
  checks.json       the check catalogue; "version" changes when a check changes
  frameworks/       the framework mapping files the compliance reports used
  attestations.json attestations of manual checklist items, with evidence files
                    under attestations/
  exceptions.json   the exceptions (accepted risks) the scan's evaluation applied
"""
