"""Pre-flight: run a model pickle as Numerai's runtime does, under its limits, and report.

The pickle runs in a child process of the image's pinned environment (``envs.py``) through
``harness.py``: one CPU, a memory limit (4 GB), a timeout (10 minutes), no network. Before it
runs, the pickle is scanned: bytecode of a Python other than the image's is reported with the
version it needs instead of being run into a crash. The same runner is what the local
tournament uses to turn an uploaded pickle into a submission at every round open.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from numerpilot import clock
from numerpilot.errors import CheckFailed
from numerpilot.runtime.envs import RuntimeEnv, emulation_problem, ensure_env
from numerpilot.runtime.images import (
    DEFAULT_IMAGE,
    RuntimeImage,
    get_image,
    image_for_python,
    image_name,
)
from numerpilot.runtime.inspect_pickle import PickleScan, scan_pickle_file

log = logging.getLogger(__name__)

HARNESS = Path(__file__).with_name("harness.py")
_INVALID_OUTPUT_EXIT = 3  # harness.INVALID_OUTPUT_EXIT (the harness is never imported)
_POLL_SECONDS = 0.05
# Numerai limits resident memory (a cgroup); an address-space limit is the only hard stop a
# plain process has, and libraries reserve far more address space than they touch (thread
# arenas, stacks). So the child gets this much address space above the memory limit, and the
# memory limit itself is enforced on resident memory: polled, and checked exactly at exit.
_ADDRESS_HEADROOM_BYTES = 2 << 30


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 << 30
    timeout_seconds: float = 600.0
    cpus: int = 1


@dataclass
class PreflightReport:
    """What a pre-flight run found. ``reason`` is a stable code when ``ok`` is false."""

    ok: bool
    pickle: str
    image: str
    reason: str = ""
    message: str = ""
    stage: str = ""
    python: str = ""
    bytecode: str = ""
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system time of the child: unaffected by other load
    load_seconds: float | None = None
    predict_seconds: float | None = None
    peak_rss_bytes: int = 0
    rows: int = 0
    args: int = 0
    limits: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def raise_for_failure(self) -> None:
        if not self.ok:
            raise CheckFailed(f"pre-flight of {self.pickle} failed ({self.reason}): {self.message}")


@dataclass
class PreflightResult:
    report: PreflightReport
    predictions: pd.DataFrame | None = None


def choose_image(scan: PickleScan, requested: str | None) -> RuntimeImage:
    """The image to run in: the requested one, else the one the pickle's bytecode needs, else
    the default."""
    if requested is not None:
        return get_image(requested)
    if scan.python is not None:
        image = image_for_python(scan.python)
        if image is not None:
            return image
    return get_image(DEFAULT_IMAGE)


def _foreign(scan: PickleScan, image: RuntimeImage) -> str | None:
    """Why the pickle cannot load on ``image``, or None."""
    if not scan.has_bytecode or image.python in scan.candidates:
        return None
    if not scan.candidates:
        return (
            f"it holds {scan.describe()}, which may not load on Python {image.python_text}; "
            "rebuild it without pickled code (numerpilot upload-model does)"
        )
    need = scan.candidates[-1] if scan.python is None else scan.python
    return (
        f"it was built with Python {'/'.join(f'{a}.{b}' for a, b in scan.candidates)} "
        f"(cloudpickled bytecode), which does not load on {image.name}; "
        f"use image {image_name(need)} or rebuild it with numerpilot upload-model"
    )


def _tail(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _classify_failure(
    returncode: int, stage: str, stderr: str, harness: dict[str, Any]
) -> tuple[str, str]:
    last = _tail(stderr)
    if returncode == _INVALID_OUTPUT_EXIT:
        return "invalid_output", str(harness.get("error", last))
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return (
            "crashed",
            f"the process died of {name} during '{stage}' (e.g. a library/version mismatch)",
        )
    if "MemoryError" in last:
        return "out_of_memory", f"ran out of the address-space limit during '{stage}': {last}"
    if stage in ("load", "signature"):
        return "load_failed", f"pd.read_pickle / signature failed: {last}"
    if stage == "predict":
        return "predict_failed", last
    return "runtime_error", f"during '{stage}': {last}"


def _exited(proc: psutil.Process) -> bool:
    try:
        return bool(proc.status() == psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return True


def _tree_rss(proc: psutil.Process) -> int:
    try:
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            total += child.memory_info().rss
    except psutil.Error:
        return 0
    return total


@dataclass(frozen=True)
class _Exit:
    returncode: int
    peak_rss_bytes: int
    cpu_seconds: float
    stderr: str
    hit: str | None  # the limit that stopped the child, if one did


def _watch(popen: subprocess.Popen[bytes], limits: Limits) -> _Exit:
    """Wait for the child while enforcing the limits. The exact peak RSS and CPU time come
    from the kernel via ``wait4``."""
    assert popen.stderr is not None
    started = clock.monotonic()
    peak, hit, chunks = 0, None, []
    try:
        watched: psutil.Process | None = psutil.Process(popen.pid)
    except psutil.Error:  # already gone: wait4 below still has its peak
        watched = None
    fd = popen.stderr.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], _POLL_SECONDS)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:  # EOF: the child has exited (or closed stderr; wait4 tells)
                break
            chunks.append(chunk)
        if watched is not None:
            peak = max(peak, _tree_rss(watched))
            if _exited(watched):  # a grandchild may keep stderr open: do not wait for EOF
                break
        if peak > limits.memory_bytes:
            hit = "memory"
        elif clock.monotonic() - started > limits.timeout_seconds:
            hit = "timeout"
        if hit:
            os.killpg(popen.pid, signal.SIGKILL)  # the child leads its own process group
            break
    _, status, usage = os.wait4(popen.pid, 0)
    popen.returncode = os.waitstatus_to_exitcode(status)
    with contextlib.suppress(ProcessLookupError):  # as a torn-down container: nothing outlives it
        os.killpg(popen.pid, signal.SIGKILL)
    while select.select([fd], [], [], 0)[0]:  # what is left of the traceback
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    popen.stderr.close()
    peak = max(peak, int(usage.ru_maxrss) * 1024)
    if hit is None and peak > limits.memory_bytes:
        hit = "memory"
    return _Exit(
        returncode=popen.returncode,
        peak_rss_bytes=peak,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        stderr=b"".join(chunks).decode("utf-8", "replace"),
        hit=hit,
    )


def _child_env() -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    # One CPU: libraries size their thread pools from these.
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMEXPR_MAX_THREADS",
    ):
        env[name] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def _one_cpu() -> int:
    try:
        return min(os.sched_getaffinity(0))
    except AttributeError:
        return -1


def run_pickle(
    pickle_path: Path,
    live_path: Path,
    benchmark_path: Path,
    *,
    image: str | None = None,
    limits: Limits | None = None,
    cache_dir: Path | None = None,
    on_build: Callable[[str], None] | None = None,
) -> PreflightResult:
    """Run ``pickle_path`` as Numerai does and report; never raises for a failing pickle
    (the report says why), only for a missing file or an environment that cannot be built."""
    limits = limits or Limits()
    scan = scan_pickle_file(pickle_path)
    chosen = choose_image(scan, image)
    report = PreflightReport(
        ok=False,
        pickle=str(pickle_path),
        image=chosen.name,
        python=chosen.python_text,
        bytecode=scan.describe(),
        limits={
            "memory_bytes": limits.memory_bytes,
            "timeout_seconds": limits.timeout_seconds,
            "cpus": limits.cpus,
        },
    )
    foreign = _foreign(scan, chosen)
    if foreign is not None:
        report.reason, report.message, report.stage = "foreign_bytecode", foreign, "scan"
        return PreflightResult(report)
    for path in (live_path, benchmark_path):
        if not path.exists():
            raise CheckFailed(f"pre-flight needs {path}, which does not exist")
    problem = emulation_problem(chosen)
    if problem is not None:
        needs = f"it needs {chosen.name} ({scan.describe()}); " if scan.has_bytecode else ""
        report.reason, report.message, report.stage = "image_unavailable", needs + problem, "scan"
        return PreflightResult(report)
    env = ensure_env(chosen, cache_dir, on_build=on_build)
    with tempfile.TemporaryDirectory(prefix="numerpilot-preflight-") as work:
        result = _run_child(env, pickle_path, live_path, benchmark_path, Path(work), limits, report)
    return result


def _run_child(
    env: RuntimeEnv,
    pickle_path: Path,
    live_path: Path,
    benchmark_path: Path,
    work: Path,
    limits: Limits,
    report: PreflightReport,
) -> PreflightResult:
    out_csv, report_json = work / "predictions.csv", work / "report.json"
    address_space = limits.memory_bytes + _ADDRESS_HEADROOM_BYTES
    cpu = _one_cpu() if limits.cpus == 1 else -1
    command = [
        str(env.python), "-I", str(HARNESS),
        str(pickle_path.resolve()), str(live_path.resolve()), str(benchmark_path.resolve()),
        str(out_csv), str(report_json), str(address_space), str(cpu),
    ]  # fmt: skip
    started = clock.monotonic()
    popen = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        cwd=work, env=_child_env(), start_new_session=True,
    )  # fmt: skip
    done = _watch(popen, limits)
    report.wall_seconds = clock.monotonic() - started
    report.cpu_seconds = done.cpu_seconds
    report.peak_rss_bytes = peak = done.peak_rss_bytes
    try:
        harness = json.loads(report_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        harness = {}
    report.stage = str(harness.get("stage", "start"))
    report.python = str(harness.get("python", env.image.python_text))
    report.load_seconds = harness.get("load_seconds")
    report.predict_seconds = harness.get("predict_seconds")
    report.args = int(harness.get("args", 0))
    report.rows = int(harness.get("rows", 0))
    if done.hit == "memory":
        report.reason = "out_of_memory"
        report.message = (
            f"resident memory reached {peak / 2**30:.2f} GiB during '{report.stage}', over the "
            f"{limits.memory_bytes / 2**30:.1f} GiB limit"
        )
    elif done.hit == "timeout":
        report.reason = "timeout"
        report.message = (
            f"still running after {limits.timeout_seconds:g} s (during '{report.stage}')"
        )
    elif done.returncode != 0:
        report.reason, report.message = _classify_failure(
            done.returncode, report.stage, done.stderr, harness
        )
    if report.reason:
        log.info("pre-flight failed: %s: %s", report.reason, report.message)
        return PreflightResult(report)
    # round_trip: pandas' fast float parser may be one ulp off what to_csv wrote.
    predictions = pd.read_csv(out_csv, index_col=0, float_precision="round_trip")
    report.ok = True
    report.message = f"{report.rows} predictions in {report.wall_seconds:.1f} s"
    return PreflightResult(report, predictions)


def model_runner(
    *,
    image: str | None = None,
    limits: Limits | None = None,
    cache_dir: Path | None = None,
) -> Callable[[Path, Path, Path], pd.DataFrame]:
    """The local tournament's seam: ``(pickle, live parquet, benchmark parquet) -> predictions``
    (index ``id``, column ``prediction``), raising ``CheckFailed`` when the run fails."""

    def run(pickle_path: Path, live_path: Path, benchmark_path: Path) -> pd.DataFrame:
        result = run_pickle(
            pickle_path, live_path, benchmark_path, image=image, limits=limits, cache_dir=cache_dir
        )
        result.report.raise_for_failure()
        assert result.predictions is not None
        return result.predictions

    return run


__all__ = [
    "HARNESS",
    "Limits",
    "PreflightReport",
    "PreflightResult",
    "choose_image",
    "model_runner",
    "run_pickle",
]
