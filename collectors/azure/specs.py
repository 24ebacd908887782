"""What the Azure collector reads: one declaration per resource kind, no code.

Paths are ARM paths with "{subscription}" or, for kinds listed under another,
"{parent}" (the parent's ARM id). API versions are pinned to ones that return
every field the checks read (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ML = "/providers/Microsoft.MachineLearningServices"
ML_API = "2025-06-01"
DIAGNOSTICS_PATH = "{id}/providers/Microsoft.Insights/diagnosticSettings"
DIAGNOSTICS_API = "2021-05-01-preview"
SUBSCRIPTIONS_API = "2022-12-01"


@dataclass(frozen=True)
class ArmKind:
    type: str
    path: str
    api_version: str
    parent: str | None = None  # the kind whose items this one is listed under
    diagnostics: bool = False  # also read the resource's diagnostic settings
    # "referenced": fetched one by one because another resource names it (GET on its id).
    fetch: Literal["list", "referenced"] = "list"


KINDS: tuple[ArmKind, ...] = (
    ArmKind("azure.ml.workspace", "/subscriptions/{subscription}" + ML + "/workspaces", ML_API, diagnostics=True),
    ArmKind("azure.ml.online_endpoint", "{parent}/onlineEndpoints", ML_API, parent="azure.ml.workspace"),
    ArmKind("azure.ml.online_deployment", "{parent}/deployments", ML_API, parent="azure.ml.online_endpoint"),
    ArmKind("azure.ml.batch_endpoint", "{parent}/batchEndpoints", ML_API, parent="azure.ml.workspace"),
    ArmKind("azure.ml.batch_deployment", "{parent}/deployments", ML_API, parent="azure.ml.batch_endpoint"),
    ArmKind("azure.ml.compute", "{parent}/computes", ML_API, parent="azure.ml.workspace"),
    ArmKind("azure.ml.registry", "/subscriptions/{subscription}" + ML + "/registries", ML_API),
    ArmKind(
        "azure.cognitive.account",
        "/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/accounts",
        "2024-10-01",
        diagnostics=True,
    ),
    ArmKind("azure.keyvault.vault", "/subscriptions/{subscription}/providers/Microsoft.KeyVault/vaults", "2023-07-01"),
    ArmKind("azure.keyvault.key", "{id}", "2023-07-01", fetch="referenced"),
    ArmKind(
        "azure.storage.account",
        "/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts",
        "2023-05-01",
    ),
    ArmKind(
        "azure.containerregistry.registry",
        "/subscriptions/{subscription}/providers/Microsoft.ContainerRegistry/registries",
        "2023-07-01",
    ),
    ArmKind(
        "azure.authorization.role_assignment",
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments",
        "2022-04-01",
    ),
    ArmKind("azure.authorization.role_definition", "{id}", "2022-04-01", fetch="referenced"),
    ArmKind(
        "azure.security.pricing", "/subscriptions/{subscription}/providers/Microsoft.Security/pricings", "2024-01-01"
    ),
    ArmKind(
        "azure.policy.assignment",
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/policyAssignments",
        "2023-04-01",
    ),
    ArmKind(
        "azure.consumption.budget",
        "/subscriptions/{subscription}/providers/Microsoft.Consumption/budgets",
        "2023-05-01",
    ),
)

BY_TYPE = {kind.type: kind for kind in KINDS}
