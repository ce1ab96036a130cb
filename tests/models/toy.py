"""Tiny data for the models tests: a few eras of int8 features with a planted signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Toy:
    features: npt.NDArray[np.int8]
    feature_names: list[str]
    eras: npt.NDArray[np.str_]
    targets: npt.NDArray[np.float32]
    target_names: list[str]


def make_toy(n_eras: int = 24, rows: int = 200, n_features: int = 12, seed: int = 0) -> Toy:
    rng = np.random.default_rng(seed)
    n = n_eras * rows
    features = rng.integers(0, 5, size=(n, n_features), dtype=np.int8)
    eras = np.repeat([f"{e:04d}" for e in range(1, n_eras + 1)], rows)
    signal = (features[:, 0] - 2) * 0.3 + (features[:, 1] - 2) * (features[:, 2] - 2) * 0.1
    main = signal + rng.normal(scale=1.0, size=n)
    aux = signal * 0.5 + rng.normal(scale=1.0, size=n)
    aux[rng.random(n) < 0.2] = np.nan  # auxiliary targets may be NaN
    targets = np.column_stack([main, aux]).astype(np.float32)
    return Toy(
        features=features,
        feature_names=[f"feature_f{j}" for j in range(n_features)],
        eras=eras,
        targets=targets,
        target_names=["target", "target_aux_20"],
    )
