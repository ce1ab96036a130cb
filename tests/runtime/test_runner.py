"""Pre-flight: the pickle runs as on Numerai (pinned environment, limits) and failures are
reported with a reason, never raised from the child."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from numerpilot.errors import CheckFailed
from numerpilot.runtime import (
    IMAGES,
    Limits,
    PortableModel,
    build_image_pickle,
    ensure_env,
    model_runner,
    run_pickle,
    write_portable_pickle,
)
from numerpilot.runtime import _envs as runtime_envs
from numerpilot.runtime._predictor_source import build
from tests.runtime.conftest import DATA, LiveFiles

pytestmark = pytest.mark.slow


def test_the_image_built_pickle_passes_and_predicts_as_in_process(
    tiny_model: PortableModel, live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    env = ensure_env(IMAGES["numerai_predict_py_3_11"], runtime_cache_dir)
    path = build_image_pickle(tiny_model, env, tmp_path / "model.pkl")

    result = run_pickle(path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir)

    report = result.report
    assert report.ok, report.message
    assert (report.image, report.stage, report.reason) == ("numerai_predict_py_3_11", "done", "")
    assert report.bytecode == "bytecode of Python 3.11"
    assert report.scanner is not None and report.scanner.version == "0.1.4"
    assert report.scanner.severity == "LIKELY_UNSAFE" and not report.scanner.blocks
    assert report.python.startswith("3.11.") and report.args == 2 and report.rows == 60
    assert 0 < report.wall_seconds < 120 and 50 << 20 < report.peak_rss_bytes < 4 << 30
    assert report.cpu_seconds > 0
    assert report.limits == {"memory_bytes": 4 << 30, "timeout_seconds": 600.0, "cpus": 1}
    assert result.predictions is not None
    expected = build(tiny_model.payload())(live_files.frame)
    assert list(result.predictions.index) == list(expected.index)
    np.testing.assert_allclose(result.predictions["prediction"], expected["prediction"], atol=1e-12)


def test_a_pickle_the_scanner_rates_malicious_fails_unless_allowed(
    tiny_model: PortableModel, live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    path = write_portable_pickle(tiny_model, tmp_path / "portable.pkl")  # builtins.eval inside

    refused = run_pickle(path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir)
    allowed = run_pickle(
        path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir, allow_flagged=True
    )

    report = refused.report
    assert (report.ok, report.reason) == (False, "flagged_by_scanner")
    assert "fickling 0.1.4: OVERTLY_MALICIOUS" in report.message
    assert "eval" in report.detail
    assert report.rows == 60  # it ran: the verdict is the only objection
    assert allowed.report.ok and allowed.predictions is not None
    assert allowed.report.scanner is not None and allowed.report.scanner.blocks


def test_foreign_bytecode_is_named_before_anything_runs(
    live_files: LiveFiles, runtime_cache_dir: Path
) -> None:
    report = run_pickle(
        DATA / "cloudpickle_py313.pkl",
        live_files.live,
        live_files.benchmark,
        image="numerai_predict_py_3_11",
        cache_dir=runtime_cache_dir,
    ).report
    assert not report.ok and report.reason == "foreign_bytecode" and report.stage == "scan"
    assert "built with Python 3.13" in report.message
    assert "loads it and then crashes when it runs" in report.message
    assert "Upload it with image numerai_predict_py_3_13" in report.message
    assert report.wall_seconds == 0.0  # no process was started


def test_a_pickle_for_an_image_without_its_python_here_says_what_to_install(
    live_files: LiveFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_envs, "find_interpreter", lambda _version: None)
    cache = tmp_path / "cache"
    report = run_pickle(
        DATA / "cloudpickle_py310.pkl", live_files.live, live_files.benchmark, cache_dir=cache
    ).report
    assert report.reason == "image_unavailable" and report.image == "numerai_predict_py_3_10"
    assert "bytecode of Python 3.10" in report.message
    assert "no Python 3.10 on this machine" in report.message
    assert "install Python 3.10 with" in report.message
    assert not cache.exists()  # nothing was built


def test_a_cloudpickle_of_the_right_python_runs(
    live_files: LiveFiles, runtime_cache_dir: Path
) -> None:
    # A user's cloudpickle from 3.11 loads; it fails on its own assumption (no 'feature_a').
    report = run_pickle(
        DATA / "cloudpickle_py311.pkl",
        live_files.live,
        live_files.benchmark,
        cache_dir=runtime_cache_dir,
    ).report
    assert report.reason == "predict_failed" and "feature_a" in report.message
    assert report.stage == "predict" and report.load_seconds is not None


def test_a_pickle_that_needs_numerpilot_fails_to_load(
    live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "by_reference.pkl"
    path.write_bytes(pickle.dumps(build))  # a reference to numerpilot's module, not its code
    report = run_pickle(
        path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir
    ).report
    assert report.reason == "load_failed" and report.stage == "load"
    assert "No module named 'numerpilot'" in report.message


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lambda live, bench: None", "returned None"),
        ("lambda live: live['feature_amber']", "returned Series, not a DataFrame"),
        ("lambda live: live.iloc[:0, :1]", "returned 0 predictions"),
        ("lambda live: live[['target']]", "at least one NaN"),
        ("lambda live: live[['feature_amber']] * 10", "outside [0, 1]"),
        ("lambda a, b, c: None", "1 or 2 arguments, not 3"),
    ],
)
def test_invalid_outputs_are_refused_as_numerai_does(
    expression: str,
    message: str,
    expression_pickle: Callable[[str], Path],
    live_files: LiveFiles,
    runtime_cache_dir: Path,
) -> None:
    path = expression_pickle(expression)
    report = run_pickle(
        path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir, scanner=False
    ).report
    assert report.reason == "invalid_output" and message in report.message


SLEEP = "lambda live: __import__('time').sleep(60)"
GROW = "lambda live: len([b'x' * (50 << 20) for _ in range(8)])"
HUGE = "lambda live: len(b'x' * (8 << 30))"
SEGFAULT = "lambda live: __import__('ctypes').string_at(0)"
CONNECT = "lambda live: __import__('socket').create_connection(('127.0.0.1', 9))"
# A grandchild that outlives the pickle and holds stderr open must not stall the runner.
SPAWN = "lambda live: __import__('subprocess').Popen(['sleep', '60']) and None"


@pytest.mark.parametrize(
    ("expression", "limits", "reason", "message"),
    [
        (SLEEP, Limits(timeout_seconds=0.3), "timeout", "still running after 0.3 s"),
        (GROW, Limits(memory_bytes=450 << 20), "out_of_memory", "over the 0.4 GiB limit"),
        (HUGE, Limits(), "out_of_memory", "MemoryError"),
        (SEGFAULT, Limits(), "crashed", "SIGSEGV"),
        (CONNECT, Limits(), "predict_failed", "network access is disabled"),
        (SPAWN, Limits(timeout_seconds=20), "invalid_output", "returned None"),
    ],
)
def test_limits_and_crashes_are_reported(
    expression: str,
    limits: Limits,
    reason: str,
    message: str,
    expression_pickle: Callable[[str], Path],
    live_files: LiveFiles,
    runtime_cache_dir: Path,
) -> None:
    path = expression_pickle(expression)
    report = run_pickle(
        path,
        live_files.live,
        live_files.benchmark,
        limits=limits,
        cache_dir=runtime_cache_dir,
        scanner=False,
    ).report
    assert (report.ok, report.reason) == (False, reason), report.message
    assert message in report.message


def test_a_long_error_shows_its_first_lines_and_keeps_the_rest(
    expression_pickle: Callable[[str], Path], live_files: LiveFiles, runtime_cache_dir: Path
) -> None:
    # pandas' KeyError lists every missing column, escaped into one line by KeyError's repr.
    wanted = [f"feature_missing_{i}" for i in range(300)]
    path = expression_pickle(f"lambda live: live[{wanted!r}]")
    report = run_pickle(
        path, live_files.live, live_files.benchmark, cache_dir=runtime_cache_dir, scanner=False
    ).report

    assert report.reason == "predict_failed"
    lines = report.message.splitlines()
    assert lines[0].startswith("KeyError: ") and len(lines) <= 4
    assert all(len(line) <= 160 for line in lines) and "\\n" not in report.message
    assert "'detail' with --json" in lines[-1]
    assert "feature_missing_299" in report.detail and "\\n" not in report.detail
    assert report.detail.startswith("Traceback (most recent call last):")


def test_model_runner_is_the_seam_the_local_tournament_calls(
    tiny_model: PortableModel,
    expression_pickle: Callable[[str], Path],
    live_files: LiveFiles,
    runtime_cache_dir: Path,
    tmp_path: Path,
) -> None:
    runner = model_runner(cache_dir=runtime_cache_dir)
    good = write_portable_pickle(tiny_model, tmp_path / "model.pkl")
    predictions = runner(good, live_files.live, live_files.benchmark)
    assert isinstance(predictions, pd.DataFrame) and list(predictions.columns) == ["prediction"]
    assert predictions.index.name == "id" and len(predictions) == 60

    with pytest.raises(CheckFailed, match=r"failed \(invalid_output\)"):
        runner(expression_pickle("lambda live: None"), live_files.live, live_files.benchmark)
