"""The validation report: one self-contained HTML page (inline CSS and SVG, no scripts, no
network) that shows several models side by side.

Summary table first (what a participant compares), then the shape of the scores over time:
cumulative CORR, MMC and BMC, drawdown, per-era bars, the feature-exposure distribution and
the correlation with the benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Literal

import numpy as np

from numerpilot.scoring.eras import FloatArray
from numerpilot.scoring.summary import drawdown
from numerpilot.scoring.svg import Series, bar_chart, color, fmt, histogram, line_chart


@dataclass(frozen=True)
class Stat:
    """One cell of the summary table; ``better`` says which way is good (for highlighting)."""

    label: str
    value: float
    better: Literal["high", "low"] | None = None
    hint: str = ""
    percent: bool = False
    digits: int = 4


@dataclass(frozen=True)
class ReportColumn:
    """One scored prediction column: per-era series over ``eras`` and its summary cells."""

    name: str
    eras: Sequence[str]
    corr: FloatArray
    stats: Sequence[Stat]
    mmc: FloatArray | None = None
    bmc: FloatArray | None = None
    max_exposure: FloatArray | None = None
    corr_with: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    title: str
    facts: Sequence[tuple[str, str]]
    columns: Sequence[ReportColumn]
    notes: Sequence[str] = ()


CSS = """
:root { --ink:#1d2430; --muted:#5b6675; --line:#e3e7ee; --bg:#f7f8fa; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
main { max-width:960px; margin:0 auto; padding:28px 20px 60px; }
h1 { font-size:24px; margin:0 0 6px; }
h2 { font-size:17px; margin:0 0 4px; }
p.lead { color:var(--muted); margin:0 0 14px; }
.facts { display:flex; flex-wrap:wrap; gap:8px; margin:10px 0 6px; padding:0; list-style:none; }
.facts li { background:var(--card); border:1px solid var(--line); border-radius:6px;
  padding:4px 10px; font-size:13px; }
.facts b { color:var(--muted); font-weight:500; margin-right:4px; }
.note { font-size:13px; color:#7a4b00; background:#fff6e0; border:1px solid #f3dca5;
  border-radius:6px; padding:6px 10px; margin:8px 0; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:16px 18px; margin:18px 0; }
section p.help { color:var(--muted); font-size:13px; margin:0 0 10px; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { padding:6px 7px; border-bottom:1px solid var(--line); text-align:right;
  font-variant-numeric:tabular-nums; white-space:nowrap; }
th { color:var(--muted); font-weight:600; font-size:12px; white-space:normal;
  vertical-align:bottom; }
th:first-child, td:first-child { text-align:left; white-space:normal; max-width:240px; }
td.best { font-weight:700; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
.legend { display:flex; flex-wrap:wrap; gap:14px; font-size:13px; margin:0 0 6px; }
.scroll { overflow-x:auto; }
svg { width:100%; height:auto; display:block; }
svg .grid { stroke:#eef1f5; } svg .zero { stroke:#9aa3af; }
svg text { font-size:11px; fill:var(--muted); }
svg .ytick { text-anchor:end; } svg .xtick { text-anchor:middle; }
svg .ylabel { text-anchor:middle; font-size:11.5px; }
details { margin:10px 0; } summary { cursor:pointer; font-weight:600; font-size:14px; }
dl { font-size:13px; color:var(--muted); margin:0; }
dt { font-weight:600; color:var(--ink); margin-top:6px; }
dd { margin:0 0 0 0; }
"""

GLOSSARY = (
    (
        "CORR",
        "numerai_corr per era: tie-kept rank, gaussianise, power 1.5 on predictions "
        "and the centred target, Pearson correlation. What Numerai pays on.",
    ),
    (
        "MMC / BMC",
        "Correlation contribution against the meta model (MMC) or the main "
        "benchmark model (BMC): the target's covariance with the predictions made orthogonal "
        "to that model. Positive means the model adds something the other lacks.",
    ),
    ("Sharpe", "Mean over standard deviation of the per-era scores: consistency."),
    ("Max drawdown", "Largest fall of the cumulative per-era score from an earlier peak."),
    (
        "Max feature exposure",
        "Per era, the largest |correlation| of the predictions with "
        "any single feature. High exposure means risk when that feature stops working.",
    ),
    (
        "Corr with …",
        "Mean per-era Spearman correlation with a benchmark model or with "
        "Numerai's example predictions. Near 1 means nothing new.",
    ),
)


def _name(i: int, name: str) -> str:
    """A column name with its colour; long names may break after '/' or '_'."""
    breakable = escape(name).replace("/", "/<wbr>").replace("_", "_<wbr>")
    return f'<i class="swatch" style="background:{color(i)}"></i>{breakable}'


def _legend(columns: Sequence[ReportColumn]) -> str:
    items = "".join(
        f'<span><i class="swatch" style="background:{color(i)}"></i>{escape(c.name)}</span>'
        for i, c in enumerate(columns)
    )
    return f'<div class="legend">{items}</div>'


def _cell(stat: Stat, best: bool) -> str:
    text = (
        "–"
        if not math.isfinite(stat.value)
        else (f"{stat.value:.1%}" if stat.percent else f"{stat.value:.{stat.digits}f}")
    )
    return f"<td{' class=best' if best else ''}>{text}</td>"


def _summary_table(columns: Sequence[ReportColumn]) -> str:
    labels = [s for s in columns[0].stats]
    head = "".join(f'<th title="{escape(s.hint)}">{escape(s.label)}</th>' for s in labels)
    best: dict[str, float] = {}
    if len(columns) > 1:
        for j, stat in enumerate(labels):
            values = [c.stats[j].value for c in columns if math.isfinite(c.stats[j].value)]
            if stat.better and values:
                best[stat.label] = max(values) if stat.better == "high" else min(values)
    rows = []
    for i, c in enumerate(columns):
        cells = "".join(_cell(s, s.label in best and s.value == best[s.label]) for s in c.stats)
        rows.append(f"<tr><td>{_name(i, c.name)}</td>{cells}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr><th>model</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _cumulative(columns: Sequence[ReportColumn], pick: str, eras: list[str]) -> list[Series]:
    where = {e: i for i, e in enumerate(eras)}
    series = []
    for i, c in enumerate(columns):
        values = getattr(c, pick)
        if values is None or not np.isfinite(values).any():
            continue
        cumulative = np.where(np.isfinite(values), np.nancumsum(values), np.nan)
        series.append(Series(c.name, [where[e] for e in c.eras], cumulative, color(i)))
    return series


def _drawdowns(columns: Sequence[ReportColumn], eras: list[str]) -> list[Series]:
    where = {e: i for i, e in enumerate(eras)}
    series = []
    for i, c in enumerate(columns):
        finite = np.isfinite(c.corr)
        positions = [where[e] for e, ok in zip(c.eras, finite, strict=True) if ok]
        series.append(Series(c.name, positions, -drawdown(c.corr), color(i)))
    return series


def _comparison_table(columns: Sequence[ReportColumn]) -> str:
    names = list(dict.fromkeys(n for c in columns for n in c.corr_with))
    if not names:
        return ""
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = []
    for i, c in enumerate(columns):
        cells = []
        for n in names:
            v = c.corr_with.get(n, float("nan"))
            shade = (
                f"background:rgba(0,114,178,{0.08 + 0.5 * abs(v):.2f})" if math.isfinite(v) else ""
            )
            cells.append(f'<td style="{shade}">{fmt(v, 3)}</td>')
        rows.append(f"<tr><td>{_name(i, c.name)}</td>{''.join(cells)}</tr>")
    return (
        "<section><h2>Correlation with benchmarks and example predictions</h2>"
        '<p class="help">Mean per-era Spearman correlation. Lower means more original '
        "predictions (which is what MMC rewards).</p>"
        f'<div class="scroll"><table><thead><tr><th>model</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _section(title: str, help_text: str, body: str) -> str:
    return (
        f'<section><h2>{escape(title)}</h2><p class="help">{escape(help_text)}</p>{body}</section>'
    )


def render_report(report: Report) -> str:
    """The whole page as one HTML string."""
    columns = report.columns
    eras = sorted({e for c in columns for e in c.eras})
    facts = "".join(f"<li><b>{escape(k)}</b>{escape(v)}</li>" for k, v in report.facts)
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in report.notes)
    legend = _legend(columns)
    parts = [
        f"<h1>{escape(report.title)}</h1>",
        '<p class="lead">Per-era validation scores computed as Numerai computes them.</p>',
        f'<ul class="facts">{facts}</ul>{notes}',
    ]
    if not columns:
        parts.append("<section><p>No prediction columns were scored.</p></section>")
    else:
        parts.append(
            _section(
                "Summary",
                "One row per prediction column; bold marks the best "
                "value when several are compared. Hover a header for its meaning.",
                _summary_table(columns),
            )
        )
        parts.append(
            _section(
                "Cumulative CORR",
                "The sum of per-era CORR over validation eras: "
                "steady upward slope is what a good model looks like.",
                legend + line_chart(_cumulative(columns, "corr", eras), eras, "cumulative CORR"),
            )
        )
        for pick, title, text in (
            (
                "mmc",
                "Cumulative MMC",
                "Contribution to the meta model, on eras the meta model file covers.",
            ),
            ("bmc", "Cumulative BMC", "Contribution beyond the main benchmark model."),
        ):
            series = _cumulative(columns, pick, eras)
            if series:
                parts.append(
                    _section(title, text, legend + line_chart(series, eras, title.lower()))
                )
        parts.append(
            _section(
                "Drawdown",
                "How far cumulative CORR is below its previous peak.",
                legend + line_chart(_drawdowns(columns, eras), eras, "drawdown", area=True),
            )
        )
        bars = "".join(
            f"<details{' open' if i == 0 else ''}><summary>{escape(c.name)}</summary>"
            f"{bar_chart(c.corr, list(c.eras), 'CORR')}</details>"
            for i, c in enumerate(columns)
        )
        parts.append(
            _section(
                "CORR per era",
                "Green eras paid, red eras burned. Hover a bar for its era and value.",
                bars,
            )
        )
        exposures = [
            (c.name, c.max_exposure, color(i))
            for i, c in enumerate(columns)
            if c.max_exposure is not None
        ]
        if exposures:
            parts.append(
                _section(
                    "Max feature exposure",
                    "Distribution over eras of the largest |correlation| with any one feature.",
                    legend + histogram(exposures, "max feature exposure"),
                )
            )
        parts.append(_comparison_table(columns))
    glossary = "".join(f"<dt>{escape(t)}</dt><dd>{escape(d)}</dd>" for t, d in GLOSSARY)
    parts.append(f"<section><h2>What the numbers mean</h2><dl>{glossary}</dl></section>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(parts)}</main></body></html>\n"
    )


__all__ = ["Report", "ReportColumn", "Stat", "render_report"]
