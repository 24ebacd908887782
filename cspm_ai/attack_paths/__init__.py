"""Blast radius and attack paths: what each AI identity can reach, computed from one scan's stored policies.

`build(snapshot)` makes an `AttackGraph` of the three clouds from what the collectors stored (IAM policies, trust
policies, bucket and key policies; Azure role assignments and definitions, Key Vault access policies; Google IAM
bindings and BigQuery dataset access), without calling any API. The checks reach it through `ctx.attack_paths`
(built once per snapshot, when a check first asks), and `cspm-ai paths` prints its paths. Each cloud's module
says what it evaluates and what it does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cspm_ai.attack_paths import aws, azure, gcp
from cspm_ai.attack_paths.graph import (
    ENDPOINT,
    ESCALATION,
    IDENTITY,
    KEY,
    STORE,
    WORKLOAD,
    AttackGraph,
    AttackPath,
    Grant,
    Hop,
    Node,
    Reach,
)

if TYPE_CHECKING:
    from cspm_ai.engine import Snapshot

__all__ = [
    "ENDPOINT",
    "ESCALATION",
    "IDENTITY",
    "KEY",
    "STORE",
    "WORKLOAD",
    "AttackGraph",
    "AttackPath",
    "Grant",
    "Hop",
    "Node",
    "Reach",
    "build",
]


def build(snapshot: Snapshot) -> AttackGraph:
    """The attack graph of every cloud in the snapshot."""
    graph = AttackGraph()
    providers = {r.provider for r in snapshot.resources}
    for provider, module in (("aws", aws), ("azure", azure), ("gcp", gcp)):
        if provider in providers:
            module.build(snapshot, graph)
    return graph
