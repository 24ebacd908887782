"""Commands that scan: each cloud, the offline demo, and re-evaluating a stored scan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

from cspm_ai.cli.app import DbOpt, FailOnNewOpt, FailOnOpt, FormatOpt, MutelistOpt, NotifyOpt, OutOpt, app, scan_app
from cspm_ai.cli.fleet import BrokerOpt, DistributedOpt, Fleet, fleet_for, scan_on_fleet
from cspm_ai.cli.output import _progress
from cspm_ai.cli.runs import _finish_scan, _prepare, _Run, _split, load_for_finishing
from cspm_ai.config import DEFAULT_MEMBER_ROLE
from cspm_ai.errors import ConfigError

if TYPE_CHECKING:
    from collectors import Collector
    from cspm_ai.model import Severity


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
    processes: Annotated[
        Optional[int],
        typer.Option(
            "--processes",
            min=1,
            max=64,
            help="Worker processes collecting regions at once (default: two per core, at most 4; 1 keeps every "
            "region in this process).",
        ),
    ] = None,
    fail_on: FailOnOpt = None,
    mutelist: MutelistOpt = None,
    fail_on_new: FailOnNewOpt = None,
    notify: NotifyOpt = None,
    distributed: DistributedOpt = False,
    broker: BrokerOpt = None,
    organization: Annotated[
        bool,
        typer.Option(
            "--organization",
            help="Scan every active account of the AWS organization (run from the management account or a "
            "delegated administrator), each through --member-role.",
        ),
    ] = False,
    member_role: Annotated[
        Optional[str],
        typer.Option(
            "--member-role",
            help=f"Role assumed in each member account with --organization (default: {DEFAULT_MEMBER_ROLE}, "
            "the role of cspm_ai/permissions/aws-member-role.stackset.yaml).",
        ),
    ] = None,
    external_id: Annotated[
        Optional[str], typer.Option("--external-id", help="ExternalId the member role's trust policy requires.")
    ] = None,
    accounts: Annotated[
        Optional[str],
        typer.Option("--accounts", help="With --organization: only these comma-separated account ids."),
    ] = None,
    exclude_accounts: Annotated[
        Optional[str],
        typer.Option("--exclude-accounts", help="With --organization: skip these comma-separated account ids."),
    ] = None,
) -> None:
    """Scan one AWS account's SageMaker estate and what surrounds it, or every account of an organization."""
    from collectors.aws import aws_collector, default_processes

    run = _prepare(db, output_dir, format, mutelist=mutelist, notify=notify)
    settings = run.settings
    allowed = _split(allowed_regions) or settings.allowed_regions
    pool = workers or settings.aws.workers
    file = settings.aws
    org_only = [
        name
        for name, value in (
            ("--member-role", member_role),
            ("--external-id", external_id),
            ("--accounts", accounts),
            ("--exclude-accounts", exclude_accounts),
        )
        if value is not None
    ]
    if organization or file.organization:
        if processes is not None and processes > 1:
            raise ConfigError(
                "--processes does not apply with --organization.",
                "Omit --processes: the organization's accounts are collected at once on the --workers pool.",
            )
        _scan_organization(
            run,
            fleet_for(run, distributed, broker),
            profile=profile or file.profile,
            regions=_split(regions) or file.regions,
            allowed=allowed,
            workers=pool,
            member_role=member_role or file.member_role or DEFAULT_MEMBER_ROLE,
            external_id=external_id or file.external_id,
            accounts=_split(accounts) or file.accounts or [],
            exclude_accounts=_split(exclude_accounts) or file.exclude_accounts or [],
            fail_on=fail_on,
            fail_on_new=fail_on_new,
        )
        return
    if org_only:
        raise ConfigError(f"{', '.join(org_only)} only apply with --organization.", "Add --organization, or omit them.")
    fleet = fleet_for(run, distributed, broker)
    collector = aws_collector(
        profile=profile or settings.aws.profile,
        regions=_split(regions) or settings.aws.regions,
        workers=pool,
        max_pages=settings.max_pages,
        processes=processes or file.processes or default_processes(),
        meanwhile=load_for_finishing,
    )
    if allowed:
        collector.session.resolve_regions(allowed)  # an unknown allowed region is a typo: say so
    options: dict[str, object] = {"profile": profile, "regions": list(collector.regions), "workers": pool}
    if fleet is not None:
        part = {"profile": profile or settings.aws.profile, "regions": list(collector.regions), "workers": pool}
        scan = scan_on_fleet(
            run,
            fleet,
            "aws",
            [collector.session.account],
            {**part, "max_pages": settings.max_pages},
            allowed_regions=allowed,
            options=options,
        )
        _finish_scan(run, scan, fail_on, fail_on_new)
    _scan_here(run, collector, f"Scanning AWS {collector.session.account}", allowed, options, fail_on, fail_on_new)


def _scan_organization(
    run: _Run,
    fleet: Fleet | None,
    *,
    profile: str | None,
    regions: list[str] | None,
    allowed: list[str] | None,
    workers: int,
    member_role: str,
    external_id: str | None,
    accounts: list[str],
    exclude_accounts: list[str],
    fail_on: Severity | None,
    fail_on_new: Severity | None,
) -> None:
    """`scan aws --organization`: every chosen active account of the organization in one scan; on the fleet, one
    part per account, each signed into by a worker with its own credentials."""
    from collectors.aws import organization_collector

    collector = organization_collector(
        profile=profile,
        regions=regions,
        workers=workers,
        max_pages=run.settings.max_pages,
        member_role=member_role,
        external_id=external_id,
        accounts=accounts,
        exclude_accounts=exclude_accounts,
    )
    if allowed:
        collector.session.resolve_regions(allowed)  # an unknown allowed region is a typo: say so
    chosen = [a.id for a in collector.accounts]
    options: dict[str, object] = {
        "profile": profile,
        "regions": regions,
        "workers": workers,
        "organization": True,
        "member_role": member_role,
        "accounts": chosen,
    }
    if fleet is not None:
        part = {**collector.part_settings(), "profile": profile}
        scan = scan_on_fleet(
            run, fleet, "aws", collector.part_accounts(), part, allowed_regions=allowed, options=options
        )
        _finish_scan(run, scan, fail_on, fail_on_new)
    label = f"Scanning {len(chosen)} AWS accounts of the organization"
    _scan_here(run, collector, label, allowed, options, fail_on, fail_on_new)


@scan_app.command("azure")
def scan_azure(
    subscriptions: Annotated[
        Optional[str],
        typer.Option(
            "--subscriptions", help="Comma-separated subscription ids (default: every one the identity can read)."
        ),
    ] = None,
    management_group: Annotated[
        Optional[str],
        typer.Option(
            "--management-group",
            help="Management group id: scan every enabled subscription under it, at any depth.",
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
    fail_on_new: FailOnNewOpt = None,
    notify: NotifyOpt = None,
    distributed: DistributedOpt = False,
    broker: BrokerOpt = None,
) -> None:
    """Scan Azure subscriptions' Machine Learning and AI services and what surrounds them."""
    from collectors.azure import azure_collector

    run = _prepare(db, output_dir, format, mutelist=mutelist, notify=notify)
    fleet = fleet_for(run, distributed, broker)
    file = run.settings.azure
    allowed = _split(allowed_regions) or run.settings.allowed_regions
    chosen = _split(subscriptions)
    group = management_group
    if chosen is None and group is None:  # options win over the file, as a pair: one scope or the other
        chosen, group = file.subscriptions, file.management_group
    cloud_name = cloud or file.cloud
    pool = workers or file.workers
    # The collector checks the cloud name and endpoint, wherever they came from.
    collector = azure_collector(
        subscriptions=chosen,
        management_group=group,
        cloud=cloud_name,
        arm_endpoint=arm_endpoint or file.arm_endpoint,
        workers=pool,
        max_pages=run.settings.max_pages,
    )
    options: dict[str, object] = {"cloud": cloud_name, "subscriptions": chosen, "workers": pool}
    if group:
        options.update(management_group=group, subscriptions=list(collector.subscriptions()))
    if fleet is not None:
        endpoint = collector.reader.endpoint
        scan = scan_on_fleet(
            run,
            fleet,
            "azure",
            collector.subscriptions(),
            {"cloud": cloud_name, "arm_endpoint": endpoint, "workers": pool, "max_pages": run.settings.max_pages},
            allowed_regions=allowed,
            options=options,
        )
        _finish_scan(run, scan, fail_on, fail_on_new)
    _scan_here(run, collector, "Scanning Azure", allowed, options, fail_on, fail_on_new)


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
    folder: Annotated[
        Optional[str],
        typer.Option(
            "--folder",
            help="Folder id: scan every active project under it, at any depth (found with Cloud Asset Inventory).",
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
    fail_on_new: FailOnNewOpt = None,
    notify: NotifyOpt = None,
    distributed: DistributedOpt = False,
    broker: BrokerOpt = None,
) -> None:
    """Scan Google Cloud projects' Vertex AI and Workbench estate and what surrounds it."""
    from collectors.gcp import gcp_collector, parse_api_endpoints
    from collectors.gcp.engine import LOCATION

    run = _prepare(db, output_dir, format, mutelist=mutelist, notify=notify)
    fleet = fleet_for(run, distributed, broker)
    allowed = _split(allowed_regions) or run.settings.allowed_regions
    mistyped = [r for r in allowed or () if not LOCATION.match(r)]
    if mistyped:
        raise ConfigError(
            f"Allowed region {', '.join(map(repr, mistyped))} is not a Google Cloud region.",
            "Use region names such as us-central1 or europe-west4.",
        )
    file = run.settings.gcp
    chosen = _split(projects)
    if folder is not None:  # one scope: the file's projects and organization do not narrow it
        org = organization
    elif chosen is not None or organization is not None:  # and the file's folder does not widen these
        chosen, org = chosen or file.projects, organization or file.organization
    else:
        chosen, org, folder = file.projects, file.organization, file.folder
    where = _split(locations) or file.locations
    pool = workers or file.workers
    # The collector checks project ids, the organization and locations (check_scope), and
    # parse_api_endpoints the overrides, wherever they came from.
    collector = gcp_collector(
        projects=chosen,
        organization=org,
        folder=folder,
        locations=where,
        impersonate_service_account=impersonate_service_account or file.impersonate_service_account,
        universe_domain=universe_domain or file.universe_domain,
        api_endpoints=parse_api_endpoints(api_endpoint or file.api_endpoints),
        workers=pool,
        max_pages=run.settings.max_pages,
    )
    options: dict[str, object] = {
        "projects": collector.projects(),
        "organization": org,
        "locations": where,
        "workers": pool,
    }
    if folder is not None:
        options["folder"] = folder
    if fleet is not None:
        part = {
            "organization": org,
            "locations": where,
            "impersonate_service_account": impersonate_service_account or file.impersonate_service_account,
            "universe_domain": universe_domain or file.universe_domain,
            "api_endpoints": parse_api_endpoints(api_endpoint or file.api_endpoints),
        }
        scan = scan_on_fleet(
            run,
            fleet,
            "gcp",
            collector.projects(),
            {**part, "workers": pool, "max_pages": run.settings.max_pages},
            allowed_regions=allowed,
            options=options,
        )
        _finish_scan(run, scan, fail_on, fail_on_new)
    _scan_here(run, collector, "Scanning Google Cloud", allowed, options, fail_on, fail_on_new)


@app.command(rich_help_panel="Scan")
def demo(
    output_dir: OutOpt = None,
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db", help="Inventory URL (default: demo.db in the user data directory, kept apart from real scans)."
        ),
    ] = None,
    format: FormatOpt = None,
    drift: Annotated[
        bool,
        typer.Option(
            "--drift",
            help="Scan the estates as changed since the plain demo (fixed, new, deleted and unreadable resources, "
            "an in-place model swap, a new model version), so a second run shows what changed.",
        ),
    ] = False,
    fail_on: FailOnOpt = None,
    fail_on_new: FailOnNewOpt = None,
    notify: NotifyOpt = None,
) -> None:
    """Run the whole path offline against a simulated AI estate with good and bad resources."""
    from cspm_ai.demo import demo_database_url, require_demo_extra, run_demo

    require_demo_extra()  # before any database is opened or directory made
    run = _prepare(db, output_dir, format, default_db=demo_database_url, notify=notify)
    with _progress(run.console, "Scanning the demo estate" + (" (drifted)" if drift else "")) as progress:
        scan = run_demo(run.inventory, progress=progress, drift=drift)
    _finish_scan(run, scan, fail_on, fail_on_new)


@app.command(rich_help_panel="Scan")
def evaluate(
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: FormatOpt = None,
    fail_on: FailOnOpt = None,
    mutelist: MutelistOpt = None,
    fail_on_new: FailOnNewOpt = None,
) -> None:
    """Re-run today's checks on a stored scan (no cloud calls) and rewrite its reports.

    Without --mutelist the scan keeps the exceptions it was evaluated with. Checks that judge history
    compare it with the comparable scan before it.
    """
    from cspm_ai.scan import reevaluate

    run = _prepare(db, output_dir, format, mutelist=mutelist)
    record = run.inventory.get_scan(scan)
    reevaluate(run.inventory, record, run.mutelist)
    _finish_scan(run, run.inventory.get_scan(record.id), fail_on, fail_on_new)


def _scan_here(
    run: _Run,
    collector: Collector,
    label: str,
    allowed: list[str] | None,
    options: dict[str, object],
    fail_on: Severity | None,
    fail_on_new: Severity | None,
) -> NoReturn:
    """Collect and evaluate in this process (not on the fleet), then write, print and exit as every scan does."""
    from cspm_ai.scan import run_scan, scan_gc

    with scan_gc():
        with _progress(run.console, label) as progress:
            scan = run_scan(
                run.inventory,
                [collector],
                allowed_regions=allowed,
                progress=progress,
                mutelist=run.mutelist,
                options=options,
            )
        _finish_scan(run, scan, fail_on, fail_on_new)
