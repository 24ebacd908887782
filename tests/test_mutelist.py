"""Exception matching and expiry, as pure functions over findings."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cspm_ai.errors import ConfigError
from cspm_ai.model import Finding, Severity, Status
from cspm_ai.mutelist import (
    Mutelist,
    MuteRule,
    apply_mutelist,
    exception_rules,
    load_mutelist,
)

AS_OF = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def finding(
    check_id: str = "aws.sagemaker.notebook_direct_internet_access",
    *,
    status: Status = Status.FAIL,
    uid: str = "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/dev-scratch",
    name: str = "dev-scratch",
    account: str = "111122223333",
    region: str = "eu-west-1",
    tags: dict[str, str] | None = None,
) -> Finding:
    return Finding(
        id=f"{check_id}:{uid}",
        check_id=check_id,
        title="t",
        status=status,
        severity=Severity.HIGH,
        provider="aws",
        account=account,
        region=region,
        resource_type="aws.sagemaker.notebook_instance",
        resource_uid=uid,
        resource_name=name,
        message="m",
        checklist=("CL-01",),
        compliance={},
        remediation="r",
        evidence={},
        resource_tags=tags if tags is not None else {"env": "dev"},
    )


def rule(**changes: object) -> MuteRule:
    values: dict[str, object] = dict(
        id="r1",
        checks=("aws.sagemaker.*",),
        justification="accepted in RISK-1",
        owner="ml@example.com",
        expires=date(2026, 12, 31),
    )
    values.update(changes)
    return MuteRule.model_validate(values)


@pytest.mark.parametrize(
    ("changes", "matches"),
    [
        ({}, True),
        ({"checks": ("aws.sagemaker.notebook_*",)}, True),
        ({"checks": ("aws.s3.*",)}, False),
        ({"resources": ("*notebook-instance/dev-*",)}, True),
        ({"resources": ("dev-*",)}, True),  # the name matches too
        ({"resources": ("prod-*",)}, False),
        ({"accounts": ("111122223333",)}, True),
        ({"accounts": ("444455556666",)}, False),
        ({"regions": ("eu-*",)}, True),
        ({"regions": ("us-east-1",)}, False),
        ({"tags": {"env": "dev"}}, True),
        ({"tags": {"env": "d*"}}, True),
        ({"tags": {"env": "prod"}}, False),
        ({"tags": {"owner": "*"}}, False),  # a tag the resource lacks never matches
        ({"checks": ("AWS.SAGEMAKER.*",)}, False),  # ids are case-sensitive
    ],
)
def test_a_rule_matches_on_every_dimension(changes: dict[str, object], matches: bool) -> None:
    assert rule(**changes).matches(finding()) is matches


def test_matching_findings_are_muted_with_the_reason_and_keep_their_status() -> None:
    out, outcomes = apply_mutelist(
        [finding(), finding(status=Status.PASS), finding("aws.s3.bucket_versioning")],
        Mutelist(exceptions=(rule(),)),
        AS_OF,
    )
    assert [f.muted for f in out] == [True, True, False]
    assert [f.status for f in out] == [Status.FAIL, Status.PASS, Status.FAIL]
    assert out[0].mute_reason == "r1: accepted in RISK-1 (owner ml@example.com, expires 2026-12-31)"
    assert outcomes == [{**rule().model_dump(mode="json"), "status": "active", "matched": 2}]


def test_an_exception_is_in_force_through_its_expiry_day_and_not_after() -> None:
    rules = Mutelist(exceptions=(rule(expires=date(2026, 11, 22)),))
    assert apply_mutelist([finding()], rules, AS_OF)[0][0].muted
    expired_out, outcomes = apply_mutelist([finding()], rules, datetime(2026, 11, 23, tzinfo=UTC))
    assert not expired_out[0].muted and expired_out[0].mute_reason is None
    assert outcomes[0]["status"] == "expired" and outcomes[0]["matched"] == 1


def test_errors_are_never_muted() -> None:
    out, outcomes = apply_mutelist([finding(status=Status.ERROR)], Mutelist(exceptions=(rule(checks=("*",)),)), AS_OF)
    assert not out[0].muted and outcomes[0]["matched"] == 0


def test_the_first_active_rule_gives_the_reason_and_expired_ones_still_count() -> None:
    rules = Mutelist(exceptions=(rule(id="old", expires=date(2020, 1, 1)), rule(id="new"), rule(id="also")))
    out, outcomes = apply_mutelist([finding()], rules, AS_OF)
    assert out[0].mute_reason.startswith("new:")
    assert [(o["id"], o["status"], o["matched"]) for o in outcomes] == [
        ("old", "expired", 1),
        ("new", "active", 1),
        ("also", "active", 1),
    ]


def test_stored_outcomes_rebuild_the_same_rules() -> None:
    rules = Mutelist(exceptions=(rule(), rule(id="r2", tags={"team": "ml"}, regions=("eu-*",))))
    _, outcomes = apply_mutelist([finding()], rules, AS_OF)
    assert exception_rules(outcomes) == rules


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "exceptions:\n  - id: a\n    checks: []\n    justification: j\n    owner: o\n    expires: 2027-01-01\n",
            "exceptions.0.checks",
        ),
        (
            "exceptions:\n  - id: a\n    checks: ['*']\n    justification: j\n    owner: o\n    expires: someday\n",
            "exceptions.0.expires",
        ),
        (
            "exceptions:\n  - id: a\n    checks: ['*']\n    justification: ''\n    owner: o\n    expires: 2027-01-01\n",
            "exceptions.0.justification",
        ),
        ("mutes: []\n", "mutes"),
        ("- just\n- a list\n", "(top level)"),
    ],
)
def test_a_malformed_mutelist_names_the_place(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_mutelist(path)
    assert needle in caught.value.message and caught.value.hint


def test_an_empty_file_mutes_nothing_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    assert load_mutelist(tmp_path / "empty.yaml") == Mutelist()
    with pytest.raises(ConfigError, match="does not exist"):
        load_mutelist(tmp_path / "absent.yaml")


def test_a_loaded_mutelist_names_the_file_it_came_from_and_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "mutes.yaml"
    path.write_text(
        "exceptions:\n  - {id: a, checks: ['*'], justification: j, owner: o, expires: 2099-01-01}\n", "utf-8"
    )
    loaded = load_mutelist(path)
    assert loaded.source is not None
    assert loaded.source.path == str(path)
    assert loaded.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # Where it came from is provenance: the same rules built in code are the same mutelist, with no source.
    built = Mutelist(exceptions=loaded.exceptions)
    assert built == loaded and built.source is None
    # No key of the file can claim a source.
    path.write_text("source: {path: elsewhere.yaml, sha256: '00'}\nexceptions: []\n", "utf-8")
    with pytest.raises(ConfigError, match="source"):
        load_mutelist(path)
