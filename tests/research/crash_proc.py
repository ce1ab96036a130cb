"""An experiment in a separate process that kills itself with SIGKILL mid-run.

Usage: python -m tests.research.crash_proc PROJECT NAME KILL_AFTER
The store is the real ledger; once KILL_AFTER trials are recorded, the process sends itself
SIGKILL from inside the next record: no cleanup, no atexit, other trials still in flight.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from numerpilot.agent import Ledger, ResearchLedger
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.research.plan import plan_experiment
from numerpilot.research.runner import run_experiment
from numerpilot.research.store import TrialRecord


class KillingStore(ResearchLedger):
    def __init__(self, ledger: Ledger, kill_after: int):
        super().__init__(ledger)
        self.left = kill_after

    def record_trial(self, record: TrialRecord) -> None:
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        super().record_trial(record)
        self.left -= 1


def main(argv: list[str]) -> int:
    project, name, kill_after = Path(argv[0]), argv[1], int(argv[2])
    settings = load_settings(project)
    ledger = Ledger(settings.ledger_path, SteppedClock(datetime(2026, 3, 3, tzinfo=UTC)))
    plan = plan_experiment(settings, name, workers=2)
    run_experiment(settings, plan, KillingStore(ledger, kill_after), processes=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
