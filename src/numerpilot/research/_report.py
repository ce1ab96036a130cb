"""The experiment's HTML comparison page, in the validation report's style.

The finalists and the configured model on the final holdout (cumulative CORR, BMC, MMC,
drawdown, per-era bars: the validation report's own sections), then what only an experiment
has: each finalist's CV score beside its holdout score, and the effect of each parameter on
the scouts' objective.
"""

from __future__ import annotations

import math
from collections import defaultdict
from html import escape
from pathlib import Path

import numpy as np
import numpy.typing as npt

from numerpilot.fsutil import write_text_atomic
from numerpilot.report import Report, ReportColumn, Stat, fmt, render_report
from numerpilot.research._space import TrialConfig
from numerpilot.research.results import ExperimentSummary, Finalist


def _series(
    per_era: dict[str, dict[str, float]], eras: list[str], key: str
) -> npt.NDArray[np.float64]:
    return np.array([per_era.get(e, {}).get(key, math.nan) for e in eras], dtype=np.float64)


def _column(name: str, f: Finalist) -> ReportColumn:
    eras = sorted(f.holdout_per_era)
    h, cv = f.holdout, f.cv
    nan = math.nan
    bmc = _series(f.holdout_per_era, eras, "bmc")
    mmc = _series(f.holdout_per_era, eras, "mmc")
    return ReportColumn(
        name=name,
        eras=eras,
        corr=_series(f.holdout_per_era, eras, "corr"),
        stats=[
            Stat("CV corr", cv.corr_mean if cv else nan, "high", "Out-of-fold, walk-forward"),
            Stat("holdout corr", h.corr_mean if h else nan, "high", "Final holdout eras"),
            Stat("drop", f.drop, "low", "CV corr minus holdout corr"),
            Stat("holdout sharpe", h.corr_sharpe if h else nan, "high", digits=2),
            Stat("holdout BMC", h.bmc_mean if h else nan, "high"),
            Stat("holdout MMC", h.mmc_mean if h else nan, "high"),
            Stat("holdout payout", h.payout_mean if h else nan, "high", "Share of stake/era"),
            Stat("max drawdown", h.max_drawdown if h else nan, "low"),
        ],
        bmc=bmc if np.isfinite(bmc).any() else None,
        mmc=mmc if np.isfinite(mmc).any() else None,
    )


def _factors(config: TrialConfig) -> dict[str, str]:
    values = {
        "preset": config.preset,
        "features": "+".join(config.feature_groups) or config.feature_set,
        "targets": "+".join(config.targets),
        "aux_weight": f"{config.aux_weight:g}",
        "era_step": str(config.era_step),
        "neutralize_proportion": f"{config.neutralize_proportion:g}",
    }
    values.update({k: f"{v:g}" for k, v in config.params.items()})
    return values


def _effects(summary: ExperimentSummary) -> str:
    """Mean scout objective per value of every parameter that varied."""
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for t in summary.scouts:
        if t.objective is None:
            continue
        for k, v in _factors(t.config).items():
            groups[k][v].append(t.objective)
    rows = []
    for k, by_value in sorted(groups.items()):
        if len(by_value) < 2:
            continue
        cells = ", ".join(
            f"{escape(v)}: {fmt(float(np.mean(o)))} ({len(o)})" for v, o in sorted(by_value.items())
        )
        rows.append(f"<tr><td>{escape(k)}</td><td>{cells}</td></tr>")
    if not rows:
        return ""
    return (
        "<section><h2>Effect of each parameter</h2><p class=help>Mean objective of the scouts "
        "per value (trials in brackets); a wide spread marks a parameter that matters.</p>"
        '<div class="scroll"><table><thead><tr><th>parameter</th><th>value: mean objective'
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _scouts(summary: ExperimentSummary) -> str:
    rows = "".join(
        f"<tr><td>{t.number}</td><td>{escape(t.config.describe())}</td><td>{escape(t.status)}"
        f"</td><td>{fmt(t.objective) if t.objective is not None else '–'}</td>"
        f"<td>{t.wall_seconds:.1f}</td></tr>"
        for t in summary.scouts
    )
    return (
        "<section><h2>Scouts</h2><p class=help>Every trial of the search, best first, scored "
        "out of fold on downsampled eras.</p><div class=scroll><table><thead><tr><th>#</th>"
        "<th>configuration</th><th>status</th><th>objective</th><th>seconds</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></section>"
    )


def render_experiment(summary: ExperimentSummary, facts: list[tuple[str, str]]) -> str:
    columns = [
        _column(f"#{i + 1} {f.config_hash[:8]}", f)
        for i, f in enumerate(summary.finalists)
        if f.holdout is not None
    ]
    if summary.baseline is not None:
        columns.append(_column("configured model", summary.baseline))
    notes = [
        f"#{i + 1} {f.config_hash[:8]}: {f.config.describe()}"
        for i, f in enumerate(summary.finalists)
    ]
    page = render_report(
        Report(
            title=f"Experiment {summary.record.name}",
            facts=facts,
            columns=columns,
            notes=[*notes, "Charts show the final holdout; no choice was made on those eras."],
        )
    )
    extra = _effects(summary) + _scouts(summary)
    return page.replace("</main>", extra + "</main>", 1)


def write_experiment_report(
    summary: ExperimentSummary, facts: list[tuple[str, str]], reports_dir: Path
) -> Path:
    path = reports_dir / f"experiment-{summary.record.name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, render_experiment(summary, facts))
    return path


__all__ = ["render_experiment", "write_experiment_report"]
