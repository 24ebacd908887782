"""The config file's [aws], [azure] and [gcp] sections, and the demo as an optional extra."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import responses
from google.auth.credentials import AnonymousCredentials
from packaging.requirements import Requirement

import collectors.aws as aws
import collectors.azure as azure
import collectors.gcp as gcp
from collectors.gcp.engine import check_scope
from collectors.kernel import MAX_PAGES
from cspm_ai.cli import main
from cspm_ai.config import load_settings
from cspm_ai.demo import DemoCredential
from cspm_ai.errors import ConfigError, CspmError
from moto_fixtures.azure_estate import register_azure_estate
from moto_fixtures.gcp_estate import register_gcp_estate

FULL = """
db = "sqlite:///inventory.db"
max_pages = 500

[aws]
profile = "audit"
regions = ["eu-west-1"]
workers = 8

[azure]
subscriptions = ["11111111-2222-3333-4444-555555555555"]
cloud = "usgov"
arm_endpoint = "https://management.usgovcloudapi.net"
workers = 4

[gcp]
projects = ["ml-prod-4521", "ml-dev-7781"]
organization = 123456789012
locations = ["us-central1"]
impersonate_service_account = "cspm@ml-prod-4521.iam.gserviceaccount.com"
universe_domain = "googleapis.com"
api_endpoints = ["aiplatform={location}-aiplatform.p.googleapis.com"]
workers = 12
"""


class Stop(CspmError):
    """Raised by the stand-in collectors once they have recorded what they were given."""


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


def storage(tmp_path: Path) -> list[str]:
    return ["--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path / "out")]


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.fixture()
def received(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """What `scan aws`, `scan azure` and `scan gcp` hand their collectors; each then stops the scan."""
    seen: dict[str, dict[str, Any]] = {}

    def collector(provider: str) -> Any:
        def build(**kwargs: Any) -> Any:
            seen[provider] = kwargs
            raise Stop("stopped after the collector was built")

        return build

    monkeypatch.setattr(aws, "aws_collector", collector("aws"))
    monkeypatch.setattr(azure, "azure_collector", collector("azure"))
    monkeypatch.setattr(gcp, "gcp_collector", collector("gcp"))
    return seen


@pytest.fixture()
def sign_ins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every credential lookup, Azure or Google, and answers it offline."""
    calls: list[str] = []

    def azure_credential(authority: str) -> DemoCredential:
        calls.append(f"azure {authority}")
        return DemoCredential()

    def google_credentials(impersonate: str | None) -> tuple[AnonymousCredentials, str | None, str]:
        calls.append(f"gcp {impersonate}")
        return AnonymousCredentials(), "ml-dev-7781", impersonate or "scanner@ml-prod-4521.iam.gserviceaccount.com"

    monkeypatch.setattr(azure, "credential_factory", azure_credential)
    monkeypatch.setattr(gcp, "credential_factory", google_credentials)
    return calls


def test_every_section_loads(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, FULL))
    assert settings.max_pages == 500
    assert (settings.aws.profile, settings.aws.regions, settings.aws.workers) == ("audit", ["eu-west-1"], 8)
    assert settings.azure.subscriptions == ["11111111-2222-3333-4444-555555555555"]
    assert (settings.azure.cloud, settings.azure.workers) == ("usgov", 4)
    assert settings.azure.arm_endpoint == "https://management.usgovcloudapi.net"
    assert settings.gcp.projects == ["ml-prod-4521", "ml-dev-7781"]
    assert settings.gcp.organization == "123456789012"  # a TOML number is the same id
    assert settings.gcp.locations == ["us-central1"]
    assert settings.gcp.impersonate_service_account == "cspm@ml-prod-4521.iam.gserviceaccount.com"
    assert settings.gcp.universe_domain == "googleapis.com"
    assert settings.gcp.api_endpoints == ["aiplatform={location}-aiplatform.p.googleapis.com"]
    assert settings.gcp.workers == 12


def test_the_readme_example_loads_and_passes_the_scope_checks(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Configuration file", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    settings = load_settings(write_config(tmp_path, example))
    assert settings.aws.profile and settings.azure.subscriptions and settings.gcp.organization
    check_scope(settings.gcp.projects, settings.gcp.organization, settings.gcp.locations)
    assert gcp.parse_api_endpoints(settings.gcp.api_endpoints)


def test_absent_sections_have_the_options_defaults(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, 'db = "sqlite://"\n'))
    assert (settings.azure.cloud, settings.azure.workers, settings.azure.subscriptions) == ("public", 16, None)
    assert (settings.gcp.workers, settings.gcp.projects, settings.gcp.organization) == (16, None, None)
    assert settings.aws.workers == 32
    assert settings.max_pages == MAX_PAGES == 10_000  # the collectors' own default


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[aws]\nregion = ['eu-west-1']\n", "aws.region"),
        ("[azure]\nsubscription = ['x']\n", "azure.subscription"),
        ("[gcp]\nproject = 'ml-prod-4521'\n", "gcp.project"),
        ("[gcp]\napi_endpoints = 'aiplatform=example.com'\n", "gcp.api_endpoints"),
        ("[azure]\nworkers = 0\n", "azure.workers"),
        ("[gcp]\nworkers = 257\n", "gcp.workers"),
        ("max_pages = 0\n", "max_pages"),
        ("max_pages = 'many'\n", "max_pages"),
    ],
)
def test_unknown_keys_and_bad_types_are_one_line(tmp_path: Path, text: str, where: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.message.startswith(f"Config file {path}: {where}: ")
    assert "\n" not in raised.value.message
    assert "configuration section" in raised.value.hint


def test_an_unknown_key_stops_every_command_with_one_error_and_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "[azure]\nsubscription = ['x']\n")
    assert run("--config", str(config), "checks", "list") == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 2 and lines[1].startswith("hint: ")
    assert lines[0] == f"error: Config file {config}: azure.subscription: Extra inputs are not permitted."


def test_the_file_applies_where_no_option_is_given(tmp_path: Path, received: dict[str, dict[str, Any]]) -> None:
    config = str(write_config(tmp_path, FULL))
    assert run("--config", config, "scan", "azure", *storage(tmp_path)) == 2
    assert run("--config", config, "scan", "gcp", *storage(tmp_path)) == 2
    assert received["azure"] == {
        "subscriptions": ["11111111-2222-3333-4444-555555555555"],
        "management_group": None,
        "cloud": "usgov",
        "arm_endpoint": "https://management.usgovcloudapi.net",
        "workers": 4,
        "max_pages": 500,
    }
    assert received["gcp"] == {
        "projects": ["ml-prod-4521", "ml-dev-7781"],
        "organization": "123456789012",
        "folder": None,
        "locations": ["us-central1"],
        "impersonate_service_account": "cspm@ml-prod-4521.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
        "api_endpoints": {"aiplatform": "{location}-aiplatform.p.googleapis.com"},
        "workers": 12,
        "max_pages": 500,
    }


def test_an_option_beats_the_file(tmp_path: Path, received: dict[str, dict[str, Any]]) -> None:
    config = str(write_config(tmp_path, FULL))
    azure_args = [
        "--subscriptions",
        "a,b",
        "--cloud",
        "china",
        "--arm-endpoint",
        "https://arm.example",
        "--workers",
        "2",
    ]
    assert run("--config", config, "scan", "azure", *azure_args, *storage(tmp_path)) == 2
    gcp_args = [
        *("--projects", "ml-other-0001", "--organization", "999", "--locations", "europe-west4"),
        *("--impersonate-service-account", "other@ml-other-0001.iam.gserviceaccount.com"),
        *("--universe-domain", "example-sovereign.goog", "--api-endpoint", "cloudkms=kms.example", "--workers", "3"),
    ]
    assert run("--config", config, "scan", "gcp", *gcp_args, *storage(tmp_path)) == 2
    assert received["azure"] == {
        "subscriptions": ["a", "b"],
        "management_group": None,
        "cloud": "china",
        "arm_endpoint": "https://arm.example",
        "workers": 2,
        "max_pages": 500,
    }
    assert received["gcp"] == {
        "projects": ["ml-other-0001"],
        "organization": "999",
        "folder": None,
        "locations": ["europe-west4"],
        "impersonate_service_account": "other@ml-other-0001.iam.gserviceaccount.com",
        "universe_domain": "example-sovereign.goog",
        "api_endpoints": {"cloudkms": "kms.example"},
        "workers": 3,
        "max_pages": 500,
    }


def test_without_file_or_option_the_defaults_hold(tmp_path: Path, received: dict[str, dict[str, Any]]) -> None:
    assert run("scan", "azure", *storage(tmp_path)) == 2
    assert run("scan", "gcp", *storage(tmp_path)) == 2
    assert received["azure"] == {
        "subscriptions": None,
        "management_group": None,
        "cloud": "public",
        "arm_endpoint": None,
        "workers": 16,
        "max_pages": MAX_PAGES,
    }
    assert received["gcp"]["workers"] == 16 and received["gcp"]["api_endpoints"] == {}
    assert received["gcp"]["max_pages"] == MAX_PAGES


def test_max_pages_in_the_file_reaches_every_clouds_collector(
    tmp_path: Path, received: dict[str, dict[str, Any]]
) -> None:
    config = str(write_config(tmp_path, "max_pages = 7\n"))
    for provider in ("aws", "azure", "gcp"):
        assert run("--config", config, "scan", provider, *storage(tmp_path)) == 2
    assert {provider: kwargs["max_pages"] for provider, kwargs in received.items()} == {"aws": 7, "azure": 7, "gcp": 7}


@pytest.mark.parametrize(
    ("provider", "section", "option"),
    [
        ("azure", "cloud = 'mars'", ("--cloud", "mars")),
        ("azure", "arm_endpoint = 'http://127.0.0.1:1'", ("--arm-endpoint", "http://127.0.0.1:1")),
        ("gcp", "projects = ['Not_A_Project']", ("--projects", "Not_A_Project")),
        ("gcp", "organization = 'acme-corp'", ("--organization", "acme-corp")),
        ("gcp", "locations = ['us central1']", ("--projects", "ml-prod-4521", "--locations", "us central1")),
        (
            "gcp",
            "api_endpoints = ['vertex=example.com']",
            ("--projects", "ml-prod-4521", "--api-endpoint", "vertex=example.com"),
        ),
    ],
)
def test_a_bad_value_reads_the_same_from_the_file_as_from_the_option(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sign_ins: list[str],
    provider: str,
    section: str,
    option: tuple[str, ...],
) -> None:
    assert run("scan", provider, *option, *storage(tmp_path)) == 2
    from_option = capsys.readouterr().err
    extra = "projects = ['ml-prod-4521']\n" if provider == "gcp" and "projects" not in section else ""
    config = write_config(tmp_path, f"[{provider}]\n{section}\n{extra}")
    assert run("--config", str(config), "scan", provider, *storage(tmp_path)) == 2
    from_file = capsys.readouterr().err
    assert from_file == from_option
    lines = error_lines(from_file)
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), lines
    assert "Traceback" not in from_file
    assert sign_ins == []  # rejected before any credential is looked up


def test_a_bad_value_in_the_file_fails_a_real_process_cleanly(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[gcp]\nlocations = ['us central1']\nprojects = ['ml-prod-4521']\n")
    result = subprocess.run(
        [sys.executable, "-m", "cspm_ai", "--config", str(config), "scan", "gcp", *storage(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert error_lines(result.stderr) == [
        "error: 'us central1' is not a Google Cloud location.",
        "hint: Use region names such as us-central1 or europe-west4.",
    ]


@pytest.mark.parametrize("provider", ["azure", "gcp"])
def test_workers_out_of_bounds_is_a_usage_error_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], provider: str
) -> None:
    assert run("scan", provider, "--workers", "257", *storage(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--workers'" in err and "Traceback" not in err and "internal error" not in err


def test_a_file_driven_azure_scan_reads_only_the_named_subscription(sign_ins: list[str], tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(replay)
        config = write_config(tmp_path, f"[azure]\nsubscriptions = ['{manifest.prod_subscription_id}']\nworkers = 2\n")
        assert run("--config", str(config), "scan", "azure", *storage(tmp_path)) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [s["account"] for s in report["scan"]["scopes"]] == [manifest.prod_subscription_id]
    assert report["scan"]["status"] == "complete"


def test_a_file_driven_gcp_scan_covers_the_organization_as_the_service_account(
    sign_ins: list[str], tmp_path: Path
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_gcp_estate(replay)
        config = write_config(
            tmp_path,
            f"[gcp]\norganization = '{manifest.organization_id}'\n"
            "impersonate_service_account = 'cspm@ml-prod-4521.iam.gserviceaccount.com'\n",
        )
        assert run("--config", str(config), "scan", "gcp", *storage(tmp_path)) == 0
    assert sign_ins == ["gcp cspm@ml-prod-4521.iam.gserviceaccount.com"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {s["account"] for s in report["scan"]["scopes"]} == set(manifest.project_ids)


# The demo's simulators are the `demo` extra; a plain install carries none of them.
SIMULATORS = {"moto", "responses", "flask", "werkzeug"}


def test_the_base_install_requires_no_simulator() -> None:
    requirements = [Requirement(r) for r in importlib.metadata.requires("cspm-ai") or []]
    base = {r.name.lower() for r in requirements if r.marker is None or "extra" not in str(r.marker)}
    assert base and not base & SIMULATORS
    demo = {r.name.lower() for r in requirements if r.marker is not None and r.marker.evaluate({"extra": "demo"})}
    assert {"moto", "responses"} <= demo
    server = [r for r in requirements if r.name == "moto" and "server" in r.extras]
    assert server and all(r.marker is not None and r.marker.evaluate({"extra": "test"}) for r in server)


def test_the_demo_without_its_extra_says_which_to_install_and_writes_nothing(tmp_path: Path) -> None:
    database, output = tmp_path / "d.db", tmp_path / "out"
    script = (
        "import sys; sys.modules['moto'] = None; from cspm_ai.cli import main; "
        f"main(['demo', '--db', 'sqlite:///{database}', '--output-dir', '{output}'])"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cspm-ai[demo]" in errors[0], result.stderr
    assert not database.exists() and not output.exists()


@pytest.mark.parametrize(("cores", "expected"), [(1, 2), (2, 4), (3, 4), (16, 4)])
def test_aws_regions_are_collected_in_two_processes_per_core_at_most_four_unless_told(
    tmp_path: Path, received: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, cores: int, expected: int
) -> None:
    monkeypatch.setattr(aws, "usable_cores", lambda: cores)
    assert run("scan", "aws", *storage(tmp_path)) == 2
    assert received["aws"]["processes"] == expected
    config = str(write_config(tmp_path, "[aws]\nprocesses = 1\n"))
    assert run("--config", config, "scan", "aws", *storage(tmp_path)) == 2
    assert received["aws"]["processes"] == 1
    assert run("--config", config, "scan", "aws", "--processes", "3", *storage(tmp_path)) == 2
    assert received["aws"]["processes"] == 3
