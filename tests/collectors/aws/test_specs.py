"""The AWS declarations, linted the way a registry is: every call they name exists on its service's boto3
client (botocore's service model, no network), and every relation joins types the collector stores."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache

import botocore.session
from botocore import xform_name

from collectors import declared_types
from collectors.aws.specs import LIST_SPECS, REFERENCED, RELATIONS, ListSpec, Read, ReferencedSpec, Tags
from collectors.kernel import Link, link

SNAKE_CASE = re.compile(r"[a-z]+(_[a-z]+)*")


@cache
def client_methods(service: str) -> frozenset[str]:
    """The methods a boto3 client of `service` has for its API operations."""
    model = botocore.session.get_session().get_service_model(service)
    return frozenset(xform_name(name) for name in model.operation_names)


def _read_operations(where: str, service: str, read: Read) -> Iterator[tuple[str, str, str]]:
    """A read's call (on its own service when it names one) and, for a child list, each child's call."""
    service = read.service or service
    yield where, service, read.operation
    if read.each is not None:
        yield from _read_operations(f"{where}'s child read", service, read.each)


def operations(spec: ListSpec | ReferencedSpec) -> Iterator[tuple[str, str, str]]:
    """(where it is declared, service, boto3 method) for every call a declaration makes."""
    if isinstance(spec, ListSpec):
        yield "list_op", spec.service, spec.list_op
    if spec.describe_op:
        yield "describe_op", spec.service, spec.describe_op
    for read in spec.reads:
        yield from _read_operations("read", spec.service, read)
    if spec.tags is not None and spec.tags.read is not None:
        yield "tag read", spec.service, spec.tags.read.operation
    if spec.tags is not None and spec.tags.index is not None:
        yield from _read_operations("tag index", spec.service, spec.tags.index.read)


def spec_problems(specs: Iterable[ListSpec | ReferencedSpec]) -> Iterator[str]:
    for spec in specs:
        for where, service, method in operations(spec):
            if method not in client_methods(service):
                yield f"{spec.type}: {where} {method} is not a method of the {service} client"


def relation_problems(relations: Iterable[Link], stored: frozenset[str]) -> Iterator[str]:
    for rule in relations:
        if not SNAKE_CASE.fullmatch(rule.kind):
            yield f"{rule.kind}: the relation kind is not snake_case"
        if rule.target not in stored:
            yield f"{rule.kind}: target {rule.target} is not a type the collector stores"
        for source in sorted(rule.sources - stored):
            yield f"{rule.kind}: source {source} is not a type the collector stores"


def problems(
    list_specs: Iterable[ListSpec], referenced: Mapping[str, ReferencedSpec], relations: Iterable[Link]
) -> list[str]:
    return [
        *spec_problems([*list_specs, *referenced.values()]),
        *relation_problems(relations, declared_types("aws")),
    ]


def test_every_aws_declaration_calls_real_operations_and_relates_stored_types() -> None:
    assert LIST_SPECS and REFERENCED and RELATIONS
    assert problems(LIST_SPECS, REFERENCED, RELATIONS) == []


def test_the_lint_finds_each_kind_of_mistake() -> None:
    typo = ListSpec(
        type="aws.sagemaker.model",
        service="sagemaker",
        scope="regional",
        list_op="list_modelz",
        list_key="Models",
        uid="{ModelArn}",
        name="{ModelName}",
        describe_op="describe_models",
        reads=(
            Read("get_model", {}),
            Read("list_metric", {}, service="cloudwatch"),
            Read("list_models", {}, paginate="Models", each=Read("describe_modelz", {})),
        ),
        tags=Tags(read=Read("list_tagz", {})),
    )
    bucket = ReferencedSpec(
        type="aws.s3.bucket",
        service="s3",
        describe_op="get_bucket_location",
        id_param="Bucket",
        result_key=None,
        uid="{Bucket}",
        name="{Bucket}",
        reads=(Read("get_bucket_encryption_configuration", {}),),
    )
    relations = (
        link("usesRole", "aws.iam.role", {"aws.sagemaker.model"}, keys=("RoleArn",)),
        link("uses_thing", "aws.nothing.stored", {"aws.sagemaker.not_a_kind"}, keys=("Thing",)),
    )
    assert problems([typo], {bucket.type: bucket}, relations) == [
        "aws.sagemaker.model: list_op list_modelz is not a method of the sagemaker client",
        "aws.sagemaker.model: describe_op describe_models is not a method of the sagemaker client",
        "aws.sagemaker.model: read get_model is not a method of the sagemaker client",
        "aws.sagemaker.model: read list_metric is not a method of the cloudwatch client",
        "aws.sagemaker.model: read's child read describe_modelz is not a method of the sagemaker client",
        "aws.sagemaker.model: tag read list_tagz is not a method of the sagemaker client",
        "aws.s3.bucket: read get_bucket_encryption_configuration is not a method of the s3 client",
        "usesRole: the relation kind is not snake_case",
        "uses_thing: target aws.nothing.stored is not a type the collector stores",
        "uses_thing: source aws.sagemaker.not_a_kind is not a type the collector stores",
    ]


def test_a_custom_model_names_the_customization_job_that_produced_it() -> None:
    from collectors.kernel import Reference, references

    job = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/fraud-tune/abc123"
    config = {"modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/fraud", "jobArn": job, "jobName": "x"}
    found = references(RELATIONS, "aws.bedrock.custom_model", config)
    assert Reference("produced_by", "aws.bedrock.model_customization_job", job) in found
    # Only a customization job's ARN: an import job's is not one.
    imported = {**config, "jobArn": "arn:aws:bedrock:us-east-1:123456789012:model-import-job/abc"}
    assert [r for r in references(RELATIONS, "aws.bedrock.custom_model", imported) if r.kind == "produced_by"] == []


def test_a_security_group_is_named_by_its_group_name_and_keeps_its_id_in_the_uid() -> None:
    spec = REFERENCED["aws.ec2.security_group"]
    assert spec.name == "{GroupName}"
    assert spec.uid.endswith(":security-group/{GroupId}")
