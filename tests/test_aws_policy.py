"""The IAM policy evaluation helpers: statement shapes, wildcards, NotAction/NotResource, Allow and Deny."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from cspm_ai.aws_policy import (
    PolicySource,
    action_grants,
    full_service_grants,
    parse_document,
    service_grants,
    statements,
    wildcard_match,
)


def source(*stmts: dict[str, Any]) -> list[PolicySource]:
    return [
        PolicySource(
            "inline policy p", "RolePolicyList.0.PolicyDocument", {"Version": "2012-10-17", "Statement": list(stmts)}
        )
    ]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("sagemaker:*", "sagemaker:CreateEndpoint", True),
        ("SageMaker:createendpoint", "sagemaker:CreateEndpoint", True),
        ("sagemaker:*Endpoint*", "sagemaker:CreateEndpointConfig", True),
        ("sagemaker:Create?ndpoint", "sagemaker:CreateEndpoint", True),
        ("sagemaker:Describe*", "sagemaker:CreateEndpoint", False),
        ("s3:*", "sagemaker:CreateEndpoint", False),
        ("*", "sagemaker:CreateEndpoint", True),
        ("sagemaker:Create.*", "sagemaker:CreateX", False),
    ],
)
def test_wildcard_match(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value) is expected


def test_documents_as_objects_strings_and_url_encoded_strings() -> None:
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    text = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    assert parse_document(doc) is doc
    assert parse_document(text) == parse_document(quote(text))
    assert len(statements(doc) or []) == 1
    for broken in (None, 3, "{", "[]", {"Version": "2012-10-17"}, {"Statement": ["x"]}):
        assert statements(broken) is None


def test_full_service_grants_cover_star_service_star_and_not_action() -> None:
    sources = source(
        {"Effect": "Allow", "Action": ["s3:GetObject", "ecr:*"], "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:*", "Resource": "arn:aws:kms:us-east-1:111122223333:key/k"},
        {"Effect": "Allow", "Action": "logs:*", "NotResource": "arn:aws:logs:us-east-1:111122223333:log-group:x"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    )
    assert [g.pattern for g in full_service_grants(sources)] == ["ecr:*", "every action except ['iam:*']", "logs:*"]


def test_action_grants_respect_unconditional_deny_on_every_resource() -> None:
    allow_all = {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}
    assert action_grants(source(allow_all), "sagemaker:CreateEndpoint")
    assert not action_grants(
        source(allow_all, {"Effect": "Deny", "Action": "sagemaker:Create*", "Resource": "*"}),
        "sagemaker:CreateEndpoint",
    )
    scoped_deny = {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "arn:aws:sagemaker:*:*:endpoint/prod-*"}
    assert action_grants(source(allow_all, scoped_deny), "sagemaker:CreateEndpoint")
    not_action = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    assert action_grants(source(not_action), "sagemaker:UpdateEndpoint")
    assert not action_grants(
        source({"Effect": "Allow", "NotAction": "sagemaker:*", "Resource": "*"}), "sagemaker:UpdateEndpoint"
    )


def test_service_grants_find_any_action_of_the_service() -> None:
    assert service_grants(source({"Effect": "Allow", "Action": "sage*:List*", "Resource": "*"}), "sagemaker")
    assert not service_grants(source({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), "sagemaker")
    assert not service_grants(source({"Effect": "Allow", "NotAction": "sagemaker:*", "Resource": "*"}), "sagemaker")
    assert not service_grants(
        source(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "*"},
        ),
        "sagemaker",
    )
    conditional = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
    }
    assert service_grants(source({"Effect": "Allow", "Action": "*", "Resource": "*"}, conditional), "sagemaker")
