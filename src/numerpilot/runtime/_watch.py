"""Watching a pre-flight child: limits enforced while it runs, and its own peak memory.

The peak is the child's, never its caller's: the kernel's ``ru_maxrss`` of a child (from
``wait4`` or ``RUSAGE_CHILDREN``) starts from the peak of the process that forked it, so a
caller that had grown to 4.5 GiB (training, then building and pre-flighting the pickle in one
``numerpilot run``) would see 4.5 GiB for a pickle that uses 0.2. The exec'd program's own
high-water mark (``VmHWM`` in ``/proc/PID/status``) starts at zero, is read while the child runs
(it only grows, so a late read still sees an early spike) and is reported by the harness at
each step; descendants it starts are added by their resident size.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil

from numerpilot import clock

_POLL_SECONDS = 0.05
_MAXRSS_IN_BYTES = os.uname().sysname == "Darwin"  # Linux counts ru_maxrss in KiB


@dataclass(frozen=True)
class Exit:
    returncode: int
    peak_rss_bytes: int
    cpu_seconds: float
    stderr: str
    hit: str | None  # the limit that stopped the child, if one did


def high_water_mark(pid: int) -> int | None:
    """Peak resident bytes of ``pid``'s program (``VmHWM``), None where unavailable (not
    Linux, or the process has exited)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def _exited(proc: psutil.Process) -> bool:
    try:
        return bool(proc.status() == psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return True


def _tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of the child and its descendants now."""
    try:
        total: int = proc.memory_info().rss
        for child in proc.children(recursive=True):
            total += child.memory_info().rss
    except psutil.Error:
        return 0
    return total


def watch(popen: subprocess.Popen[bytes], memory_bytes: int, timeout_seconds: float) -> Exit:
    """Wait for the child while enforcing the limits (resident memory of its process tree,
    wall time); return how it ended and its own peak memory and CPU time."""
    assert popen.stderr is not None
    started = clock.monotonic()
    peak, hwm_seen, hit, chunks = 0, False, None, []
    try:
        watched: psutil.Process | None = psutil.Process(popen.pid)
    except psutil.Error:  # already gone
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
            hwm = high_water_mark(popen.pid)
            hwm_seen = hwm_seen or hwm is not None
            peak = max(peak, _tree_rss(watched), hwm or 0)
            if _exited(watched):  # a grandchild may keep stderr open: do not wait for EOF
                break
        if peak > memory_bytes:
            hit = "memory"
        elif clock.monotonic() - started > timeout_seconds:
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
    if not hwm_seen:  # no /proc (macOS): the kernel's count, which may include the caller's
        peak = max(peak, int(usage.ru_maxrss) * (1 if _MAXRSS_IN_BYTES else 1024))
    if hit is None and peak > memory_bytes:
        hit = "memory"
    return Exit(
        returncode=popen.returncode,
        peak_rss_bytes=peak,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        stderr=b"".join(chunks).decode("utf-8", "replace"),
        hit=hit,
    )


def child_env() -> dict[str, str]:
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


def one_cpu() -> int:
    try:
        return min(os.sched_getaffinity(0))
    except AttributeError:
        return -1


__all__ = ["Exit", "child_env", "high_water_mark", "one_cpu", "watch"]
