"""AWS Config checks, table-driven: a recorder recording every supported resource type."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, assert_case, in_region, member

RECORDER = "aws.config.recorder"

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
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
