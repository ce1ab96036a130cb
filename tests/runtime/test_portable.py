"""The portable pickle: loads with pd.read_pickle, predicts the ensemble, carries no bytecode."""

from __future__ import annotations

import inspect
import pickle
import pickletools
import subprocess
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from numerpilot.runtime import (
    PortableModel,
    portable_pickle_bytes,
    scan_pickle,
    write_portable_pickle,
)
from tests.runtime.conftest import FEATURES, live_frame


def reference_prediction(model: PortableModel, frame: pd.DataFrame) -> np.ndarray:
    """The ensemble computed independently with pandas: seeds averaged per target, each
    target ranked per era as (rank - 0.5) / n, weighted mean, ranked again."""
    x = frame[model.features].to_numpy(dtype=np.float32)
    raw: dict[str, list[np.ndarray]] = {}
    for target, text in model.boosters:
        raw.setdefault(target, []).append(lgb.Booster(model_str=text).predict(x))

    def rank(values: pd.Series) -> pd.Series:
        ranks = values.groupby(frame["era"].to_numpy()).rank(method="average")
        counts = values.groupby(frame["era"].to_numpy()).transform("size")
        return (ranks - 0.5) / counts

    total = sum(model.weights[t] for t in raw)
    mixed = sum(
        model.weights[t] * rank(pd.Series(np.mean(v, axis=0), index=frame.index))
        for t, v in raw.items()
    )
    return rank(mixed / total).to_numpy()


def test_pickle_loads_with_read_pickle_and_predicts_the_ensemble(
    tiny_model: PortableModel, tmp_path: Path
) -> None:
    path = write_portable_pickle(tiny_model, tmp_path / "model.pkl")
    predict = pd.read_pickle(path)
    frame = live_frame(rows=90, eras=("0001", "0002", "0003"))

    out = predict(frame, None)

    assert list(out.columns) == ["prediction"] and out.index.name == "id"
    assert out.index.equals(frame.index)
    np.testing.assert_allclose(
        out["prediction"], reference_prediction(tiny_model, frame), atol=1e-12
    )
    for _, era in out.groupby(frame["era"]):  # ranks (k - 0.5) / 30 per era, ties averaged
        assert era["prediction"].mean() == pytest.approx(0.5)
        assert 0 < era["prediction"].min() < era["prediction"].max() < 1


def test_numerai_calls_it_with_two_arguments(tiny_model: PortableModel) -> None:
    predict = pickle.loads(portable_pickle_bytes(tiny_model))
    # Numerai's runtime passes the benchmark frame when the function takes two parameters.
    assert len(inspect.signature(predict).parameters) == 2
    assert predict.__module__ == "numerpilot_portable_model"


def test_neutralisation_reduces_feature_exposure(tiny_model: PortableModel) -> None:
    frame = live_frame(rows=200)
    plain = pickle.loads(portable_pickle_bytes(tiny_model))(frame)["prediction"]
    neutral_model = PortableModel(
        "n", tiny_model.features, tiny_model.boosters, tiny_model.weights, neutralize_proportion=1.0
    )
    neutral = pickle.loads(portable_pickle_bytes(neutral_model))(frame)["prediction"]

    def exposure(p: pd.Series) -> float:
        return max(abs(np.corrcoef(p, frame[f])[0, 1]) for f in FEATURES)

    assert exposure(neutral) < 0.2 < exposure(plain)
    assert neutral.between(0, 1).all()


def test_no_bytecode_by_construction(tiny_model: PortableModel) -> None:
    data = portable_pickle_bytes(tiny_model)
    imports, kinds = [], set()
    stack_strings: list[str] = []
    for op, arg, _ in pickletools.genops(data):
        kinds.add(op.name)
        if op.name == "GLOBAL":
            imports.append(str(arg))
        if isinstance(arg, str):
            stack_strings.append(arg)
        if op.name == "STACK_GLOBAL":
            imports.append(" ".join(stack_strings[-2:]))
    # The only thing imported at load time is builtins.eval; everything else is plain data.
    assert imports == ["builtins eval"]
    assert kinds.isdisjoint({"INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "BUILD", "PERSID", "EXT1"})
    for marker in (b"cloudpickle", b"marshal", b"CodeType", b"_make_code", b"numerpilot.runtime"):
        assert marker not in data
    scan = scan_pickle(data)
    assert not scan.has_bytecode and scan.globals == ("builtins.eval",)


def test_loads_where_numerpilot_cannot_be_imported(
    tiny_model: PortableModel, tmp_path: Path
) -> None:
    path = write_portable_pickle(tiny_model, tmp_path / "model.pkl")
    live_frame().to_parquet(tmp_path / "live.parquet")
    script = (
        "import sys; sys.modules['numerpilot'] = None\n"  # any import of numerpilot fails
        "import pandas as pd\n"
        f"p = pd.read_pickle({str(path)!r})\n"
        f"out = p(pd.read_parquet({str(tmp_path / 'live.parquet')!r}))\n"
        "assert not any(m.startswith('numerpilot') for m in sys.modules if sys.modules[m])\n"
        "print(len(out))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "60"


def test_missing_features_are_named(tiny_model: PortableModel) -> None:
    predict = pickle.loads(portable_pickle_bytes(tiny_model))
    with pytest.raises(KeyError, match="lacks 1 of the model's 6 features"):
        predict(live_frame().drop(columns=[FEATURES[2]]))


@pytest.mark.parametrize(
    ("boosters", "weights", "features", "match"),
    [
        ([], {}, FEATURES, "at least one booster"),
        ([("t", "x")], {"u": 1.0}, FEATURES, r"no ensemble weight for target\(s\) \['t'\]"),
        ([("t", "x")], {"t": 1.0}, [], "feature list"),
        ([("t", "x")], {"t": 0.0}, FEATURES, "positive sum"),
    ],
)
def test_bad_models_are_refused(
    boosters: list[tuple[str, str]], weights: dict[str, float], features: list[str], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        PortableModel("bad", features, boosters, weights)
