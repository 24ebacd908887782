"""The AI security checklist: item ids and titles (a public contract).

The checklist ships as the `checklist` framework file, so the same data serves
the per-framework reports and this view of its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    section: str


@cache
def checklist() -> dict[str, ChecklistItem]:
    """Items by id, in the checklist's own order."""
    from cspm_ai.compliance import CHECKLIST_FRAMEWORK, frameworks

    controls = frameworks()[CHECKLIST_FRAMEWORK].controls
    return {c.id: ChecklistItem(id=c.id, title=c.title, section=c.section) for c in controls}
