"""Small inline-SVG charts for the validation report: no scripts, no fonts, no network.

Each function returns one ``<svg>`` element sized by its ``viewBox`` (it scales to the page
width). Hovering a bar or point shows its value through SVG ``<title>`` elements, which every
browser renders natively.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from numerpilot.scoring.eras import FloatArray

WIDTH = 880
HEIGHT = 250
LEFT, RIGHT, TOP, BOTTOM = 60, 14, 14, 34
# Colour-blind-friendly (Okabe-Ito) order, then repeats.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
POSITIVE, NEGATIVE = "#2a9d8f", "#e76f51"


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


@dataclass(frozen=True)
class Series:
    """One named line: ``values[i]`` belongs at x position ``positions[i]`` (NaN: a gap)."""

    name: str
    positions: Sequence[int]
    values: FloatArray
    color: str


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
        ticks.append(round(value, 12))
        value += step
    return ticks


def fmt(value: float, digits: int = 4) -> str:
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:.3g}"


class _Frame:
    """Maps data to pixels for a plot area and draws the axes."""

    def __init__(self, n_x: int, low: float, high: float, height: int = HEIGHT):
        if high <= low:
            low, high = low - 1, high + 1
        pad = (high - low) * 0.04
        # Zero stays on the edge when the data starts there (drawdowns, histograms).
        self.low = low if low == 0 else low - pad
        self.high = high if high == 0 else high + pad
        self.ticks = [t for t in nice_ticks(self.low, self.high) if self.low <= t <= self.high]
        self.n_x = max(n_x, 1)
        self.height = height
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = height - TOP - BOTTOM

    def x(self, position: float) -> float:
        if self.n_x == 1:
            return LEFT + self.plot_w / 2
        return LEFT + self.plot_w * position / (self.n_x - 1)

    def y(self, value: float) -> float:
        return TOP + self.plot_h * (self.high - value) / (self.high - self.low)

    def axes(self, x_labels: Sequence[str], y_label: str) -> list[str]:
        parts = []
        for tick in self.ticks:
            y = self.y(tick)
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'class="{"zero" if tick == 0 else "grid"}"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="ytick">{fmt(tick)}</text>'
            )
        if x_labels:
            shown = np.unique(np.linspace(0, len(x_labels) - 1, min(len(x_labels), 8)).round())
            for pos in shown.astype(int):
                parts.append(
                    f'<text x="{self.x(pos):.1f}" y="{self.height - BOTTOM + 16}" '
                    f'class="xtick">{escape(str(x_labels[pos]))}</text>'
                )
        parts.append(
            f'<text x="14" y="{TOP + self.plot_h / 2:.1f}" class="ylabel" '
            f'transform="rotate(-90 14 {TOP + self.plot_h / 2:.1f})">{escape(y_label)}</text>'
        )
        return parts


def _svg(body: list[str], height: int, label: str) -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}">'
        f"{''.join(body)}</svg>"
    )


def _bounds(arrays: Sequence[FloatArray], include_zero: bool = True) -> tuple[float, float]:
    finite = [a[np.isfinite(a)] for a in arrays]
    values = np.concatenate([*finite, np.zeros(1 if include_zero else 0)])
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def line_chart(
    series: Sequence[Series], x_labels: Sequence[str], y_label: str, *, area: bool = False
) -> str:
    """Lines over era positions (NaN values break a line); ``area`` fills down to zero."""
    low, high = _bounds([s.values for s in series])
    frame = _Frame(len(x_labels), low, high)
    body = frame.axes(x_labels, y_label)
    for s in series:
        segments: list[list[str]] = [[]]
        for pos, value in zip(s.positions, s.values, strict=True):
            if math.isfinite(value):
                segments[-1].append(f"{frame.x(pos):.1f},{frame.y(value):.1f}")
            elif segments[-1]:
                segments.append([])
        for points in (seg for seg in segments if seg):
            if area and len(points) > 1:
                first_x, last_x = points[0].split(",")[0], points[-1].split(",")[0]
                zero = f"{frame.y(0):.1f}"
                poly = " ".join([f"{first_x},{zero}", *points, f"{last_x},{zero}"])
                body.append(f'<polygon points="{poly}" fill="{s.color}" fill-opacity="0.18"/>')
            body.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{s.color}" '
                f'stroke-width="1.6"><title>{escape(s.name)}</title></polyline>'
            )
    return _svg(body, HEIGHT, y_label)


def bar_chart(values: FloatArray, x_labels: Sequence[str], y_label: str) -> str:
    """One bar per era, coloured by sign; hover shows era and value."""
    low, high = _bounds([values])
    frame = _Frame(len(x_labels) + 1, low, high)
    body = frame.axes([], y_label)
    step = frame.plot_w / max(len(values), 1)
    width = max(step * 0.8, 0.6)
    zero = frame.y(0)
    for i, value in enumerate(values):
        if not math.isfinite(value):
            continue
        top = min(frame.y(value), zero)
        body.append(
            f'<rect x="{LEFT + i * step:.2f}" y="{top:.1f}" width="{width:.2f}" '
            f'height="{max(abs(frame.y(value) - zero), 0.5):.1f}" '
            f'fill="{POSITIVE if value >= 0 else NEGATIVE}">'
            f"<title>era {escape(str(x_labels[i]))}: {fmt(value)}</title></rect>"
        )
    if len(x_labels):
        shown = np.unique(np.linspace(0, len(x_labels) - 1, min(len(x_labels), 8)).round())
        for pos in shown.astype(int):
            body.append(
                f'<text x="{LEFT + (pos + 0.5) * step:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'class="xtick">{escape(str(x_labels[pos]))}</text>'
            )
    return _svg(body, HEIGHT, y_label)


def histogram(
    samples: Sequence[tuple[str, FloatArray, str]], x_label: str, *, bins: int = 24
) -> str:
    """Overlaid histograms (share of eras per bin) of several named samples."""
    finite = [v[np.isfinite(v)] for _, v, _ in samples]
    data = np.concatenate([*finite, np.zeros(0)])
    if data.size == 0:
        return _svg(['<text x="20" y="40">no data</text>'], 80, x_label)
    low, high = float(data.min()), float(data.max())
    if high <= low:
        low, high = low - 0.01, high + 0.01
    edges = np.linspace(low, high, bins + 1)
    shares = [np.histogram(v, edges)[0] / max(v.size, 1) for v in finite]
    top = max(float(s.max()) for s in shares) if shares else 1.0
    frame = _Frame(bins + 1, 0.0, top)
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
            f'stroke="{col}" stroke-width="1.4"><title>{escape(name)}</title></polygon>'
        )
    for value in nice_ticks(low, high, 6):
        if low <= value <= high:
            x = frame.x((value - low) / (high - low) * bins)
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" class="xtick">{fmt(value)}</text>'
            )
    middle = LEFT + frame.plot_w / 2
    body.append(f'<text x="{middle:.1f}" y="{HEIGHT - 4}" class="xtick">{escape(x_label)}</text>')
    return _svg(body, HEIGHT, x_label)


__all__ = [
    "PALETTE",
    "Series",
    "bar_chart",
    "color",
    "fmt",
    "histogram",
    "line_chart",
    "nice_ticks",
]
