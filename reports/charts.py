"""The geometry of the report's trend charts: plain numbers the template draws as inline SVG.

No script and no font is needed to see them, they print as drawn, and every number is also in a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from cspm_ai.history import TrendPoint
from cspm_ai.model import Severity

WIDTH: Final = 720
HEIGHT: Final = 240
LEFT: Final = 44
RIGHT: Final = 12
TOP: Final = 12
BOTTOM: Final = 40
# At most this many date labels under the bars, however many scans.
MAX_X_LABELS: Final = 12
SPARK_WIDTH: Final = 120
SPARK_HEIGHT: Final = 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    severity: str
    count: int
    scan_id: str
    label: str  # what a pointer's tooltip (the SVG <title>) says


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_labels: list[XLabel]
    plot_left: int
    plot_bottom: float
    plot_right: float
    description: str


@dataclass(frozen=True)
class Sparkline:
    item: str
    title: str
    counts: list[int]
    points: str  # the SVG polyline's points
    last_x: float
    last_y: float
    width: int
    height: int
    change: int  # latest count less the one before (0 with a single scan)


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _date(point: TrendPoint) -> str:
    return point.started_at.strftime("%m-%d")


def severity_chart(points: Sequence[TrendPoint]) -> BarChart:
    """Stacked bars, one per scan (oldest left): FAIL counts by severity, most severe at the bottom."""
    n = max(1, len(points))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.7)
    totals = [sum(p.fail_by_severity.values()) for p in points]
    top = _nice_max(max(totals, default=0))
    scale = plot_h / top
    bars: list[Bar] = []
    for i, point in enumerate(points):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base: float = TOP + plot_h
        for severity in Severity:
            count = point.fail_by_severity.get(severity, 0)
            if not count:
                continue
            h = count * scale
            base -= h
            label = f"{point.started_at.strftime('%Y-%m-%d %H:%M')} UTC: {count} {severity.value} failing"
            bars.append(
                Bar(
                    round(x, 2),
                    round(base, 2),
                    round(bar_w, 2),
                    round(h, 2),
                    severity.value,
                    count,
                    point.scan_id,
                    label,
                )
            )
    ticks = [Tick(v, round(TOP + plot_h - v * scale, 2)) for v in (0, top // 2, top) if v or top]
    every = max(1, -(-n // MAX_X_LABELS))
    labels = [
        XLabel(round(LEFT + i * slot + slot / 2, 2), _date(p))
        for i, p in enumerate(points)
        if (len(points) - 1 - i) % every == 0
    ]
    if points:
        description = (
            f"FAIL findings in the last {len(points)} scan(s), "
            f"from {totals[0]} in the first to {totals[-1]} in this one."
        )
    else:
        description = "No scan to chart."
    return BarChart(
        WIDTH,
        HEIGHT,
        bars,
        sorted(set(ticks), key=lambda t: t.value),
        labels,
        LEFT,
        TOP + plot_h,
        WIDTH - RIGHT,
        description,
    )


def checklist_sparklines(points: Sequence[TrendPoint], titles: Mapping[str, str]) -> list[Sparkline]:
    """One small line per checklist item that failed in any of the scans, in checklist order."""
    items = {item for p in points for item in p.fail_by_checklist}
    order = [i for i in titles if i in items] + sorted(items - set(titles))
    lines: list[Sparkline] = []
    for item in order:
        counts = [p.fail_by_checklist.get(item, 0) for p in points]
        top = max(max(counts), 1)
        step = (SPARK_WIDTH - 4) / max(1, len(counts) - 1)
        coords = [(2 + i * step, 2 + (SPARK_HEIGHT - 4) * (1 - c / top)) for i, c in enumerate(counts)]
        if len(coords) == 1:  # one scan: a flat line across, so something is drawn
            coords = [(2, coords[0][1]), (SPARK_WIDTH - 2, coords[0][1])]
        change = counts[-1] - counts[-2] if len(counts) > 1 else 0
        lines.append(
            Sparkline(
                item=item,
                title=titles.get(item, item),
                counts=counts,
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
                last_x=round(coords[-1][0], 1),
                last_y=round(coords[-1][1], 1),
                width=SPARK_WIDTH,
                height=SPARK_HEIGHT,
                change=change,
            )
        )
    return lines
