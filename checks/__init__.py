"""Check modules, one per cloud service; importing a module registers its checks."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache


@cache
def load_all() -> None:
    for provider in ("aws",):
        package = importlib.import_module(f"checks.{provider}")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"checks.{provider}.{module.name}")
