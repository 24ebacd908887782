"""ZT-4 verdicts from the scan's attack graph (`ctx.attack_paths`), the same on the three clouds.

An AI identity's blast radius FAILs when a path (through every identity it can become) leads to a production
inference endpoint it can change, to another team's data store or key, or to more permissions than it was given.
"Another team's" is decided by team or owner tags (`cspm_ai.attack_paths.labels`): a target whose team differs from
the identity's; when the identity's team is unknown (no tag on it, the workloads running as it or its account),
reaching the stores or keys of two or more teams fails, since at least one of them is not its own. An identity whose
reach is not fully known (a custom role or a role definition not read) and that reaches nothing of the above is
MANUAL, never PASS.

An internet-reachable workload FAILs (critical) when its identity reaches a data store classified as sensitive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cspm_ai.attack_paths import AttackGraph, AttackPath
from cspm_ai.attack_paths import labels as tag_labels
from cspm_ai.attack_paths.graph import READ, STORE, WRITE
from cspm_ai.model import Resource, Status, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext

MAX_PATHS = 10  # paths kept as evidence; the CLI (`cspm-ai paths --from`) lists every one


def _text(path: AttackPath) -> str:
    """The path as one line (names and tags may carry anything)."""
    return " ".join(path.describe().split())


def identity_team(graph: AttackGraph, uid: str, fallback: Mapping[str, str] | None = None) -> str | None:
    """The team an identity belongs to: its own team tag, else the one team of the workloads that run as it, else
    the team tag of its account (project labels, subscription tags)."""
    node = graph.node(uid)
    if node is not None and node.team is not None:
        return node.team[1]
    teams = {n.team[1].lower() for w in graph.workloads_of(uid) if (n := graph.node(w)) and n.team}
    if len(teams) == 1:
        return teams.pop()
    found = tag_labels.team(fallback or {})
    return found[1] if found else None


def _other_teams(paths: list[AttackPath], team: str | None) -> list[AttackPath]:
    owned = [p for p in paths if p.target.team is not None]
    if team is not None:
        return [p for p in owned if p.target.team and p.target.team[1].lower() != team.lower()]
    teams = {p.target.team[1].lower() for p in owned if p.target.team}
    return owned if len(teams) > 1 else []


def blast_radius(graph: AttackGraph, uid: str, team: str | None) -> tuple[list[AttackPath], dict[str, Any]]:
    """The paths a compromise of `uid` must not have (escalation, production endpoints, other teams' stores and
    keys), and the evidence: every kind of reach counted, the failing paths in full."""
    reach = graph.reach(uid)
    bad = [
        *reach.escalations,
        *(p for p in reach.endpoints if p.target.production),
        *_other_teams(reach.stores + reach.keys, team),
    ]
    evidence: dict[str, Any] = {
        "identity_team": team,
        "can_become": [p.target.label for p in reach.identities],
        "can_escalate": len(reach.escalations),
        "production_endpoints_it_can_change": sorted({p.target.label for p in reach.endpoints if p.target.production}),
        "data_stores": sorted({p.target.describe() for p in reach.stores}),
        "keys": sorted({p.target.describe() for p in reach.keys}),
        "paths": [p.as_evidence() for p in bad[:MAX_PATHS]],
    }
    return bad, evidence


def unless_unread(ctx: CheckContext, verdict: Verdict) -> Verdict:
    """`verdict`, unless it is not a FAIL and a resource policy could not be read (`AttackGraph.unread_policies`):
    that policy may grant anything, so the check is ERROR naming the failed read (`ctx.get` raises it). A FAIL
    stands: its path exists whatever else is granted."""
    if verdict.status is not Status.FAIL:
        for uid in ctx.attack_paths.unread_policies:
            ctx.get(uid)
    return verdict


def judge_identity(graph: AttackGraph, uid: str, subject: str, team: str | None) -> Verdict:
    """The ZT-4 verdict on one identity, `subject` naming it in the message."""
    bad, evidence = blast_radius(graph, uid, team)
    if bad:
        more = f" ({len(bad)} such path(s) in all)" if len(bad) > 1 else ""
        return failed(f"{subject} has a path a compromise must not have{more}: {_text(bad[0])}", **evidence)
    unknown = graph.unknowns_along(uid)
    if unknown:
        evidence["not_known"] = unknown
        return manual(
            f"{subject} reaches no production endpoint, other team's data or escalation in what was read, but "
            f"{unknown[0]}; review it by hand.",
            **evidence,
        )
    stores = len(evidence["data_stores"]) + len(evidence["keys"])
    within = f", all within team {team}" if team and stores else ""
    return passed(
        f"{subject} can change no production endpoint, reach no other team's data store or key and cannot raise "
        f"its own permissions ({stores} data store(s) and key(s) reached{within}).",
        **evidence,
    )


def judge_workload(graph: AttackGraph, resource: Resource, fallback: Mapping[str, str] | None = None) -> Verdict:
    """The ZT-4 verdict on a workload: the worst over the identities it runs as."""
    identities = graph.identities_of(resource.uid)
    if not identities:
        return passed(f"{resource.name} runs as no identity: a compromise of it holds no permissions.", identities=[])
    verdicts = []
    for uid in identities:
        node = graph.node(uid)
        label = node.label if node else uid
        verdicts.append(
            judge_identity(graph, uid, f"{resource.name}, running as {label},", identity_team(graph, uid, fallback))
        )
    for status in ("FAIL", "MANUAL"):
        for verdict in verdicts:
            if verdict.status.value == status:
                return verdict
    return verdicts[0]


def sensitive_paths(graph: AttackGraph, uid: str) -> list[AttackPath]:
    """Paths from a workload to data stores classified as sensitive that it can read or write."""
    return [
        p
        for p in graph.paths_from(uid)
        if STORE in p.target.kinds and p.target.sensitive is not None and p.accesses & {READ, WRITE}
    ]


def judge_exposed(graph: AttackGraph, resource: Resource, exposure: Mapping[str, Any] | None) -> Verdict:
    """The critical ZT-4 verdict: an internet-reachable workload (`exposure`: the settings that make it so, None
    when it is not) whose identity reaches sensitive data."""
    if exposure is None:
        return passed(f"{resource.name} is not reachable from the internet.", exposure=None)
    paths = sensitive_paths(graph, resource.uid)
    evidence: dict[str, Any] = {
        "exposure": dict(exposure),
        "identities": [graph.label(i) for i in graph.identities_of(resource.uid)],
        "paths": [p.as_evidence() for p in paths[:MAX_PATHS]],
    }
    setting = ", ".join(f"{k} {v}" for k, v in exposure.items())
    if paths:
        return failed(
            f"{resource.name} is reachable from the internet ({setting}) and its identity reaches sensitive data: "
            f"{_text(paths[0])}",
            **evidence,
        )
    unknown = [r for i in graph.identities_of(resource.uid) for r in graph.unknowns_along(i)]
    if unknown:
        evidence["not_known"] = unknown
        return manual(
            f"{resource.name} is reachable from the internet ({setting}) and reaches no sensitive data in what was "
            f"read, but {unknown[0]}; review it by hand.",
            **evidence,
        )
    return passed(
        f"{resource.name} is reachable from the internet ({setting}), but its identity reaches no data store "
        "classified as sensitive.",
        **evidence,
    )
