"""`cspm-ai paths --from | --to` on a stored scan (no cloud, no demo): both directions, both formats, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Relation, Resource, Scope

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/trainer"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/deploy-admin"
NOTEBOOK = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/research"
BUCKET = "arn:aws:s3:::payments-ledger"
READ_LEDGER = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
HOSTILE = "evil\x1b]8;;http://x\x07<b>"


def _doc(*statements: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _resources() -> list[Resource]:
    """A notebook running as a training role that can assume an admin role, which reads the payments bucket."""
    trust_trainer = _doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"})
    trust_sagemaker = _doc({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "*"})
    return [
        Resource("aws", ACCOUNT, "us-east-1", "aws.sagemaker.notebook_instance", NOTEBOOK, "research", {}),
        Resource(
            "aws",
            ACCOUNT,
            "global",
            "aws.iam.role",
            ROLE,
            "trainer",
            {"RoleName": "trainer", "AssumeRolePolicyDocument": trust_sagemaker, "RolePolicyList": []},
        ),
        Resource(
            "aws",
            ACCOUNT,
            "global",
            "aws.iam.role",
            ADMIN,
            "deploy-admin",
            {
                "RoleName": "deploy-admin",
                "AssumeRolePolicyDocument": trust_trainer,
                "RolePolicyList": [
                    {
                        "PolicyName": "read-ledger",
                        "PolicyDocument": _doc(
                            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
                        ),
                    }
                ],
            },
        ),
        Resource("aws", ACCOUNT, "us-east-1", "aws.s3.bucket", BUCKET, "payments-ledger", {}, {"team": HOSTILE}),
    ]


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'paths.db'}"
    with Inventory.open(url) as inventory:
        record = inventory.begin_scan(providers=["aws"], tool_version="1", started_at=datetime(2026, 1, 1, tzinfo=UTC))
        result = CollectionResult(
            resources=_resources(),
            relations=[Relation(NOTEBOOK, "uses_role", ROLE)],
            scopes=[Scope("aws", ACCOUNT, ("us-east-1",), "me")],
        )
        inventory.finish_scan(record.id, result, [], status="complete")
    return url


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from cspm_ai.cli import main

    with pytest.raises(SystemExit) as finished:
        main(list(args))
    out, err = capsys.readouterr()
    return int(finished.value.code or 0), out, err


def test_from_a_notebook_follows_its_role_through_the_role_it_assumes(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(capsys, "paths", "--from", NOTEBOOK, "--db", db, "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert (found["direction"], found["resource"]) == ("from", NOTEBOOK)
    to_bucket = next(p for p in found["paths"] if p["to"] == BUCKET)
    assert [h["to"] for h in to_bucket["hops"]] == [ROLE, ADMIN, BUCKET]
    assert to_bucket["accesses"] == ["read"]
    assert to_bucket["hops"][1]["grants"] == [
        {"access": "become", "action": "sts:AssumeRole", "via": "the trust policy of deploy-admin statement 0"}
    ]
    assert to_bucket["hops"][2]["grants"][0]["via"] == "inline policy read-ledger statement 0"


def test_to_a_bucket_by_name_lists_every_identity_and_workload_that_reaches_it(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(capsys, "paths", "--to", "payments-ledger", "--db", db, "--format", "json")
    assert code == 0
    sources = {p["from"]: len(p["hops"]) for p in json.loads(out)["paths"]}
    assert sources == {ADMIN: 1, ROLE: 2, NOTEBOOK: 3}


def test_the_table_names_each_path_and_keeps_hostile_tags_inert(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a terminal wide enough that no cell wraps
    code, out, _ = run_main(capsys, "paths", "--to", BUCKET, "--db", db)
    assert code == 0
    assert "3 attack path(s) to bucket payments-ledger" in out
    assert "notebook instance research" in out and "\x1b" not in out and "\x07" not in out


def test_a_resource_nothing_reaches_says_so(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "paths", "--to", NOTEBOOK, "--db", db)
    assert code == 0
    assert "No attack path to notebook instance research in this scan." in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "no-such-thing"), "No resource or identity named 'no-such-thing'"),
        ((), "Give exactly one of --from and --to."),
        (("--from", ROLE, "--to", BUCKET), "Give exactly one of --from and --to."),
        (("--from", "  "), "is empty"),
    ],
)
def test_bad_input_is_one_error_and_one_hint_and_exit_2(
    db: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    code, out, err = run_main(capsys, "paths", *args, "--db", db)
    lines = err.strip().splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: ")
    assert says in lines[0]
