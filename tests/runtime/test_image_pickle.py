"""The default model pickle: built by the runtime image's own Python, an ordinary cloudpickle of
a function with native LightGBM boosters, which the image's scanner rates no worse than any
such cloudpickle (the portable form's ``eval`` is rated OVERTLY_MALICIOUS)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from numerpilot.errors import CheckFailed
from numerpilot.runtime import (
    IMAGES,
    PortableModel,
    build_image_pickle,
    ensure_env,
    scan_pickle_file,
    write_portable_pickle,
)
from numerpilot.runtime._verdict import SEVERITIES, rate_pickle

pytestmark = pytest.mark.slow

# What a Numerai user uploads: a cloudpickled function closing over native boosters.
ORDINARY = """
import sys, cloudpickle, lightgbm as lgb, numpy as np, pandas as pd
boosters = [lgb.Booster(model_str=open(p).read()) for p in sys.argv[2:]]
features = boosters[0].feature_name()
def predict(live_features, live_benchmark_models=None):
    x = live_features[features].to_numpy(dtype=np.float32)
    p = np.mean([b.predict(x) for b in boosters], axis=0)
    return pd.DataFrame({"prediction": pd.Series(p, index=live_features.index).rank(pct=True)})
open(sys.argv[1], "wb").write(cloudpickle.dumps(predict))
"""


def test_rated_no_worse_than_an_ordinary_cloudpickle_of_the_same_boosters(
    tiny_model: PortableModel, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    env = ensure_env(IMAGES["numerai_predict_py_3_11"], runtime_cache_dir)
    texts = []
    for i, (_target, text) in enumerate(tiny_model.boosters):
        texts.append(tmp_path / f"booster{i}.txt")
        texts[-1].write_text(text)
    ordinary = tmp_path / "ordinary.pkl"
    subprocess.run(
        [str(env.python), "-I", "-c", ORDINARY, str(ordinary), *map(str, texts)], check=True
    )
    ours = build_image_pickle(tiny_model, env, tmp_path / "ours.pkl")
    portable = write_portable_pickle(tiny_model, tmp_path / "portable.pkl")

    rated = {p.stem: rate_pickle(env, p) for p in (ordinary, ours, portable)}

    rank = {name: SEVERITIES.index(v.severity) for name, v in rated.items()}
    assert rank["ours"] <= rank["ordinary"] < rank["portable"], rated
    assert not rated["ours"].blocks and rated["portable"].blocks
    assert not any("eval" in finding for finding in rated["ours"].findings)
    scan = scan_pickle_file(ours)
    assert scan.python == (3, 11)
    assert "lightgbm.basic.Booster" in scan.globals  # native boosters, not text to eval
    assert not any(g.startswith("numerpilot") for g in scan.globals)


def test_a_failed_build_names_the_image(
    tiny_model: PortableModel, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    env = ensure_env(IMAGES["numerai_predict_py_3_11"], runtime_cache_dir)
    broken = PortableModel(
        tiny_model.name, tiny_model.features, [("target", "not a LightGBM model")], {"target": 1.0}
    )
    with pytest.raises(CheckFailed, match=r"with numerai_predict_py_3_11's Python failed: .+"):
        build_image_pickle(broken, env, tmp_path / "model.pkl")
    assert not (tmp_path / "model.pkl").exists()
