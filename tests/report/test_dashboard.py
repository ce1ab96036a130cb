"""The dashboard page over a simulated month: every chart with its marks, one precision per
kind of number, the static copy self-contained."""

from __future__ import annotations

import re

from numerpilot.agent import load_dashboard, status
from numerpilot.report._dashboard import duration, render_dashboard
from tests.report.conftest import Project
from tests.report.month import MODELS


def _chart(html: str, name: str) -> str:
    found = re.search(f'<svg [^>]*data-chart="{name}">(.*?)</svg>', html, re.S)
    assert found is not None, name
    return found.group(1)


def _marks(svg: str) -> int:
    return len(re.findall(r'class="mark"', svg))


def test_every_chart_has_its_marks(project: Project) -> None:
    view = load_dashboard(project.settings, project.clock)
    html = render_dashboard(view)
    month = project.month
    scored = {m: len(month.scored[m]) for m in MODELS}
    assert view.round_numbers == month.rounds
    for name in ("cum-corr", "cum-mmc", "cum-payout", "drawdown", "percentile"):
        assert _marks(_chart(html, name)) == sum(scored.values()), name
    for i, model in enumerate(MODELS):
        assert _marks(_chart(html, f"bars-{i}")) == 2 * scored[model]  # CORR and MMC
        assert _marks(_chart(html, f"stake-{i}")) == month.stakes[model]
    timeline = _chart(html, "timeline")
    assert _marks(timeline) == len(MODELS) * len(month.rounds)
    states = re.findall(r'data-status="(\w+)"', timeline)
    assert states.count("missed") == month.missed
    assert states.count("failed") == month.failed
    assert states.count("fallback") == month.fallback


def test_identical_models_stay_visible(project: Project) -> None:
    html = render_dashboard(load_dashboard(project.settings, project.clock))
    lines = re.findall(r"<polyline ([^>]*)/>", _chart(html, "cum-corr"))
    assert len(lines) == 2
    first, second = (dict(re.findall(r'([\w-]+)="([^"]*)"', line)) for line in lines)
    # The same scores until demo_upload misses its first round...
    a, b = ([p.split(",") for p in line["points"].split()[:3]] for line in (first, second))
    assert [y for _, y in a] == [y for _, y in b]
    # ...drawn so that both show: side by side in each round's column, the first wider
    # underneath, the second dashed on top.
    assert all(float(xb) - float(xa) >= 2.5 for (xa, _), (xb, _) in zip(a, b, strict=True))
    assert float(first["stroke-width"]) > float(second["stroke-width"])
    assert "stroke-dasharray" in second and first["stroke"] != second["stroke"]


def test_numbers_keep_one_precision(project: Project) -> None:
    html = render_dashboard(load_dashboard(project.settings, project.clock))
    tips = re.findall(r'data-tip="([^"]*)"', html)
    scores = re.findall(r"(?:CORR|MMC) ([+-]\d+\.\d+)", " ".join(tips))
    assert scores and all(len(s.split(".")[1]) == 4 for s in scores)
    amounts = re.findall(r"(-?\d+\.\d+) NMR", " ".join(tips))
    assert amounts and all(len(a.split(".")[1]) == 4 for a in amounts)
    for svg in re.findall(r"<svg .*?</svg>", html, re.S):
        ticks = re.findall(r'class="ytick">(-?[\d.]+)%?<', svg)
        decimals = {len(t.split(".")[1]) if "." in t else 0 for t in ticks}
        assert len(decimals) <= 1, ticks  # "0.00" beside "-0.02", never "0" beside "-0.0238"


def test_current_round_and_next_step(project: Project) -> None:
    view = load_dashboard(project.settings, project.clock)
    assert view.current is not None and view.current.state == "open"
    assert view.current.number == project.month.rounds[-1]
    left = (view.current.close_time - project.month.end).total_seconds()
    live, html = render_dashboard(view, refresh_seconds=15), render_dashboard(view)
    assert f'data-close="{left:.0f}">{duration(left)}<' in live  # the script counts down
    assert "data-close=" not in html and f">{duration(left)}</span> (when generated)" in html
    assert duration(2400) == "0 h 40 min 00 s" and duration(90061) == "1 d 01 h 01 min"
    csv, upload = view.models
    assert csv.next_action.startswith(f"will submit to round {view.current.number} before it")
    assert upload.next_action.startswith(
        f"Numerai runs the uploaded model in round {view.current.number}"
    )
    assert csv.next_action in html


def test_reports_are_linked(project: Project) -> None:
    experiments = project.settings.reports_path / "experiments"
    html = render_dashboard(load_dashboard(project.settings, project.clock))
    assert 'href="validate-demo.html"' in html and "experiments/" not in html
    experiments.mkdir()
    (experiments / "index.html").write_text("<p>trials</p>", encoding="utf-8")
    one = project.settings.reports_path / "experiment-lr.html"
    one.write_text("<p>an experiment</p>", encoding="utf-8")
    try:
        html = render_dashboard(load_dashboard(project.settings, project.clock, link_prefix="/r/"))
        assert 'href="/r/validate-demo.html"' in html
        assert 'href="/r/experiment-lr.html">experiment: lr<' in html
        assert 'href="/r/experiments/index.html"' in html
    finally:
        one.unlink()
        (experiments / "index.html").unlink()
        experiments.rmdir()


def test_status_writes_a_self_contained_static_copy(project: Project) -> None:
    result = status(project.settings, project.clock)
    html = result.dashboard.read_text(encoding="utf-8")
    assert "<svg" in html and "data-refresh" not in html.split("<script>")[0]
    for outside in ("http:", "https:", "src=", "<link", "@import", "url("):
        assert outside not in html
