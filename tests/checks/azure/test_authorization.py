"""Azure RBAC checks, table-driven: no broad privileged role assignments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.azure_support import (
    CONTRIBUTOR,
    OWNER,
    READER,
    RG_ID,
    ST_ID,
    SUB,
    UAA,
    UAI_TRAIN,
    WS_ID,
    collection_error,
    declare_type,
    make,
    one,
)
from tests.checks.conftest import DROP, ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case

ASSIGNMENT = "azure.authorization.role_assignment"
DEFINITION = "azure.authorization.role_definition"


def role(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def assigned(
    guid: str,
    scope: str | Any,
    definition: dict[str, Any] | None = None,
    linked: bool = False,
    describe_failed: bool = False,
) -> Callable[[], Estate]:
    """A role assignment of role `guid` at `scope`, optionally linked to a collected role definition."""

    def build() -> Estate:
        target = make(
            ASSIGNMENT,
            {"properties.roleDefinitionId": role(guid), "properties.scope": scope},
            uid=f"{scope if isinstance(scope, str) else RG_ID}/providers/Microsoft.Authorization/"
            "roleAssignments/b0f43c54-e787-4862-89b1-a653fa9cf747",
        )
        estate = Estate(target)
        if linked:
            definition_resource = make(DEFINITION, definition, name=guid)
            estate.add(definition_resource).link(target, "assigns_role", definition_resource)
            if describe_failed:
                estate.fail(collection_error(DEFINITION, uid=definition_resource.uid))
        return estate

    return build


AI_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
ASSIGNMENT_GUID = "b0f43c54-e787-4862-89b1-a653fa9cf747"
INSTANCE = declare_type(
    "azure.authorization.role_assignment_schedule_instance",
    {
        "id": f"{SUB}/providers/Microsoft.Authorization/RoleAssignmentScheduleInstances/{ASSIGNMENT_GUID}",
        "name": "b0f43c54-e787-4862-89b1-a653fa9cf747",
        "type": "Microsoft.Authorization/RoleAssignmentScheduleInstances",
        "properties": {
            "scope": WS_ID,
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{AI_SCIENTIST}",
            "principalId": "ce2ce14e-85d7-4629-bdbc-454d0519d987",
            "principalType": "Group",
            "roleAssignmentScheduleId": f"{WS_ID}/providers/Microsoft.Authorization/RoleAssignmentSchedules/"
            "c9e264ff-3133-4776-a81a-ebc7c33c8ec6",
            "originRoleAssignmentId": f"{WS_ID}/providers/Microsoft.Authorization/roleAssignments/"
            "b0f43c54-e787-4862-89b1-a653fa9cf747",
            "status": "Provisioned",
            "startDateTime": "2025-05-30T08:00:00Z",
            "endDateTime": "2025-05-30T16:00:00Z",
            "linkedRoleEligibilityScheduleId": f"{WS_ID}/providers/Microsoft.Authorization/RoleEligibilitySchedules/"
            "0f2e3d4c-5b6a-4978-8877-665544332211",
            "assignmentType": "Activated",
            "memberType": "Direct",
            "createdOn": "2025-05-30T08:00:00Z",
        },
    },
    uid=f"{SUB}/providers/Microsoft.Authorization/RoleAssignmentScheduleInstances/{{name}}",
    name="b0f43c54-e787-4862-89b1-a653fa9cf747",
    is_global=True,
)
ML_DEPLOYER = {
    "properties.roleName": "AzureML Data Scientist",
    "properties.permissions": [
        {
            "actions": [
                "Microsoft.MachineLearningServices/workspaces/*/read",
                "Microsoft.MachineLearningServices/workspaces/*/action",
                "Microsoft.MachineLearningServices/workspaces/*/delete",
                "Microsoft.MachineLearningServices/workspaces/*/write",
            ],
            "notActions": [
                "Microsoft.MachineLearningServices/workspaces/delete",
                "Microsoft.MachineLearningServices/workspaces/write",
                "Microsoft.MachineLearningServices/workspaces/computes/*/write",
                "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
                "Microsoft.Authorization/*/write",
                "Microsoft.MachineLearningServices/workspaces/listKeys/action",
            ],
            "dataActions": [],
            "notDataActions": [],
        }
    ],
}
READ_ONLY = {
    "properties.roleName": "Reader",
    "properties.permissions": [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}],
}
ZT3 = "azure.authorization.deploy_export_roles_time_bound"


def granted(
    definition: dict[str, Any] | None,
    *,
    instance: dict[str, Any] | None = None,
    assignment: dict[str, Any] | None = None,
    scope: str = WS_ID,
    ai: bool = True,
    instances_failed: bool = False,
) -> Callable[[], Estate]:
    """A role assignment at `scope` of a role (a collected definition varied by `definition`, or none collected when
    None), with the workspace when `ai`, and one schedule instance of it varied by `instance` when given."""

    def build() -> Estate:
        target = make(
            ASSIGNMENT,
            {"properties.scope": scope, **(assignment or {})},
            uid=f"{scope}/providers/Microsoft.Authorization/roleAssignments/b0f43c54-e787-4862-89b1-a653fa9cf747",
        )
        estate = Estate(target)
        if definition is not None:
            role = make(DEFINITION, definition, name=AI_SCIENTIST)
            estate.add(role).link(target, "assigns_role", role)
        if ai:
            estate.add(make("azure.ml.workspace"))
        if instance is not None:
            schedule = make(INSTANCE, instance)
            estate.add(schedule).link(schedule, "schedules", target)
        if instances_failed:
            estate.fail(collection_error(INSTANCE, operation="ListRoleAssignmentScheduleInstances"))
        return estate

    return build


CASES: list[Case] = [
    # CL-02 RBAC
    Case(
        "azure.authorization.no_broad_privileged_roles",
        PASS,
        "task-role-on-workspace",
        one(ASSIGNMENT),
        says="no Owner",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "owner-on-subscription",
        assigned(OWNER, SUB),
        says="Owner",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "contributor-on-resource-group",
        assigned(CONTRIBUTOR, RG_ID),
        says="Contributor",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "uaa-on-management-group",
        assigned(UAA, "/providers/Microsoft.Management/managementGroups/contoso-root"),
        says="User Access Administrator",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "scope-absent-from-id",
        assigned(OWNER, DROP),
        says=f"scope {RG_ID}",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        PASS,
        "owner-on-single-workspace",
        assigned(OWNER, WS_ID),
        says="single resource",
    ),
    Case("azure.authorization.no_broad_privileged_roles", PASS, "reader-on-subscription", assigned(READER, SUB)),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "custom-guid-named-owner",
        assigned("11111111-2222-3333-4444-555555555555", SUB, {"properties.roleName": "owner"}, linked=True),
        says="Owner",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        PASS,
        "custom-role-on-subscription",
        assigned(AI_SCIENTIST, SUB, {"properties.roleName": "AzureML Data Scientist"}, linked=True),
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        ERROR,
        "definition-describe-failed",
        assigned(OWNER, SUB, linked=True, describe_failed=True),
    ),
    # ZT-3 deploy and export roles are activated for a limited time
    Case(ZT3, PASS, "activated-until", granted(ML_DEPLOYER, instance={}), says="only until 2025-05-30T16:00:00Z"),
    Case(
        ZT3,
        FAIL,
        "standing",
        granted(ML_DEPLOYER, instance={"properties.endDateTime": None, "properties.assignmentType": "Assigned"}),
        says="standing assignment with no end",
    ),
    Case(ZT3, FAIL, "no-schedule-instance", granted(ML_DEPLOYER), says="onlineEndpoints/deployments/write"),
    Case(
        ZT3,
        FAIL,
        "condition-does-not-expire",
        granted(
            ML_DEPLOYER,
            assignment={
                "properties.condition": "@Resource[Microsoft.MachineLearningServices/workspaces:name] "
                "StringEquals 'mlw-prod'",
                "properties.conditionVersion": "2.0",
            },
        ),
        says="does not make it expire",
    ),
    Case(ZT3, FAIL, "owner-on-subscription", granted({}, scope=SUB), says="which holds AI resources"),
    Case(
        ZT3, FAIL, "owner-not-read", granted(None, assignment={"properties.roleDefinitionId": role(OWNER)}, scope=SUB)
    ),
    Case(ZT3, PASS, "read-only", granted(READ_ONLY), says="grants no deploy or export"),
    Case(
        ZT3,
        PASS,
        "deploy-and-keys-removed-by-not-actions",
        granted(
            {
                "properties.permissions": [
                    {
                        "actions": ["Microsoft.MachineLearningServices/*", "Microsoft.CognitiveServices/*"],
                        "notActions": [
                            "Microsoft.MachineLearningServices/workspaces/*/deployments/write",
                            "Microsoft.MachineLearningServices/*/listKeys/action",
                            "Microsoft.MachineLearningServices/*/listsecrets/action",
                            "Microsoft.CognitiveServices/accounts/deployments/write",
                            "Microsoft.CognitiveServices/accounts/listKeys/action",
                        ],
                    }
                ]
            }
        ),
    ),
    Case(
        ZT3,
        PASS,
        "no-ai-under-scope",
        granted({}, scope=f"{SUB}/resourceGroups/rg-network", ai=True),
        says="holds no AI resource",
    ),
    Case(
        ZT3,
        MANUAL,
        "unknown-role-not-read",
        granted(None, assignment={"properties.roleDefinitionId": role("0c0c0c0c-1111-2222-3333-444455556666")}),
        says="was not read",
    ),
    Case(ZT3, ERROR, "schedules-unlisted", granted(ML_DEPLOYER, instances_failed=True)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


# -- ZT-4: blast radius and attack paths ----------------------------------------------------------------------

BLAST = "azure.authorization.ai_identity_blast_radius"
EXPOSED = "azure.authorization.exposed_ai_identity_sensitive_data"
TRAIN_PRINCIPAL = "11111111-1111-4111-8111-111111111111"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
READER_PERMISSIONS = [
    {
        "actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
        "notActions": [],
        "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        "notDataActions": [],
    }
]
CONTRIBUTOR_PERMISSIONS = [{"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Write"]}]
UAA_PERMISSIONS = [{"actions": ["*/read", "Microsoft.Authorization/*"], "notActions": []}]
TRAIN_IDENTITY = {"type": "UserAssigned", "userAssignedIdentities": {UAI_TRAIN: {"principalId": TRAIN_PRINCIPAL}}}
OTHER_ST = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stpayments"


def runs_as_train(
    *grants: tuple[str, str, list[dict[str, Any]] | None],
    rtype: str = "azure.ml.compute",
    changes: dict[str, Any] | None = None,
    extra: tuple[Any, ...] = (),
    unlisted: bool = False,
) -> Callable[[], Estate]:
    """A resource running as the training identity, which holds each (role guid, scope, permissions) grant (its
    definition collected when permissions are given), with the workspace's storage and `extra` around it."""

    def build() -> Estate:
        target = make(rtype, {"identity": TRAIN_IDENTITY, **(changes or {})})
        estate = Estate(target).add(make("azure.subscription"), make("azure.storage.account"), *extra)
        for i, (guid, scope, permissions) in enumerate(grants):
            assignment = make(
                ASSIGNMENT,
                {
                    "properties.roleDefinitionId": role(guid),
                    "properties.principalId": TRAIN_PRINCIPAL,
                    "properties.principalType": "ServicePrincipal",
                    "properties.scope": scope,
                },
                name=f"ra-{i}",
            )
            estate.add(assignment)
            if permissions is not None:
                definition = make(
                    DEFINITION, {"properties.roleName": f"role-{i}", "properties.permissions": permissions}, name=guid
                )
                estate.add(definition).link(assignment, "assigns_role", definition)
        if unlisted:
            estate.fail(collection_error(ASSIGNMENT, operation="List"))
        return estate

    return build


def payments_storage() -> Any:
    return make("azure.storage.account", {"tags": {"team": "payments"}}, name="stpayments", uid=OTHER_ST)


def vault_with_access_policy() -> tuple[Any, Any]:
    vault = make(
        "azure.keyvault.vault",
        {
            "properties.enableRbacAuthorization": False,
            "properties.accessPolicies": [
                {"tenantId": "t", "objectId": TRAIN_PRINCIPAL, "permissions": {"keys": ["get", "unwrapKey"]}}
            ],
        },
    )
    key = make("azure.keyvault.key", {"tags": {"team": "payments"}})
    return vault, key


CASES += [
    Case(
        BLAST,
        PASS,
        "reads-its-own-storage",
        runs_as_train((BLOB_READER, ST_ID, READER_PERMISSIONS)),
        says="1 data store(s) and key(s) reached",
    ),
    Case(BLAST, PASS, "no-identity", one("azure.ml.compute", {"identity": DROP}), says="runs as no identity"),
    Case(
        BLAST,
        FAIL,
        "contributor-over-serving",
        runs_as_train((CONTRIBUTOR, RG_ID, CONTRIBUTOR_PERMISSIONS), extra=(make("azure.ml.online_endpoint"),)),
        says="onlineEndpoints/write on online endpoint churn-ep",
    ),
    Case(
        BLAST,
        PASS,
        "serving-tagged-staging",
        runs_as_train(
            (CONTRIBUTOR, WS_ID, CONTRIBUTOR_PERMISSIONS),
            extra=(make("azure.ml.online_endpoint", {"tags": {"environment": "staging"}}),),
        ),
    ),
    Case(
        BLAST,
        FAIL,
        "assigns-roles",
        runs_as_train((UAA, SUB, UAA_PERMISSIONS)),
        says="roleAssignments/write",
    ),
    Case(
        BLAST,
        FAIL,
        "reads-other-teams-storage",
        runs_as_train(
            (BLOB_READER, OTHER_ST, READER_PERMISSIONS),
            changes={"tags": {"team": "ml"}},
            extra=(payments_storage(),),
        ),
        says="storage account stpayments tagged team=payments",
    ),
    Case(
        BLAST,
        FAIL,
        "vault-access-policy-on-other-teams-key",
        runs_as_train(changes={"tags": {"team": "ml"}}, extra=vault_with_access_policy()),
        says="via access policy 0 of vault kv-ml-prod",
    ),
    Case(
        BLAST,
        MANUAL,
        "definition-not-read",
        runs_as_train(("0c0c0c0c-0000-4000-8000-00000000000c", RG_ID, None)),
        says="was not read",
    ),
    Case(BLAST, ERROR, "assignments-unlisted", runs_as_train(unlisted=True)),
    Case(
        EXPOSED,
        FAIL,
        "public-endpoint-reads-confidential",
        runs_as_train(
            (BLOB_READER, ST_ID, READER_PERMISSIONS),
            rtype="azure.ml.online_endpoint",
            changes={"properties.publicNetworkAccess": "Enabled"},
        ),
        says="DataClassification=Confidential",
    ),
    Case(
        EXPOSED,
        PASS,
        "private-endpoint",
        runs_as_train((BLOB_READER, ST_ID, READER_PERMISSIONS), rtype="azure.ml.online_endpoint"),
        says="not reachable from the internet",
    ),
    Case(
        EXPOSED,
        PASS,
        "public-compute-reaches-nothing-sensitive",
        runs_as_train(changes={"properties.properties.enableNodePublicIp": DROP}),
        says="enableNodePublicIp true (absent: the default)",
    ),
    Case(EXPOSED, ERROR, "assignments-unlisted", runs_as_train(unlisted=True, rtype="azure.ml.online_endpoint")),
]


def test_the_path_names_the_assignment_its_role_and_scope() -> None:
    from tests.checks.conftest import run

    finding = run(next(c for c in CASES if c.label == "reads-other-teams-storage"))
    assert finding.evidence["paths"][0]["path"] == (
        "managed identity id-ml-training, via role assignment ra-0 (role-0) at storageAccounts/stpayments, can "
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read on storage account stpayments tagged "
        "team=payments."
    )
