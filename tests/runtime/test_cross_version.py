"""The portable pickle loads and predicts on another Python minor version than the one that
built it. This machine has Python 3.13 beside the project's 3.11 (pyenv), so the test runs the
pickle in the numerai_predict_py_3_13 environment (its own pins: numpy 2.2.6, pandas 2.3.3,
lightgbm 4.5.0). Where no other minor version is installed the test is skipped, saying so; the
by-construction proof in test_portable.py (no code object, no marshal, nothing but
``builtins.eval`` imported) still runs there."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from numerpilot.runtime import IMAGES, PortableModel, ensure_env, run_pickle
from numerpilot.runtime.images import find_interpreter
from numerpilot.runtime.portable import write_portable_pickle
from numerpilot.runtime.predictor_source import build
from tests.runtime.conftest import LiveFiles

pytestmark = pytest.mark.slow

OTHER = next(
    (v for v in ((3, 13), (3, 12)) if v != sys.version_info[:2] and find_interpreter(v)), None
)


@pytest.mark.skipif(
    OTHER is None, reason="no second Python minor version (3.12 or 3.13) is installed here"
)
def test_portable_pickle_predicts_identically_on_another_minor_version(
    tiny_model: PortableModel, live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    path = write_portable_pickle(tiny_model, tmp_path / "model.pkl")
    image = IMAGES[f"numerai_predict_py_{OTHER[0]}_{OTHER[1]}"]
    ensure_env(image, runtime_cache_dir)  # built once, then cached like the default image

    result = run_pickle(
        path, live_files.live, live_files.benchmark, image=image.name, cache_dir=runtime_cache_dir
    )

    assert result.report.ok, result.report.message
    assert result.report.python.startswith(f"{OTHER[0]}.{OTHER[1]}.")
    assert result.predictions is not None
    expected = build(tiny_model.payload())(live_files.frame)
    np.testing.assert_array_equal(result.predictions["prediction"], expected["prediction"])
