"""The check tests mirror the check code.

checks/<provider>/<module>.py is tested in tests/checks/<provider>/test_<module>.py (a leading underscore is
dropped: checks/aws/_policy.py -> tests/checks/aws/test_policy.py), and the cases of each registered check sit
in the test file of the module that registers it (`spec.func.__module__`). Tests about no single module, and
the shared support, stay in tests/checks itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import checks
from cspm_ai.registry import REGISTRY, CheckSpec
from tests.checks.conftest import check_test_modules

TESTS = Path(__file__).parent
# Every provider package under checks/, live or staged.
PROVIDER_PACKAGES = sorted(m.name for m in pkgutil.iter_modules(checks.__path__) if m.ispkg)


def check_modules(provider: str) -> list[str]:
    package = importlib.import_module(f"checks.{provider}")
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.ispkg)


def mirrored(module: str) -> str:
    """The test module of a check module: checks.aws._policy -> tests.checks.aws.test_policy."""
    _, provider, name = module.split(".")
    return f"tests.checks.{provider}.test_{name.removeprefix('_')}"


def _register_every_check() -> list[CheckSpec]:
    for provider in PROVIDER_PACKAGES:
        for module in check_modules(provider):
            importlib.import_module(f"checks.{provider}.{module}")
    return sorted(REGISTRY.values(), key=lambda spec: spec.id)


SPECS = _register_every_check()


@pytest.mark.parametrize("provider", PROVIDER_PACKAGES)
def test_every_check_module_has_its_test_file_and_every_test_file_its_module(provider: str) -> None:
    modules = check_modules(provider)
    expected = {mirrored(f"checks.{provider}.{m}").rsplit(".", 1)[1] + ".py" for m in modules}
    assert len(expected) == len(modules), f"two modules of checks/{provider} share one test file name"
    package = TESTS / provider
    assert (package / "__init__.py").is_file(), f"tests/checks/{provider} is a package"
    present = {path.name for path in package.glob("test_*.py")}
    assert sorted(expected - present) == [], f"check modules of checks/{provider} without their test file"
    assert sorted(present - expected) == [], (
        "test files of no check module (tests about no single module go in tests/checks)"
    )


@pytest.mark.parametrize("spec", SPECS, ids=[spec.id for spec in SPECS])
def test_a_checks_cases_sit_in_the_test_file_of_its_module(spec: CheckSpec) -> None:
    tests = importlib.import_module(mirrored(spec.func.__module__))
    assert spec.id in {case.check_id for case in getattr(tests, "CASES", ())}, tests.__name__


def test_no_case_sits_anywhere_else() -> None:
    owner = {spec.id: spec.func.__module__ for spec in SPECS}
    misplaced = [
        (module.__name__, case.check_id)
        for module in check_test_modules()
        for case in getattr(module, "CASES", ())
        if case.check_id not in owner or module.__name__ != mirrored(owner[case.check_id])
    ]
    assert misplaced == []
