"""Every Google Cloud check test runs with the GCP checks registered, live or staged."""

from __future__ import annotations

import pytest

from tests.checks.gcp_support import load_gcp_checks


@pytest.fixture(scope="module", autouse=True)
def _gcp_checks() -> None:
    load_gcp_checks()
