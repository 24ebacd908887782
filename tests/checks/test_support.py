"""The support modules' `declare_type`: each resource type has one base response, of a type the collector stores."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.checks import azure_support, gcp_support
from tests.checks import conftest as aws_support

EXISTING = {
    aws_support: ("aws.kms.key", lambda uid, name, is_global: {"uid": uid, "name": name, "is_global": is_global}),
    azure_support: (
        "azure.keyvault.vault",
        lambda uid, name, is_global: {"uid": uid, "name": name, "is_global": is_global},
    ),
    gcp_support: ("gcp.kms.crypto_key", lambda uid, name, region: {"uid": uid, "name": name, "region": region}),
}


def _declare(support: ModuleType, base: dict[str, Any], rtype: str | None = None) -> str:
    existing, naming = EXISTING[support]
    rtype = rtype or existing
    kw = naming(*support.TYPES[existing])
    if support is gcp_support:
        kw["host"] = gcp_support.SERVICE_HOST[existing]
    return support.declare_type(rtype, base, **kw)


@pytest.mark.parametrize("support", EXISTING, ids=lambda s: s.__name__.rsplit(".", 1)[-1])
def test_declaring_a_type_again_with_the_same_data_changes_nothing(support: ModuleType) -> None:
    rtype = EXISTING[support][0]
    before = (support.TYPES[rtype], support.BASE[rtype])
    assert _declare(support, support.BASE[rtype]) == rtype
    assert (support.TYPES[rtype], support.BASE[rtype]) == before
    assert support.make(rtype).config == support.BASE[rtype]


@pytest.mark.parametrize("support", EXISTING, ids=lambda s: s.__name__.rsplit(".", 1)[-1])
def test_a_type_keeps_one_base_response(support: ModuleType) -> None:
    rtype = EXISTING[support][0]
    before = support.BASE[rtype]
    with pytest.raises(ValueError, match="already has a base response"):
        _declare(support, {**before, "extra": True})
    assert support.BASE[rtype] == before


@pytest.mark.parametrize("support", EXISTING, ids=lambda s: s.__name__.rsplit(".", 1)[-1])
def test_only_a_type_the_collector_stores_can_be_declared(support: ModuleType) -> None:
    provider = EXISTING[support][0].split(".")[0]
    invented = f"{provider}.nowhere.widget"
    with pytest.raises(ValueError, match="not a type"):
        _declare(support, {"name": "w"}, rtype=invented)
    assert invented not in support.TYPES and invented not in support.BASE


def test_a_gcp_type_keeps_its_asset_inventory_host() -> None:
    rtype = "gcp.kms.crypto_key"
    uid, name, region = gcp_support.TYPES[rtype]
    with pytest.raises(ValueError, match="host cloudkms"):
        gcp_support.declare_type(rtype, gcp_support.BASE[rtype], uid=uid, name=name, region=region)
    assert gcp_support.SERVICE_HOST[rtype] == "cloudkms"
