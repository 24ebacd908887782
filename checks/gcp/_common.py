"""Helpers shared by the Google Cloud checks: proto3 JSON value tests, the project of a resource, regions.

Google's JSON (the proto3 mapping) omits false, 0, "" and empty lists, so a missing boolean is false
and a missing list is empty; int64 values arrive as strings and durations as "<seconds>s".
"""

from __future__ import annotations

import re
from typing import Any

from cspm_ai.doc import get
from cspm_ai.model import Resource
from cspm_ai.registry import CheckContext

NETWORK = {"nist-800-53-r5": ("SC-7", "AC-4"), "iso-27001-2022": ("A.8.20", "A.8.22")}
PRIVATE_ACCESS = {"nist-800-53-r5": ("SC-7", "SC-7(4)", "AC-4"), "iso-27001-2022": ("A.8.20", "A.8.21")}
AT_REST = {"nist-800-53-r5": ("SC-28", "SC-28(1)", "SC-12"), "iso-27001-2022": ("A.8.24",)}
LEAST_PRIVILEGE = {"nist-800-53-r5": ("AC-6", "AC-5", "AC-2"), "iso-27001-2022": ("A.5.15", "A.5.18", "A.8.2")}
MONITORING = {"nist-800-53-r5": ("AU-2", "AU-12", "SI-4"), "iso-27001-2022": ("A.8.15", "A.8.16")}
RESIDENCY = {"nist-800-53-r5": ("SA-9(5)", "SC-7"), "iso-27001-2022": ("A.5.34", "A.8.10")}

DEFAULT_COMPUTE_SA = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
_ZONE = re.compile(r"^([a-z]+(?:-[a-z]+)+\d+)-[a-z]$")
_DURATION = re.compile(r"^(\d+)(\.\d+)?s$")


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
