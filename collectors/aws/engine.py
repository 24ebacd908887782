"""The one AWS collection engine: pages, fans out, retries, redacts, resolves references.

Work runs on one bounded pool across regions x kinds x resources. Phase one
lists every declared kind; then, in rounds, it fetches what those resources
reference (keys, subnets, buckets, ...) until nothing new is referenced.
Every failed call becomes a `CollectionError`; nothing failed is left out silently.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from string import Formatter
from typing import Any

from botocore.exceptions import ClientError

from collectors import ProgressCallback
from collectors.aws.permissions import region_worker_calls
from collectors.aws.session import AwsSession
from collectors.aws.specs import (
    GLOBAL_ENDPOINT_REGION,
    LIST_SPECS,
    ORGANIZATION,
    REFERENCED,
    RELATIONS,
    ListSpec,
    Read,
    ReferencedSpec,
    TagIndex,
    Tags,
)
from collectors.kernel import GLOBAL, MAX_PAGES, ReadFailure, Record, Reference, Store, Target
from collectors.pool import TaskGroup
from cspm_ai.doc import ABSENT, get
from cspm_ai.executor import Executor
from cspm_ai.model import CollectionError, CollectionResult, Scope

# Error codes of a describe whose resource does not exist (EC2 answers "<Kind>ID.NotFound").
_NOT_FOUND = frozenset(
    {"NoSuchBucket", "NotFoundException", "ResourceNotFound", "ResourceNotFoundException", "DBClusterNotFoundFault"}
)
_BY_TYPE: dict[str, ListSpec | ReferencedSpec] = {**{s.type: s for s in (*LIST_SPECS, *ORGANIZATION)}, **REFERENCED}


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


def _absent(failure: ReadFailure, codes: frozenset[str], message: str | None) -> bool:
    """Whether a failed call means "not configured" (a fact) rather than a blind spot."""
    return failure.code in codes and (message is None or message.lower() in failure.message.lower())


class AwsFailure(ReadFailure):
    """A failed AWS call, named by its API operation."""

    def __init__(self, service: str, operation: str, code: str, message: str) -> None:
        super().__init__(service, operation, code, message)

    @property
    def not_found(self) -> bool:
        return self.code in _NOT_FOUND or self.code.endswith(".NotFound")


@dataclass(frozen=True)
class Part:
    """One worker process's share of phase one: what it needs to rebuild the session and what to list."""

    profile: str | None
    account: str
    partition: str
    identity: str
    scan_regions: tuple[str, ...]
    regions: tuple[str, ...]
    with_global: bool
    workers: int
    max_pages: int


def _independent(reads: tuple[Read, ...]) -> bool:
    """Whether `reads` may run at once and be merged after: none is conditional or merges keys it does not
    name, and none's templates (or matched field) name a key another read writes."""
    if any(read.when is not None or read.into is None for read in reads):
        return False
    written = {read.into for read in reads}
    return not any(written & _named_keys(read) for read in reads)


def _named_keys(read: Read) -> set[str]:
    """The configuration keys a read's "{Field}" templates and `match` name, its child read's included
    ("{Role.Arn}" names Role)."""
    named = {read.match} if read.match else set()
    for text in _template_texts(read.params):
        named |= {re.split(r"[.\[]", field, maxsplit=1)[0] for _, field, _, _ in Formatter().parse(text) if field}
    return named | (_named_keys(read.each) if read.each is not None else set())


def _template_texts(template: Any) -> Iterator[str]:
    """Every string inside a template, as `render` walks it."""
    if isinstance(template, str):
        yield template
    elif isinstance(template, list):
        for item in template:
            yield from _template_texts(item)
    elif isinstance(template, dict):
        for value in template.values():
            yield from _template_texts(value)


def collect_part(part: Part) -> tuple[list[Record], list[CollectionError]]:
    """Phase one of `part` in this (worker) process: its records and failed reads, for the parent to absorb."""
    session = AwsSession(profile=part.profile, pool_size=part.workers)
    session.restore_identity(part.account, part.partition, part.identity)
    engine = AwsEngine(session, part.scan_regions, part.workers, max_pages=part.max_pages)
    with TaskGroup(part.workers) as tasks:
        engine._declare(tasks, part.regions, part.with_global)
        tasks.wait()
    return engine._store.records(), engine._store.errors()


class AwsEngine:
    """Collects one AWS account across `regions`, `workers` calls at a time."""

    provider = "aws"

    def __init__(
        self,
        session: AwsSession,
        regions: Iterable[str],
        workers: int = 32,
        *,
        max_pages: int = MAX_PAGES,
        executor: Executor | None = None,
        kinds: tuple[ListSpec, ...] | None = None,
    ) -> None:
        self.session = session
        self.regions = tuple(regions)
        # Only these kinds (the organization's own), without the account and region scope resources that the
        # account's own collection gives; None: every declared kind of one account.
        self.kinds = kinds
        self.workers = workers
        self.max_pages = max_pages
        # Where phase one's regions run: None (or a session a worker cannot rebuild) keeps them in threads here.
        self.executor = executor
        self._lock = threading.Lock()
        self._store = Store("aws")
        self._calls: dict[tuple[Any, ...], Future[list[Any]]] = {}
        self._indexes: dict[tuple[Any, ...], Future[dict[str, Any]]] = {}
        self._by_name: dict[tuple[str, str, str], str] = {}

    # -- calls ---------------------------------------------------------------------------------

    @contextmanager
    def _reading(self, service: str, client: Any, op: str) -> Iterator[None]:
        """Turn whatever a call raises into an `AwsFailure` naming the API operation."""
        try:
            yield
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise AwsFailure(
                service,
                self._api_name(client, op),
                str(err.get("Code") or "ClientError"),
                str(err.get("Message") or exc),
            ) from exc
        except Exception as exc:  # botocore errors, and an endpoint answering nonsense: a failed read
            raise AwsFailure(service, self._api_name(client, op), type(exc).__name__, str(exc)) from exc

    def _invoke(self, service: str, region: str, op: str, params: Mapping[str, Any]) -> dict[str, Any]:
        client = self.session.client(service, region)
        with self._reading(service, client, op):
            return getattr(client, op)(**params)

    def _pages(
        self, service: str, region: str, op: str, params: Mapping[str, Any], page_size: int | None
    ) -> list[dict[str, Any]]:
        """Every page of a call, with the largest page the API allows, at most `max_pages` pages."""
        client = self.session.client(service, region)
        if page_size is None or not client.can_paginate(op):
            return [self._invoke(service, region, op, params)]
        pages: list[dict[str, Any]] = []
        sized = {"PageSize": page_size} if page_size else {}  # UNSIZED (0): the API takes no page size
        with self._reading(service, client, op):
            for page in client.get_paginator(op).paginate(**params, PaginationConfig=sized):
                pages.append(page)
                if len(pages) > self.max_pages:
                    break
        if len(pages) > self.max_pages:
            # A list whose every page names a new token would never end; cutting it short would hide resources.
            message = f"the list goes on past {self.max_pages} pages"
            raise AwsFailure(service, self._api_name(client, op), "TooManyPages", message)
        return pages

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

    def _malformed(self, service: str, region: str, op: str, message: str) -> AwsFailure:
        client = self.session.client(service, region)
        return AwsFailure(service, self._api_name(client, op), "MalformedResponse", message)

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
        assert spec.describe_op is not None
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

    def _fail(self, failure: ReadFailure, region: str, resource_type: str, uid: str | None = None) -> None:
        self._store.fail(failure, account=self.session.account, region=region, resource_type=resource_type, uid=uid)

    def _values(self, region: str, item: Mapping[str, Any]) -> dict[str, Any]:
        return {**item, "account": self.session.account, "region": region, "partition": self.session.partition}

    # -- phase one: declared kinds ---------------------------------------------------------------

    def _list_kind(self, tasks: TaskGroup, spec: ListSpec, region: str) -> None:
        if spec.regions is not None and region not in spec.regions():
            return  # AWS does not offer the service there: nothing to list, nothing missed
        params = render(dict(spec.list_params), self._values(region, {}))
        try:
            items = self._list_once(spec.service, region, spec.list_op, params, spec.list_key, spec.page_size)
        except AwsFailure as failure:
            if not _absent(failure, spec.absent_codes, spec.absent_message):
                self._fail(failure, region if spec.scope == "regional" else GLOBAL, spec.type)
            return
        for item in items:
            tasks.submit(self._collect_item, spec, region, item)

    def _describe(self, spec: ListSpec, region: str, item: Any) -> dict[str, Any]:
        """The describe answer of one list item (with a bare id kept under `item_key`)."""
        assert spec.describe_op is not None
        summary = item if isinstance(item, dict) else {"item": item}
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
        return config

    def _collect_item(self, spec: ListSpec, region: str, item: Any) -> None:
        where = region if spec.scope == "regional" else GLOBAL
        config: dict[str, Any] = dict(item) if isinstance(item, dict) else {"item": item}
        failed: AwsFailure | None = None
        if spec.list_record:
            record_body = get(item, spec.list_record)
            if not isinstance(record_body, dict):
                listed = self._api_name(self.session.client(spec.service, region), spec.list_op)
                message = f"a {listed} result lacks the {spec.list_record} object"
                self._fail(self._malformed(spec.service, region, spec.list_op, message), where, spec.type)
                return
            config = dict(record_body)
        if spec.describe_op:
            try:
                config = self._describe(spec, region, item)
            except AwsFailure as failure:
                failed = failure
        record = self._record(spec.type, where, region, config, spec.uid, spec.name)
        if failed is not None:
            # Keep what the list call showed, and make every check on it an ERROR.
            self._fail(failed, where, spec.type, record.uid)
        else:
            self._apply_reads(spec.service, region, spec.type, spec.reads, record)
            self._apply_tags(spec.service, region, spec.type, spec.tags, record)
        if spec.derive is not None:
            record.config = spec.derive(record.config)
        record.keep = spec.keep
        self._store.put(record)

    def _record(
        self, rtype: str, where: str, call_region: str, config: dict[str, Any], uid_t: str, name_t: str
    ) -> Record:
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
        return Record(
            type=rtype,
            account=self.session.account,
            region=where,
            uid=str(uid),
            name=str(name),
            config=_plain(config),
        )

    def _read(self, service: str, region: str, read: Read, config: Mapping[str, Any]) -> Any:
        """One extra read's value (ABSENT when the answer lacks what it picks); a child list read in full."""
        service = read.service or service
        params = self._params(service, region, read.operation, read.params, config, "the stored configuration")
        if read.match is not None:
            return self._matching(service, region, read, params, config)
        if read.paginate:
            value: Any = self._paginate(service, region, read.operation, params, read.paginate, read.page_size)
            if read.each is not None:
                value = [self._child(service, region, read.each, config, item) for item in value]
        else:
            value = _plain(self._invoke(service, region, read.operation, params))
            if read.pick:
                value = get(value, read.pick)
        if read.parse_json and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass  # keep the text: a check can still say it could not parse it
        return value

    def _matching(
        self, service: str, region: str, read: Read, params: Mapping[str, Any], config: Mapping[str, Any]
    ) -> Any:
        """The item of a list shared by every resource (called once) whose `match` field is the resource's own."""
        assert read.match is not None
        items = self._list_once(service, region, read.operation, params, read.paginate or "", read.page_size)
        mine = config.get(read.match)
        found = next((i for i in items if isinstance(i, dict) and mine is not None and i.get(read.match) == mine), None)
        if found is None:
            return ABSENT
        return get(found, read.pick) if read.pick else found

    def _child(self, service: str, region: str, read: Read, parent: Mapping[str, Any], item: Any) -> Any:
        """A child list item read in full (an action group's Get), from the item's fields over its parent's."""
        if not isinstance(item, dict):
            raise self._malformed(service, region, read.operation, f"a listed item is {type(item).__name__}")
        value = self._read(service, region, read, {**parent, **item})
        if not isinstance(value, dict):
            raise self._malformed(service, region, read.operation, "the answer lacks the documented object")
        return value

    def _apply_reads(self, service: str, region: str, rtype: str, reads: Iterable[Read], record: Record) -> None:
        for read in reads:
            if read.when is not None and not read.when(record.config):
                continue
            self._merge_read(rtype, read, self._outcome(service, region, read, record.config), record)

    def _outcome(self, service: str, region: str, read: Read, config: Mapping[str, Any]) -> Any:
        """A read's value, ABSENT, or the AwsFailure it met."""
        try:
            return self._read(service, region, read, config)
        except AwsFailure as failure:
            return failure

    def _merge_read(self, rtype: str, read: Read, outcome: Any, record: Record) -> None:
        """Put a read's outcome into the record: its value where the read says, or its failure as an error."""
        if isinstance(outcome, AwsFailure):
            if not _absent(outcome, read.absent_codes, read.absent_message):
                self._fail(outcome, record.region, rtype, record.uid)
            return
        if outcome is ABSENT:
            return
        value = _plain(outcome)
        if read.into:
            record.config[read.into] = value
        elif isinstance(value, dict):
            record.config.update(value)

    def _tag_index(self, service: str, region: str, index: TagIndex) -> dict[str, Any]:
        """Lower-cased ARN -> tags, from one list of the region shared by every resource that asks."""
        read = index.read
        service = read.service or service
        params = render(dict(read.params), self._values(region, {}))
        signature = (service, region, read.operation, repr(sorted(params.items())))
        with self._lock:
            future = self._indexes.get(signature)
            owner = future is None
            if future is None:
                future = self._indexes[signature] = Future()
        if owner:
            try:
                items = self._list_once(service, region, read.operation, params, read.paginate or "", read.page_size)
                found = {
                    str(item[index.arn]).lower(): item.get(index.tags)
                    for item in items
                    if isinstance(item, dict) and isinstance(item.get(index.arn), str)
                }
                future.set_result(found)
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def _apply_tags(self, service: str, region: str, rtype: str, tags: Tags | None, record: Record) -> None:
        if tags is None:
            return
        if tags.index is not None:
            try:
                # ARNs name resources case-insensitively where it matters (SageMaker lower-cases names).
                found = self._tag_index(service, region, tags.index).get(record.uid.lower(), [])
            except AwsFailure as failure:
                self._fail(failure, record.region, rtype, record.uid)
                return
        elif tags.read is not None:
            try:
                found = self._read(service, region, tags.read, {**record.config, "uid": record.uid})
            except AwsFailure as failure:
                self._fail(failure, record.region, rtype, record.uid)
                return
            if not tags.read.paginate:
                found = get(found, tags.path)
        else:
            found = get(record.config, tags.path)
        if isinstance(found, dict):
            record.tags = {str(k): str(v) for k, v in found.items()}
        elif isinstance(found, list):
            record.tags = {
                str(t.get(tags.key)): str(t.get(tags.value, "")) for t in found if isinstance(t, dict) and tags.key in t
            }

    # -- phase two: what AI resources reference --------------------------------------------------

    def _index_names(self) -> None:
        """Name (and `named_by` field) -> uid, per type and region: how references by name resolve."""
        index: dict[tuple[str, str, str], str] = {}
        for rec in self._store.records():
            index[(rec.type, rec.region, rec.name.lower())] = rec.uid
            spec = _BY_TYPE.get(rec.type)
            for field_name in getattr(spec, "named_by", ()):
                if isinstance(value := rec.config.get(field_name), str):
                    index[(rec.type, rec.region, value.lower())] = rec.uid
        self._by_name = index

    def _resolve(self, source: Record, ref: Reference) -> Target:
        """Where a reference points: its uid, the region to fetch it in, and the id to fetch it by."""
        acct, part = self.session.account, self.session.partition
        spec = _BY_TYPE.get(ref.target)
        home = source.region if source.region != GLOBAL else GLOBAL_ENDPOINT_REGION.get(part, "us-east-1")
        if isinstance(spec, ReferencedSpec) and spec.resolve is not None:
            return Target(*spec.resolve(ref.value, home, acct, part))
        is_global = isinstance(spec, ListSpec) and spec.scope == "global"
        region = GLOBAL if is_global else home
        if ref.value.startswith("arn:"):
            return Target(ref.value, region, ref.value)
        named = self._by_name.get((ref.target, region, ref.value.lower()))
        if named is not None:
            return Target(named, region, ref.value)
        template = spec.ref_uid if spec is not None else None
        if template is None:
            return Target(ref.value, region, ref.value)
        values = {
            "ref": ref.value,
            "ref_lower": ref.value.lower(),
            "account": acct,
            "region": region,
            "partition": part,
        }
        return Target(template.format_map(values), region, ref.value)

    def _fetch_round(self, tasks: TaskGroup) -> bool:
        """Fetch referenced kinds not yet collected; False when nothing new is referenced."""
        self._index_names()
        wanted = self._store.referenced(RELATIONS, self._resolve, REFERENCED)
        for rtype, targets in wanted.items():
            spec = REFERENCED[rtype]
            by_region: dict[str, dict[str, str]] = defaultdict(dict)
            for target in targets:
                by_region[target.region][target.ident] = target.uid
            for region, ids in by_region.items():
                if spec.batch_param:
                    chunk = list(ids.items())
                    for start in range(0, len(chunk), spec.batch_size):
                        batch = dict(chunk[start : start + spec.batch_size])
                        tasks.submit(self._fetch_batch, tasks, spec, region, batch)
                else:
                    for ident, uid in ids.items():
                        tasks.submit(self._fetch_one, tasks, spec, region, ident, uid)
        tasks.wait()
        return bool(wanted)

    def _fetch_batch(self, tasks: TaskGroup, spec: ReferencedSpec, region: str, ids: dict[str, str]) -> None:
        assert spec.batch_param is not None
        try:
            found = self._paginate(
                spec.service, region, spec.describe_op, {spec.batch_param: list(ids)}, spec.result_key or "", None
            )
        except AwsFailure as failure:
            if failure.not_found and len(ids) > 1:
                # One deleted id fails the whole batch; ask for each so the rest are still seen.
                for ident, uid in ids.items():
                    self._fetch_batch(tasks, spec, region, {ident: uid})
                return
            for uid in ids.values():
                self._store.fail_referenced(
                    failure, account=self.session.account, region=region, resource_type=spec.type, uid=uid
                )
            return
        if not all(isinstance(item, dict) for item in found):
            wrong = next(type(item).__name__ for item in found if not isinstance(item, dict))
            malformed = self._malformed(
                spec.service, region, spec.describe_op, f"an item of the answer is {wrong}, not an object"
            )
            for uid in ids.values():
                self._fail(malformed, region, spec.type, uid)
            return
        for item in found:
            self._finish_referenced(tasks, spec, region, dict(item))

    def _fetch_one(self, tasks: TaskGroup, spec: ReferencedSpec, region: str, ident: str, uid: str) -> None:
        try:
            answer = self._invoke(spec.service, region, spec.describe_op, {spec.id_param: ident})
        except AwsFailure as failure:
            self._store.fail_referenced(
                failure, account=self.session.account, region=region, resource_type=spec.type, uid=uid
            )
            return
        body = get(answer, spec.result_key) if spec.result_key else answer
        if not isinstance(body, dict):
            malformed = self._malformed(
                spec.service,
                region,
                spec.describe_op,
                f"the answer is {type(body).__name__}, not the documented object",
            )
            self._fail(malformed, region, spec.type, uid)
            return
        config = {spec.id_param: ident, **_plain(body)} if not spec.result_key else _plain(body)
        stored_as = self._finish_referenced(tasks, spec, region, config)
        if stored_as != uid:
            self._store.alias(uid, stored_as)

    def _finish_referenced(self, tasks: TaskGroup, spec: ReferencedSpec, region: str, config: dict[str, Any]) -> str:
        """Read a referenced resource's extra reads and tags and store it; its uid. Reads that do not depend on
        one another run as tasks of their own (a referenced kind is often fetched alone, at the end of a scan,
        where its reads one after the other would be the scan's longest chain); their answers are merged in
        their declared order, exactly as one after the other."""
        config = _plain(config)
        home = spec.region_of(config) if spec.region_of else region
        record = self._record(spec.type, home, home, config, spec.uid, spec.name)
        if len(spec.reads) > 1 and _independent(spec.reads):
            self._read_at_once(tasks, spec, home, record)
        else:
            self._apply_reads(spec.service, home, spec.type, spec.reads, record)
            self._apply_tags(spec.service, home, spec.type, spec.tags, record)
            self._store.put(record)
        return record.uid

    def _read_at_once(self, tasks: TaskGroup, spec: ReferencedSpec, region: str, record: Record) -> None:
        """Each read as a task; the last to finish merges every answer in order, then tags and stores the record."""
        outcomes: list[Any] = [None] * len(spec.reads)
        left = [len(spec.reads)]

        def read_one(index: int, read: Read) -> None:
            outcomes[index] = self._outcome(spec.service, region, read, record.config)
            with self._lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                for done, outcome in zip(spec.reads, outcomes, strict=True):
                    self._merge_read(spec.type, done, outcome, record)
                self._apply_tags(spec.service, region, spec.type, spec.tags, record)
                self._store.put(record)

        for index, read in enumerate(spec.reads):
            tasks.submit(read_one, index, read)

    # -- assembling the result -------------------------------------------------------------------

    def _scope_records(self) -> list[Record]:
        acct, part = self.session.account, self.session.partition
        account = Record(
            type="aws.account",
            account=acct,
            region=GLOBAL,
            uid=f"arn:{part}:iam::{acct}:root",
            name=acct,
            config={
                "AccountId": acct,
                "Partition": part,
                "Identity": self.session.identity,
                "Regions": list(self.regions),
            },
        )
        regions = [
            Record(
                type="aws.region",
                account=acct,
                region=region,
                uid=f"arn:{part}:ec2:{region}:{acct}:region/{region}",
                name=region,
                config={"RegionName": region, "AccountId": acct},
            )
            for region in self.regions
        ]
        return [account, *regions]

    def _declare(self, tasks: TaskGroup, regions: Iterable[str], with_global: bool) -> None:
        """Phase one for `regions`' regional kinds and, if `with_global`, the global ones."""
        global_region = GLOBAL_ENDPOINT_REGION.get(self.session.partition, "us-east-1")
        chosen = tuple(regions)
        for spec in LIST_SPECS if self.kinds is None else self.kinds:
            if spec.scope == "regional":
                for region in chosen:
                    tasks.submit(self._list_kind, tasks, spec, region)
            elif with_global:
                tasks.submit(self._list_kind, tasks, spec, global_region)

    def _parts(self) -> list[Part]:
        """Phase one split by region for worker processes; the global kinds go with the first region."""
        return [
            Part(
                profile=self.session.profile,
                account=self.session.account,
                partition=self.session.partition,
                identity=self.session.identity,
                scan_regions=self.regions,
                regions=(region,),
                with_global=index == 0,
                workers=self.workers,
                max_pages=self.max_pages,
            )
            for index, region in enumerate(self.regions)
        ]

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        parts = self._parts()
        with TaskGroup(self.workers, progress) as tasks:
            if self.executor is not None and self.session.portable and len(parts) > 1:
                # Each region's declared kinds in a process of its own (several cores, one GIL each); what
                # they reference is then fetched here, across regions, exactly as in one process.
                self.load_service_models(region_worker_calls())
                for records, errors in self.executor.map(collect_part, parts):
                    self._store.absorb(records, errors)
                while self._fetch_round(tasks):
                    pass
                return self._result()
            return self.collect_in(tasks)

    def load_service_models(self, calls: Iterable[tuple[str, str]]) -> None:
        """Load the models of the services `calls` use (and their paginators) in this process now. Before
        region workers are forked: each then inherits them instead of parsing the same JSON again (about a
        third of a region's CPU)."""
        region = self.regions[0]
        for service, method in sorted(set(calls)):
            self.session.client(service, region).can_paginate(method)

    def collect_in(self, tasks: TaskGroup) -> CollectionResult:
        """The whole collection on a pool shared with other accounts' engines (an organization scan): `tasks.wait`
        then waits for their calls too, which delays this account's rounds but changes none of its results."""
        self._declare(tasks, self.regions, with_global=True)
        tasks.wait()
        while self._fetch_round(tasks):
            pass
        return self._result()

    def _result(self) -> CollectionResult:
        self._index_names()
        if self.kinds is not None:
            return self._store.result(RELATIONS, self._resolve, [], [])
        scope = Scope(
            provider="aws", account=self.session.account, regions=self.regions, identity=self.session.identity
        )
        return self._store.result(RELATIONS, self._resolve, [scope], self._scope_records())
