"""The dashboard page: every tournament model's rounds, scores, stakes and submissions, in the
validation report's style, drawn from a ``DashboardView``.

The same HTML is the live page the local server refreshes and the static copy ``status``
writes. Numbers keep one precision each: scores with 4 decimals and a sign, NMR with 4
decimals, percentiles with 1.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

import numpy as np

from numerpilot.report._charts import (
    STATUS_COLORS,
    Bars,
    FloatArray,
    Series,
    bar_chart,
    color,
    empty_chart,
    legend,
    line_chart,
    timeline,
)
from numerpilot.report._style import page
from numerpilot.report._view import (
    SUBMISSION_STATES,
    DashboardView,
    ModelView,
    RoundView,
)
from numerpilot.scoring import drawdown, max_drawdown, sharpe, smart_sharpe

EMPTY_MESSAGE = (
    "The ledger is empty: nothing has run yet. Start the autopilot with 'numerpilot run'."
)
MMC_COLOR = "#E69F00"


def score(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:+.4f}"


def nmr(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{Decimal(value):.4f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def when(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC")


def _key(i: int) -> str:
    return f"m{i}"


def _section(title: str, help_text: str, body: str, attrs: str = "") -> str:
    return (
        f"<section{attrs}><h2>{escape(title)}</h2>"
        f'<p class="help">{escape(help_text)}</p>{body}</section>'
    )


def _values(rounds: Sequence[RoundView], pick: str) -> FloatArray:
    return np.array(
        [np.nan if getattr(r, pick) is None else float(getattr(r, pick)) for r in rounds]
    )


def _cumulative(view: DashboardView, pick: str, label: str, unit: str) -> list[Series]:
    series = []
    for i, m in enumerate(view.models):
        values = _values(m.rounds, pick)
        scored = np.isfinite(values)
        if not scored.any():
            continue
        total = np.cumsum(np.where(scored, values, 0.0))
        positions = [j for j, ok in enumerate(scored) if ok]
        tips = [
            f"{m.name} · round {m.rounds[j].number}\n{label} {unit_fmt(values[j], unit)}"
            f" · cumulative {unit_fmt(total[j], unit)}"
            for j in positions
        ]
        series.append(Series(m.name, positions, total[scored], color(i), _key(i), tips, style=i))
    return series


def unit_fmt(value: float, unit: str) -> str:
    return nmr(Decimal(str(round(value, 8)))) + " NMR" if unit == "nmr" else score(value)


def _drawdowns(view: DashboardView) -> list[Series]:
    series = []
    for i, m in enumerate(view.models):
        values = _values(m.rounds, "corr")
        positions = [j for j, v in enumerate(values) if math.isfinite(v)]
        if not positions:
            continue
        dd = -drawdown(values)
        tips = [
            f"{m.name} · round {m.rounds[j].number}\ndrawdown {score(d)}"
            for j, d in zip(positions, dd, strict=True)
        ]
        series.append(Series(m.name, positions, dd, color(i), _key(i), tips, style=i))
    return series


def _percentiles(view: DashboardView) -> list[Series]:
    series = []
    for i, m in enumerate(view.models):
        values = _values(m.rounds, "percentile")
        positions = [j for j, v in enumerate(values) if math.isfinite(v)]
        if not positions:
            continue
        tips = [
            f"{m.name} · round {m.rounds[j].number}\nCORR percentile {percent(values[j])}"
            for j in positions
        ]
        pct = 100 * values[positions]
        series.append(Series(m.name, positions, pct, color(i), _key(i), tips, style=i))
    return series


def _timeline(view: DashboardView, labels: list[str]) -> str:
    rows = []
    for m in view.models:
        cells = []
        for r in m.rounds:
            tip = f"{m.name} · round {r.number}\n{r.submission}"
            if r.note:
                tip += f": {r.note}"
            cells.append((r.submission, tip))
        rows.append((m.name, cells))
    key = "".join(
        f'<span><i class="swatch" style="background:{STATUS_COLORS[s]}"></i>{s}</span>'
        for s in SUBMISSION_STATES
    )
    return f'<div class="legend">{key}</div>' + timeline(rows, labels, chart="timeline")


def _model_bars(i: int, m: ModelView, labels: list[str]) -> str:
    corr, mmc = _values(m.rounds, "corr"), _values(m.rounds, "mmc")
    if not (np.isfinite(corr).any() or np.isfinite(mmc).any()):
        return empty_chart("No scores yet.", f"bars-{i}")
    tips = []
    for r in m.rounds:
        state = "resolved" if r.resolved else f"day {r.day}" if r.day else "not scored"
        tips.append(
            f"round {r.number} ({state})\nCORR {score(r.corr)} · MMC {score(r.mmc)}"
            f" · payout {nmr(r.payout)} NMR"
        )
    groups = [Bars("CORR", corr, color(0), tips), Bars("MMC", mmc, MMC_COLOR, tips)]
    key = (
        f'<div class="legend"><span><i class="swatch" style="background:{color(0)}"></i>CORR'
        f'</span><span><i class="swatch" style="background:{MMC_COLOR}"></i>MMC</span></div>'
    )
    return key + bar_chart(groups, labels, "score", chart=f"bars-{i}")


def _stake_chart(i: int, m: ModelView, view: DashboardView, labels: list[str]) -> str:
    # A decision made for the next round (not yet on the axis) is drawn at the last one.
    marked = [
        (max(bisect_right(view.round_numbers, s.round_number) - 1, 0), s)
        for s in m.stakes
        if s.round_number is not None and view.round_numbers
    ]
    if not marked:
        return empty_chart("No stake decisions yet.", f"stake-{i}")
    tips = [
        f"round {s.round_number} · {s.action} {nmr(s.amount)} NMR ({s.mode})\n"
        f"stake after: {nmr(s.stake_after)} NMR\n{s.reason}"
        for _, s in marked
    ]
    values = np.array([float(s.stake_after) for _, s in marked])
    line = Series(m.name, [p for p, _ in marked], values, color(i), "", tips, style=i)
    return line_chart([line], labels, "stake NMR", step=True, chart=f"stake-{i}")


def _kpis(m: ModelView) -> str:
    corr = _values(m.rounds, "corr")
    mmc = _values(m.rounds, "mmc")
    paid = [r.payout for r in m.rounds if r.payout is not None]
    counts = {s: sum(1 for r in m.rounds if r.submission == s) for s in SUBMISSION_STATES}
    stake = m.stakes[-1].stake_after if m.stakes else None

    def mean(values: FloatArray) -> float | None:
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if finite.size else None

    def ratio(value: float) -> str:
        return "–" if not math.isfinite(value) else f"{value:.2f}"

    items = [
        ("mean CORR", score(mean(corr))),
        ("mean MMC", score(mean(mmc))),
        ("Sharpe (CORR)", ratio(sharpe(corr))),
        ("smart Sharpe", ratio(smart_sharpe(corr))),
        ("max drawdown", f"{max_drawdown(corr):.4f}" if np.isfinite(corr).any() else "–"),
        ("payout NMR", nmr(sum(paid, Decimal(0)))),
        ("stake NMR", nmr(stake)),
        ("confirmed / missed", f"{counts['confirmed'] + counts['fallback']} / {counts['missed']}"),
    ]
    cells = "".join(f"<div class=kpi><b>{v}</b><span>{escape(k)}</span></div>" for k, v in items)
    return f'<div class="kpis">{cells}</div>'


def _stake_table(m: ModelView) -> str:
    if not m.stakes:
        return ""
    rows = "".join(
        f"<tr><td>{when(s.at)}</td><td>{s.round_number or '–'}</td><td>{escape(s.action)}</td>"
        f"<td>{nmr(s.amount)}</td><td>{nmr(s.stake_after)}</td><td>{escape(s.mode)}</td>"
        f'<td class="text">{escape(s.reason)}</td></tr>'
        for s in reversed(m.stakes[-8:])
    )
    return (
        "<details><summary>Stake decisions</summary><div class=scroll><table><thead><tr>"
        "<th>time</th><th>round</th><th>action</th><th>amount NMR</th><th>stake after NMR</th>"
        f"<th>mode</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table></div></details>"
    )


def _header(view: DashboardView, live: bool) -> str:
    links = "".join(f'<a href="{escape(k.href)}">{escape(k.label)}</a>' for k in view.links)
    nav = f"<nav>{links}</nav>" if links else ""
    mode = "live, refreshing" if live else "snapshot"
    return (
        f'<header class="top"><h1>numerpilot</h1>{nav}</header>'
        f'<p class="lead">{mode} · generated {when(view.generated_at)} · '
        f"{escape(view.agent)}</p>"
    )


def duration(seconds: float) -> str:
    """As the page's script counts down: ``2 d 03 h 05 min`` or ``1 h 05 min 09 s``."""
    left = max(round(seconds), 0)
    d, h, m, s = left // 86400, left % 86400 // 3600, left % 3600 // 60, left % 60
    if left == 0:
        return "closed"
    return f"{d} d {h:02d} h {m:02d} min" if d else f"{h} h {m:02d} min {s:02d} s"


def _current(view: DashboardView, live: bool) -> str:
    c = view.current
    if c is None:
        body = "<p>No round is open or coming.</p>"
    else:
        # Live, the script counts down from here; a snapshot keeps the figure it was made with.
        ticking = f' data-close="{c.seconds_to_close:.0f}"' if live else ""
        countdown = f'<span class="countdown"{ticking}>{duration(c.seconds_to_close)}</span>' + (
            "" if live else " (when generated)"
        )
        at = f'<span class="muted">({when(c.close_time)})</span>'
        body = (
            f"<p>Round <b>{c.number}</b> closed {at}; the next has not opened yet.</p>"
            if c.state == "closed"
            else f"<p>Round <b>{c.number}</b> is {c.state}; it closes in {countdown} {at}.</p>"
        )
    plans = "".join(
        f"<li><b>{escape(m.name)}</b>: {escape(m.next_action)}</li>" for m in view.models
    )
    return _section("Current round", "What the autopilot will do next.", body + f"<ul>{plans}</ul>")


def render_dashboard(view: DashboardView, *, refresh_seconds: int = 0) -> str:
    """The whole page; ``refresh_seconds`` > 0: the live page, which refetches itself."""
    live = refresh_seconds > 0
    parts = [_header(view, live)]
    if view.empty:
        parts.append(f"<section><p>{escape(EMPTY_MESSAGE, quote=False)}</p></section>")
        return page("numerpilot dashboard", "".join(parts), refresh_seconds=refresh_seconds)
    labels = [str(n) for n in view.round_numbers]
    parts.append(_current(view, live))
    chips = legend([(_key(i), m.name, color(i)) for i, m in enumerate(view.models)])
    compared = [
        (
            "Cumulative CORR",
            "Sum of each round's latest CORR; hover a point for the round.",
            _cumulative(view, "corr", "CORR", "score"),
            "cumulative CORR",
            "cum-corr",
        ),
        (
            "Cumulative MMC",
            "Sum of each round's latest MMC.",
            _cumulative(view, "mmc", "MMC", "score"),
            "cumulative MMC",
            "cum-mmc",
        ),
        (
            "Cumulative payout",
            "NMR paid (or pending) per round, summed.",
            _cumulative(view, "payout", "payout", "nmr"),
            "payout NMR",
            "cum-payout",
        ),
        (
            "Drawdown",
            "How far cumulative CORR is below its previous peak.",
            _drawdowns(view),
            "drawdown",
            "drawdown",
        ),
    ]
    cards = []
    for title, text, series, y_label, name in compared:
        missing = "No payouts yet." if name == "cum-payout" else "No scores yet."
        chart = (
            line_chart(series, labels, y_label, area=name == "drawdown", chart=name)
            if series
            else empty_chart(missing, name)
        )
        cards.append(_section(title, text, chips + chart))
    pct = _percentiles(view)
    cards.append(
        _section(
            "Percentile per round",
            "Where each round's CORR ranks among all models (100: the best).",
            chips
            + (
                line_chart(pct, labels, "percentile", bounds=(0.0, 100.0), chart="percentile")
                if pct
                else empty_chart("No percentiles yet.", "percentile")
            ),
        )
    )
    cards.append(
        _section(
            "Submissions",
            "One cell per round: how each model took part. Hover for details.",
            _timeline(view, labels),
        )
    )
    parts.append(f'<div class="grid">{"".join(cards)}</div>')
    for i, m in enumerate(view.models):
        body = (
            _kpis(m)
            + '<div class="grid"><div><h3>CORR and MMC per round</h3>'
            + _model_bars(i, m, labels)
            + "</div><div><h3>Stake over time (each marker a decision)</h3>"
            + _stake_chart(i, m, view, labels)
            + "</div></div>"
            + _stake_table(m)
        )
        parts.append(
            f'<section data-model-card="{escape(m.name)}"><h2>'
            f'<i class="swatch" style="background:{color(i)}"></i>{escape(m.name)}</h2>'
            f'<p class="help">{escape(m.next_action)}</p>{body}</section>'
        )
    return page("numerpilot dashboard", "".join(parts), refresh_seconds=refresh_seconds)


__all__ = ["EMPTY_MESSAGE", "duration", "nmr", "percent", "render_dashboard", "score"]
