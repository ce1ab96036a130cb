"""Acceptance: a simulated month with faults, and a kill -9 of the agent in a round.

The local tournament runs in this process on a stepped clock with fault injection on: 5xx
answers, requests that hang past the client's timeout, create_submission calls the server
carries out but answers only after the client's timeout, uploads acknowledged but never
recorded, truncated downloads, and a round that opens 90 minutes late. The worker (in this
process, sharing the sim's clock) trains a first model, uploads a pickle for the upload-mode
model, and takes part in every round. In the middle of round ``KILLED``, the agent runs as a
separate process and is killed with SIGKILL while its upload hangs; a new worker takes over.

Then, from the server's own store: every round has exactly one valid, on-time submission per
model; the ledger names exactly those submissions, and the scores the server resolved; and no
stake request went beyond the policy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from numerpilot.agent.ledger import Ledger
from numerpilot.clock import SteppedClock
from numerpilot.sim import (
    CORR_NAME,
    DEFAULT_START,
    CalendarConfig,
    DataConfig,
    Decision,
    EndpointFaults,
    FaultConfig,
    Faults,
    Model,
    Payout,
    Rejection,
    Round,
    RunningSim,
    Score,
    SimConfig,
    StakeRequest,
    Submission,
    Upload,
    parse_submission,
    run_sim,
)
from tests.agent.worker_sim import (
    SharedClock,
    build_worker,
    project_settings,
    run_pickle_in_process,
    write_project,
)

START = DEFAULT_START  # Tuesday 12:15 UTC: round 1190 is open until 13:00
END = START + timedelta(days=30)
LATE = 1195  # opens 90 minutes late
KILLED = 1200  # the agent is killed with SIGKILL in the middle of this round
MODELS = ("demo_csv", "demo_upload")

FAULTS = FaultConfig(
    seed=11,
    endpoints={
        "graphql": EndpointFaults(error_rate=0.04),
        "rounds": EndpointFaults(error_rate=0.05, hang_rate=0.02, hang_seconds=4.0),
        # slow: applied, answered after 4 s real time, beyond the client's 3 s timeout
        "create_submission": EndpointFaults(
            error_rate=0.1,
            hang_rate=0.1,
            hang_seconds=4.0,
            drop_rate=0.15,
            slow_rate=0.25,
            slow_seconds=4.0,
        ),
        "upload": EndpointFaults(error_rate=0.05, drop_rate=0.1),
    },
    late_rounds={LATE: 5400},
)


class CountingFaults(Faults):
    """The month's faults, counting the creates the server applied but answered too late."""

    def __init__(self, config: FaultConfig):
        super().__init__(config)
        self.slow_creates = 0

    def decide(self, name: str) -> Decision:
        decision = super().decide(name)
        if name == "create_submission" and decision.slow_seconds is not None:
            self.slow_creates += 1
        return decision


class HangAtUpload(Faults):
    """Every create_submission hangs (longer than the client waits); says when one arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = threading.Event()

    def decide(self, name: str) -> Decision:
        if name != "create_submission":
            return Decision()
        self.reached.set()
        return Decision(hang_seconds=5.0)


def kill_agent_mid_upload(sim: RunningSim, project: Path) -> None:
    """Run the agent in its own process at the sim's time; SIGKILL it while it uploads."""
    normal, hanging = sim.server.faults, HangAtUpload()
    sim.server.faults = hanging
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.agent.worker_proc",
            str(project),
            sim.url,
            sim.clock.now().isoformat(),
            sim.demo.public_id,
            sim.demo.secret_key,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=root,
        # The tests' root, and whatever path finds numerpilot here (an install, or src/).
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        },
    )
    try:
        arrived = hanging.reached.wait(timeout=120)
    finally:
        child.kill()  # SIGKILL: no cleanup, no atexit, no rollback
        _, stderr = child.communicate(timeout=60)
        sim.server.faults = normal
    assert arrived, f"the agent never uploaded: {stderr.decode()[-2000:]}"
    assert child.returncode == -signal.SIGKILL


def server_records(sim: RunningSim) -> tuple[dict[int, Round], list[tuple[str, Submission]]]:
    with sim.server.store.session() as s:
        names = {m.id: m.name for m in s.scalars(select(Model))}
        rounds = {r.number: r for r in s.scalars(select(Round))}
        subs = [(names[sub.model_id], sub) for sub in s.scalars(select(Submission))]
    return rounds, subs


def final_corr(sim: RunningSim, submission_id: str) -> float | None:
    with sim.server.store.session() as s:
        rows = s.scalars(
            select(Score).where(
                Score.submission_id == submission_id,
                Score.display_name == CORR_NAME,
                Score.resolved.is_(True),
            )
        ).all()
        return max(rows, key=lambda r: r.day).value if rows else None


def server_payouts(sim: RunningSim) -> list[Payout]:
    with sim.server.store.session() as s:
        return list(s.scalars(select(Payout)))


def server_stake_requests(sim: RunningSim) -> list[tuple[str, StakeRequest]]:
    with sim.server.store.session() as s:
        names = {m.id: m.name for m in s.scalars(select(Model))}
        return [(names[r.model_id], r) for r in s.scalars(select(StakeRequest))]


@pytest.mark.slow
def test_a_month_with_faults_and_a_kill_9(
    tmp_path: Path, demo_data_dir: Path, runtime_cache_dir: Path
) -> None:
    project = write_project(tmp_path / "project")
    config = SimConfig(
        data=DataConfig(live_rows=200),
        # Scored over 3 days from the day after the close, so rounds resolve within the month
        # and the stake policy has resolved scores to act on.
        calendar=CalendarConfig(score_delay_days=1, score_days=3),
    )
    with run_sim(
        tmp_path / "sim" / "sim.db",
        clock=SteppedClock(START),
        config=config,
        faults=FAULTS,
        model_runner=run_pickle_in_process,
        datasets_dir=demo_data_dir,
    ) as sim:
        counting = CountingFaults(FAULTS)
        sim.server.faults = counting
        clock = SharedClock(sim)
        settings = project_settings(project, sim.url)
        keys = (sim.demo.public_id, sim.demo.secret_key)

        worker, ledger = build_worker(settings, clock, keys, runtime_cache=runtime_cache_dir)
        killed_open = sim.server.world.times(KILLED).open_time
        worker.run(until=killed_open - timedelta(hours=1))
        ledger.close()

        sim.step(killed_open + timedelta(minutes=2) - sim.clock.now())
        kill_agent_mid_upload(sim, project)
        with Ledger(settings.ledger_path, clock) as after_kill:
            (pending,) = after_kill.pending_submissions()
            assert (pending.round_number, pending.model) == (KILLED, "demo_csv")

        worker, ledger = build_worker(settings, clock, keys, runtime_cache=runtime_cache_dir)
        worker.run(until=END)
        worker.run_once()  # a last pass pulls the latest scores
        figures = month_figures(sim, ledger, settings.stake.max_increase_per_round)
        figures["slow creates (applied, answered after the timeout)"] = counting.slow_creates
        print("\nacceptance month:", json.dumps(figures, indent=1))  # BENCHMARKS.md's figures
        check_submissions(sim, ledger)
        check_scores(sim, ledger)
        check_stakes(sim, ledger, settings.stake.budget, settings.stake.max_increase_per_round)
        reconciled = ledger.events(kind="reconciled")
        assert [(e.round_number, e.model) for e in reconciled] == [(KILLED, "demo_csv")]
        late = ledger.round(LATE)
        assert late is not None
        assert late.open_time == sim.server.world.times(LATE).open_time
        assert ledger.events(kind="missed_round") == []
        assert counting.slow_creates > 0, "the month never tried a slow create"
        assert figures["invalid uploads"] == 0
        ledger.close()


def month_figures(sim: RunningSim, ledger: Ledger, cap: float) -> dict[str, object]:
    """What BENCHMARKS.md reports of the month, from the server's own store and the ledger."""
    rounds, subs = server_records(sim)
    taken = [n for n, r in rounds.items() if r.close_staking_time <= sim.clock.now()]
    per: dict[tuple[int, str], list[str]] = defaultdict(list)
    for name, sub in subs:
        per[(sub.round_number, name)].append(sub.id)
    counts = sorted({len(per[(n, m)]) for n in taken for m in MODELS})
    confirmed = {
        (s.round_number, s.model): s.server_id
        for s in ledger.submissions()
        if s.status == "confirmed"
    }
    same = sum(1 for key, ids in per.items() if len(ids) == 1 and confirmed.get(key) == ids[0])
    increases = [a for a in ledger.stake_actions() if a.action == "increase" and a.error is None]
    return {
        "rounds closed in the month": len(taken),
        "submissions per (round, model) on the server": counts,
        "ledger ids equal to the server's": f"{same} of {len(per)}",
        "invalid uploads": invalid_uploads(sim),
        "stake increases beyond the per-round cap": sum(
            1 for a in increases if a.amount > Decimal(str(cap))
        ),
        "stake requests on the server": len(server_stake_requests(sim)),
    }


def invalid_uploads(sim: RunningSim) -> int:
    """Prediction files that reached the server (PUT) and fail Numerai's rules for every
    round of the month (a valid file is valid for exactly its round's live ids)."""
    with sim.server.store.session() as s:
        uploads = [u for u in s.scalars(select(Upload)) if u.stored and u.purpose == "submission"]
        numbers = list(s.scalars(select(Round.number)))
    assert uploads, "no prediction file reached the server"
    bad = 0
    for u in uploads:
        data = (sim.server.uploads_dir / u.token).read_bytes()
        if not any(_valid(data, sim, n) for n in numbers):
            bad += 1
    return bad


def _valid(data: bytes, sim: RunningSim, number: int) -> bool:
    try:
        parse_submission(data, sim.server.live.live_ids(number))
    except Rejection:
        return False
    return True


def check_submissions(sim: RunningSim, ledger: Ledger) -> None:
    rounds, subs = server_records(sim)
    taken = [n for n, r in rounds.items() if r.close_staking_time <= sim.clock.now()]
    assert min(taken) == 1190 and len(taken) >= 21
    by_round: dict[tuple[int, str], list[Submission]] = defaultdict(list)
    for name, sub in subs:
        by_round[(sub.round_number, name)].append(sub)
    for number in taken:
        closes: datetime = rounds[number].close_staking_time
        for model in MODELS:
            found = by_round[(number, model)]
            assert len(found) == 1, f"round {number} {model}: {len(found)} submissions"
            assert found[0].on_time and found[0].selected and found[0].inserted_at < closes
    confirmed = {
        (s.round_number, s.model): s.server_id
        for s in ledger.submissions()
        if s.status == "confirmed"
    }
    on_server = {key: found[0].id for key, found in by_round.items()}
    assert confirmed == on_server
    assert ledger.pending_submissions() == []
    modes = {s.mode for s in ledger.submissions(model="demo_upload") if s.status == "confirmed"}
    assert modes == {"upload"}  # every demo_upload round came from the hosted run


def check_scores(sim: RunningSim, ledger: Ledger) -> None:
    resolved = ledger.scores(resolved_only=True)
    assert len(resolved) >= 2 * 15
    ids = {
        (s.round_number, s.model): s.server_id
        for s in ledger.submissions()
        if s.status == "confirmed"
    }
    for score in resolved:
        server_id = ids[(score.round_number, score.model)]
        assert server_id is not None
        assert score.corr == pytest.approx(final_corr(sim, server_id), abs=1e-12)


def check_stakes(sim: RunningSim, ledger: Ledger, budget: float, cap: float) -> None:
    actions = list(reversed(ledger.stake_actions()))
    assert actions and not any(a.dry_run for a in actions)
    increases = [a for a in actions if a.action == "increase" and a.error is None]
    codes = [(a.round_number, a.code, a.reason) for a in actions]
    assert increases, f"the policy never staked, so the month tests no budget: {codes}"
    resolved = defaultdict(list)
    for s in ledger.scores(resolved_only=True):
        resolved[s.model].append(s.round_number)
    after_by_round: dict[int | None, dict[str, Decimal]] = defaultdict(dict)
    for a in actions:
        assert a.amount <= Decimal(str(cap)) or a.action == "decrease"
        after_by_round[a.round_number][a.model] = a.stake_after
        if a.action == "increase":
            assert a.as_of_round is not None
            seen = [r for r in resolved[a.model] if r <= a.as_of_round]
            assert len(seen) >= 3, "staked before enough resolved rounds"
            assert sum(after_by_round[a.round_number].values()) <= Decimal(str(budget))
    sent = [a for a in actions if a.action != "hold" and a.error is None]
    requests = [r for _, r in server_stake_requests(sim)]
    assert len(requests) == len(sent)
    # From the server's own records: the NMR staked (payouts included) plus what was asked for
    # never exceeds the budget at the moment of any increase.
    payouts = server_payouts(sim)
    for r in requests:
        if r.type != "increase":
            continue
        asked = sum(
            (q.amount if q.type == "increase" else -q.amount)
            for q in requests
            if q.requested_at <= r.requested_at
        )
        paid = sum((p.amount for p in payouts if p.settled_at <= r.requested_at), Decimal(0))
        assert asked + paid <= Decimal(str(budget)), f"{asked} + {paid} at {r.requested_at}"
