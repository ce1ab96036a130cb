"""Experiments as files: ``experiments/NAME.toml``, validated like ``numerpilot.toml``.

An experiment names a search space (feature sets or groups, targets and the weight of the
auxiliary ones, a LightGBM preset with parameter choices or ranges, ``era_step``, the
neutralisation proportion), a search (grid or Optuna's TPE, with a budget in trials and/or
minutes), how trials are judged (walk-forward CV with an embargo, an objective, a final
holdout the search never sees) and where they run (a local Dask cluster or a scheduler).
Unknown keys are refused; every error is one line naming the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from numerpilot.config import LightGBMParams
from numerpilot.errors import ConfigError

EXPERIMENTS_DIR = "experiments"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

# Parameter presets by name (NUMERAI.md, "Parameter sets in use").
PRESETS: dict[str, LightGBMParams] = {
    # Numerai's example model: numerpilot's default.
    "example": LightGBMParams(),
    # The common multi-target recipe.
    "standard": LightGBMParams(
        learning_rate=0.005,
        max_depth=6,
        num_leaves=64,
        min_child_samples=5000,
        colsample_bytree=0.1,
        bagging_fraction=0.8,
        n_estimators=5000,
    ),
    # Numerai's recommended deep model.
    "deep": LightGBMParams(
        learning_rate=0.001,
        max_depth=10,
        num_leaves=1024,
        min_child_samples=10000,
        colsample_bytree=0.1,
        n_estimators=30000,
    ),
}
# Parameters a search may vary; num_threads is the cluster's business, early stopping has no
# place in out-of-fold scoring (there is nothing held out to stop on).
SEARCHABLE = tuple(
    n for n in LightGBMParams.model_fields if n not in ("num_threads", "early_stopping_rounds")
)
INT_PARAMS = {"n_estimators", "max_depth", "num_leaves", "min_child_samples"}
Objective = Literal["payout", "corr", "corr_sharpe", "bmc", "mmc"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A continuous (or integer) range for Optuna; a grid cannot enumerate it."""

    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


ParamChoice = list[float] | Range


class SearchSettings(_Strict):
    method: Literal["grid", "tpe"] = Field(
        "grid", description="'grid': every combination in order; 'tpe': Optuna's TPE sampler."
    )
    trials: int = Field(8, ge=1, description="Budget: at most this many scout trials.")
    max_minutes: float = Field(
        0.0, ge=0, description="Budget: start no new trial after this many minutes (0: none)."
    )
    seed: int = Field(0, description="Same seed, same trials, same results.")
    batch: int = Field(
        4,
        ge=1,
        description="TPE asks this many trials at a time, from the results before them (the "
        "trials asked never depend on the cluster's size or timing).",
    )
    finalists: int = Field(
        2, ge=1, description="The best scouts re-run at full scale and scored on the holdout."
    )


class EvaluationSettings(_Strict):
    objective: Objective = Field(
        "payout",
        description="What ranks trials: 'payout' (what Numerai pays: clip(corr_multiplier * "
        "CORR + mmc_multiplier * MMC), BMC standing in where the meta model does not cover "
        "the eras), 'corr', 'corr_sharpe', 'bmc' or 'mmc'.",
    )
    multipliers: Literal["tournament", "file"] = Field(
        "tournament",
        description="Where the payout multipliers come from: 'tournament': the open round's, "
        "asked of the project's tournament before the run (the two values below only if it "
        "cannot be reached); 'file': the two values below.",
    )
    corr_multiplier: float = Field(
        0.5, ge=0, description="CORR payout multiplier (multipliers = 'file', or no tournament)."
    )
    mmc_multiplier: float = Field(
        2.0, ge=0, description="MMC payout multiplier (multipliers = 'file', or no tournament)."
    )
    cv_folds: int = Field(3, ge=2, description="Walk-forward folds over the train eras.")
    embargo_eras: int | None = Field(
        None,
        ge=0,
        description="Eras between training and testing; unset: the targets' horizon (4 for "
        "20-day, 12 for 60-day). A smaller value is refused.",
    )
    holdout_eras: int = Field(
        24,
        ge=4,
        description="The latest validation eras with targets: the final holdout, never seen by "
        "the search; only finalists are scored on it.",
    )
    benchmark: str | None = Field(
        None,
        description="Benchmark model column for BMC (default: the first one of "
        "train_benchmark_models.parquet).",
    )


class ScoutSettings(_Strict):
    era_step_factor: int = Field(
        2,
        ge=1,
        description="Scouts train on every Nth of a trial's eras (1: no scouting); "
        "min_child_samples shrinks by the same factor.",
    )
    feature_fraction: float = Field(
        1.0, gt=0, le=1, description="Share of a trial's features the scouts use."
    )


class ResourceSettings(_Strict):
    workers: int = Field(
        0, ge=0, description="Dask workers of the local cluster (0: from cores and memory)."
    )
    memory_gb: float = Field(
        0.0, ge=0, description="Memory for all workers, GB (0: data.memory_budget_fraction)."
    )
    scheduler: str | None = Field(
        None, description="tcp://HOST:PORT of an existing Dask cluster (default: [research])."
    )
    data_url: str | None = Field(
        None,
        description="Where workers read the dataset: a folder or fsspec URL holding VERSION/ "
        "like data.dir (e.g. 's3://bucket/numerai', 'file:///shared/numerai') that every "
        "worker can see; it must hold the same files as data.dir, which plans the run "
        "(unset: data.dir's paths).",
    )


class SpaceSettings(_Strict):
    preset: list[str] = Field(
        default_factory=lambda: ["example"],
        description="LightGBM presets: 'example', 'standard', 'deep'; [space.params] overrides.",
    )
    feature_set: list[str] = Field(
        default_factory=lambda: ["small"], description="Feature sets to try."
    )
    feature_groups: list[list[str]] = Field(
        default_factory=list,
        description="Unions of feature groups to try as well (each list is one choice).",
    )
    targets: list[list[str]] = Field(
        default_factory=lambda: [["target"]],
        description="Target lists to try; the first of each is the main target.",
    )
    aux_weight: list[float] = Field(
        default_factory=lambda: [1.0],
        description="Ensemble weight of each auxiliary target (the main target has 1).",
    )
    era_step: list[int] = Field(default_factory=lambda: [4], description="Every Nth era.")
    neutralize_proportion: list[float] = Field(
        default_factory=lambda: [0.0], description="Feature neutralisation of the ensemble."
    )
    benchmark_inputs: list[bool] = Field(
        default_factory=lambda: [False],
        description="Feed the benchmark model's predictions in as one more input (a promoted "
        "winner with it joins the live benchmark file, in CSV and in the hosted pickle).",
    )
    params: dict[str, ParamChoice] = Field(
        default_factory=dict,
        description="LightGBM parameters: a list of choices, or {low, high, log} for TPE.",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> SpaceSettings:
        for name in (
            "preset",
            "targets",
            "aux_weight",
            "era_step",
            "neutralize_proportion",
            "benchmark_inputs",
        ):
            if not getattr(self, name):
                raise ValueError(f"'space.{name}' is empty: give at least one choice")
        if not self.feature_set and not self.feature_groups:
            raise ValueError("'space.feature_set' and 'space.feature_groups' are both empty")
        for name in self.preset:
            if name not in PRESETS:
                raise ValueError(
                    f"'space.preset': unknown preset {name!r}; known: {', '.join(PRESETS)}"
                )
        for name, choice in self.params.items():
            if name not in SEARCHABLE:
                raise ValueError(
                    f"'space.params.{name}' is not a searchable LightGBM parameter; "
                    f"known: {', '.join(SEARCHABLE)}"
                )
            if isinstance(choice, list) and not choice:
                raise ValueError(f"'space.params.{name}' is empty: give at least one choice")
        for targets in self.targets:
            if not targets:
                raise ValueError("'space.targets' holds an empty list of targets")
        if any(w < 0 for w in self.aux_weight) or any(s < 1 for s in self.era_step):
            raise ValueError("'space.aux_weight' must be >= 0 and 'space.era_step' >= 1")
        if any(not 0 <= p <= 1 for p in self.neutralize_proportion):
            raise ValueError("'space.neutralize_proportion' values must be within [0, 1]")
        return self


class Experiment(_Strict):
    search: SearchSettings = Field(default_factory=SearchSettings)
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    scout: ScoutSettings = Field(default_factory=ScoutSettings)
    resources: ResourceSettings = Field(default_factory=ResourceSettings)
    space: SpaceSettings = Field(default_factory=SpaceSettings)

    @model_validator(mode="after")
    def _grid_is_enumerable(self) -> Experiment:
        if self.search.method == "grid":
            for name, choice in self.space.params.items():
                if isinstance(choice, Range):
                    raise ValueError(
                        f"'space.params.{name}' is a range; a grid needs a list of choices "
                        "(or set 'search.method' = \"tpe\")"
                    )
        return self


def experiment_path(project_dir: Path, name: str) -> Path:
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"experiment name {name!r}: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)"
        )
    return project_dir / EXPERIMENTS_DIR / f"{name}.toml"


def _describe(error: ValidationError, source: Path) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    # The union of a list and a range reports both branches: name the key once.
    where = re.sub(r"\.(list\[float\]|Range)(\.|$)", r"\2", where).rstrip(".")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    key = f"setting '{where}': " if where and not message.startswith("'") else ""
    return f"{source}: {key}{message}{more}"


def load_experiment(path: Path) -> Experiment:
    """Read and validate an experiment file; any problem is a ``ConfigError`` of one line."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such experiment; create it with 'numerpilot experiment new'")
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    try:
        return Experiment(**values)
    except ValidationError as e:
        raise ConfigError(_describe(e, path)) from None


STARTER = """# Experiment {name!r}: a search for a better model than the configured one.
# Run it with 'numerpilot experiment run {name}'; see the results with
# 'numerpilot experiment show {name}'; make the winner the tournament's model with
# 'numerpilot experiment promote {name}'. Every key is optional; unknown keys are refused.

[search]
# 'grid': every combination of [space], in order; 'tpe': Optuna's TPE sampler (ranges allowed).
method = "grid"
# Budget: at most this many scout trials, and no new trial after max_minutes (0: no limit).
trials = 4
max_minutes = 0
# Same seed, same trials, same results (an interrupted run resumes where it stopped).
seed = 0
# The best scouts are re-run at full scale and scored on the final holdout.
finalists = 2

[evaluation]
# What ranks trials: "payout" (what Numerai pays), "corr", "corr_sharpe", "bmc" or "mmc".
objective = "payout"
# The payout multipliers: "tournament" asks the open round's before the run (the two values
# below are used only if the tournament cannot be reached); "file" uses the two values below.
multipliers = "tournament"
corr_multiplier = 0.5
mmc_multiplier = 2.0
# Walk-forward CV over the train eras, with an embargo of at least the targets' horizon.
cv_folds = 3
# The latest validation eras with targets: the final holdout, never seen by the search.
holdout_eras = 24

[scout]
# Scouts train on every Nth of a trial's eras (and this share of its features);
# min_child_samples shrinks by the same factor, so their trees split as the full trial's do.
era_step_factor = 2
feature_fraction = 1.0

[resources]
# Dask workers of the local cluster (0: from the cores and the memory budget); or run the
# trials on an existing cluster: scheduler = "tcp://HOST:PORT".
workers = 0

[space]
# LightGBM presets: "example" (Numerai's example model), "standard", "deep".
preset = ["example"]
feature_set = ["small"]
targets = [["target"]]
aux_weight = [1.0]
era_step = [4]
neutralize_proportion = [0.0]
# The benchmark model's predictions as one more input (the live benchmark file joins them).
benchmark_inputs = [false]

[space.params]
# A list of choices per parameter (or {{low = 0.005, high = 0.05, log = true}} with "tpe").
n_estimators = [300]
learning_rate = [0.02, 0.05]
num_leaves = [15, 31]
"""


def starter_experiment(name: str) -> str:
    return STARTER.format(name=name)


__all__ = [
    "EXPERIMENTS_DIR",
    "INT_PARAMS",
    "PRESETS",
    "SEARCHABLE",
    "EvaluationSettings",
    "Experiment",
    "Objective",
    "Range",
    "ResourceSettings",
    "ScoutSettings",
    "SearchSettings",
    "SpaceSettings",
    "experiment_path",
    "load_experiment",
    "starter_experiment",
]
