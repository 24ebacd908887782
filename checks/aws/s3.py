"""S3 checks for buckets that AI resources read or write: encryption, TLS, versioning, replication, public access,
classification."""

from __future__ import annotations

from typing import Any

from checks.aws._common import classification_tag
from cspm_ai.aws_policy import parse_document
from cspm_ai.doc import ABSENT, as_list, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

BUCKET = "aws.s3.bucket"
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@check(
    id="aws.s3.bucket_sse_kms",
    resource_types=BUCKET,
    severity=Severity.MEDIUM,
    title="AI data buckets encrypt by default with SSE-KMS",
    checklist=("CL-03",),
    remediation="Run `aws s3api put-bucket-encryption --bucket <bucket> --server-side-encryption-configuration "
    '\'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms",'
    '"KMSMasterKeyID":"<customer-managed-key-arn>"},"BucketKeyEnabled":true}]}\'`.',
    reads=("ServerSideEncryptionConfiguration.Rules",),
)
def bucket_sse_kms(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when default encryption is aws:kms or aws:kms:dsse; ServerSideEncryptionConfiguration absent = SSE-S3
    (AES256).
    """
    rules = as_list(get(bucket.config, "ServerSideEncryptionConfiguration.Rules"))
    evidence: dict[str, Any] = {}
    for i, rule in enumerate(rules):
        algorithm = get(rule, "ApplyServerSideEncryptionByDefault.SSEAlgorithm")
        key = get(rule, "ApplyServerSideEncryptionByDefault.KMSMasterKeyID")
        path = f"ServerSideEncryptionConfiguration.Rules.{i}.ApplyServerSideEncryptionByDefault"
        evidence.update({f"{path}.SSEAlgorithm": shown(algorithm), f"{path}.KMSMasterKeyID": shown(key)})
        if algorithm in ("aws:kms", "aws:kms:dsse"):
            # KMSMasterKeyID absent with aws:kms means the AWS managed key aws/s3.
            which = f"key {key}" if isinstance(key, str) and key else "the AWS managed key aws/s3"
            return passed(f"{bucket.name} encrypts new objects by default with {algorithm} using {which}.", **evidence)
    if not evidence:
        evidence["ServerSideEncryptionConfiguration"] = "<absent>"
        return failed(
            f"{bucket.name} has no default encryption configuration, so objects get SSE-S3 (AES256).", **evidence
        )
    found = next(iter(evidence.values()))
    return failed(f"{bucket.name} has default SSEAlgorithm {found}, not aws:kms or aws:kms:dsse.", **evidence)


def _is_false(value: Any) -> bool:
    return any(v is False or (isinstance(v, str) and v.lower() == "false") for v in as_list(value))


def _condition_value(condition: Any, operators: tuple[str, ...], key: str) -> Any:
    """The value a Condition block tests `key` with under one of `operators` (keys compared case-insensitively)."""
    if not isinstance(condition, dict):
        return None
    for operator, tests in condition.items():
        if operator in operators and isinstance(tests, dict):
            for name, value in tests.items():
                if isinstance(name, str) and name.lower() == key.lower():
                    return value
    return None


def _everyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))


def _all_s3(action: Any) -> bool:
    return any(a in ("*", "s3:*") for a in as_list(action))


def _deny_statements(policy: Any) -> list[tuple[int, dict[str, Any]]]:
    doc = parse_document(policy)
    raw = doc.get("Statement") if doc else None
    items = raw if isinstance(raw, list) else [raw]
    return [(i, s) for i, s in enumerate(items) if isinstance(s, dict) and s.get("Effect") == "Deny"]


@check(
    id="aws.s3.bucket_secure_transport",
    resource_types=BUCKET,
    severity=Severity.MEDIUM,
    title="AI data buckets deny requests that do not use TLS",
    checklist=("CL-04",),
    remediation='Add to the bucket policy (`aws s3api put-bucket-policy`) a statement {"Effect":"Deny",'
    '"Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::<bucket>",'
    '"arn:aws:s3:::<bucket>/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}, and '
    'ideally a second one denying {"NumericLessThan":{"s3:TlsVersion":"1.2"}}.',
    reads=("Policy",),
)
def bucket_secure_transport(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the policy denies everyone s3:* under Bool aws:SecureTransport false; Policy absent = HTTP accepted."""
    policy = get(bucket.config, "Policy")
    evidence: dict[str, Any] = {}
    denies_http = False
    for i, stmt in _deny_statements(policy):
        path = f"Policy.Statement.{i}.Condition"
        if not (_everyone(stmt.get("Principal")) and _all_s3(stmt.get("Action"))):
            continue
        secure = _condition_value(stmt.get("Condition"), ("Bool", "BoolIfExists"), "aws:SecureTransport")
        if _is_false(secure):
            denies_http = True
            evidence[f"{path}.Bool.aws:SecureTransport"] = secure
        tls = _condition_value(stmt.get("Condition"), ("NumericLessThan",), "s3:TlsVersion")
        if tls is not None:
            evidence[f"{path}.NumericLessThan.s3:TlsVersion"] = tls
    if denies_http:
        tls_note = " and old TLS versions" if any("TlsVersion" in k for k in evidence) else ""
        return passed(f"{bucket.name} has a bucket policy denying non-TLS requests{tls_note}.", **evidence)
    evidence["Policy"] = "<absent>" if policy is ABSENT else "present" if parse_document(policy) else "unreadable"
    return failed(
        f"{bucket.name} has no bucket policy statement denying aws:SecureTransport false to everyone "
        f"(Policy {evidence['Policy']}).",
        **evidence,
    )


@check(
    id="aws.s3.bucket_versioning",
    resource_types=BUCKET,
    severity=Severity.LOW,
    title="AI artifact and data buckets are versioned",
    checklist=("PH-4",),
    remediation="Run `aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled` "
    "and add a lifecycle rule expiring noncurrent versions after your retention period.",
    reads=("Versioning.Status",),
)
def bucket_versioning(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when Versioning.Status is Enabled; absent = versioning never enabled."""
    status = get(bucket.config, "Versioning.Status")
    if status == "Enabled":
        return passed(f"{bucket.name} has versioning Enabled.", **{"Versioning.Status": status})
    note = " (absent means never enabled)" if status is ABSENT else ""
    return failed(
        f"{bucket.name} has Versioning.Status {display(status)}{note}.", **{"Versioning.Status": shown(status)}
    )


@check(
    id="aws.s3.bucket_replication",
    resource_types=BUCKET,
    severity=Severity.LOW,
    title="AI artifact and data buckets replicate to another location",
    checklist=("PH-4",),
    remediation="Enable versioning on source and destination, then run `aws s3api put-bucket-replication "
    "--bucket <bucket> --replication-configuration file://replication.json` with an Enabled rule "
    "to a bucket in another region (Cross-Region Replication).",
    reads=("ReplicationConfiguration.Rules",),
)
def bucket_replication(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when ReplicationConfiguration has an Enabled rule; absent = the bucket does not replicate."""
    rules = as_list(get(bucket.config, "ReplicationConfiguration.Rules"))
    statuses = {f"ReplicationConfiguration.Rules.{i}.Status": shown(get(r, "Status")) for i, r in enumerate(rules)}
    enabled = [i for i, r in enumerate(rules) if get(r, "Status") == "Enabled"]
    if enabled:
        target = shown(get(rules[enabled[0]], "Destination.Bucket"))
        return passed(f"{bucket.name} replicates to {target} through {len(enabled)} enabled rule(s).", **statuses)
    if not rules:
        return failed(f"{bucket.name} has no ReplicationConfiguration.", ReplicationConfiguration="<absent>")
    return failed(f"{bucket.name} has {len(rules)} replication rule(s), none Enabled.", **statuses)


@check(
    id="aws.s3.bucket_public_access_block",
    resource_types=BUCKET,
    severity=Severity.HIGH,
    title="AI data buckets block all public access",
    checklist=("CL-01",),
    remediation="Run `aws s3api put-public-access-block --bucket <bucket> --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    reads=tuple(f"PublicAccessBlockConfiguration.{f}" for f in PUBLIC_ACCESS_FLAGS),
)
def bucket_public_access_block(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when all four bucket-level block flags are true; PublicAccessBlockConfiguration absent = every
    flag false."""
    values = {
        f"PublicAccessBlockConfiguration.{f}": get(bucket.config, f"PublicAccessBlockConfiguration.{f}")
        for f in PUBLIC_ACCESS_FLAGS
    }
    evidence = {k: shown(v) for k, v in values.items()}
    off = [k.rsplit(".", 1)[1] for k, v in values.items() if v is not True]
    if off:
        return failed(
            f"{bucket.name} does not block public access: {', '.join(off)} not true (absent means false).", **evidence
        )
    return passed(f"{bucket.name} blocks all public access at the bucket level.", **evidence)


@check(
    id="aws.s3.bucket_classification_tag",
    resource_types=BUCKET,
    severity=Severity.LOW,
    title="AI data buckets carry a data classification tag",
    checklist=("DP-1",),
    remediation="Tag the bucket with its class: `aws s3api put-bucket-tagging --bucket <bucket> --tagging "
    "'TagSet=[{Key=DataClassification,Value=<public|internal|confidential|restricted>}]'` (the call replaces the "
    "tag set: list the bucket's other tags too), and have Macie confirm the class (aws.macie.bucket_sensitive_data_"
    "discovery).",
    reads=("Tags",),
)
def bucket_classification_tag(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a tag whose key names a classification (DataClassification, data-classification, ...) has a value:
    someone labelled the data, which is not checked against what the bucket holds (Macie's check is); no such tag
    (Tags absent = no tags) = unclassified. Only buckets AI resources read or write are collected."""
    label = classification_tag(bucket)
    if label is None:
        keys = sorted(bucket.tags)
        return failed(
            f"{bucket.name} has no data classification tag (tag keys: {', '.join(keys) or 'none'}).", tags=keys
        )
    return passed(f"{bucket.name} is labelled {label}.", classification=label)
