"""Check modules, one per cloud service; importing a module registers its checks."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

# Providers whose collectors ship: the single switch that makes a provider's checks
# visible to scans, `checks list` and the catalogue. Checks of a provider still being
# built may be registered (their tests import them) but stay out of every listing.
PROVIDERS: tuple[str, ...] = ("aws", "azure", "gcp")


@cache
def load_all() -> None:
    for provider in PROVIDERS:
        package = importlib.import_module(f"checks.{provider}")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"checks.{provider}.{module.name}")
