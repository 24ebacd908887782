"""Google Cloud facts the collector and the checks share: location names and the organization policy constraints
that govern AI workloads."""

from __future__ import annotations

import re

_ZONE = re.compile(r"^([a-z]+(?:-[a-z]+)+\d+)-[a-z]$")

# Constraints that bound where AI data lives, how it is encrypted and how AI compute is reached:
# the collector reads each one's effective policy per project, and the org policy check judges them.
AI_CONSTRAINTS: tuple[str, ...] = (
    "constraints/gcp.resourceLocations",
    "constraints/gcp.restrictNonCmekServices",
    "constraints/iam.disableServiceAccountKeyCreation",
    "constraints/iam.managed.disableServiceAccountKeyCreation",
    "constraints/iam.automaticIamGrantsForDefaultServiceAccounts",
    "constraints/ainotebooks.disableRootAccess",
    "constraints/ainotebooks.disableFileDownloads",
    "constraints/ainotebooks.disableTerminal",
    "constraints/ainotebooks.restrictPublicIp",
    "constraints/compute.vmExternalIpAccess",
    "constraints/vertexai.allowedModels",
    "constraints/ainotebooks.requireAutoUpgradeSchedule",
    "constraints/ainotebooks.restrictVpcNetworks",
    "constraints/ainotebooks.accessMode",
    "constraints/ainotebooks.environmentOptions",
    "constraints/gcp.restrictTLSVersion",
)

# The Vertex AI and Workbench constraints that stop drift where it starts (PH-3): a Workbench instance with a
# public IP or root access, a model outside the approved Model Garden list. Each must be enforced.
VERTEX_WORKBENCH_REQUIRED: tuple[str, ...] = (
    "constraints/ainotebooks.restrictPublicIp",
    "constraints/ainotebooks.disableRootAccess",
    "constraints/vertexai.allowedModels",
)
# The other Vertex AI and Workbench constraints, reported when enforced.
VERTEX_WORKBENCH_OTHER: tuple[str, ...] = (
    "constraints/ainotebooks.disableFileDownloads",
    "constraints/ainotebooks.disableTerminal",
    "constraints/ainotebooks.requireAutoUpgradeSchedule",
    "constraints/ainotebooks.restrictVpcNetworks",
    "constraints/ainotebooks.accessMode",
    "constraints/ainotebooks.environmentOptions",
)

# Google Cloud APIs accept TLS 1.0 and 1.1 unless this list constraint denies them (CL-04).
TLS_CONSTRAINT = "constraints/gcp.restrictTLSVersion"
OLD_TLS_VERSIONS: tuple[str, ...] = ("TLS_VERSION_1", "TLS_VERSION_1_1")


def region_of(location: str) -> str:
    """The region of a location: a zone such as "us-central1-a" counts as "us-central1"."""
    match = _ZONE.match(location)
    return match.group(1) if match else location
