"""Helpers shared by the Google Cloud checks: proto3 JSON value tests, the project of a resource, regions.

Google's JSON (the proto3 mapping) omits false, 0, "" and empty lists, so a missing boolean is false
and a missing list is empty; int64 values arrive as strings and durations as "<seconds>s".
"""

from __future__ import annotations

import re
from typing import Any

from cspm_ai.doc import ABSENT, get
from cspm_ai.model import Resource, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext

NETWORK = {"nist-800-53-r5": ("SC-7", "AC-4"), "iso-27001-2022": ("A.8.20", "A.8.22")}
PRIVATE_ACCESS = {"nist-800-53-r5": ("SC-7", "SC-7(4)", "AC-4"), "iso-27001-2022": ("A.8.20", "A.8.21")}
AT_REST = {"nist-800-53-r5": ("SC-28", "SC-28(1)", "SC-12"), "iso-27001-2022": ("A.8.24",)}
LEAST_PRIVILEGE = {"nist-800-53-r5": ("AC-6", "AC-5", "AC-2"), "iso-27001-2022": ("A.5.15", "A.5.18", "A.8.2")}
MONITORING = {"nist-800-53-r5": ("AU-2", "AU-12", "SI-4"), "iso-27001-2022": ("A.8.15", "A.8.16")}
RESIDENCY = {"nist-800-53-r5": ("SA-9(5)", "SC-7"), "iso-27001-2022": ("A.5.34", "A.8.10")}

DEFAULT_COMPUTE_SA = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
_DURATION = re.compile(r"^(\d+)(\.\d+)?s$")


def is_set(value: Any) -> bool:
    """A non-empty string: how the JSON carries a name, email or URI that is configured."""
    return isinstance(value, str) and value.strip() != ""


def display(value: Any) -> str:
    """A config value inside a message: `<absent>`, and booleans as the JSON spells them."""
    if value is ABSENT:
        return "<absent>"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and not value.strip():
        return repr(value)
    return str(value)


def seconds(duration: Any) -> float | None:
    """A proto3 JSON Duration ("7776000s", "1.5s") in seconds; None when it is not one."""
    if not isinstance(duration, str):
        return None
    match = _DURATION.match(duration.strip())
    return float(match.group(1) + (match.group(2) or "")) if match else None


def region_of(location: str) -> str:
    """The region of a location: a zone such as "us-central1-a" counts as "us-central1"."""
    match = _ZONE.match(location)
    return match.group(1) if match else location


def project_of(resource: Resource, ctx: CheckContext) -> Resource | None:
    """The gcp.project resource of the resource's account (its project id), if collected."""
    projects = ctx.resources("gcp.project", account=resource.account)
    return projects[0] if projects else None


def project_number(project: Resource) -> str | None:
    """The project number from the project's `name` ("projects/123456789012")."""
    name = get(project.config, "name")
    if isinstance(name, str) and name.startswith("projects/") and name[len("projects/"):].isdigit():
        return name[len("projects/"):]
    return None


def flag_true(resource: Resource, path: str, on: str, off: str) -> Verdict:
    """PASS when a boolean is really true; absent means false (proto3 JSON omits false)."""
    value = get(resource.config, path)
    if value is True:
        return passed(f"{resource.name} has {path} true, so {on}.", **{path: True})
    note = " (absent means false)" if value is ABSENT else ""
    return failed(f"{resource.name} has {path} {display(value)}{note}, so {off}.",
                  **{path: "<absent>" if value is ABSENT else value})


def in_allowed_region(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS inside the configured allowed regions (a zone counts as its region), FAIL outside;
    no configured list = MANUAL attestation."""
    region = region_of(resource.region)
    evidence: dict[str, Any] = {"location": resource.region, "region": region}
    allowed = ctx.allowed_regions
    if allowed is None:
        return manual(f"{resource.name} is in {resource.region}, but no allowed regions are configured; attest "
                      "data residency for this region.", **evidence)
    evidence["allowed_regions"] = sorted(allowed)
    if region in allowed or resource.region in allowed:
        return passed(f"{resource.name} is in allowed region {region}.", **evidence)
    return failed(f"{resource.name} is in {resource.region}, which is not an allowed region.", **evidence)
