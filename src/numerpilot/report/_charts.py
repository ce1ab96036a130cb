"""The one chart module of every page: inline SVG drawn here, no library, nothing fetched.

Each function returns one ``<svg>`` element sized by its ``viewBox`` (it scales to the width
of its card). Every mark a person may ask about (a bar, a point, a timeline cell) carries
``class="mark"`` and a ``data-tip`` text that the pages' shared script shows on hover, and the
series of a model carry ``data-model`` so a legend can toggle them.

Labels never collide by construction: y ticks are a few round values at least
``MIN_TICK_GAP`` apart, all printed with the same number of decimals; x labels are spaced by
their own width (the widest label decides how many fit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

WIDTH = 720
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 12, 30
CHAR_W = 6.6  # the width of one 11 px digit or letter, generously
MIN_TICK_GAP = 26
SHIFT = 3.0  # px between the lines of several models within one round's column
# Colour-blind-friendly (Okabe-Ito) order, then repeats.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#000000")
# Models drawn over each other stay visible: each has its own dash pattern and marker, and
# the earlier ones are drawn wider underneath.
DASHES = ("", "7 4", "2 3", "10 3 2 3")
POSITIVE, NEGATIVE = "#2a9d8f", "#e76f51"
STATUS_COLORS = {
    "confirmed": "#2a9d8f",
    "fallback": "#e9c46a",
    "pending": "#8ab6d6",
    "missed": "#e76f51",
    "failed": "#9b2226",
    "none": "#dfe3ea",
}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> str:
    return DASHES[i % len(DASHES)]


@dataclass(frozen=True)
class Series:
    """One named line: ``values[i]`` belongs at x position ``positions[i]`` (NaN: a gap).

    ``model``: the toggle key of the model the line belongs to; ``tips``: one hover text per
    point, which also draws a marker on each point; ``style``: the index of the dash pattern
    and marker shape.
    """

    name: str
    positions: Sequence[int]
    values: FloatArray
    color: str
    model: str = ""
    tips: Sequence[str] | None = None
    style: int = 0


@dataclass(frozen=True)
class Bars:
    """One bar series of a grouped bar chart; ``tips`` per bar."""

    name: str
    values: FloatArray
    color: str
    tips: Sequence[str]


def legend(items: Sequence[tuple[str, str, str]]) -> str:
    """One toggle button per ``(model key, name, colour)``: a click hides or shows that
    model's series in every chart of the page."""
    chips = "".join(
        f'<button type="button" class="chip" data-toggle="{escape(key)}" aria-pressed="true">'
        f'<i class="swatch" style="background:{col}"></i>{escape(name)}</button>'
        for key, name, col in items
    )
    return f'<div class="legend">{chips}</div>'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values, from the first at or below ``low`` up to ``high``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else [0.0]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12) + 0.0)  # + 0.0: -0.0 prints as "-0.00"
        value += step
    return ticks


def tick_decimals(ticks: Sequence[float]) -> int:
    """Decimals that print every tick exactly and all alike (0.02 and 0.00, not 0.02 and 0)."""
    for digits in range(0, 9):
        if all(abs(t - round(t, digits)) < 1e-9 for t in ticks):
            return digits
    return 8


def fmt(value: float, digits: int = 4) -> str:
    """A value for a table or a tip: ``digits`` significant decimals, trailing zeros cut."""
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:.3g}"


def spaced_positions(labels: Sequence[str], width: float) -> list[int]:
    """Label positions, evenly spaced, as many as fit side by side without touching."""
    n = len(labels)
    if n == 0:
        return []
    widest = max(len(str(label)) for label in labels) * CHAR_W + 14
    fit = max(int(width // widest), 1)
    step = math.ceil(n / fit)
    return list(range(0, n, step))


class Frame:
    """Maps data to pixels for a plot area and draws the axes."""

    def __init__(
        self, n_x: int, low: float, high: float, height: int = HEIGHT, *, slots: bool = False
    ):
        if high <= low:
            low, high = low - 1, high + 1
        pad = (high - low) * 0.04
        # Zero stays on the edge when the data starts there (drawdowns, histograms).
        self.low = low if low == 0 else low - pad
        self.high = high if high == 0 else high + pad
        self.height = height
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = height - TOP - BOTTOM
        count = max(min(5, int(self.plot_h // MIN_TICK_GAP)), 2)
        ticks = nice_ticks(self.low, self.high, count)
        self.ticks = [t for t in ticks if self.low - 1e-12 <= t <= self.high + 1e-12]
        self.n_x = max(n_x, 1)
        # Slots: n_x columns of equal width, each value at a column's centre (every chart of
        # rounds, so that a round sits at the same x in all); else points edge to edge.
        self.slots = slots

    def x(self, position: float) -> float:
        if self.slots:
            return LEFT + self.plot_w * (position + 0.5) / self.n_x
        if self.n_x == 1:
            return LEFT + self.plot_w / 2
        return LEFT + self.plot_w * position / (self.n_x - 1)

    def y(self, value: float) -> float:
        return TOP + self.plot_h * (self.high - value) / (self.high - self.low)

    def axes(self, x_labels: Sequence[str], y_label: str, *, percent: bool = False) -> list[str]:
        parts = []
        digits = tick_decimals(self.ticks)
        for tick in self.ticks:
            y = self.y(tick)
            text = f"{tick:.{digits}f}" + ("%" if percent else "")
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'class="{"zero" if tick == 0 else "grid"}"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="ytick">{text}</text>'
            )
        for pos in spaced_positions(x_labels, self.plot_w):
            parts.append(
                f'<text x="{self.x(pos):.1f}" y="{self.height - BOTTOM + 18}" '
                f'class="xtick">{escape(str(x_labels[pos]))}</text>'
            )
        middle = TOP + self.plot_h / 2
        parts.append(
            f'<text x="12" y="{middle:.1f}" class="ylabel" '
            f'transform="rotate(-90 12 {middle:.1f})">{escape(y_label)}</text>'
        )
        return parts


def svg(body: Sequence[str], height: int, label: str, chart: str = "") -> str:
    named = f' data-chart="{escape(chart)}"' if chart else ""
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}"{named}>'
        f"{''.join(body)}</svg>"
    )


def empty_chart(message: str, chart: str = "") -> str:
    return svg(
        [f'<text x="{LEFT}" y="34" class="empty">{escape(message)}</text>'], 56, message, chart
    )


def _bounds(arrays: Sequence[FloatArray], include_zero: bool = True) -> tuple[float, float]:
    finite = [np.asarray(a, dtype=np.float64) for a in arrays]
    finite = [a[np.isfinite(a)] for a in finite]
    values = np.concatenate([*finite, np.zeros(1 if include_zero else 0)])
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def _marker(shape: int, x: float, y: float, fill: str, tip: str, model: str) -> str:
    attrs = f'class="mark" fill="{fill}" data-tip="{escape(tip)}"'
    if model:
        attrs += f' data-model="{escape(model)}"'
    kind = shape % 4
    if kind == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.6" {attrs}/>'
    if kind == 1:
        return f'<rect x="{x - 3.4:.1f}" y="{y - 3.4:.1f}" width="6.8" height="6.8" {attrs}/>'
    corners = (
        ((0, -4.4), (4.2, 3.2), (-4.2, 3.2))
        if kind == 2
        else ((0, -4.6), (4.2, 0), (0, 4.6), (-4.2, 0))
    )
    points = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in corners)
    return f'<polygon points="{points}" {attrs}/>'


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[str],
    y_label: str,
    *,
    area: bool = False,
    step: bool = False,
    percent: bool = False,
    bounds: tuple[float, float] | None = None,
    chart: str = "",
) -> str:
    """Lines over x positions (NaN values break a line); ``area`` fills down to zero,
    ``step`` holds each value until the next point (a stake between decisions)."""
    low, high = bounds or _bounds([s.values for s in series])
    frame = Frame(len(x_labels), low, high, slots=True)
    body = frame.axes(x_labels, y_label, percent=percent)
    count = len(series)
    for k, s in enumerate(series):
        # Side by side within a round's column: identical series stay two visible lines.
        shift = (k - (count - 1) / 2) * min(SHIFT, frame.plot_w / max(frame.n_x, 1) / (2 * count))
        segments: list[list[tuple[float, float]]] = [[]]
        for pos, value in zip(s.positions, s.values, strict=True):
            if math.isfinite(value):
                x, y = frame.x(pos) + shift, frame.y(value)
                if step and segments[-1]:
                    segments[-1].append((x, segments[-1][-1][1]))
                segments[-1].append((x, y))
            elif segments[-1]:
                segments.append([])
        model = f' data-model="{escape(s.model)}"' if s.model else ""
        pattern = dash(s.style)
        dashed = f' stroke-dasharray="{pattern}"' if pattern else ""
        # Earlier series wider underneath: an identical later one leaves an edge showing.
        width = 1.6 + 1.6 * (count - 1 - k) / max(count - 1, 1) if count > 1 else 1.8
        for points in (seg for seg in segments if seg):
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            if area and len(points) > 1:
                zero = frame.y(0)
                poly = f"{points[0][0]:.1f},{zero:.1f} {coords} {points[-1][0]:.1f},{zero:.1f}"
                body.append(
                    f'<polygon points="{poly}" fill="{s.color}" fill-opacity="0.15"{model}/>'
                )
            body.append(
                f'<polyline points="{coords}" fill="none" stroke="{s.color}" '
                f'stroke-width="{width:.1f}"{dashed} class="line"{model}/>'
            )
        if s.tips is not None:
            for pos, value, tip in zip(s.positions, s.values, s.tips, strict=True):
                if math.isfinite(value):
                    body.append(
                        _marker(
                            s.style, frame.x(pos) + shift, frame.y(value), s.color, tip, s.model
                        )
                    )
    return svg(body, HEIGHT, y_label, chart)


def bar_chart(
    groups: Sequence[Bars], x_labels: Sequence[str], y_label: str, *, chart: str = ""
) -> str:
    """Bars side by side per x slot, one colour per series (a lone series is coloured by
    sign instead); every bar has its tip."""
    low, high = _bounds([g.values for g in groups])
    frame = Frame(len(x_labels), low, high, slots=True)
    body = frame.axes(x_labels, y_label)
    slot = frame.plot_w / max(len(x_labels), 1)
    inner = slot * (0.8 if slot > 4 else 1.0)
    width = inner / max(len(groups), 1)
    zero = frame.y(0)
    signed = len(groups) == 1
    for k, g in enumerate(groups):
        for i, (value, tip) in enumerate(zip(g.values, g.tips, strict=True)):
            if not math.isfinite(value):
                continue
            x = LEFT + i * slot + (slot - inner) / 2 + k * width
            top = min(frame.y(value), zero)
            fill = (POSITIVE if value >= 0 else NEGATIVE) if signed else g.color
            body.append(
                f'<rect x="{x:.2f}" y="{top:.1f}" width="{max(width - 0.6, 0.6):.2f}" '
                f'height="{max(abs(frame.y(value) - zero), 0.8):.1f}" fill="{fill}" '
                f'class="mark" data-tip="{escape(tip)}"/>'
            )
    return svg(body, HEIGHT, y_label, chart)


def timeline(
    rows: Sequence[tuple[str, Sequence[tuple[str, str]]]],
    x_labels: Sequence[str],
    *,
    chart: str = "",
) -> str:
    """One row of cells per name, one cell per x label: ``(status, tip)`` per cell, coloured
    by status (``STATUS_COLORS``)."""
    row_h, gap = 22, 6
    height = TOP + len(rows) * (row_h + gap) + BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(x_labels), 1)
    body = []
    for r, (name, cells) in enumerate(rows):
        y = TOP + r * (row_h + gap)
        short = name if len(name) <= 8 else name[:7] + "…"
        body.append(
            f'<text x="{LEFT - 6}" y="{y + row_h / 2 + 4:.1f}" class="ytick">{escape(short)}'
            f"<title>{escape(name)}</title></text>"
        )
        for i, (status, tip) in enumerate(cells):
            body.append(
                f'<rect x="{LEFT + i * slot + 1:.2f}" y="{y}" width="{max(slot - 2, 1):.2f}" '
                f'height="{row_h}" rx="2" fill="{STATUS_COLORS.get(status, "#dfe3ea")}" '
                f'class="mark" data-status="{escape(status)}" data-tip="{escape(tip)}"/>'
            )
    for pos in spaced_positions(x_labels, plot_w):
        body.append(
            f'<text x="{LEFT + (pos + 0.5) * slot:.1f}" y="{height - BOTTOM + 18}" '
            f'class="xtick">{escape(str(x_labels[pos]))}</text>'
        )
    return svg(body, height, "submission timeline", chart)


def histogram(
    samples: Sequence[tuple[str, FloatArray, str]], x_label: str, *, bins: int = 24
) -> str:
    """Overlaid histograms (share of eras per bin) of several named samples."""
    finite = [v[np.isfinite(v)] for _, v, _ in samples]
    data = np.concatenate([*finite, np.zeros(0)])
    if data.size == 0:
        return empty_chart("no data")
    low, high = float(data.min()), float(data.max())
    if high <= low:
        low, high = low - 0.01, high + 0.01
    edges = np.linspace(low, high, bins + 1)
    shares = [np.histogram(v, edges)[0] / max(v.size, 1) for v in finite]
    top = max(float(s.max()) for s in shares) if shares else 1.0
    frame = Frame(bins + 1, 0.0, top)
    body = frame.axes([], "share of eras")
    for (name, _, col), share in zip(samples, shares, strict=True):
        points = [f"{frame.x(0):.1f},{frame.y(0):.1f}"]
        for i, s in enumerate(share):
            points += [
                f"{frame.x(i):.1f},{frame.y(s):.1f}",
                f"{frame.x(i + 1):.1f},{frame.y(s):.1f}",
            ]
        points.append(f"{frame.x(bins):.1f},{frame.y(0):.1f}")
        body.append(
            f'<polygon points="{" ".join(points)}" fill="{col}" fill-opacity="0.25" '
            f'stroke="{col}" stroke-width="1.4" class="mark" data-tip="{escape(name)}"/>'
        )
    ticks = [t for t in nice_ticks(low, high, 5) if low <= t <= high]
    digits = tick_decimals(ticks)
    for value in ticks:
        x = frame.x((value - low) / (high - low) * bins)
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" class="xtick">{value:.{digits}f}</text>'
        )
    return svg(body, HEIGHT + 14, x_label).replace(
        "</svg>",
        f'<text x="{LEFT + frame.plot_w / 2:.1f}" y="{HEIGHT + 8}" class="xtick">'
        f"{escape(x_label)}</text></svg>",
    )


__all__ = [
    "PALETTE",
    "STATUS_COLORS",
    "Bars",
    "Frame",
    "Series",
    "bar_chart",
    "color",
    "dash",
    "empty_chart",
    "fmt",
    "histogram",
    "legend",
    "line_chart",
    "nice_ticks",
    "spaced_positions",
    "tick_decimals",
    "timeline",
]
