"""Model Armor checks: prompts and responses of Gemini on Vertex AI are screened (floor settings) and the screening
templates filter prompt injection, malicious URLs and harmful content."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

FLOOR = "gcp.modelarmor.floor_setting"
TEMPLATE = "gcp.modelarmor.template"


def _filters(config: Any) -> dict[str, Any]:
    """What a filterConfig screens: prompt injection and jailbreak, malicious URLs, responsible AI categories."""
    return {
        "piAndJailbreak": shown(get(config, "piAndJailbreakFilterSettings.filterEnforcement")),
        "maliciousUri": shown(get(config, "maliciousUriFilterSettings.filterEnforcement")),
        "raiFilters": [shown(get(f, "filterType")) for f in as_list(get(config, "raiSettings.raiFilters"))],
    }


def _gaps(filters: dict[str, Any]) -> list[str]:
    gaps = []
    if filters["piAndJailbreak"] != "ENABLED":
        gaps.append(f"prompt injection and jailbreak filter {filters['piAndJailbreak']}")
    if filters["maliciousUri"] != "ENABLED":
        gaps.append(f"malicious URI filter {filters['maliciousUri']}")
    if not filters["raiFilters"]:
        gaps.append("no responsible AI filter")
    return gaps


@check(
    id="gcp.modelarmor.floor_setting_enforced",
    resource_types=FLOOR,
    severity=Severity.HIGH,
    title="Model Armor screens and blocks prompts and responses of Vertex AI models in the project",
    checklist=("MS-2",),
    remediation="Enable the Model Armor API (`gcloud services enable modelarmor.googleapis.com --project=<p>`), "
    "grant the Vertex AI service agent roles/modelarmor.user, then `gcloud model-armor floorsettings update "
    "--full-uri=projects/<p>/locations/global/floorSetting --enable-floor-setting-enforcement=true "
    "--add-integrated-services=VERTEX_AI --vertex-ai-enforcement-type=INSPECT_AND_BLOCK "
    "--enable-vertex-ai-cloud-logging --pi-and-jailbreak-filter-settings-enforcement=ENABLED "
    "--pi-and-jailbreak-filter-settings-confidence-level=MEDIUM_AND_ABOVE "
    "--malicious-uri-filter-settings-enforcement=ENABLED "
    "--add-rai-settings-filters=filterType=DANGEROUS,confidenceLevel=MEDIUM_AND_ABOVE`.",
    reads=(
        "apiDisabled",
        "enableFloorSettingEnforcement",
        "integratedServices",
        "aiPlatformFloorSetting.inspectAndBlock",
        "filterConfig",
    ),
)
def floor_setting_enforced(floor: Resource, ctx: CheckContext) -> Verdict:
    """The project's floor setting is how Model Armor screens Gemini generateContent calls on Vertex AI inline,
    whatever the application does (Vertex AI's rate limits are Google's quotas, not a setting of the project). PASS
    when enableFloorSettingEnforcement is true, integratedServices lists AI_PLATFORM, aiPlatformFloorSetting has
    inspectAndBlock true, and filterConfig enables the prompt injection and jailbreak filter and the malicious URI
    filter and has at least one responsible AI filter. Each absent (false, empty) fails it. apiDisabled (the
    collector's note that the Model Armor API is off in the project): FAIL, nothing is screened."""
    config = floor.config
    if get(config, "apiDisabled") is True:
        return failed(
            f"{floor.name}: the Model Armor API is not enabled in the project, so no prompt or response is screened.",
            apiDisabled=True,
        )
    filters = _filters(get(config, "filterConfig"))
    services = [shown(s) for s in as_list(get(config, "integratedServices"))]
    evidence = {
        "enableFloorSettingEnforcement": shown(get(config, "enableFloorSettingEnforcement")),
        "integratedServices": services,
        "aiPlatformFloorSetting.inspectAndBlock": shown(get(config, "aiPlatformFloorSetting.inspectAndBlock")),
        **filters,
    }
    gaps = []
    if get(config, "enableFloorSettingEnforcement") is not True:
        gaps.append("enforcement off (absent means false)")
    if "AI_PLATFORM" not in services:
        gaps.append("Vertex AI not among integratedServices")
    if get(config, "aiPlatformFloorSetting.inspectAndBlock") is not True:
        gaps.append("Vertex AI calls inspected but not blocked")
    gaps += _gaps(filters)
    if gaps:
        return failed(f"{floor.name} does not block unsafe Vertex AI traffic: {'; '.join(gaps)}.", **evidence)
    return passed(
        f"{floor.name} inspects and blocks Vertex AI prompts and responses for prompt injection, malicious URLs and "
        f"{len(filters['raiFilters'])} harmful content categories.",
        **evidence,
    )


@check(
    id="gcp.modelarmor.template_filters",
    resource_types=TEMPLATE,
    severity=Severity.MEDIUM,
    title="Model Armor templates filter prompt injection, malicious URLs and harmful content",
    checklist=("MS-2",),
    remediation="Run `gcloud model-armor templates update <template> --location=<location> "
    "--pi-and-jailbreak-filter-settings-enforcement=ENABLED "
    "--pi-and-jailbreak-filter-settings-confidence-level=MEDIUM_AND_ABOVE "
    "--malicious-uri-filter-settings-enforcement=ENABLED "
    '--rai-settings-filters=\'[{"filterType":"DANGEROUS","confidenceLevel":"MEDIUM_AND_ABOVE"}]\'` '
    "and have the applications calling sanitizeUserPrompt and sanitizeModelResponse block on a match.",
    reads=("filterConfig", "templateMetadata.enforcementType"),
)
def template_filters(template: Resource, ctx: CheckContext) -> Verdict:
    """Templates are what applications (and agents) call Model Armor with. PASS when filterConfig enables the prompt
    injection and jailbreak filter (piAndJailbreakFilterSettings.filterEnforcement ENABLED) and the malicious URI
    filter, and raiSettings has at least one filter. A filter absent or DISABLED: FAIL naming it.
    templateMetadata.enforcementType is shown, not judged: blocking on a finding is the caller's decision."""
    filters = _filters(get(template.config, "filterConfig"))
    enforcement = get(template.config, "templateMetadata.enforcementType")
    evidence = {**filters, "templateMetadata.enforcementType": shown(enforcement)}
    gaps = _gaps(filters)
    if gaps:
        return failed(
            f"{template.name} leaves prompts unscreened: {'; '.join(gaps)} (absent means not screened).", **evidence
        )
    return passed(
        f"{template.name} screens prompt injection, malicious URLs and {len(filters['raiFilters'])} harmful content "
        f"categories (enforcement type {display(enforcement)}).",
        **evidence,
    )
