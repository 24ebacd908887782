"""Vertex AI Workbench instance checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from collectors.kernel import Record, to_resource
from tests import secret_shapes
from tests.checks.conftest import DROP, FAIL, PASS, Case, Estate, assert_case
from tests.checks.gcp_support import make, one

NB = "gcp.notebooks.instance"
METADATA = "gceSetup.metadata"
BASE_METADATA = {"notebook-disable-root": "true", "idle-timeout-seconds": "10800"}
CLEAN_STARTUP = (
    "#!/bin/bash\nset -euo pipefail\n"
    "export PGPASSWORD=$(gcloud secrets versions access latest --secret=pg-password)\n"
    'curl -sf -H "Authorization: Bearer $(gcloud auth print-access-token)" https://ml-gateway.internal/v1/ready\n'
)


def stored(changes: Mapping[str, Any] | None = None) -> Callable[[], Estate]:
    """A Workbench instance as the collector stores it: labels as tags, through the kernel's redaction."""

    def build() -> Estate:
        raw = make(NB, changes)
        record = Record(raw.type, raw.account, raw.region, raw.uid, raw.name, raw.config, dict(raw.tags))
        return Estate(to_resource("gcp", record))

    return build


def metadata(**entries: str) -> dict[str, dict[str, str]]:
    return {METADATA: {**BASE_METADATA, **entries}}


CASES: list[Case] = [
    # CL-01 Workbench
    Case("gcp.notebooks.no_public_ip", PASS, "disabled", one(NB)),
    Case(
        "gcp.notebooks.no_public_ip",
        FAIL,
        "absent",
        one(NB, {"gceSetup.disablePublicIp": DROP}),
        says="absent means false",
    ),
    # MS-4: the startup script and every other metadata value, in each shape of tests/secret_shapes.py.
    Case("gcp.notebooks.no_secrets_in_configuration", PASS, "plain-metadata", stored()),
    Case("gcp.notebooks.no_secrets_in_configuration", PASS, "no-metadata", stored({METADATA: DROP})),
    Case(
        "gcp.notebooks.no_secrets_in_configuration",
        PASS,
        "startup-reads-secret-manager",
        stored(metadata(**{"startup-script": CLEAN_STARTUP})),
    ),
    Case(
        "gcp.notebooks.no_secrets_in_configuration",
        PASS,
        "look-alikes",
        stored(metadata(**{a.name: a.value for a in secret_shapes.LOOK_ALIKES})),
    ),
    *(
        Case(
            "gcp.notebooks.no_secrets_in_configuration",
            FAIL,
            f"metadata-{shape.id}",
            stored(metadata(**{shape.name.lower(): shape.value})),
            says=f"1 secret-looking value(s) of kind {shape.kind_by_name}",
        )
        for shape in secret_shapes.PLANTED
    ),
    *(
        Case(
            "gcp.notebooks.no_secrets_in_configuration",
            FAIL,
            f"startup-script-{shape.id}",
            stored(metadata(**{"startup-script": f"#!/bin/bash\nexport {shape.name}='{shape.value}'\n"})),
            says=f"1 secret-looking value(s) of kind {shape.kind_in_script}",
        )
        for shape in secret_shapes.PLANTED
    ),
    Case(
        "gcp.notebooks.no_secrets_in_configuration",
        FAIL,
        "startup-heredoc-and-curl",
        stored(metadata(**{"startup-script": secret_shapes.HEREDOC_SCRIPT + secret_shapes.CURL_SCRIPT})),
        says="of kind bearer_token, private_key",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_a_startup_script_is_stored_redacted_and_still_readable() -> None:
    estate = stored(metadata(**{"startup-script": secret_shapes.HEREDOC_SCRIPT + secret_shapes.CURL_SCRIPT}))()
    script = estate.target.config["gceSetup"]["metadata"]["startup-script"]
    assert secret_shapes.PEM_BODY[:40] not in script and secret_shapes.BEARER not in script
    assert not [line for line in secret_shapes.WRAPPED_KEY_FILE.splitlines() if line in script]
    assert "base64 -d /etc/ml/sa.json.b64 > /etc/ml/sa.json" in script
    finding = assert_case(Case("gcp.notebooks.no_secrets_in_configuration", FAIL, "script", lambda: estate))
    assert finding.evidence == {f"{METADATA}.startup-script": ["[REDACTED:private_key]", "[REDACTED:bearer_token]"]}
    assert secret_shapes.BEARER not in json.dumps([finding.message, finding.evidence])
