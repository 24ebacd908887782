"""The custom role shipped for the Google Cloud collector is what its declarations derive, and it only reads."""

from __future__ import annotations

import json
import re
from importlib.resources import files

from collectors.gcp.permissions import required_permissions, role_definition

# The verb of a read permission: get, list or search, alone or leading (getIamPolicy, searchAllResources).
READ_VERB = re.compile(r"(get|list|search)([A-Z][A-Za-z]*)?")


def shipped_role() -> dict[str, object]:
    return json.loads(files("cspm_ai").joinpath("permissions/gcp-readonly-role.json").read_text())


def test_shipped_gcp_role_is_what_the_collector_declares() -> None:
    assert shipped_role() == role_definition()


def test_every_gcp_permission_is_a_get_list_or_search_read() -> None:
    permissions = required_permissions()
    assert permissions and [p for p in permissions if not READ_VERB.fullmatch(p.rsplit(".", 1)[1])] == []
    # The verbs the collector uses today: a new one is added here on purpose, once it is known to be a read.
    assert {p.rsplit(".", 1)[1] for p in permissions} <= {"get", "list", "getIamPolicy", "searchAllResources"}
