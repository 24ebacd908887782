"""The Google Cloud declarations, linted the way a registry is: every read is a real method of its generated
client or a REST read with a path and an items key, every declared read is one the role is derived from, every
Vertex AI kind is an aiplatform asset type, and every relation joins types the collector stores."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator

import collectors.gcp.specs as specs
from collectors import declared_types
from collectors.gcp.api import _MODULES
from collectors.gcp.specs import READS, RELATIONS, VERTEX_KINDS, Read, VertexKind
from collectors.kernel import Link, link

SNAKE_CASE = re.compile(r"[a-z]+(_[a-z]+)*")
VERTEX_ASSET = re.compile(r"aiplatform\.googleapis\.com/[A-Z][A-Za-z]+")


def _client_problem(read: Read) -> str | None:
    """Why a client read cannot be made, or None: its API's module, the client class in it, the method on it."""
    if read.api not in _MODULES:
        return f"{read.rest}: {read.api} has no client module"
    module = importlib.import_module(_MODULES[read.api])
    client = getattr(module, str(read.client), None)
    if not isinstance(client, type):
        return f"{read.rest}: {module.__name__} has no client class {read.client}"
    if not callable(getattr(client, str(read.method), None)):
        return f"{read.rest}: {read.client} has no method {read.method}"
    return None


def read_problems(reads: Iterable[Read]) -> Iterator[str]:
    for read in reads:
        if read.client is not None:
            problem = _client_problem(read)
            if problem is not None:
                yield problem
        elif not read.path or (not read.items and not read.single):
            yield f"{read.rest}: a REST read needs a path and the key of its items"
        elif read.single and read.items:
            yield f"{read.rest}: a REST read of one resource has no items key"


def vertex_problems(kinds: Iterable[VertexKind]) -> Iterator[str]:
    for kind in kinds:
        if not VERTEX_ASSET.fullmatch(kind.asset_type):
            yield f"{kind.type}: asset type {kind.asset_type} is not aiplatform.googleapis.com/..."
        if kind.read.api != "aiplatform":
            yield f"{kind.type}: listed through {kind.read.api}, not aiplatform"


def relation_problems(relations: Iterable[Link], stored: frozenset[str]) -> Iterator[str]:
    for rule in relations:
        if not SNAKE_CASE.fullmatch(rule.kind):
            yield f"{rule.kind}: the relation kind is not snake_case"
        if rule.target not in stored:
            yield f"{rule.kind}: target {rule.target} is not a type the collector stores"
        for source in sorted(rule.sources - stored):
            yield f"{rule.kind}: source {source} is not a type the collector stores"


def problems(reads: Iterable[Read], kinds: Iterable[VertexKind], relations: Iterable[Link]) -> list[str]:
    return [*read_problems(reads), *vertex_problems(kinds), *relation_problems(relations, declared_types("gcp"))]


def declared_reads() -> set[Read]:
    """Every read the specs module declares, by name or through a Vertex AI kind."""
    return {value for value in vars(specs).values() if isinstance(value, Read)} | {k.read for k in VERTEX_KINDS}


def test_every_gcp_declaration_is_well_formed() -> None:
    assert READS and VERTEX_KINDS and RELATIONS
    assert problems(READS, VERTEX_KINDS, RELATIONS) == []


def test_every_declared_read_is_one_the_role_is_derived_from() -> None:
    # A read left out of READS would be made without its permission in the shipped role.
    assert sorted(r.rest for r in declared_reads() - set(READS)) == []


def test_the_lint_finds_each_kind_of_mistake() -> None:
    reads = (
        Read("aiplatform", "v1.typo", "aiplatform.endpoints.list", client="EndpointServiceClient", method="list_endz"),
        Read(
            "aiplatform", "v1.noclient", "aiplatform.endpoints.list", client="EndpointClient", method="list_endpoints"
        ),
        Read("nosuchapi", "v1.nomodule", "nosuchapi.things.list", client="ThingsClient", method="list_things"),
        Read("iam", "v1.noitems", "iam.serviceAccounts.list", path="v1/projects/{project}/serviceAccounts"),
        Read("storage", "v1.bothways", "storage.buckets.get", path="storage/v1/b/{bucket}", items="items", single=True),
    )
    # Workbench instances are not a Vertex AI kind: another asset type, listed through another API.
    kinds = (VertexKind("gcp.vertex.endpoint", "notebooks.googleapis.com/Instance", specs.LIST_WORKBENCH_INSTANCES),)
    relations = (
        link("usesKey", "gcp.kms.crypto_key", {"gcp.vertex.model"}, paths=("encryptionSpec.kmsKeyName",)),
        link("uses_thing", "gcp.nothing.stored", {"gcp.vertex.not_a_kind"}, paths=("thing",)),
    )
    assert problems(reads, kinds, relations) == [
        "v1.typo: EndpointServiceClient has no method list_endz",
        "v1.noclient: google.cloud.aiplatform_v1 has no client class EndpointClient",
        "v1.nomodule: nosuchapi has no client module",
        "v1.noitems: a REST read needs a path and the key of its items",
        "v1.bothways: a REST read of one resource has no items key",
        "gcp.vertex.endpoint: asset type notebooks.googleapis.com/Instance is not aiplatform.googleapis.com/...",
        "gcp.vertex.endpoint: listed through notebooks, not aiplatform",
        "usesKey: the relation kind is not snake_case",
        "uses_thing: target gcp.nothing.stored is not a type the collector stores",
        "uses_thing: source gcp.vertex.not_a_kind is not a type the collector stores",
    ]


def test_a_registry_model_names_the_pipeline_that_uploaded_it_and_the_model_it_was_copied_from() -> None:
    from collectors.kernel import Reference, references

    loc = "projects/42/locations/us-central1"
    config = {
        "name": f"{loc}/models/7",
        "trainingPipeline": f"{loc}/trainingPipelines/99",
        "originalModelInfo": {"model": "projects/43/locations/us-central1/models/8@2"},
    }
    assert set(references(RELATIONS, "gcp.vertex.model", config)) >= {
        Reference("produced_by", "gcp.vertex.training_pipeline", f"{loc}/trainingPipelines/99"),
        Reference("copied_from", "gcp.vertex.model", "projects/43/locations/us-central1/models/8"),
    }
    assert [r for r in references(RELATIONS, "gcp.vertex.model", {"trainingPipeline": "not-a-name"})] == []
