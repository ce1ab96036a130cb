"""Tiny models, live files and hand-made pickles for the runtime tests."""

from __future__ import annotations

import builtins
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from numerpilot.runtime import PortableModel

FEATURES = [f"feature_{w}" for w in ("amber", "basil", "cedar", "dune", "elm", "fig")]
DATA = Path(__file__).with_name("data")


def booster_text(seed: int, target_col: int = 0) -> str:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, size=(400, len(FEATURES))).astype(np.int8)
    y = (0.1 * x[:, target_col] - 0.05 * x[:, 1] + rng.normal(scale=0.2, size=400)).astype(
        np.float32
    )
    params = {"verbose": -1, "num_leaves": 7, "seed": seed, "min_data_in_leaf": 10}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=12)
    return str(booster.model_to_string())


@pytest.fixture(scope="session")
def tiny_model() -> PortableModel:
    """Two targets, two seeds of the first: the shape of numerpilot's ensemble."""
    return PortableModel(
        name="tiny",
        features=FEATURES,
        boosters=[
            ("target", booster_text(1, 0)),
            ("target", booster_text(2, 0)),
            ("target_aux_20", booster_text(3, 2)),
        ],
        weights={"target": 2.0, "target_aux_20": 1.0},
    )


def live_frame(rows: int = 60, eras: tuple[str, ...] = ("X",), seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.integers(0, 5, size=(rows, len(FEATURES))).astype(np.int8), columns=FEATURES
    )
    frame.index = pd.Index([f"n{i:015x}" for i in range(rows)], name="id")
    frame.insert(0, "era", np.resize(np.array(eras), rows))
    frame.insert(1, "data_type", "live")
    frame["target"] = np.nan
    return frame


@dataclass(frozen=True)
class LiveFiles:
    live: Path
    benchmark: Path
    frame: pd.DataFrame


@pytest.fixture
def live_files(tmp_path: Path) -> LiveFiles:
    frame = live_frame()
    live, benchmark = tmp_path / "live.parquet", tmp_path / "live_benchmark_models.parquet"
    frame.to_parquet(live)
    bench = pd.DataFrame({"era": frame["era"], "v53_lgbm_ender20": 0.5}, index=frame.index)
    bench.to_parquet(benchmark)
    return LiveFiles(live, benchmark, frame)


class _Expression:
    """Pickles as ``eval(text)``: a stand-in for a user's pickle that loads anywhere."""

    def __init__(self, text: str):
        self.text = text

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (builtins.eval, (self.text,))


@pytest.fixture
def expression_pickle(tmp_path: Path) -> Callable[[str], Path]:
    """Write a pickle whose loaded object is ``eval(text)``, e.g. a lambda."""

    def write(text: str) -> Path:
        path = tmp_path / f"expr-{abs(hash(text))}.pkl"
        path.write_bytes(pickle.dumps(_Expression(text), protocol=4))
        return path

    return write
