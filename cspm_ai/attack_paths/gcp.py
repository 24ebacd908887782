"""Google Cloud attack paths: service accounts and every member of the project IAM policies, through their roles.

What is evaluated:

- the IAM policy of each scanned project (`iamPolicy.bindings`, version 3, conditional bindings counted with
  their condition named), whose grants reach every resource of the project: Vertex AI endpoints (deploy, undeploy,
  update, delete), Cloud Storage buckets (objects get and create), BigQuery datasets (tables getData and
  updateData), Cloud KMS keys (useToDecrypt) and the project's service accounts;
- BigQuery dataset access lists (`access`: READER, WRITER, OWNER and roles for users, groups, service accounts,
  domains and IAM members), the one resource policy the collector already reads;
- who can impersonate whom: iam.serviceAccounts.getAccessToken, signBlob, signJwt, implicitDelegation,
  serviceAccountKeys.create and setIamPolicy on the project's service accounts, and iam.serviceAccounts.actAs
  together with a permission to create something that runs as a service account (Vertex AI custom jobs, Compute
  Engine instances, Workbench instances, Cloud Functions, Cloud Run);
- can raise its own permissions: resourcemanager.projects.setIamPolicy.

Roles are expanded from a table of the predefined roles whose permissions these paths follow (`ROLES`); a
predefined role not in it is taken to grant none of them, and a custom role (its permissions are not read) leaves
the member's reach unknown. Not evaluated: IAM policies of the organization, folders, buckets and service
accounts (not read by the collector), IAM deny policies, Privileged Access Manager grants and Workload Identity
Federation pools.
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


@dataclass(frozen=True)
class _Binding:
    member: str  # the identity node uid
    role: str
    project: str
    via: str


class _Builder:
    def __init__(self, snapshot: Snapshot, graph: AttackGraph) -> None:
        self.snap = snapshot
        self.graph = graph
        self.accounts: dict[str, str] = {}  # e-mail (lower) -> identity node uid
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
        for project in self.snap.by_type.get(PROJECT, ()):
            self.project(project, self.bindings(project))
        for dataset in self.snap.by_type.get(DATASET, ()):
            self.dataset_access(dataset)

    # -- identities ------------------------------------------------------------------------------------------

    def member(self, member: str, account: str) -> str:
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
        found: list[_Binding] = []
        for i, binding in enumerate(as_list(get(project.config, "iamPolicy.bindings"))):
            role = str(get(binding, "role", ""))
            title = get(binding, "condition.title")
            condition = f" with condition {title}" if is_set(title) else ""
            via = f"binding {i} ({role}) of project {project.account}{condition}"
            for member in (str(m) for m in as_list(get(binding, "members"))):
                node = self.member(member, project.account)
                if role_grants(role, ACT_AS) is None:
                    self.graph.unknown(node, f"custom role {role} on project {project.account} is not read")
                    continue
                found.append(_Binding(node, role, project.account, via))
        return found

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

    def impersonation(self, project: Resource, bindings: list[_Binding]) -> None:
        accounts = self._accounts_of(project)
        creators = {m for permission in RUNS_AN_ACCOUNT for m in self._granted(bindings, permission)}
        holders: dict[str, tuple[str, _Binding]] = {}
        for permission in IMPERSONATE:
            for member, binding in self._granted(bindings, permission).items():
                holders.setdefault(member, (permission, binding))
        for member, binding in self._granted(bindings, ACT_AS).items():
            if member in creators:
                holders.setdefault(member, (ACT_AS, binding))
        for member, (permission, binding) in holders.items():
            for account in accounts:
                if account != member:
                    self.graph.add_edge(member, account, BECOMES, Grant(BECOME, permission, binding.via))

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
