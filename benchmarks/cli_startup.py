"""Start-up time of the CLI and the MCP round trip, beside Python's own start.

    python benchmarks/cli_startup.py [--runs N] [--before SRC]

``--before SRC`` also times the numerpilot commands with ``PYTHONPATH=SRC`` (an older source
tree, e.g. ``git archive main src | tar -x -C /tmp/before``, then ``--before /tmp/before/src``).

Each command runs N times in a fresh interpreter; CPU is the child's user+system time
(unaffected by other load, unlike wall time), reported as the median with the min and max.
``status --json`` runs twice: in an empty project (a fresh one: no ledger yet) and in one whose
ledger holds the browser test's simulated month (``tests/report/month.py``: 23 rounds, two
models), which is what it reads once the autopilot has run.
Baselines from the same run: ``python -c pass`` and ``python -c "import numerapi"``. Then the
MCP round trip with the SDK's stdio client: spawn ``numerpilot mcp``, initialize, list the tools,
call ``status``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the simulated month lives with the tests that use it

from tests.report.month import START, fill_month  # noqa: E402

from numerpilot.agent.ledger import Ledger  # noqa: E402
from numerpilot.clock import SteppedClock  # noqa: E402


def month_project(folder: Path) -> Path:
    """A project whose ledger holds a simulated month of two models."""
    clock = SteppedClock(START)
    with Ledger(folder / "numerpilot.db", clock) as ledger:
        fill_month(ledger, clock)
    return folder


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    command: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[list[float], list[float]]:
    """(cpu seconds, wall seconds) of each run."""
    cpu, wall = [], []
    for _ in range(runs):
        before, start = _child_cpu(), time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        wall.append(time.perf_counter() - start)
        cpu.append(_child_cpu() - before)
    return cpu, wall


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):6.3f} s ({min(values):.3f}-{max(values):.3f})"


async def mcp_round_trip(project: Path) -> dict[str, float]:
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "HOME": os.environ["HOME"]}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "numerpilot", "-C", str(project), "mcp"], env=env
    )
    times: dict[str, float] = {}
    start = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await client.initialize()
        times["spawn + initialize"] = time.perf_counter() - start
        mark = time.perf_counter()
        tools = await client.list_tools()
        times["list tools"] = time.perf_counter() - mark
        mark = time.perf_counter()
        result = await client.call_tool("status", {})
        times["call status"] = time.perf_counter() - mark
        assert result.structured_content and result.structured_content["kind"] == "status"
        assert len(tools.tools) >= 12
    times["total"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", type=Path, help="an older numerpilot source tree to compare")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as other:
        project = Path(folder)
        month = month_project(Path(other))
        np = [python, "-m", "numerpilot", "-C", str(project)]
        np_month = [python, "-m", "numerpilot", "-C", str(month)]
        commands = {
            "python -c pass": [python, "-c", "pass"],
            'python -c "import numerapi"': [python, "-c", "import numerapi"],
            "numerpilot --version": [python, "-m", "numerpilot", "--version"],
            "numerpilot --help": [python, "-m", "numerpilot", "--help"],
            "numerpilot status --json": [*np, "status", "--json"],
            "  with a month's ledger": [*np_month, "status", "--json"],
            "numerpilot models --json": [*np, "models", "--json"],
        }
        print(f"{'command':32} {'CPU median (min-max)':>26} {'wall median (min-max)':>26}")
        baseline = None
        for name, command in commands.items():
            cpu, wall = measure(command, args.runs)
            baseline = baseline or statistics.median(cpu)
            ratio = statistics.median(cpu) / baseline
            print(f"{name:32} {_fmt(cpu):>26} {_fmt(wall):>26}  {ratio:5.0f}x pass")
            if args.before is not None and ("numerpilot" in name or "ledger" in name):
                env = {**os.environ, "PYTHONPATH": str(args.before)}
                cpu, wall = measure(command, args.runs, env)
                ratio = statistics.median(cpu) / baseline
                print(f"{'  before':32} {_fmt(cpu):>26} {_fmt(wall):>26}  {ratio:5.0f}x pass")
        print(f"\nMCP round trip (SDK stdio client, {args.runs} runs, wall):")
        trips = [anyio.run(mcp_round_trip, project) for _ in range(args.runs)]
        for step in trips[0]:
            print(f"  {step:20} {_fmt([t[step] for t in trips])}")


if __name__ == "__main__":
    main()
