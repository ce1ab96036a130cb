from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from numerpilot.agent._policy import StakeDecision
from numerpilot.agent.dashboard import EMPTY_MESSAGE, collect_dashboard, status
from numerpilot.agent.ledger import Ledger
from numerpilot.cli import app
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.report import render_dashboard
from tests.contract import check_document

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ODD_NAME = "<b>m&2</b>"


def _fill(ledger: Ledger, clock: SteppedClock) -> None:
    """Three rounds, two models (one with a name that needs escaping), scores and a stake."""
    start = clock.now()
    for i, number in enumerate((1000, 1001, 1002)):
        ledger.record_round(number, start + i * DAY, start + i * DAY + HOUR)
    for number, corr, payout in ((1000, 0.02, "0.2"), (1001, -0.01, "-0.1"), (1002, 0.03, "0.3")):
        for model in ("m1", ODD_NAME):
            sub = ledger.begin_submission(number, model, f"sha-{number}").submission
            ledger.confirm_submission(sub.id, f"srv-{number}-{model}")
            ledger.record_score(number, model, day=20, corr=corr, mmc=0.001, payout=Decimal(payout))
    decision = StakeDecision(
        "increase", "increase", Decimal("1"), Decimal("0"), Decimal("1"), 1002, "good", True, 0.0
    )
    ledger.record_stake_action("m1", decision, round_number=1003)
    clock.advance(3 * DAY)


def test_the_dashboard_is_self_contained_and_escaped(ledger: Ledger, clock: SteppedClock) -> None:
    _fill(ledger, clock)
    html = render_dashboard(collect_dashboard(ledger, clock.now(), ["m1"]))
    assert html.startswith("<!doctype html>")
    for outside in ("<link", "src=", "href=", "@import", "url(", "http:", "https:"):
        assert outside not in html
    assert html.count("<script>") == 1 and "data-refresh" not in html.split("<script>")[0]
    assert ODD_NAME not in html and "&lt;b&gt;m&amp;2&lt;/b&gt;" in html
    # Cumulative CORR, MMC and payout: one line of 3 rounds per model.
    for chart in ("cum-corr", "cum-mmc", "cum-payout"):
        svg = re.search(f'data-chart="{chart}">(.*?)</svg>', html, re.S)
        assert svg is not None, chart
        lines = re.findall(r'<polyline points="([^"]+)"', svg.group(1))
        assert len(lines) == 2 and all(len(p.split()) == 3 for p in lines), chart
    assert "increase 1.0000 NMR (dry run)" in html
    assert EMPTY_MESSAGE not in html


def test_an_empty_ledger_gets_a_clear_message(ledger: Ledger, clock: SteppedClock) -> None:
    html = render_dashboard(collect_dashboard(ledger, clock.now(), []))
    assert EMPTY_MESSAGE in html and "<svg" not in html


def test_status_reads_without_creating_a_ledger(tmp_path: Path, clock: SteppedClock) -> None:
    settings = load_settings(tmp_path)
    result = status(settings, clock)
    assert not result.ledger_found and not settings.ledger_path.exists()
    assert result.report.empty
    assert result.dashboard == tmp_path / "reports" / "dashboard.html"
    assert EMPTY_MESSAGE in result.dashboard.read_text(encoding="utf-8")


def test_status_summarises_the_configured_ledger(tmp_path: Path, clock: SteppedClock) -> None:
    settings = load_settings(tmp_path)
    with Ledger.open(settings, clock) as ledger:
        _fill(ledger, clock)
    result = status(settings, clock, recent_rounds=2)
    assert result.ledger_found and [r.number for r in result.report.rounds] == [1002, 1001]
    assert {m.model: m.confirmed for m in result.report.models} == {"m1": 3, ODD_NAME: 3}


@pytest.fixture
def project(tmp_path: Path, clock: SteppedClock) -> Path:
    (tmp_path / "numerpilot.toml").write_text(
        '[[tournament.models]]\nname = "m1"\n', encoding="utf-8"
    )
    with Ledger(tmp_path / "numerpilot.db", clock) as ledger:
        _fill(ledger, clock)
    return tmp_path


def test_the_status_command_prints_json(project: Path) -> None:
    result = CliRunner().invoke(app, ["-C", str(project), "status", "--json", "--rounds", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert check_document(doc) == "status"
    assert [r["number"] for r in doc["rounds"]] == [1002, 1001]
    assert doc["rounds"][0]["models"]["m1"]["submission"] == "confirmed"
    assert doc["rounds"][0]["models"]["m1"]["payout"] == "0.3"
    assert [m["model"] for m in doc["models"]] == ["m1", ODD_NAME]
    assert doc["stakes"][0]["amount"] == "1" and doc["stakes"][0]["dry_run"] is True
    assert doc["dashboard"] == str(project.resolve() / "reports" / "dashboard.html")
    assert Path(doc["dashboard"]).exists()


def test_the_status_command_prints_tables(project: Path) -> None:
    result = CliRunner().invoke(app, ["-C", str(project), "status"])
    assert result.exit_code == 0, result.output
    assert "Recent rounds" in result.stdout and "1002" in result.stdout
    assert "confirmed" in result.stdout and "dashboard:" in result.stderr


def test_the_status_command_on_an_empty_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["-C", str(tmp_path), "status"])
    assert result.exit_code == 0, result.output
    assert EMPTY_MESSAGE in result.stdout
    assert "no ledger" in result.stderr
    assert not (tmp_path / "numerpilot.db").exists()
