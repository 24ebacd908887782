"""The AI bill of materials of a stored scan: CycloneDX 1.6 JSON, and cspm-ai's own lineage JSON.

Every resource of every serving resource's lineage (`cspm_ai.lineage`) is in it once: models (and registry
packages) as machine-learning-model components with their model cards (version, framework, container image,
artifact source, base model, hyperparameters and training datasets where the stored configuration has them),
data stores as data components, jobs and deployments as applications, keys as cryptographic assets, the platform,
identities and networks as platform components, and the serving resources as services; the lineage edges are the
dependency graph. Values come from the stored inventory, where secrets were redacted before anything was stored,
and no environment variable or free-text description is copied.

The BOM is built with cyclonedx-python-lib, which has no model card or component data type yet: `render_bom` adds
`modelCard` and `data` to the library's JSON by bom-ref, and the tests validate the result against the CycloneDX
1.6 JSON schema the library ships.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from cspm_ai import __version__
from cspm_ai.doc import get
from cspm_ai.lineage import Lineage, LineageGraph, Node, Stage, values_at
from cspm_ai.model import Resource, ScanRecord, Status

if TYPE_CHECKING:
    from cyclonedx.model.bom import Bom

    from cspm_ai.engine import Snapshot

BOM_FORMATS: Final = ("cyclonedx-json", "json", "html")
# The file each format is written to.
BOM_FILES: Final = {"cyclonedx-json": "bom.cdx.json", "json": "lineage.json", "html": "lineage.html"}
PROPERTY: Final = "cspm-ai:"
# How a Bedrock customization type learns (CycloneDX model card approach types).
_APPROACH = {
    "FINE_TUNING": "supervised",
    "DISTILLATION": "supervised",
    "CONTINUED_PRE_TRAINING": "self-supervised",
}


@dataclass
class _Card:
    """A model card's values, gathered from a model and what produced it."""

    version: str | None = None
    task: str | None = None
    approach: str | None = None
    architecture_family: str | None = None
    architecture: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    datasets: list[str] = field(default_factory=list)

    def set(self, name: str, value: Any) -> None:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            self.properties.setdefault(name, str(value))

    def hyperparameters(self, values: Any) -> None:
        if isinstance(values, Mapping):
            for key in sorted(values):
                self.set(f"hyperparameter:{key}", values[key])

    def json(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.approach:
            params["approach"] = {"type": self.approach}
        if self.task:
            params["task"] = self.task
        if self.architecture_family:
            params["architectureFamily"] = self.architecture_family
        if self.architecture:
            params["modelArchitecture"] = self.architecture
        if self.datasets:
            params["datasets"] = [{"ref": ref} for ref in self.datasets]
        card: dict[str, Any] = {}
        if params:
            card["modelParameters"] = params
        if self.properties:
            card["properties"] = [{"name": PROPERTY + k, "value": v} for k, v in sorted(self.properties.items())]
        return card


def _first(config: Mapping[str, Any], *paths: str) -> Any:
    """The first value set at any of the dotted paths, lists descended (a model's first container's image)."""
    for path in paths:
        value = next((v for v in values_at(config, path) if v not in (None, "") and not isinstance(v, dict)), None)
        if value is not None:
            return value
    return None


def _last(value: Any) -> str | None:
    return value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) and value else None


def _card_of_model(card: _Card, r: Resource) -> None:
    """What a model's own stored configuration says of it, per cloud."""
    c = r.config
    if r.type == "aws.sagemaker.model":
        card.set("image", _first(c, "PrimaryContainer.Image", "Containers.Image"))
        card.set("source", _first(c, "PrimaryContainer.ModelDataUrl", "Containers.ModelDataUrl"))
        card.set("package", _first(c, "PrimaryContainer.ModelPackageName", "Containers.ModelPackageName"))
    elif r.type == "aws.sagemaker.model_package":
        card.version = _str(c.get("ModelPackageVersion"))
        card.task = _str(c.get("Task"))
        card.set("framework", _first(c, "InferenceSpecification.Containers.Framework"))
        card.set("framework_version", _first(c, "InferenceSpecification.Containers.FrameworkVersion"))
        card.set("image", _first(c, "InferenceSpecification.Containers.Image"))
        card.set("source", _first(c, "InferenceSpecification.Containers.ModelDataUrl"))
        card.set("approval", c.get("ModelApprovalStatus"))
        card.set("domain", c.get("Domain"))
    elif r.type in ("aws.bedrock.custom_model", "aws.bedrock.imported_model"):
        card.architecture_family = _last(c.get("baseModelArn")) or _str(c.get("baseModelName"))
        card.architecture = _str(c.get("modelArchitecture"))
        card.approach = _APPROACH.get(str(c.get("customizationType")))
        card.set("customization", c.get("customizationType"))
        card.set("source", _first(c, "modelDataSource.s3DataSource.s3Uri", "outputDataConfig.s3Uri"))
        card.hyperparameters(c.get("hyperParameters"))
    elif r.type in ("azure.ml.model_version", "azure.ml.registry_model_version"):
        card.version = _last(r.uid)
        props = c.get("properties") if isinstance(c.get("properties"), Mapping) else {}
        flavors = props.get("flavors") if isinstance(props, Mapping) else None
        if isinstance(flavors, Mapping) and flavors:
            card.set("framework", ",".join(sorted(str(k) for k in flavors)))
        card.set("model_type", get(c, "properties.modelType", None))
        card.set("source", get(c, "properties.modelUri", None))
    elif r.type == "gcp.vertex.model":
        card.version = _str(c.get("versionId"))
        card.set("image", get(c, "containerSpec.imageUri", None))
        card.set("source", c.get("artifactUri"))
        card.set("model_source", get(c, "modelSourceInfo.sourceType", None))


def _card_of_producer(card: _Card, producer: Resource) -> None:
    """What the job or pipeline that produced a model says of its training."""
    c = producer.config
    card.set("produced_by", producer.name)
    if producer.type == "aws.sagemaker.training_job":
        card.set("training_image", get(c, "AlgorithmSpecification.TrainingImage", None))
        card.set("algorithm", get(c, "AlgorithmSpecification.AlgorithmName", None))
        card.hyperparameters(c.get("HyperParameters"))
    elif producer.type == "aws.bedrock.model_customization_job":
        card.architecture_family = card.architecture_family or _last(c.get("baseModelArn"))
        card.approach = card.approach or _APPROACH.get(str(c.get("customizationType")))
        card.hyperparameters(c.get("hyperParameters"))
    elif producer.type == "gcp.vertex.tuning_job":
        card.architecture_family = card.architecture_family or _str(c.get("baseModel"))
        card.approach = card.approach or ("supervised" if "supervisedTuningSpec" in c else None)
        card.hyperparameters(get(c, "supervisedTuningSpec.hyperParameters", None))
    elif producer.type in ("gcp.vertex.training_pipeline", "gcp.vertex.custom_job"):
        card.set("training_image", _first(c, "trainingTaskInputs.workerPoolSpecs.containerSpec.imageUri"))
        card.set("training_image", _first(c, "jobSpec.workerPoolSpecs.containerSpec.imageUri"))
    elif producer.type == "azure.ml.job":
        card.set("job_type", get(c, "properties.jobType", None))
        card.set("environment", get(c, "properties.environmentId", None))


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) else None


# ----------------------------------------------------------------------------------------------- the BOM


@dataclass(frozen=True)
class Estate:
    """What the BOM is built from: the scan, its resources by uid, the lineages, and failing counts by uid."""

    scan: ScanRecord
    resources: Mapping[str, Resource]
    lineages: Sequence[Lineage]
    graph: LineageGraph
    failing: Mapping[str, int]

    def nodes(self) -> list[Node]:
        """Every node of every lineage once, in the lineages' order."""
        seen: dict[str, Node] = {}
        for lineage in self.lineages:
            for node in lineage.nodes:
                seen.setdefault(node.uid, node)
        return list(seen.values())

    def edges(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((e.src, e.dst) for lineage in self.lineages for e in lineage.edges))


def estate_of(scan: ScanRecord, snapshot: Snapshot, graph: LineageGraph, findings: Iterable[Any]) -> Estate:
    failing = Counter(f.resource_uid for f in findings if f.status == Status.FAIL and not f.muted)
    return Estate(scan, snapshot.by_uid, graph.lineages(), graph, failing)


def build_bom(
    scan: ScanRecord, snapshot: Snapshot, graph: LineageGraph, findings: Iterable[Any]
) -> tuple[Bom, dict[str, dict[str, Any]]]:
    """The CycloneDX BOM of the scan's AI estate, and the model cards and component data to add to its JSON
    (by bom-ref) that the library cannot hold."""
    return _build(estate_of(scan, snapshot, graph, findings))


def _build(estate: Estate) -> tuple[Bom, dict[str, dict[str, Any]]]:
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType

    scan = estate.scan
    subject = Component(
        type=ComponentType.PLATFORM,
        name=f"AI estate of scan {scan.id}",
        bom_ref=f"cspm-ai-scan:{scan.id}",
        version=scan.id,
        properties=_properties(
            {
                "scan": scan.id,
                "scan_status": scan.status,
                "providers": ",".join(scan.providers),
                "accounts": ",".join(sorted({s.account for s in scan.scopes})),
            }
        ),
    )
    tool = Component(type=ComponentType.APPLICATION, name="cspm-ai", version=__version__)
    bom = Bom(
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"cspm-ai:scan:{scan.id}"),
        metadata=BomMetaData(component=subject, timestamp=scan.started_at, tools=None),
    )
    bom.metadata.tools.components.add(tool)
    extras: dict[str, dict[str, Any]] = {}
    items: dict[str, Any] = {}
    for node in estate.nodes():
        item, extra = _item(node, estate)
        items[node.uid] = item
        if extra:
            extras[node.uid] = extra
        if node.stage is Stage.SERVING:
            bom.services.add(item)
        else:
            bom.components.add(item)
    for src, dst in estate.edges():
        bom.register_dependency(items[src], [items[dst]])
    roots = [items[lineage.root.uid] for lineage in estate.lineages]
    bom.register_dependency(subject, roots)
    return bom, extras


_COMPONENT_TYPES = {
    Stage.DEPLOYMENT: "application",
    Stage.MODEL: "machine-learning-model",
    Stage.PACKAGE: "machine-learning-model",
    Stage.PRODUCER: "application",
    Stage.DATA: "data",
    Stage.PLATFORM: "platform",
    Stage.CONTROL: "application",
    Stage.KEY: "cryptographic-asset",
    Stage.IDENTITY: "platform",
    Stage.NETWORK: "platform",
}
# A registry group holds model versions; it is not one.
_TYPE_OVERRIDES = {"aws.sagemaker.model_package_group": "platform"}


def _properties(values: Mapping[str, Any]) -> list[Any]:
    from cyclonedx.model import Property

    return [Property(name=PROPERTY + k, value=str(v)) for k, v in values.items() if v not in (None, "")]


def _item(node: Node, estate: Estate) -> tuple[Any, dict[str, Any]]:
    """A serving node as a service, any other as a component; what its JSON needs beyond the library's."""
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.service import Service

    props = _properties(
        {
            "uid": node.uid,
            "provider": node.provider,
            "account": node.account,
            "region": node.region,
            "type": node.type or None,
            "stage": node.stage.value,
            "collected": "false" if not node.collected else None,
            "failing_findings": estate.failing.get(node.uid, 0),
        }
    )
    name = node.name or node.uid
    if node.stage is Stage.SERVING:
        return Service(name=name, bom_ref=node.uid, group=node.account, properties=props), {}
    kind = ComponentType(_TYPE_OVERRIDES.get(node.type, _COMPONENT_TYPES[node.stage]))
    extra: dict[str, Any] = {}
    version = None
    if kind is ComponentType.MACHINE_LEARNING_MODEL:
        card = _model_card(node, estate)
        version = card.version
        if card.json():
            extra["modelCard"] = card.json()
    elif kind is ComponentType.DATA:
        extra["data"] = [{"type": "dataset", "name": name}]
    component = Component(type=kind, name=name, bom_ref=node.uid, group=node.account, version=version, properties=props)
    return component, extra


def _model_card(node: Node, estate: Estate) -> _Card:
    card = _Card()
    resource = estate.resources.get(node.uid)
    if resource is None:
        return card
    _card_of_model(card, resource)
    graph = estate.graph.graph
    producers = [u for u in graph.successors(node.uid) if estate.graph.nodes[u].stage is Stage.PRODUCER]
    # A SageMaker model's training is its registry package's: follow the package too.
    packages = [u for u in graph.successors(node.uid) if estate.graph.nodes[u].stage is Stage.PACKAGE]
    for package in packages:
        producers += [u for u in graph.successors(package) if estate.graph.nodes[u].stage is Stage.PRODUCER]
    for uid in dict.fromkeys(producers):
        producer = estate.resources.get(uid)
        if producer is not None:
            _card_of_producer(card, producer)
        card.datasets += [
            u for u in graph.successors(uid) if estate.graph.nodes[u].stage is Stage.DATA and u not in card.datasets
        ]
    return card


def render_bom(built: tuple[Bom, Mapping[str, dict[str, Any]]]) -> str:
    """The BOM as CycloneDX 1.6 JSON, with the model cards and component data added by bom-ref."""
    from cyclonedx.output.json import JsonV1Dot6

    bom, extras = built
    doc = json.loads(JsonV1Dot6(bom).output_as_string())
    for component in doc.get("components", ()):
        component.update(extras.get(component.get("bom-ref"), {}))
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def lineage_document(scan: ScanRecord, estate_lineages: Sequence[Lineage], failing: Mapping[str, int]) -> str:
    """cspm-ai's own lineage JSON: the scan, and each serving resource's nodes (with failing counts) and edges."""
    lineages = []
    for lineage in estate_lineages:
        doc = lineage.as_json()
        for node in doc["nodes"]:
            node["failing_findings"] = failing.get(node["uid"], 0)
        lineages.append(doc)
    out = {
        "format": "cspm-ai-lineage/1",
        "tool": {"name": "cspm-ai", "version": __version__},
        "scan": {"id": scan.id, "status": scan.status, "providers": list(scan.providers)},
        "lineage": lineages,
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
