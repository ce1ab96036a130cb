"""kill -9 in the middle of a submission: the restarted agent neither duplicates nor loses it.

A child process records the round and an intent (and, in one case, the server's id), says so,
and then blocks as if uploading until it is killed with SIGKILL. The test then plays the
restarted worker: reconcile against the server's records, then submit if still needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from numerpilot.agent.ledger import Ledger
from numerpilot.clock import SteppedClock

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from numerpilot.agent.ledger import Ledger
    from numerpilot.clock import SteppedClock
    from tests.agent.conftest import START

    path, stage = sys.argv[1], sys.argv[2]
    clock = SteppedClock(START)
    ledger = Ledger(path, clock)
    ledger.record_round(1000, START, START + timedelta(hours=1))
    intent = ledger.begin_submission(1000, "m1", "sha-of-file").submission
    if stage == "confirmed":
        ledger.confirm_submission(intent.id, "srv-1")
    print(intent.id, flush=True)
    sys.stdin.read()  # "uploading": blocks until the test kills this process
    """
)


def _run_and_kill(path: Path, stage: str) -> int:
    root = Path(__file__).resolve().parents[2]
    # The tests' root, and whatever path finds numerpilot here (an install, or src/).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), stage],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env=env,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    child.kill()  # SIGKILL: no cleanup, no atexit, no rollback in Python
    child.wait(timeout=30)
    child.stdout.close()
    assert child.stdin is not None
    child.stdin.close()
    assert child.returncode == -signal.SIGKILL
    assert line.strip().isdigit(), f"the child did not record an intent: {line!r}"
    return int(line)


def _restart_and_submit(ledger: Ledger, server: dict[tuple[int, str], str]) -> None:
    """What the restarted worker does for round 1000, model m1."""
    ledger.reconcile_pending(lambda s: server.get((s.round_number, s.model)))
    start = ledger.begin_submission(1000, "m1", "sha-of-file")
    if start.created:
        server_id = f"srv-{len(server) + 1}"
        server[(1000, "m1")] = server_id
        ledger.confirm_submission(start.submission.id, server_id)


@pytest.mark.parametrize(
    ("stage", "server_had_it", "expected_id"),
    [
        ("intent", True, "srv-1"),  # killed after the upload, before recording the id
        ("intent", False, "srv-1"),  # killed during the upload: it never arrived
        ("confirmed", True, "srv-1"),  # killed after recording everything
    ],
)
def test_kill_9_mid_submission_leaves_exactly_one_submission(
    ledger_path: Path, clock: SteppedClock, stage: str, server_had_it: bool, expected_id: str
) -> None:
    intent_id = _run_and_kill(ledger_path, stage)
    server = {(1000, "m1"): "srv-1"} if server_had_it else {}

    with Ledger(ledger_path, clock) as ledger:
        pending = ledger.pending_submissions()
        assert [s.id for s in pending] == ([intent_id] if stage == "intent" else [])
        _restart_and_submit(ledger, server)
        _restart_and_submit(ledger, server)  # a second restart changes nothing

        live = ledger.submission_for(1000, "m1")
        assert live is not None
        assert (live.status, live.server_id) == ("confirmed", expected_id)
        assert server == {(1000, "m1"): expected_id}  # the server got exactly one
        statuses = sorted(s.status for s in ledger.submissions())
        assert statuses == (["confirmed", "failed"] if not server_had_it else ["confirmed"])
