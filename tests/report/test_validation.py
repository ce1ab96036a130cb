"""The HTML report: self-contained, escaped, every section present."""

from __future__ import annotations

import re

import numpy as np

from numerpilot.report import Report, ReportColumn, Stat, render_report
from numerpilot.report._charts import fmt, nice_ticks, tick_decimals

ERAS = ["0575", "0576", "0577", "0578"]


def column(name: str, corr: list[float], fe: float) -> ReportColumn:
    values = np.array(corr)
    return ReportColumn(
        name=name,
        eras=ERAS,
        corr=values,
        stats=[
            Stat("CORR mean", float(np.nanmean(values)), "high"),
            Stat("max FE", fe, "low", digits=3),
        ],
        mmc=values / 2,
        bmc=values / 3,
        max_exposure=np.full(4, fe),
        corr_with={"v53_lgbm_ender20": 0.5},
    )


def page() -> str:
    report = Report(
        title="Validation: a & b",
        facts=[("data", "v5.3")],
        columns=[
            column("model<script>", [0.02, -0.01, np.nan, 0.03], 0.2),
            column("other", [0.01, 0.01, 0.0, 0.01], 0.1),
        ],
        notes=["2 test era(s) are not scored."],
    )
    return render_report(report)


def test_report_is_self_contained() -> None:
    html = page()
    assert html.startswith("<!doctype html>")
    assert "http://" not in html and "https://" not in html
    # One inline script (the shared hover tips and toggles), nothing loaded from anywhere.
    assert html.count("<script>") == 1 and "src=" not in html
    assert "<link" not in html and "url(" not in html and "fetch(" in html  # refresh: off
    assert "<body>" in html  # no data-refresh: a file never polls
    assert "model&lt;script&gt;" in html


def test_report_has_every_section() -> None:
    html = page()
    for title in (
        "Summary",
        "Cumulative CORR",
        "Cumulative MMC",
        "Cumulative BMC",
        "Drawdown",
        "CORR per era",
        "Max feature exposure",
        "Correlation with benchmarks",
    ):
        assert f"<h2>{title}" in html, title
    assert html.count("<svg") == 7  # 3 cumulative, drawdown, 2 bar charts, histogram
    assert 'data-tip="era 0576\nCORR -0.01"' in html
    # Two bar charts of 3 scored eras each (the NaN era has no bar).
    assert html.count("<rect x=") == 3 + 4
    assert "2 test era(s) are not scored." in html


def test_best_values_are_bold() -> None:
    cells = re.findall(r"<td( class=best)?>([^<]*)</td>", page())
    # CORR mean: 0.0133 (first) vs 0.0075; max FE: 0.200 vs 0.100 (lower is better).
    assert (" class=best", "0.0133") in cells
    assert (" class=best", "0.100") in cells
    assert ("", "0.200") in cells


def test_no_columns() -> None:
    html = render_report(Report(title="nothing", facts=[], columns=[]))
    assert "No prediction columns were scored." in html


def test_ticks_and_numbers() -> None:
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(-0.03, 0.05, 4) == [-0.04, -0.02, 0.0, 0.02, 0.04]
    assert fmt(float("nan")) == "–"
    assert fmt(0.012340) == "0.0123"
    assert tick_decimals([-0.02, 0.0, 0.02]) == 2 and tick_decimals([0.0, 0.25, 0.5]) == 2
    assert tick_decimals([0.0, 10.0, 20.0]) == 0
