"""The one Google Cloud collection engine: projects x locations x kinds on a bounded pool.

Projects come from `--projects` or, for an organization or a folder (at any
depth), from Cloud Asset Inventory. Cloud Asset Inventory also says where each project has AI
resources, so Vertex AI is listed only in the locations that hold some
(on their regional hosts) instead of in every Google region. Then come the
project's IAM policy and those it inherits (of the folders above it and of
its organization, each read once however many projects share it),
organization policies, Security Command Center, billing and budgets; in a
second round, what the AI resources name: the service accounts they run as
(with their user-managed keys and their own IAM policies), their Cloud KMS
keys and the buckets they use (with their IAM policies). Every failed read
becomes a `CollectionError` naming the IAM permission it needed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collectors import ProgressCallback
from collectors.gcp.api import GoogleApis, GoogleFailure
from collectors.gcp.specs import (
    AI_ASSET_TYPES,
    ARMOR_FLOOR,
    ARMOR_TEMPLATE,
    BQ_DATASET,
    BUCKET,
    BUDGET,
    CAI_PAGE_SIZE,
    CRYPTO_KEY,
    DISCOVERY_CONFIG,
    GET_BILLING_INFO,
    GET_BUCKET,
    GET_BUCKET_IAM_POLICY,
    GET_CRYPTO_KEY,
    GET_DATASET,
    GET_EFFECTIVE_POLICY,
    GET_FLOOR_SETTING,
    GET_FOLDER,
    GET_FOLDER_IAM_POLICY,
    GET_IAM_POLICY,
    GET_NETWORK,
    GET_ORGANIZATION_IAM_POLICY,
    GET_PROJECT,
    GET_SERVICE_ACCOUNT_IAM_POLICY,
    LIST_ACCESS_POLICIES,
    LIST_ARMOR_TEMPLATES,
    LIST_BUDGETS,
    LIST_DISCOVERY_CONFIGS,
    LIST_FIREWALLS,
    LIST_PERIMETERS,
    LIST_SCC_SERVICES,
    LIST_SERVICE_ACCOUNT_KEYS,
    LIST_SERVICE_ACCOUNTS,
    LIST_WORKBENCH_INSTANCES,
    NETWORK,
    ORG_POLICY,
    ORG_POLICY_CONSTRAINTS,
    PERIMETER,
    PROJECT,
    PROJECT_ASSET_TYPE,
    RELATIONS,
    SCC,
    SEARCH_RESOURCES,
    SERVICE_ACCOUNT,
    VERTEX_KINDS,
    WORKBENCH,
    WORKBENCH_ASSET_TYPE,
    Read,
    VertexKind,
    crypto_key_of,
    network_of,
)
from collectors.kernel import GLOBAL, Record, Reference, Store, Target, scopes_of
from collectors.pool import TaskGroup
from cspm_ai.doc import get
from cspm_ai.errors import ConfigError
from cspm_ai.gcp import region_of
from cspm_ai.model import CollectionResult

# Project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter (domain-scoped
# legacy ids such as "example.com:proj" are accepted too).
PROJECT_ID = re.compile(r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
LOCATION = re.compile(r"^[a-z]+(?:-[a-z]+)+\d+(?:-[a-z])?$|^global$")
_FETCHED = (SERVICE_ACCOUNT, CRYPTO_KEY, BUCKET, BQ_DATASET, NETWORK)
# Kinds listed per project and AI location besides the Vertex AI ones (blind with them when the search fails).
_REGIONAL = (ARMOR_TEMPLATE, DISCOVERY_CONFIG)
# IAM policy version 3: conditional bindings come with their conditions (a lower version is refused for them).
POLICY_VERSION = 3
# How each JSON API names the policy version it is asked for.
POLICY_VERSION_PARAM = {"iam": "options.requestedPolicyVersion", "storage": "optionsRequestedPolicyVersion"}
PAGE_SIZE = 100  # the largest page the Model Armor, Sensitive Data Protection and Workbench lists take
FIREWALL_PAGE_SIZE = 500  # Compute Engine's maxResults ceiling


def check_scope(
    projects: Sequence[str] | None,
    organization: str | None,
    locations: Sequence[str] | None,
    folder: str | None = None,
) -> None:
    """Reject malformed project ids, organization and folder ids and locations, and a folder with another scope,
    before any call is made."""
    if folder is not None and (projects or organization is not None):
        raise ConfigError(
            "--folder cannot be used with --projects or --organization.",
            "Pass one scope (or set one of folder, projects and organization in [gcp]): --folder scans every "
            "active project under the folder, at any depth.",
        )
    if folder is not None and not folder.removeprefix("folders/").isdigit():
        raise ConfigError(
            f"{folder!r} is not a folder id.",
            "Pass the numeric id `gcloud resource-manager folders list` shows, e.g. 123456789012.",
        )
    bad = [p for p in projects or () if not PROJECT_ID.match(p)]
    if bad:
        raise ConfigError(
            f"{', '.join(map(repr, bad))} is not a Google Cloud project id.",
            "Project ids are 6 to 30 lowercase letters, digits and hyphens, e.g. ml-prod-4521.",
        )
    if organization is not None and not organization.removeprefix("organizations/").isdigit():
        raise ConfigError(
            f"{organization!r} is not an organization id.",
            "Pass the numeric id `gcloud organizations list` shows, e.g. 123456789012.",
        )
    unknown = sorted(loc for loc in locations or () if not LOCATION.match(loc))
    if unknown:
        raise ConfigError(
            f"{', '.join(map(repr, unknown))} is not a Google Cloud location.",
            "Use region names such as us-central1 or europe-west4.",
        )


def _record(
    rtype: str, account: str, region: str, item: dict[str, Any], *, api: str, name: str | None = None
) -> Record:
    """A resource under the full name Cloud Asset Inventory gives it, shown by its display name."""
    full = str(item.get("name") or "")
    shown = name or item.get("displayName") or full.rsplit("/", 1)[-1] or full
    labels = item.get("labels") if isinstance(item.get("labels"), dict) else {}
    return Record(
        type=rtype,
        account=account,
        region=region,
        uid=f"//{api}.googleapis.com/{full}",
        name=str(shown),
        config=item,
        tags={str(k): str(v) for k, v in (labels or {}).items()},
    )


@dataclass
class _Project:
    id: str
    number: str | None = None


class GcpEngine:
    """Collects the chosen projects (or an organization's, or a folder's), `workers` reads at a time."""

    provider = "gcp"

    def __init__(
        self,
        apis: GoogleApis,
        *,
        projects: Sequence[str] | None = None,
        organization: str | None = None,
        folder: str | None = None,
        locations: Sequence[str] | None = None,
        identity: str = "",
        workers: int = 16,
    ) -> None:
        self.apis = apis
        self.requested = list(projects) if projects else None
        self.organization = organization.removeprefix("organizations/") if organization else None
        self.folder = folder.removeprefix("folders/") if folder else None
        self.locations = {region_of(loc) for loc in locations} if locations else None
        self.identity = identity
        self.workers = workers
        self._lock = threading.Lock()
        self._store = Store("gcp")
        self._projects: dict[str, _Project] = {}
        self._project_extra: dict[str, dict[str, Any]] = {}
        self._project_failures: dict[str, list[GoogleFailure]] = {}
        self._listed_accounts: dict[str, tuple[str, dict[str, Any]]] = {}
        # The project a referenced store or network was named by (a failed read of it is recorded there).
        self._referrers: dict[str, str] = {}
        self._firewalls: dict[str, list[dict[str, Any]] | GoogleFailure] = {}
        # The parent of each project ("projects/<id>") and folder read, and the IAM policy of each folder and
        # organization above a project; a failed read in their place.
        self._parents: dict[str, str | GoogleFailure] = {}
        self._ancestor_policies: dict[str, dict[str, Any] | GoogleFailure] = {}
        check_scope(self.requested, organization, locations, folder)
        if not self.requested and not self.organization and not self.folder:
            raise ConfigError(
                "No Google Cloud project to scan.",
                "Pass --projects a,b, --organization <id> or --folder <id> (or set a default project with "
                "`gcloud config set project`).",
            )

    @property
    def scope(self) -> str | None:
        """The organization or folder whose projects are scanned (searched in Cloud Asset Inventory), if any."""
        if self.organization is not None:
            return f"organizations/{self.organization}"
        return f"folders/{self.folder}" if self.folder is not None else None

    def _fail(
        self, failure: GoogleFailure, account: str, rtype: str, region: str = GLOBAL, uid: str | None = None
    ) -> None:
        self._store.fail(failure, account=account, region=region, resource_type=rtype, uid=uid)

    def _put(
        self, rtype: str, account: str, region: str, item: dict[str, Any], *, api: str, name: str | None = None
    ) -> Record:
        return self._store.put(_record(rtype, account, region, item, api=api, name=name))

    # -- projects ---------------------------------------------------------------------------

    def projects(self) -> list[str]:
        """The projects to scan: those asked for, else every active project of the organization or under the
        folder (Cloud Asset Inventory's search of a folder covers its folders too)."""
        if self._projects:
            return list(self._projects)
        scope = self.scope
        if scope is None:
            self._projects = {p: _Project(p) for p in dict.fromkeys(self.requested or ())}
            return list(self._projects)
        where = f"folder {self.folder}" if self.organization is None else f"organization {self.organization}"
        try:
            found = self.apis.list(
                SEARCH_RESOURCES,
                {"scope": scope, "asset_types": [PROJECT_ASSET_TYPE], "page_size": CAI_PAGE_SIZE},
            )
        except GoogleFailure as failure:
            raise ConfigError(
                f"Cannot list the projects of {where}: {failure.code}: {' '.join(failure.message.split())}",
                f"Grant the scanning identity roles/cloudasset.viewer ({SEARCH_RESOURCES.permission}) on the "
                + ("organization, or pass --projects." if self.folder is None else "folder, and check its id."),
            ) from failure
        active: dict[str, _Project] = {}
        for result in found:
            project_id = get(result, "additionalAttributes.projectId")
            number = str(get(result, "project", "")).removeprefix("projects/")
            if get(result, "state") == "ACTIVE" and isinstance(project_id, str) and project_id:
                active[project_id] = _Project(project_id, number or None)
        if self.requested:
            missing = [p for p in self.requested if p not in active]
            if missing:
                raise ConfigError(
                    f"Project {', '.join(missing)} is not an active project of organization {self.organization}.",
                    "Check the ids, or drop --organization.",
                )
            active = {p: active[p] for p in self.requested}
        if not active and self.folder is not None:
            raise ConfigError(f"Folder {self.folder} holds no active project.", "Check the folder id.")
        self._projects = dict(sorted(active.items()))
        return list(self._projects)

    def _project(self, tasks: TaskGroup, project: str) -> None:
        try:
            item = self.apis.get(GET_PROJECT, {"name": f"projects/{project}"})
        except GoogleFailure as failure:
            self._fail(failure, project, PROJECT)
            return
        self._put(PROJECT, project, GLOBAL, item, api="cloudresourcemanager", name=project)
        number = str(item.get("name", "")).removeprefix("projects/")
        parent = str(item.get("parent") or "")
        with self._lock:
            self._projects[project].number = number or None
            self._parents[f"projects/{project}"] = parent
        self._ancestry(tasks, project, parent)

    def _project_read(self, project: str, key: str, read: Read, request: dict[str, Any]) -> None:
        """A read whose answer becomes key `key` of the project's configuration."""
        try:
            answer = self.apis.get(read, request)
        except GoogleFailure as failure:
            with self._lock:
                self._project_failures.setdefault(project, []).append(failure)
            return
        with self._lock:
            self._project_extra.setdefault(project, {})[key] = answer

    def _ancestry(self, tasks: TaskGroup, project: str, parent: str) -> None:
        """Walk folders up to the organization, whose service perimeters are then listed once; the IAM policy of
        each folder and of the organization on the way is read once, whatever the number of projects below."""
        if parent.startswith("organizations/"):
            if self.organization is None:  # an organization scan lists its perimeters from the start
                tasks.submit(self._perimeters, parent.removeprefix("organizations/"))
            if self._store.claim(f"iam:{parent}"):
                tasks.submit(self._ancestor_policy, GET_ORGANIZATION_IAM_POLICY, parent)
        elif parent.startswith("folders/") and self._store.claim(parent):
            tasks.submit(self._folder, tasks, project, parent)
            tasks.submit(self._ancestor_policy, GET_FOLDER_IAM_POLICY, parent)

    def _folder(self, tasks: TaskGroup, project: str, folder: str) -> None:
        try:
            item = self.apis.get(GET_FOLDER, {"name": folder})
        except GoogleFailure as failure:
            # Without the organization its perimeters cannot be listed, nor the policies above inherited.
            self._fail(failure, project, PERIMETER)
            with self._lock:
                self._parents[folder] = failure
            return
        parent = str(item.get("parent") or "")
        with self._lock:
            self._parents[folder] = parent
        self._ancestry(tasks, project, parent)

    def _ancestor_policy(self, read: Read, name: str) -> None:
        """The IAM policy of a folder or organization, which every project below it inherits."""
        policy: dict[str, Any] | GoogleFailure
        try:
            policy = self.apis.get(read, {"resource": name, "options": {"requested_policy_version": POLICY_VERSION}})
        except GoogleFailure as failure:
            policy = failure
        with self._lock:
            self._ancestor_policies[name] = policy

    def _inherited(self, project: str) -> tuple[list[dict[str, Any]], list[GoogleFailure]]:
        """The IAM policies a project inherits, nearest first ({"resource": "folders/1", "iamPolicy": ...}), and
        the failed reads that leave some of them unknown."""
        policies: list[dict[str, Any]] = []
        failures: list[GoogleFailure] = []
        parent = self._parents.get(f"projects/{project}")
        while isinstance(parent, str) and parent.startswith(("folders/", "organizations/")):
            policy = self._ancestor_policies.get(parent)
            if isinstance(policy, GoogleFailure):
                failures.append(policy)
            elif policy is not None:
                policies.append({"resource": parent, "iamPolicy": policy})
            parent = self._parents.get(parent) if parent.startswith("folders/") else None
        if isinstance(parent, GoogleFailure):
            failures.append(parent)  # a folder whose parent is unknown: the policies above it are unknown too
        return policies, failures

    # -- discovery ----------------------------------------------------------------------------

    def _ai_locations(
        self, found: list[dict[str, Any]], scope: str, projects: Sequence[str]
    ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """(project, region) pairs holding Vertex AI resources and (project, zone) pairs holding Workbench
        instances, from Cloud Asset Inventory search results."""
        by_number = {p.number: p.id for p in self._projects.values() if p.number}
        wanted = set(projects)
        zones: set[tuple[str, str]] = set()
        regions: set[tuple[str, str]] = set()
        for result in found:
            owner = str(get(result, "project", "")).removeprefix("projects/")
            project = by_number.get(owner, owner if owner in wanted else None)
            if project is None and scope.startswith("projects/"):
                project = projects[0]  # a project scope holds only that project's resources
            location = get(result, "location")
            if project not in wanted or not isinstance(location, str) or not location:
                continue
            if self.locations is not None and region_of(location) not in self.locations:
                continue
            (zones if get(result, "assetType") == WORKBENCH_ASSET_TYPE else regions).add((project, location))
        return regions, zones

    def _discover(self, tasks: TaskGroup, scope: str, projects: Sequence[str]) -> None:
        """Where the projects have AI resources, from Cloud Asset Inventory; then list them there."""
        try:
            found = self.apis.list(
                SEARCH_RESOURCES, {"scope": scope, "asset_types": list(AI_ASSET_TYPES), "page_size": CAI_PAGE_SIZE}
            )
        except GoogleFailure as failure:
            for project in projects:
                for rtype in (*(k.type for k in VERTEX_KINDS), WORKBENCH, *_REGIONAL):
                    self._fail(failure, project, rtype)
            return
        regions, zones = self._ai_locations(found, scope, projects)
        for project, location in sorted(regions):
            for kind in VERTEX_KINDS:
                tasks.submit(self._vertex, kind, project, location)
            tasks.submit(self._armor_templates, project, location)
            tasks.submit(self._discovery_configs, project, location)
        for project, zone in sorted(zones):
            tasks.submit(self._workbench, project, zone)
        # Kinds the search cannot find are listed in the locations asked for as well.
        for project in projects:
            seen = {location for p, location in regions if p == project}
            for location in sorted((self.locations or set()) - seen):
                for kind in VERTEX_KINDS:
                    if not kind.searchable:
                        tasks.submit(self._vertex, kind, project, location)

    def _vertex(self, kind: VertexKind, project: str, location: str) -> None:
        try:
            items = self.apis.list(
                kind.read,
                {"parent": f"projects/{project}/locations/{location}", "page_size": kind.page_size},
                location=location,
            )
        except GoogleFailure as failure:
            self._fail(failure, project, kind.type, location)
            return
        for item in items:
            self._put(kind.type, project, location, item, api="aiplatform")

    def _workbench(self, project: str, zone: str) -> None:
        try:
            items = self.apis.list(
                LIST_WORKBENCH_INSTANCES, {"parent": f"projects/{project}/locations/{zone}", "page_size": 100}
            )
        except GoogleFailure as failure:
            self._fail(failure, project, WORKBENCH, zone)
            return
        for item in items:
            self._put(WORKBENCH, project, zone, item, api="notebooks")

    def _armor_templates(self, project: str, location: str) -> None:
        """Model Armor templates on the location's regional host; none when the API is off in the project."""
        try:
            items = self.apis.list(
                LIST_ARMOR_TEMPLATES,
                {"parent": f"projects/{project}/locations/{location}", "page_size": PAGE_SIZE},
                location=location,
            )
        except GoogleFailure as failure:
            if not failure.service_disabled:
                self._fail(failure, project, ARMOR_TEMPLATE, location)
            return
        for item in items:
            self._put(ARMOR_TEMPLATE, project, location, item, api="modelarmor")

    def _floor_setting(self, project: str) -> None:
        """The project's Model Armor floor setting; with the API disabled, a record saying so (Model Armor
        cannot screen anything there), not a blind read."""
        name = f"projects/{project}/locations/global/floorSetting"
        try:
            item = self.apis.get(GET_FLOOR_SETTING, {"name": name})
        except GoogleFailure as failure:
            if not failure.service_disabled:
                self._fail(failure, project, ARMOR_FLOOR)
                return
            item = {"name": name, "apiDisabled": True}
        shown = f"Model Armor floor setting ({project})"
        self._put(ARMOR_FLOOR, project, GLOBAL, {"name": name, **item}, api="modelarmor", name=shown)

    def _discovery_configs(self, project: str, location: str) -> None:
        """Sensitive Data Protection discovery configs of the project in one location; none when the API is off."""
        parent = f"projects/{project}/locations/{location}"
        if not self._store.claim(f"dlp:{parent}"):
            return
        try:
            items = self.apis.list(LIST_DISCOVERY_CONFIGS, {"parent": parent, "page_size": PAGE_SIZE})
        except GoogleFailure as failure:
            if not failure.service_disabled:
                self._fail(failure, project, DISCOVERY_CONFIG, location)
            return
        for item in items:
            self._put(DISCOVERY_CONFIG, project, location, item, api="dlp")

    # -- around the AI resources --------------------------------------------------------------

    def _service_accounts(self, project: str) -> None:
        try:
            accounts = self.apis.raw_list(LIST_SERVICE_ACCOUNTS, project=project)
        except GoogleFailure as failure:
            self._fail(failure, project, SERVICE_ACCOUNT)
            return
        whole = [a for a in accounts if isinstance(a.get("email"), str) and isinstance(a.get("name"), str)]
        if len(whole) < len(accounts):
            # An account that cannot be named cannot be judged: its project's accounts are ERROR, not skipped.
            missing = len(accounts) - len(whole)
            self._fail(
                GoogleFailure(
                    LIST_SERVICE_ACCOUNTS,
                    None,
                    "MalformedResponse",
                    f"{missing} service account(s) came without a name or email",
                ),
                project,
                SERVICE_ACCOUNT,
            )
        with self._lock:
            for account in whole:
                self._listed_accounts[account["email"].lower()] = (project, account)

    def _keys(self, record: Record) -> None:
        try:
            keys = self.apis.raw_list(
                LIST_SERVICE_ACCOUNT_KEYS, {"keyTypes": "USER_MANAGED"}, paged=False, name=record.config["name"]
            )
        except GoogleFailure as failure:
            self._fail(failure, record.account, SERVICE_ACCOUNT, uid=record.uid)
            return
        self._store.merge(record.uid, "keys", keys)

    def _org_policy(self, project: str, constraint: str) -> None:
        name = f"projects/{project}/policies/{constraint.removeprefix('constraints/')}"
        try:
            item = self.apis.get(GET_EFFECTIVE_POLICY, {"name": name})
        except GoogleFailure as failure:
            if failure.not_found:
                return  # a constraint this universe does not define: nothing to enforce
            self._fail(failure, project, ORG_POLICY)
            return
        self._put(ORG_POLICY, project, GLOBAL, {"name": name, **item}, api="orgpolicy", name=constraint)

    def _scc(self, project: str) -> None:
        parent = f"projects/{project}/locations/global"
        try:
            services = self.apis.list(LIST_SCC_SERVICES, {"parent": parent, "page_size": 100})
        except GoogleFailure as failure:
            self._fail(failure, project, SCC)
            return
        summary = [
            {
                "name": str(s.get("name", "")).rsplit("/", 1)[-1],
                **{k: s[k] for k in ("intendedEnablementState", "effectiveEnablementState") if k in s},
            }
            for s in services
        ]
        enabled = any(s.get("effectiveEnablementState") == "ENABLED" for s in services)
        item = {"name": f"{parent}/securityCenterServices", "enabled": enabled, "services": summary}
        self._put(
            SCC, project, GLOBAL, item, api="securitycentermanagement", name=f"Security Command Center ({project})"
        )

    def _billing(self, tasks: TaskGroup, project: str) -> None:
        try:
            info = self.apis.get(GET_BILLING_INFO, {"name": f"projects/{project}"})
        except GoogleFailure as failure:
            self._fail(failure, project, BUDGET)
            return
        with self._lock:
            self._project_extra.setdefault(project, {})["billingInfo"] = info
        account = info.get("billingAccountName")
        if isinstance(account, str) and account and self._store.claim(account):
            tasks.submit(self._budgets, account)

    def _budgets(self, account: str) -> None:
        try:
            budgets = self.apis.list(LIST_BUDGETS, {"parent": account, "page_size": 100})
        except GoogleFailure as failure:
            self._fail(failure, account, BUDGET)
            return
        for budget in budgets:
            self._put(BUDGET, account, GLOBAL, budget, api="billingbudgets")

    def _perimeters(self, organization: str) -> None:
        if not self._store.claim(f"organizations/{organization}"):
            return
        account = f"organizations/{organization}"
        try:
            policies = self.apis.raw_list(LIST_ACCESS_POLICIES, {"parent": account})
            for policy in policies:
                if not isinstance(policy.get("name"), str) or not policy["name"]:
                    raise GoogleFailure(
                        LIST_ACCESS_POLICIES,
                        None,
                        "MalformedResponse",
                        "an access policy came without a name, so its perimeters cannot be listed",
                    )
                for perimeter in self.apis.raw_list(LIST_PERIMETERS, policy=policy["name"]):
                    title = perimeter.get("title") or None
                    self._put(PERIMETER, account, GLOBAL, perimeter, api="accesscontextmanager", name=title)
        except GoogleFailure as failure:
            self._fail(failure, account, PERIMETER)

    # -- second round: what the AI resources name ------------------------------------------------

    def _project_id(self, token: str) -> str:
        """A project id from an id or a number of a scanned project (an unknown number stays a number)."""
        by_number = {p.number: p.id for p in self._projects.values() if p.number}
        return by_number.get(token, token)

    def _resolve(self, source: Record, ref: Reference) -> Target:
        if ref.target == BUCKET:
            uid = f"//storage.googleapis.com/projects/_/buckets/{ref.value}"
            self._referrers.setdefault(uid, source.account)
            return Target(uid, GLOBAL, ref.value)
        if ref.target == BQ_DATASET:
            project, _, dataset = ref.value.rpartition(".")
            return Target(f"//bigquery.googleapis.com/projects/{project}/datasets/{dataset}", GLOBAL, ref.value)
        if ref.target == NETWORK:
            _, token, _, _, name = ref.value.split("/")
            ident = f"projects/{self._project_id(token)}/global/networks/{name}"
            return Target(f"//compute.googleapis.com/{ident}", GLOBAL, ident)
        if ref.target == SERVICE_ACCOUNT:
            listed = self._listed_accounts.get(ref.value.lower())
            if listed is None:
                return Target(f"//iam.googleapis.com/projects/-/serviceAccounts/{ref.value}", GLOBAL, ref.value)
            return Target(f"//iam.googleapis.com/{listed[1]['name']}", GLOBAL, ref.value)
        if ref.target == CRYPTO_KEY:
            parts = ref.value.split("/")
            location = parts[3] if len(parts) > 3 else GLOBAL
            return Target(f"//cloudkms.googleapis.com/{ref.value}", location, ref.value)
        return Target(f"//aiplatform.googleapis.com/{ref.value}", GLOBAL, ref.value)

    def _service_account(self, tasks: TaskGroup, email: str) -> None:
        listed = self._listed_accounts.get(email.lower())
        if listed is None:
            return  # another project's account, or its project's list failed (recorded there)
        project, account = listed
        record = self._put(SERVICE_ACCOUNT, project, GLOBAL, account, api="iam", name=account["email"])
        tasks.submit(self._keys, record)
        tasks.submit(self._account_policy, record)

    def _account_policy(self, record: Record) -> None:
        """Who may act as the service account: the IAM policy written on it (token creators, users, admins)."""
        project = str(record.config.get("projectId") or record.account)
        self._resource_policy(
            record, GET_SERVICE_ACCOUNT_IAM_POLICY, project=project, email=str(record.config["email"])
        )

    def _resource_policy(self, record: Record, read: Read, **path: str) -> None:
        """The IAM policy written on a bucket or service account, kept as its `iamPolicy`; a failed read is an
        error of that resource alone."""
        try:
            policy = self.apis.raw_get(read, {POLICY_VERSION_PARAM[read.api]: str(POLICY_VERSION)}, **path)
        except GoogleFailure as failure:
            self._fail(failure, record.account, record.type, uid=record.uid)
            return
        self._store.merge(record.uid, "iamPolicy", policy)

    def _crypto_key(self, target: Target) -> None:
        parts = target.ident.split("/")
        project = parts[1] if len(parts) > 3 else ""
        try:
            item = self.apis.get(GET_CRYPTO_KEY, {"name": target.ident})
        except GoogleFailure as failure:
            self._store.fail_referenced(
                failure, account=project, region=target.region, resource_type=CRYPTO_KEY, uid=target.uid
            )
            return
        self._put(CRYPTO_KEY, project, target.region, item, api="cloudkms")

    def _bucket(self, tasks: TaskGroup, target: Target) -> None:
        """A Cloud Storage bucket an AI resource reads or writes, recorded under its own project, then its IAM
        policy."""
        try:
            item = self.apis.raw_get(GET_BUCKET, bucket=target.ident)
        except GoogleFailure as failure:
            account = self._referrers.get(target.uid, "")
            self._store.fail_referenced(failure, account=account, region=GLOBAL, resource_type=BUCKET, uid=target.uid)
            return
        account = self._project_id(str(item.get("projectNumber") or "")) or self._referrers.get(target.uid, "")
        region = str(item.get("location") or GLOBAL).lower()
        labels = item.get("labels") if isinstance(item.get("labels"), dict) else {}
        tags = {str(k): str(v) for k, v in (labels or {}).items()}
        record = self._store.put(Record(BUCKET, account, region, target.uid, target.ident, item, tags))
        tasks.submit(self._bucket_policy, record)

    def _bucket_policy(self, record: Record) -> None:
        self._resource_policy(record, GET_BUCKET_IAM_POLICY, bucket=record.name)

    def _dataset(self, target: Target) -> None:
        """A BigQuery dataset an AI resource reads or writes (training data, request-response logs)."""
        project, _, dataset = target.ident.rpartition(".")
        try:
            item = self.apis.raw_get(GET_DATASET, project=project, dataset=dataset)
        except GoogleFailure as failure:
            self._store.fail_referenced(
                failure, account=project, region=GLOBAL, resource_type=BQ_DATASET, uid=target.uid
            )
            return
        region = str(item.get("location") or GLOBAL).lower()
        labels = item.get("labels") if isinstance(item.get("labels"), dict) else {}
        tags = {str(k): str(v) for k, v in (labels or {}).items()}
        self._store.put(Record(BQ_DATASET, project, region, target.uid, target.ident, item, tags))

    def _network(self, tasks: TaskGroup, target: Target) -> None:
        """A VPC network AI resources are attached to; its project's firewall rules are listed once."""
        _, project, _, _, name = target.ident.split("/")
        try:
            item = self.apis.get(GET_NETWORK, {"project": project, "network": name})
        except GoogleFailure as failure:
            self._store.fail_referenced(failure, account=project, region=GLOBAL, resource_type=NETWORK, uid=target.uid)
            return
        self._store.put(Record(NETWORK, project, GLOBAL, target.uid, name, item))
        if self._store.claim(f"firewalls:{project}"):
            tasks.submit(self._firewall_rules, project)

    def _firewall_rules(self, project: str) -> None:
        try:
            rules: list[dict[str, Any]] | GoogleFailure = self.apis.list(
                LIST_FIREWALLS, {"project": project, "max_results": FIREWALL_PAGE_SIZE}
            )
        except GoogleFailure as failure:
            rules = failure
        with self._lock:
            self._firewalls[project] = rules

    def _fetch_round(self, tasks: TaskGroup) -> bool:
        wanted = self._store.referenced(RELATIONS, self._resolve, _FETCHED)
        for target in sorted(wanted.get(SERVICE_ACCOUNT, ()), key=lambda t: t.ident.lower()):
            tasks.submit(self._service_account, tasks, target.ident)
        for target in sorted(wanted.get(CRYPTO_KEY, ()), key=lambda t: t.ident):
            tasks.submit(self._crypto_key, target)
        for target in sorted(wanted.get(BUCKET, ()), key=lambda t: t.ident):
            tasks.submit(self._bucket, tasks, target)
        for target in sorted(wanted.get(BQ_DATASET, ()), key=lambda t: t.ident):
            tasks.submit(self._dataset, target)
        for target in sorted(wanted.get(NETWORK, ()), key=lambda t: t.ident):
            tasks.submit(self._network, tasks, target)
        tasks.wait()
        return bool(wanted)

    # -- assembling -------------------------------------------------------------------------------

    def _finish_networks(self) -> None:
        """Each network gets the VPC firewall rules of its project that apply to it; when the rules could not be
        listed, the network cannot be judged."""
        for record in self._store.records():
            if record.type != NETWORK:
                continue
            rules = self._firewalls.get(record.account, [])
            if isinstance(rules, GoogleFailure):
                self._fail(rules, record.account, NETWORK, uid=record.uid)
                continue
            own = network_of(record.config.get("selfLink")) or record.uid.removeprefix("//compute.googleapis.com/")
            self._store.merge(record.uid, "firewalls", [r for r in rules if network_of(r.get("network")) == own])

    def _finish_projects(self) -> None:
        """Each project's own reads join its configuration, and its resources link to it; a failed
        IAM policy read makes the project's own checks unseeable (not PASS on an empty policy)."""
        projects = {r.account: r for r in self._store.records() if r.type == PROJECT}
        for project, record in projects.items():
            for key, value in self._project_extra.get(project, {}).items():
                self._store.merge(record.uid, key, value)
            inherited, failures = self._inherited(project)
            self._store.merge(record.uid, "ancestorIamPolicies", inherited)
            if failures:  # an inherited policy not read leaves the project's effective policy unknown
                self._project_failures.setdefault(project, []).extend(failures)
            number = self._projects[project].number
            if number:
                self._store.merge(
                    record.uid, "defaultComputeServiceAccount", f"{number}-compute@developer.gserviceaccount.com"
                )
        for record in self._store.records():
            if record.type != PROJECT and record.account in projects:
                record.links.append(("in_project", projects[record.account].uid))
        for project, failures in sorted(self._project_failures.items()):
            uid = projects[project].uid if project in projects else None
            for failure in failures:
                self._fail(failure, project, PROJECT, uid=uid)

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        chosen = self.projects()
        with TaskGroup(self.workers, progress) as tasks:
            if self.organization is not None:
                tasks.submit(self._perimeters, self.organization)
            for project in chosen:
                tasks.submit(self._project, tasks, project)
                tasks.submit(
                    self._project_read,
                    project,
                    "iamPolicy",
                    GET_IAM_POLICY,
                    {"resource": f"projects/{project}", "options": {"requested_policy_version": POLICY_VERSION}},
                )
                tasks.submit(self._service_accounts, project)
                for constraint in ORG_POLICY_CONSTRAINTS:
                    tasks.submit(self._org_policy, project, constraint)
                tasks.submit(self._scc, project)
                tasks.submit(self._billing, tasks, project)
                tasks.submit(self._floor_setting, project)
                tasks.submit(self._discovery_configs, project, GLOBAL)
                if self.scope is None:
                    tasks.submit(self._discover, tasks, f"projects/{project}", [project])
            if self.scope is not None:
                # One search of the organization or folder says where all its projects hold AI resources.
                tasks.submit(self._discover, tasks, self.scope, chosen)
            tasks.wait()
            while self._fetch_round(tasks):
                pass
        self._finish_networks()
        self._finish_projects()
        result = self._store.result(RELATIONS, self._resolve, [])
        result.scopes = scopes_of("gcp", chosen, self.identity, result.resources, region_of)
        return result


__all__ = ["LOCATION", "GcpEngine", "check_scope", "crypto_key_of"]
