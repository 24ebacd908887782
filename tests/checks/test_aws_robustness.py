"""No AWS check crashes on malformed documents: wrong types give a verdict, never an exception."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from cspm_ai.engine import EvaluationSettings, Snapshot, evaluate
from cspm_ai.model import Relation, Resource, Status
from cspm_ai.registry import CheckSpec, all_checks
from tests.checks.conftest import BASE, SCAN_AT, TYPES, check_test_modules, make

check_test_modules("aws")  # a type an AWS check's own test module declares joins BASE and TYPES

JUNK: tuple[Any, ...] = (None, 7, "x", ["x", None], {"x": {"y": None}}, True)
RELATION_KINDS = (
    "encrypted_by",
    "attached_policy",
    "member_of",
    "from_model_package",
    "monitors",
    "uses_role",
    "in_security_group",
)
AWS_CHECKS = all_checks("aws")


def _paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted path in a document, containers and leaves alike."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        path = f"{prefix}{key}"
        yield path
        yield from _paths(child, path + ".")


def _malformed(rtype: str) -> Iterator[dict[str, Any]]:
    """The base document with each path in turn replaced by each junk value."""
    for path in _paths(BASE[rtype]):
        for junk in JUNK:
            yield {path: junk}


def _junk_resource(rtype: str, salt: int) -> Resource:
    config = {key: JUNK[(i + salt) % len(JUNK)] for i, key in enumerate(BASE[rtype])}
    return make(rtype, config, name=f"junk-{salt}")


def _statuses(spec: CheckSpec, resources: list[Resource], relations: list[Relation]) -> list[tuple[Status, str]]:
    findings = evaluate(Snapshot(resources, relations, []), [spec], EvaluationSettings(scan_started_at=SCAN_AT))
    return [(f.status, f.message) for f in findings if f.status is Status.ERROR]


def test_every_type_an_aws_check_reads_has_a_base_response() -> None:
    # Else the malformed-document tests below would pass over it.
    assert sorted({t for spec in AWS_CHECKS for t in spec.resource_types} - set(BASE)) == []


@pytest.mark.parametrize("spec", AWS_CHECKS, ids=[c.id for c in AWS_CHECKS])
def test_malformed_target_never_crashes(spec: CheckSpec) -> None:
    for rtype in spec.resource_types:
        if rtype not in BASE:
            continue
        for changes in _malformed(rtype):
            assert _statuses(spec, [make(rtype, changes)], []) == [], (rtype, changes)
        for odd in (replace(make(rtype), config={}), replace(make(rtype), redactions=("x", None, {"kind": 3}))):
            assert _statuses(spec, [odd], []) == [], (rtype, odd)


@pytest.mark.parametrize("spec", AWS_CHECKS, ids=[c.id for c in AWS_CHECKS])
def test_malformed_neighbours_never_crash(spec: CheckSpec) -> None:
    for rtype in spec.resource_types:
        if rtype not in BASE:
            continue
        for salt in range(len(JUNK)):
            target = make(rtype)
            neighbours = [_junk_resource(t, salt) for t in TYPES if t in BASE and t != rtype]
            relations = [Relation(target.uid, kind, n.uid) for n in neighbours for kind in RELATION_KINDS]
            relations += [Relation(n.uid, kind, target.uid) for n in neighbours for kind in RELATION_KINDS]
            assert _statuses(spec, [target, *neighbours], relations) == [], (rtype, salt)


def test_a_resource_whose_own_read_failed_before_it_was_stored_gets_error_findings() -> None:
    from cspm_ai.model import CollectionError

    key = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-000000000000"
    denied = CollectionError(
        "aws",
        "123456789012",
        "eu-west-1",
        "kms",
        "DescribeKey",
        "AccessDenied",
        "not authorized to perform kms:DescribeKey",
        resource_type="aws.kms.key",
        resource_uid=key,
    )
    key_checks = [c for c in AWS_CHECKS if "aws.kms.key" in c.resource_types]
    findings = evaluate(Snapshot([], [], [denied]), key_checks, EvaluationSettings(scan_started_at=SCAN_AT))
    assert key_checks and len(findings) == len(key_checks)
    assert all(f.status is Status.ERROR and f.resource_uid == key and "kms:DescribeKey" in f.message for f in findings)
