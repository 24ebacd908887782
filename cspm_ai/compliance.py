"""Compliance frameworks as data: one JSON file per framework in `cspm_ai/data/frameworks/`.

A framework file lists the controls cspm-ai can speak to. A control names the
checklist items and/or the checks that give evidence for it:

    {"id": "SC-7", "title": "Boundary Protection", "section": "System and Communications Protection",
     "checklist": ["CL-01", "CL-07"], "checks": ["aws.sagemaker.notebook_direct_internet_access"]}

A check maps to a control when the control lists the check's id or one of the
check's checklist items. A control that lists neither, or only checklist items
no check covers, has no automated evidence: the framework report shows it as
MANUAL unless an attestation covers one of its checklist items.

The mapping lives here, per framework, rather than on each check so that one
framework can be reviewed and amended in one file; `CheckSpec.compliance`
is the derived view a finding carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, cached_property
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cspm_ai.errors import NotFoundError

FRAMEWORKS_DIR = "data/frameworks"
CHECKLIST_FRAMEWORK = "checklist"


class _Data(BaseModel):
    # extra="forbid": a misspelt key in a framework file fails loudly instead of mapping nothing.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Control(_Data):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    section: str = ""
    description: str = ""
    checklist: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


class Framework(_Data):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    url: str | None = None
    description: str = Field(min_length=1)
    control_id_pattern: str
    controls: tuple[Control, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _controls_well_formed(self) -> Framework:
        pattern = re.compile(self.control_id_pattern)
        seen: set[str] = set()
        for control in self.controls:
            if not pattern.fullmatch(control.id):
                raise ValueError(f"control id {control.id!r} does not match {self.control_id_pattern}")
            if control.id in seen:
                raise ValueError(f"control id {control.id!r} appears twice")
            seen.add(control.id)
        return self

    @cached_property
    def _by_checklist(self) -> dict[str, list[Control]]:
        index: dict[str, list[Control]] = {}
        for control in self.controls:
            for item in control.checklist:
                index.setdefault(item, []).append(control)
        return index

    @cached_property
    def _by_check(self) -> dict[str, list[Control]]:
        index: dict[str, list[Control]] = {}
        for control in self.controls:
            for check_id in control.checks:
                index.setdefault(check_id, []).append(control)
        return index

    def controls_for(self, check_id: str, checklist: Iterable[str]) -> list[Control]:
        """The controls a check gives evidence for, in the framework's own order."""
        hits = {c.id for c in self._by_check.get(check_id, ())}
        for item in checklist:
            hits.update(c.id for c in self._by_checklist.get(item, ()))
        return [c for c in self.controls if c.id in hits]

    def checks_by_control(self, checks: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[str]]:
        """Control id -> the ids of `checks` ((id, checklist) pairs) that give evidence for it, in one pass."""
        mapped: dict[str, list[str]] = {c.id: [] for c in self.controls}
        for check_id, items in checks:
            for control in self.controls_for(check_id, items):
                mapped[control.id].append(check_id)
        return mapped

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)


@cache
def frameworks() -> dict[str, Framework]:
    """Every shipped framework by id: the checklist first, then the others by id."""
    loaded: dict[str, Framework] = {}
    for entry in files("cspm_ai").joinpath(FRAMEWORKS_DIR).iterdir():
        if not entry.name.endswith(".json"):
            continue
        framework = Framework.model_validate_json(entry.read_text("utf-8"))
        if entry.name != f"{framework.id}.json":
            raise ValueError(f"framework file {entry.name} holds framework {framework.id!r}")
        loaded[framework.id] = framework
    order = sorted(loaded, key=lambda fid: (fid != CHECKLIST_FRAMEWORK, fid))
    return {fid: loaded[fid] for fid in order}


def framework(name: str) -> Framework:
    """A framework by id, case-insensitively; an unknown name is a user error listing the known ones."""
    known = frameworks()
    wanted = name.strip().lower()
    if wanted in known:
        return known[wanted]
    raise NotFoundError(
        f"unknown framework {name!r}",
        hint="known frameworks: " + ", ".join(known) + " (`cspm-ai frameworks list` describes them)",
    )


@cache
def compliance_of(check_id: str, checklist: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Framework id -> control ids a check gives evidence for (frameworks it maps to only)."""
    mapping: dict[str, tuple[str, ...]] = {}
    for fid, fw in frameworks().items():
        controls = fw.controls_for(check_id, checklist)
        if controls:
            mapping[fid] = tuple(c.id for c in controls)
    return mapping
