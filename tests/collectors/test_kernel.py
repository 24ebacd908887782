"""The collector kernel: one record store, one relation walker, one redaction, one dangling-reference rule."""

from __future__ import annotations

import pytest

from collectors.kernel import (
    ANY_KEY,
    GLOBAL,
    ReadFailure,
    Record,
    Reference,
    Store,
    Target,
    link,
    references,
    scopes_of,
    to_resource,
)
from cspm_ai.model import Resource

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2


def test_to_resource_redacts_config_tag_keys_tag_values_and_name_alike_on_every_cloud() -> None:
    for provider in ("aws", "azure", "gcp"):
        record = Record(
            type="x.y.z",
            account="acct",
            region="r1",
            uid="uid-1",
            name=f"model-{AWS_KEY}",
            config={"env": {"DB_PASSWORD": "hunter2-Very-Secret"}, "ok": "plain"},
            tags={AWS_KEY: "owner", "api_key": "9f8e7d6c5b4a39281706", "team": "ml"},
        )
        resource = to_resource(provider, record)
        stored = repr((resource.name, resource.config, resource.tags, resource.redactions))
        assert AWS_KEY not in stored and "hunter2" not in stored and "9f8e7d6c5b4a" not in stored, provider
        assert resource.name == "model-[REDACTED:aws_access_key_id]"
        assert resource.tags == {
            "[REDACTED:aws_access_key_id]": "owner",
            "api_key": "[REDACTED:secret_by_name]",
            "team": "ml",
        }
        assert resource.config["ok"] == "plain"
        paths = {r["path"] for r in resource.redactions}
        assert paths == {"env.DB_PASSWORD", "tags", "tags.api_key", "name"}, provider
        assert resource.provider == provider and resource.uid == "uid-1"


def test_a_relation_declares_its_sources_and_one_way_of_finding_it() -> None:
    with pytest.raises(ValueError, match="source"):
        link("uses_role", "aws.iam.role", (), keys=("RoleArn",))
    with pytest.raises(ValueError, match="keys or paths"):
        link("uses_role", "aws.iam.role", {"a.b.c"})
    with pytest.raises(ValueError, match="keys or paths"):
        link("uses_role", "aws.iam.role", {"a.b.c"}, keys=("RoleArn",), paths=("RoleArn",))


def test_key_rules_find_a_key_at_any_depth_in_document_order_and_only_for_their_sources() -> None:
    rules = (
        link("uses_role", "role", {"job"}, keys=("RoleArn",)),
        link("in_subnet", "subnet", {"job"}, keys=("Subnets",)),
        link("uses_bucket", "bucket", {"job"}, keys=(ANY_KEY,), pattern=r"^s3://([^/]+)"),
    )
    config = {
        "Input": [{"Uri": "s3://data/a.csv"}, {"Uri": "s3://data/b.csv"}],
        "VpcConfig": {"Subnets": ["subnet-1", "subnet-2", 7]},
        "RoleArn": "arn:aws:iam::1:role/r",
        "Output": "s3://out/",
    }
    assert references(rules, "job", config) == [
        Reference("uses_bucket", "bucket", "data"),
        Reference("in_subnet", "subnet", "subnet-1"),
        Reference("in_subnet", "subnet", "subnet-2"),
        Reference("uses_role", "role", "arn:aws:iam::1:role/r"),
        Reference("uses_bucket", "bucket", "out"),
    ]
    assert references(rules, "other", config) == []


def test_path_rules_descend_lists_and_build_values_from_the_node() -> None:
    rules = (
        link("uses_sa", "sa", {"endpoint"}, paths=("deployedModels.serviceAccount",)),
        link("uses_identity", "identity", {"endpoint"}, paths=("identity.ids",), value=lambda n: list(n)),
        link("encrypted_by", "key", {"endpoint"}, paths=("enc",), value=lambda n: n.get("k") and f"key/{n['k']}"),
    )
    config = {
        "deployedModels": [{"serviceAccount": "a@x"}, {"serviceAccount": ""}, {"other": 1}, {"serviceAccount": "a@x"}],
        "identity": {"ids": {"/id/1": {}, "/id/2": {}}},
        "enc": {"k": "k1"},
    }
    assert references(rules, "endpoint", config) == [
        Reference("uses_sa", "sa", "a@x"),
        Reference("uses_identity", "identity", "/id/1"),
        Reference("uses_identity", "identity", "/id/2"),
        Reference("encrypted_by", "key", "key/k1"),
    ]


RULES = (
    link("uses_key", "key", {"model"}, keys=("KeyId",)),
    link("uses_role", "role", {"model"}, keys=("Role",)),
)


def _resolve(_record: Record, ref: Reference) -> Target | None:
    if ref.value == "unresolvable":
        return None
    return Target(ref.value.upper() if ref.target == "key" else ref.value, "r1", ref.value)


def test_referenced_targets_are_asked_for_once_and_only_when_fetchable_and_missing() -> None:
    store = Store("aws")
    store.put(Record("model", "a", "r1", "m1", "m1", {"KeyId": "k1", "Role": "role-1"}))
    store.put(Record("model", "a", "r1", "m2", "m2", {"KeyId": "k2"}))
    store.put(Record("key", "a", "r1", "K2", "k2", {}))
    first = store.referenced(RULES, _resolve, ["key"])
    assert first == {"key": [Target("K1", "r1", "k1")]}
    assert store.referenced(RULES, _resolve, ["key"]) == {}


def test_relations_resolve_aliases_and_the_clouds_casing_and_prune_unreferenced_supporting_records() -> None:
    store = Store("azure", case_insensitive=True)
    store.put(Record("model", "a", "r1", "/Sub/M1", "m1", {"KeyId": "alias/k", "Role": "/sub/role-1"}))
    store.put(Record("key", "a", "r1", "/sub/KEY-REAL", "k", {}))
    store.put(Record("role", "a", GLOBAL, "/SUB/ROLE-1", "r", {}, keep="referenced"))
    store.put(Record("role", "a", GLOBAL, "/sub/role-unused", "u", {}, keep="referenced"))
    store.alias("ALIAS/K", "/sub/KEY-REAL")
    result = store.result(RULES, _resolve, [])
    assert [r.uid for r in result.resources] == ["/sub/KEY-REAL", "/Sub/M1", "/SUB/ROLE-1"]
    assert [(r.src, r.kind, r.dst) for r in result.relations] == [
        ("/Sub/M1", "uses_key", "/sub/KEY-REAL"),
        ("/Sub/M1", "uses_role", "/SUB/ROLE-1"),
    ]


def test_discovery_links_come_first_and_unresolvable_references_are_no_edge() -> None:
    store = Store("gcp")
    record = Record("model", "a", "r1", "m", "m", {"KeyId": "unresolvable", "Role": "r"})
    record.links.append(("in_project", "p"))
    store.put(record)
    result = store.result(RULES, _resolve, [])
    assert [(r.kind, r.dst) for r in result.relations] == [("in_project", "p"), ("uses_role", "r")]


def test_a_missing_referenced_resource_is_dangling_and_any_other_failure_blinds_it() -> None:
    store = Store("gcp")
    gone = ReadFailure("cloudkms", "cloudkms.cryptoKeys.get", "NOT_FOUND", "no such key", status=404)
    denied = ReadFailure("cloudkms", "cloudkms.cryptoKeys.get", "PERMISSION_DENIED", "denied", status=403)
    store.fail_referenced(gone, account="p", region="us", resource_type="gcp.kms.crypto_key", uid="k1")
    assert not store.failed
    store.fail_referenced(denied, account="p", region="us", resource_type="gcp.kms.crypto_key", uid="k2")
    (error,) = store.result(RULES, _resolve, []).errors
    assert (error.provider, error.service, error.operation, error.code, error.resource_uid) == (
        "gcp",
        "cloudkms",
        "cloudkms.cryptoKeys.get",
        "PERMISSION_DENIED",
        "k2",
    )


def test_a_failure_message_is_scrubbed_when_it_is_recorded() -> None:
    store = Store("azure")
    leaky = ReadFailure("Microsoft.Storage", "x/read", "BadRequest", f"bad url https://u:{AWS_KEY}@h/")
    store.fail(leaky, account="s", region=GLOBAL, resource_type="azure.storage.account")
    assert AWS_KEY not in repr(store.result((), _resolve, []).errors)


def test_claims_are_first_come() -> None:
    store = Store("gcp")
    assert store.claim("organizations/1") and not store.claim("organizations/1")


def test_scopes_name_each_account_with_the_regions_its_resources_were_found_in() -> None:
    def res(account: str, region: str) -> Resource:
        return Resource("gcp", account, region, "t", f"{account}/{region}", "n", {})

    resources = [res("p1", "us-central1-a"), res("p1", "us-central1"), res("p1", GLOBAL), res("p2", "europe-west4")]
    scopes = scopes_of("gcp", ["p1", "p2", "p3"], "me", resources, lambda r: r.rsplit("-", 1)[0] if r[-2] == "-" else r)
    assert [(s.account, s.regions) for s in scopes] == [
        ("p1", ("us-central1",)),
        ("p2", ("europe-west4",)),
        ("p3", ()),
    ]
    assert {s.identity for s in scopes} == {"me"}
