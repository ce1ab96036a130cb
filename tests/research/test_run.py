"""An experiment end to end on a 2-worker LocalCluster: TOML -> trials -> report -> promoted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from numerpilot.agent import Ledger, ResearchLedger
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.models import load_model
from numerpilot.research._evaluate import FULL, HOLDOUT, SCOUT
from numerpilot.research.runner import BASELINE
from tests.cli_run import run
from tests.contract import check_document

CLOCK = SteppedClock(datetime(2026, 3, 3, 12, tzinfo=UTC))


@pytest.mark.slow  # a real 2-process cluster and seven trials: about 40 s on 2 shared cores
def test_an_experiment_runs_on_two_workers_and_its_winner_is_promoted(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, stdout, stderr = run(
        ["-C", str(project), "experiment", "run", "fast", "--workers", "2", "--json"], capsys
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert check_document(result) == "experiment_run"
    assert result["workers"] == 2 and result["ran"] == 2 + 2 + 2 + 1 and result["reused"] == 0
    assert "dashboard" in stderr or result["dashboard"]
    assert Path(result["report"]).is_file()
    [first, second] = result["finalists"]
    # Finalists carry their CV score beside their holdout score, best CV first.
    assert first["cv"]["corr_mean"] >= second["cv"]["corr_mean"] or (
        first["cv"]["payout_mean"] >= second["cv"]["payout_mean"]
    )
    for f in (first, second):
        assert f["holdout"]["eras"] == 12
        drop = f["cv"]["corr_mean"] - f["holdout"]["corr_mean"]
        assert f["cv_to_holdout_corr_drop"] == pytest.approx(drop)
    assert result["winner"] == first["config_hash"]
    assert result["baseline"]["holdout"]["eras"] == 12

    settings = load_settings(project)
    with Ledger(settings.ledger_path, CLOCK) as ledger:
        store = ResearchLedger(ledger)
        trials = store.trials("fast")
        assert sorted((t.phase, t.number) for t in trials) == sorted(
            [
                (SCOUT, 0),
                (SCOUT, 1),
                (FULL, 0),
                (FULL, 1),
                (HOLDOUT, 0),
                (HOLDOUT, 1),
                (BASELINE, 0),
            ]
        )
        assert all(t.status == "done" and t.data_hash and t.wall_seconds > 0 for t in trials)
        assert all(
            t.peak_memory_bytes > 0 and t.worker.startswith("tcp://127.0.0.1") for t in trials
        )
        # The workers both took trials: they ran as Dask tasks, not in this process.
        assert len({t.worker for t in trials}) == 2
        scout = next(t for t in trials if t.phase == SCOUT)
        assert len(scout.per_era) == scout.scores.eras if scout.scores else False
        assert ledger.promoted_model_version() is None

    code, stdout, stderr = run(
        ["-C", str(project), "experiment", "promote", "fast", "--json"], capsys
    )
    assert code == 0, stderr
    promoted = json.loads(stdout)
    assert check_document(promoted) == "experiment_promote" and promoted["promoted"] is True
    model = load_model(settings.models_path / promoted["model"])
    winner = next(f for f in result["finalists"] if f["config_hash"] == result["winner"])
    assert model.manifest.params["learning_rate"] == winner["config"]["params"]["learning_rate"]
    assert model.manifest.era_step == winner["config"]["era_step"]
    with Ledger(settings.ledger_path, CLOCK) as ledger:
        current = ledger.promoted_model_version()
        assert current is not None and current.name == promoted["model"]
        assert ledger.events(kind="research_promoted")
        assert ResearchLedger(ledger).experiment("fast").promoted_model == promoted["model"]  # type: ignore[union-attr]
    assert "research_promoted" in (project / "notifications.log").read_text()

    # The autopilot's rule: promote only if the holdout corr beats the current model's on the
    # same eras by agent.promote_margin; the current model is now the winner itself.
    monkeypatch.setenv("NUMERPILOT_AGENT__PROMOTE_MARGIN", "0.5")
    code, stdout, _ = run(
        ["-C", str(project), "experiment", "promote", "fast", "--if-better", "--json"], capsys
    )
    kept = json.loads(stdout)
    assert check_document(kept) == "experiment_promote"
    assert code == 0 and kept["promoted"] is False and kept["current_model"] == promoted["model"]
    assert kept["current_holdout_corr"] is not None and "does not beat" in kept["reason"]
    with Ledger(settings.ledger_path, CLOCK) as ledger:
        assert ledger.events(kind="research_kept")

    code, stdout, _ = run(["-C", str(project), "experiment", "status", "--json"], capsys)
    listed = json.loads(stdout)
    assert check_document(listed) == "experiment_status"
    [status] = listed["experiments"]
    code, stdout, _ = run(["-C", str(project), "experiment", "show", "fast", "--json"], capsys)
    shown = json.loads(stdout)
    assert code == 0 and check_document(shown) == "experiment_show"
    # The project's tournament does not answer: the file's multipliers, and why, are recorded.
    paid = shown["payout_multipliers"]
    assert (paid["corr"], paid["mmc"]) == (0.5, 2.0)
    assert paid["source"].startswith("experiment file (the tournament did not say")
    assert status["status"] == "promoted" and status["trials_done"] == 7
    code, stdout, _ = run(["-C", str(project), "experiment", "show", "fast"], capsys)
    assert code == 0 and "holdout corr" in stdout
    page = (project / "reports" / "experiment-fast.html").read_text()
    assert "Cumulative CORR" in page and "Effect of each parameter" in page
