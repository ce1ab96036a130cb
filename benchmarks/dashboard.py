"""The dashboard's weight, its time to first render in Chromium, and its server's memory.

A project whose ledger holds the browser test's simulated month (30 days of daily rounds,
two models: ``tests/report/month.py``). Then:

- the static copy ``numerpilot status`` writes (its size: the baseline the live page is put
  beside), and the validation report of a small synthetic run's shape for comparison;
- ``numerpilot dashboard --no-open`` started as a user starts it (its own process), the page
  fetched once for its weight, then opened ``--loads`` times in Debian's Chromium: first
  contentful paint and the load event, as the browser's Performance API reports them (the
  median counts);
- the server process's resident memory after those loads, beside the CLI's own (the
  baseline: an interpreter that imported ``numerpilot.cli`` and nothing else) and a bare
  interpreter's.

Run:  nice -n 10 .venv/bin/python benchmarks/dashboard.py   (needs /usr/bin/chromium)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the simulated month lives with the tests that use it

from tests.report.conftest import PROJECT_TOML  # noqa: E402
from tests.report.month import START, fill_month  # noqa: E402

from numerpilot.agent import Ledger, status  # noqa: E402
from numerpilot.clock import SteppedClock  # noqa: E402
from numerpilot.config import load_settings  # noqa: E402

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMINGS = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const nav = performance.getEntriesByType('navigation')[0];
  return [paint ? paint.startTime : NaN, nav.loadEventEnd];
}"""


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def child_kib(code: str) -> int:
    """VmHWM of a new interpreter after ``code`` (/proc, not getrusage: Linux carries
    ru_maxrss across exec from this big parent)."""
    status_file = "open('/proc/self/status').read()"
    probe = f"{code}; import re; print(re.search(r'VmHWM:\\s+(\\d+)', {status_file})[1])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return int(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="np-dash-"))
    (folder / "numerpilot.toml").write_text(PROJECT_TOML, encoding="utf-8")
    settings = load_settings(folder)
    clock = SteppedClock(START)
    with Ledger.open(settings, clock) as ledger:
        month = fill_month(ledger, clock)
    static = status(settings, clock).dashboard
    # The baseline page: one paragraph, served by the same server from the reports folder.
    (settings.reports_path / "tiny.html").write_text("<!doctype html><p>numerpilot</p>")
    server = subprocess.Popen(
        [sys.executable, "-m", "numerpilot", "-C", str(folder), "dashboard", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with urllib.request.urlopen(url, timeout=60) as response:
            page_bytes = len(response.read())
        paints: dict[str, list[float]] = {"dashboard": [], "tiny": []}
        loads: dict[str, list[float]] = {"dashboard": [], "tiny": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for _ in range(args.loads):
                # Alternating, so that the machine's load changes both sides alike.
                for name, address in (("tiny", url + "reports/tiny.html"), ("dashboard", url)):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    page.goto(address, wait_until="load")
                    # The first paint may come after the load event: wait for it.
                    page.wait_for_function(
                        "performance.getEntriesByName('first-contentful-paint').length > 0"
                    )
                    paint, load = page.evaluate(TIMINGS)
                    paints[name].append(paint)
                    loads[name].append(load)
                    page.close()
            browser.close()
        rss, peak = rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare = child_kib("pass")
    cli = child_kib("import numerpilot.cli")
    ledger_bytes = settings.ledger_path.stat().st_size
    static_bytes = static.stat().st_size
    print(f"ledger: {len(month.rounds)} rounds, 2 models ({ledger_bytes:,} bytes)")
    print(f"static copy (status)      {static_bytes:>9,} bytes  (baseline)")
    print(f"live page (GET /)         {page_bytes:>9,} bytes  {page_bytes / static_bytes:.2f}x")
    for name, label in (("dashboard", "dashboard"), ("tiny", "one-paragraph page")):
        fcp, done = paints[name], loads[name]
        print(
            f"{label:<19} first contentful paint {statistics.median(fcp):6.0f} ms "
            f"(median of {args.loads}; min {min(fcp):.0f}, max {max(fcp):.0f}), "
            f"load event {statistics.median(done):.0f} ms"
        )
    print(f"server RSS after loads    {rss / 1024:>9.1f} MiB  (peak {peak / 1024:.1f} MiB)")
    print(f"CLI imported, no server   {cli / 1024:>9.1f} MiB  (baseline)")
    print(f"bare interpreter          {bare / 1024:>9.1f} MiB")


if __name__ == "__main__":
    main()
