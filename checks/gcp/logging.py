"""Cloud Audit Logs checks: Data Access logs for Vertex AI."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

SERVICES = ("aiplatform.googleapis.com", "allServices")
DATA_LOGS = ("DATA_READ", "DATA_WRITE")


@check(
    id="gcp.logging.vertex_data_access_audit_logs",
    resource_types="gcp.project",
    severity=Severity.HIGH,
    title="Data Access audit logs are on for Vertex AI",
    checklist=("CL-05",),
    remediation="Add to the project IAM policy (`gcloud projects get-iam-policy <p> --format=json > policy.json`, "
    'edit, `gcloud projects set-iam-policy <p> policy.json`) an auditConfigs entry {"service": '
    '"aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": '
    '"DATA_WRITE"}]} (or for allServices); keep exemptedMembers empty.',
    reads=("iamPolicy.auditConfigs",),
)
def vertex_data_access_audit_logs(project: Resource, ctx: CheckContext) -> Verdict:
    """PASS when iamPolicy.auditConfigs entries for aiplatform.googleapis.com and allServices (Google applies their
    union) enable both DATA_READ and DATA_WRITE; exemptedMembers are allowed but listed in the evidence. Absent
    auditConfigs = Data Access logs never configured: FAIL."""
    enabled: set[str] = set()
    exempted: dict[str, list[Any]] = {}
    for config in as_list(get(project.config, "iamPolicy.auditConfigs")):
        service = get(config, "service")
        if service not in SERVICES:
            continue
        for log in as_list(get(config, "auditLogConfigs")):
            log_type = get(log, "logType")
            if isinstance(log_type, str):
                enabled.add(log_type)
                members = as_list(get(log, "exemptedMembers"))
                if members and log_type in DATA_LOGS:
                    exempted.setdefault(f"{service}:{log_type}", []).extend(members)
    evidence = {"enabledLogTypes": sorted(enabled), "exemptedMembers": exempted}
    missing = [t for t in DATA_LOGS if t not in enabled]
    if not missing:
        note = f", with {sum(len(m) for m in exempted.values())} exempted member(s)" if exempted else ""
        return passed(f"{project.name} records DATA_READ and DATA_WRITE audit logs for Vertex AI{note}.", **evidence)
    return failed(
        f"{project.name} does not record {' or '.join(missing)} audit logs for aiplatform.googleapis.com "
        "(absent auditConfigs mean Data Access logs are off), so reads of models and data leave no trail.",
        **evidence,
    )
