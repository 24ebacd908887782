"""Every Azure check test runs with the Azure checks registered, live or staged."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import load_azure_checks


@pytest.fixture(scope="module", autouse=True)
def _azure_checks() -> None:
    load_azure_checks()
