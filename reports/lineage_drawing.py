"""The geometry of the report's lineage drawings: plain numbers and strings the template draws as inline SVG.

One drawing per serving resource, laid out left to right by lineage stage (serving, deployments, models, registry
packages, producers, data stores, platform, guardrails, keys, identities, networks), a node per resource with its
failing findings marked in words as well as in colour. No script, font or image is needed to see it, it prints as
drawn, and a text version beside it says the same for screen readers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from cspm_ai.lineage import STAGE_TITLES, Stage, short_id
from cspm_ai.model import Finding, Status
from cspm_ai.report import FindingOut, LineageOut

NODE_WIDTH: Final = 188
NODE_HEIGHT: Final = 46
COLUMN_GAP: Final = 56
ROW_GAP: Final = 14
PAD: Final = 12
HEADER: Final = 22
# Characters of a name a node shows (its <title> and the text version give it whole).
LABEL_CHARS: Final = 22
# How far a link between nodes of one column bows out to their right.
LOOP: Final = 28


@dataclass(frozen=True)
class DrawnNode:
    uid: str
    x: float
    y: float
    label: str  # the name, cut to LABEL_CHARS
    detail: str  # the second line: what fails, or its type
    title: str  # the pointer's tooltip: name, id, type and status in full
    text: str  # the text version's line
    failing: int
    collected: bool
    stage: str


@dataclass(frozen=True)
class DrawnEdge:
    path: str  # the SVG path's d
    kind: str
    text: str  # "<source> <kind> <target>" for the text version and the tooltip


@dataclass(frozen=True)
class Column:
    x: float
    title: str


@dataclass(frozen=True)
class Drawing:
    index: int
    root: str
    name: str
    provider: str
    type: str
    width: int
    height: int
    columns: list[Column]
    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    failing: int  # unmuted FAIL findings on all its nodes
    description: str


def failing_by_resource(findings: Iterable[FindingOut | Finding]) -> Counter[str]:
    """Unmuted FAIL findings per resource uid: what a drawing marks."""
    return Counter(f.resource_uid for f in findings if f.status == Status.FAIL and not f.muted)


def _cut(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _short_type(rtype: str) -> str:
    return rtype.split(".", 1)[1] if "." in rtype else rtype


def _named(name: str, uid: str) -> str:
    ident = short_id(uid, name)
    return f"{name} ({ident})" if ident else name


def draw(lineage: LineageOut, failing: Mapping[str, int], index: int) -> Drawing:
    """One serving resource's lineage as a layered drawing: a column per stage present, nodes stacked in order."""
    stages = [s for s in Stage if any(n.stage == s.value for n in lineage.nodes)]
    column_of = {s.value: i for i, s in enumerate(stages)}
    rows: Counter[int] = Counter()
    nodes: list[DrawnNode] = []
    place: dict[str, tuple[float, float]] = {}
    for node in lineage.nodes:
        col = column_of[node.stage]
        x = PAD + col * (NODE_WIDTH + COLUMN_GAP)
        y = PAD + HEADER + rows[col] * (NODE_HEIGHT + ROW_GAP)
        rows[col] += 1
        place[node.uid] = (x, y)
        count = failing.get(node.uid, 0)
        named = _named(node.name, node.uid)
        what = node.type or "not collected"
        status = f"{count} failing finding{'s' if count != 1 else ''}" if count else "no failing finding"
        if not node.collected:
            status = "not collected by this scan"
            detail = "not collected"
        elif count:
            detail = f"\N{BALLOT X} FAIL \N{MULTIPLICATION SIGN}{count} · {_short_type(node.type)}"
        else:
            detail = _short_type(node.type)
        nodes.append(
            DrawnNode(
                uid=node.uid,
                x=x,
                y=y,
                label=_cut(node.name or node.uid),
                detail=_cut(detail, LABEL_CHARS + 4),
                title=f"{named} · {what} · {status}\n{node.uid}",
                text=f"{STAGE_TITLES[Stage(node.stage)]}: {named} ({what}), {status}.",
                failing=count,
                collected=node.collected,
                stage=node.stage,
            )
        )
    names = {n.uid: n.name or n.uid for n in lineage.nodes}
    edges = [
        DrawnEdge(
            _path(place[e.src], place[e.dst]), e.kind, f"{names[e.src]} {e.kind.replace('_', ' ')} {names[e.dst]}"
        )
        for e in lineage.edges
        if e.src in place and e.dst in place
    ]
    width = PAD * 2 + len(stages) * NODE_WIDTH + (len(stages) - 1) * COLUMN_GAP + LOOP
    height = PAD * 2 + HEADER + max(rows.values(), default=1) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    total = sum(n.failing for n in nodes)
    description = (
        f"{lineage.name} ({lineage.type}) and the {len(nodes) - 1} resource{'s' if len(nodes) != 2 else ''} "
        f"it is made of, left to right: {', '.join(STAGE_TITLES[s].lower() for s in stages)}. "
        + (f"{total} failing finding{'s' if total != 1 else ''} on them." if total else "No failing finding on them.")
    )
    columns = [Column(PAD + i * (NODE_WIDTH + COLUMN_GAP), STAGE_TITLES[s]) for i, s in enumerate(stages)]
    return Drawing(
        index=index,
        root=lineage.root,
        name=lineage.name,
        provider=lineage.provider,
        type=lineage.type,
        width=width,
        height=height,
        columns=columns,
        nodes=nodes,
        edges=edges,
        failing=total,
        description=description,
    )


def _path(src: tuple[float, float], dst: tuple[float, float]) -> str:
    """A curve from the source's right side to the target's left side, or, within one column (or backwards),
    bowing out to the right from one right side to the other."""
    (sx, sy), (dx, dy) = src, dst
    y1, y2 = sy + NODE_HEIGHT / 2, dy + NODE_HEIGHT / 2
    x1 = sx + NODE_WIDTH
    if dx > sx:
        bend = COLUMN_GAP / 2
        return f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {dx - bend:.1f},{y2:.1f} {dx:.1f},{y2:.1f}"
    x2 = dx + NODE_WIDTH
    return f"M{x1:.1f},{y1:.1f} C{x1 + LOOP:.1f},{y1:.1f} {x2 + LOOP:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


def drawings(lineage: Sequence[LineageOut], failing: Mapping[str, int], limit: int) -> list[Drawing]:
    """The first `limit` serving resources' drawings, in the report's lineage order."""
    return [draw(item, failing, i) for i, item in enumerate(lineage[:limit])]
