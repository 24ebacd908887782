"""The attack graph: principals, what they can become and what they can reach, and the paths between them.

Nodes are workloads (AI resources that run as an identity), identities (roles, managed identities, service
accounts, and the other principals policies name), and targets: inference endpoints, data stores, keys, and one
escalation node per account ("more permissions than it was given"). Edges carry the grants that make them, each
naming the policy, assignment or binding and the action, so a path reads as evidence. networkx does the search.

A workload's `runs_as` edge is followed only from where a search starts: an endpoint is a target (someone can
change it) and a workload (it runs as a role), and changing it does not hand over its role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from cspm_ai.attack_paths import labels
from cspm_ai.model import Resource

WORKLOAD, IDENTITY, ENDPOINT, STORE, KEY, ESCALATION = "workload", "identity", "endpoint", "store", "key", "escalation"
TARGET_KINDS = (ENDPOINT, STORE, KEY, ESCALATION)
# Edge kinds.
RUNS_AS, BECOMES, REACHES = "runs_as", "becomes", "reaches"
# What a grant lets an identity do to its target.
READ, WRITE, CHANGE, USE, ESCALATE, BECOME, RUN = "read", "write", "change", "use", "escalate", "become", "run as"


@dataclass(frozen=True)
class Node:
    """A principal or a resource of the graph. `kinds` holds every role the node plays (an endpoint is a target
    and a workload; an AI services account is a workload, an identity holder and an endpoint)."""

    uid: str
    label: str
    kinds: frozenset[str]
    provider: str
    account: str
    resource_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def team(self) -> tuple[str, str] | None:
        return labels.team(self.tags)

    @property
    def sensitive(self) -> tuple[str, str] | None:
        return labels.sensitive(self.tags)

    @property
    def production(self) -> bool:
        return ENDPOINT in self.kinds and labels.non_production(self.tags) is None

    def describe(self) -> str:
        shown = labels.shown_tags(self.tags)
        tagged = f" tagged {', '.join(f'{k}={v}' for k, v in shown.items())}" if shown else ""
        return f"{self.label}{tagged}"


@dataclass(frozen=True)
class Grant:
    """One reason an edge exists: what it allows (`access`), the call (`action`) and where it is written (`via`)."""

    access: str
    action: str
    via: str

    def as_dict(self) -> dict[str, str]:
        return {"access": self.access, "action": self.action, "via": self.via}


@dataclass(frozen=True)
class Hop:
    src: Node
    dst: Node
    kind: str
    grants: tuple[Grant, ...]

    def describe(self) -> str:
        if self.kind == RUNS_AS:
            return f"{self.src.describe()} runs as {self.dst.describe()}"
        first = self.grants[0]
        more = f" (and {len(self.grants) - 1} more grant(s))" if len(self.grants) > 1 else ""
        if self.kind == BECOMES:
            return f"{self.src.label}, via {first.via}, can become {self.dst.describe()} ({first.action}){more}"
        if ESCALATION in self.dst.kinds:
            return f"{self.src.label}, via {first.via}, can get {self.dst.label} ({first.action}){more}"
        return f"{self.src.label}, via {first.via}, can {first.action} on {self.dst.describe()}{more}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.src.uid,
            "to": self.dst.uid,
            "kind": self.kind,
            "grants": [g.as_dict() for g in self.grants],
        }


@dataclass(frozen=True)
class AttackPath:
    """A chain of hops from a workload or identity to what it reaches."""

    hops: tuple[Hop, ...]

    @property
    def source(self) -> Node:
        return self.hops[0].src

    @property
    def target(self) -> Node:
        return self.hops[-1].dst

    @property
    def accesses(self) -> frozenset[str]:
        """What the last hop allows on the target (read, write, change, use, escalate, become)."""
        return frozenset(g.access for g in self.hops[-1].grants)

    def describe(self) -> str:
        return "; ".join(hop.describe() for hop in self.hops) + "."

    def as_evidence(self) -> dict[str, Any]:
        """The path as JSON evidence: the sentence, and every hop with its grants."""
        return {"path": self.describe(), "hops": [hop.as_dict() for hop in self.hops]}


@dataclass
class Reach:
    """What one identity (or a workload, through the identities it runs as) can reach, by kind of target."""

    endpoints: list[AttackPath] = field(default_factory=list)
    stores: list[AttackPath] = field(default_factory=list)
    keys: list[AttackPath] = field(default_factory=list)
    escalations: list[AttackPath] = field(default_factory=list)
    identities: list[AttackPath] = field(default_factory=list)

    def all(self) -> list[AttackPath]:
        return [*self.escalations, *self.endpoints, *self.stores, *self.keys, *self.identities]


class AttackGraph:
    """The graph of one scan, with the path queries the checks and `cspm-ai paths` ask."""

    def __init__(self) -> None:
        self.graph: nx.DiGraph = nx.DiGraph()
        # Identities whose reach is not fully known (a role definition or managed policy not read, a custom role),
        # with why: a check must not PASS them on what it could not see.
        self.unknowns: dict[str, list[str]] = {}
        # Resources whose own IAM policy could not be read (Google buckets and service accounts): it may grant any
        # identity anything on them, so no identity's reach is known in full; a check must not PASS while one is.
        self.unread_policies: list[str] = []
        self._resources: dict[str, Resource] = {}
        self._moves: tuple[nx.DiGraph, nx.DiGraph] | None = None
        self._from: dict[str, list[AttackPath]] = {}
        self._hops: dict[tuple[str, str], Hop] = {}

    # -- building ------------------------------------------------------------------------------------------

    def add_node(
        self,
        uid: str,
        label: str,
        kind: str,
        *,
        provider: str,
        account: str,
        resource: Resource | None = None,
    ) -> Node:
        """Add a node, or add `kind` to the node already there (keeping its label)."""
        existing = self.graph.nodes.get(uid)
        if existing is not None:
            node: Node = existing["node"]
            if kind not in node.kinds:
                node = Node(
                    node.uid,
                    node.label,
                    node.kinds | {kind},
                    node.provider,
                    node.account,
                    node.resource_type,
                    node.tags,
                )
                existing["node"] = node
                self._hops.clear()  # paths and hops name nodes: none may keep the old one
                self._from.clear()
            return node
        tags = labels.tags_of(resource) if resource is not None else {}
        node = Node(uid, label, frozenset({kind}), provider, account, resource.type if resource else None, tags)
        self.graph.add_node(uid, node=node)
        if resource is not None:
            self._resources[uid] = resource
        return node

    def add_edge(self, src: str, dst: str, kind: str, grant: Grant) -> None:
        """Add a grant to the edge src -> dst (creating it); the same grant is kept once."""
        data = self.graph.get_edge_data(src, dst)
        if data is None:
            self.graph.add_edge(src, dst, kind=kind, grants=[grant])
        elif grant not in data["grants"]:
            data["grants"].append(grant)
        self._moves = None
        self._from.clear()
        self._hops.pop((src, dst), None)  # its grants changed; other hops keep theirs

    def unknown(self, uid: str, why: str) -> None:
        reasons = self.unknowns.setdefault(uid, [])
        if why not in reasons:
            reasons.append(why)

    # -- lookups ---------------------------------------------------------------------------------------------

    def node(self, uid: str) -> Node | None:
        data = self.graph.nodes.get(uid)
        return data["node"] if data is not None else None

    def label(self, uid: str) -> str:
        """How a node is named in messages (its uid when it is not in the graph)."""
        node = self.node(uid)
        return node.label if node is not None else uid

    def nodes(self) -> Iterable[Node]:
        return (data["node"] for _, data in self.graph.nodes(data=True))

    def resource(self, uid: str) -> Resource | None:
        return self._resources.get(uid)

    def identities_of(self, uid: str) -> list[str]:
        """The identities a workload runs as (sorted)."""
        if uid not in self.graph:
            return []
        return sorted(v for v in self.graph.successors(uid) if self.graph[uid][v]["kind"] == RUNS_AS)

    def workloads_of(self, uid: str) -> list[str]:
        """The workloads that run as an identity (sorted)."""
        if uid not in self.graph:
            return []
        return sorted(u for u in self.graph.predecessors(uid) if self.graph[u][uid]["kind"] == RUNS_AS)

    def _hop(self, src: str, dst: str) -> Hop:
        hop = self._hops.get((src, dst))
        if hop is None:  # one Hop per edge: every path through it shares it
            data = self.graph[src][dst]
            nodes = self.graph.nodes
            hop = Hop(nodes[src]["node"], nodes[dst]["node"], data["kind"], tuple(data["grants"]))
            self._hops[(src, dst)] = hop
        return hop

    def _path(self, uids: list[str]) -> AttackPath:
        return AttackPath(tuple(self._hop(a, b) for a, b in zip(uids, uids[1:], strict=False)))

    def _movement(self) -> tuple[nx.DiGraph, nx.DiGraph]:
        """The graph without runs_as edges (what an identity can do, never through a target's own role), and its
        reverse; built once after the last edge is added."""
        if self._moves is None:
            moves = nx.DiGraph()
            moves.add_nodes_from(self.graph)
            moves.add_edges_from((u, v) for u, v, kind in self.graph.edges(data="kind") if kind != RUNS_AS)
            self._moves = (moves, moves.reverse(copy=True))
        return self._moves

    # -- queries ---------------------------------------------------------------------------------------------

    def paths_from(self, uid: str) -> list[AttackPath]:
        """One shortest path to everything `uid` reaches: from a workload through the identities it runs as, from
        an identity through what it can become. Ordered by target kind, then target uid."""
        if uid not in self.graph:
            return []
        if uid in self._from:  # checks ask the reach and the unknowns of one identity, each through this
            return list(self._from[uid])
        moves = self._movement()[0]
        starts = [(i, [uid, i]) for i in self.identities_of(uid)] or [(uid, [uid])]
        best: dict[str, list[str]] = {}
        for start, prefix in starts:
            for target, route in nx.single_source_shortest_path(moves, start).items():
                full = prefix[:-1] + route
                if len(full) > 1 and (target not in best or len(full) < len(best[target])):
                    best[target] = full
        for identity, prefix in starts:
            if len(prefix) > 1:
                best.setdefault(identity, prefix)
        self._from[uid] = self._ordered(self._path(route) for route in best.values())
        return list(self._from[uid])

    def paths_to(self, uid: str) -> list[AttackPath]:
        """One shortest path from every identity and workload that reaches `uid`."""
        if uid not in self.graph:
            return []
        backwards = self._movement()[1]
        found: list[AttackPath] = []
        seen: set[str] = set()
        for origin, route in nx.single_source_shortest_path(backwards, uid).items():
            forward = list(reversed(route))
            if origin != uid:
                found.append(self._path(forward))
                seen.add(origin)
            for workload in self.workloads_of(origin):
                if workload not in seen and workload != uid:
                    found.append(self._path([workload, *forward]))
        # A workload reached only through its identity: keep its shortest path.
        shortest: dict[str, AttackPath] = {}
        for path in found:
            key = path.source.uid
            if key not in shortest or len(path.hops) < len(shortest[key].hops):
                shortest[key] = path
        return sorted(shortest.values(), key=lambda p: (len(p.hops), p.source.uid))

    def reach(self, uid: str) -> Reach:
        """What `uid` reaches, by kind of target."""
        reach = Reach()
        for path in self.paths_from(uid):
            kinds = path.target.kinds
            last = path.hops[-1].kind
            if last == RUNS_AS:
                continue
            if ESCALATION in kinds:
                reach.escalations.append(path)
            elif last == BECOMES:
                reach.identities.append(path)
            elif ENDPOINT in kinds and CHANGE in path.accesses:
                reach.endpoints.append(path)
            elif STORE in kinds:
                reach.stores.append(path)
            elif KEY in kinds:
                reach.keys.append(path)
        return reach

    def unknowns_along(self, uid: str) -> list[str]:
        """Why the reach of `uid` (and of every identity it can become) is not fully known."""
        reasons = list(self.unknowns.get(uid, ()))
        for path in self.paths_from(uid):
            for hop in path.hops:
                reasons += [r for r in self.unknowns.get(hop.dst.uid, ()) if r not in reasons]
        return reasons

    @staticmethod
    def _ordered(paths: Iterable[AttackPath]) -> list[AttackPath]:
        order = {ESCALATION: 0, ENDPOINT: 1, STORE: 2, KEY: 3, IDENTITY: 4, WORKLOAD: 5}
        return sorted(paths, key=lambda p: (min(order.get(k, 9) for k in p.target.kinds), p.target.uid, len(p.hops)))
