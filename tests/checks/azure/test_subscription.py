"""Subscription-wide checks: what only an attestation can answer (AI playbooks), and what a compromised training job
can reach (the attack graph)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.azure_support import CONTRIBUTOR, RG_ID, SUB, UAI_SERVE, UAI_TRAIN, collection_error, make, one
from tests.checks.conftest import ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case

SUBSCRIPTION = "azure.subscription"
ZT4 = "azure.subscription.assume_breach_review"


def ml_estate(
    compute_identity: str,
    endpoint_identity: str,
    *,
    unlisted: str | None = None,
    contributor_at: str | None = None,
) -> Callable[[], Estate]:
    """The subscription with a workspace, a compute and an online endpoint running as the given user-assigned
    identities, the compute's identity holding Contributor at `contributor_at` when given, and a failed list of
    `unlisted` when given."""

    def build() -> Estate:
        identity = {"type": "UserAssigned", "userAssignedIdentities": {compute_identity: {"principalId": "p1"}}}
        serving = {"type": "UserAssigned", "userAssignedIdentities": {endpoint_identity: {"principalId": "p2"}}}
        estate = Estate(make(SUBSCRIPTION)).add(
            make("azure.ml.workspace"),
            make("azure.ml.compute", {"identity": identity}),
            make("azure.ml.online_endpoint", {"identity": serving}),
        )
        if contributor_at:
            definition = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"
            estate.add(
                make(
                    "azure.authorization.role_assignment",
                    {
                        "properties.principalId": "p1",
                        "properties.scope": contributor_at,
                        "properties.roleDefinitionId": definition,
                    },
                )
            )
        if unlisted:
            estate.fail(collection_error(unlisted, region="eastus", operation="List"))
        return estate

    return build


def workspaces_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error("azure.ml.workspace", operation="ListWorkspaces"))


CASES: list[Case] = [
    # CL-11
    Case(
        "azure.subscription.incident_response_playbooks", MANUAL, "attestation", one(SUBSCRIPTION), says="attestation"
    ),
    # ZT-4: a shared identity, or the attack paths of the computes' identities
    Case(ZT4, PASS, "separate-identities", ml_estate(UAI_TRAIN, UAI_SERVE), says="none of whose identities"),
    Case(
        ZT4,
        FAIL,
        "training-can-redeploy-serving",
        ml_estate(UAI_TRAIN, UAI_SERVE, contributor_at=RG_ID),
        says="onlineEndpoints/write on online endpoint churn-ep",
    ),
    Case(
        ZT4,
        ERROR,
        "assignments-unlisted",
        ml_estate(UAI_TRAIN, UAI_SERVE, unlisted="azure.authorization.role_assignment"),
    ),
    Case(
        ZT4,
        FAIL,
        "training-holds-the-serving-identity",
        ml_estate(UAI_TRAIN, UAI_TRAIN.upper()),
        says="holds the production inference identity",
    ),
    Case(ZT4, PASS, "no-workspace", one(SUBSCRIPTION), says="no Machine Learning workspace"),
    Case(ZT4, ERROR, "workspaces-unlisted", workspaces_unlisted),
    Case(ZT4, ERROR, "computes-unlisted", ml_estate(UAI_TRAIN, UAI_SERVE, unlisted="azure.ml.compute")),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
