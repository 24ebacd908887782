"""The one Google Cloud collection engine: projects x locations x kinds on a bounded pool.

Projects come from `--projects` or, for an organization, from Cloud Asset
Inventory. Cloud Asset Inventory also says where each project has AI
resources, so Vertex AI is listed only in the locations that hold some
(on their regional hosts) instead of in every Google region. Then come the
project's IAM policy, organization policies, Security Command Center,
billing and budgets; in a second round, what the AI resources name: the
service accounts they run as (with their user-managed keys) and their Cloud
KMS keys. Every failed read becomes a `CollectionError` naming the IAM
permission it needed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from checks.gcp._common import region_of
from collectors import ProgressCallback
from collectors.gcp.api import GoogleApis, GoogleFailure
from collectors.gcp.specs import (
    AI_ASSET_TYPES,
    CAI_PAGE_SIZE,
    ORG_POLICY_CONSTRAINTS,
    PROJECT_ASSET_TYPE,
    READS,
    VERTEX_KINDS,
    WORKBENCH_ASSET_TYPE,
    VertexKind,
)
from collectors.pool import TaskGroup
from cspm_ai import redact
from cspm_ai.doc import get
from cspm_ai.errors import ConfigError
from cspm_ai.model import CollectionError, CollectionResult, Relation, Resource, Scope

GLOBAL = "global"
PROJECT = "gcp.project"
SERVICE_ACCOUNT = "gcp.iam.service_account"
CRYPTO_KEY = "gcp.kms.crypto_key"
WORKBENCH = "gcp.notebooks.instance"
ORG_POLICY = "gcp.orgpolicy.policy"
SCC = "gcp.scc.settings"
BUDGET = "gcp.billing.budget"
PERIMETER = "gcp.accesscontext.perimeter"
# Project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter (domain-scoped
# legacy ids such as "example.com:proj" are accepted too).
PROJECT_ID = re.compile(r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
LOCATION = re.compile(r"^[a-z]+(?:-[a-z]+)+\d+(?:-[a-z])?$|^global$")
# Vertex AI fields naming the service account a workload runs as.
_RUNS_AS = {
    "gcp.vertex.endpoint": ("deployedModels.serviceAccount",),
    "gcp.vertex.custom_job": ("jobSpec.serviceAccount",),
    "gcp.vertex.training_pipeline": ("trainingTaskInputs.serviceAccount",),
    WORKBENCH: ("gceSetup.serviceAccounts.email",),
}


def _values(doc: Any, path: str) -> list[str]:
    """Every string at a dotted path, descending into lists on the way."""
    nodes: list[Any] = [doc]
    for part in path.split("."):
        nodes = [
            n.get(part) for item in nodes for n in (item if isinstance(item, list) else [item]) if isinstance(n, dict)
        ]
    flat = [v for n in nodes for v in (n if isinstance(n, list) else [n])]
    return [v for v in flat if isinstance(v, str) and v]


def crypto_key_of(name: str) -> str:
    """A CryptoKey name from a key or key-version name."""
    return name.split("/cryptoKeyVersions/", 1)[0]


def check_scope(projects: Sequence[str] | None, organization: str | None, locations: Sequence[str] | None) -> None:
    """Reject malformed project ids, organization ids and locations before any call is made."""
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


@dataclass
class _Record:
    type: str
    account: str
    region: str
    uid: str
    name: str
    item: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Project:
    id: str
    number: str | None = None


class GcpEngine:
    """Collects the chosen projects (or an organization's), `workers` reads at a time."""

    provider = "gcp"

    def __init__(
        self,
        apis: GoogleApis,
        *,
        projects: Sequence[str] | None = None,
        organization: str | None = None,
        locations: Sequence[str] | None = None,
        identity: str = "",
        workers: int = 16,
    ) -> None:
        self.apis = apis
        self.requested = list(projects) if projects else None
        self.organization = organization.removeprefix("organizations/") if organization else None
        self.locations = {region_of(loc) for loc in locations} if locations else None
        self.identity = identity
        self.workers = workers
        self._lock = threading.Lock()
        self._projects: dict[str, _Project] = {}
        self._records: dict[str, _Record] = {}
        self._project_extra: dict[str, dict[str, Any]] = {}
        self._project_failures: dict[str, list[GoogleFailure]] = {}
        self._listed_accounts: dict[str, tuple[str, dict[str, Any]]] = {}
        self._claimed: set[str] = set()
        self._errors: list[CollectionError] = []
        check_scope(self.requested, organization, locations)
        if not self.requested and not self.organization:
            raise ConfigError(
                "No Google Cloud project to scan.",
                "Pass --projects a,b or --organization <id> (or set a default project with "
                "`gcloud config set project`).",
            )

    # -- bookkeeping ----------------------------------------------------------------------

    def _claim(self, key: str) -> bool:
        """True the first time `key` is claimed: a read shared by several projects happens once."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    def _fail(
        self, failure: GoogleFailure, account: str, rtype: str, region: str = GLOBAL, uid: str | None = None
    ) -> None:
        with self._lock:
            self._errors.append(
                CollectionError(
                    provider="gcp",
                    account=account,
                    region=region,
                    service=failure.read.api,
                    operation=failure.read.permission,
                    code=failure.code,
                    message=failure.message,
                    resource_type=rtype,
                    resource_uid=uid,
                )
            )

    def _store(
        self, rtype: str, account: str, region: str, item: dict[str, Any], *, api: str, name: str | None = None
    ) -> _Record:
        full = str(item.get("name") or "")
        uid = f"//{api}.googleapis.com/{full}"
        shown = name or item.get("displayName") or full.rsplit("/", 1)[-1] or full
        record = _Record(rtype, account, region, uid, str(shown), item)
        with self._lock:
            self._records[uid] = record
        return record

    # -- projects ---------------------------------------------------------------------------

    def projects(self) -> list[str]:
        """The projects to scan: those asked for, else every active project of the organization."""
        if self._projects:
            return list(self._projects)
        if self.organization is None:
            self._projects = {p: _Project(p) for p in dict.fromkeys(self.requested or ())}
            return list(self._projects)
        try:
            found = self.apis.list(
                "search_resources",
                "cloudasset",
                "AssetServiceClient",
                {
                    "scope": f"organizations/{self.organization}",
                    "asset_types": [PROJECT_ASSET_TYPE],
                    "page_size": CAI_PAGE_SIZE,
                },
                method="search_all_resources",
            )
        except GoogleFailure as failure:
            raise ConfigError(
                f"Cannot list the projects of organization {self.organization}: {failure.code}: {failure.message}",
                "Grant the scanning identity roles/cloudasset.viewer on the organization, or pass --projects.",
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
        self._projects = dict(sorted(active.items()))
        return list(self._projects)

    def _project(self, tasks: TaskGroup, project: str) -> None:
        try:
            item = self.apis.get(
                "get_project", "cloudresourcemanager", "ProjectsClient", {"name": f"projects/{project}"}
            )
        except GoogleFailure as failure:
            self._fail(failure, project, PROJECT)
            return
        self._store(PROJECT, project, GLOBAL, item, api="cloudresourcemanager", name=project)
        number = str(item.get("name", "")).removeprefix("projects/")
        with self._lock:
            self._projects[project].number = number or None
        if self.organization is None:
            self._ancestry(tasks, project, str(item.get("parent") or ""))

    def _project_read(self, project: str, key: str, read: str, api: str, cls: str, request: dict[str, Any]) -> None:
        """A read whose answer becomes key `key` of the project's configuration."""
        try:
            answer = self.apis.get(read, api, cls, request)
        except GoogleFailure as failure:
            with self._lock:
                self._project_failures.setdefault(project, []).append(failure)
            return
        with self._lock:
            self._project_extra.setdefault(project, {})[key] = answer

    def _ancestry(self, tasks: TaskGroup, project: str, parent: str) -> None:
        """Walk folders up to the organization, whose service perimeters are then listed once."""
        if parent.startswith("organizations/"):
            tasks.submit(self._perimeters, parent.removeprefix("organizations/"))
        elif parent.startswith("folders/") and self._claim(parent):
            tasks.submit(self._folder, tasks, project, parent)

    def _folder(self, tasks: TaskGroup, project: str, folder: str) -> None:
        try:
            item = self.apis.get("get_folder", "cloudresourcemanager", "FoldersClient", {"name": folder})
        except GoogleFailure as failure:
            # Without the organization its perimeters cannot be listed.
            self._fail(failure, project, PERIMETER)
            return
        self._ancestry(tasks, project, str(item.get("parent") or ""))

    # -- discovery ----------------------------------------------------------------------------

    def _discover(self, tasks: TaskGroup, scope: str, projects: Sequence[str]) -> None:
        """Where the projects have AI resources, from Cloud Asset Inventory; then list them there."""
        try:
            found = self.apis.list(
                "search_resources",
                "cloudasset",
                "AssetServiceClient",
                {"scope": scope, "asset_types": list(AI_ASSET_TYPES), "page_size": CAI_PAGE_SIZE},
                method="search_all_resources",
            )
        except GoogleFailure as failure:
            for project in projects:
                for rtype in (*(k.type for k in VERTEX_KINDS), WORKBENCH):
                    self._fail(failure, project, rtype)
            return
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
            if get(result, "assetType") == WORKBENCH_ASSET_TYPE:
                zones.add((project, location))
            else:
                regions.add((project, location))
        for project, location in sorted(regions):
            for kind in VERTEX_KINDS:
                tasks.submit(self._vertex, kind, project, location)
        for project, zone in sorted(zones):
            tasks.submit(self._workbench, project, zone)

    def _vertex(self, kind: VertexKind, project: str, location: str) -> None:
        try:
            items = self.apis.list(
                kind.method,
                "aiplatform",
                kind.client,
                {"parent": f"projects/{project}/locations/{location}", "page_size": kind.page_size},
                location=location,
            )
        except GoogleFailure as failure:
            self._fail(failure, project, kind.type, location)
            return
        for item in items:
            self._store(kind.type, project, location, item, api="aiplatform")

    def _workbench(self, project: str, zone: str) -> None:
        try:
            items = self.apis.list(
                "list_workbench_instances",
                "notebooks",
                "NotebookServiceClient",
                {"parent": f"projects/{project}/locations/{zone}", "page_size": 100},
                method="list_instances",
            )
        except GoogleFailure as failure:
            self._fail(failure, project, WORKBENCH, zone)
            return
        for item in items:
            self._store(WORKBENCH, project, zone, item, api="notebooks")

    # -- around the AI resources --------------------------------------------------------------

    def _service_accounts(self, project: str) -> None:
        try:
            accounts = self.apis.raw_list(
                "list_service_accounts", "iam", f"v1/projects/{project}/serviceAccounts", "accounts"
            )
        except GoogleFailure as failure:
            self._fail(failure, project, SERVICE_ACCOUNT)
            return
        whole = [a for a in accounts if isinstance(a.get("email"), str) and isinstance(a.get("name"), str)]
        if len(whole) < len(accounts):
            # An account that cannot be named cannot be judged: its project's accounts are ERROR, not skipped.
            self._fail(
                GoogleFailure(
                    READS["list_service_accounts"],
                    None,
                    "MalformedResponse",
                    f"{len(accounts) - len(whole)} service account(s) came without a name or email",
                ),
                project,
                SERVICE_ACCOUNT,
            )
        with self._lock:
            for account in whole:
                self._listed_accounts[account["email"].lower()] = (project, account)

    def _keys(self, record: _Record) -> None:
        try:
            keys = self.apis.raw_list(
                "list_service_account_keys",
                "iam",
                f"v1/{record.item['name']}/keys",
                "keys",
                {"keyTypes": "USER_MANAGED"},
                paged=False,
            )
        except GoogleFailure as failure:
            self._fail(failure, record.account, SERVICE_ACCOUNT, uid=record.uid)
            return
        with self._lock:
            record.extra["keys"] = keys

    def _org_policy(self, project: str, constraint: str) -> None:
        name = f"projects/{project}/policies/{constraint.removeprefix('constraints/')}"
        try:
            item = self.apis.get("get_effective_policy", "orgpolicy", "OrgPolicyClient", {"name": name})
        except GoogleFailure as failure:
            if failure.status == 404:
                return  # a constraint this universe does not define: nothing to enforce
            self._fail(failure, project, ORG_POLICY)
            return
        self._store(ORG_POLICY, project, GLOBAL, {"name": name, **item}, api="orgpolicy", name=constraint)

    def _scc(self, project: str) -> None:
        parent = f"projects/{project}/locations/global"
        try:
            services = self.apis.list(
                "list_scc_services",
                "securitycentermanagement",
                "SecurityCenterManagementClient",
                {"parent": parent, "page_size": 100},
                method="list_security_center_services",
            )
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
        self._store(
            SCC,
            project,
            GLOBAL,
            {"name": f"{parent}/securityCenterServices", "enabled": enabled, "services": summary},
            api="securitycentermanagement",
            name=f"Security Command Center ({project})",
        )

    def _billing(self, tasks: TaskGroup, project: str) -> None:
        try:
            info = self.apis.get(
                "get_billing_info",
                "cloudbilling",
                "CloudBillingClient",
                {"name": f"projects/{project}"},
                method="get_project_billing_info",
            )
        except GoogleFailure as failure:
            self._fail(failure, project, BUDGET)
            return
        with self._lock:
            self._project_extra.setdefault(project, {})["billingInfo"] = info
        account = info.get("billingAccountName")
        if isinstance(account, str) and account and self._claim(account):
            tasks.submit(self._budgets, account)

    def _budgets(self, account: str) -> None:
        try:
            budgets = self.apis.list(
                "list_budgets", "billingbudgets", "BudgetServiceClient", {"parent": account, "page_size": 100}
            )
        except GoogleFailure as failure:
            self._fail(failure, account, BUDGET)
            return
        for budget in budgets:
            self._store(BUDGET, account, GLOBAL, budget, api="billingbudgets")

    def _perimeters(self, organization: str) -> None:
        if not self._claim(f"organizations/{organization}"):
            return
        account = f"organizations/{organization}"
        try:
            policies = self.apis.raw_list(
                "list_access_policies",
                "accesscontextmanager",
                "v1/accessPolicies",
                "accessPolicies",
                {"parent": account},
            )
            for policy in policies:
                if not isinstance(policy.get("name"), str) or not policy["name"]:
                    raise GoogleFailure(
                        READS["list_access_policies"],
                        None,
                        "MalformedResponse",
                        "an access policy came without a name, so its perimeters cannot be listed",
                    )
                for perimeter in self.apis.raw_list(
                    "list_perimeters",
                    "accesscontextmanager",
                    f"v1/{policy['name']}/servicePerimeters",
                    "servicePerimeters",
                ):
                    self._store(
                        PERIMETER,
                        account,
                        GLOBAL,
                        perimeter,
                        api="accesscontextmanager",
                        name=perimeter.get("title") or None,
                    )
        except GoogleFailure as failure:
            self._fail(failure, account, PERIMETER)

    def _crypto_key(self, name: str) -> None:
        parts = name.split("/")
        project, location = (parts[1], parts[3]) if len(parts) > 3 else ("", GLOBAL)
        try:
            item = self.apis.get("get_crypto_key", "cloudkms", "KeyManagementServiceClient", {"name": name})
        except GoogleFailure as failure:
            if failure.status != 404:  # a deleted key stays a dangling reference
                self._fail(failure, project, CRYPTO_KEY, location)
            return
        self._store(CRYPTO_KEY, project, location, item, api="cloudkms")

    # -- second round: what the AI resources name ------------------------------------------------

    def _referenced(self, tasks: TaskGroup) -> None:
        records = list(self._records.values())
        emails = sorted(
            {email.lower() for r in records for path in _RUNS_AS.get(r.type, ()) for email in _values(r.item, path)}
        )
        for email in emails:
            listed = self._listed_accounts.get(email)
            if listed is None:
                continue  # another project's account, or its project's list failed (recorded there)
            project, account = listed
            record = self._store(SERVICE_ACCOUNT, project, GLOBAL, account, api="iam", name=account["email"])
            tasks.submit(self._keys, record)
        keys = sorted(
            {
                crypto_key_of(k)
                for r in records
                if r.type.startswith("gcp.vertex.")
                for k in _values(r.item, "encryptionSpec.kmsKeyName")
            }
        )
        for key in keys:
            tasks.submit(self._crypto_key, key)

    # -- assembling -------------------------------------------------------------------------------

    def _resource(self, record: _Record) -> Resource:
        item = {**record.item, **record.extra}
        if record.type == PROJECT:
            extra = self._project_extra.get(record.account, {})
            number = self._projects[record.account].number
            item.update(extra)
            if number:
                item["defaultComputeServiceAccount"] = f"{number}-compute@developer.gserviceaccount.com"
        config, found = redact.redact(item)
        labels = item.get("labels") if isinstance(item.get("labels"), dict) else {}
        tags, tag_found = redact.redact({str(k): str(v) for k, v in labels.items()}, prefix="tags")
        return Resource(
            provider="gcp",
            account=record.account,
            region=record.region,
            type=record.type,
            uid=record.uid,
            name=record.name,
            config=config,
            tags=tags,
            redactions=tuple(r.as_dict() for r in [*found, *tag_found]),
        )

    def _relations(self) -> list[Relation]:
        project_uids = {r.account: r.uid for r in self._records.values() if r.type == PROJECT}
        accounts = {r.name.lower(): r.uid for r in self._records.values() if r.type == SERVICE_ACCOUNT}
        relations: list[Relation] = []
        for record in sorted(self._records.values(), key=lambda r: r.uid):
            if record.type != PROJECT and record.account in project_uids:
                relations.append(Relation(record.uid, "in_project", project_uids[record.account]))
            for path in _RUNS_AS.get(record.type, ()):
                for email in _values(record.item, path):
                    target = accounts.get(email.lower(), f"//iam.googleapis.com/projects/-/serviceAccounts/{email}")
                    relations.append(Relation(record.uid, "uses_service_account", target))
            if record.type.startswith("gcp.vertex."):
                for key in _values(record.item, "encryptionSpec.kmsKeyName"):
                    relations.append(
                        Relation(record.uid, "encrypted_by", f"//cloudkms.googleapis.com/{crypto_key_of(key)}")
                    )
            if record.type == "gcp.vertex.model_monitoring_job":
                for endpoint in _values(record.item, "endpoint"):
                    relations.append(Relation(record.uid, "monitors", f"//aiplatform.googleapis.com/{endpoint}"))
        return list(dict.fromkeys(relations))

    def _project_errors(self) -> None:
        """A failed IAM policy read makes the project's own checks unseeable (not PASS on an empty policy)."""
        uids = {r.account: r.uid for r in self._records.values() if r.type == PROJECT}
        for project, failures in sorted(self._project_failures.items()):
            for failure in failures:
                self._fail(failure, project, PROJECT, uid=uids.get(project))

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
                    "get_iam_policy",
                    "cloudresourcemanager",
                    "ProjectsClient",
                    {"resource": f"projects/{project}", "options": {"requested_policy_version": 3}},
                )
                tasks.submit(self._service_accounts, project)
                for constraint in ORG_POLICY_CONSTRAINTS:
                    tasks.submit(self._org_policy, project, constraint)
                tasks.submit(self._scc, project)
                tasks.submit(self._billing, tasks, project)
                if self.organization is None:
                    tasks.submit(self._discover, tasks, f"projects/{project}", [project])
            if self.organization is not None:
                tasks.submit(self._discover, tasks, f"organizations/{self.organization}", chosen)
            tasks.wait()
            self._referenced(tasks)
            tasks.wait()
        self._project_errors()
        records = sorted(self._records.values(), key=lambda r: r.uid)
        resources = [self._resource(r) for r in records]
        scopes = [
            Scope(
                provider="gcp",
                account=p,
                identity=self.identity,
                regions=tuple(sorted({region_of(r.region) for r in resources if r.account == p} - {GLOBAL})),
            )
            for p in chosen
        ]
        return CollectionResult(
            resources=resources, relations=self._relations(), errors=list(self._errors), scopes=scopes
        )


__all__ = ["GcpEngine", "READS", "check_scope", "crypto_key_of"]
