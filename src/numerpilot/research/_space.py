"""One point of the search space (a trial's configuration), the grid, and Optuna's TPE.

TPE runs ask/tell in the client process, batch by batch: a batch of trials is asked from a
study rebuilt from every finished trial, with a sampler seeded by (seed, batch). What a
batch asks therefore depends only on the seed and the results before it, never on which
worker finished first, and a run killed and started again asks exactly the same trials.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from numerpilot.config import LightGBMParams, TrainSettings
from numerpilot.errors import ConfigError
from numerpilot.research._spec import INT_PARAMS, PRESETS, Experiment, Range, SpaceSettings

log = logging.getLogger(__name__)


class TrialConfig(BaseModel):
    """What one trial fits: everything ``numerpilot train`` would be told, and nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: str
    feature_set: str
    feature_groups: tuple[str, ...] = ()
    targets: tuple[str, ...]
    aux_weight: float = 1.0
    era_step: int
    neutralize_proportion: float = 0.0
    benchmark_inputs: bool = False
    params: dict[str, float] = {}

    def key(self) -> str:
        """The config hash: the same configuration always has the same key."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def lightgbm(self, num_threads: int = 0, *, rows_share: float = 1.0) -> LightGBMParams:
        """The LightGBM settings; ``rows_share`` < 1 is a scout's share of the trial's rows.

        ``min_child_samples`` counts rows, so a scout on a quarter of the rows uses a quarter
        of it: its trees then split the data as the full-scale trial's do. Unscaled, a scout's
        early CV folds could not split at all and scored a constant model.
        """
        values = PRESETS[self.preset].model_dump()
        for name, value in self.params.items():
            values[name] = round(value) if name in INT_PARAMS else float(value)
        if rows_share < 1:
            values["min_child_samples"] = max(1, round(values["min_child_samples"] * rows_share))
        values["num_threads"] = num_threads
        values["early_stopping_rounds"] = 0
        return LightGBMParams(**values)

    def weights(self) -> dict[str, float]:
        return {t: (1.0 if i == 0 else self.aux_weight) for i, t in enumerate(self.targets)}

    def train_settings(self, base: TrainSettings, benchmark: str | None = None) -> TrainSettings:
        """``base`` (the project's [train]) with this configuration in place: what promote
        trains. Early stopping and threads stay the project's. ``benchmark``: the benchmark
        column the trials were fed (with ``benchmark_inputs``)."""
        if self.benchmark_inputs and benchmark is None:
            raise ConfigError(
                "setting 'space.benchmark_inputs': this configuration feeds a benchmark model "
                "in; say which (setting 'evaluation.benchmark')"
            )
        params = self.lightgbm(base.params.num_threads).model_copy(
            update={"early_stopping_rounds": base.params.early_stopping_rounds}
        )
        return base.model_copy(
            update={
                "feature_set": self.feature_set,
                "feature_groups": list(self.feature_groups),
                "targets": list(self.targets),
                "target_weights": [self.weights()[t] for t in self.targets],
                "era_step": self.era_step,
                "neutralize_proportion": self.neutralize_proportion,
                "benchmark_input": benchmark if self.benchmark_inputs else None,
                "params": params,
            }
        )

    def describe(self) -> str:
        features = "+".join(self.feature_groups) if self.feature_groups else self.feature_set
        params = ", ".join(f"{k}={v:g}" for k, v in sorted(self.params.items()))
        return (
            f"{self.preset} {features} {'+'.join(self.targets)} step {self.era_step}"
            + (f" aux {self.aux_weight:g}" if len(self.targets) > 1 else "")
            + (f" neutral {self.neutralize_proportion:g}" if self.neutralize_proportion else "")
            + (" +benchmark input" if self.benchmark_inputs else "")
            + (f" ({params})" if params else "")
        )


def _feature_choices(space: SpaceSettings) -> list[tuple[str, tuple[str, ...]]]:
    return [(name, ()) for name in space.feature_set] + [
        ("groups", tuple(groups)) for groups in space.feature_groups
    ]


def _param_lists(space: SpaceSettings) -> dict[str, list[float]]:
    return {k: v for k, v in space.params.items() if isinstance(v, list)}


def grid(space: SpaceSettings) -> Iterator[TrialConfig]:
    """Every combination, in a fixed order (the file's order, last key fastest)."""
    lists = _param_lists(space)
    names = sorted(lists)
    for preset, (fset, groups), targets, era_step, proportion, bench in itertools.product(
        space.preset,
        _feature_choices(space),
        space.targets,
        space.era_step,
        space.neutralize_proportion,
        space.benchmark_inputs,
    ):
        aux = space.aux_weight if len(targets) > 1 else [1.0]
        for weight, values in itertools.product(aux, itertools.product(*(lists[n] for n in names))):
            yield TrialConfig(
                preset=preset,
                feature_set=fset,
                feature_groups=groups,
                targets=tuple(targets),
                aux_weight=weight,
                era_step=era_step,
                neutralize_proportion=proportion,
                benchmark_inputs=bench,
                params=dict(zip(names, values, strict=True)),
            )


def grid_size(space: SpaceSettings) -> int:
    return sum(1 for _ in grid(space))


def plan_shapes(space: SpaceSettings) -> list[tuple[str, tuple[str, ...], int]]:
    """The (feature set, groups, era_step) combinations: what decides a trial's memory."""
    return [
        (fset, groups, step)
        for (fset, groups), step in itertools.product(_feature_choices(space), space.era_step)
    ]


class TpeSearch:
    """Optuna's TPE, asked in batches from the finished trials (see the module's note)."""

    def __init__(self, experiment: Experiment):
        self.space = experiment.space
        self.seed = experiment.search.seed

    def ask(
        self, batch: int, count: int, history: Mapping[int, tuple[TrialConfig, float]]
    ) -> list[TrialConfig]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(seed=self.seed * 100_003 + batch, n_startup_trials=4)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        dists = self._distributions()
        for number in sorted(history):
            config, value = history[number]
            study.add_trial(
                optuna.trial.create_trial(
                    params=self._params_of(config),
                    distributions=dists,
                    value=value if value == value else -1e9,  # NaN: worst
                )
            )
        asked = []
        for _ in range(count):
            trial = study.ask(dists)
            asked.append(self._config_of(trial.params))
        return asked

    def _choices(self) -> dict[str, list[Any]]:
        s = self.space
        choices: dict[str, list[Any]] = {
            "preset": list(s.preset),
            "features": [f"{n}|{'+'.join(g)}" for n, g in _feature_choices(s)],
            "targets": ["+".join(t) for t in s.targets],
            "aux_weight": list(s.aux_weight),
            "era_step": list(s.era_step),
            "neutralize_proportion": list(s.neutralize_proportion),
            "benchmark_inputs": list(s.benchmark_inputs),
        }
        choices.update({f"p_{k}": list(v) for k, v in _param_lists(s).items()})
        return choices

    def _distributions(self) -> dict[str, Any]:
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        dists: dict[str, Any] = {
            name: CategoricalDistribution(choices) for name, choices in self._choices().items()
        }
        for name, choice in self.space.params.items():
            if isinstance(choice, Range):
                if name in INT_PARAMS:
                    dists[f"p_{name}"] = IntDistribution(
                        int(choice.low), int(choice.high), log=choice.log
                    )
                else:
                    dists[f"p_{name}"] = FloatDistribution(choice.low, choice.high, log=choice.log)
        return dists

    def _params_of(self, config: TrialConfig) -> dict[str, Any]:
        values: dict[str, Any] = {
            "preset": config.preset,
            "features": f"{config.feature_set}|{'+'.join(config.feature_groups)}",
            "targets": "+".join(config.targets),
            # A single-target trial has no auxiliary weight: any choice stands for it.
            "aux_weight": config.aux_weight
            if config.aux_weight in self.space.aux_weight
            else self.space.aux_weight[0],
            "era_step": config.era_step,
            "neutralize_proportion": config.neutralize_proportion,
            "benchmark_inputs": config.benchmark_inputs,
        }
        for name, value in config.params.items():
            values[f"p_{name}"] = int(value) if name in INT_PARAMS else value
        return values

    def _config_of(self, params: Mapping[str, Any]) -> TrialConfig:
        fset, groups = str(params["features"]).split("|")
        targets = tuple(str(params["targets"]).split("+"))
        return TrialConfig(
            preset=params["preset"],
            feature_set=fset,
            feature_groups=tuple(g for g in groups.split("+") if g),
            targets=targets,
            aux_weight=float(params["aux_weight"]) if len(targets) > 1 else 1.0,
            era_step=int(params["era_step"]),
            neutralize_proportion=float(params["neutralize_proportion"]),
            benchmark_inputs=bool(params["benchmark_inputs"]),
            params={k[2:]: float(v) for k, v in params.items() if k.startswith("p_")},
        )


__all__ = ["TpeSearch", "TrialConfig", "grid", "grid_size", "plan_shapes"]
