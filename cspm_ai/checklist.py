"""The AI security checklist: item ids and titles (a public contract), shipped as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    section: str


@cache
def checklist() -> dict[str, ChecklistItem]:
    """Items by id, in the checklist's own order."""
    raw = json.loads(files("cspm_ai").joinpath("data/checklist.json").read_text("utf-8"))
    return {item["id"]: ChecklistItem(**item) for item in raw["items"]}
