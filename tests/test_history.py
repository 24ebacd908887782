"""cspm_ai.history: comparable scans, the diff's categories, changed paths, expiry, retention and the trend."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from cspm_ai.errors import ConfigError
from cspm_ai.history import (
    FindingState,
    ResourceState,
    ScanContents,
    config_changes,
    diff_scans,
    parse_days,
    previous_comparable,
    prune_selection,
    scope_key,
    trend_points,
)
from cspm_ai.model import Attestation, CollectionError, Revocation, ScanRecord, Scope, Severity, Status

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ACCOUNT = "123456789012"


def scan(
    scan_id: str,
    day: int,
    *,
    accounts: tuple[str, ...] = (ACCOUNT,),
    providers: tuple[str, ...] = ("aws",),
    status: str = "complete",
    finished: bool = True,
    exceptions: tuple[dict[str, object], ...] = (),
) -> ScanRecord:
    started = T0 + timedelta(days=day)
    return ScanRecord(
        id=scan_id,
        started_at=started,
        finished_at=started + timedelta(minutes=5) if finished else None,
        status=status,
        providers=providers,
        scopes=tuple(Scope(providers[0], a, ("us-east-1",), "me") for a in accounts),
        tool_version="1",
        exceptions=exceptions,
    )


def finding(
    uid: str, status: Status, check: str = "aws.s3.versioning", severity: Severity = Severity.HIGH
) -> FindingState:
    return FindingState(
        id=f"{check}|{uid}",
        check_id=check,
        title="Buckets are versioned",
        status=status,
        severity=severity,
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
        resource_type="aws.s3.bucket",
        resource_uid=uid,
        resource_name=uid.rsplit(":", 1)[-1],
        message=f"{uid} is {status}",
        muted=False,
    )


def resource(uid: str, config: dict[str, object], rtype: str = "aws.s3.bucket") -> ResourceState:
    return ResourceState("aws", ACCOUNT, "us-east-1", rtype, uid, uid.rsplit(":", 1)[-1], json.dumps(config))


def test_previous_comparable_is_the_latest_finished_scan_of_the_same_providers_and_accounts() -> None:
    newest = scan("n", 10)
    candidates = [
        scan("same-old", 1),
        scan("same", 5),
        scan("unfinished", 6, finished=False, status="incomplete"),
        scan("other-account", 7, accounts=("999999999999",)),
        scan("more-accounts", 8, accounts=(ACCOUNT, "999999999999")),
        scan("other-provider", 9, providers=("azure",)),
        scan("later", 11),
    ]
    found = previous_comparable(newest.providers, newest.scopes, newest.started_at, candidates)
    assert found is not None and found.id == "same"
    # Regions do not matter (Azure and Google Cloud list the regions resources were found in).
    moved = replace(newest, scopes=(Scope("aws", ACCOUNT, ("eu-west-1",), "other"),))
    assert scope_key(moved.providers, moved.scopes) == scope_key(newest.providers, newest.scopes)
    assert previous_comparable(newest.providers, newest.scopes, newest.started_at, candidates[3:5]) is None


def _contents(s: ScanRecord, findings: list[FindingState], resources: list[ResourceState], errors=()) -> ScanContents:  # type: ignore[no-untyped-def]
    return ScanContents(s, findings, resources, list(errors))


def test_every_finding_category_and_why_a_finding_went_away() -> None:
    a, b = "arn:aws:s3:::a", "arn:aws:s3:::b"
    gone, blind, kept = "arn:aws:s3:::gone", "arn:aws:s3:::blind", "arn:aws:s3:::kept"
    newbie = "arn:aws:s3:::new"
    before = [
        finding(a, Status.FAIL),  # resolved
        finding(b, Status.PASS),  # regressed
        finding(kept, Status.FAIL),  # still failing
        finding(kept, Status.PASS, check="aws.s3.encryption"),  # newly ERROR
        finding(kept, Status.PASS, check="aws.s3.retired_check"),  # not evaluated any more
        finding(gone, Status.FAIL),  # resource removed
        finding(blind, Status.FAIL),  # resource unreadable
        finding(a, Status.MANUAL, check="aws.s3.manual"),  # unchanged
        replace(finding("aws:1:us-east-1:aws.s3.bucket", Status.ERROR), resource_uid="aws:1:us-east-1:x"),
    ]
    after = [
        finding(a, Status.PASS),
        finding(b, Status.FAIL),
        finding(kept, Status.FAIL),
        finding(kept, Status.ERROR, check="aws.s3.encryption"),
        finding(newbie, Status.FAIL, severity=Severity.CRITICAL),
        finding(a, Status.MANUAL, check="aws.s3.manual"),
    ]
    old_resources = [resource(u, {"Name": u}) for u in (a, b, kept, gone, blind)]
    new_resources = [resource(u, {"Name": u}) for u in (a, b, kept, newbie)]
    errors = [
        CollectionError(
            "aws", ACCOUNT, "us-east-1", "s3", "GetBucketPolicy", "AccessDenied", "no", "aws.s3.bucket", blind
        )
    ]
    diff = diff_scans(
        _contents(scan("old", 1), before, old_resources),
        _contents(scan("new", 2), after, new_resources, errors),
    )
    f = diff.findings
    assert [c.resource_uid for c in f.resolved] == [a]
    assert [(c.resource_uid, c.previous_status, c.status) for c in f.regressed] == [(b, Status.PASS, Status.FAIL)]
    assert [c.resource_uid for c in f.still_failing] == [kept]
    assert [(c.check_id, c.status) for c in f.newly_error] == [("aws.s3.encryption", Status.ERROR)]
    assert [(c.resource_uid, c.previous_status) for c in f.new_failures] == [(newbie, None)]
    reasons = {c.resource_uid: c.reason for c in f.no_longer_seen}
    assert reasons == {
        kept: "not_evaluated",
        gone: "resource_removed",
        blind: "resource_unreadable",
        "aws:1:us-east-1:x": "error_cleared",
    }
    assert diff.counts.unchanged == 1
    assert diff.comparable and diff.from_scan is not None and diff.from_scan.id == "old"
    assert [r.uid for r in diff.resources.added] == [newbie]
    assert [r.uid for r in diff.resources.removed] == [gone]
    assert [r.uid for r in diff.resources.unreadable] == [blind]
    assert diff.new_or_regressed()[0].resource_uid == newbie  # critical first


def test_a_whole_kind_or_account_that_could_not_be_listed_makes_its_resources_unreadable() -> None:
    uid = "arn:aws:s3:::x"
    old = _contents(scan("o", 1), [finding(uid, Status.FAIL)], [resource(uid, {})])
    for error in (
        CollectionError("aws", ACCOUNT, "global", "s3", "ListBuckets", "AccessDenied", "no", "aws.s3.bucket"),
        CollectionError("aws", ACCOUNT, "us-east-1", "sts", "GetCallerIdentity", "Expired", "no"),
    ):
        diff = diff_scans(old, _contents(scan("n", 2), [], [], [error]))
        assert [r.uid for r in diff.resources.unreadable] == [uid]
        assert diff.findings.no_longer_seen[0].reason == "resource_unreadable"


def test_changed_paths_name_each_difference_with_stored_values() -> None:
    before = {
        "Name": "m",
        "PrimaryContainer": {"ModelDataUrl": "s3://b/v1.tar.gz", "Environment": {"TOKEN": "[REDACTED:token]"}},
        "Subnets": ["a", "b"],
        "dotted.key": 1,
        "LastUsedDate": "2026-01-01",
        "Gone": True,
    }
    after = {
        "Name": "m",
        "PrimaryContainer": {"ModelDataUrl": "s3://b/v2.tar.gz", "Environment": {"TOKEN": "[REDACTED:token]"}},
        "Subnets": ["a"],
        "dotted.key": "1",
        "LastUsedDate": "2026-02-01",
        "New": None,
    }
    changes = [(c.path, c.change, c.before, c.after) for c in config_changes(before, after)]
    assert changes == [
        ("PrimaryContainer.ModelDataUrl", "changed", "s3://b/v1.tar.gz", "s3://b/v2.tar.gz"),
        ("Subnets[1]", "removed", "b", None),
        ('["dotted.key"]', "changed", 1, "1"),
        ("Gone", "removed", True, None),
        ("New", "added", None, None),
    ]
    assert config_changes({"a": [1]}, {"a": [1]}) == []
    # True and 1 are equal in Python; as configuration they differ.
    assert [c.path for c in config_changes({"a": True}, {"a": 1})] == ["a"]


def test_a_resource_whose_stored_text_differs_only_in_key_order_is_unchanged() -> None:
    uid = "arn:aws:s3:::a"
    old = _contents(scan("o", 1), [], [ResourceState("aws", ACCOUNT, "r", "t", uid, "a", '{"x": 1, "y": 2}')])
    new = _contents(scan("n", 2), [], [ResourceState("aws", ACCOUNT, "r", "t", uid, "a", '{"y": 2, "x": 1}')])
    assert diff_scans(old, new).resources.changed == []


def test_expiring_exceptions_and_attestations_within_the_window() -> None:
    rules = (
        {
            "id": "soon",
            "owner": "o",
            "expires": "2026-03-10",
            "status": "active",
            "checks": ["*"],
            "justification": "j",
        },
        {
            "id": "later",
            "owner": "o",
            "expires": "2026-06-01",
            "status": "active",
            "checks": ["*"],
            "justification": "j",
        },
        {
            "id": "past",
            "owner": "o",
            "expires": "2026-01-01",
            "status": "expired",
            "checks": ["*"],
            "justification": "j",
        },
    )
    newer = scan("n", 2, exceptions=rules)  # starts 2026-03-03

    def attestation(ident: str, expires: date, **extra: object) -> Attestation:
        return Attestation(ident, "CL-11", "Zoë", T0 - timedelta(days=30), expires, "https://e", **extra)  # type: ignore[arg-type]

    revoked = Revocation(T0, "x", "wrong")
    diff = diff_scans(
        None,
        _contents(newer, [], []),
        attestations=[
            attestation("in-window", date(2026, 3, 15)),
            attestation("far", date(2026, 9, 1)),
            attestation("revoked", date(2026, 3, 12), revocation=revoked),
            attestation("other-account", date(2026, 3, 12), provider="aws", account="999"),
        ],
        expiring_days=14,
        note="none earlier",
    )
    assert diff.from_scan is None and not diff.comparable and diff.note == "none earlier"
    assert diff.expiring.as_of == date(2026, 3, 3)
    assert [e.id for e in diff.expiring.exceptions] == ["soon"]
    assert [a.id for a in diff.expiring.attestations] == ["in-window"]
    assert diff.counts.model_dump()["expiring_exceptions"] == 1


def test_prune_keeps_the_latest_complete_scan_of_every_account() -> None:
    scans = [
        scan("a1", 1),
        scan("a2", 2),
        scan("a3", 3, status="incomplete"),
        scan("b1", 1, accounts=("999999999999",)),
    ]
    by_keep = [s.id for s in prune_selection(scans, keep=1)]
    # a3 is the newest of its series and kept by --keep; a2, the latest complete scan of the account, is
    # protected all the same; b1 is the only scan of its account.
    assert by_keep == ["a1"]
    cutoff = T0 + timedelta(days=10)
    assert sorted(s.id for s in prune_selection(scans, older_than=cutoff)) == ["a1", "a3"]
    assert prune_selection(scans, older_than=T0) == []


def test_trend_points_count_failures_by_severity_and_checklist_item() -> None:
    s1, s2 = scan("s1", 1), scan("s2", 2)
    points = trend_points([s2, s1], {"s1": {("high", ("CL-01", "ZT-2")): 3, ("low", ("CL-01",)): 1}, "s2": {}})
    assert [p.scan_id for p in points] == ["s1", "s2"]
    assert points[0].fail_by_severity[Severity.HIGH] == 3 and points[0].fail_by_severity[Severity.LOW] == 1
    assert points[0].fail_by_checklist == {"CL-01": 4, "ZT-2": 3}
    assert sum(points[1].fail_by_severity.values()) == 0


@pytest.mark.parametrize(("text", "days"), [("14d", 14), ("2w", 14), ("0", 0), (" 90D ", 90)])
def test_parse_days(text: str, days: int) -> None:
    assert parse_days(text, "--expiring") == days


@pytest.mark.parametrize("text", ["", "d", "-1d", "1.5d", "14 days", "99999999d", "1m"])
def test_parse_days_refuses_anything_else(text: str) -> None:
    with pytest.raises(ConfigError, match="--older-than"):
        parse_days(text, "--older-than")
