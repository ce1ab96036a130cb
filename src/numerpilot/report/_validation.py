"""The validation report: one self-contained HTML page (inline CSS, SVG and the shared hover
script, no network) that shows several models side by side.

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

from numerpilot.report._charts import (
    Bars,
    Series,
    bar_chart,
    color,
    fmt,
    histogram,
    legend,
    line_chart,
)
from numerpilot.report._style import page
from numerpilot.scoring import ColumnScores, FloatArray, drawdown


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
    (
        "smart Sharpe",
        "Sharpe divided by a penalty that grows with the autocorrelation of the per-era "
        "scores: a model whose good eras come in runs is riskier than its Sharpe says.",
    ),
    ("TB200", "CORR on each era's 200 highest and 200 lowest predictions only."),
    (
        "APY / Calmar",
        "The simulated payouts compounded over a year of weekly eras (a payout joins the "
        "stake 4 eras later), and that yield divided by the payouts' max drawdown.",
    ),
    ("Max drawdown", "Largest fall of the cumulative per-era score from an earlier peak."),
    (
        "Churn",
        "numerblox's churn: per era, 1 - the Spearman correlation of the predictions with the "
        "target (numerai-tools' churn of the two), averaged over eras; lower is closer to the "
        "target's ordering. Numerai's own churn limit compares a Signals model's submissions "
        "week to week; Classic ids change every era, so Classic has no such rule.",
    ),
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


def report_column(c: ColumnScores) -> ReportColumn:
    """A scored column as the report shows it."""
    s = c.corr_summary
    nan = float("nan")
    mmc = c.mmc_summary.mean if c.mmc_summary else nan
    bmc = c.bmc_summary.mean if c.bmc_summary else nan
    stats = [
        Stat("CORR mean", s.mean, "high", "Mean per-era numerai_corr"),
        Stat("CORR Sharpe", s.sharpe, "high", "Mean / std of per-era CORR", digits=2),
        Stat(
            "smart Sharpe",
            s.smart_sharpe,
            "high",
            "Sharpe penalised for autocorrelation (runs of good or bad eras)",
            digits=2,
        ),
        Stat("max drawdown", s.max_drawdown, "low", "Largest fall of cumulative CORR"),
        Stat("positive eras", s.positive_eras, "high", "Share of eras with CORR > 0", True),
        Stat("TB200 mean", c.tb200_summary.mean, "high", "CORR of the top and bottom 200 rows"),
        Stat("MMC mean", mmc, "high", "Mean per-era MMC (eras with a meta model)"),
        Stat("BMC mean", bmc, "high", "Mean per-era BMC"),
    ]
    if c.fnc_summary is not None:
        stats.append(Stat("FNC mean", c.fnc_summary.mean, "high", "Feature-neutral CORR"))
    stats += [
        Stat("max FE", c.max_feature_exposure_mean, "low", "Mean per-era max exposure", digits=3),
        Stat("churn", c.churn_mean, "low", "Mean per-era 1 - Spearman with the target", digits=3),
        Stat("corr w/ example", c.corr_with_example, None, "Spearman, example preds", digits=3),
        Stat("payout / era", c.payout.mean, "high", "Simulated mean payout per era", True),
        Stat("APY", c.payout.apy, "high", "Simulated payouts compounded over a year", True),
        Stat(
            "Calmar", c.payout.calmar, "high", "APY / max drawdown of simulated payouts", digits=2
        ),
    ]
    compared = dict(c.corr_with_benchmarks)
    if np.isfinite(c.corr_with_example):
        compared = {"example predictions": c.corr_with_example, **compared}
    return ReportColumn(
        name=c.name,
        eras=c.eras,
        corr=c.corr,
        stats=stats,
        mmc=c.mmc,
        bmc=c.bmc,
        max_exposure=c.max_exposure,
        corr_with=compared,
    )


def _name(i: int, name: str) -> str:
    """A column name with its colour; long names may break after '/' or '_'."""
    breakable = escape(name).replace("/", "/<wbr>").replace("_", "_<wbr>")
    return f'<i class="swatch" style="background:{color(i)}"></i>{breakable}'


def _legend(columns: Sequence[ReportColumn]) -> str:
    return legend([(f"c{i}", c.name, color(i)) for i, c in enumerate(columns)])


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
        positions = [where[e] for e in c.eras]
        series.append(Series(c.name, positions, cumulative, color(i), f"c{i}", style=i))
    return series


def _drawdowns(columns: Sequence[ReportColumn], eras: list[str]) -> list[Series]:
    where = {e: i for i, e in enumerate(eras)}
    series = []
    for i, c in enumerate(columns):
        finite = np.isfinite(c.corr)
        positions = [where[e] for e, ok in zip(c.eras, finite, strict=True) if ok]
        series.append(Series(c.name, positions, -drawdown(c.corr), color(i), f"c{i}", style=i))
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


def _era_bars(c: ReportColumn) -> str:
    tips = [f"era {e}\nCORR {fmt(v)}" for e, v in zip(c.eras, c.corr, strict=True)]
    return bar_chart([Bars("CORR", c.corr, color(0), tips)], list(c.eras), "CORR")


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
    chips = _legend(columns)
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
                chips + line_chart(_cumulative(columns, "corr", eras), eras, "cumulative CORR"),
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
                parts.append(_section(title, text, chips + line_chart(series, eras, title.lower())))
        parts.append(
            _section(
                "Drawdown",
                "How far cumulative CORR is below its previous peak.",
                chips + line_chart(_drawdowns(columns, eras), eras, "drawdown", area=True),
            )
        )
        bars = "".join(
            f"<details{' open' if i == 0 else ''}><summary>{escape(c.name)}</summary>"
            f"{_era_bars(c)}</details>"
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
                    chips + histogram(exposures, "max feature exposure"),
                )
            )
        parts.append(_comparison_table(columns))
    glossary = "".join(f"<dt>{escape(t)}</dt><dd>{escape(d)}</dd>" for t, d in GLOSSARY)
    parts.append(f"<section><h2>What the numbers mean</h2><dl>{glossary}</dl></section>")
    return page(report.title, "".join(parts), narrow=True)


__all__ = ["Report", "ReportColumn", "Stat", "render_report", "report_column"]
