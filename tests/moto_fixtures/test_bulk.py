"""build_bulk_estate creates the promised number and mix of SageMaker resources."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from moto_fixtures.bulk import BENCH_KINDS, KINDS, build_bulk_estate, plan

LISTS = {
    "model": ("list_models", "Models"),
    "endpoint_config": ("list_endpoint_configs", "EndpointConfigs"),
    "endpoint": ("list_endpoints", "Endpoints"),
    "notebook_instance": ("list_notebook_instances", "NotebookInstances"),
    "training_job": ("list_training_jobs", "TrainingJobSummaries"),
    "processing_job": ("list_processing_jobs", "ProcessingJobSummaries"),
}


@pytest.mark.parametrize("per_region", [0, 1, 5, 6, 13, 500])
def test_plan_adds_up_and_respects_dependencies(per_region: int) -> None:
    counts = plan(per_region)
    assert sum(counts.values()) == per_region and set(counts) == set(KINDS)
    assert counts["model"] >= counts["endpoint_config"] >= counts["endpoint"]
    assert max(counts.values()) - min(counts.values()) <= 1


def test_plan_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        plan(-1)


def test_builds_the_mix_in_every_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    regions = ("us-east-1", "ap-southeast-2")
    with mock_aws():
        session = boto3.Session()
        assert build_bulk_estate(regions=regions, per_region=26, session=session) == 52
        expected = plan(26)
        for region in regions:
            sm = session.client("sagemaker", region_name=region)
            for kind, (operation, key) in LISTS.items():
                pages = sm.get_paginator(operation).paginate(PaginationConfig={"PageSize": 100})
                assert sum(len(page[key]) for page in pages) == expected[kind], (region, kind)
            config = sm.describe_endpoint_config(EndpointConfigName="bulk-endpoint-config-00000")
            assert config["ProductionVariants"][0]["ModelName"] == "bulk-model-00000"
            assert sm.describe_training_job(TrainingJobName="bulk-training-job-00001")["Environment"] == {"RUN": "1"}


def test_plan_of_chosen_kinds_keeps_their_order_and_parents() -> None:
    assert plan(500, BENCH_KINDS) == dict.fromkeys(
        ("model", "endpoint_config", "endpoint", "notebook_instance", "training_job"), 100
    )
    assert list(plan(3, ("training_job", "model"))) == ["model", "training_job"]
    with pytest.raises(ValueError, match="endpoint configs need models"):
        plan(10, ("endpoint_config",))
    with pytest.raises(ValueError, match="unknown kinds"):
        plan(10, ("model", "pipeline"))
    with pytest.raises(ValueError, match="at least one"):
        plan(10, ())


def test_builds_only_the_chosen_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    with mock_aws():
        session = boto3.Session()
        assert (
            build_bulk_estate(regions=("eu-west-1",), per_region=4, session=session, kinds=("notebook_instance",)) == 4
        )
        sm = session.client("sagemaker", region_name="eu-west-1")
        assert len(sm.list_notebook_instances()["NotebookInstances"]) == 4
        assert sm.list_models()["Models"] == [] and sm.list_training_jobs()["TrainingJobSummaries"] == []
