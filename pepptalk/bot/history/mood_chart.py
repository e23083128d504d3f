"""The team's mood over the weeks as an SVG drawn on the server: a line for the weekly average
on a band from the week's lowest to its highest day. A few hundred bytes of markup, drawn in
microseconds, so a year of weeks costs the page nothing; the numbers are beside it as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 34, 26, 12, 28
MOODS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Point:
    """One week on the chart: its axis label and its values (None: nobody answered)."""

    label: str
    average: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Chart:
    """What the template draws: paths and labels in the SVG's own coordinates."""

    width: int
    height: int
    line: str
    band: str
    dots: list[tuple[float, float]]
    grid: list[tuple[float, str]]
    ticks: list[tuple[float, str]]


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _y(mood: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (5 - mood) / 4


def _path(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def draw(points: list[Point]) -> Chart:
    """The chart's shapes; weeks nobody answered break the line rather than bridge it."""
    count = len(points)
    segments: list[list[tuple[float, float]]] = [[]]
    upper: list[tuple[float, float]] = []
    lower: list[tuple[float, float]] = []
    dots = []
    for index, point in enumerate(points):
        if point.average is None:
            segments.append([])
            continue
        x = _x(index, count)
        segments[-1].append((x, _y(point.average)))
        dots.append((x, _y(point.average)))
        if point.low is not None and point.high is not None:
            upper.append((x, _y(point.high)))
            lower.append((x, _y(point.low)))
    line = " ".join(_path(s) for s in segments if s)
    band = f"{_path(upper + lower[::-1])} Z" if len(upper) > 1 else ""
    # At most about eight labels on the axis, the latest week always among them.
    step = max(1, -(-count // 8))
    ticks = [
        (_x(i, count), points[i].label) for i in range(count - 1, -1, -step) if points[i].label
    ]
    grid = [(_y(mood), str(mood)) for mood in MOODS]
    return Chart(WIDTH, HEIGHT, line, band, dots, grid, ticks[::-1])


STRIP_WIDTH, STRIP_HEIGHT = 600, 22


@dataclass(frozen=True)
class Strip:
    """A seller's talks as ticks on a line from the first week shown to today."""

    width: int
    height: int
    ticks: list[tuple[float, bool]]


def strip(days: list[date], late: list[bool], first: date, last: date) -> Strip:
    """Where each talk falls on the line, and whether it came later than the cadence asked."""
    span = max(1, (last - first).days)
    ticks = [
        (4 + (STRIP_WIDTH - 8) * min(span, max(0, (day - first).days)) / span, was_late)
        for day, was_late in zip(days, late, strict=True)
    ]
    return Strip(STRIP_WIDTH, STRIP_HEIGHT, ticks)
