"""AWS Config checks, table-driven: a recorder recording every supported resource type; rules evaluating the AI
services used in a region."""

from __future__ import annotations

import pytest

from tests.checks.aws.test_bedrock import AGENT, NOT_USED, SETTINGS
from tests.checks.conftest import (
    ACCOUNT,
    DROP,
    ERROR,
    FAIL,
    PASS,
    REGION,
    Case,
    assert_case,
    declare_type,
    in_region,
    member,
)

RECORDER = "aws.config.recorder"
NOTEBOOK = "aws.sagemaker.notebook_instance"
# An AWS managed rule as DescribeConfigRules lists it.
RULE = declare_type(
    "aws.config.rule",
    {
        "ConfigRuleName": "sagemaker-notebook-no-direct-internet-access",
        "ConfigRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-k2m9q4",
        "ConfigRuleId": "config-rule-k2m9q4",
        "Source": {"Owner": "AWS", "SourceIdentifier": "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"},
        "Scope": {"ComplianceResourceTypes": ["AWS::SageMaker::NotebookInstance"]},
        "ConfigRuleState": "ACTIVE",
        "EvaluationModes": [{"Mode": "DETECTIVE"}],
    },
    uid=f"arn:aws:config:{{region}}:{ACCOUNT}:config-rule/{{name}}",
    name="sagemaker-notebook-no-direct-internet-access",
)
COVERS = "aws.config.rules_cover_ai_services"
BEDROCK_RULE = {
    "ConfigRuleName": "bedrock-data-source-encryption-enabled",
    "Source": {"Owner": "AWS", "SourceIdentifier": "BEDROCK_DATA_SOURCE_ENCRYPTION_ENABLED"},
    "Scope": DROP,
}
# A rule a conformance pack deployed: AWS names it after the pack and marks who created it.
PACK_RULE = {
    "ConfigRuleName": "sagemaker-endpoint-configuration-kms-key-configured-conformance-pack-x7w2k9q1",
    "Source": {"Owner": "AWS", "SourceIdentifier": "SAGEMAKER_ENDPOINT_CONFIGURATION_KMS_KEY_CONFIGURED"},
    "CreatedBy": "config-conforms.amazonaws.com",
}
GUARD_RULE = {
    "ConfigRuleName": "models-network-isolated",
    "Source": {
        "Owner": "CUSTOM_POLICY",
        "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}],
        "CustomPolicyDetails": {
            "PolicyRuntime": "guard-2.x.x",
            "PolicyText": "rule isolated { EnableNetworkIsolation == true }",
        },
    },
    "Scope": {"ComplianceResourceTypes": ["AWS::SageMaker::Model"]},
}
S3_RULE = {
    "ConfigRuleName": "s3-bucket-versioning-enabled",
    "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
    "Scope": {"ComplianceResourceTypes": ["AWS::S3::Bucket"]},
}

CASES: list[Case] = [
    # CL-12 AWS Config
    Case("aws.config.recorder_all_resources", PASS, "all-supported", in_region(member(RECORDER))),
    Case(
        "aws.config.recorder_all_resources",
        PASS,
        "strategy-only",
        in_region(member(RECORDER, {"recordingGroup.allSupported": DROP})),
    ),
    Case(
        "aws.config.recorder_all_resources",
        FAIL,
        "selected-types",
        in_region(
            member(
                RECORDER,
                {
                    "recordingGroup": {
                        "allSupported": False,
                        "includeGlobalResourceTypes": False,
                        "resourceTypes": ["AWS::SageMaker::Model", "AWS::S3::Bucket"],
                        "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
                    }
                },
            )
        ),
        says="does not record all supported types",
    ),
    Case(
        "aws.config.recorder_all_resources",
        FAIL,
        "not-recording",
        in_region(member(RECORDER, {"Status.recording": False})),
    ),
    Case(
        "aws.config.recorder_all_resources",
        FAIL,
        "group-absent",
        in_region(member(RECORDER, {"recordingGroup": DROP})),
    ),
    Case("aws.config.recorder_all_resources", FAIL, "none", in_region(), says="no AWS Config"),
    Case(
        "aws.config.recorder_all_resources",
        ERROR,
        "recorders-unlisted",
        in_region(unlisted=(RECORDER, "DescribeConfigurationRecorders")),
    ),
    # PH-3: rules evaluate the AI services in use
    Case(COVERS, PASS, "no-ai", in_region(member(RECORDER), member(SETTINGS, NOT_USED)), says="no AI rule is needed"),
    Case(
        COVERS,
        PASS,
        "sagemaker-managed-rule",
        in_region(member(NOTEBOOK), member(RULE), member(RECORDER)),
        says="SageMaker by sagemaker-notebook-no-direct-internet-access",
    ),
    Case(
        COVERS,
        PASS,
        "conformance-pack-rule",
        in_region(member(NOTEBOOK), member(RULE, PACK_RULE, name=PACK_RULE["ConfigRuleName"]), member(RECORDER)),
        says="conformance-pack",
    ),
    Case(
        COVERS,
        PASS,
        "guard-rule-scoped-to-models",
        in_region(member(NOTEBOOK), member(RULE, GUARD_RULE, name="models-network-isolated"), member(RECORDER)),
    ),
    Case(
        COVERS,
        FAIL,
        "no-rule",
        in_region(member(NOTEBOOK), member(RECORDER)),
        says="uses SageMaker, but no active AWS Config rule evaluates it",
    ),
    Case(
        COVERS,
        FAIL,
        "only-other-rules",
        in_region(member(NOTEBOOK), member(RULE, S3_RULE, name="s3-bucket-versioning-enabled"), member(RECORDER)),
    ),
    Case(
        COVERS,
        FAIL,
        "rule-being-deleted",
        in_region(member(NOTEBOOK), member(RULE, {"ConfigRuleState": "DELETING"}), member(RECORDER)),
    ),
    Case(
        COVERS,
        FAIL,
        "bedrock-unwatched",
        in_region(member(NOTEBOOK), member(AGENT), member(RULE), member(RECORDER)),
        says="uses Bedrock, but",
    ),
    Case(
        COVERS,
        PASS,
        "bedrock-invocations-watched",
        in_region(
            member(SETTINGS),
            member(RULE, BEDROCK_RULE, name="bedrock-data-source-encryption-enabled"),
            member(RECORDER),
        ),
        says="Bedrock by bedrock-data-source-encryption-enabled",
    ),
    Case(
        COVERS,
        FAIL,
        "not-recording",
        in_region(member(NOTEBOOK), member(RULE), member(RECORDER, {"Status.recording": False})),
        says="no configuration recorder is recording",
    ),
    Case(COVERS, FAIL, "no-recorder", in_region(member(NOTEBOOK), member(RULE)), says="no configuration recorder"),
    Case(
        COVERS,
        ERROR,
        "rules-unlisted",
        in_region(member(NOTEBOOK), member(RECORDER), unlisted=(RULE, "DescribeConfigRules")),
    ),
    Case(
        COVERS,
        ERROR,
        "notebooks-unlisted",
        in_region(member(RECORDER), member(SETTINGS, NOT_USED), unlisted=(NOTEBOOK, "ListNotebookInstances")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
