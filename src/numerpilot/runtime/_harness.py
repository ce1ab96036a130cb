"""The child process of a pre-flight run: does what Numerai's runtime does with an upload.

Run as a script (``python -I _harness.py ARGS``) by the runtime environment's interpreter,
never imported by numerpilot, and free of numerpilot imports: ``-I`` keeps numerpilot off
``sys.path``, so a pickle that needs numerpilot fails here as it would on Numerai.

Steps as Numerai's ``predict.py``: limit itself (address space, one CPU, no network), load the
pickle with ``pd.read_pickle``, count the function's parameters (1 or 2), read the live (and
benchmark) parquet, call, check the output (a DataFrame, not empty, no NaN, first column within
[0, 1]), write it as CSV with its index. Progress goes to the report file (JSON) before every
step, so the parent knows where a crash happened; an exception exits with a traceback on
stderr, as Numerai's logs show it.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import time
from inspect import signature
from typing import Any, NoReturn

import pandas as pd

INVALID_OUTPUT_EXIT = 3


def _high_water_mark() -> int | None:
    """This process's peak resident memory since it started this program. Not ``ru_maxrss``:
    Linux carries that over from the process that forked and exec'd us (the caller, however
    large it had grown); the exec'd image's own count is VmHWM."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class _Report:
    def __init__(self, path: str):
        self.path = path
        self.data: dict[str, Any] = {
            "python": ".".join(str(v) for v in sys.version_info[:3]),
            "pandas": pd.__version__,
        }

    def stage(self, name: str, **values: Any) -> None:
        self.data.update(values, stage=name)
        self.data["hwm_bytes"] = _high_water_mark()
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.data, f)
        os.replace(tmp, self.path)


def _no_network(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise OSError("network access is disabled in the model runtime (as on Numerai)")


def _limit(address_space_bytes: int, cpu: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    socket.socket.connect = _no_network  # type: ignore[method-assign]
    socket.socket.connect_ex = _no_network  # type: ignore[method-assign]
    socket.getaddrinfo = _no_network


def _invalid(report: _Report, message: str) -> NoReturn:
    report.stage("check", error=message)
    sys.exit(INVALID_OUTPUT_EXIT)


def main(argv: list[str]) -> None:
    pickle_path, live_path, benchmark_path, out_path, report_path = argv[:5]
    address_space, cpu = int(argv[5]), int(argv[6])
    report = _Report(report_path)
    report.stage("limits")
    _limit(address_space, cpu)
    clock = time.perf_counter

    report.stage("load")
    started = clock()
    model = pd.read_pickle(pickle_path)
    report.stage("signature", load_seconds=clock() - started)
    n_args = len(signature(model).parameters)
    if n_args not in (1, 2):
        _invalid(report, f"the pickled function must take 1 or 2 arguments, not {n_args}")

    report.stage("read_data", args=n_args)
    live = pd.read_parquet(live_path)
    benchmark = pd.read_parquet(benchmark_path) if n_args == 2 else None

    report.stage("predict", rows_in=len(live))
    started = clock()
    predictions = model(live) if benchmark is None else model(live, benchmark)
    report.stage("check", predict_seconds=clock() - started)
    if predictions is None:
        _invalid(report, "the function returned None")
    if type(predictions) is not pd.DataFrame:
        _invalid(report, f"the function returned {type(predictions).__name__}, not a DataFrame")
    if len(predictions) == 0:
        _invalid(report, "the function returned 0 predictions")
    if predictions.isna().any().any():
        _invalid(report, "the function returned at least one NaN prediction")
    if not predictions.iloc[:, 0].between(0, 1).all():
        _invalid(report, "the function returned predictions outside [0, 1]")

    report.stage("write", rows=len(predictions))
    with open(out_path, "w", encoding="utf-8") as f:
        predictions.to_csv(f)
    report.stage("done")


if __name__ == "__main__":
    main(sys.argv[1:])
