"""Project-wide checks: the AI playbooks only an attestation can answer, and what a compromised training job can
reach (the attack graph)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.conftest import ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case
from tests.checks.gcp_support import TRAINER_SA, collection_error, make, one

PROJECT = "gcp.project"
SA = "gcp.iam.service_account"
ZT4 = "gcp.project.training_blast_radius"


def training(role: str | None, *, unlisted: bool = False) -> Callable[[], Estate]:
    """The project, a custom job running as the trainer account (holding `role` on the project when given) and a
    production endpoint."""

    def build() -> Estate:
        bindings = [{"role": role, "members": [f"serviceAccount:{TRAINER_SA}"]}] if role else []
        estate = Estate(make(PROJECT, {"iamPolicy.bindings": bindings}))
        trainer = make(SA, {"email": TRAINER_SA}, name=TRAINER_SA)
        job = make("gcp.vertex.custom_job")
        estate.add(trainer, job, make("gcp.vertex.endpoint")).link(job, "uses_service_account", trainer)
        if unlisted:
            estate.fail(collection_error("gcp.vertex.training_pipeline", operation="List"))
        return estate

    return build


CASES: list[Case] = [
    # CL-11
    Case("gcp.project.incident_response_playbooks", MANUAL, "always", one(PROJECT), says="attestation"),
    # ZT-4: the attack paths of the service accounts training runs as
    Case(ZT4, PASS, "no-training", one(PROJECT), says="runs no Vertex AI training job"),
    Case(ZT4, PASS, "trainer-holds-no-role", training(None), says="none of whose service accounts"),
    Case(ZT4, FAIL, "trainer-can-deploy", training("roles/aiplatform.user"), says="aiplatform.endpoints.deploy"),
    Case(ZT4, MANUAL, "trainer-custom-role", training("projects/ml-prod-4521/roles/trainer"), says="custom role"),
    Case(ZT4, ERROR, "pipelines-unlisted", training(None, unlisted=True)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
