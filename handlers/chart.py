"""A line chart drawn on the server as SVG coordinates (no chart library, nothing from a CDN)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 24  # room for the axis labels


@dataclass(frozen=True)
class Line:
    name: str  # the series' key (accrued, spent, …): CSS and tests find it by this
    label: str
    points: str  # "x,y x,y …" for <polyline>


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    y_ticks: list[tuple[float, str]]  # (y, label)
    x_ticks: list[tuple[float, str, str]]  # (x, label, text-anchor: the ends stay inside)
    baseline: float


def _nice(top: Decimal) -> Decimal:
    """A round upper bound for the axis: 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(top))) - 1)
    for step in (1, Decimal("2.5"), 5, 10):
        if top <= power * step:
            return power * step
    return power * 10


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal]]],
    number: Callable[[Decimal], str],
) -> Chart:
    """``series``: (name, label, values) with one value per label; ``number`` formats the axis.

    Each line's colour comes from the stylesheet (``.series-{name}``: the kit's hues at 3:1 or more).
    """
    top = _nice(max((max(values, default=Decimal(0)) for *_, values in series), default=Decimal(0)))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(labels) - 1, 1)

    def y(value: Decimal) -> float:
        return round(TOP + inner_h - float(value / top) * inner_h, 1)

    lines = [
        Line(name, label, " ".join(f"{round(LEFT + i * step, 1)},{y(v)}" for i, v in enumerate(values)))
        for name, label, values in series
    ]
    y_ticks = [(y(top * k / 4), number(top * k / 4)) for k in range(5)]
    picks = sorted({0, len(labels) // 2, len(labels) - 1}) if labels else []
    anchor = {0: "start", len(labels) - 1: "end"}
    x_ticks = [(round(LEFT + i * step, 1), labels[i], anchor.get(i, "middle")) for i in picks]
    return Chart(WIDTH, HEIGHT, lines, y_ticks, x_ticks, y(Decimal(0)))
