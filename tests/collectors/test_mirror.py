"""The collector tests mirror the collector code.

collectors/<module>.py is tested in tests/collectors/test_<module>.py and collectors/<cloud>/<module>.py in
tests/collectors/<cloud>/test_<module>.py (a leading underscore dropped, as for the checks), so a module's tests
are found by its path. Beside that file, tests/collectors/[<cloud>/]test_<module>_<aspect>.py test one aspect of
the same module (test_engine_faults.py). A package's `__init__.py` (the `*_collector` factory) has no file of its
own. Every test file names a module this way, except this one, which is about all of them.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import collectors

TESTS = Path(__file__).parent
ABOUT_NO_MODULE = frozenset({Path("test_mirror.py")})
# "" is collectors/ itself, then one package per cloud.
PACKAGES = ["", *sorted(m.name for m in pkgutil.iter_modules(collectors.__path__) if m.ispkg)]


def modules(package: str) -> list[str]:
    """The modules of collectors/ or of collectors/<package>/, `__init__` aside."""
    found = importlib.import_module(f"collectors.{package}" if package else "collectors")
    return sorted(m.name for m in pkgutil.iter_modules(found.__path__) if not m.ispkg)


def mirrored(module: str) -> str:
    """The test file of a module: _policy -> test_policy.py."""
    return f"test_{module.removeprefix('_')}.py"


def names_a_module(path: Path, package_modules: list[str]) -> bool:
    """`test_<module>.py` or `test_<module>_<aspect>.py` for a module of the package the file sits in."""
    stems = [mirrored(m).removesuffix(".py") for m in package_modules]
    return any(path.stem == stem or path.stem.startswith(f"{stem}_") for stem in stems)


@pytest.mark.parametrize("package", PACKAGES, ids=[p or "collectors" for p in PACKAGES])
def test_every_collector_module_has_its_test_file(package: str) -> None:
    directory = TESTS / package
    assert (directory / "__init__.py").is_file(), f"{directory} is a package"
    expected = {mirrored(m) for m in modules(package)}
    assert expected, f"collectors/{package} has no module"
    present = {path.name for path in directory.glob("test_*.py")}
    assert sorted(expected - present) == [], f"modules of collectors/{package} without their test file"


def test_every_test_file_names_a_collector_module() -> None:
    packages = {Path(p): modules(p) for p in PACKAGES}
    strays = []
    for path in sorted(TESTS.rglob("test_*.py")):
        relative = path.relative_to(TESTS)
        if relative in ABOUT_NO_MODULE:
            continue
        package_modules = packages.get(relative.parent)
        if package_modules is None or not names_a_module(relative, package_modules):
            strays.append(str(relative))
    assert strays == [], "test files that name no collector module by their path"


def test_the_mirror_rule_tells_a_modules_files_from_strays() -> None:
    engine = ["engine", "permissions", "specs"]
    assert names_a_module(Path("test_engine.py"), engine)
    assert names_a_module(Path("test_engine_faults.py"), engine)
    assert not names_a_module(Path("test_engines.py"), engine)
    assert not names_a_module(Path("test_aws_engine.py"), engine)
    assert mirrored("_policy") == "test_policy.py" and names_a_module(Path("test_policy.py"), ["_policy"])
