"""A small world whose targets overlap across neighbouring eras, as 20-day targets do.

Each era's target is the sum of four era-specific effects, those of the era itself and of the
next three (a 4-era horizon): era e's target shares three effects with era e+1, two with e+2,
one with e+3 and none from e+4 on. Each effect is the (centred) value of one feature, a
different feature for every era, so nothing holds across the whole history: a model can only
score on an era by having trained on targets that share its future. With an embargo of the
horizon, there is nothing left to learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HORIZON = 4


def write_leak_world(path: Path, *, eras: int = 30, rows: int = 600, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    n_features = eras + HORIZON
    features = [f"feature_leak{j:02d}" for j in range(n_features)]
    columns: dict[str, list[object]] = {"id": [], "era": [], "target_leak_20": []}
    matrix = []
    signs = rng.choice([-1.0, 1.0], size=n_features)  # effect j: sign * feature j, any era
    for e in range(eras):
        x = rng.integers(0, 5, size=(rows, n_features), dtype=np.int8)
        effect = sum(signs[e + k] * (x[:, e + k] - 2.0) for k in range(HORIZON))
        target = effect + rng.normal(scale=0.5, size=rows)
        columns["id"] += [f"n{e:04d}{i:011d}" for i in range(rows)]
        columns["era"] += [f"{e + 1:04d}"] * rows
        columns["target_leak_20"] += target.tolist()
        matrix.append(x)
    x_all = np.concatenate(matrix)
    table = pa.table(
        {
            "id": pa.array(columns["id"], pa.string()),
            "era": pa.array(columns["era"], pa.string()),
            "data_type": pa.array(["train"] * len(x_all), pa.string()),
            **{name: pa.array(x_all[:, j], pa.int8()) for j, name in enumerate(features)},
            "target_leak_20": pa.array(columns["target_leak_20"], pa.float32()),
        }
    )
    pq.write_table(table, path)
    return features
