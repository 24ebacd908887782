"""The `cspm-ai` command line: thin commands over scan, inventory and report functions.

Cloud SDKs, SQLAlchemy and moto are imported inside the commands that need
them, so `--help` and `--version` stay instant.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cspm_ai import __version__
from cspm_ai.config import Settings, load_settings
from cspm_ai.errors import ConfigError, CspmError, OutputError
from cspm_ai.model import SEVERITY_ORDER, Finding, Severity, Status

if TYPE_CHECKING:
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import ScanRecord
    from cspm_ai.mutelist import Mutelist

app = typer.Typer(
    name="cspm-ai",
    help="Live cloud security posture auditor for AI workloads (SageMaker, Azure ML, Vertex AI).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scan_app = typer.Typer(help="Scan a cloud account and write reports.", no_args_is_help=True)
checks_app = typer.Typer(help="The check catalogue.", no_args_is_help=True)
frameworks_app = typer.Typer(help="The compliance frameworks checks map to.", no_args_is_help=True)
evidence_app = typer.Typer(help="Signed evidence bundles for auditors.", no_args_is_help=True)
app.add_typer(scan_app, name="scan")
app.add_typer(checks_app, name="checks")
app.add_typer(frameworks_app, name="frameworks")
app.add_typer(evidence_app, name="evidence")

REPORT_FORMATS = ("json", "html")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _State:
    debug = False
    config_path: Path | None = None


def safe_text(value: object) -> Text:
    """Cloud-supplied text for the terminal: no markup, no escape sequences, and nothing that starts a
    line or reorders what is shown (tab, newline, bidi controls, Unicode line separators)."""
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", str(value))
    return Text(
        re.sub(r"[\t\n\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]", "\N{REPLACEMENT CHARACTER}", text)
    )


def _console() -> Console:
    # Piped or scheduled output goes to logs: wide enough that check ids are not cut.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
    return Console(highlight=False, soft_wrap=False, width=width)


def _settings() -> Settings:
    return load_settings(_State.config_path)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _formats(value: str | None, settings: Settings) -> list[str]:
    chosen = _split(value) or settings.formats
    unknown = [f for f in chosen if f not in REPORT_FORMATS]
    if unknown:
        raise ConfigError(
            f"Unknown report format {', '.join(map(repr, unknown))}.", f"Choose from: {', '.join(REPORT_FORMATS)}."
        )
    return chosen


def _output_dir(value: Path | None, settings: Settings) -> Path:
    """The report directory, created and proven writable before any long work starts."""
    directory = (value or settings.output_dir or Path(".")).expanduser()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".cspm-ai-probe-"):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputError(
            f"Cannot write reports to {directory}: {reason}.", "Pass --output-dir with a directory you can write to."
        ) from exc
    return directory


def _open_inventory(db: str | None, settings: Settings) -> Inventory:
    from cspm_ai.inventory import Inventory

    return Inventory.open(db or settings.db)


@dataclass
class _Run:
    """What every report-writing command needs, validated before any long work starts."""

    settings: Settings
    console: Console
    formats: list[str]
    directory: Path
    inventory: Inventory
    mutelist: Mutelist | None = None


def _prepare(
    db: str | None,
    output_dir: Path | None,
    format: str | None,
    default_db: Callable[[], str] | None = None,
    mutelist: Path | None = None,
) -> _Run:
    settings = _settings()
    formats = _formats(format, settings)
    rules = _mutelist(mutelist, settings)
    directory = _output_dir(output_dir, settings)
    url = db or (default_db() if default_db else None)
    return _Run(settings, _console(), formats, directory, _open_inventory(url, settings), rules)


def _mutelist(path: Path | None, settings: Settings) -> Mutelist | None:
    """The exceptions file from --mutelist or the config, validated before any long work starts."""
    chosen = path or settings.mutelist
    if chosen is None:
        return None
    from cspm_ai.mutelist import load_mutelist

    return load_mutelist(chosen.expanduser())


@contextmanager
def _progress(console: Console, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing at all when output is piped or scheduled."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _write_reports(inventory: Inventory, scan: ScanRecord, output_dir: Path, formats: Sequence[str]) -> list[Path]:
    from cspm_ai.report import build_report
    from reports import write_reports

    report = build_report(
        scan, inventory.findings(scan.id), inventory.errors(scan.id), __version__, inventory.attestations()
    )
    return write_reports(report, output_dir, formats)


def _print_summary(console: Console, scan: ScanRecord, findings: Sequence[Finding], paths: Sequence[Path]) -> None:
    by_status = Counter(f.status for f in findings)
    by_severity = Counter(f.severity for f in findings if f.status == Status.FAIL)
    console.print(Text(f"Scan {scan.id} ({scan.status})", style="bold"))
    table = Table(title="Findings by status", show_lines=False)
    for status in Status:
        table.add_column(status.value, justify="right")
    table.add_row(*(str(by_status.get(s, 0)) for s in Status))
    console.print(table)
    sev = Table(title="Failed checks by severity")
    for severity in Severity:
        sev.add_column(severity.value, justify="right")
    sev.add_row(*(str(by_severity.get(s, 0)) for s in Severity))
    console.print(sev)
    worst = sorted(
        (f for f in findings if f.status == Status.FAIL and f.severity in (Severity.CRITICAL, Severity.HIGH)),
        key=lambda f: (SEVERITY_ORDER[f.severity], f.check_id, f.resource_uid),
    )
    if worst:
        top = Table(title=f"Critical and high failures (first {min(len(worst), 15)} of {len(worst)})")
        for col in ("severity", "check", "region", "resource"):
            top.add_column(col)
        for f in worst[:15]:
            top.add_row(f.severity.value, f.check_id, safe_text(f.region), safe_text(f.resource_name))
        console.print(top)
    muted = sum(1 for f in findings if f.muted)
    if muted:
        console.print(Text(f"{muted} finding(s) muted by exceptions; the reports show each with its reason."))
    for rule in scan.exceptions:
        if rule.get("status") == "expired":
            console.print(
                safe_text(
                    f"exception {rule.get('id')} expired on {rule.get('expires')}: it no longer "
                    f"mutes the {rule.get('matched')} finding(s) it matches"
                ),
                style="yellow",
            )
    if scan.status != "complete":
        console.print(
            Text(
                "Scan is INCOMPLETE: some resources could not be read; "
                "see the ERROR findings and errors[] in the report.",
                style="bold yellow",
            )
        )
    for path in paths:
        console.print(Text(f"wrote {path}"))


def _finish_scan(run: _Run, scan: ScanRecord, fail_on: Severity | None) -> None:
    """Write the reports, print the summary, and exit 1 when --fail-on is met."""
    findings = run.inventory.findings(scan.id)
    paths = _write_reports(run.inventory, scan, run.directory, run.formats)
    _print_summary(run.console, scan, findings, paths)
    raise typer.Exit(_fail_on(findings, fail_on))


def _fail_on(findings: Sequence[Finding], threshold: Severity | None) -> int:
    if threshold is None:
        return 0
    limit = SEVERITY_ORDER[threshold]
    return (
        1
        if any(f.status == Status.FAIL and not f.muted and SEVERITY_ORDER[f.severity] <= limit for f in findings)
        else 0
    )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cspm-ai {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show tracebacks for internal errors and SDK debug logs (credentials scrubbed)."),
    ] = False,
    config: Annotated[Optional[Path], typer.Option("--config", help="Config file (TOML).")] = None,
) -> None:
    _State.debug = debug
    _State.config_path = config
    if debug:
        # SDK diagnostics go to stderr, with credentials scrubbed from every record.
        from cspm_ai.logsafe import configure_debug_logging

        configure_debug_logging()
    else:
        # SDKs log multi-line diagnostics (azure-identity's credential chain report, for one);
        # the user gets our one-line error and hint instead, and --debug restores them.
        import logging

        from cspm_ai.logsafe import QUIET_LOGGERS

        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


FormatOpt = Annotated[Optional[str], typer.Option("--format", help="Comma-separated: json,html.")]
DbOpt = Annotated[
    Optional[str],
    typer.Option("--db", help="SQLAlchemy URL of the inventory (default: SQLite in the user data directory)."),
]
OutOpt = Annotated[Optional[Path], typer.Option("--output-dir", help="Where reports are written.")]
FailOnOpt = Annotated[
    Optional[Severity],
    typer.Option("--fail-on", help="Exit 1 when an unmuted FAIL of this severity or worse is found."),
]
MutelistOpt = Annotated[
    Optional[Path],
    typer.Option("--mutelist", help="YAML file of exceptions (accepted risks) to mark muted; see the README."),
]


@scan_app.command("aws")
def scan_aws(
    profile: Annotated[Optional[str], typer.Option("--profile", help="AWS named profile.")] = None,
    regions: Annotated[
        Optional[str],
        typer.Option("--regions", help="Comma-separated regions (default: every region the account has enabled)."),
    ] = None,
    allowed_regions: Annotated[
        Optional[str],
        typer.Option("--allowed-regions", help="Regions where AI data may live (CL-09); without it CL-09 is MANUAL."),
    ] = None,
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: FormatOpt = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, max=256, help="Concurrent API calls.")] = None,
    fail_on: FailOnOpt = None,
    mutelist: MutelistOpt = None,
) -> None:
    """Scan one AWS account's SageMaker estate and what surrounds it."""
    from collectors.aws import aws_collector
    from cspm_ai.scan import run_scan

    run = _prepare(db, output_dir, format, mutelist=mutelist)
    settings, console, inventory = run.settings, run.console, run.inventory
    allowed = _split(allowed_regions) or settings.allowed_regions
    pool = workers or settings.aws.workers
    collector = aws_collector(
        profile=profile or settings.aws.profile, regions=_split(regions) or settings.aws.regions, workers=pool
    )
    if allowed:
        collector.session.resolve_regions(allowed)  # an unknown allowed region is a typo: say so
    with _progress(console, f"Scanning AWS {collector.session.account}") as progress:
        scan = run_scan(
            inventory,
            [collector],
            allowed_regions=allowed,
            progress=progress,
            mutelist=run.mutelist,
            options={"profile": profile, "regions": list(collector.regions), "workers": pool},
        )
    _finish_scan(run, scan, fail_on)


@scan_app.command("azure")
def scan_azure(
    subscriptions: Annotated[
        Optional[str],
        typer.Option(
            "--subscriptions", help="Comma-separated subscription ids (default: every one the identity can read)."
        ),
    ] = None,
    allowed_regions: Annotated[
        Optional[str],
        typer.Option("--allowed-regions", help="Locations where AI data may live (CL-09); without it CL-09 is MANUAL."),
    ] = None,
    cloud: Annotated[Optional[str], typer.Option("--cloud", help="public, usgov or china (default: public).")] = None,
    arm_endpoint: Annotated[
        Optional[str], typer.Option("--arm-endpoint", help="Resource Manager URL (Azure Stack Hub, private endpoints).")
    ] = None,
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: FormatOpt = None,
    workers: Annotated[
        Optional[int], typer.Option("--workers", min=1, max=256, help="Concurrent ARM reads (default: 16).")
    ] = None,
    fail_on: FailOnOpt = None,
    mutelist: MutelistOpt = None,
) -> None:
    """Scan Azure subscriptions' Machine Learning and AI services and what surrounds them."""
    from collectors.azure import azure_collector
    from cspm_ai.scan import run_scan

    run = _prepare(db, output_dir, format, mutelist=mutelist)
    file = run.settings.azure
    allowed = _split(allowed_regions) or run.settings.allowed_regions
    chosen = _split(subscriptions) or file.subscriptions
    cloud_name = cloud or file.cloud
    pool = workers or file.workers
    # The collector checks the cloud name and endpoint, wherever they came from.
    collector = azure_collector(
        subscriptions=chosen, cloud=cloud_name, arm_endpoint=arm_endpoint or file.arm_endpoint, workers=pool
    )
    with _progress(run.console, "Scanning Azure") as progress:
        scan = run_scan(
            run.inventory,
            [collector],
            allowed_regions=allowed,
            progress=progress,
            mutelist=run.mutelist,
            options={"cloud": cloud_name, "subscriptions": chosen, "workers": pool},
        )
    _finish_scan(run, scan, fail_on)


@scan_app.command("gcp")
def scan_gcp(
    projects: Annotated[
        Optional[str],
        typer.Option("--projects", help="Comma-separated project ids (default: the credentials' default project)."),
    ] = None,
    organization: Annotated[
        Optional[str],
        typer.Option(
            "--organization",
            help="Organization id: scan every active project in it (found with Cloud Asset Inventory).",
        ),
    ] = None,
    locations: Annotated[
        Optional[str],
        typer.Option(
            "--locations",
            help="Comma-separated regions to read Vertex AI and Workbench in (default: wherever Cloud "
            "Asset Inventory finds AI resources).",
        ),
    ] = None,
    allowed_regions: Annotated[
        Optional[str],
        typer.Option("--allowed-regions", help="Regions where AI data may live (CL-09); without it CL-09 is MANUAL."),
    ] = None,
    impersonate_service_account: Annotated[
        Optional[str],
        typer.Option("--impersonate-service-account", help="Scan as this service account (needs Token Creator on it)."),
    ] = None,
    universe_domain: Annotated[
        Optional[str],
        typer.Option("--universe-domain", help="Universe of a sovereign cloud (default: googleapis.com)."),
    ] = None,
    api_endpoint: Annotated[
        Optional[list[str]],
        typer.Option(
            "--api-endpoint",
            help="API=HOST override for private or regional endpoints, repeatable; "
            "{location} stands for the Vertex AI location.",
        ),
    ] = None,
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: FormatOpt = None,
    workers: Annotated[
        Optional[int], typer.Option("--workers", min=1, max=256, help="Concurrent API reads (default: 16).")
    ] = None,
    fail_on: FailOnOpt = None,
    mutelist: MutelistOpt = None,
) -> None:
    """Scan Google Cloud projects' Vertex AI and Workbench estate and what surrounds it."""
    from collectors.gcp import gcp_collector, parse_api_endpoints
    from collectors.gcp.engine import LOCATION
    from cspm_ai.scan import run_scan

    run = _prepare(db, output_dir, format, mutelist=mutelist)
    allowed = _split(allowed_regions) or run.settings.allowed_regions
    mistyped = [r for r in allowed or () if not LOCATION.match(r)]
    if mistyped:
        raise ConfigError(
            f"Allowed region {', '.join(map(repr, mistyped))} is not a Google Cloud region.",
            "Use region names such as us-central1 or europe-west4.",
        )
    file = run.settings.gcp
    org = organization or file.organization
    where = _split(locations) or file.locations
    pool = workers or file.workers
    # The collector checks project ids, the organization and locations (check_scope), and
    # parse_api_endpoints the overrides, wherever they came from.
    collector = gcp_collector(
        projects=_split(projects) or file.projects,
        organization=org,
        locations=where,
        impersonate_service_account=impersonate_service_account or file.impersonate_service_account,
        universe_domain=universe_domain or file.universe_domain,
        api_endpoints=parse_api_endpoints(api_endpoint or file.api_endpoints),
        workers=pool,
    )
    with _progress(run.console, "Scanning Google Cloud") as progress:
        scan = run_scan(
            run.inventory,
            [collector],
            allowed_regions=allowed,
            progress=progress,
            mutelist=run.mutelist,
            options={"projects": collector.projects(), "organization": org, "locations": where, "workers": pool},
        )
    _finish_scan(run, scan, fail_on)


@app.command()
def demo(
    output_dir: OutOpt = None,
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db", help="Inventory URL (default: demo.db in the user data directory, kept apart from real scans)."
        ),
    ] = None,
    format: FormatOpt = None,
) -> None:
    """Run the whole path offline against a simulated AI estate with good and bad resources."""
    from cspm_ai.demo import demo_database_url, require_demo_extra, run_demo

    require_demo_extra()  # before any database is opened or directory made
    run = _prepare(db, output_dir, format, default_db=demo_database_url)
    with _progress(run.console, "Scanning the demo estate") as progress:
        scan = run_demo(run.inventory, progress=progress)
    findings = run.inventory.findings(scan.id)
    paths = _write_reports(run.inventory, scan, run.directory, run.formats)
    _print_summary(run.console, scan, findings, paths)


@app.command()
def evaluate(
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: FormatOpt = None,
    fail_on: FailOnOpt = None,
    mutelist: MutelistOpt = None,
) -> None:
    """Re-run today's checks on a stored scan (no cloud calls) and rewrite its reports.

    Without --mutelist the scan keeps the exceptions it was evaluated with.
    """
    from cspm_ai.scan import reevaluate

    run = _prepare(db, output_dir, format, mutelist=mutelist)
    record = run.inventory.get_scan(scan)
    findings = reevaluate(run.inventory, record, run.mutelist)
    record = run.inventory.get_scan(record.id)
    paths = _write_reports(run.inventory, record, run.directory, run.formats)
    _print_summary(run.console, record, findings, paths)
    raise typer.Exit(_fail_on(findings, fail_on))


@app.command()
def report(
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: Annotated[
        Optional[str], typer.Option("--format", help="Comma-separated: json,html; with --framework also csv,ocsf.")
    ] = None,
    framework: Annotated[
        Optional[str],
        typer.Option("--framework", help="Write this framework's compliance report (`cspm-ai frameworks list`)."),
    ] = None,
) -> None:
    """Write the reports of a stored scan, or with --framework its report for one compliance framework."""
    if framework is None:
        run = _prepare(db, output_dir, format)
        record = run.inventory.get_scan(scan)
        for path in _write_reports(run.inventory, record, run.directory, run.formats):
            run.console.print(Text(f"wrote {path}"))
        return
    from cspm_ai.compliance import framework as find_framework
    from cspm_ai.framework_report import build_framework_report
    from reports.framework_writer import framework_formats, write_framework_reports

    chosen = find_framework(framework)
    formats = framework_formats(_split(format) or ["html", "json"])
    run = _prepare(db, output_dir, None)
    record = run.inventory.get_scan(scan)
    value = build_framework_report(
        chosen,
        record,
        run.inventory.findings(record.id),
        run.inventory.errors(record.id),
        __version__,
        run.inventory.attestations(),
    )
    counts = value.summary.controls
    run.console.print(
        Text(
            f"{chosen.name} {chosen.version} on scan {record.id} ({record.status}): "
            f"{len(value.controls)} controls, {counts.FAIL} FAIL, {counts.ERROR} ERROR, "
            f"{counts.MANUAL} MANUAL, {counts.PASS} PASS"
        )
    )
    for path in write_framework_reports(value, run.directory, formats):
        run.console.print(Text(f"wrote {path}"))


@frameworks_app.command("list")
def frameworks_list() -> None:
    """The shipped compliance frameworks, with how many controls each maps."""
    from cspm_ai.compliance import frameworks
    from cspm_ai.registry import all_checks

    _settings()
    specs = all_checks()
    table = Table(title="Compliance frameworks")
    table.add_column("id", no_wrap=True)  # the value --framework takes: never cut
    for col in ("name", "version", "controls", "with automated evidence"):
        table.add_column(col)
    for fw in frameworks().values():
        checks_of = fw.checks_by_control((k.id, k.checklist) for k in specs)
        automated = sum(1 for ids in checks_of.values() if ids)
        table.add_row(fw.id, fw.name, fw.version, str(len(fw.controls)), str(automated))
    _console().print(table)


@app.command()
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


@app.command()
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
        typer.Option(
            "--public-key", help="The signer's public key you trust; without it the bundle's own key is used."
        ),
    ] = None,
) -> None:
    """Exit 0 only when the archive is intact, every file matches its hash and the signature holds."""
    from cspm_ai.evidence import verify_bundle

    console = _console()
    result = verify_bundle(bundle.expanduser(), public_key.expanduser() if public_key else None)
    if not result.ok:
        _report_error(
            f"verification FAILED at {result.failed_file!r}: {result.problem}",
            "the bundle was changed or damaged after export; do not rely on it.",
        )
        raise typer.Exit(1)
    scan = result.manifest.get("scan", {})
    console.print(
        safe_text(
            f"OK: {result.files_checked} files match the manifest of scan {scan.get('id')} "
            f"({scan.get('status')}, started {scan.get('started_at')})"
        )
    )
    if not result.signed:
        console.print(Text("UNSIGNED: the hashes hold, but nothing proves who made the bundle.", style="yellow"))
    elif result.pinned:
        console.print(Text(f"signature holds under the given public key {result.signer}"))
    else:
        console.print(
            Text(
                f"signature holds under the bundle's own key {result.signer}; pass --public-key "
                "to check it was made by the signer you trust.",
                style="yellow",
            )
        )


@app.command()
def scans(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
) -> None:
    """List stored scans."""
    settings = _settings()
    console = _console()
    inventory = _open_inventory(db, settings)
    table = Table(title="Stored scans")
    for col in ("id", "started", "status", "providers", "accounts"):
        table.add_column(col)
    for record in inventory.list_scans(limit=limit):
        table.add_row(
            record.id,
            record.started_at.isoformat(timespec="seconds"),
            record.status,
            ",".join(record.providers),
            safe_text(",".join(s.account for s in record.scopes)),
        )
    console.print(table)


class CatalogueFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@checks_app.command("list")
def checks_list(
    provider: Annotated[Optional[str], typer.Option("--provider", help="aws, azure or gcp.")] = None,
    format: Annotated[CatalogueFormat, typer.Option("--format")] = CatalogueFormat.table,
) -> None:
    """Print the check catalogue."""
    from cspm_ai.catalogue import catalogue_json, catalogue_markdown
    from cspm_ai.registry import all_checks

    _settings()  # a broken config file is reported by every command, not only by scans
    if provider is not None and provider not in ("aws", "azure", "gcp"):
        raise ConfigError(f"Unknown provider {provider!r}.", "Choose aws, azure or gcp.")
    checks = all_checks(provider)
    if format is CatalogueFormat.json:
        sys.stdout.write(catalogue_json(checks))
        return
    if format is CatalogueFormat.markdown:
        sys.stdout.write(catalogue_markdown(checks))
        return
    console = _console()
    table = Table(title=f"{len(checks)} checks")
    for col in ("id", "severity", "checklist", "title"):
        table.add_column(col)
    for c in checks:
        table.add_row(c.id, c.severity.value, ",".join(c.checklist), c.title)
    console.print(table)


def _report_error(message: str, hint: str = "") -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(Text(f"error: {message}", style="bold red"))
    if hint:
        err.print(Text(f"hint: {hint}"))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: typed errors become two short lines and exit 2; bugs show only under --debug."""
    try:
        code = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except CspmError as exc:
        if _State.debug:
            raise
        _report_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _report_error("interrupted; any scan in progress stays marked incomplete in the inventory.")
        sys.exit(130)
    except Exception as exc:  # click usage errors are handled below; anything else is a bug
        # Typer raises click's exceptions, or those of the copy of click newer Typer versions vendor
        # (then click itself may not be installed at all): take the module from an exception Typer exports.
        usage = sys.modules[typer.BadParameter.__module__]
        if isinstance(exc, usage.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, typer.Abort):
            sys.exit(130)
        if _State.debug or os.environ.get("CSPM_AI_DEBUG"):
            raise
        from cspm_ai.logsafe import scrub

        _report_error(
            scrub(f"internal error: {type(exc).__name__}: {exc}"),
            "re-run with --debug for a traceback, and report it as a bug.",
        )
        sys.exit(70)
    # Without standalone mode click hands back typer.Exit codes instead of exiting.
    sys.exit(code if isinstance(code, int) else 0)
