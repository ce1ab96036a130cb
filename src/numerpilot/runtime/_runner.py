"""Pre-flight: run a model pickle as Numerai's runtime does, under its limits, and report.

The pickle runs in a child process of the image's pinned environment (``_envs.py``) through
``_harness.py``: one CPU, a memory limit (4 GB), a timeout (10 minutes), no network. Before it
runs, the pickle is scanned: bytecode of a Python other than the image's is reported with the
version it needs instead of being run into a crash, and the image's own fickling rates it (an
OVERTLY_MALICIOUS rating fails the pre-flight unless allowed). The same runner is what the
local tournament uses to turn an uploaded pickle into a submission at every round open.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from numerpilot import clock
from numerpilot.errors import CheckFailed
from numerpilot.runtime._envs import RuntimeEnv, emulation_problem, ensure_env
from numerpilot.runtime._failures import classify_failure
from numerpilot.runtime._images import (
    DEFAULT_IMAGE,
    RuntimeImage,
    get_image,
    image_for_python,
    image_name,
)
from numerpilot.runtime._inspect_pickle import PickleScan, scan_pickle_file
from numerpilot.runtime._verdict import ScannerVerdict, rate_pickle
from numerpilot.runtime._watch import child_env, one_cpu, watch

log = logging.getLogger(__name__)

HARNESS = Path(__file__).with_name("_harness.py")
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


class PreflightFailed(CheckFailed):
    """A pre-flight that failed; carries its report, so a caller can show all of it."""

    def __init__(self, report: PreflightReport):
        first = report.message.splitlines()[0] if report.message else ""
        super().__init__(f"pre-flight of {report.pickle} failed ({report.reason}): {first}")
        self.report = report


@dataclass
class PreflightReport:
    """What a pre-flight run found. ``reason`` is a stable code when ``ok`` is false."""

    ok: bool
    pickle: str
    image: str
    reason: str = ""
    message: str = ""  # a few lines for people
    detail: str = ""  # the whole text behind the message (a traceback's last exception...)
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
    scanner: ScannerVerdict | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def raise_for_failure(self) -> None:
        if not self.ok:
            raise PreflightFailed(self)


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
    """Why the pickle cannot run on ``image``, or None."""
    if not scan.has_bytecode or image.python in scan.candidates:
        return None
    if not scan.candidates:
        return (
            f"it holds {scan.describe()}, which may crash on Python {image.python_text}; "
            f"rebuild it for {image.name} (numerpilot upload-model --python {image.python_text})"
        )
    built = "/".join(f"{a}.{b}" for a, b in scan.candidates)
    need = scan.candidates[-1] if scan.python is None else scan.python
    return (
        f"it was built with Python {built} (cloudpickled bytecode); the {image.name} image runs "
        f"Python {image.python_text}, which loads it and then crashes when it runs. "
        f"Upload it with image {image_name(need)}, or rebuild it for Python "
        f"{image.python_text} (numerpilot upload-model --python {image.python_text})"
    )


def run_pickle(
    pickle_path: Path,
    live_path: Path,
    benchmark_path: Path,
    *,
    image: str | None = None,
    limits: Limits | None = None,
    cache_dir: Path | None = None,
    on_build: Callable[[str], None] | None = None,
    scanner: bool = True,
    allow_flagged: bool = False,
) -> PreflightResult:
    """Run ``pickle_path`` as Numerai does and report; never raises for a failing pickle
    (the report says why), only for a missing file or an environment that cannot be built.
    With ``scanner`` the image's fickling rates it first; an OVERTLY_MALICIOUS rating fails
    the pre-flight (after the run, so its other findings are known) unless ``allow_flagged``."""
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
    if scanner:
        report.scanner = rate_pickle(env, pickle_path)
    with tempfile.TemporaryDirectory(prefix="numerpilot-preflight-") as work:
        result = _run_child(env, pickle_path, live_path, benchmark_path, Path(work), limits, report)
    verdict = report.scanner
    if verdict is not None and verdict.blocks and report.ok and not allow_flagged:
        report.ok, report.reason, report.stage = False, "flagged_by_scanner", "scan"
        report.message = (
            f"the {chosen.name} image's scanner ({verdict.describe()}) rates this pickle as "
            "malicious, and an upload it flags risks being refused; build it as numerpilot "
            "does by default (a cloudpickle for the image), or allow it (--allow-flagged)"
        )
        report.detail = "\n".join(verdict.findings)
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
    cpu = one_cpu() if limits.cpus == 1 else -1
    command = [
        str(env.python), "-I", str(HARNESS),
        str(pickle_path.resolve()), str(live_path.resolve()), str(benchmark_path.resolve()),
        str(out_csv), str(report_json), str(address_space), str(cpu),
    ]  # fmt: skip
    started = clock.monotonic()
    popen = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        cwd=work, env=child_env(), start_new_session=True,
    )  # fmt: skip
    done = watch(popen, limits.memory_bytes, limits.timeout_seconds)
    report.wall_seconds = clock.monotonic() - started
    report.cpu_seconds = done.cpu_seconds
    try:
        harness = json.loads(report_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        harness = {}
    # The harness's own count at its last step catches growth after the last poll.
    report.peak_rss_bytes = peak = max(done.peak_rss_bytes, int(harness.get("hwm_bytes") or 0))
    report.stage = str(harness.get("stage", "start"))
    report.python = str(harness.get("python", env.image.python_text))
    report.load_seconds = harness.get("load_seconds")
    report.predict_seconds = harness.get("predict_seconds")
    report.args = int(harness.get("args", 0))
    report.rows = int(harness.get("rows", 0))
    if done.hit is None and peak > limits.memory_bytes:
        done = replace(done, hit="memory")
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
        report.reason, report.message, report.detail = classify_failure(
            done.returncode, report.stage, done.stderr, harness
        )
        if report.reason == "crashed" and report.bytecode.startswith("bytecode"):
            report.message += (
                f"; it holds {report.bytecode}, and a pickle built with another Python than "
                f"the image's {env.image.python_text} crashes like this"
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
        # Numerai's runtime runs what it was given: no scanner at run time.
        result = run_pickle(
            pickle_path,
            live_path,
            benchmark_path,
            image=image,
            limits=limits,
            cache_dir=cache_dir,
            scanner=False,
        )
        result.report.raise_for_failure()
        assert result.predictions is not None
        return result.predictions

    return run


__all__ = [
    "HARNESS",
    "Limits",
    "PreflightFailed",
    "PreflightReport",
    "PreflightResult",
    "ScannerVerdict",
    "choose_image",
    "model_runner",
    "run_pickle",
]
