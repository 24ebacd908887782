"""The Azure declarations, linted the way a registry is: every child kind's parent is declared before it, every
kind pins a dated api-version and is read under the read action of its resource type, and every relation joins
types the collector stores (with one deliberate exception, named here)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import pytest

from collectors import declared_types
from collectors.azure.arm import rbac_action
from collectors.azure.specs import DIAGNOSTICS_API, KINDS, ML_API, RELATIONS, SUBSCRIPTIONS_API, ArmKind, sample_path
from collectors.kernel import Link, link

API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
SNAKE_CASE = re.compile(r"[a-z]+(_[a-z]+)*")
# The one relation to a type the collector deliberately does not collect: user-assigned managed identities are
# named on AI resources (a check reads the names), but the identities themselves are not read.
NOT_COLLECTED = frozenset({("uses_identity", "azure.managedidentity.identity")})


def kind_problems(kinds: Sequence[ArmKind]) -> Iterator[str]:
    order = {kind.type: i for i, kind in enumerate(kinds)}
    for i, kind in enumerate(kinds):
        if kind.parent is not None and order.get(kind.parent, len(kinds)) >= i:
            yield f"{kind.type}: parent {kind.parent} is not declared before it"
        if not API_VERSION.fullmatch(kind.api_version):
            yield f"{kind.type}: api-version {kind.api_version!r} is not YYYY-MM-DD(-preview)"
        if kind.parent is None or kind.parent in order:  # a missing parent has no path to sample
            yield from _action_problems(kind)


def _collection(kind: ArmKind) -> str:
    """The resource type segment a kind is read at: the last of its path, or the one before an instance name."""
    segments = kind.path.rstrip("/").split("/")
    return segments[-2] if segments[-1].startswith("{") else segments[-1]


def _action_problems(kind: ArmKind) -> Iterator[str]:
    """Its sample path is a provider resource path, every placeholder filled, read under `<namespace>/.../<its
    collection>/read`: the action the shipped role grants for it."""
    path = sample_path(kind)
    action = rbac_action(path)
    read = re.compile(rf"Microsoft\.[A-Za-z]+(/[A-Za-z]+)*/{re.escape(_collection(kind))}/read")
    if "{" in path or "}" in path or "/providers/" not in path or not read.fullmatch(action):
        yield f"{kind.type}: read at {path}, under {action}, which is not a read of its resource type"


def relation_problems(relations: Iterable[Link], stored: frozenset[str]) -> Iterator[str]:
    for rule in relations:
        if not SNAKE_CASE.fullmatch(rule.kind):
            yield f"{rule.kind}: the relation kind is not snake_case"
        if rule.target not in stored and (rule.kind, rule.target) not in NOT_COLLECTED:
            yield f"{rule.kind}: target {rule.target} is not a type the collector stores"
        for source in sorted(rule.sources - stored):
            yield f"{rule.kind}: source {source} is not a type the collector stores"


def problems(kinds: Sequence[ArmKind], relations: Iterable[Link]) -> list[str]:
    return [*kind_problems(kinds), *relation_problems(relations, declared_types("azure"))]


def test_every_azure_declaration_is_well_formed() -> None:
    assert KINDS and RELATIONS
    assert problems(KINDS, RELATIONS) == []
    # The api-versions read outside the kinds: subscriptions, diagnostic settings, the ML family.
    assert [v for v in (SUBSCRIPTIONS_API, DIAGNOSTICS_API, ML_API) if not API_VERSION.fullmatch(v)] == []


def test_the_exception_is_exactly_the_relations_to_what_is_not_collected() -> None:
    stored = declared_types("azure")
    outside = {(rule.kind, rule.target) for rule in RELATIONS if rule.target not in stored}
    # Once managed identities are collected (or the relation goes), the exception goes too.
    assert outside == NOT_COLLECTED == {("uses_identity", "azure.managedidentity.identity")}


def test_a_kind_listed_per_resource_group_names_the_types_whose_groups_it_reads() -> None:
    path = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Resources/deployments"
    with pytest.raises(ValueError, match="names the types whose groups it reads"):
        ArmKind("azure.resources.deployment", path, "2025-04-01", fetch="group")
    with pytest.raises(ValueError, match="names the types whose groups it reads"):
        ArmKind("azure.resources.deployment", path, "2025-04-01", groups_of=("azure.ml.workspace",))
    assert [k.type for k in KINDS if k.fetch == "group"] == ["azure.resources.deployment"]


# A fixed name where the key's name belongs: the path ends in an instance, not in the type it reads.
KEY_BY_NAME = "/subscriptions/{subscription}/providers/Microsoft.KeyVault/vaults/{vault}/keys/fixed-name"


def test_the_lint_finds_each_kind_of_mistake() -> None:
    workspace = ArmKind("azure.ml.workspace", "/subscriptions/{subscription}/providers/Microsoft.X/workspaces", "v1")
    kinds = (
        ArmKind("azure.ml.compute", "{parent}/computes", "2025-06-01", "azure.ml.workspace", "in_workspace"),
        workspace,
        ArmKind("azure.ml.orphan", "{parent}/orphans", "2025-06-01-beta", "azure.ml.missing", "in_missing"),
        ArmKind("azure.broken.path", "/subscriptions/{subscription}/resourceGroups", "2024-01-01"),
        ArmKind("azure.keyvault.key", KEY_BY_NAME, "2023-07-01", fetch="referenced"),
    )
    relations = (
        link("inWorkspace", "azure.ml.workspace", {"azure.ml.workspace"}, paths=("id",)),
        link("uses_thing", "azure.nothing.stored", {"azure.ml.not_a_kind"}, paths=("id",)),
        link("in_identity", "azure.managedidentity.identity", {"azure.ml.workspace"}, paths=("id",)),
    )
    assert problems(kinds, relations) == [
        "azure.ml.compute: parent azure.ml.workspace is not declared before it",
        "azure.ml.workspace: api-version 'v1' is not YYYY-MM-DD(-preview)",
        "azure.ml.orphan: parent azure.ml.missing is not declared before it",
        "azure.ml.orphan: api-version '2025-06-01-beta' is not YYYY-MM-DD(-preview)",
        "azure.broken.path: read at /subscriptions/s/resourceGroups, "
        "under Microsoft.Resources/subscriptions/resourceGroups/read, which is not a read of its resource type",
        "azure.keyvault.key: read at /subscriptions/s/providers/Microsoft.KeyVault/vaults/x/keys/fixed-name, "
        "under Microsoft.KeyVault/vaults/keys/read, which is not a read of its resource type",
        "inWorkspace: the relation kind is not snake_case",
        "uses_thing: target azure.nothing.stored is not a type the collector stores",
        "uses_thing: source azure.ml.not_a_kind is not a type the collector stores",
        "in_identity: target azure.managedidentity.identity is not a type the collector stores",
    ]
