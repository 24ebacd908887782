"""Google Cloud facts the collector and the checks share: location names and the AI org policy constraints."""

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
)


def region_of(location: str) -> str:
    """The region of a location: a zone such as "us-central1-a" counts as "us-central1"."""
    match = _ZONE.match(location)
    return match.group(1) if match else location
