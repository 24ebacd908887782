"""Deployment history checks, table-driven: AI resources written by ARM deployments (or claimed by an IaC tag), and
changed by hand afterwards or never deployed at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.azure_support import RG_ID, WS_ID, collection_error, declare_type, make, one
from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case

WS = "azure.ml.workspace"
AI = "azure.cognitive.account"
CHECK = "azure.resources.ai_resource_deployed_by_iac"
DEPLOYMENT = declare_type(
    "azure.resources.deployment",
    {
        "id": f"{RG_ID}/providers/Microsoft.Resources/deployments/ml-platform",
        "name": "ml-platform",
        "type": "Microsoft.Resources/deployments",
        "tags": {},
        "properties": {
            "templateHash": "10911584915271183512",
            "parameters": {"workspaceName": {"type": "String", "value": "mlw-prod"}},
            "mode": "Incremental",
            "provisioningState": "Succeeded",
            "timestamp": "2025-05-02T10:00:00.0000000Z",
            "duration": "PT3M12.5S",
            "correlationId": "2f5a9c1e-0000-4000-8000-00000000a001",
            "providers": [
                {
                    "namespace": "Microsoft.MachineLearningServices",
                    "resourceTypes": [{"resourceType": "workspaces", "locations": ["eastus"]}],
                }
            ],
            "dependencies": [],
            "outputResources": [{"id": WS_ID}],
        },
    },
    uid=f"{RG_ID}/providers/Microsoft.Resources/deployments/{{name}}",
    name="ml-platform",
    is_global=True,
)


def deployed(
    target_changes: dict[str, Any] | None = None, deployment_changes: dict[str, Any] | None = None
) -> Callable[[], Estate]:
    """The base workspace and a deployment that lists it in its outputResources."""

    def build() -> Estate:
        ws = make(WS, target_changes)
        deployment = make(DEPLOYMENT, deployment_changes)
        return Estate(ws).add(deployment).link(deployment, "deploys", ws)

    return build


def history_unlisted() -> Estate:
    return Estate(make(WS)).fail(collection_error(DEPLOYMENT, operation="ListDeployments"))


HAND_CHANGE = {"systemData.lastModifiedByType": "User", "systemData.lastModifiedAt": "2025-06-01T08:00:00Z"}

CASES: list[Case] = [
    Case(CHECK, PASS, "deployed", deployed(), says="written by ARM deployment ml-platform"),
    Case(
        CHECK,
        PASS,
        "changed-by-a-pipeline-afterwards",
        deployed({**HAND_CHANGE, "systemData.lastModifiedByType": "Application"}),
    ),
    Case(
        CHECK,
        PASS,
        "stamped-just-after-its-deployment",
        deployed({**HAND_CHANGE, "systemData.lastModifiedAt": "2025-05-02T10:05:00Z"}),
    ),
    Case(CHECK, FAIL, "changed-by-hand-since", deployed(HAND_CHANGE), says="changed by user ml-platform@contoso.com"),
    Case(
        CHECK,
        FAIL,
        "only-a-failed-deployment",
        deployed(deployment_changes={"properties.provisioningState": "Failed"}),
        says="created outside infrastructure as code",
    ),
    Case(CHECK, PASS, "terraform-tag", one(WS, {"tags": {"managed-by": "Terraform"}}), says="not verified"),
    Case(CHECK, PASS, "azd-tag", one(AI, {"tags": {"azd-env-name": "prod"}}), says="azd-env-name=prod"),
    Case(CHECK, FAIL, "tag-names-no-tool", one(WS, {"tags": {"managed-by": "ml-platform team"}})),
    Case(
        CHECK,
        FAIL,
        "never-deployed",
        one(AI, {"tags": DROP}),
        says="systemData.createdByType User",
    ),
    Case(CHECK, ERROR, "history-unlisted", history_unlisted),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
