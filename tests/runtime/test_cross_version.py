"""Pickles on other Python minor versions than the project's. This machine has Python 3.13
beside the project's 3.11 (pyenv), so the tests use the numerai_predict_py_3_13 environment
(its own pins: numpy 2.2.6, pandas 2.3.3, lightgbm 4.5.0); where no other minor version is
installed they are skipped, saying so."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from numerpilot.runtime import (
    IMAGES,
    PortableModel,
    build_image_pickle,
    ensure_env,
    find_interpreter,
    run_pickle,
    scan_pickle_file,
    write_portable_pickle,
)
from numerpilot.runtime._predictor_source import build
from tests.runtime.conftest import LiveFiles

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_interpreter((3, 13)) is None or sys.version_info[:2] == (3, 13),
        reason="needs a Python 3.13 beside the project's own",
    ),
]
OTHER = IMAGES["numerai_predict_py_3_13"]


def test_portable_pickle_predicts_identically_on_another_minor_version(
    tiny_model: PortableModel, live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    path = write_portable_pickle(tiny_model, tmp_path / "model.pkl")
    ensure_env(OTHER, runtime_cache_dir)  # built once, then cached like the default image

    result = run_pickle(
        path,
        live_files.live,
        live_files.benchmark,
        image=OTHER.name,
        cache_dir=runtime_cache_dir,
        scanner=False,
    )

    assert result.report.ok, result.report.message
    assert result.report.python.startswith("3.13.")
    assert result.predictions is not None
    expected = build(tiny_model.payload())(live_files.frame)
    np.testing.assert_array_equal(result.predictions["prediction"], expected["prediction"])


def test_a_pickle_built_for_another_image_runs_there_and_is_refused_elsewhere(
    tiny_model: PortableModel, live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    env = ensure_env(OTHER, runtime_cache_dir)
    path = build_image_pickle(tiny_model, env, tmp_path / "model.pkl")

    there = run_pickle(path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir)
    elsewhere = run_pickle(
        path,
        live_files.live,
        live_files.benchmark,
        image="numerai_predict_py_3_11",
        cache_dir=runtime_cache_dir,
    )

    assert scan_pickle_file(path).python == (3, 13)
    assert there.report.ok and there.report.image == OTHER.name, there.report.message
    assert there.report.scanner is not None and there.report.scanner.version == "0.1.9"
    assert there.predictions is not None
    expected = build(tiny_model.payload())(live_files.frame)
    np.testing.assert_allclose(there.predictions["prediction"], expected["prediction"], atol=1e-12)
    assert elsewhere.report.reason == "foreign_bytecode"
    assert "built with Python 3.13" in elsewhere.report.message
