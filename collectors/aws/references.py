"""How AWS resources point at each other: one table of config key names, one walker.

Relations are derived from the stored configuration by these rules, so no
resource kind hand-copies a field (the Prowler trap of reading the wrong key).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_SAGEMAKER = "aws.sagemaker."


@dataclass(frozen=True)
class Reference:
    """An edge found in a config, before the engine resolves `value` to a uid."""

    kind: str
    target_type: str
    value: str


@dataclass(frozen=True)
class Rule:
    kind: str
    target_type: str
    keys: frozenset[str] = frozenset()
    value_pattern: re.Pattern[str] | None = None  # group 1 is the reference
    sources: frozenset[str] | None = None  # these source types ("x.*" = prefix); None: AI resources

    def applies_to(self, source_type: str) -> bool:
        sources = self.sources if self.sources is not None else frozenset({_SAGEMAKER + "*"})
        return any(source_type.startswith(s[:-1]) if s.endswith("*") else source_type == s for s in sources)


def _rule(kind: str, target: str, *keys: str, sources: set[str] | None = None, pattern: str | None = None) -> Rule:
    return Rule(
        kind,
        target,
        frozenset(keys),
        re.compile(pattern) if pattern else None,
        frozenset(sources) if sources is not None else None,
    )


_ROLE_ARN = r"^(arn:aws[a-z-]*:iam::\d{12}:role/.+)$"

RULES: tuple[Rule, ...] = (
    _rule("uses_role", "aws.iam.role", "RoleArn", "ExecutionRoleArn", "ExecutionRole", pattern=_ROLE_ARN),
    _rule("encrypted_by", "aws.kms.key", "KmsKeyId", "VolumeKmsKeyId", "KmsKey"),
    _rule("in_subnet", "aws.ec2.subnet", "SubnetId", "Subnets", "SubnetIds"),
    _rule("in_security_group", "aws.ec2.security_group", "SecurityGroupIds", "SecurityGroups"),
    # A VPC hosts AI resources directly (domains) or through their subnets and security groups.
    _rule("in_vpc", "aws.ec2.vpc", "VpcId", sources={_SAGEMAKER + "*", "aws.ec2.subnet", "aws.ec2.security_group"}),
    _rule("uses_bucket", "aws.s3.bucket", pattern=r"^s3://([^/]+)"),
    _rule(
        "uses_lifecycle_config",
        "aws.sagemaker.notebook_lifecycle_config",
        "NotebookInstanceLifecycleConfigName",
        sources={"aws.sagemaker.notebook_instance"},
    ),
    _rule(
        "uses_model",
        "aws.sagemaker.model",
        "ModelName",
        sources={"aws.sagemaker.endpoint_config", "aws.sagemaker.transform_job"},
    ),
    _rule(
        "uses_endpoint_config",
        "aws.sagemaker.endpoint_config",
        "EndpointConfigName",
        sources={"aws.sagemaker.endpoint"},
    ),
    _rule("monitors", "aws.sagemaker.endpoint", "EndpointName", sources={"aws.sagemaker.monitoring_schedule"}),
    _rule("from_model_package", "aws.sagemaker.model_package", "ModelPackageName", sources={"aws.sagemaker.model"}),
    _rule(
        "in_model_package_group",
        "aws.sagemaker.model_package_group",
        "ModelPackageGroupName",
        sources={"aws.sagemaker.model_package"},
    ),
    _rule("in_domain", "aws.sagemaker.domain", "DomainId", sources={"aws.sagemaker.user_profile"}),
    # IAM principals and their managed policies and groups (GetAccountAuthorizationDetails shapes).
    _rule("attached_policy", "aws.iam.policy", "PolicyArn", sources={"aws.iam.role", "aws.iam.user", "aws.iam.group"}),
    _rule("member_of", "aws.iam.group", "GroupList", sources={"aws.iam.user"}),
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    yield key, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, str(k))
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, (dict, list)):
                yield from _walk(v, key)


def references(source_type: str, config: dict[str, Any]) -> list[Reference]:
    """Every reference the rules find in one resource's config, deduplicated, in order."""
    rules = [r for r in RULES if r.applies_to(source_type)]
    found: dict[Reference, None] = {}
    for key, value in _walk(config):
        for rule in rules:
            if rule.keys and key not in rule.keys:
                continue
            for text in _strings(value):
                if rule.value_pattern is not None:
                    match = rule.value_pattern.match(text)
                    if not match:
                        continue
                    text = match.group(1)
                if text and not text.startswith("[REDACTED:"):
                    found[Reference(rule.kind, rule.target_type, text)] = None
    return list(found)
