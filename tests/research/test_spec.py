"""Bad experiment files: one clear line naming the key, a non-zero exit, nothing trained."""

from __future__ import annotations

from pathlib import Path

import pytest

from numerpilot.config import load_settings
from numerpilot.errors import ExitCode
from numerpilot.research._spec import load_experiment, starter_experiment
from numerpilot.research.plan import plan_experiment
from tests.cli_run import run
from tests.research.conftest import FAST_EXPERIMENT


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[search]\ntrails = 3\n", "search.trails", "unknown key"),
        ("[space]\ntargets = []\n", "space.targets", "is empty"),
        ("[space]\nera_step = []\n", "space.era_step", "is empty"),
        ('[space]\npreset = ["huge"]\n', "space.preset", "unknown preset 'huge'"),
        ("[space.params]\nlearning_rat = [0.1]\n", "space.params.learning_rat", "searchable"),
        (
            "[space.params]\nlearning_rate = {low = 0.01, high = 0.1}\n",
            "space.params.learning_rate",
            "a grid needs a list",
        ),
        ("[resources]\nmemory_gb = 0.000001\n", "resources.memory_gb", "needs about"),
        ("[evaluation]\nembargo_eras = 2\n", "evaluation.embargo_eras", "horizon of 4"),
        ('[space]\ntargets = [["target_nope_20"]]\n', "space.targets", "'target_nope_20'"),
    ],
)
def test_a_bad_experiment_is_refused_in_one_line_before_anything_runs(
    project: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, message: str
) -> None:
    (project / "experiments" / "bad.toml").write_text(text)
    code, _, stderr = run(["-C", str(project), "experiment", "run", "bad"], capsys)
    assert code == ExitCode.CONFIG
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "bad.toml" in lines[0] and f"'{key}'" in lines[0] and message in lines[0]
    # Nothing trained, nothing recorded: no model, no ledger written.
    assert not (project / "models").exists()
    assert not (project / "numerpilot.db").exists()


def test_the_starter_experiment_is_valid_and_plans_on_the_data(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(["-C", str(project), "experiment", "new", "first"], capsys)
    assert code == 0
    path = project / "experiments" / "first.toml"
    assert stdout.strip() == str(path)
    assert path.read_text() == starter_experiment("first")
    experiment = load_experiment(path)
    assert experiment.search.method == "grid"
    plan = plan_experiment(load_settings(project), "first")
    assert plan.trials == experiment.search.trials == 4
    assert plan.embargo == 4 and len(plan.holdout_eras) == experiment.evaluation.holdout_eras
    # The holdout is the latest validation eras, after the search's eras and the embargo.
    assert int(plan.holdout_eras[0]) - plan.last_search_era > plan.embargo
    code, _, stderr = run(["-C", str(project), "experiment", "new", "first"], capsys)
    assert code == ExitCode.CONFIG and "--force" in stderr


def test_the_memory_plan_names_the_figure(project: Path) -> None:
    (project / "experiments" / "big.toml").write_text(
        FAST_EXPERIMENT.replace("[evaluation]", "[resources]\nmemory_gb = 0.0001\n\n[evaluation]")
    )
    with pytest.raises(Exception, match=r"needs about 0\.\d+ GB, more than the 0\.000 GB"):
        plan_experiment(load_settings(project), "big")
