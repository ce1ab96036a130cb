"""The agent as a separate process, for the kill -9 test: one pass at a given sim time.

Usage: python -m tests.agent.worker_proc PROJECT URL NOW_ISO PUBLIC_ID SECRET_KEY
The sim's clock lives in the test process; this process starts its own stepped clock at the
sim's time (its retries' back-off only moves its own clock).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path

from numerpilot.clock import SteppedClock
from tests.agent.worker_sim import build_worker, project_settings


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    project, url, now, public_id, secret_key = argv
    clock = SteppedClock(datetime.fromisoformat(now))
    settings = project_settings(Path(project), url)
    worker, ledger = build_worker(settings, clock, (public_id, secret_key), runtime_cache=None)
    try:
        report = worker.run_once()
    finally:
        ledger.close()
    print(json.dumps({"outcomes": {k: v.value for k, v in report.outcomes.items()}}))
    return int(report.exit_code())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
