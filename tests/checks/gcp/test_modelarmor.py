"""Model Armor checks, table-driven: the floor setting screens and blocks Vertex AI traffic, templates filter prompt
injection, malicious URLs and harmful content; absent settings screen nothing."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import PROJECT_ID, PROJECT_NUMBER, declare_type, one

FILTERS = {
    "raiSettings": {
        "raiFilters": [
            {"filterType": "HATE_SPEECH", "confidenceLevel": "MEDIUM_AND_ABOVE"},
            {"filterType": "DANGEROUS", "confidenceLevel": "MEDIUM_AND_ABOVE"},
        ]
    },
    "sdpSettings": {"basicConfig": {"filterEnforcement": "ENABLED"}},
    "piAndJailbreakFilterSettings": {"filterEnforcement": "ENABLED", "confidenceLevel": "MEDIUM_AND_ABOVE"},
    "maliciousUriFilterSettings": {"filterEnforcement": "ENABLED"},
}
FLOOR = declare_type(
    "gcp.modelarmor.floor_setting",
    {
        "name": f"projects/{PROJECT_NUMBER}/locations/global/floorSetting",
        "createTime": "2025-01-12T10:00:00Z",
        "updateTime": "2025-03-02T10:00:00Z",
        "filterConfig": FILTERS,
        "enableFloorSettingEnforcement": True,
        "integratedServices": ["AI_PLATFORM"],
        "aiPlatformFloorSetting": {"inspectAndBlock": True, "enableCloudLogging": True},
    },
    uid=f"projects/{PROJECT_NUMBER}/locations/global/{{name}}",
    name="floorSetting",
    region="global",
    host="modelarmor",
)
TEMPLATE = declare_type(
    "gcp.modelarmor.template",
    {
        "name": f"projects/{PROJECT_ID}/locations/us-central1/templates/prompt-shield",
        "createTime": "2025-01-15T10:00:00Z",
        "updateTime": "2025-03-02T10:00:00Z",
        "filterConfig": FILTERS,
        "templateMetadata": {
            "logTemplateOperations": True,
            "logSanitizeOperations": True,
            "enforcementType": "INSPECT_AND_BLOCK",
        },
    },
    uid=f"projects/{PROJECT_ID}/locations/us-central1/templates/{{name}}",
    name="prompt-shield",
    region="us-central1",
    host="modelarmor",
)

CASES: list[Case] = [
    # MS-2 floor setting
    Case("gcp.modelarmor.floor_setting_enforced", PASS, "inspect-and-block", one(FLOOR), says="2 harmful content"),
    Case(
        "gcp.modelarmor.floor_setting_enforced",
        FAIL,
        "api-disabled",
        one(FLOOR, {"apiDisabled": True, "filterConfig": DROP}),
        says="API is not enabled",
    ),
    Case(
        "gcp.modelarmor.floor_setting_enforced",
        FAIL,
        "enforcement-absent",
        one(FLOOR, {"enableFloorSettingEnforcement": DROP}),
        says="enforcement off (absent means false)",
    ),
    Case(
        "gcp.modelarmor.floor_setting_enforced",
        FAIL,
        "vertex-not-integrated",
        one(FLOOR, {"integratedServices": DROP}),
        says="Vertex AI not among integratedServices",
    ),
    Case(
        "gcp.modelarmor.floor_setting_enforced",
        FAIL,
        "inspect-only",
        one(FLOOR, {"aiPlatformFloorSetting": {"inspectOnly": True, "enableCloudLogging": True}}),
        says="inspected but not blocked",
    ),
    Case(
        "gcp.modelarmor.floor_setting_enforced",
        FAIL,
        "no-jailbreak-filter",
        one(FLOOR, {"filterConfig.piAndJailbreakFilterSettings": DROP}),
        says="prompt injection and jailbreak filter <absent>",
    ),
    # MS-2 templates
    Case("gcp.modelarmor.template_filters", PASS, "all-filters", one(TEMPLATE), says="INSPECT_AND_BLOCK"),
    Case(
        "gcp.modelarmor.template_filters",
        PASS,
        "inspect-only-is-shown-not-judged",
        one(TEMPLATE, {"templateMetadata.enforcementType": "INSPECT_ONLY"}),
        says="INSPECT_ONLY",
    ),
    Case(
        "gcp.modelarmor.template_filters",
        FAIL,
        "jailbreak-disabled",
        one(TEMPLATE, {"filterConfig.piAndJailbreakFilterSettings.filterEnforcement": "DISABLED"}),
        says="prompt injection and jailbreak filter DISABLED",
    ),
    Case(
        "gcp.modelarmor.template_filters",
        FAIL,
        "no-malicious-uri",
        one(TEMPLATE, {"filterConfig.maliciousUriFilterSettings": DROP}),
        says="malicious URI filter <absent>",
    ),
    Case(
        "gcp.modelarmor.template_filters",
        FAIL,
        "no-rai",
        one(TEMPLATE, {"filterConfig.raiSettings": DROP}),
        says="no responsible AI filter",
    ),
    Case("gcp.modelarmor.template_filters", FAIL, "empty", one(TEMPLATE, {"filterConfig": DROP})),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
