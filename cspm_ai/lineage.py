"""Lineage of AI serving resources, walked over one scan's stored resources and relations.

For each serving resource (an endpoint, a provisioned throughput, an agent, an Azure OpenAI account) the lineage is
what it is made of: the deployments and models it serves, their registry packages, the job or pipeline that
produced them, the data stores those read and wrote, and the keys, identities and networks of each. It is a walk
over the relation kinds each cloud declares below as `Step`s, on the relations the collectors stored.

Two kinds of link are used. A reference one configuration makes by id (a model's training pipeline, a custom
model's customization job) is a collected relation, declared in the provider's `RELATIONS`
(`collectors/<cloud>/specs.py`), stored with the scan and seen by the checks. A link only two configurations show
together (a SageMaker model whose artifact lies under a training job's output, a training pipeline naming its
Vertex AI dataset by bare id) is a `Join` declared here and made at lineage time from the stored configuration, so
no API call and no stored relation is added for it.

Nothing here reads a cloud or the database: it is a pure function of a `Snapshot`, and the same estate gives the
same lineage, in the same order, every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

import networkx as nx

from cspm_ai.model import AffectedResource, Finding, Relation, Resource


class Stage(StrEnum):
    """What a resource is in a lineage; the drawing's columns, left to right, in this order."""

    SERVING = "serving"
    DEPLOYMENT = "deployment"
    MODEL = "model"
    PACKAGE = "package"
    PRODUCER = "producer"
    DATA = "data"
    PLATFORM = "platform"
    CONTROL = "control"
    KEY = "key"
    IDENTITY = "identity"
    NETWORK = "network"


STAGE_TITLES: Mapping[Stage, str] = {
    Stage.SERVING: "Serving",
    Stage.DEPLOYMENT: "Deployments",
    Stage.MODEL: "Models",
    Stage.PACKAGE: "Registry packages",
    Stage.PRODUCER: "Produced by",
    Stage.DATA: "Data stores",
    Stage.PLATFORM: "Platform",
    Stage.CONTROL: "Guardrails and tools",
    Stage.KEY: "Keys",
    Stage.IDENTITY: "Identities",
    Stage.NETWORK: "Networks",
}

# Resource types of AI services: what findings on supporting resources name as affected.
AI_TYPE_PREFIXES = (
    "aws.sagemaker.",
    "aws.bedrock.",
    "aws.agentcore.",
    "azure.ml.",
    "azure.cognitive.",
    "azure.search.",
    "gcp.vertex.",
    "gcp.notebooks.",
)
# Account-level resources (the account, subscription, project) are the scope, not something AI resources use.
SCOPE_TYPES = frozenset({"aws.account", "azure.subscription", "gcp.project"})


def is_ai(resource_type: str) -> bool:
    return resource_type.startswith(AI_TYPE_PREFIXES)


@dataclass(frozen=True)
class Step:
    """One relation kind a lineage walk follows: from a source of `sources` (None: any type) along a `kind`
    relation, or against it when `reverse` (an endpoint to the deployments that name it), to a resource of
    `targets` (None: any). A target the scan did not collect is drawn in `stage`."""

    kind: str
    stage: Stage
    reverse: bool = False
    sources: frozenset[str] | None = None
    targets: frozenset[str] | None = None


@dataclass(frozen=True)
class Join:
    """A link made at lineage time: a source of `sources` whose value at one of `source_paths` equals (or, with
    `match` "prefix", lies under, at a "/" boundary) a `target` resource's value at one of `target_paths`, that
    value passed through `target_value` when given. `same_location` keeps only targets of the source's account
    and region (a bare id is unique only there)."""

    kind: str
    sources: frozenset[str]
    source_paths: tuple[str, ...]
    target: str
    target_paths: tuple[str, ...]
    match: Literal["equal", "prefix"] = "equal"
    same_location: bool = False
    target_value: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Cloud:
    """A provider's lineage declarations: the stage of each resource type, and the steps and joins walked."""

    provider: str
    stages: Mapping[str, Stage]
    steps: tuple[Step, ...]
    joins: tuple[Join, ...] = ()

    @property
    def serving(self) -> frozenset[str]:
        return frozenset(t for t, stage in self.stages.items() if stage is Stage.SERVING)


def _types(stage: Stage, *types: str) -> dict[str, Stage]:
    return dict.fromkeys(types, stage)


def _last_segment(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------------------------- AWS

_SM = "aws.sagemaker."
_AWS_ENDPOINTS = frozenset({"aws.sagemaker.endpoint"})

AWS = Cloud(
    provider="aws",
    stages={
        **_types(
            Stage.SERVING,
            "aws.sagemaker.endpoint",
            "aws.bedrock.provisioned_throughput",
            "aws.bedrock.agent",
            "aws.agentcore.runtime",
        ),
        **_types(Stage.DEPLOYMENT, "aws.sagemaker.endpoint_config"),
        **_types(Stage.MODEL, "aws.sagemaker.model", "aws.bedrock.custom_model", "aws.bedrock.imported_model"),
        **_types(Stage.PACKAGE, "aws.sagemaker.model_package", "aws.sagemaker.model_package_group"),
        **_types(
            Stage.PRODUCER,
            "aws.sagemaker.training_job",
            "aws.sagemaker.processing_job",
            "aws.bedrock.model_customization_job",
        ),
        **_types(
            Stage.DATA, "aws.s3.bucket", "aws.rds.cluster", "aws.bedrock.knowledge_base", "aws.sagemaker.feature_group"
        ),
        **_types(Stage.CONTROL, "aws.bedrock.guardrail", "aws.lambda.function"),
        **_types(Stage.KEY, "aws.kms.key"),
        **_types(Stage.IDENTITY, "aws.iam.role"),
        **_types(Stage.NETWORK, "aws.ec2.subnet", "aws.ec2.security_group", "aws.ec2.vpc"),
    },
    steps=(
        Step("uses_endpoint_config", Stage.DEPLOYMENT),
        Step("uses_model", Stage.MODEL, sources=frozenset({"aws.sagemaker.endpoint_config"})),
        Step("from_model_package", Stage.PACKAGE),
        Step("in_model_package_group", Stage.PACKAGE),
        Step("serves_model", Stage.MODEL),
        Step("produced_by", Stage.PRODUCER),
        Step("trained_by", Stage.PRODUCER),
        Step("uses_bucket", Stage.DATA),
        Step("stores_vectors_in", Stage.DATA),
        Step("uses_guardrail", Stage.CONTROL),
        Step("invokes_function", Stage.CONTROL),
        Step("encrypted_by", Stage.KEY),
        Step("uses_role", Stage.IDENTITY),
        Step("in_subnet", Stage.NETWORK),
        Step("in_security_group", Stage.NETWORK),
        Step("in_vpc", Stage.NETWORK),
    ),
    joins=(
        # A model (or registry package) whose artifact is what a training job wrote: SageMaker records the
        # training job of a model nowhere else (ModelArtifacts.S3ModelArtifacts is the job's model.tar.gz, or
        # the prefix of an uncompressed model).
        Join(
            "trained_by",
            frozenset({_SM + "model", _SM + "model_package"}),
            (
                "PrimaryContainer.ModelDataUrl",
                "PrimaryContainer.ModelDataSource.S3DataSource.S3Uri",
                "Containers.ModelDataUrl",
                "Containers.ModelDataSource.S3DataSource.S3Uri",
                "InferenceSpecification.Containers.ModelDataUrl",
                "InferenceSpecification.Containers.ModelDataSource.S3DataSource.S3Uri",
            ),
            _SM + "training_job",
            ("ModelArtifacts.S3ModelArtifacts",),
            match="prefix",
        ),
    ),
)

# --------------------------------------------------------------------------------------------- Azure

_ML = "azure.ml."
_AZURE_ENDPOINTS = frozenset({_ML + "online_endpoint", _ML + "batch_endpoint"})

AZURE = Cloud(
    provider="azure",
    stages={
        **_types(Stage.SERVING, _ML + "online_endpoint", _ML + "batch_endpoint", "azure.cognitive.account"),
        **_types(Stage.DEPLOYMENT, _ML + "online_deployment", _ML + "batch_deployment", "azure.cognitive.deployment"),
        **_types(Stage.MODEL, _ML + "model_version", _ML + "registry_model_version"),
        **_types(Stage.PRODUCER, _ML + "job"),
        **_types(Stage.DATA, "azure.storage.account", _ML + "datastore", "azure.search.service"),
        **_types(
            Stage.PLATFORM,
            _ML + "workspace",
            _ML + "compute",
            _ML + "registry",
            "azure.containerregistry.registry",
        ),
        **_types(Stage.CONTROL, "azure.cognitive.rai_policy"),
        **_types(Stage.KEY, "azure.keyvault.key", "azure.keyvault.vault"),
        **_types(Stage.IDENTITY, "azure.managedidentity.identity"),
    },
    steps=(
        # An endpoint's deployments name it (in_endpoint); an AI services account's deployments name it (in_account).
        Step("in_endpoint", Stage.DEPLOYMENT, reverse=True, sources=_AZURE_ENDPOINTS),
        Step(
            "in_account",
            Stage.DEPLOYMENT,
            reverse=True,
            sources=frozenset({"azure.cognitive.account"}),
            targets=frozenset({"azure.cognitive.deployment"}),
        ),
        Step("uses_model", Stage.MODEL),
        Step("produced_by", Stage.PRODUCER),
        Step("reads_data", Stage.DATA),
        Step("uses_storage", Stage.DATA),
        Step("runs_on", Stage.PLATFORM),
        Step("in_workspace", Stage.PLATFORM),
        Step("in_hub", Stage.PLATFORM),
        Step("uses_container_registry", Stage.PLATFORM),
        Step("uses_rai_policy", Stage.CONTROL),
        Step("uses_key_vault", Stage.KEY),
        Step("encrypted_by", Stage.KEY),
        Step("uses_identity", Stage.IDENTITY),
    ),
)

# ---------------------------------------------------------------------------------------- Google Cloud

_VX = "gcp.vertex."

GCP = Cloud(
    provider="gcp",
    stages={
        **_types(Stage.SERVING, _VX + "endpoint", _VX + "reasoning_engine", _VX + "index_endpoint"),
        **_types(Stage.MODEL, _VX + "model"),
        **_types(Stage.PRODUCER, _VX + "training_pipeline", _VX + "custom_job", _VX + "tuning_job"),
        **_types(Stage.DATA, "gcp.storage.bucket", "gcp.bigquery.dataset", _VX + "dataset", _VX + "featurestore"),
        **_types(Stage.KEY, "gcp.kms.crypto_key"),
        **_types(Stage.IDENTITY, "gcp.iam.service_account"),
        **_types(Stage.NETWORK, "gcp.compute.network"),
    },
    steps=(
        Step("serves_model", Stage.MODEL),
        Step("copied_from", Stage.MODEL),
        Step("produced_by", Stage.PRODUCER),
        Step("trained_by", Stage.PRODUCER),
        # A tuning job names the model it produced: walked from the model back to the job.
        Step("produces_model", Stage.PRODUCER, reverse=True, sources=frozenset({_VX + "model"})),
        Step("trains_on", Stage.DATA),
        Step("uses_bucket", Stage.DATA),
        Step("uses_dataset", Stage.DATA),
        Step("encrypted_by", Stage.KEY),
        Step("uses_service_account", Stage.IDENTITY),
        Step("in_network", Stage.NETWORK),
    ),
    joins=(
        # A training pipeline names its Vertex AI dataset by bare id, unique in its project and location.
        Join(
            "trains_on",
            frozenset({_VX + "training_pipeline"}),
            ("inputDataConfig.datasetId",),
            _VX + "dataset",
            ("name",),
            same_location=True,
            target_value=_last_segment,
        ),
        # A model uploaded from what a custom job or training pipeline wrote under its output directory.
        Join(
            "trained_by",
            frozenset({_VX + "model"}),
            ("artifactUri",),
            _VX + "custom_job",
            ("jobSpec.baseOutputDirectory.outputUriPrefix",),
            match="prefix",
        ),
        Join(
            "trained_by",
            frozenset({_VX + "model"}),
            ("artifactUri",),
            _VX + "training_pipeline",
            ("trainingTaskInputs.baseOutputDirectory.outputUriPrefix",),
            match="prefix",
        ),
    ),
)

CLOUDS: Mapping[str, Cloud] = {cloud.provider: cloud for cloud in (AWS, AZURE, GCP)}


def stage_of(resource_type: str, provider: str | None = None) -> Stage | None:
    """The lineage stage of a resource type (None: it takes no part in lineage)."""
    providers = [CLOUDS[provider]] if provider is not None and provider in CLOUDS else list(CLOUDS.values())
    for cloud in providers:
        stage = cloud.stages.get(resource_type)
        if stage is not None:
            return stage
    return None


# ------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Node:
    """One resource in a lineage. `collected` is false for a uid a relation names that the scan did not store
    (a bucket deleted since, a key in another account): drawn, but with nothing known of it."""

    uid: str
    type: str
    name: str
    provider: str
    account: str
    region: str
    stage: Stage
    collected: bool = True


@dataclass(frozen=True)
class Edge:
    src: str
    kind: str
    dst: str


@dataclass(frozen=True)
class Lineage:
    """One serving resource (`root`) and everything it is made of, nodes in stage order, edges in walk order."""

    root: Node
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "root": self.root.uid,
            "provider": self.root.provider,
            "account": self.root.account,
            "region": self.root.region,
            "type": self.root.type,
            "name": self.root.name,
            "nodes": [_node_json(n) for n in self.nodes],
            "edges": [{"src": e.src, "kind": e.kind, "dst": e.dst} for e in self.edges],
        }


def _node_json(node: Node) -> dict[str, Any]:
    return {
        "uid": node.uid,
        "type": node.type,
        "name": node.name,
        "provider": node.provider,
        "account": node.account,
        "region": node.region,
        "stage": node.stage.value,
        "collected": node.collected,
    }


# ----------------------------------------------------------------------------------------------- joins


def _strings(doc: Mapping[str, Any], paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        for value in values_at(doc, path):
            if isinstance(value, str) and value:
                yield value


def values_at(doc: Any, path: str) -> list[Any]:
    """Every value at a dotted path, descending into lists on the way."""
    nodes: list[Any] = [doc]
    for part in path.split("."):
        found: list[Any] = []
        for node in nodes:
            for item in node if isinstance(node, list) else [node]:
                if isinstance(item, dict) and part in item:
                    found.append(item[part])
        nodes = found
    return [v for n in nodes for v in (n if isinstance(n, list) else [n])]


def _prefixes(value: str) -> Iterator[str]:
    """The value without a trailing "/", and each of its prefixes that ends before a "/"."""
    yield value.rstrip("/")
    for match in re.finditer("/", value):
        if match.start():
            yield value[: match.start()]


def joined(join: Join, resources: Sequence[Resource]) -> list[Relation]:
    """The relations one join makes among `resources`, each once, in resource order."""
    index: dict[tuple[str, ...], list[str]] = {}
    for target in resources:
        if target.type != join.target:
            continue
        for value in _strings(target.config, join.target_paths):
            key = join.target_value(value) if join.target_value else value
            if join.match == "prefix":
                key = key.rstrip("/")
            where = (target.account, target.region) if join.same_location else ()
            index.setdefault((*where, key), []).append(target.uid)
    if not index:
        return []
    found: dict[Relation, None] = {}
    for source in resources:
        if source.type not in join.sources:
            continue
        where = (source.account, source.region) if join.same_location else ()
        for value in _strings(source.config, join.source_paths):
            keys = _prefixes(value) if join.match == "prefix" else (value,)
            for key in keys:
                for uid in index.get((*where, key), ()):
                    if uid != source.uid:
                        found[Relation(source.uid, join.kind, uid)] = None
    return list(found)


def derived_relations(resources: Sequence[Resource]) -> list[Relation]:
    """Every relation the clouds' joins make among a scan's resources."""
    by_provider: dict[str, list[Resource]] = {}
    for r in resources:
        by_provider.setdefault(r.provider, []).append(r)
    out: list[Relation] = []
    for provider, members in by_provider.items():
        cloud = CLOUDS.get(provider)
        for join in cloud.joins if cloud else ():
            out.extend(joined(join, members))
    return out


# ----------------------------------------------------------------------------------------------- graph


@dataclass
class LineageGraph:
    """The estate's lineage edges (each relation a declared step follows, oriented the way the walk goes) and
    its nodes, built once per scan; `of(root)` and `affected()` read it."""

    graph: nx.DiGraph
    nodes: dict[str, Node]
    roots: list[str] = field(default_factory=list)

    def of(self, root: str) -> Lineage:
        """The lineage of one serving resource: everything the walk reaches from it."""
        reached = nx.descendants(self.graph, root) | {root}
        nodes = sorted((self.nodes[u] for u in reached), key=_node_order)
        edges = sorted(
            (
                Edge(src, kind, dst)
                for src, dst, kinds in self.graph.subgraph(reached).edges(data="kinds")
                for kind in kinds
            ),
            key=lambda e: (_node_order(self.nodes[e.src]), e.kind, _node_order(self.nodes[e.dst])),
        )
        return Lineage(self.nodes[root], tuple(nodes), tuple(edges))

    def lineages(self) -> list[Lineage]:
        """The lineage of every serving resource of the scan, in (provider, account, type, name) order."""
        return [self.of(root) for root in self.roots]

    def affected(self) -> dict[str, tuple[AffectedResource, ...]]:
        """For each supporting resource (a role, key, bucket, network; not an AI resource, account or project)
        some AI resource reaches, the AI resources that reach it: serving ones first."""
        found: dict[str, set[str]] = {}
        for uid, node in self.nodes.items():
            if not (node.collected and is_ai(node.type)):
                continue
            for reached in nx.descendants(self.graph, uid):
                found.setdefault(reached, set()).add(uid)
        return {
            uid: tuple(
                AffectedResource(uid=u, type=self.nodes[u].type, name=self.nodes[u].name)
                for u in sorted(users, key=lambda u: _affected_order(self.nodes[u]))
            )
            for uid, users in found.items()
            if not is_ai(self.nodes[uid].type) and self.nodes[uid].type not in SCOPE_TYPES
        }

    def with_affects(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings, each on a supporting resource naming the AI resources it affects. Worked out from the
        scan's relations whenever a report is built, so a stored scan's reports carry it too."""
        affected = self.affected()
        return [replace(f, affects=affected[f.resource_uid]) if f.resource_uid in affected else f for f in findings]


def _node_order(node: Node) -> tuple[int, str, str, str]:
    return (list(Stage).index(node.stage), node.type, node.name.lower(), node.uid)


def _affected_order(node: Node) -> tuple[int, str, str, str]:
    return (0 if node.stage is Stage.SERVING else 1, node.type, node.name.lower(), node.uid)


def _missing_node(uid: str, stage: Stage, near: Node) -> Node:
    """A uid a relation names that the scan did not collect, placed where its referrer is."""
    name = re.split(r"[/:]", uid.rstrip("/"))[-1] or uid
    return Node(uid, "", name, near.provider, near.account, near.region, stage, collected=False)


def _resource_node(r: Resource) -> Node:
    stage = stage_of(r.type, r.provider) or Stage.PLATFORM
    return Node(r.uid, r.type, r.name, r.provider, r.account, r.region, stage)


def _applies(step: Step, src: Resource, dst: Resource | None) -> bool:
    if step.sources is not None and src.type not in step.sources:
        return False
    if step.targets is not None and (dst is None or dst.type not in step.targets):
        return False
    return True


def _step_table() -> dict[tuple[str, str], list[Step]]:
    steps: dict[tuple[str, str], list[Step]] = {}
    for cloud in CLOUDS.values():
        for step in cloud.steps:
            steps.setdefault((cloud.provider, step.kind), []).append(step)
    return steps


def build_graph(resources: Sequence[Resource], relations: Iterable[Relation]) -> LineageGraph:
    """The estate's lineage graph: stored relations and the joins' derived ones, along the declared steps."""
    by_uid = {r.uid: r for r in resources}
    steps = _step_table()
    lineage = LineageGraph(nx.DiGraph(), {})
    for rel in [*relations, *derived_relations(resources)]:
        src = by_uid.get(rel.src)
        if src is None or rel.src == rel.dst:
            continue
        dst = by_uid.get(rel.dst)
        for step in steps.get((src.provider, rel.kind), ()):
            origin, target, target_uid = (dst, src, rel.src) if step.reverse else (src, dst, rel.dst)
            if origin is not None and _applies(step, origin, target):
                _add_edge(lineage, origin, target, target_uid, rel.kind, step.stage)
    roots = [r for r in resources if r.provider in CLOUDS and r.type in CLOUDS[r.provider].serving]
    for r in roots:
        if r.uid not in lineage.nodes:
            lineage.nodes[r.uid] = _resource_node(r)
            lineage.graph.add_node(r.uid)
    roots.sort(key=lambda r: (r.provider, r.account, r.type, r.name.lower(), r.uid))
    lineage.roots = [r.uid for r in roots]
    return lineage


def _add_edge(
    lineage: LineageGraph, origin: Resource, target: Resource | None, target_uid: str, kind: str, stage: Stage
) -> None:
    nodes, graph = lineage.nodes, lineage.graph
    if origin.uid not in nodes:
        nodes[origin.uid] = _resource_node(origin)
    if target_uid not in nodes:
        nodes[target_uid] = (
            _resource_node(target) if target is not None else _missing_node(target_uid, stage, nodes[origin.uid])
        )
    if graph.has_edge(origin.uid, target_uid):
        graph.edges[origin.uid, target_uid]["kinds"].append(kind)
    else:
        graph.add_edge(origin.uid, target_uid, kinds=[kind])


def lineage_graph(snapshot: Any) -> LineageGraph:
    """`build_graph` of a `cspm_ai.engine.Snapshot` (or anything with `resources` and `relations`)."""
    return build_graph(snapshot.resources, snapshot.relations)


def short_id(uid: str, name: str) -> str | None:
    """The id at the end of a uid, to show beside a human name that differs from it (a security group's name with
    its sg- id, a Vertex AI endpoint's display name with its number); None when the name already is the id."""
    tail = re.split(r"[/:]", uid.rstrip("/"))[-1]
    return tail if tail and tail not in name else None
