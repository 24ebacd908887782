"""Google Cloud attack paths: service accounts and every member of the IAM policies, through their roles.

What is evaluated:

- the IAM policy of each scanned project (`iamPolicy.bindings`, version 3) and those it inherits from the folders
  above it and its organization (`ancestorIamPolicies`), whose grants reach every resource of the project: Vertex
  AI endpoints (deploy, undeploy, update, delete), Cloud Storage buckets (objects get and create), BigQuery datasets
  (tables getData and updateData), Cloud KMS keys (useToDecrypt) and the project's service accounts; each grant
  names the level it was made at ("binding 0 (roles/storage.objectViewer) of folder folders/123, inherited by
  project p");
- resource policies: the IAM policy of each Cloud Storage bucket (reaching that bucket; the projectOwner,
  projectEditor and projectViewer convenience members stand for the project's basic roles, already followed through
  the project policy) and BigQuery dataset access lists (`access`: READER, WRITER, OWNER and roles for users,
  groups, service accounts, domains and IAM members);
- who can impersonate whom: iam.serviceAccounts.getAccessToken, signBlob, signJwt, implicitDelegation,
  serviceAccountKeys.create and setIamPolicy granted on a project (reaching its service accounts) or in a service
  account's own IAM policy (reaching that account: roles/iam.serviceAccountTokenCreator, for one), and
  iam.serviceAccounts.actAs (roles/iam.serviceAccountUser) together with a permission, on some scanned project, to
  create something that runs as a service account (Vertex AI custom jobs, Compute Engine instances, Workbench
  instances, Cloud Functions, Cloud Run); a path then goes on with the grants of the account it becomes;
- can raise its own permissions: resourcemanager.projects.setIamPolicy.

A binding with an IAM condition counts as a grant, as a conditional Allow does on AWS (some request meets the
condition), and its evidence says it is conditional and names the condition. Roles are expanded from a table of
the predefined roles whose permissions these paths follow (`ROLES`); a predefined role not in it is taken to grant
none of them, and a custom role (its permissions are not read) leaves the member's reach unknown. A bucket or
service account whose IAM policy could not be read is listed in `AttackGraph.unread_policies`: no identity's reach
is known in full while one is. Not evaluated: IAM deny policies, Privileged Access Manager grants, Workload Identity
Federation pools, and the IAM policies of service accounts no AI resource runs as (not read by the collector; grants
on them made at the project, folder or organization are followed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from cspm_ai.attack_paths.graph import (
    BECOME,
    BECOMES,
    CHANGE,
    ENDPOINT,
    ESCALATE,
    ESCALATION,
    IDENTITY,
    KEY,
    REACHES,
    READ,
    RUN,
    RUNS_AS,
    STORE,
    USE,
    WORKLOAD,
    WRITE,
    AttackGraph,
    Grant,
)
from cspm_ai.doc import as_list, get, is_set
from cspm_ai.model import Resource

if TYPE_CHECKING:
    from cspm_ai.engine import Snapshot

PROJECT = "gcp.project"
SERVICE_ACCOUNT = "gcp.iam.service_account"
ENDPOINT_TYPE = "gcp.vertex.endpoint"
BUCKET = "gcp.storage.bucket"
DATASET = "gcp.bigquery.dataset"
CRYPTO_KEY = "gcp.kms.crypto_key"
ENDPOINT_PERMISSIONS = (
    "aiplatform.endpoints.deploy",
    "aiplatform.endpoints.undeploy",
    "aiplatform.endpoints.update",
    "aiplatform.endpoints.delete",
)
STORE_PERMISSIONS = {
    BUCKET: ((READ, "storage.objects.get"), (WRITE, "storage.objects.create")),
    DATASET: ((READ, "bigquery.tables.getData"), (WRITE, "bigquery.tables.updateData")),
}
KEY_PERMISSION = "cloudkms.cryptoKeyVersions.useToDecrypt"
IMPERSONATE = (
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccountKeys.create",
    "iam.serviceAccounts.signJwt",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.setIamPolicy",
)
ACT_AS = "iam.serviceAccounts.actAs"
RUNS_AN_ACCOUNT = (
    "aiplatform.customJobs.create",
    "compute.instances.create",
    "notebooks.instances.create",
    "cloudfunctions.functions.create",
    "run.services.create",
)
SET_PROJECT_POLICY = "resourcemanager.projects.setIamPolicy"
_SIGNING = (
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.getOpenIdToken",
)
# Predefined roles and the permissions of theirs these paths follow: (granted patterns, excluded patterns).
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "roles/owner": (("*",), ()),
    # Editor holds actAs and key creation but neither setIamPolicy nor token creation.
    "roles/editor": (("*",), ("*.setIamPolicy", *_SIGNING, "cloudkms.cryptoKeyVersions.useTo*")),
    "roles/aiplatform.admin": (("aiplatform.*",), ()),
    "roles/aiplatform.user": (("aiplatform.*",), ("aiplatform.*.setIamPolicy",)),
    "roles/storage.admin": (("storage.*",), ()),
    "roles/storage.objectAdmin": (("storage.objects.*",), ()),
    "roles/storage.objectUser": (("storage.objects.*",), ("storage.objects.*IamPolicy",)),
    "roles/storage.objectViewer": (("storage.objects.get", "storage.objects.list"), ()),
    "roles/storage.objectCreator": (("storage.objects.create",), ()),
    "roles/storage.legacyObjectReader": (("storage.objects.get",), ()),
    "roles/storage.legacyBucketOwner": (("storage.objects.create", "storage.objects.delete"), ()),
    "roles/bigquery.admin": (("bigquery.*",), ()),
    "roles/bigquery.dataOwner": (("bigquery.tables.*", "bigquery.datasets.*"), ()),
    "roles/bigquery.dataEditor": (("bigquery.tables.getData", "bigquery.tables.updateData"), ()),
    "roles/bigquery.dataViewer": (("bigquery.tables.getData",), ()),
    "roles/cloudkms.cryptoKeyEncrypterDecrypter": (("cloudkms.cryptoKeyVersions.useTo*",), ()),
    "roles/cloudkms.cryptoKeyDecrypter": ((KEY_PERMISSION,), ()),
    "roles/iam.serviceAccountUser": ((ACT_AS,), ()),
    "roles/iam.serviceAccountTokenCreator": (_SIGNING, ()),
    "roles/iam.workloadIdentityUser": (("iam.serviceAccounts.getAccessToken",), ()),
    "roles/iam.serviceAccountKeyAdmin": (("iam.serviceAccountKeys.*",), ()),
    "roles/iam.serviceAccountAdmin": (("iam.serviceAccounts.*",), (ACT_AS, *_SIGNING)),
    "roles/resourcemanager.projectIamAdmin": ((SET_PROJECT_POLICY,), ()),
    "roles/iam.securityAdmin": (("*.setIamPolicy",), ()),
    "roles/compute.admin": (("compute.*",), ()),
    "roles/compute.instanceAdmin.v1": (("compute.instances.*",), ()),
    "roles/notebooks.admin": (("notebooks.*",), ()),
    "roles/run.admin": (("run.*",), ()),
    "roles/cloudfunctions.developer": (("cloudfunctions.functions.*",), ()),
}
# BigQuery dataset access roles (the legacy names the API returns) and the IAM roles they stand for.
DATASET_ROLES = {
    "READER": "roles/bigquery.dataViewer",
    "WRITER": "roles/bigquery.dataEditor",
    "OWNER": "roles/bigquery.dataOwner",
}


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")))


def role_grants(role: str, permission: str) -> bool | None:
    """Whether a predefined role carries `permission`; None for a custom role (its permissions are not read)."""
    if role.startswith(("projects/", "organizations/")):
        return None
    granted, excluded = ROLES.get(role, ((), ()))
    return any(_regex(p).fullmatch(permission) for p in granted) and not any(
        _regex(p).fullmatch(permission) for p in excluded
    )


# Bucket policy members standing for the project's basic roles (followed through the project policy already).
CONVENIENCE_MEMBERS = ("projectOwner:", "projectEditor:", "projectViewer:")
ANCESTOR_KINDS = {"folders": "folder", "organizations": "organization"}


@dataclass(frozen=True)
class _Binding:
    member: str  # the identity node uid
    role: str
    project: str
    via: str


def _via(index: int, role: str, where: str, binding: Any) -> str:
    """Where a grant is written, and its condition: a conditional binding counts (some request meets it), said so."""
    condition = get(binding, "condition")
    named = get(condition, "title") if is_set(get(condition, "title")) else get(condition, "expression")
    if not isinstance(condition, dict) or not condition:
        return f"binding {index} ({role}) of {where}"
    conditional = f"with condition {named} (conditional: counted, as some requests meet it)"
    return f"binding {index} ({role}) of {where} {conditional}"


class _Builder:
    def __init__(self, snapshot: Snapshot, graph: AttackGraph) -> None:
        self.snap = snapshot
        self.graph = graph
        self.accounts: dict[str, str] = {}  # e-mail (lower) -> identity node uid
        self.creators: set[str] = set()  # members that can create a workload running as a service account
        # project -> type -> resources
        self.by_project: dict[str, dict[str, list[Resource]]] = {}
        for resource in snapshot.resources:
            if resource.provider == "gcp":
                self.by_project.setdefault(resource.account, {}).setdefault(resource.type, []).append(resource)

    def build(self) -> None:
        for sa in self.snap.by_type.get(SERVICE_ACCOUNT, ()):
            email = str(get(sa.config, "email", sa.name)).lower()
            self.accounts[email] = sa.uid
            self.graph.add_node(
                sa.uid, f"service account {sa.name}", IDENTITY, provider="gcp", account=sa.account, resource=sa
            )
        self.workloads()
        projects = [(project, self.bindings(project)) for project in self.snap.by_type.get(PROJECT, ())]
        for _, bindings in projects:
            self.creators |= {m for permission in RUNS_AN_ACCOUNT for m in self._granted(bindings, permission)}
        for project, bindings in projects:
            self.project(project, bindings)
        for dataset in self.snap.by_type.get(DATASET, ()):
            self.dataset_access(dataset)
        for bucket in self.snap.by_type.get(BUCKET, ()):
            self.bucket_policy(bucket)
        for sa in self.snap.by_type.get(SERVICE_ACCOUNT, ()):
            self.account_policy(sa)

    # -- identities ------------------------------------------------------------------------------------------

    def member(self, member: str, account: str) -> str:
        """The identity node of an IAM member (created the first time it is named)."""
        kind, _, value = member.partition(":")
        if kind == "serviceAccount" and value.lower() in self.accounts:
            return self.accounts[value.lower()]
        uid = f"serviceAccount:{value.lower()}" if kind == "serviceAccount" else member
        label = f"service account {value}" if kind == "serviceAccount" else member
        self.graph.add_node(uid, label, IDENTITY, provider="gcp", account=account)
        if kind == "serviceAccount":
            self.accounts[value.lower()] = uid
        return uid

    def workloads(self) -> None:
        for rel in self.snap.relations:
            if rel.kind != "uses_service_account" or rel.dst not in self.graph.graph:
                continue
            resource = self.snap.by_uid.get(rel.src)
            if resource is None:
                continue
            label = f"{resource.type.rsplit('.', 1)[-1].replace('_', ' ')} {resource.name}"
            self.graph.add_node(
                resource.uid, label, WORKLOAD, provider="gcp", account=resource.account, resource=resource
            )
            self.graph.add_edge(resource.uid, rel.dst, RUNS_AS, Grant(RUN, ACT_AS, "the service account it runs as"))

    def bindings(self, project: Resource) -> list[_Binding]:
        """The project's own bindings, then those it inherits from its folders (nearest first) and organization."""
        policies = [(f"project {project.account}", get(project.config, "iamPolicy"))]
        for ancestor in as_list(get(project.config, "ancestorIamPolicies")):
            name = str(get(ancestor, "resource", ""))
            kind = ANCESTOR_KINDS.get(name.split("/", 1)[0], "ancestor")
            policies.append((f"{kind} {name}, inherited by project {project.account}", get(ancestor, "iamPolicy")))
        found: list[_Binding] = []
        for where, policy in policies:
            for i, binding in enumerate(as_list(get(policy, "bindings"))):
                role = str(get(binding, "role", ""))
                via = _via(i, role, where, binding)
                for node in self._members(binding, role, where, project.account):
                    found.append(_Binding(node, role, project.account, via))
        return found

    def _members(self, binding: Any, role: str, where: str, account: str) -> list[str]:
        """The identity nodes a binding grants `role` to; a custom role makes each one's reach unknown instead."""
        nodes: list[str] = []
        for member in (str(m) for m in as_list(get(binding, "members"))):
            if member.startswith(CONVENIENCE_MEMBERS):
                continue
            node = self.member(member, account)
            if role_grants(role, ACT_AS) is None:
                self.graph.unknown(node, f"custom role {role} on {where} is not read")
                continue
            nodes.append(node)
        return nodes

    # -- what the project's grants reach ----------------------------------------------------------------------

    def _granted(self, bindings: Iterable[_Binding], permission: str) -> dict[str, _Binding]:
        """Each member holding `permission`, with the first binding that grants it."""
        found: dict[str, _Binding] = {}
        for binding in bindings:
            if binding.member not in found and role_grants(binding.role, permission):
                found[binding.member] = binding
        return found

    def _target(self, resource: Resource, kind: str) -> None:
        label = {BUCKET: "bucket", DATASET: "dataset", CRYPTO_KEY: "key", ENDPOINT_TYPE: "endpoint"}[resource.type]
        self.graph.add_node(
            resource.uid, f"{label} {resource.name}", kind, provider="gcp", account=resource.account, resource=resource
        )

    def project(self, project: Resource, bindings: list[_Binding]) -> None:
        resources = self.by_project.get(project.account, {})
        for permission in ENDPOINT_PERMISSIONS:
            for member, binding in self._granted(bindings, permission).items():
                for endpoint in resources.get(ENDPOINT_TYPE, ()):
                    if not self.graph.graph.has_edge(member, endpoint.uid):
                        self._target(endpoint, ENDPOINT)
                        self.graph.add_edge(member, endpoint.uid, REACHES, Grant(CHANGE, permission, binding.via))
        for rtype, accesses in STORE_PERMISSIONS.items():
            for access, permission in accesses:
                for member, binding in self._granted(bindings, permission).items():
                    for store in resources.get(rtype, ()):
                        self._target(store, STORE)
                        self.graph.add_edge(member, store.uid, REACHES, Grant(access, permission, binding.via))
        for member, binding in self._granted(bindings, KEY_PERMISSION).items():
            for key in resources.get(CRYPTO_KEY, ()):
                self._target(key, KEY)
                self.graph.add_edge(member, key.uid, REACHES, Grant(USE, KEY_PERMISSION, binding.via))
        self.impersonation(project, bindings)
        for member, binding in self._granted(bindings, SET_PROJECT_POLICY).items():
            uid = f"escalation:gcp:{project.account}"
            self.graph.add_node(
                uid,
                f"more permissions in project {project.account}",
                ESCALATION,
                provider="gcp",
                account=project.account,
            )
            self.graph.add_edge(member, uid, REACHES, Grant(ESCALATE, SET_PROJECT_POLICY, binding.via))

    def _accounts_of(self, project: Resource) -> list[str]:
        """The project's service accounts: collected ones, those its policy names, and its default compute one."""
        suffix = f"@{project.account}.iam.gserviceaccount.com".lower()
        emails = [e for e in self.accounts if e.endswith(suffix)]
        default = get(project.config, "defaultComputeServiceAccount")
        if isinstance(default, str):
            emails.append(default.lower())
        found = {self.member(f"serviceAccount:{e}", project.account) for e in emails}
        found |= {sa.uid for sa in self.by_project.get(project.account, {}).get(SERVICE_ACCOUNT, ())}
        return sorted(found)

    def _impersonators(self, bindings: list[_Binding]) -> dict[str, tuple[str, _Binding]]:
        """Each member the bindings let act as a service account, with the permission and the binding."""
        holders: dict[str, tuple[str, _Binding]] = {}
        for permission in IMPERSONATE:
            for member, binding in self._granted(bindings, permission).items():
                holders.setdefault(member, (permission, binding))
        for member, binding in self._granted(bindings, ACT_AS).items():
            if member in self.creators:
                holders.setdefault(member, (ACT_AS, binding))
        return holders

    def impersonation(self, project: Resource, bindings: list[_Binding]) -> None:
        accounts = self._accounts_of(project)
        for member, (permission, binding) in self._impersonators(bindings).items():
            for account in accounts:
                if account != member:
                    self.graph.add_edge(member, account, BECOMES, Grant(BECOME, permission, binding.via))

    # -- resource policies ---------------------------------------------------------------------------------

    def _policy_bindings(self, resource: Resource, where: str) -> list[_Binding] | None:
        """The bindings of a bucket's or service account's own IAM policy; None when it could not be read."""
        if resource.uid in self.snap.uid_errors and not isinstance(get(resource.config, "iamPolicy"), dict):
            self.graph.unread_policies.append(resource.uid)
            return None
        found: list[_Binding] = []
        for i, binding in enumerate(as_list(get(resource.config, "iamPolicy.bindings"))):
            role = str(get(binding, "role", ""))
            via = _via(i, role, where, binding)
            for node in self._members(binding, role, where, resource.account):
                found.append(_Binding(node, role, resource.account, via))
        return found

    def bucket_policy(self, bucket: Resource) -> None:
        """Grants on the bucket itself reach that bucket only."""
        bindings = self._policy_bindings(bucket, f"bucket {bucket.name}")
        for access, permission in STORE_PERMISSIONS[BUCKET]:
            for member, binding in self._granted(bindings or (), permission).items():
                self._target(bucket, STORE)
                self.graph.add_edge(member, bucket.uid, REACHES, Grant(access, permission, binding.via))

    def account_policy(self, sa: Resource) -> None:
        """Grants on a service account itself: who can become it (token creators, users who can run a workload)."""
        bindings = self._policy_bindings(sa, f"service account {sa.name}")
        for member, (permission, binding) in self._impersonators(bindings or []).items():
            if member != sa.uid:
                self.graph.add_edge(member, sa.uid, BECOMES, Grant(BECOME, permission, binding.via))

    def dataset_access(self, dataset: Resource) -> None:
        for i, entry in enumerate(as_list(get(dataset.config, "access"))):
            member = _dataset_member(entry)
            role = DATASET_ROLES.get(str(get(entry, "role", "")), str(get(entry, "role", "")))
            if member is None:
                continue
            node = self.member(member, dataset.account)
            via = f"access entry {i} ({get(entry, 'role')}) of dataset {dataset.name}"
            for access, permission in STORE_PERMISSIONS[DATASET]:
                if role_grants(role, permission):
                    self._target(dataset, STORE)
                    self.graph.add_edge(node, dataset.uid, REACHES, Grant(access, permission, via))


def _dataset_member(entry: Any) -> str | None:
    """A dataset access entry as an IAM member; project special groups are the project's basic roles, already
    followed through the project policy."""
    for key, prefix in (("userByEmail", "user"), ("groupByEmail", "group"), ("domain", "domain")):
        value = get(entry, key)
        if isinstance(value, str) and value:
            if key == "userByEmail" and value.lower().endswith(".gserviceaccount.com"):
                return f"serviceAccount:{value}"
            return f"{prefix}:{value}"
    member = get(entry, "iamMember")
    if isinstance(member, str) and member:
        return member
    return "allAuthenticatedUsers" if get(entry, "specialGroup") == "allAuthenticatedUsers" else None


def build(snapshot: Snapshot, graph: AttackGraph) -> None:
    """Add the Google Cloud part of the snapshot to the graph."""
    _Builder(snapshot, graph).build()
