"""Storage account checks, table-driven: TLS 1.2 or later and HTTPS only, and a classification label on the
accounts AI resources use (with Microsoft Purview as stronger evidence), absence cases included."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tests.checks.azure.test_cognitive import CONNECTION  # the AI Foundry connection type and its base item
from tests.checks.azure_support import RG_ID, SUB, TENANT, collection_error, declare_type, make, one
from tests.checks.conftest import DROP, ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case

STORAGE = "azure.storage.account"
ASSIGNMENT = "azure.authorization.role_assignment"
PURVIEW_PRINCIPAL = "e7e7e7e7-1111-2222-3333-444455556666"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
READER_ROLE_ID = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_READER}"
PURVIEW = declare_type(
    "azure.purview.account",
    {
        "id": f"{SUB}/resourceGroups/rg-governance/providers/Microsoft.Purview/accounts/pv-contoso",
        "name": "pv-contoso",
        "type": "Microsoft.Purview/accounts",
        "location": "eastus",
        "tags": {},
        "sku": {"name": "Standard", "capacity": 1},
        "identity": {"type": "SystemAssigned", "principalId": PURVIEW_PRINCIPAL, "tenantId": TENANT},
        "properties": {
            "friendlyName": "pv-contoso",
            "managedResourceGroupName": "managed-rg-pv-contoso",
            "publicNetworkAccess": "Disabled",
            "provisioningState": "Succeeded",
            "endpoints": {
                "catalog": "https://pv-contoso.purview.azure.com/catalog",
                "scan": "https://pv-contoso.purview.azure.com/scan",
                "guardian": "https://pv-contoso.purview.azure.com/guardian",
            },
        },
    },
    uid=f"{SUB}/resourceGroups/rg-governance/providers/Microsoft.Purview/accounts/{{name}}",
    name="pv-contoso",
)


def used(
    tags: dict[str, str] | None = None,
    *,
    by: str = "uses_storage",
    purview_scope: str | None = None,
    purview_blind: bool = False,
    blind_account: str | None = None,
) -> Callable[[], Estate]:
    """The base storage account (tags replaced when given), used by a workspace (or a connection with
    by="connects_to"), and a Purview account whose identity reads blobs at `purview_scope` when given."""

    def build() -> Estate:
        account = make(STORAGE, {"tags": tags} if tags is not None else None)
        user = make("azure.ml.workspace") if by == "uses_storage" else make(CONNECTION)
        estate = Estate(account).add(user).link(user, by, account)
        if purview_scope:
            reader = make(
                ASSIGNMENT,
                {
                    "properties.principalId": PURVIEW_PRINCIPAL,
                    "properties.principalType": "ServicePrincipal",
                    "properties.roleDefinitionId": READER_ROLE_ID,
                    "properties.scope": purview_scope,
                },
                uid=f"{purview_scope}/providers/Microsoft.Authorization/roleAssignments/5d4c3b2a-0000-4000-8000-000000000001",
            )
            estate.add(make(PURVIEW), reader)
        if purview_blind:
            error = collection_error(PURVIEW, operation="ListPurviewAccounts")
            estate.fail(dataclasses.replace(error, account=blind_account or error.account))
        return estate

    return build


def unused_with_workspaces_blind() -> Estate:
    return Estate(make(STORAGE, {"tags": {}})).fail(collection_error("azure.ml.workspace", operation="ListWorkspaces"))


DP1 = "azure.storage.account_classified"
OTHER_SUB = "5d6e7f80-0000-4000-8000-0000000000aa"
ST_ID = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stmlprod001"

CASES: list[Case] = [
    # DP-1 classification
    Case(DP1, PASS, "labelled", used(), says="labelled DataClassification=Confidential"),
    Case(DP1, PASS, "labelled-and-purview-reads-it", used(purview_scope=RG_ID), says="Purview can read it"),
    Case(DP1, PASS, "labelled-purview-unlisted", used(purview_blind=True)),
    Case(DP1, PASS, "sensitivity-label", used({"data-sensitivity": "restricted"})),
    Case(DP1, FAIL, "untagged", used({}), says="no classification tag"),
    Case(DP1, FAIL, "connection-target-untagged", used({"owner": "ml"}, by="connects_to"), says="no Purview account"),
    Case(DP1, FAIL, "empty-label", used({"DataClassification": " "})),
    Case(
        DP1,
        MANUAL,
        "untagged-purview-reads-it",
        used({}, purview_scope=ST_ID),
        says="attest that Purview's scans classify it",
    ),
    Case(
        DP1,
        FAIL,
        "purview-reads-another-account",
        used({}, purview_scope=f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stother"),
    ),
    Case(DP1, ERROR, "untagged-purview-unlisted", used({}, purview_blind=True)),
    Case(DP1, FAIL, "untagged-purview-unlisted-elsewhere", used({}, purview_blind=True, blind_account=OTHER_SUB)),
    Case(DP1, PASS, "not-used-by-ai", one(STORAGE, {"tags": {}}), says="no AI resource"),
    Case(DP1, ERROR, "ai-use-unknown", unused_with_workspaces_blind),
    # CL-04 storage
    Case("azure.storage.account_tls12_https_only", PASS, "tls12", one(STORAGE)),
    Case(
        "azure.storage.account_tls12_https_only",
        PASS,
        "tls13-https-absent",
        one(STORAGE, {"properties.minimumTlsVersion": "TLS1_3", "properties.supportsHttpsTrafficOnly": DROP}),
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "tls10",
        one(STORAGE, {"properties.minimumTlsVersion": "TLS1_0"}),
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "tls-absent",
        one(STORAGE, {"properties.minimumTlsVersion": DROP}),
        says="absent means TLS1_0",
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "http-allowed",
        one(STORAGE, {"properties.supportsHttpsTrafficOnly": False}),
        says="plain HTTP",
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "https-flag-a-string",
        one(STORAGE, {"properties.supportsHttpsTrafficOnly": "false"}),
        says="not a boolean",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
