"""The IAM permissions the Google Cloud collector needs, derived from its declarations.

The shipped custom role (cspm_ai/permissions/gcp-readonly-role.json) must equal
`role_definition()`; every permission is a get or a list.
"""

from __future__ import annotations

from collectors.gcp.specs import READS


def required_permissions() -> list[str]:
    return sorted({read.permission for read in READS})


def role_definition() -> dict[str, object]:
    return {
        "title": "cspm-ai reader",
        "description": "Reads what cspm-ai audits: Vertex AI, Workbench, Model Armor, and the IAM, Cloud KMS, "
        "Cloud Storage, BigQuery, Sensitive Data Protection, VPC networks, organization policy, VPC Service "
        "Controls, Security Command Center and budgets around them. Read only.",
        "stage": "GA",
        "includedPermissions": required_permissions(),
    }
