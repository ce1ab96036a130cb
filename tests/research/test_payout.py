"""The payout multipliers come from the tournament (here the local one, on loopback), the
file's only when asked for or when the tournament cannot be reached; the source is recorded."""

from __future__ import annotations

from pathlib import Path

from numerpilot.config import load_settings
from numerpilot.research._payout import FILE, payout_multipliers
from numerpilot.research._spec import EvaluationSettings
from numerpilot.research.plan import plan_experiment
from numerpilot.sim import PayoutConfig
from numerpilot.tournament.client import TournamentClient
from numerpilot.tournament.scores import current_multipliers
from tests.research.conftest import FAST_EXPERIMENT, make_project

FILE_VALUES = EvaluationSettings(corr_multiplier=0.1, mmc_multiplier=0.2)


def test_the_open_rounds_multipliers_come_from_the_tournament(sim_server: object) -> None:
    with TournamentClient(api_url=sim_server.url, retries=0) as client:  # type: ignore[attr-defined]
        found = current_multipliers(client)
    sim = PayoutConfig()
    assert (found.corr, found.mmc) == (sim.corr_multiplier, sim.mmc_multiplier)
    assert found.round_number == 1190


def test_an_experiment_scores_with_the_tournaments_multipliers(
    tmp_path: Path, demo_data_dir: Path, sim_server: object
) -> None:
    url = sim_server.url  # type: ignore[attr-defined]
    project = make_project(tmp_path / "p", demo_data_dir, {"fast": FAST_EXPERIMENT}, url)
    settings = load_settings(project)
    sim = PayoutConfig()
    plan = plan_experiment(settings, "fast")
    assert (plan.multipliers.corr, plan.multipliers.mmc) == (
        sim.corr_multiplier,
        sim.mmc_multiplier,
    )
    assert plan.multipliers.source == "tournament round 1190"
    # The trials are handed the resolved values, not the file's defaults.
    ev = plan.experiment.evaluation
    assert (ev.corr_multiplier, ev.mmc_multiplier) == (sim.corr_multiplier, sim.mmc_multiplier)
    # Told to use the file's values, it does, and says so.
    chosen = payout_multipliers(settings, FILE_VALUES.model_copy(update={"multipliers": "file"}))
    assert (chosen.corr, chosen.mmc, chosen.source) == (0.1, 0.2, FILE)


def test_an_unreachable_tournament_falls_back_to_the_files_values(
    tmp_path: Path, demo_data_dir: Path
) -> None:
    project = make_project(tmp_path / "p", demo_data_dir, {})  # nothing listens on its port
    got = payout_multipliers(load_settings(project), FILE_VALUES)
    assert (got.corr, got.mmc) == (0.1, 0.2)
    assert got.source.startswith(f"{FILE} (the tournament did not say")
