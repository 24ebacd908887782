"""The one AWS collection engine: pages, fans out, retries, redacts, resolves references.

Work runs on one bounded pool across regions x kinds x resources. Phase one
lists every declared kind; then, in rounds, it fetches what those resources
reference (keys, subnets, buckets, ...) until nothing new is referenced.
Every failed call becomes a `CollectionError`; nothing failed is left out silently.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from collectors import ProgressCallback
from collectors.aws.references import Reference, references
from collectors.aws.session import AwsSession
from collectors.aws.specs import (
    GLOBAL_REGION,
    LIST_SPECS,
    REFERENCED,
    TAGS_FROM_CONFIG,
    TAGS_FROM_LIST_TAGS,
    ListSpec,
    Read,
    ReferencedSpec,
)
from collectors.pool import TaskGroup
from cspm_ai import redact
from cspm_ai.doc import ABSENT, get
from cspm_ai.model import CollectionError, CollectionResult, Relation, Resource, Scope

GLOBAL = "global"
_SAGEMAKER_NOUN = {
    "aws.sagemaker.model": "model",
    "aws.sagemaker.endpoint_config": "endpoint-config",
    "aws.sagemaker.endpoint": "endpoint",
    "aws.sagemaker.model_package_group": "model-package-group",
    "aws.sagemaker.model_package": "model-package",
    "aws.sagemaker.domain": "domain",
    "aws.sagemaker.notebook_lifecycle_config": "notebook-instance-lifecycle-config",
}


class _Template(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def render(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill "{Field}" templates anywhere inside strings, lists and dicts."""
    if isinstance(template, str):
        return template.format_map(_Template(values))
    if isinstance(template, list):
        return [render(t, values) for t in template]
    if isinstance(template, dict):
        return {k: render(v, values) for k, v in template.items()}
    return template


def _plain(value: Any) -> Any:
    """JSON-ready copy of an API answer: datetimes as RFC 3339 UTC, bytes dropped."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


@dataclass
class _Record:
    """A resource as collected, before redaction, relations and pruning."""

    type: str
    region: str
    uid: str
    name: str
    config: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    keep_all: bool = True
    refs: list[Reference] = field(default_factory=list)
    redactions: tuple[dict[str, str], ...] = ()


class _Failure(Exception):
    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(message)
        self.operation, self.code, self.message = operation, code, message


class AwsEngine:
    """Collects one AWS account across `regions`, `workers` calls at a time."""

    provider = "aws"

    def __init__(self, session: AwsSession, regions: Iterable[str], workers: int = 32) -> None:
        self.session = session
        self.regions = tuple(regions)
        self.workers = workers
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}
        self._errors: list[CollectionError] = []
        self._calls: dict[tuple[Any, ...], Future[list[Any]]] = {}
        # A reference by alias or short id resolves to the uid the describe call revealed.
        self._aliases: dict[str, str] = {}

    # -- calls -------------------------------------------------------------------------

    @contextmanager
    def _reading(self, client: Any, op: str) -> Iterator[None]:
        """Turn whatever a call raises into a `_Failure` naming the API operation."""
        try:
            yield
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise _Failure(
                self._api_name(client, op), str(err.get("Code") or "ClientError"), str(err.get("Message") or exc)
            ) from exc
        except Exception as exc:  # botocore errors, and an endpoint answering nonsense: a failed read
            raise _Failure(self._api_name(client, op), type(exc).__name__, str(exc)) from exc

    def _invoke(self, service: str, region: str, op: str, params: Mapping[str, Any]) -> dict[str, Any]:
        client = self.session.client(service, region)
        with self._reading(client, op):
            return getattr(client, op)(**params)

    def _pages(
        self, service: str, region: str, op: str, params: Mapping[str, Any], page_size: int | None
    ) -> list[dict[str, Any]]:
        """Every page of a call, with the largest page the API allows."""
        client = self.session.client(service, region)
        if page_size is None or not client.can_paginate(op):
            return [self._invoke(service, region, op, params)]
        with self._reading(client, op):
            return list(client.get_paginator(op).paginate(**params, PaginationConfig={"PageSize": page_size}))

    @staticmethod
    def _items(pages: Iterable[dict[str, Any]], key: str) -> list[Any]:
        items: list[Any] = []
        for page in pages:
            value = get(page, key) if key else page
            if isinstance(value, list):
                items.extend(value)
            elif value is not ABSENT and value is not None:
                items.append(value)
        return items

    def _paginate(
        self, service: str, region: str, op: str, params: Mapping[str, Any], key: str, page_size: int | None
    ) -> list[Any]:
        return self._items(self._pages(service, region, op, params, page_size), key)

    def _list_once(
        self, service: str, region: str, op: str, params: Mapping[str, Any], key: str, page_size: int | None
    ) -> list[Any]:
        """`_paginate`, but one call shared by every kind that reads the same answer."""
        signature = (service, region, op, repr(sorted(params.items())), page_size)
        with self._lock:
            future = self._calls.get(signature)
            owner = future is None
            if future is None:
                future = self._calls[signature] = Future()
        if owner:
            try:
                future.set_result(self._pages(service, region, op, params, page_size))
            except BaseException as exc:
                future.set_exception(exc)
        return self._items(future.result(), key)

    @staticmethod
    def _api_name(client: Any, op: str) -> str:
        return client.meta.method_to_api_mapping.get(op, op)

    def _malformed(self, service: str, region: str, op: str, message: str) -> _Failure:
        return _Failure(self._api_name(self.session.client(service, region), op), "MalformedResponse", message)

    def _params(
        self, service: str, region: str, op: str, template: Mapping[str, Any], source: Mapping[str, Any], where: str
    ) -> Any:
        """Parameters of a follow-up call; a field the answer lacks fails that call, not the scan."""
        try:
            return render(dict(template), self._values(region, source))
        except (KeyError, IndexError, ValueError) as exc:
            raise self._malformed(service, region, op, f"{where} lacks {exc}, so the call could not be made") from exc

    def _require_document(self, spec: ListSpec, region: str, summary: Mapping[str, Any] | None, document: Any) -> None:
        """A describe answer must be an object still naming the resource its list item named."""
        if not isinstance(document, dict):
            raise self._malformed(
                spec.service,
                region,
                spec.describe_op,
                f"the answer is {type(document).__name__}, not the documented object",
            )
        if summary is None:
            return
        try:
            render(spec.uid, self._values(region, summary))
        except (KeyError, IndexError, ValueError):
            return  # the list item does not name it either: the uid comes from elsewhere
        try:
            render(spec.uid, self._values(region, document))
        except (KeyError, IndexError, ValueError) as exc:
            raise self._malformed(
                spec.service, region, spec.describe_op, f"the answer lacks {exc}, which identifies the resource"
            ) from exc

    def _fail(
        self, service: str, region: str, failure: _Failure, resource_type: str, resource_uid: str | None = None
    ) -> None:
        with self._lock:
            self._errors.append(
                CollectionError(
                    provider="aws",
                    account=self.session.account,
                    region=region,
                    service=service,
                    operation=failure.operation,
                    code=failure.code,
                    message=failure.message,
                    resource_type=resource_type,
                    resource_uid=resource_uid,
                )
            )

    def _values(self, region: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {**item, "account": self.session.account, "region": region, "partition": self.session.partition}

    # -- phase one: declared kinds ---------------------------------------------------------

    def _list_kind(self, tasks: TaskGroup, spec: ListSpec, region: str) -> None:
        params = render(dict(spec.list_params), self._values(region, {}))
        try:
            items = self._list_once(spec.service, region, spec.list_op, params, spec.list_key, spec.page_size)
        except _Failure as failure:
            if failure.code not in spec.absent_codes:
                self._fail(spec.service, region if spec.scope == "regional" else GLOBAL, failure, spec.type)
            return
        for item in items:
            tasks.submit(self._collect_item, spec, region, item)

    def _collect_item(self, spec: ListSpec, region: str, item: Any) -> None:
        summary = item if isinstance(item, dict) else {"item": item}
        where = region if spec.scope == "regional" else GLOBAL
        config: dict[str, Any] = dict(summary)
        failed: _Failure | None = None
        if spec.describe_op:
            try:
                listed = self._api_name(self.session.client(spec.service, region), spec.list_op)
                params = self._params(
                    spec.service, region, spec.describe_op, spec.describe_params, summary, f"the {listed} item"
                )
                answer = self._invoke(spec.service, region, spec.describe_op, params)
                described = get(answer, spec.describe_key) if spec.describe_key else answer
                self._require_document(spec, region, summary if isinstance(item, dict) else None, described)
                config = {**({} if isinstance(item, dict) else {"item": item}), **described}
                if isinstance(item, str):
                    config.pop("item", None)
                    if spec.item_key:
                        config[spec.item_key] = item
            except _Failure as failure:
                failed = failure
        record = self._record(spec.type, spec.service, where, region, config, spec.uid, spec.name)
        if failed is not None:
            # Keep what the list call showed, and make every check on it an ERROR.
            self._fail(spec.service, where, failed, spec.type, record.uid)
        else:
            self._apply_reads(spec.service, region, spec.type, spec.reads, record)
            self._apply_tags(spec.service, region, spec.type, spec.tags, record)
        if spec.derive is not None:
            record.config = spec.derive(record.config)
        record.keep_all = spec.keep == "all"
        self._store(record)

    def _record(
        self, rtype: str, service: str, where: str, call_region: str, config: dict[str, Any], uid_t: str, name_t: str
    ) -> _Record:
        values = self._values(call_region, config)
        try:
            uid = render(uid_t, values)
        except (KeyError, IndexError, ValueError):
            # Stable across scans, so the same unnamed resource is the same resource next time.
            digest = hashlib.sha256(json.dumps(_plain(config), sort_keys=True, default=str).encode()).hexdigest()
            uid = f"aws:{self.session.account}:{where}:{rtype}:{config.get('item') or digest[:16]}"
        try:
            name = render(name_t, values)
        except (KeyError, IndexError, ValueError):
            name = uid.rsplit("/", 1)[-1]
        return _Record(type=rtype, region=where, uid=str(uid), name=str(name), config=_plain(config))

    def _apply_reads(self, service: str, region: str, rtype: str, reads: Iterable[Read], record: _Record) -> None:
        for read in reads:
            if read.when is not None and not read.when(record.config):
                continue
            try:
                params = self._params(
                    service, region, read.operation, read.params, record.config, "the stored configuration"
                )
                if read.paginate:
                    value: Any = self._paginate(service, region, read.operation, params, read.paginate, read.page_size)
                else:
                    value = _plain(self._invoke(service, region, read.operation, params))
                    if read.pick:
                        value = get(value, read.pick)
                        if value is ABSENT:
                            continue
                if read.parse_json and isinstance(value, str):
                    try:
                        value = json.loads(value)
                    except ValueError:
                        pass  # keep the text: a check can still say it could not parse it
            except _Failure as failure:
                if failure.code in read.absent_codes:
                    continue
                self._fail(service, record.region, failure, rtype, record.uid)
                continue
            value = _plain(value)
            if read.into:
                record.config[read.into] = value
            elif isinstance(value, dict):
                record.config.update(value)

    def _apply_tags(self, service: str, region: str, rtype: str, style: str | None, record: _Record) -> None:
        if style == TAGS_FROM_LIST_TAGS:
            try:
                tags = self._paginate(service, region, "list_tags", {"ResourceArn": record.uid}, "Tags", 100)
            except _Failure as failure:
                self._fail(service, record.region, failure, rtype, record.uid)
                return
        elif style == TAGS_FROM_CONFIG:
            tags = record.config.get("Tags") or []
        else:
            return
        record.tags = {str(t.get("Key")): str(t.get("Value", "")) for t in tags if isinstance(t, dict) and "Key" in t}

    def _store(self, record: _Record) -> None:
        config, found = redact.redact(record.config)
        tags, tag_found = redact.redact(record.tags, prefix="tags")
        name, name_found = redact.redact(record.name, prefix="name")
        record.config, record.tags, record.name = config, tags, name
        record.redactions = tuple(r.as_dict() for r in [*found, *tag_found, *name_found])
        record.refs = references(record.type, record.config)
        with self._lock:
            self._records[record.uid] = record

    # -- phase two: what AI resources reference ------------------------------------------

    def _resolve(self, source: _Record, ref: Reference) -> tuple[str, str, str]:
        """(target uid, target region, id to fetch it by) for a reference."""
        acct, part = self.session.account, self.session.partition
        region = source.region if source.region != GLOBAL else GLOBAL_REGION.get(part, "us-east-1")
        value = ref.value
        if ref.target_type == "aws.kms.key":
            if value.startswith("arn:"):
                return value, value.split(":")[3] or region, value
            prefix = "" if value.startswith("alias/") else "key/"
            return f"arn:{part}:kms:{region}:{acct}:{prefix}{value}", region, value
        if ref.target_type == "aws.s3.bucket":
            return f"arn:{part}:s3:::{value}", region, value
        if ref.target_type.startswith("aws.ec2."):
            noun = {"aws.ec2.subnet": "subnet", "aws.ec2.security_group": "security-group", "aws.ec2.vpc": "vpc"}[
                ref.target_type
            ]
            return f"arn:{part}:ec2:{region}:{acct}:{noun}/{value}", region, value
        if ref.target_type in ("aws.iam.role", "aws.iam.policy"):
            return value, GLOBAL, value
        if ref.target_type == "aws.iam.group":
            return self._by_name.get(("aws.iam.group", GLOBAL, value.lower()), value), GLOBAL, value
        if value.startswith("arn:"):
            return value, region, value
        key = (ref.target_type, region, value.lower())
        noun = _SAGEMAKER_NOUN.get(ref.target_type, ref.target_type.rsplit(".", 1)[-1])
        fallback = f"arn:{part}:sagemaker:{region}:{acct}:{noun}/{value.lower()}"
        return self._by_name.get(key, fallback), region, value

    def _index_names(self) -> None:
        self._by_name: dict[tuple[str, str, str], str] = {}
        for rec in self._records.values():
            self._by_name[(rec.type, rec.region, rec.name.lower())] = rec.uid
            if rec.type == "aws.sagemaker.domain" and isinstance(rec.config.get("DomainId"), str):
                self._by_name[(rec.type, rec.region, rec.config["DomainId"].lower())] = rec.uid

    def _fetch_round(self, tasks: TaskGroup) -> bool:
        """Fetch referenced kinds not yet collected; False when nothing new is referenced."""
        self._index_names()
        wanted: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # (type, region) -> {id: uid}
        for rec in list(self._records.values()):
            for ref in rec.refs:
                if ref.target_type not in REFERENCED:
                    continue
                uid, region, ident = self._resolve(rec, ref)
                if uid in self._records or uid in self._attempted or uid in self._aliases:
                    continue
                wanted[(ref.target_type, region)][ident] = uid
        if not wanted:
            return False
        for (rtype, region), ids in wanted.items():
            self._attempted.update(ids.values())
            spec = REFERENCED[rtype]
            if spec.batch_param:
                chunk = list(ids.items())
                for start in range(0, len(chunk), spec.batch_size):
                    tasks.submit(self._fetch_batch, spec, region, dict(chunk[start : start + spec.batch_size]))
            else:
                for ident, uid in ids.items():
                    tasks.submit(self._fetch_one, spec, region, ident, uid)
        tasks.wait()
        return True

    def _fetch_batch(self, spec: ReferencedSpec, region: str, ids: dict[str, str]) -> None:
        try:
            found = self._paginate(
                spec.service, region, spec.describe_op, {spec.batch_param: list(ids)}, spec.result_key or "", None
            )
        except _Failure as failure:
            if failure.code.endswith(".NotFound") and len(ids) > 1:
                # One deleted id fails the whole batch; ask for each so the rest are still seen.
                for ident, uid in ids.items():
                    self._fetch_batch(spec, region, {ident: uid})
                return
            if not failure.code.endswith(".NotFound"):
                for uid in ids.values():
                    self._fail(spec.service, region, failure, spec.type, uid)
            return
        for item in found:
            if not isinstance(item, dict):
                failure = self._malformed(
                    spec.service,
                    region,
                    spec.describe_op,
                    f"an item of the answer is {type(item).__name__}, not an object",
                )
                for uid in ids.values():
                    self._fail(spec.service, region, failure, spec.type, uid)
                return
        for item in found:
            self._finish_referenced(spec, region, dict(item))

    def _fetch_one(self, spec: ReferencedSpec, region: str, ident: str, uid: str) -> None:
        try:
            answer = self._invoke(spec.service, region, spec.describe_op, {spec.id_param: ident})
        except _Failure as failure:
            if failure.code in ("NoSuchBucket", "NotFoundException", "ResourceNotFound"):
                return  # a dangling reference: the check sees the target is missing
            self._fail(spec.service, region, failure, spec.type, uid)
            return
        body = get(answer, spec.result_key) if spec.result_key else answer
        if not isinstance(body, dict):
            self._fail(
                spec.service,
                region,
                self._malformed(
                    spec.service,
                    region,
                    spec.describe_op,
                    f"the answer is {type(body).__name__}, not the documented object",
                ),
                spec.type,
                uid,
            )
            return
        config = {spec.id_param: ident, **_plain(body)} if not spec.result_key else _plain(body)
        record = self._finish_referenced(spec, region, config)
        if record.uid != uid:
            with self._lock:
                self._aliases[uid] = record.uid

    def _finish_referenced(self, spec: ReferencedSpec, region: str, config: dict[str, Any]) -> _Record:
        config = _plain(config)
        home = spec.region_of(config) if spec.region_of else region
        record = self._record(spec.type, spec.service, home, home, config, spec.uid, spec.name)
        self._apply_reads(spec.service, home, spec.type, spec.reads, record)
        self._apply_tags(spec.service, home, spec.type, spec.tags, record)
        self._store(record)
        return record

    # -- assembling the result -----------------------------------------------------------

    def _relations(self) -> tuple[list[Relation], set[str]]:
        self._index_names()
        edges: dict[str, list[tuple[str, str]]] = {}
        for rec in self._records.values():
            edges[rec.uid] = []
            for ref in rec.refs:
                uid, _, _ = self._resolve(rec, ref)
                edges[rec.uid].append((ref.kind, self._aliases.get(uid, uid)))
        # Keep every "all" resource and, transitively, what kept resources point at.
        kept = {uid for uid, rec in self._records.items() if rec.keep_all}
        frontier = list(kept)
        while frontier:
            nxt = []
            for uid in frontier:
                for _, dst in edges.get(uid, ()):
                    if dst in self._records and dst not in kept:
                        kept.add(dst)
                        nxt.append(dst)
            frontier = nxt
        relations = [
            Relation(src, kind, dst) for src in sorted(kept) for kind, dst in dict.fromkeys(edges.get(src, ()))
        ]
        return relations, kept

    def _scopes(self) -> list[Resource]:
        acct, part = self.session.account, self.session.partition
        scopes = [
            Resource(
                provider="aws",
                account=acct,
                region=GLOBAL,
                type="aws.account",
                uid=f"arn:{part}:iam::{acct}:root",
                name=acct,
                config={
                    "AccountId": acct,
                    "Partition": part,
                    "Identity": self.session.identity,
                    "Regions": list(self.regions),
                },
            )
        ]
        for region in self.regions:
            scopes.append(
                Resource(
                    provider="aws",
                    account=acct,
                    region=region,
                    type="aws.region",
                    uid=f"arn:{part}:ec2:{region}:{acct}:region/{region}",
                    name=region,
                    config={"RegionName": region, "AccountId": acct},
                )
            )
        return scopes

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        self._attempted: set[str] = set()
        global_region = GLOBAL_REGION.get(self.session.partition, "us-east-1")
        with TaskGroup(self.workers, progress) as tasks:
            for spec in LIST_SPECS:
                for region in self.regions if spec.scope == "regional" else (global_region,):
                    tasks.submit(self._list_kind, tasks, spec, region)
            tasks.wait()
            while self._fetch_round(tasks):
                pass
        relations, kept = self._relations()
        resources = self._scopes() + [
            Resource(
                provider="aws",
                account=self.session.account,
                region=rec.region,
                type=rec.type,
                uid=rec.uid,
                name=rec.name,
                config=rec.config,
                tags=rec.tags,
                redactions=rec.redactions,
            )
            for uid, rec in sorted(self._records.items())
            if uid in kept
        ]
        scope = Scope(
            provider="aws", account=self.session.account, regions=self.regions, identity=self.session.identity
        )
        return CollectionResult(resources=resources, relations=relations, errors=list(self._errors), scopes=[scope])
