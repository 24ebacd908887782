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
    SUB,
    UAA,
    WS_ID,
    collection_error,
    make,
    one,
)
from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case

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
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
