"""Generated and shipped artefacts stay in sync with the code that defines them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

from cspm_ai.catalogue import catalogue_markdown
from cspm_ai.registry import all_checks

ROOT = Path(__file__).resolve().parent.parent


def shipped_policy() -> dict[str, object]:
    return json.loads(files("cspm_ai").joinpath("permissions/aws-readonly-policy.json").read_text())


def test_readme_shows_the_shipped_azure_role() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{\n  \"Name\": \"cspm-ai reader\".*?)\n```", readme, re.DOTALL)
    assert block, "README lost its Azure role block"
    shipped = json.loads(files("cspm_ai").joinpath("permissions/azure-readonly-role.json").read_text())
    assert json.loads(block.group(1)) == shipped


def test_readme_shows_the_shipped_gcp_role() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{\n  \"title\": \"cspm-ai reader\".*?)\n```", readme, re.DOTALL)
    assert block, "README lost its Google Cloud role block"
    shipped = json.loads(files("cspm_ai").joinpath("permissions/gcp-readonly-role.json").read_text())
    assert json.loads(block.group(1)) == shipped


def test_readme_shows_the_shipped_policy() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{\n  \"Version\".*?)\n```", readme, re.DOTALL)
    assert block, "README lost its IAM policy block"
    assert json.loads(block.group(1)) == shipped_policy()


def test_readme_gives_the_two_commands_and_every_cli_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    for command in ("scan aws", "scan azure", "scan gcp", "demo", "evaluate", "report", "scans", "checks list"):
        assert f"cspm-ai {command}" in readme, command


def test_check_catalogue_document_is_current() -> None:
    """docs/checks.md is the published list of check ids, and the registry is their only source: no test
    keeps its own copy. The ids are a contract (mutelists, exceptions, reports and the demo estates name
    them), so renaming, adding or removing a check fails here until `make docs` regenerates the catalogue,
    and the change shows in that file's diff. It covers the live providers (`checks.PROVIDERS`); a staged
    provider's ids are not published yet."""
    expected = catalogue_markdown(all_checks())
    assert (ROOT / "docs" / "checks.md").read_text() == expected, "run `make docs`"


def test_cli_prints_the_same_catalogue() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "cspm_ai", "checks", "list", "--format", "markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == catalogue_markdown(all_checks())
