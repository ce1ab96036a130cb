"""Small helpers shared by the sim's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from numerpilot.sim import RunningSim


def live_ids(sim: RunningSim, number: int) -> pd.Index:
    return sim.server.live.live_ids(number)


def predictions(ids: pd.Index, seed: int) -> pd.DataFrame:
    """A valid submission frame (columns id, prediction) with seeded random values."""
    values = np.random.default_rng(seed).random(len(ids))
    return pd.DataFrame({"id": np.asarray(ids), "prediction": values})


def live_file(sim: RunningSim, number: int, name: str = "live.parquet") -> Path:
    return sim.server.live.path(number, sim.server.config.primary_version, name)
