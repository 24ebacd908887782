"""The IAM policy shipped for the AWS collector is what its declarations derive, and it only reads."""

from __future__ import annotations

import json
import re
from importlib.resources import files

from collectors.aws.permissions import collector_calls, iam_action, policy_document


def shipped_policy() -> dict[str, object]:
    return json.loads(files("cspm_ai").joinpath("permissions/aws-readonly-policy.json").read_text())


def test_shipped_aws_policy_is_what_the_collector_declares() -> None:
    assert shipped_policy() == policy_document()


def test_shipped_aws_policy_only_reads() -> None:
    actions = policy_document()["Statement"][0]["Action"]  # type: ignore[index]
    verbs = {a.split(":", 1)[1] for a in actions}
    assert all(re.match(r"^(Describe|Get|List|View)", v) for v in verbs), verbs


def test_an_action_is_named_after_its_api_operation_unless_iam_names_it_otherwise() -> None:
    assert iam_action("sagemaker", "list_notebook_instances") == "sagemaker:ListNotebookInstances"
    assert iam_action("s3", "get_bucket_encryption") == "s3:GetEncryptionConfiguration"
    assert iam_action("budgets", "describe_budgets") == "budgets:ViewBudget"
    # Identity and the enabled-region lookup are made outside the declarations, and still need their actions.
    assert {("sts", "get_caller_identity"), ("ec2", "describe_regions")} <= set(collector_calls())
