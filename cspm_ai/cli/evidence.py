"""Commands for auditors: attestations and signed evidence bundles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.text import Text

from cspm_ai.cli.app import CspmGroup, CspmTyper, DbOpt, app, evidence_app
from cspm_ai.cli.output import _console, _report_error, safe_text
from cspm_ai.cli.runs import _open_inventory, _settings

if TYPE_CHECKING:
    pass


class _AttestGroup(CspmGroup):
    """`attest add` and `attest revoke`, where `attest ITEM ...` (no subcommand) means `attest add ITEM ...`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["add", *args]
        return super().resolve_command(ctx, args)


attest_app = CspmTyper(
    cls=_AttestGroup,
    help="Record an attestation of a checklist item (`attest ITEM ...` is `attest add ITEM ...`), or revoke one.",
    no_args_is_help=True,
)
app.add_typer(attest_app, name="attest", rich_help_panel="For auditors")


@attest_app.command("add")
def attest_add(
    item: Annotated[str, typer.Argument(help="Checklist item, e.g. CL-11.")],
    by: Annotated[str, typer.Option("--by", help="Who attests (name and role).")],
    evidence: Annotated[str, typer.Option("--evidence", help="File (kept in the inventory) or http(s) URL.")],
    expires: Annotated[
        str, typer.Option("--expires", help="Last day it is in force, YYYY-MM-DD (UTC); at most a year on.")
    ],
    note: Annotated[str, typer.Option("--note", help="What was checked, and how.")] = "",
    valid_from: Annotated[
        Optional[str],
        typer.Option(
            "--valid-from",
            help="First day it is in force, YYYY-MM-DD (UTC), when not from now; a past day needs a file as evidence.",
        ),
    ] = None,
    provider: Annotated[
        Optional[str], typer.Option("--provider", help="Only for findings of this cloud: aws, azure or gcp.")
    ] = None,
    account: Annotated[
        Optional[str],
        typer.Option("--account", help="Only for findings of this account, subscription or project (with --provider)."),
    ] = None,
    allow_long_validity: Annotated[
        bool,
        typer.Option("--allow-long-validity", help="Allow --expires more than a year on (recorded, and flagged)."),
    ] = False,
    db: DbOpt = None,
) -> None:
    """Record an attestation: MANUAL findings in its scope pass for scans started while it is in force."""
    from cspm_ai.attestation import new_attestation, scope_text, stamp

    settings = _settings()
    attestation, content = new_attestation(
        item,
        by=by,
        evidence=evidence,
        expires=expires,
        note=note,
        valid_from=valid_from,
        provider=provider,
        account=account,
        allow_long_validity=allow_long_validity,
    )
    inventory = _open_inventory(db, settings)
    inventory.add_attestation(attestation, content)
    digest = f" (sha256 {attestation.evidence_sha256})" if attestation.evidence_sha256 else ""
    flagged = " (longer than a year: flagged on every report)" if attestation.long_validity else ""
    _console().print(
        safe_text(
            f"attested {attestation.item} for {scope_text(attestation)} as {attestation.attested_by}, recorded "
            f"{stamp(attestation.attested_at)}, in force from {stamp(attestation.in_force_from)} until "
            f"{attestation.expires_on.isoformat()}{flagged}; evidence {attestation.evidence}{digest}; "
            f"id {attestation.id}"
        )
    )


@attest_app.command("revoke")
def attest_revoke(
    attestation_id: Annotated[str, typer.Argument(metavar="ID", help="The attestation's id, or 8+ characters of it.")],
    by: Annotated[str, typer.Option("--by", help="Who revokes it (name and role).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it no longer holds.")],
    db: DbOpt = None,
) -> None:
    """Revoke an attestation from now on: scans started before keep it, and their reports say it was revoked."""
    from cspm_ai.attestation import new_revocation, stamp

    settings = _settings()
    inventory = _open_inventory(db, settings)
    attestation = inventory.attestation(attestation_id)
    revocation = new_revocation(attestation, by=by, reason=reason)
    inventory.revoke_attestation(attestation.id, revocation)
    _console().print(
        safe_text(
            f"revoked {attestation.item} attestation {attestation.id} (by {attestation.attested_by}) as "
            f"{revocation.revoked_by}, recorded {stamp(revocation.revoked_at)}: {revocation.reason}"
        )
    )


@app.command(rich_help_panel="For auditors")
def attestations(db: DbOpt = None) -> None:
    """List every attestation, revoked ones included, and where it stands now."""
    from cspm_ai.attestation import Standing, scope_text, stamp, standing

    shown = {
        Standing.IN_FORCE: "in force",
        Standing.EXPIRED: "EXPIRED",
        Standing.NOT_YET_IN_FORCE: "not yet in force",
        Standing.REVOKED: "REVOKED",
        Standing.OUT_OF_SCOPE: "out of scope",
    }
    settings = _settings()
    now = datetime.now(UTC)
    found = _open_inventory(db, settings).attestations()
    print_ = _console().print
    # A few short lines each rather than a table: ids and times stay whole at any terminal width.
    print_(Text(f"{len(found)} attestation{'s' if len(found) != 1 else ''}, as of {stamp(now)}"))
    for a in found:
        long = " (longer than a year)" if a.long_validity else ""
        digest = f" (sha256 {a.evidence_sha256})" if a.evidence_sha256 else ""
        print_(Text(""))
        print_(safe_text(f"{a.item}  {shown[standing(a, now)]}  id {a.id}"))
        print_(
            safe_text(
                f"  for {scope_text(a)}; attested by {a.attested_by}; recorded {stamp(a.attested_at)}; "
                f"in force from {stamp(a.in_force_from)} until {a.expires_on.isoformat()}{long}"
            )
        )
        print_(safe_text(f"  evidence {a.evidence}{digest}" + (f"; note: {a.note}" if a.note else "")))
        if a.revocation is not None:
            r = a.revocation
            print_(safe_text(f"  revoked {stamp(r.revoked_at)} by {r.revoked_by}: {r.reason}"))


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
