"""`cspm-ai scan aws --organization` as a user runs it: one scan of every active account, a member whose role
cannot be assumed ERROR and the scan incomplete, --accounts and --exclude-accounts, the config file's [aws]
equivalents, and bad input as one `error:` line and a `hint:` line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cspm_ai.cli import main
from cspm_ai.config import DEFAULT_MEMBER_ROLE
from moto_fixtures.organization import MemberSpec, OrganizationManifest, build_organization

MEMBERS = (MemberSpec("prod"), MemberSpec("dev"), MemberSpec("sandbox", role=False))


@pytest.fixture(scope="module")
def org() -> Iterator[OrganizationManifest]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with mock_aws():
            session = boto3.Session(region_name="us-east-1")
            yield build_organization(session, MEMBERS, ai_regions=("us-east-1",))


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


def scan(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = run(
        "scan",
        "aws",
        "--organization",
        "--regions",
        "us-east-1",
        "--db",
        f"sqlite:///{tmp_path / 'inv.db'}",
        "--output-dir",
        str(tmp_path),
        "--format",
        "json",
        *args,
    )
    report = json.loads((tmp_path / "report.json").read_text()) if (tmp_path / "report.json").exists() else {}
    return code, report


def test_the_organization_is_one_scan_and_the_member_without_the_role_is_error(
    org: OrganizationManifest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = scan(tmp_path)
    assert code == 0
    assert "(incomplete)" in capsys.readouterr().out
    prod, dev, sandbox = (org.id_of(n) for n in ("prod", "dev", "sandbox"))
    assert report["scan"]["status"] == "incomplete"
    assert {s["account"] for s in report["scan"]["scopes"]} == {org.management, prod, dev, sandbox}
    assert {e["account"] for e in report["errors"]} == {sandbox}
    assert all(f"role/{DEFAULT_MEMBER_ROLE}" in e["message"] for e in report["errors"])
    by_account: dict[str, set[str]] = {}
    for finding in report["findings"]:
        by_account.setdefault(finding["account"], set()).add(finding["status"])
    assert by_account[sandbox] == {"ERROR"}
    assert "ERROR" not in by_account[prod] | by_account[dev]
    notebook_fails = {
        f["account"]
        for f in report["findings"]
        if f["check_id"] == "aws.sagemaker.notebook_direct_internet_access" and f["status"] == "FAIL"
    }
    assert notebook_fails == {prod, dev}
    # What the organization enforces: an SCP keeps AI in us-east-1 (CL-09); no delegated administrators (CL-10).
    org_checks = {f["check_id"]: f["status"] for f in report["findings"] if f["resource_type"].startswith("aws.org")}
    assert org_checks == {
        "aws.organizations.scp_restricts_ai_regions": "PASS",
        "aws.organizations.security_services_delegated": "FAIL",
    }


def test_accounts_and_exclusions_narrow_it_and_the_config_file_stands_in_for_the_options(
    org: OrganizationManifest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prod, dev = org.id_of("prod"), org.id_of("dev")
    code, report = scan(tmp_path / "one", "--accounts", f"{prod},{dev}", "--exclude-accounts", dev)
    assert code == 0 and report["scan"]["status"] == "complete"
    assert {s["account"] for s in report["scan"]["scopes"]} == {prod}
    # The config file's [aws] section stands in for the options (checked the same way: a stranger is named).
    config = tmp_path / "config.toml"
    config.write_text('[aws]\norganization = true\naccounts = [999999999999]\nmember_role = "Audit"\n')
    monkeypatch.setenv("CSPM_AI_CONFIG", str(config))
    assert run("scan", "aws", "--regions", "us-east-1", "--db", f"sqlite:///{tmp_path / 'file.db'}") == 2
    assert "999999999999, not an active account" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--organization", "--accounts", "999999999999"), "999999999999, not an active account"),
        (("--organization", "--accounts", "prod"), "not a 12-digit AWS account id"),
        (("--organization", "--member-role", "arn:aws:iam::1:role/x"), "not an IAM role name"),
        (("--member-role", "Audit"), "--member-role only apply with --organization"),
        (("--organization", "--processes", "2"), "--processes does not apply with --organization"),
        # On the fleet it needs what every distributed scan needs, checked before any cloud call.
        (("--organization", "--distributed"), "Distributed mode needs"),
    ],
)
def test_bad_input_is_one_error_line_and_a_hint(
    org: OrganizationManifest, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    code = run("scan", "aws", "--regions", "us-east-1", "--db", f"sqlite:///{tmp_path / 'x.db'}", *args)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and "Traceback" not in err
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), lines
    assert needle in lines[0]


def test_the_organizations_parts_on_local_processes_find_what_one_process_finds(
    org: OrganizationManifest, tmp_path: Path
) -> None:
    """The parts the fleet's workers run (one per account, each signed into on its own) are the same parts any
    executor runs: here two local processes, into SQLite, against the one-process organization scan."""
    from collectors.aws import organization_collector
    from cspm_ai.distributed.parts import plan_parts
    from cspm_ai.executor import LocalProcessExecutor
    from cspm_ai.inventory import Inventory
    from cspm_ai.scan import run_partitioned_scan, run_scan

    collector = organization_collector(regions=["us-east-1"], workers=8)
    found: dict[str, set[tuple[str, str, str]]] = {}
    for name in ("one", "parts"):
        url = f"sqlite:///{tmp_path / name}.db"
        with Inventory.open(url) as inventory:
            if name == "one":
                scan = run_scan(inventory, [collector], allowed_regions=["us-east-1"])
            else:
                accounts, settings = collector.part_accounts(), collector.part_settings()
                scan = run_partitioned_scan(
                    inventory,
                    ["aws"],
                    lambda scan_id: plan_parts(scan_id, "aws", accounts, settings, inventory=url),  # noqa: B023
                    LocalProcessExecutor(2),
                    allowed_regions=["us-east-1"],
                )
                assert {p.status for p in inventory.part_states(scan.id)} == {"stored"}
            assert scan.status == "incomplete"  # the sandbox, without the member role
            found[name] = {(f.id, f.status.value, f.message) for f in inventory.findings(scan.id)}
    assert found["parts"] == found["one"]
    assert {status for _id, status, message in found["one"] if org.id_of("sandbox") in message} == {"ERROR"}
