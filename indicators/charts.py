"""Geometry of the small server-rendered charts (inline SVG) and the trend of a headline value.

Pure: values in, coordinates out; no ORM, no templates. The institution page draws a quarterly
series (oldest first) as bars or a line. Time runs in the reading direction: left to right in
French and English, right to left in Arabic (``rtl=True``), where the value axis also moves to
the right-hand (start) side. Only positions are mirrored, never the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

#: Space kept around the plot: the value axis labels sit on the start side, the quarter labels
#: below.
AXIS_SPACE = 60.0
END_SPACE = 12.0
TOP_SPACE = 12.0
BOTTOM_SPACE = 28.0
GRID_LINES = 4


@dataclass(frozen=True)
class ChartPoint:
    """One quarter: its label position (``x``), and its value position (``y``) if it has one."""

    label: str
    x: float
    value: Decimal | None
    y: float | None


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class GridLine:
    value: Decimal
    y: float


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    rtl: bool
    points: list[ChartPoint]
    grid: list[GridLine]
    baseline: float
    #: Where the value labels are anchored (the start side of the plot).
    axis_x: float
    plot_start: float
    plot_end: float
    slot: float

    @property
    def has_data(self) -> bool:
        return any(point.value is not None for point in self.points)

    @property
    def line_path(self) -> str:
        """An SVG path through the points with a value; a missing quarter breaks the line."""
        parts: list[str] = []
        pen_down = False
        for point in self.points:
            if point.y is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{point.x:.1f} {point.y:.1f}")
            pen_down = True
        return " ".join(parts)

    @property
    def bars(self) -> list[Bar]:
        width = self.slot * 0.6
        return [
            Bar(
                label=point.label,
                value=point.value,
                x=round(point.x - width / 2, 2),
                y=min(point.y, self.baseline),
                width=round(width, 2),
                height=round(abs(self.baseline - point.y), 2),
            )
            for point in self.points
            if point.value is not None and point.y is not None
        ]


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (a readable axis maximum)."""
    if value <= 0:
        return Decimal(1)
    exponent = math.floor(math.log10(float(value)))
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = step * Decimal(10) ** exponent
        if candidate >= value:
            return candidate
    return Decimal(10) ** (exponent + 1)  # pragma: no cover - 10 × 10ⁿ always qualifies


def chart_geometry(
    series: Sequence[tuple[str, Decimal | None]],
    *,
    width: float = 480.0,
    height: float = 200.0,
    rtl: bool = False,
) -> Chart:
    """Positions for ``series`` (label, value), oldest first, on a value axis from 0 (or the
    lowest negative value) to a readable maximum. Each quarter gets an equal slot; its point
    sits in the slot's middle. In ``rtl`` the first quarter is on the right."""
    values = [value for _label, value in series if value is not None]
    top = nice_ceiling(max(values)) if values and max(values) > 0 else Decimal(1)
    bottom = min(Decimal(0), *values) if values else Decimal(0)
    if bottom < 0:
        bottom = -nice_ceiling(-bottom)
    span = top - bottom

    plot_start, plot_end = AXIS_SPACE, width - END_SPACE  # measured from the start side
    plot_top, plot_bottom = TOP_SPACE, height - BOTTOM_SPACE
    count = max(len(series), 1)
    slot = (plot_end - plot_start) / count

    def x_of(index: int) -> float:
        from_start = plot_start + slot * (index + 0.5)
        return width - from_start if rtl else from_start

    def y_of(value: Decimal) -> float:
        return plot_bottom - float((value - bottom) / span) * (plot_bottom - plot_top)

    points = [
        ChartPoint(
            label=label,
            x=round(x_of(index), 2),
            value=value,
            y=round(y_of(value), 2) if value is not None else None,
        )
        for index, (label, value) in enumerate(series)
    ]
    grid = [
        GridLine(
            value=bottom + span * step / GRID_LINES,
            y=round(y_of(bottom + span * step / GRID_LINES), 2),
        )
        for step in range(GRID_LINES + 1)
    ]
    return Chart(
        width=width,
        height=height,
        rtl=rtl,
        points=points,
        grid=grid,
        baseline=round(y_of(Decimal(0)), 2),
        axis_x=width - (plot_start - 6) if rtl else plot_start - 6,
        plot_start=width - plot_end if rtl else plot_start,
        plot_end=width - plot_start if rtl else plot_end,
        slot=slot,
    )


# --- Trends -----------------------------------------------------------------------------------

#: A change smaller than this share of the previous value is "stable".
STABLE = Decimal("0.005")


@dataclass(frozen=True)
class Trend:
    """How a value moved since the previous quarter and whether that is good news."""

    direction: str  # "up", "down", "flat"
    verdict: str  # "good", "bad", "neutral"


def trend(value: Decimal | None, previous: Decimal | None, direction: str) -> Trend | None:
    """``direction`` is the catalogue's: ``higher_better``, ``lower_better`` or ``neutral``."""
    if value is None or previous is None:
        return None
    change = value - previous
    scale = abs(previous) if previous else Decimal(1)
    if abs(change) <= scale * STABLE:
        return Trend("flat", "neutral")
    moved = "up" if change > 0 else "down"
    if direction == "higher_better":
        return Trend(moved, "good" if moved == "up" else "bad")
    if direction == "lower_better":
        return Trend(moved, "good" if moved == "down" else "bad")
    return Trend(moved, "neutral")
