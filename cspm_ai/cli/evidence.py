"""Commands for auditors: attestations and signed evidence bundles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from cspm_ai.cli.app import DbOpt, app, evidence_app
from cspm_ai.cli.output import _console, _report_error, safe_text
from cspm_ai.cli.runs import _open_inventory, _settings

if TYPE_CHECKING:
    pass


@app.command(rich_help_panel="For auditors")
def attest(
    item: Annotated[str, typer.Argument(help="Checklist item, e.g. CL-11.")],
    by: Annotated[str, typer.Option("--by", help="Who attests (name and role).")],
    evidence: Annotated[str, typer.Option("--evidence", help="File (kept in the inventory) or http(s) URL.")],
    expires: Annotated[str, typer.Option("--expires", help="Last day it is in force, YYYY-MM-DD (UTC).")],
    note: Annotated[str, typer.Option("--note", help="What was checked, and how.")] = "",
    db: DbOpt = None,
) -> None:
    """Record an attestation: the item's MANUAL findings turn PASS until it expires, then FAIL."""
    from cspm_ai.attestation import new_attestation

    settings = _settings()
    attestation, content = new_attestation(item, by=by, evidence=evidence, expires=expires, note=note)
    inventory = _open_inventory(db, settings)
    inventory.add_attestation(attestation, content)
    digest = f" (sha256 {attestation.evidence_sha256})" if attestation.evidence_sha256 else ""
    _console().print(
        safe_text(
            f"attested {attestation.item} as {attestation.attested_by}, in force until "
            f"{attestation.expires_on.isoformat()}; evidence {attestation.evidence}{digest}; id {attestation.id}"
        )
    )


@app.command(rich_help_panel="For auditors")
def attestations(db: DbOpt = None) -> None:
    """List attestations, in force or expired as of today."""
    from datetime import UTC, datetime

    settings = _settings()
    today = datetime.now(UTC).date()
    table = Table(title="Attestations")
    for col in ("item", "status", "by", "attested", "expires", "evidence", "id"):
        table.add_column(col)
    for a in _open_inventory(db, settings).attestations():
        table.add_row(
            a.item,
            "in force" if a.valid_on(today) else "EXPIRED",
            safe_text(a.attested_by),
            a.attested_at.date().isoformat(),
            a.expires_on.isoformat(),
            safe_text(a.evidence),
            a.id,
        )
    _console().print(table)


@evidence_app.command("keygen")
def evidence_keygen(
    private_key: Annotated[Path, typer.Option("--private-key", help="Where to write the private key.")] = Path(
        "cspm-ai-signing.key"
    ),
    public_key: Annotated[Path, typer.Option("--public-key", help="Where to write the public key.")] = Path(
        "cspm-ai-signing.pub"
    ),
) -> None:
    """Make an Ed25519 key pair for signing evidence bundles (the private key is readable by you only)."""
    from cspm_ai.evidence import generate_keypair

    _settings()
    print_ = _console().print
    fp = generate_keypair(private_key.expanduser(), public_key.expanduser())
    print_(Text(f"wrote {private_key} (keep it secret) and {public_key} (give it to auditors)"))
    print_(Text(f"fingerprint {fp}"))


@evidence_app.command("export")
def evidence_export(
    out: Annotated[Path, typer.Option("--out", help="The bundle to write, e.g. bundle.zip.")],
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    sign_key: Annotated[
        Optional[Path],
        typer.Option(
            "--sign-key",
            envvar="CSPM_AI_SIGNING_KEY",
            help="Ed25519 private key to sign the manifest (`cspm-ai evidence keygen`).",
        ),
    ] = None,
) -> None:
    """Write a stored scan's evidence bundle: reports, redacted configuration, catalogue, hashes, signature."""
    from cspm_ai.evidence import bundle_contents, write_bundle

    settings = _settings()
    inventory = _open_inventory(db, settings)
    record = inventory.get_scan(scan)
    manifest = write_bundle(
        bundle_contents(inventory, record), out.expanduser(), sign_key.expanduser() if sign_key else None
    )
    console = _console()
    signed = manifest["signature"]
    console.print(
        Text(
            f"wrote {out}: scan {record.id} ({record.status}), {len(manifest['files'])} files, "
            + (f"signed by {signed['public_key_fingerprint']}" if signed else "UNSIGNED (hashes only)")
        )
    )


@evidence_app.command("verify")
def evidence_verify(
    bundle: Annotated[Path, typer.Argument(help="The evidence bundle (.zip).")],
    public_key: Annotated[
        Optional[Path],
        typer.Option("--public-key", help="The signer's public key you trust (needed for exit 0)."),
    ] = None,
) -> None:
    """Exit 0 only when the bundle is intact and signed by the key you trust (3: signer unverified; 1: altered)."""
    from cspm_ai.evidence import EXIT_SIGNER_UNVERIFIED, verify_bundle

    console = _console()
    result = verify_bundle(bundle.expanduser(), public_key.expanduser() if public_key else None)
    if not result.ok:
        _report_error(
            f"verification FAILED at {result.failed_file!r}: {result.problem}",
            "the bundle was changed or damaged after export; do not rely on it.",
        )
        raise typer.Exit(result.exit_code)
    scan = result.manifest.get("scan", {})
    summary = (
        f"{result.files_checked} files match the manifest of scan {scan.get('id')} "
        f"({scan.get('status')}, started {scan.get('started_at')})"
    )
    if result.trusted:
        console.print(safe_text(f"OK: {summary}"))
        console.print(Text(f"signature holds under the given public key {result.signer}"))
        return
    console.print(safe_text(f"intact: {summary}"))
    if result.signed:
        _report_error(
            f"signer NOT VERIFIED: the signature holds only under the bundle's own key {result.signer}, "
            "which anyone re-signing the bundle could have put there.",
            "pass --public-key with the signer's public key, obtained from them separately.",
        )
    else:
        _report_error(
            "signer NOT VERIFIED: the bundle is UNSIGNED, so nothing proves who made it.",
            "ask for a bundle exported with --sign-key, and verify it with --public-key.",
        )
    raise typer.Exit(EXIT_SIGNER_UNVERIFIED)
