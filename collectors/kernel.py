"""The collector kernel the three cloud engines share.

A cloud engine keeps only its transport (how a call is made, paged, retried and
how it fails) and its discovery (what to list where). Everything after a
raw answer arrives happens here, the same way on every cloud:

- `Record` and `Store`: what was collected, keyed by uid, thread-safe, with the
  reads that failed (`Store.fail`, the one builder of `CollectionError`s);
- `Link` and `references`: relations declared as one rule table per provider,
  with explicit source types, walked by one function over the raw configuration;
- `Store.referenced`: what the stored resources point at that is not stored
  yet, so an engine fetches supporting resources in rounds until nothing is new;
- `Store.result`: records become `Resource`s through `to_resource`, which
  redacts configuration, tag keys and values, and names alike on every cloud;
  relations are resolved, resources kept only because something points at them
  are pruned when nothing kept does, and the scopes are computed;
- the dangling-reference rule: a referenced resource that is not found is a
  fact the checks see (the target is missing), not a failed read (`ReadFailure.not_found`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cspm_ai import redact
from cspm_ai.model import GLOBAL, CollectionError, CollectionResult, Relation, Resource, Scope

__all__ = [
    "GLOBAL",
    "Link",
    "MAX_PAGES",
    "ReadFailure",
    "Record",
    "Reference",
    "Store",
    "Target",
    "references",
    "scopes_of",
    "to_resource",
]


# Pages one list may take (the config file's `max_pages` changes it). A list whose every page names a new next
# page would be followed forever; past this many it is a failed read, never a silently shortened list.
MAX_PAGES = 10_000


class ReadFailure(Exception):
    """A read that failed: the service and operation (or permission) it needed, the cloud's
    error code and message, and the HTTP status when there was one."""

    def __init__(self, service: str, operation: str, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.service, self.operation, self.code, self.message, self.status = service, operation, code, message, status

    @property
    def not_found(self) -> bool:
        """The thing asked for does not exist (a dangling reference when it was only referenced)."""
        return self.status == 404


@dataclass
class Record:
    """A resource as collected: its raw configuration, before redaction and relations."""

    type: str
    account: str
    region: str
    uid: str
    name: str
    config: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    # "referenced": stored only while a kept resource points at it (IAM roles used by AI resources).
    keep: Literal["all", "referenced"] = "all"
    # Edges known from discovery rather than from the configuration (a child under its parent).
    links: list[tuple[str, str]] = field(default_factory=list)


def to_resource(provider: str, record: Record) -> Resource:
    """The stored form of a record: configuration, tag keys and values, and name redacted alike on
    every cloud. A tag value is judged by its key, as a configuration value is by its name; a tag
    key and a name are judged by their shape."""
    config, found = redact.redact(record.config)
    tags: dict[str, str] = {}
    for key, value in record.tags.items():
        clean_key, key_found = redact.redact(str(key), prefix="tags")
        cleaned, value_found = redact.redact({str(key): str(value)}, prefix="tags")
        tags[clean_key] = cleaned[str(key)]
        # The path names the key as stored: a secret in the key must not come back through its path.
        found += key_found + [redact.Redaction(f"tags.{clean_key}", r.kind) for r in value_found]
    name, name_found = redact.redact(record.name, prefix="name")
    return Resource(
        provider=provider,
        account=record.account,
        region=record.region,
        type=record.type,
        uid=record.uid,
        name=name,
        config=config,
        tags=tags,
        redactions=tuple(r.as_dict() for r in [*found, *name_found]),
    )


# -- relations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """An edge found in a configuration, before the engine resolves `value` to a uid."""

    kind: str
    target: str
    value: str


@dataclass(frozen=True)
class Link:
    """How one relation kind is found in the configuration of its source types.

    `keys` matches a key of that name at any depth (AWS documents name references
    the same way wherever they sit; `ANY_KEY` matches every string of the document);
    `paths` are dotted paths, lists descended on the way. `pattern` keeps only the
    strings it matches (group 1 is the reference); `value` builds the references from
    the node found (from several fields, with a prefix, a map's keys), None when it names nothing.
    """

    kind: str
    target: str
    sources: frozenset[str]
    keys: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    value: Callable[[Any], str | list[str] | None] | None = None

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError(f"relation {self.kind!r} declares no source type")
        if bool(self.keys) == bool(self.paths):
            raise ValueError(f"relation {self.kind!r} needs either keys or paths")


def link(
    kind: str,
    target: str,
    sources: Iterable[str],
    *,
    keys: Iterable[str] = (),
    paths: Iterable[str] = (),
    pattern: str | None = None,
    value: Callable[[Any], str | list[str] | None] | None = None,
) -> Link:
    """A `Link`, written compactly in the providers' rule tables."""
    return Link(
        kind,
        target,
        frozenset(sources),
        frozenset(keys),
        tuple(paths),
        re.compile(pattern) if pattern else None,
        value,
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair of a document; a list's items keep the key of the list."""
    yield key, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, str(k))
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, (dict, list)):
                yield from _walk(v, key)


def nodes_at(doc: Any, path: str) -> list[Any]:
    """Every node at a dotted path, descending into lists on the way (and flattening a final list)."""
    nodes: list[Any] = [doc]
    for part in path.split("."):
        nodes = [
            n.get(part)
            for item in nodes
            for n in (item if isinstance(item, list) else [item])
            if isinstance(n, dict) and part in n
        ]
    return [v for n in nodes for v in (n if isinstance(n, list) else [n])]


ANY_KEY = "*"


def _key_matches(rules: Sequence[Link], config: Mapping[str, Any]) -> Iterator[tuple[Link, Any]]:
    """(rule, string) for key rules, in document order (one walk for all of them)."""
    keyed = [rule for rule in rules if rule.keys]
    if not keyed:
        return
    for key, value in _walk(config):
        for rule in keyed:
            if key in rule.keys or ANY_KEY in rule.keys:
                for text in _strings(value):
                    yield rule, text


def _path_matches(rules: Sequence[Link], config: Mapping[str, Any]) -> Iterator[tuple[Link, Any]]:
    """(rule, node) for path rules, in rule order."""
    for rule in rules:
        for path in rule.paths:
            for node in nodes_at(config, path):
                yield rule, node


def references(rules: Sequence[Link], source_type: str, config: Mapping[str, Any]) -> list[Reference]:
    """Every reference the rules find in one resource's configuration, deduplicated, in order."""
    applicable = [rule for rule in rules if source_type in rule.sources]
    found: dict[Reference, None] = {}
    for rule, node in (*_key_matches(applicable, config), *_path_matches(applicable, config)):
        built = rule.value(node) if rule.value is not None else node
        for text in _strings(built):
            if rule.pattern is not None:
                match = rule.pattern.match(text)
                if not match:
                    continue
                text = match.group(1)
            if text:
                found[Reference(rule.kind, rule.target, text)] = None
    return list(found)


@dataclass(frozen=True)
class Target:
    """Where a reference points: the uid the target is stored under, the region to fetch it in,
    and the identifier the fetch call takes."""

    uid: str
    region: str = GLOBAL
    ident: str = ""


# Resolves a reference from a record to its target (None: it names nothing this cloud can store).
Resolver = Callable[[Record, Reference], Target | None]


def _fold(uid: str) -> str:
    return uid.lower()


def _same(uid: str) -> str:
    return uid


# -- the store ------------------------------------------------------------------------------


class Store:
    """One collection's records and failures, shared by the engine's worker threads.

    `case_insensitive` keys records by their lower-cased uid (ARM ids), while each
    record keeps its uid as the cloud wrote it.
    """

    def __init__(self, provider: str, *, case_insensitive: bool = False) -> None:
        self.provider = provider
        self._key = _fold if case_insensitive else _same
        self._lock = threading.Lock()
        self._records: dict[str, Record] = {}
        self._aliases: dict[str, str] = {}
        self._attempted: set[str] = set()
        self._claimed: set[str] = set()
        self._errors: list[CollectionError] = []

    # -- records --

    def put(self, record: Record) -> Record:
        with self._lock:
            self._records[self._key(record.uid)] = record
        return record

    def get(self, uid: str) -> Record | None:
        with self._lock:
            return self._records.get(self._key(uid))

    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records.values())

    def merge(self, uid: str, key: str, value: Any) -> None:
        """Add one key to a stored record's configuration (a read made after it was stored)."""
        with self._lock:
            self._records[self._key(uid)].config[key] = value

    def alias(self, referenced_as: str, uid: str) -> None:
        """A reference by alias or short id turned out to name the resource stored as `uid`."""
        with self._lock:
            self._aliases[self._key(referenced_as)] = uid

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed: a read several discoveries share happens once."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    # -- failures --

    def fail(
        self,
        failure: ReadFailure,
        *,
        account: str,
        region: str,
        resource_type: str,
        uid: str | None = None,
    ) -> None:
        """Record a failed read: with `uid` one resource could not be (fully) read; without it the
        whole (account, region, resource_type) scope is blind."""
        error = CollectionError(
            provider=self.provider,
            account=account,
            region=region,
            service=failure.service,
            operation=failure.operation,
            code=failure.code,
            message=failure.message,
            resource_type=resource_type,
            resource_uid=uid,
        )
        with self._lock:
            self._errors.append(error)

    def fail_referenced(
        self,
        failure: ReadFailure,
        *,
        account: str,
        region: str,
        resource_type: str,
        uid: str,
    ) -> None:
        """A referenced resource's read failed. One that does not exist is a dangling reference,
        which the checks see as a missing target; any other failure blinds that resource."""
        if not failure.not_found:
            self.fail(failure, account=account, region=region, resource_type=resource_type, uid=uid)

    @property
    def failed(self) -> bool:
        with self._lock:
            return bool(self._errors)

    def errors(self) -> list[CollectionError]:
        with self._lock:
            return list(self._errors)

    def absorb(self, records: Iterable[Record], errors: Iterable[CollectionError]) -> None:
        """Take in what another store collected (a worker process's share of a scan)."""
        with self._lock:
            for record in records:
                self._records[self._key(record.uid)] = record
            self._errors.extend(errors)

    # -- references --

    def referenced(self, rules: Sequence[Link], resolve: Resolver, fetchable: Iterable[str]) -> dict[str, list[Target]]:
        """Targets of `fetchable` types that stored records reference and that are neither stored
        nor tried yet, by type. Each is marked tried, so no round asks for it twice."""
        types = frozenset(fetchable)
        wanted: dict[str, dict[str, Target]] = {}
        for record in self.records():
            for ref in references(rules, record.type, record.config):
                if ref.target not in types or (target := resolve(record, ref)) is None:
                    continue
                key = self._key(target.uid)
                with self._lock:
                    if key in self._records or key in self._attempted or key in self._aliases:
                        continue
                    self._attempted.add(key)
                wanted.setdefault(ref.target, {})[key] = target
        return {rtype: list(targets.values()) for rtype, targets in wanted.items()}

    def _stored_uid(self, uid: str) -> str:
        """A target uid as stored: through an alias, and in the case the cloud wrote it."""
        uid = self._aliases.get(self._key(uid), uid)
        record = self._records.get(self._key(uid))
        return record.uid if record is not None else uid

    def _edges(self, rules: Sequence[Link], resolve: Resolver) -> dict[str, list[tuple[str, str]]]:
        """Each record's outgoing (kind, target uid) edges: discovery links first, then rules."""
        edges: dict[str, list[tuple[str, str]]] = {}
        for key, record in self._records.items():
            out = list(record.links)
            for ref in references(rules, record.type, record.config):
                target = resolve(record, ref)
                if target is not None:
                    out.append((ref.kind, target.uid))
            edges[key] = list(dict.fromkeys((kind, self._stored_uid(dst)) for kind, dst in out))
        return edges

    def _kept(self, edges: Mapping[str, list[tuple[str, str]]]) -> set[str]:
        """Every "all" record and, transitively, the "referenced" records kept ones point at."""
        kept = {key for key, record in self._records.items() if record.keep == "all"}
        frontier = list(kept)
        while frontier:
            following: list[str] = []
            for key in frontier:
                for _, dst in edges.get(key, ()):
                    dst_key = self._key(dst)
                    if dst_key in self._records and dst_key not in kept:
                        kept.add(dst_key)
                        following.append(dst_key)
            frontier = following
        return kept

    # -- the result --

    def result(
        self,
        rules: Sequence[Link],
        resolve: Resolver,
        scopes: Sequence[Scope],
        scope_records: Sequence[Record] = (),
    ) -> CollectionResult:
        """The collection as stored: the scope resources (accounts, subscriptions), then every kept
        record sorted by uid, all redacted; their relations; every failed read."""
        with self._lock:
            edges = self._edges(rules, resolve)
            kept = sorted(self._kept(edges))
            resources = [to_resource(self.provider, r) for r in scope_records]
            resources += [to_resource(self.provider, self._records[key]) for key in kept]
            relations = [Relation(self._records[key].uid, kind, dst) for key in kept for kind, dst in edges[key]]
            errors = list(self._errors)
        return CollectionResult(resources=resources, relations=relations, errors=errors, scopes=list(scopes))


def scopes_of(
    provider: str,
    accounts: Iterable[str],
    identity: str,
    resources: Iterable[Resource],
    region_of: Callable[[str], str] = lambda region: region,
) -> list[Scope]:
    """One scope per account, with the regions its resources were found in."""
    regions: dict[str, set[str]] = {}
    for resource in resources:
        if resource.region != GLOBAL:
            regions.setdefault(resource.account, set()).add(region_of(resource.region))
    return [
        Scope(provider=provider, account=account, identity=identity, regions=tuple(sorted(regions.get(account, ()))))
        for account in accounts
    ]
