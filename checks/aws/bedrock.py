"""Amazon Bedrock checks: invocation logging, guardrails, keys, networks, residency, agents, knowledge bases, secrets.

Region-wide settings are judged on `aws.bedrock.settings`, one per region where Bedrock is offered. A setting
only Bedrock needs (invocation logging, guardrails) is required where Bedrock is in use (`bedrock_use`): a
region without any Bedrock or AgentCore resource and without model invocations in the last two weeks
passes, so an account that does not use Bedrock gets no FAIL for it.
"""

from __future__ import annotations

from typing import Any

from checks._verdicts import no_secrets, not_patched_in_place
from checks.aws._common import (
    BEDROCK_SETTINGS,
    KMS_KEY,
    bedrock_use,
    classification_tag,
    describe_use,
    judge_customer_key,
    judge_iac,
    keys_for,
    require_listed,
)
from checks.aws.s3 import bucket_public_access_block, bucket_sse_kms
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Status, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

SETTINGS = BEDROCK_SETTINGS
GUARDRAIL = "aws.bedrock.guardrail"
CUSTOM_MODEL = "aws.bedrock.custom_model"
CUSTOMIZATION_JOB = "aws.bedrock.model_customization_job"
IMPORTED_MODEL = "aws.bedrock.imported_model"
PROVISIONED_THROUGHPUT = "aws.bedrock.provisioned_throughput"
INFERENCE_PROFILE = "aws.bedrock.inference_profile"
AGENT = "aws.bedrock.agent"
KNOWLEDGE_BASE = "aws.bedrock.knowledge_base"
LAMBDA_FUNCTION = "aws.lambda.function"
LOG_GROUP = "aws.logs.log_group"
RDS_CLUSTER = "aws.rds.cluster"
BUCKET = "aws.s3.bucket"

# The request and response data a loggingConfig can deliver; each flag absent = not delivered.
DATA_DELIVERY = (
    "textDataDeliveryEnabled",
    "imageDataDeliveryEnabled",
    "embeddingDataDeliveryEnabled",
    "videoDataDeliveryEnabled",
    "audioDataDeliveryEnabled",
)
# Where a loggingConfig sends logs: config path -> the relation its resource is found by.
LOG_DESTINATIONS = {
    "loggingConfig.s3Config.bucketName": "uses_bucket",
    "loggingConfig.cloudWatchConfig.logGroupName": "uses_log_group",
    "loggingConfig.cloudWatchConfig.largeDataDeliveryS3Config.bucketName": "uses_bucket",
}
HARMFUL_CONTENT = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
STRONG = ("MEDIUM", "HIGH")
# An agent session idle longer than this is trusted too long (the service allows up to 5400 s; default 600 s).
MAX_IDLE_SESSION_SECONDS = 1800
DEFAULT_IDLE_SESSION_SECONDS = 600


def _not_in_use(settings: Resource, evidence: dict[str, Any], what: str) -> Verdict:
    return passed(
        f"{settings.name} shows no Bedrock use (no Bedrock or AgentCore resource, no model invocation in the last "
        f"two weeks), so {what} is not required there.",
        **evidence,
        bedrock_use={},
    )


# -- invocation logging ---------------------------------------------------------------------------------


def _destinations(settings: Resource) -> dict[str, str]:
    return {path: value for path in LOG_DESTINATIONS if is_set(value := get(settings.config, path))}


def _places(destinations: dict[str, str]) -> str:
    """The distinct destinations, in order (large payloads often go to the bucket that takes the rest)."""
    return ", ".join(dict.fromkeys(destinations.values()))


@check(
    id="aws.bedrock.model_invocation_logging",
    resource_types=SETTINGS,
    severity=Severity.MEDIUM,
    title="Regions that use Bedrock log model invocations with their requests and responses",
    checklist=("CL-05", "MS-3"),
    remediation="Run `aws bedrock put-model-invocation-logging-configuration --region <region> --logging-config "
    "'s3Config={bucketName=<log-bucket>,keyPrefix=bedrock/},textDataDeliveryEnabled=true,"
    "imageDataDeliveryEnabled=true,embeddingDataDeliveryEnabled=true'` (or a `cloudWatchConfig` with a log group "
    "and a role Bedrock can assume) in every region where Bedrock is used.",
    reads=("loggingConfig", "invocationMetrics", "<bedrock resources in the region>"),
)
def model_invocation_logging(settings: Resource, ctx: CheckContext) -> Verdict:
    """PASS when loggingConfig sends logs to S3 or CloudWatch Logs with at least one kind of request and response
    data (each *DataDeliveryEnabled absent = false), or when nothing shows Bedrock in use in the region;
    loggingConfig absent or empty = logging off."""
    destinations = _destinations(settings)
    delivered = [flag for flag in DATA_DELIVERY if get(settings.config, f"loggingConfig.{flag}") is True]
    evidence: dict[str, Any] = {**destinations, "delivered": delivered}
    if destinations and delivered:
        where = _places(destinations)
        return passed(f"{settings.name} logs model invocations ({', '.join(delivered)}) to {where}.", **evidence)
    use = bedrock_use(ctx, settings.account, settings.region)
    if not use:
        return _not_in_use(settings, evidence, "invocation logging")
    evidence["bedrock_use"] = use
    if not destinations:
        return failed(
            f"{settings.name} uses Bedrock ({describe_use(use)}) but has no model invocation logging "
            f"(loggingConfig {display(get(settings.config, 'loggingConfig'))} names no destination).",
            **evidence,
        )
    return failed(
        f"{settings.name} uses Bedrock ({describe_use(use)}) and logs to {_places(destinations)} but "
        "delivers no request or response data (every *DataDeliveryEnabled flag false or absent).",
        **evidence,
    )


def _bucket_protected(bucket: Resource, ctx: CheckContext) -> tuple[bool, str]:
    encryption, public = bucket_sse_kms(bucket, ctx), bucket_public_access_block(bucket, ctx)
    ok = encryption.status == Status.PASS and public.status == Status.PASS
    if ok:
        return True, f"bucket {bucket.name} encrypts with SSE-KMS and blocks public access"
    return False, " ".join(v.message for v in (encryption, public) if v.status != Status.PASS).rstrip(".")


def _log_group_protected(group: Resource) -> tuple[bool, str]:
    key = get(group.config, "kmsKeyId")
    if is_set(key):
        return True, f"log group {group.name} is encrypted with KMS key {key}"
    return False, f"log group {group.name} has kmsKeyId {display(key)}, so CloudWatch Logs' own key encrypts it"


def _destination(settings: Resource, ctx: CheckContext, path: str, name: str) -> tuple[bool | None, str]:
    """(protected, why) for one destination; protected None when it is not in the inventory."""
    found = [r for r in ctx.related(settings, LOG_DESTINATIONS[path]) if r.name == name]
    if not found:
        return None, f"{name} is not in the inventory (another account, or deleted)"
    target = found[0]
    return _log_group_protected(target) if target.type == LOG_GROUP else _bucket_protected(target, ctx)


@check(
    id="aws.bedrock.invocation_logs_protected",
    resource_types=SETTINGS,
    severity=Severity.MEDIUM,
    title="Model invocation logs go to KMS-encrypted destinations closed to the public",
    checklist=("CL-05", "CL-03"),
    remediation="Encrypt the log bucket with `aws s3api put-bucket-encryption --bucket <bucket> "
    '--server-side-encryption-configuration \'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":'
    '"aws:kms","KMSMasterKeyID":"<key-arn>"}}]}\'` and `aws s3api put-public-access-block --bucket <bucket> '
    "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,"
    "RestrictPublicBuckets=true`; encrypt the log group with `aws logs associate-kms-key --log-group-name <group> "
    "--kms-key-id <key-arn>`.",
    reads=(*LOG_DESTINATIONS, "uses_bucket.ServerSideEncryptionConfiguration", "uses_log_group.kmsKeyId"),
)
def invocation_logs_protected(settings: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every destination of loggingConfig is protected: an S3 bucket encrypting by default with SSE-KMS and
    blocking all public access, a log group with a kmsKeyId; no destination = nothing is delivered to protect
    (the logging check judges that); a destination not in the inventory is MANUAL."""
    destinations = _destinations(settings)
    if not destinations:
        return passed(f"{settings.name} delivers no invocation logs, so there is no log destination to protect.")
    judged = {path: _destination(settings, ctx, path, name) for path, name in destinations.items()}
    evidence = {**destinations, **{f"{path}.protected": shown(ok) for path, (ok, _) in judged.items()}}
    # One destination named twice (the bucket for large payloads) is said once.
    reasons = {why: ok for ok, why in judged.values()}
    exposed = [why for why, ok in reasons.items() if ok is False]
    if exposed:
        return failed(f"{settings.name} sends invocation logs where {'; '.join(exposed)}.", **evidence)
    unseen = [why for why, ok in reasons.items() if ok is None]
    if unseen:
        return manual(
            f"{settings.name} sends invocation logs to {'; '.join(unseen)}: attest its encryption and access.",
            **evidence,
        )
    return passed(f"{settings.name} keeps invocation logs safe: {'; '.join(reasons)}.", **evidence)


# -- guardrails -----------------------------------------------------------------------------------------


@check(
    id="aws.bedrock.guardrail_in_region",
    resource_types=SETTINGS,
    severity=Severity.MEDIUM,
    title="Regions that use Bedrock have a guardrail",
    checklist=("MS-2",),
    remediation="Create one with `aws bedrock create-guardrail --name <name> --content-policy-config "
    "file://content-filters.json --sensitive-information-policy-config file://pii.json "
    "--blocked-input-messaging <text> --blocked-outputs-messaging <text>`, version it with "
    "`aws bedrock create-guardrail-version`, and apply it to agents and model calls.",
    reads=("aws.bedrock.guardrail", "<bedrock resources in the region>"),
)
def guardrail_in_region(settings: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the region holds a guardrail, or nothing shows Bedrock in use there; FAIL when Bedrock is used and
    no guardrail exists to screen its prompts and responses."""
    guardrails = sorted(g.name for g in ctx.resources(GUARDRAIL, account=settings.account, region=settings.region))
    if guardrails:
        return passed(f"{settings.name} has guardrail(s) {', '.join(guardrails)}.", **{GUARDRAIL: guardrails})
    use = bedrock_use(ctx, settings.account, settings.region)
    if not use:
        return _not_in_use(settings, {GUARDRAIL: []}, "a guardrail")
    return failed(
        f"{settings.name} uses Bedrock ({describe_use(use)}) but has no guardrail.", **{GUARDRAIL: []}, bedrock_use=use
    )


@check(
    id="aws.bedrock.enforced_guardrail",
    resource_types=SETTINGS,
    severity=Severity.MEDIUM,
    title="Regions that use Bedrock enforce a guardrail on every model invocation",
    checklist=("MS-2",),
    remediation="Run `aws bedrock put-enforced-guardrail-configuration --region <region> --guardrail-inference-config "
    "guardrailIdentifier=<guardrail-arn>,guardrailVersion=<version>` so every InvokeModel and Converse call in "
    "the account is screened, whatever the caller passes.",
    reads=("enforcedGuardrails", "<bedrock resources in the region>"),
)
def enforced_guardrail(settings: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the account enforces a guardrail in the region (ListEnforcedGuardrailsConfiguration names one), or
    nothing shows Bedrock in use there; enforcedGuardrails absent or empty = no enforced guardrail, and each
    caller decides whether to pass one."""
    configs = [c for c in as_list(get(settings.config, "enforcedGuardrails")) if is_set(get(c, "guardrailArn"))]
    evidence = {
        f"enforcedGuardrails.{i}": {
            k: shown(get(c, k))
            for k in ("guardrailArn", "guardrailVersion", "selectiveContentGuarding", "modelEnforcement")
        }
        for i, c in enumerate(configs)
    }
    if configs:
        first = configs[0]
        return passed(
            f"{settings.name} enforces guardrail {get(first, 'guardrailArn')} version "
            f"{display(get(first, 'guardrailVersion'))} on model invocations.",
            **evidence,
        )
    use = bedrock_use(ctx, settings.account, settings.region)
    if not use:
        return _not_in_use(settings, {"enforcedGuardrails": []}, "an enforced guardrail")
    return failed(
        f"{settings.name} uses Bedrock ({describe_use(use)}) but enforces no guardrail on model invocations "
        "(enforcedGuardrails is empty).",
        enforcedGuardrails=[],
        bedrock_use=use,
    )


def _filters(guardrail: Resource) -> dict[str, Any]:
    return {str(get(f, "type")): f for f in as_list(get(guardrail.config, "contentPolicy.filters"))}


def _side(content_filter: Any, side: str, strong: tuple[str, ...]) -> str | None:
    """Why one side (input or output) of a content filter is weak, or None; absent Action = BLOCK and absent
    Enabled = true (the service defaults), absent strength = NONE."""
    strength = get(content_filter, f"{side}Strength")
    if get(content_filter, f"{side}Enabled") is False:
        return f"{side} disabled"
    if get(content_filter, f"{side}Action") == "NONE":
        return f"{side}Action NONE (detect only)"
    if strength not in strong:
        return f"{side}Strength {display(strength)}"
    return None


@check(
    id="aws.bedrock.guardrail_prompt_attack_filter",
    resource_types=GUARDRAIL,
    severity=Severity.HIGH,
    title="Guardrails block prompt attacks at HIGH strength",
    checklist=("MS-2",),
    remediation="Run `aws bedrock update-guardrail --guardrail-identifier <id> ... --content-policy-config "
    "'filtersConfig=[{type=PROMPT_ATTACK,inputStrength=HIGH,outputStrength=NONE},...]'` (keep the other filters), "
    "then `aws bedrock create-guardrail-version --guardrail-identifier <id>`.",
    reads=("contentPolicy.filters",),
)
def guardrail_prompt_attack_filter(guardrail: Resource, ctx: CheckContext) -> Verdict:
    """PASS when contentPolicy has a PROMPT_ATTACK filter with inputStrength HIGH, enabled and blocking (absent
    inputAction = BLOCK, absent inputEnabled = true); contentPolicy absent = no prompt attack filter. The working
    draft (what GetGuardrail returns without a version) is judged."""
    prompt = _filters(guardrail).get("PROMPT_ATTACK")
    if prompt is None:
        return failed(
            f"{guardrail.name} has no PROMPT_ATTACK content filter, so jailbreaks and prompt injection pass "
            "unscreened.",
            **{"contentPolicy.filters.PROMPT_ATTACK": "<absent>"},
        )
    evidence = {
        f"contentPolicy.filters.PROMPT_ATTACK.{k}": shown(get(prompt, k))
        for k in ("inputStrength", "inputAction", "inputEnabled")
    }
    weak = _side(prompt, "input", ("HIGH",))
    if weak:
        return failed(f"{guardrail.name} screens prompt attacks with {weak}, not HIGH and blocking.", **evidence)
    return passed(f"{guardrail.name} blocks prompt attacks at HIGH strength.", **evidence)


@check(
    id="aws.bedrock.guardrail_content_filters",
    resource_types=GUARDRAIL,
    severity=Severity.MEDIUM,
    title="Guardrails block hate, insults, sexual content, violence and misconduct at MEDIUM strength or higher",
    checklist=("MS-2",),
    remediation="Run `aws bedrock update-guardrail --guardrail-identifier <id> ... --content-policy-config "
    "'filtersConfig=[{type=HATE,inputStrength=HIGH,outputStrength=HIGH},{type=INSULTS,...},{type=SEXUAL,...},"
    "{type=VIOLENCE,...},{type=MISCONDUCT,...},{type=PROMPT_ATTACK,inputStrength=HIGH,outputStrength=NONE}]'`, "
    "then `aws bedrock create-guardrail-version --guardrail-identifier <id>`.",
    reads=("contentPolicy.filters",),
)
def guardrail_content_filters(guardrail: Resource, ctx: CheckContext) -> Verdict:
    """PASS when each harmful-content category has a filter blocking input and output at MEDIUM or HIGH (LOW
    blocks only what is most certainly harmful); a category absent = not filtered, absent action = BLOCK,
    absent enabled = true."""
    filters = _filters(guardrail)
    weak: list[str] = []
    evidence: dict[str, Any] = {}
    for category in HARMFUL_CONTENT:
        content_filter = filters.get(category)
        path = f"contentPolicy.filters.{category}"
        if content_filter is None:
            weak.append(f"{category} not filtered")
            evidence[path] = "<absent>"
            continue
        evidence[path] = {k: shown(get(content_filter, k)) for k in ("inputStrength", "outputStrength")}
        sides = [why for side in ("input", "output") if (why := _side(content_filter, side, STRONG))]
        weak += [f"{category} {why}" for why in sides]
    if weak:
        return failed(f"{guardrail.name} filters harmful content too weakly: {', '.join(weak)}.", **evidence)
    return passed(
        f"{guardrail.name} blocks {', '.join(c.lower() for c in HARMFUL_CONTENT)} at MEDIUM strength or higher.",
        **evidence,
    )


def _masks(entry: Any) -> bool:
    """A PII entity or regex that blocks or masks on input or output (inputAction/outputAction override action)."""
    for side in ("input", "output"):
        action = get(entry, f"{side}Action", get(entry, "action"))
        if get(entry, f"{side}Enabled") is not False and action in ("BLOCK", "ANONYMIZE"):
            return True
    return False


@check(
    id="aws.bedrock.guardrail_sensitive_information_filter",
    resource_types=GUARDRAIL,
    severity=Severity.MEDIUM,
    title="Guardrails block or mask sensitive information",
    checklist=("MS-2",),
    remediation="Run `aws bedrock update-guardrail --guardrail-identifier <id> ... "
    "--sensitive-information-policy-config 'piiEntitiesConfig=[{type=AWS_ACCESS_KEY,action=BLOCK},"
    "{type=AWS_SECRET_KEY,action=BLOCK},{type=PASSWORD,action=BLOCK},{type=EMAIL,action=ANONYMIZE},...]'`, then "
    "`aws bedrock create-guardrail-version`.",
    reads=("sensitiveInformationPolicy.piiEntities", "sensitiveInformationPolicy.regexes"),
)
def guardrail_sensitive_information_filter(guardrail: Resource, ctx: CheckContext) -> Verdict:
    """PASS when sensitiveInformationPolicy holds a PII entity or regex that blocks or anonymizes on input or output;
    sensitiveInformationPolicy absent = nothing screened; an entry whose action is NONE only detects."""
    entries = [
        *as_list(get(guardrail.config, "sensitiveInformationPolicy.piiEntities")),
        *as_list(get(guardrail.config, "sensitiveInformationPolicy.regexes")),
    ]
    masking = [str(get(e, "type", get(e, "name"))) for e in entries if _masks(e)]
    evidence = {"sensitiveInformationPolicy.masking": masking, "sensitiveInformationPolicy.entries": len(entries)}
    if masking:
        return passed(f"{guardrail.name} blocks or masks sensitive information ({', '.join(masking)}).", **evidence)
    if entries:
        return failed(f"{guardrail.name} detects sensitive information but neither blocks nor masks it.", **evidence)
    return failed(
        f"{guardrail.name} has no sensitiveInformationPolicy, so personal data and credentials pass unscreened.",
        **evidence,
    )


# -- models -----------------------------------------------------------------------------------------------


@check(
    id="aws.bedrock.custom_model_kms_encryption",
    resource_types=CUSTOM_MODEL,
    severity=Severity.MEDIUM,
    title="Custom models are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="A model's key is fixed when it is trained: rerun `aws bedrock create-model-customization-job ... "
    "--custom-model-kms-key-id <customer-managed-key-arn>`, move the provisioned throughput to the new model, "
    "then `aws bedrock delete-custom-model --model-identifier <old-model>`.",
    reads=("modelKmsKeyArn", "encrypted_by.KeyManager"),
)
def custom_model_kms_encryption(model: Resource, ctx: CheckContext) -> Verdict:
    """PASS when modelKmsKeyArn names a customer managed key; absent = Bedrock encrypts the weights with an AWS owned
    key nobody in the account can audit or revoke."""
    return judge_customer_key(model, ctx, "modelKmsKeyArn", "its weights are encrypted with an AWS owned key")


@check(
    id="aws.bedrock.imported_model_kms_encryption",
    resource_types=IMPORTED_MODEL,
    severity=Severity.MEDIUM,
    title="Imported models are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="Import the weights again with `aws bedrock create-model-import-job ... --imported-model-kms-key-id "
    "<customer-managed-key-arn>`, switch callers to the new model, then `aws bedrock delete-imported-model`.",
    reads=("modelKmsKeyArn", "encrypted_by.KeyManager"),
)
def imported_model_kms_encryption(model: Resource, ctx: CheckContext) -> Verdict:
    """PASS when modelKmsKeyArn names a customer managed key; absent = an AWS owned key encrypts the imported
    weights."""
    return judge_customer_key(model, ctx, "modelKmsKeyArn", "its imported weights are encrypted with an AWS owned key")


@check(
    id="aws.bedrock.provisioned_throughput_model_kms_encryption",
    resource_types=PROVISIONED_THROUGHPUT,
    severity=Severity.MEDIUM,
    title="Provisioned throughput serves only models whose weights a customer managed key encrypts",
    checklist=("CL-03",),
    remediation="Serve a custom model trained with `--custom-model-kms-key-id <customer-managed-key-arn>`: "
    "`aws bedrock update-provisioned-model-throughput --provisioned-model-id <id> --desired-model-id <new-model-arn>`.",
    reads=("modelArn", "serves_model.modelKmsKeyArn"),
)
def provisioned_throughput_model_kms_encryption(throughput: Resource, ctx: CheckContext) -> Verdict:
    """PASS when modelArn is a foundation model (AWS holds its weights, no key of yours applies) or a custom model
    encrypted with a customer managed key; a served custom model not in the inventory is MANUAL."""
    model_arn = get(throughput.config, "modelArn")
    evidence: dict[str, Any] = {"modelArn": shown(model_arn)}
    if isinstance(model_arn, str) and ":foundation-model/" in model_arn:
        return passed(f"{throughput.name} serves foundation model {model_arn}, whose weights AWS holds.", **evidence)
    models = ctx.related(throughput, "serves_model")
    if not models:
        return manual(
            f"{throughput.name} serves model {display(model_arn)}, which is not in the inventory (another account, "
            "or deleted); attest that a customer managed key encrypts it.",
            **evidence,
        )
    inner = custom_model_kms_encryption(models[0], ctx)
    return Verdict(
        inner.status,
        f"{throughput.name} serves custom model {models[0].name}: {inner.message}",
        {**evidence, **{f"serves_model.{k}": v for k, v in inner.evidence.items()}},
    )


@check(
    id="aws.bedrock.customization_job_in_vpc",
    resource_types=CUSTOMIZATION_JOB,
    severity=Severity.MEDIUM,
    title="Model customization jobs reach their data through a customer VPC",
    checklist=("CL-01", "ZT-2"),
    remediation="Pass `--vpc-config subnetIds=<private-subnets>,securityGroupIds=<sg>` to "
    "`aws bedrock create-model-customization-job` for future jobs (with an S3 gateway endpoint in the VPC); "
    "a finished job cannot be changed.",
    reads=("vpcConfig.subnetIds", "vpcConfig.securityGroupIds"),
)
def customization_job_in_vpc(job: Resource, ctx: CheckContext) -> Verdict:
    """PASS when vpcConfig lists subnets; absent = the job reads its training data and writes the model over
    Bedrock's service network, outside your VPC's endpoints and policies."""
    subnets = get(job.config, "vpcConfig.subnetIds")
    evidence = {
        "vpcConfig.subnetIds": shown(subnets),
        "vpcConfig.securityGroupIds": shown(get(job.config, "vpcConfig.securityGroupIds")),
    }
    if isinstance(subnets, list) and any(is_set(s) for s in subnets):
        return passed(f"{job.name} runs in VPC subnets {', '.join(map(str, subnets))}.", **evidence)
    return failed(
        f"{job.name} has vpcConfig.subnetIds {display(subnets)}, so it reaches its data over Bedrock's network, "
        "not your VPC.",
        **evidence,
    )


def _region_of(model_arn: Any) -> str | None:
    parts = model_arn.split(":") if isinstance(model_arn, str) else []
    return parts[3] if len(parts) > 5 and parts[3] else None


@check(
    id="aws.bedrock.inference_profile_allowed_regions",
    resource_types=INFERENCE_PROFILE,
    severity=Severity.MEDIUM,
    title="Application inference profiles route requests only to allowed regions",
    checklist=("CL-09",),
    remediation="Create a profile that copies a single-region foundation model (or a geographic cross-region profile "
    "inside your allowed regions): `aws bedrock create-inference-profile --inference-profile-name <name> "
    "--model-source copyFrom=arn:aws:bedrock:<allowed-region>::foundation-model/<model-id>`, move callers to it, "
    "then `aws bedrock delete-inference-profile`.",
    reads=("models",),
)
def inference_profile_allowed_regions(profile: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every region of models[].modelArn is allowed (a cross-region profile sends prompts to each); no
    configured allowed regions = MANUAL attestation; no models = nowhere shown, FAIL."""
    regions = sorted({r for m in as_list(get(profile.config, "models")) if (r := _region_of(get(m, "modelArn")))})
    evidence: dict[str, Any] = {"models.regions": regions}
    if not regions:
        return failed(f"{profile.name} lists no model, so where it sends requests cannot be shown.", **evidence)
    allowed = ctx.allowed_regions
    if allowed is None:
        return manual(
            f"{profile.name} sends requests to {', '.join(regions)}, but no allowed regions are configured; attest "
            "data residency for them.",
            **evidence,
        )
    evidence["allowed_regions"] = sorted(allowed)
    outside = [r for r in regions if r not in allowed]
    if outside:
        return failed(
            f"{profile.name} sends requests to {', '.join(outside)}, outside the allowed regions.", **evidence
        )
    return passed(f"{profile.name} sends requests only to allowed region(s) {', '.join(regions)}.", **evidence)


# -- agents -----------------------------------------------------------------------------------------------


@check(
    id="aws.bedrock.agent_guardrail",
    resource_types=AGENT,
    severity=Severity.HIGH,
    title="Agents screen their sessions with a guardrail",
    checklist=("MS-2",),
    remediation="Run `aws bedrock-agent update-agent --agent-id <id> ... --guardrail-configuration "
    "guardrailIdentifier=<guardrail-id>,guardrailVersion=<version>`, then `aws bedrock-agent prepare-agent "
    "--agent-id <id>` and point the alias at a new version.",
    reads=("guardrailConfiguration.guardrailIdentifier", "guardrailConfiguration.guardrailVersion", "uses_guardrail"),
)
def agent_guardrail(agent: Resource, ctx: CheckContext) -> Verdict:
    """PASS when guardrailConfiguration names a guardrail that exists in the region; absent = the agent's prompts,
    tool results and answers are not screened; a guardrail that no longer exists = none is applied."""
    identifier = get(agent.config, "guardrailConfiguration.guardrailIdentifier")
    version = get(agent.config, "guardrailConfiguration.guardrailVersion")
    evidence = {
        "guardrailConfiguration.guardrailIdentifier": shown(identifier),
        "guardrailConfiguration.guardrailVersion": shown(version),
    }
    if not is_set(identifier):
        return failed(
            f"{agent.name} has no guardrailConfiguration, so its sessions are not screened by a guardrail.", **evidence
        )
    require_listed(ctx, [GUARDRAIL], agent.account, agent.region)
    guardrails = ctx.related(agent, "uses_guardrail")
    if not guardrails:
        return failed(f"{agent.name} names guardrail {identifier}, which does not exist in {agent.region}.", **evidence)
    return passed(f"{agent.name} is screened by guardrail {guardrails[0].name} version {display(version)}.", **evidence)


@check(
    id="aws.bedrock.agent_kms_encryption",
    resource_types=AGENT,
    severity=Severity.MEDIUM,
    title="Agents encrypt their resources and sessions with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="Run `aws bedrock-agent update-agent --agent-id <id> ... --customer-encryption-key-arn "
    "<customer-managed-key-arn>` (grant the agent's role kms:Decrypt and kms:GenerateDataKey), then prepare it.",
    reads=("customerEncryptionKeyArn", "encrypted_by.KeyManager"),
)
def agent_kms_encryption(agent: Resource, ctx: CheckContext) -> Verdict:
    """PASS when customerEncryptionKeyArn names a customer managed key; absent = an AWS owned key encrypts the agent's
    configuration and session data."""
    return judge_customer_key(
        agent, ctx, "customerEncryptionKeyArn", "its configuration and sessions are encrypted with an AWS owned key"
    )


@check(
    id="aws.bedrock.agent_idle_session_ttl",
    resource_types=AGENT,
    severity=Severity.LOW,
    title=f"Agent sessions expire after at most {MAX_IDLE_SESSION_SECONDS // 60} idle minutes",
    checklist=("ZT-3",),
    remediation=f"Run `aws bedrock-agent update-agent --agent-id <id> ... --idle-session-ttl-in-seconds "
    f"{MAX_IDLE_SESSION_SECONDS}` (or less), then prepare the agent.",
    reads=("idleSessionTTLInSeconds",),
)
def agent_idle_session_ttl(agent: Resource, ctx: CheckContext) -> Verdict:
    """PASS when idleSessionTTLInSeconds is at most 1800 (the conversation, with what tools returned, stays usable
    by whoever holds the session id until it expires); absent = the service default, 600."""
    ttl = get(agent.config, "idleSessionTTLInSeconds")
    value = DEFAULT_IDLE_SESSION_SECONDS if ttl is ABSENT or ttl is None else ttl
    evidence = {"idleSessionTTLInSeconds": shown(ttl)}
    if not isinstance(value, int) or isinstance(value, bool):
        return failed(f"{agent.name} has an unreadable idleSessionTTLInSeconds {display(ttl)}.", **evidence)
    note = " (absent means the default 600)" if ttl is ABSENT or ttl is None else ""
    if value > MAX_IDLE_SESSION_SECONDS:
        return failed(
            f"{agent.name} keeps idle sessions for {value} seconds{note}, more than {MAX_IDLE_SESSION_SECONDS}.",
            **evidence,
        )
    return passed(f"{agent.name} ends sessions after {value} idle seconds{note}.", **evidence)


# -- knowledge bases --------------------------------------------------------------------------------------


def _sources(kb: Resource) -> list[tuple[str, Any]]:
    return [(f"dataSources.{i}", s) for i, s in enumerate(as_list(get(kb.config, "dataSources")))]


def _source_name(source: Any, path: str) -> str:
    name = get(source, "name")
    return name if is_set(name) else path


def _source_key(kb: Resource, ctx: CheckContext, path: str, source: Any) -> tuple[bool, str]:
    key = get(source, "serverSideEncryptionConfiguration.kmsKeyArn")
    name = _source_name(source, path)
    if not is_set(key):
        return False, f"data source {name} has no serverSideEncryptionConfiguration.kmsKeyArn (AWS owned key)"
    keys = keys_for(key, [k for k in ctx.related(kb, "encrypted_by") if k.type == KMS_KEY])
    managers = {shown(get(k.config, "KeyManager")) for k in keys if get(k.config, "Arn") == key or k.uid == key}
    if managers and managers != {"CUSTOMER"}:
        return False, f"data source {name} uses key {key} whose KeyManager is {', '.join(map(str, managers))}"
    return True, f"data source {name} uses key {key}"


@check(
    id="aws.bedrock.knowledge_base_data_source_kms_encryption",
    resource_types=KNOWLEDGE_BASE,
    severity=Severity.MEDIUM,
    title="Knowledge base data sources encrypt ingestion with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="Run `aws bedrock-agent update-data-source --knowledge-base-id <kb> --data-source-id <ds> "
    "--name <name> --data-source-configuration file://source.json --server-side-encryption-configuration "
    "kmsKeyArn=<customer-managed-key-arn>`, then start a new ingestion job.",
    reads=("dataSources.*.serverSideEncryptionConfiguration.kmsKeyArn", "encrypted_by.KeyManager"),
)
def knowledge_base_data_source_kms_encryption(kb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every data source sets serverSideEncryptionConfiguration.kmsKeyArn to a customer managed key (one not
    in the inventory is taken as named); absent = an AWS owned key encrypts the documents while they are
    ingested; no data source = nothing ingested."""
    sources = _sources(kb)
    if not sources:
        return passed(f"{kb.name} has no data source, so nothing is ingested.", dataSources=[])
    judged = [_source_key(kb, ctx, path, source) for path, source in sources]
    evidence = {
        f"{path}.serverSideEncryptionConfiguration.kmsKeyArn": shown(
            get(s, "serverSideEncryptionConfiguration.kmsKeyArn")
        )
        for path, s in sources
    }
    weak = [why for ok, why in judged if not ok]
    if weak:
        return failed(f"{kb.name} ingests with weak keys: {'; '.join(weak)}.", **evidence)
    return passed(f"{kb.name} ingests with customer keys: {'; '.join(why for _, why in judged)}.", **evidence)


def _bucket_of(source: Any) -> str | None:
    arn = get(source, "dataSourceConfiguration.s3Configuration.bucketArn")
    return arn.rsplit(":", 1)[-1] if is_set(arn) else None


@check(
    id="aws.bedrock.knowledge_base_sources_classified",
    resource_types=KNOWLEDGE_BASE,
    severity=Severity.LOW,
    title="Knowledge base source buckets carry a data classification tag",
    checklist=("DP-1",),
    remediation="Tag each source bucket: `aws s3api put-bucket-tagging --bucket <bucket> --tagging "
    "'TagSet=[{Key=DataClassification,Value=<public|internal|confidential|restricted>}]'` (keep its other tags), "
    "and review that the knowledge base's users may read data of that class.",
    reads=("dataSources.*.dataSourceConfiguration.s3Configuration.bucketArn", "uses_bucket.<tags>"),
)
def knowledge_base_sources_classified(kb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every S3 data source bucket has a tag whose key names a classification (DataClassification,
    data-classification, ...) with a value; no such tag = unclassified; a bucket not in the inventory, or only
    non-S3 sources (web, Confluence, ...), is MANUAL."""
    buckets = {name: path for path, source in _sources(kb) if (name := _bucket_of(source))}
    if not buckets:
        others = [str(shown(get(s, "dataSourceConfiguration.type"))) for _, s in _sources(kb)]
        if not others:
            return passed(f"{kb.name} has no data source to classify.", dataSources=[])
        return manual(
            f"{kb.name} reads only non-S3 sources ({', '.join(others)}); attest their data classification.",
            **{"dataSources.*.dataSourceConfiguration.type": others},
        )
    found = {b.name: b for b in ctx.related(kb, "uses_bucket") if b.type == BUCKET}
    labels = {name: (classification_tag(found[name]) if name in found else None) for name in buckets}
    evidence = {
        f"uses_bucket[{name}].classification": shown(label) if name in found else "<not in inventory>"
        for name, label in labels.items()
    }
    unlabelled = [name for name, label in labels.items() if name in found and label is None]
    if unlabelled:
        return failed(f"{kb.name} reads unclassified bucket(s) {', '.join(unlabelled)}.", **evidence)
    missing = [name for name in buckets if name not in found]
    if missing:
        return manual(
            f"{kb.name} reads bucket(s) {', '.join(missing)} not in the inventory; attest their classification.",
            **evidence,
        )
    return passed(f"{kb.name} reads only classified buckets ({', '.join(filter(None, labels.values()))}).", **evidence)


# Vector stores outside what the scanner reads: why a person must attest their encryption.
_UNREAD_STORES = {
    "OPENSEARCH_SERVERLESS": "an OpenSearch Serverless collection, whose key its encryption policy sets",
    "OPENSEARCH_MANAGED_CLUSTER": "an OpenSearch Service domain",
    "NEPTUNE_ANALYTICS": "a Neptune Analytics graph",
    "S3_VECTORS": "an S3 vector bucket",
    "PINECONE": "Pinecone, outside AWS",
    "REDIS_ENTERPRISE_CLOUD": "Redis Enterprise Cloud, outside AWS",
    "MONGO_DB_ATLAS": "MongoDB Atlas, outside AWS",
}


def _rds_store(kb: Resource, ctx: CheckContext, evidence: dict[str, Any]) -> Verdict:
    arn = get(kb.config, "storageConfiguration.rdsConfiguration.resourceArn")
    evidence["storageConfiguration.rdsConfiguration.resourceArn"] = shown(arn)
    clusters = [c for c in ctx.related(kb, "stores_vectors_in") if c.type == RDS_CLUSTER]
    if not clusters:
        return manual(
            f"{kb.name} stores vectors in Aurora cluster {display(arn)}, which is not in the inventory; attest its "
            "encryption.",
            **evidence,
        )
    cluster = clusters[0]
    encrypted = get(cluster.config, "StorageEncrypted")
    evidence[f"stores_vectors_in[{cluster.name}].StorageEncrypted"] = shown(encrypted)
    if encrypted is not True:
        return failed(
            f"{kb.name} stores vectors in Aurora cluster {cluster.name} with StorageEncrypted {display(encrypted)} "
            "(absent means false).",
            **evidence,
        )
    inner = judge_customer_key(cluster, ctx, "KmsKeyId", "its storage uses the AWS managed key aws/rds")
    evidence.update({f"stores_vectors_in[{cluster.name}].{k}": v for k, v in inner.evidence.items()})
    return Verdict(
        inner.status, f"{kb.name} stores vectors in Aurora cluster {cluster.name}: {inner.message}", evidence
    )


@check(
    id="aws.bedrock.knowledge_base_vector_store_encryption",
    resource_types=KNOWLEDGE_BASE,
    severity=Severity.MEDIUM,
    title="Knowledge base vector stores are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="Vector stores are encrypted when they are created: for Aurora, restore an encrypted copy "
    "(`aws rds restore-db-cluster-from-snapshot ... --kms-key-id <customer-managed-key-arn>`) and point the "
    "knowledge base at it; for a managed store, create a knowledge base with a serverSideEncryptionConfiguration "
    "kmsKeyArn and re-ingest.",
    reads=(
        "knowledgeBaseConfiguration.type",
        "knowledgeBaseConfiguration.managedKnowledgeBaseConfiguration.serverSideEncryptionConfiguration.kmsKeyArn",
        "storageConfiguration.type",
        "stores_vectors_in.StorageEncrypted",
        "stores_vectors_in.KmsKeyId",
    ),
)
def knowledge_base_vector_store_encryption(kb: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a managed knowledge base's kmsKeyArn, or the Aurora cluster holding the vectors, is encrypted with a
    customer managed key; the managed kmsKeyArn absent = an AWS owned key, StorageEncrypted absent = false; any
    other store (OpenSearch, Neptune, S3 Vectors, or outside AWS) is MANUAL: the scanner does not read it."""
    kb_type = get(kb.config, "knowledgeBaseConfiguration.type")
    store = get(kb.config, "storageConfiguration.type")
    evidence: dict[str, Any] = {
        "knowledgeBaseConfiguration.type": shown(kb_type),
        "storageConfiguration.type": shown(store),
    }
    if kb_type == "MANAGED":
        path = (
            "knowledgeBaseConfiguration.managedKnowledgeBaseConfiguration.serverSideEncryptionConfiguration.kmsKeyArn"
        )
        return judge_customer_key(kb, ctx, path, "its managed vector store is encrypted with an AWS owned key")
    if store == "RDS":
        return _rds_store(kb, ctx, evidence)
    what = _UNREAD_STORES.get(str(store)) if store is not ABSENT else None
    where = what or (f"a {str(kb_type).lower()} index" if kb_type in ("KENDRA", "SQL") else f"store {display(store)}")
    return manual(
        f"{kb.name} keeps its vectors in {where}; attest that a customer managed key encrypts it.", **evidence
    )


# -- secrets ------------------------------------------------------------------------------------------------


@check(
    id="aws.bedrock.no_secrets_in_configuration",
    resource_types=(AGENT, CUSTOMIZATION_JOB, CUSTOM_MODEL, LAMBDA_FUNCTION, "aws.agentcore.runtime"),
    severity=Severity.CRITICAL,
    title="Bedrock agents, their tools, AgentCore runtimes and customization jobs hold no credentials or secrets",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now, store it in AWS Secrets Manager (or AgentCore Identity for an "
    "agent's outbound credentials), read it at run time through the execution role, and update the function "
    "(`aws lambda update-function-configuration --environment ...`) or runtime without the literal value.",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values (environment variables, hyperparameters, instructions)
    from the stored configuration; no redactions passes."""
    return no_secrets(resource)


@check(
    id="aws.bedrock.provisioned_throughput_immutable",
    resource_types=PROVISIONED_THROUGHPUT,
    severity=Severity.MEDIUM,
    title="Provisioned throughput is never pointed at another model in place",
    checklist=("PH-2",),
    remediation="Buy provisioned throughput for the new custom model version and move callers to its ARN, then "
    "release the old one; do not `aws bedrock update-provisioned-model-throughput --desired-model-id` a "
    "throughput that serves traffic.",
    reads=("modelArn", "desiredModelArn"),
    history_types=(PROVISIONED_THROUGHPUT,),
)
def provisioned_throughput_immutable(throughput: Resource, ctx: CheckContext) -> Verdict:
    """Judged against the previous comparable scan: FAIL when the same provisioned throughput now serves (or is
    being moved to) another model (UpdateProvisionedModelThroughput swaps the model behind an unchanged ARN);
    PASS when unchanged or new since then. MANUAL when no earlier scan is stored."""
    return not_patched_in_place(
        throughput, ctx, ("modelArn", "desiredModelArn"), "provisioned throughput", "new provisioned throughput"
    )


# PH-1: the long-lived Bedrock and AgentCore infrastructure. Customization and import jobs are runs, and the custom
# and imported models they make are their outputs: their provenance is the job's.
IAC_TYPES = (
    GUARDRAIL,
    AGENT,
    KNOWLEDGE_BASE,
    INFERENCE_PROFILE,
    PROVISIONED_THROUGHPUT,
    "aws.agentcore.runtime",
    "aws.agentcore.gateway",
    "aws.agentcore.memory",
)


@check(
    id="aws.bedrock.resource_managed_by_iac",
    resource_types=IAC_TYPES,
    severity=Severity.LOW,
    title="Bedrock and AgentCore infrastructure is created by infrastructure as code",
    checklist=("PH-1",),
    remediation="Bring the resource under IaC: import it into a CloudFormation stack (AWS::Bedrock::Agent, "
    "Guardrail, KnowledgeBase, ApplicationInferenceProfile; AWS::BedrockAgentCore::Runtime, Gateway, Memory) or "
    "Terraform (an `import` block, with the provider's `default_tags` setting ManagedBy=terraform), change it only "
    "through reviewed pull requests, and deny console and SDK creation (an SCP or IAM condition on `aws:CalledVia` "
    "cloudformation.amazonaws.com).",
    reads=("<tags>",),
)
def resource_managed_by_iac(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the resource carries aws:cloudformation:stack-id (CloudFormation sets it on everything a stack,
    CDK, SAM or Service Catalog creates; no one else can set aws: tags) or, weaker, a ManagedBy-style tag naming an
    IaC tool (Terraform, OpenTofu, Pulumi tag by convention, and anyone may set such a tag); FAIL with neither.
    Jobs and the models they make are not judged. That the code was reviewed, or the resource not changed since,
    is not shown."""
    return judge_iac(resource)
