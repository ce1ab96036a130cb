"""``numerpilot demo`` end to end, as ``make demo`` runs it: wall time, its phases and peak RSS,
next to two baselines measured in the same run:

- the CLI's own start (``numerpilot --version``): the floor of any command;
- the demo's idle floor: the real time the paced clock spends waiting (simulated days divided
  by the speed), which no amount of faster code removes.

Goal: under 5 minutes on 2 cores.

    nice -n 10 .venv/bin/python benchmarks/demo.py [--project /tmp/numerpilot-demo-bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from numerpilot.clock import monotonic

NUMERPILOT = Path(sys.executable).with_name("numerpilot")


def timed(command: list[str]) -> tuple[float, str]:
    start = monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = monotonic() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("/tmp/numerpilot-demo-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.project, ignore_errors=True)

    startup, _ = timed([str(NUMERPILOT), "--version"])
    seconds, out = timed([str(NUMERPILOT), "--project", str(args.project), "demo", "--json"])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result = json.loads(out)
    from numerpilot.demo import SPEED

    idle = result["simulated_days"] * 86400 / SPEED
    print(f"demo wall time        {seconds:7.1f} s  (goal: under 300 s)")
    for phase, value in result["phases"].items():
        print(f"  {phase:<28} {value:7.1f} s")
    print(f"rounds, submissions   {result['rounds']}, {result['confirmed_submissions']}")
    print(f"peak RSS (largest process)  {peak / 2**20:.0f} MiB")
    print(f"baseline: CLI start   {startup:7.1f} s")
    days = result["simulated_days"]
    print(f"baseline: idle floor  {idle:7.1f} s  ({days:.1f} days at {SPEED:,.0f}x)")
    print(f"ratio wall / idle floor  {seconds / idle:.1f}x")


if __name__ == "__main__":
    main()
