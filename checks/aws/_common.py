"""Helpers shared by the AWS checks: value tests, key judgements, scope guards, Bedrock use, classification tags,
IaC provenance, ages and masks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cspm_ai.doc import as_list, display, get, is_set, shown
from cspm_ai.engine import Unseen
from cspm_ai.model import Resource, Verdict, failed, passed
from cspm_ai.registry import CheckContext

TRAINING_TYPES = ("aws.sagemaker.training_job", "aws.sagemaker.processing_job")
INFERENCE_TYPES = ("aws.sagemaker.model",)
KMS_KEY = "aws.kms.key"
BEDROCK_SETTINGS = "aws.bedrock.settings"
# The Bedrock and AgentCore resources: a region holding any of them uses Bedrock.
GENAI_TYPES = (
    "aws.bedrock.custom_model",
    "aws.bedrock.model_customization_job",
    "aws.bedrock.imported_model",
    "aws.bedrock.provisioned_throughput",
    "aws.bedrock.inference_profile",
    "aws.bedrock.guardrail",
    "aws.bedrock.agent",
    "aws.bedrock.knowledge_base",
    "aws.agentcore.runtime",
    "aws.agentcore.gateway",
    "aws.agentcore.memory",
)


def is_true(value: Any) -> bool:
    """Only a real boolean True counts; "true" strings or 1 are malformed and do not."""
    return value is True


def short_type(resource_type: str) -> str:
    """`aws.sagemaker.training_job` -> `training_job`, for messages."""
    return resource_type.rsplit(".", 1)[-1]


def require_listed(ctx: CheckContext, types: Iterable[str], account: str, region: str | None = None) -> None:
    """Consult the scope of each type so a failed list call, or a failed describe of a resource that
    could be a referrer, raises `Unseen` (the engine makes it ERROR).

    `ctx.referrers` silently returns what was collected; a check that reasons
    about who refers to a resource must first make sure nothing was hidden.
    """
    for resource_type in types:
        for resource in ctx.resources(resource_type, account=account, region=region):
            # A resource whose describe failed may refer here without its reference being seen.
            ctx.get(resource.uid)


def bedrock_use(ctx: CheckContext, account: str, region: str) -> dict[str, Any]:
    """What shows Bedrock in use in (account, region), as evidence; empty when nothing does.

    Two facts count: a Bedrock or AgentCore resource collected there, and CloudWatch's AWS/Bedrock
    Invocations metrics (Bedrock publishes them for every model call; ListMetrics returns those with data
    in the last two weeks), read onto the region's `aws.bedrock.settings`. A kind that could not be listed
    hides nothing when another fact already shows use; otherwise its `Unseen` is raised (ERROR).
    """
    evidence: dict[str, Any] = {}
    blind: Unseen | None = None
    for rtype in (BEDROCK_SETTINGS, *GENAI_TYPES):
        try:
            found = ctx.resources(rtype, account=account, region=region)
        except Unseen as err:
            blind = blind or err
            continue
        if rtype == BEDROCK_SETTINGS:
            metrics = [m for s in found for m in as_list(get(s.config, "invocationMetrics"))]
            if metrics:
                evidence[f"{BEDROCK_SETTINGS}.invocationMetrics"] = len(metrics)
        elif found:
            evidence[rtype] = sorted(r.name for r in found)
    if not evidence and blind is not None:
        raise blind
    return evidence


def describe_use(evidence: dict[str, Any]) -> str:
    """The first fact of `bedrock_use`, as a phrase: "models were called there" or "it holds agent X"."""
    for key, value in evidence.items():
        if key.endswith("invocationMetrics"):
            return "CloudWatch holds its AWS/Bedrock Invocations metrics from the last two weeks"
        return f"it holds {short_type(key).replace('_', ' ')} {value[0]}"
    return "nothing shows Bedrock in use there"


def classification_tag(resource: Resource) -> str | None:
    """`key=value` of a tag whose key names a data classification (DataClassification, data-classification,
    classification, ...) and whose value is not blank; None when there is none."""
    for key, value in resource.tags.items():
        if "classification" in key.lower().replace("-", "").replace("_", "") and value.strip():
            return f"{key}={value}"
    return None


# PH-1. CloudFormation tags every resource it creates (so also CDK, SAM and Service Catalog, which deploy through
# it) with aws:cloudformation:stack-id; no one else can set an aws: tag, so the tag shows a stack made it.
CFN_STACK_TAG = "aws:cloudformation:stack-id"
# Tools that tag only by convention (Terraform's default_tags, OpenTofu, Pulumi): a ManagedBy-style tag naming the
# tool, or terraform=true as terraform-aws-modules' examples write it. Anyone can set such a tag: weaker evidence.
IAC_TOOLS = ("terraform", "opentofu", "pulumi", "cloudformation", "cdk", "crossplane")
_MANAGED_BY_KEYS = frozenset({"managedby", "provisionedby", "iac", "iactool"})


def _normal_key(key: str) -> str:
    return "".join(c for c in key.lower() if c.isalnum())


def iac_provenance(resource: Resource) -> tuple[str, dict[str, str]] | None:
    """What in the resource's tags says infrastructure as code made it (a phrase, and the deciding tags); None
    when nothing does."""
    stack = resource.tags.get(CFN_STACK_TAG, "").strip()
    if stack:
        parts = stack.split("/")
        return f"was created by CloudFormation stack {parts[1] if len(parts) > 2 else stack}", {
            f"tags.{CFN_STACK_TAG}": stack
        }
    for key, value in resource.tags.items():
        normal, said = _normal_key(key), value.strip().lower()
        if (normal in _MANAGED_BY_KEYS and any(tool in said for tool in IAC_TOOLS)) or (
            normal == "terraform" and said in ("true", "yes", "1")
        ):
            return f"is tagged {key}={value}, the convention of an IaC tool (a tag anyone may set)", {
                f"tags.{key}": value
            }
    return None


def judge_iac(resource: Resource) -> Verdict:
    """PH-1 on a resource's tags: PASS when they show IaC made it (`iac_provenance`), FAIL otherwise."""
    found = iac_provenance(resource)
    if found is not None:
        phrase, evidence = found
        return passed(f"{resource.name} {phrase}.", **evidence)
    return failed(
        f"{resource.name} has no {CFN_STACK_TAG} tag and no tag naming an IaC tool, so it was made outside "
        "infrastructure as code (the console, the CLI or an SDK script).",
        tags=sorted(resource.tags),
    )


def _key_matches(ref: str, key: Resource) -> bool:
    arn, key_id = get(key.config, "Arn"), get(key.config, "KeyId")
    if ref in (arn, key_id, key.uid):
        return True
    return is_set(key_id) and ref.endswith("/" + key_id)


def keys_for(ref: str, keys: list[Resource]) -> list[Resource]:
    """The related keys a key reference names; all related keys when the reference is an alias."""
    matched = [k for k in keys if _key_matches(ref, k)]
    return matched or keys


def judge_customer_key(resource: Resource, ctx: CheckContext, path: str, absent_means: str) -> Verdict:
    """PASS when `path` names a KMS key and every related key it names is customer managed.

    A key that is not in the inventory (another account, not collected) cannot be
    inspected: the verdict then rests on the reference alone and says so.
    """
    ref = get(resource.config, path)
    if not is_set(ref):
        return failed(f"{resource.name} has no {path} ({display(ref)}), so {absent_means}.", **{path: shown(ref)})
    related = ctx.related(resource, "encrypted_by")
    keys = keys_for(ref, [k for k in related if k.type == KMS_KEY])
    if not keys:
        return passed(
            f"{resource.name} sets {path} {ref}, but that key is not in the inventory (another account, or an "
            "unresolved alias), so whether it is customer managed was not verified.",
            **{path: ref, "encrypted_by": ctx.related_uids(resource, "encrypted_by"), "key_verified": False},
        )
    managers = {k.uid: shown(get(k.config, "KeyManager")) for k in keys}
    evidence = {path: ref, "encrypted_by.KeyManager": managers}
    not_customer = {uid: m for uid, m in managers.items() if m != "CUSTOMER"}
    if not_customer:
        uid, manager = next(iter(not_customer.items()))
        return failed(
            f"{resource.name} is encrypted with key {uid} whose KeyManager is {manager}, not CUSTOMER.", **evidence
        )
    return passed(f"{resource.name} is encrypted with customer managed key {ref}.", **evidence)


def as_datetime(value: Any) -> datetime | None:
    """A timestamp as stored (datetime, or ISO 8601 text after a JSON round trip), always timezone-aware."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def age_days(value: Any, at: datetime) -> int | None:
    """Whole days from `value` to `at` (the scan start), or None when the timestamp is unreadable."""
    created = as_datetime(value)
    if created is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    # Made during the scan (or seen across a little clock skew): 0 days old, never negative.
    return max(0, (at - created).days)


def mask_key_id(value: Any) -> str:
    """An access key id reduced to its last four characters (the collector may already have masked the rest)."""
    if isinstance(value, str) and len(value) >= 4 and value[-4:].isalnum():
        return "****" + value[-4:]
    return "<unreadable>"
