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

DEFAULT_COMPUTE_SA = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
_DURATION = re.compile(r"^(\d+)(\.\d+)?s$")


def seconds(duration: Any) -> float | None:
    """A proto3 JSON Duration ("7776000s", "1.5s") in seconds; None when it is not one."""
    if not isinstance(duration, str):
        return None
    match = _DURATION.match(duration.strip())
    return float(match.group(1) + (match.group(2) or "")) if match else None


def project_of(resource: Resource, ctx: CheckContext) -> Resource | None:
    """The gcp.project resource of the resource's account (its project id), if collected."""
    projects = ctx.resources("gcp.project", account=resource.account)
    return projects[0] if projects else None


def project_number(project: Resource) -> str | None:
    """The project number from the project's `name` ("projects/123456789012")."""
    name = get(project.config, "name")
    if isinstance(name, str) and name.startswith("projects/") and name[len("projects/") :].isdigit():
        return name[len("projects/") :]
    return None
