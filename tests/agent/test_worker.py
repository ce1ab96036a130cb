"""The worker loop on a stepped clock: it waits for what the tournament announces, submits
every round once, retrains, pulls scores, decides stakes, beats, and stops when told."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest

from numerpilot.agent._pacing import POLL
from numerpilot.agent._step_context import Outcome
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import LogFileSink, Notifier
from numerpilot.agent.worker import State, Worker
from numerpilot.clock import SteppedClock
from numerpilot.config import ModelEntry, Settings
from numerpilot.errors import ConfigError, CredentialsError, ExitCode, SubmissionRejected
from numerpilot.tournament import RoundPerformance
from tests.agent.conftest import START
from tests.agent.worker_fakes import FakeWorld, transient

MODELS = [ModelEntry(name="m_csv"), ModelEntry(name="m_up", mode="upload")]


class CountingClock(SteppedClock):
    """Counts sleeps, so a test can tell waiting for an event from polling."""

    def __init__(self) -> None:
        super().__init__(START - timedelta(hours=2))
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


@pytest.fixture
def wclock() -> CountingClock:
    return CountingClock()


@pytest.fixture
def world(wclock: CountingClock, tmp_path: Path) -> FakeWorld:
    return FakeWorld(wclock, 1000, START, tmp_path)


def settings(tmp_path: Path, **agent: object) -> Settings:
    s = Settings(project_dir=tmp_path)
    s.tournament.models = list(MODELS)
    s.agent.heartbeat_minutes = 360
    for key, value in agent.items():
        setattr(s.agent, key, value)
    return s


def make_worker(
    tmp_path: Path, world: FakeWorld, clock: SteppedClock, **agent: object
) -> tuple[Worker, Ledger, Path]:
    log_file = tmp_path / "notifications.log"
    ledger = Ledger(tmp_path / "numerpilot.db", clock)
    notifier = Notifier([LogFileSink(log_file)], clock)
    return Worker(settings(tmp_path, **agent), ledger, notifier, world, clock), ledger, log_file


def kinds(log_file: Path) -> list[str]:
    if not log_file.exists():
        return []
    lines = log_file.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["kind"] for line in lines]


def test_a_week_of_rounds_one_submission_each(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock
):
    worker, ledger, log_file = make_worker(tmp_path, world, wclock)
    worker.run(until=START + timedelta(days=6, hours=12))
    assert worker.state is State.STOPPED
    for number in range(1000, 1007):
        for model in ("m_csv", "m_up"):
            assert len(world.by(model, number)) == 1, (model, number)
            sub = ledger.submission_for(number, model)
            assert sub is not None and sub.status == "confirmed"
            assert sub.server_id == world.by(model, number)[0].id
    # The first pass trained a model (a fresh project), adopted it, and uploaded its pickle.
    assert world.trained == [None] and world.pickle_uploads == ["model-1"]
    assert ledger.promoted_model_version().name == "model-1"  # type: ignore[union-attr]
    # Between rounds it sleeps until the announced open: a few long sleeps, not 15-minute polls.
    assert max(worker.clock.sleeps) > 3 * 3600  # type: ignore[attr-defined]
    assert len(world.calls) < 7 * 8
    beat = ledger.last_heartbeat()
    assert beat is not None and beat.state == "stopped" and beat.beats > 7 * 3
    # Heartbeats are in the ledger and the program's log, not in notifications by default.
    assert "missed_round" not in kinds(log_file) and "heartbeat" not in kinds(log_file)


def test_waits_for_a_late_open_by_polling(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock, monkeypatch: pytest.MonkeyPatch
):
    """The tournament announces nothing (no upcoming round): the worker polls."""
    monkeypatch.setattr(world, "upcoming_round", lambda: None)
    worker, _, _ = make_worker(tmp_path, world, wclock)
    worker.run(until=START + timedelta(days=1, hours=1))
    assert len(world.by("m_csv", 1001)) == 1
    first_after_open = world.listed[-2].at - (START + timedelta(days=1))
    assert first_after_open <= POLL


def test_retries_within_the_round_until_it_gets_through(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock
):
    worker, ledger, _ = make_worker(tmp_path, world, wclock)
    world.upload_error = transient("HTTP 503 (gave up after 5 tries)")
    worker.run(until=START + timedelta(minutes=50))
    assert len(world.by("m_csv", 1000)) == 1
    assert [s.status for s in ledger.submissions(model="m_csv")] == ["confirmed", "failed"]


def test_missed_round_is_notified_once(tmp_path: Path, world: FakeWorld, wclock: CountingClock):
    world.fail_prepare[None] = SubmissionRejected("constant", "all predictions equal")
    world.fail_prepare["model-1"] = SubmissionRejected("constant", "all predictions equal")
    world.hosted = False
    worker, ledger, log_file = make_worker(tmp_path, world, wclock)
    worker.run(until=START + timedelta(days=1, hours=3))
    assert len(ledger.events(kind="missed_round")) == 4  # two models, two rounds
    assert len(ledger.events(kind="hosted_run_missing")) == 2  # the upload model's runs
    seen = kinds(log_file)
    assert seen.count("missed_round") == 4 + 2  # the missing runs are announced as well
    assert seen.count("submission_rejected") == 4  # refused once per model and round


def test_stop_ends_the_loop_between_steps(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock, monkeypatch: pytest.MonkeyPatch
):
    worker, ledger, _ = make_worker(tmp_path, world, wclock)
    original = worker.run_pass

    def pass_then_stop() -> object:
        report = original()
        worker.stop()  # as the SIGTERM handler does
        return report

    monkeypatch.setattr(worker, "run_pass", pass_then_stop)
    worker.run()  # no ``until``: only stop() ends it
    assert worker.passes == 1 and worker.state is State.STOPPED
    assert ledger.last_heartbeat().state == "stopped"  # type: ignore[union-attr]


def test_naps_bound_each_sleep(tmp_path: Path, world: FakeWorld, wclock: CountingClock):
    worker, _, _ = make_worker(tmp_path, world, wclock)
    worker.nap = timedelta(minutes=10)
    worker.run(until=START + timedelta(hours=6))
    assert max(wclock.sleeps) <= 600


def test_run_once_exit_codes(tmp_path: Path, world: FakeWorld, wclock: CountingClock):
    worker, _, _ = make_worker(tmp_path, world, wclock)
    report = worker.run_once()  # before the open: trains, uploads the pickle, nothing to submit
    assert report.round is None and report.exit_code() is ExitCode.OK
    wclock.set(START + timedelta(minutes=5))
    report = worker.run_once()
    assert report.outcomes == {"m_csv": Outcome.CONFIRMED, "m_up": Outcome.CONFIRMED}
    assert report.exit_code() is ExitCode.OK and report.as_dict()["round"] == 1000
    world.upload_error = transient()
    wclock.set(START + timedelta(days=1, minutes=5))
    world.find_error = transient()
    report = worker.run_once()
    assert report.outcomes["m_csv"] is Outcome.PENDING
    assert report.exit_code() is ExitCode.TRANSIENT


def test_no_models_is_a_config_error(tmp_path: Path, world: FakeWorld, wclock: CountingClock):
    ledger = Ledger(tmp_path / "db", wclock)
    with pytest.raises(ConfigError, match=r"tournament\.models"):
        Worker(Settings(project_dir=tmp_path), ledger, Notifier([], wclock), world, wclock)


def test_scores_are_pulled_and_stakes_decided_once_per_round(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock
):
    world.performances_by_model = {
        "m_csv": [
            RoundPerformance(
                990 + k, 20, True, {"v2_corr20": 0.02, "mmc": 0.01}, {"v2_corr20": 1.0}
            )
            for k in range(8)
        ],
        "m_up": [],
    }
    worker, ledger, log_file = make_worker(tmp_path, world, wclock)
    worker.run(until=START + timedelta(days=2, hours=2))
    assert len(ledger.scores("m_csv", resolved_only=True)) == 8
    actions = ledger.stake_actions("m_csv")
    assert sorted(a.round_number for a in actions) == [1000, 1001, 1002]  # type: ignore[type-var]
    assert all(a.dry_run and a.action == "increase" for a in actions)
    assert [str(a.stake_after) for a in reversed(actions)] == ["1.00", "2.00", "3.00"]
    assert world.stake_calls == []  # dry run: nothing sent
    assert kinds(log_file).count("stake_action") == 3


def test_a_failed_pass_backs_off_while_the_tournament_is_down(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock, monkeypatch: pytest.MonkeyPatch
):
    down_until = START + timedelta(minutes=30)  # from two hours before round 1000 opens
    real_round = world.current_round

    def down() -> object:
        if wclock.now() < down_until:
            raise transient("cannot connect to http://127.0.0.1:1: Connection refused")
        return real_round()

    monkeypatch.setattr(world, "current_round", down)
    worker, ledger, log_file = make_worker(tmp_path, world, wclock)
    worker.run(until=down_until + timedelta(minutes=50))
    failed = list(reversed(ledger.events(kind="pass_failed")))
    # 2.5 hours of a 2-minute retry would be ~75 records; the backoff doubles up to 15 min.
    gaps = [b.at - a.at for a, b in itertools.pairwise(failed)]
    assert 3 <= len(failed) <= 8 and gaps == sorted(gaps)
    assert [e.details["failed_passes"] for e in failed] == [2**i for i in range(len(failed))]
    assert ledger.events(kind="pass_recovered")
    assert len(world.by("m_csv", 1000)) == 1  # the open round still got its submission
    assert "pass_failed" not in kinds(log_file)


def test_a_refused_key_stops_the_worker_and_tells_a_person(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock
):
    world.refuse_key = CredentialsError(
        "the tournament refused the request: Your session is invalid or has expired."
    )
    worker, ledger, log_file = make_worker(tmp_path, world, wclock)
    with pytest.raises(CredentialsError):
        worker.run(until=START + timedelta(days=1))
    assert world.listed == [] and world.calls == []  # no pass ran
    assert kinds(log_file) == ["credentials_refused"]
    assert ledger.events(kind="credentials_refused")
    with pytest.raises(CredentialsError):
        worker.run_once()


def test_the_previous_submission_for_the_check_comes_from_the_ledger(
    tmp_path: Path, world: FakeWorld, wclock: CountingClock
):
    worker, ledger, _ = make_worker(tmp_path, world, wclock)
    worker.run(until=START + timedelta(days=1, hours=1))
    first = ledger.submission_for(1000, "m_csv")
    assert first is not None
    assert world.previous[0] is None  # nothing before the first round
    later = [p for p in world.previous if p is not None]
    assert later and later[-1].round_number == 1000 and later[-1].sha256 == first.file_sha256
    assert world.calls.count("prepare m_csv model-1") + world.calls.count("prepare m_csv None") == 2
