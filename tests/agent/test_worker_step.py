"""The round step: exactly one confirmed submission per (round, model), whatever fails."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from numerpilot.agent._round_step import candidate_versions, process_round
from numerpilot.agent._step_context import Outcome, StepContext
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import LogFileSink, Notifier
from numerpilot.clock import SteppedClock
from numerpilot.config import ModelEntry, Settings
from numerpilot.errors import DataError, RoundClosed, SubmissionRejected, TournamentError
from tests.agent.conftest import START
from tests.agent.worker_fakes import FakeWorld, Listed, round_at, transient

CSV = ModelEntry(name="m_csv")
UPLOAD = ModelEntry(name="m_up", mode="upload")


@pytest.fixture
def world(clock: SteppedClock, tmp_path: Path) -> FakeWorld:
    return FakeWorld(clock, 1000, START, tmp_path)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "notifications.log"


@pytest.fixture
def ctx(ledger: Ledger, world: FakeWorld, clock: SteppedClock, log_file: Path) -> StepContext:
    settings = Settings(project_dir=Path("."))
    return StepContext(settings, ledger, Notifier([LogFileSink(log_file)], clock), world, clock)


def notifications(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def open_round(ctx: StepContext, clock: SteppedClock, number: int = 1000):
    rnd = round_at(number, 1000, START)
    clock.set(rnd.open_time + timedelta(minutes=1))
    ctx.ledger.record_round(rnd.number, rnd.open_time, rnd.close_staking_time)
    return rnd


def test_submits_once_and_then_is_done(ctx: StepContext, world: FakeWorld, clock: SteppedClock):
    rnd = open_round(ctx, clock)
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    assert process_round(ctx, CSV, rnd) is Outcome.DONE
    assert world.uploads == 1
    sub = ctx.ledger.submission_for(1000, "m_csv")
    assert sub is not None and sub.status == "confirmed" and sub.server_id == "sub-1"
    assert sub.file_sha256 == world.listed[0].sha256 and sub.mode == "csv"


def test_a_closed_round_gets_no_upload(ctx: StepContext, world: FakeWorld, clock: SteppedClock):
    rnd = open_round(ctx, clock)
    clock.set(rnd.close_staking_time)
    assert process_round(ctx, CSV, rnd) is Outcome.CLOSED
    assert world.uploads == 0 and ctx.ledger.submissions() == []


def test_intent_left_by_a_killed_process_is_confirmed_when_the_server_has_it(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock
):
    rnd = open_round(ctx, clock)
    intent = ctx.ledger.begin_submission(1000, "m_csv", "abc").submission
    world.listed.append(Listed("sub-9", "m_csv", 1000, clock.now(), "abc", "csv"))
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    assert world.uploads == 0
    assert ctx.ledger.submission_for(1000, "m_csv").server_id == "sub-9"  # type: ignore[union-attr]
    assert ctx.ledger.submissions()[0].id == intent.id


def test_intent_the_server_never_got_fails_and_a_new_upload_follows(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock
):
    rnd = open_round(ctx, clock)
    ctx.ledger.begin_submission(1000, "m_csv", "abc")
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    statuses = sorted(s.status for s in ctx.ledger.submissions(model="m_csv"))
    assert statuses == ["confirmed", "failed"] and world.uploads == 1


def test_an_unanswerable_intent_blocks_any_upload(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock
):
    rnd = open_round(ctx, clock)
    ctx.ledger.begin_submission(1000, "m_csv", "abc")
    world.find_error = transient()
    assert process_round(ctx, CSV, rnd) is Outcome.PENDING
    assert world.uploads == 0
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED  # the tournament answers again


def test_lost_answer_after_the_server_took_the_upload_is_not_uploaded_twice(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock
):
    rnd = open_round(ctx, clock)
    world.upload_error, world.upload_error_after_recording = transient("timed out"), True
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    assert process_round(ctx, CSV, rnd) is Outcome.DONE
    assert len(world.by("m_csv", 1000)) == 1 and world.uploads == 1


def test_failed_upload_is_retried_by_the_next_step(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock
):
    rnd = open_round(ctx, clock)
    world.upload_error = TournamentError("File was not uploaded")
    assert process_round(ctx, CSV, rnd) is Outcome.FAILED
    assert ctx.ledger.submissions()[0].status == "failed"
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    assert len(world.by("m_csv", 1000)) == 1
    assert [e.kind for e in ctx.ledger.events()] == ["upload_failed"]


def test_refused_upload_is_recorded_and_notified(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock, log_file: Path
):
    rnd = open_round(ctx, clock)
    world.upload_error = SubmissionRejected("nan", "3 predictions are NaN")
    assert process_round(ctx, CSV, rnd) is Outcome.REJECTED
    assert ctx.ledger.submissions()[0].status == "rejected"
    assert [n["kind"] for n in notifications(log_file)] == ["submission_rejected"]


def test_fallback_to_the_last_good_model_is_recorded_and_notified(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock, log_file: Path
):
    for name in ("old", "new"):
        ctx.ledger.record_model_version(name, path=name, sha256=name)
        ctx.ledger.promote_model_version(name)
        clock.advance(timedelta(seconds=1))
    assert candidate_versions(ctx.ledger, CSV) == ["new", "old"]
    world.fail_prepare["new"] = DataError("booster missing", path="models/new/boosters/x.txt")
    rnd = open_round(ctx, clock)
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    assert ctx.ledger.submission_for(1000, "m_csv").model_version == "old"  # type: ignore[union-attr]
    kinds = [e.kind for e in ctx.ledger.events()]
    assert kinds == ["fallback", "prediction_failed"]
    assert "booster missing" in ctx.ledger.events(kind="fallback")[0].message
    assert [n["kind"] for n in notifications(log_file)] == ["fallback"]


def test_pinned_model_comes_first(ctx: StepContext):
    ctx.ledger.record_model_version("promoted", path="p", sha256="p")
    ctx.ledger.promote_model_version("promoted")
    assert candidate_versions(ctx.ledger, ModelEntry(name="x", model="mine")) == [
        "mine",
        "promoted",
    ]
    assert candidate_versions(ctx.ledger, ModelEntry(name="x")) == ["promoted"]


def test_rejected_predictions_are_notified_once_per_round(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock, log_file: Path
):
    world.fail_prepare[None] = SubmissionRejected("high_exposure", "exposure 0.7 above 0.5")
    rnd = open_round(ctx, clock)
    for _ in range(3):
        assert process_round(ctx, CSV, rnd) is Outcome.REJECTED
    assert world.uploads == 0
    assert [n["kind"] for n in notifications(log_file)] == ["submission_rejected"]
    assert len(ctx.ledger.events(kind="predictions_rejected")) == 1


def test_hosted_run_submission_is_recorded(ctx: StepContext, world: FakeWorld, clock: SteppedClock):
    world.active = "pickle-1"
    rnd = open_round(ctx, clock)
    assert process_round(ctx, UPLOAD, rnd) is Outcome.CONFIRMED
    sub = ctx.ledger.submission_for(1000, "m_up")
    assert sub is not None and sub.mode == "upload" and sub.server_id == "sub-1"
    assert process_round(ctx, UPLOAD, rnd) is Outcome.DONE
    assert world.uploads == 0


def test_missing_hosted_run_waits_then_falls_back_to_a_csv(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock, log_file: Path
):
    world.hosted = False
    rnd = open_round(ctx, clock)
    assert process_round(ctx, UPLOAD, rnd) is Outcome.WAITING
    clock.set(ctx.deadline(rnd))
    assert process_round(ctx, UPLOAD, rnd) is Outcome.CONFIRMED
    sub = ctx.ledger.submission_for(1000, "m_up")
    assert sub is not None and sub.mode == "csv" and world.uploads == 1
    assert [n["kind"] for n in notifications(log_file)] == ["missed_round"]


def test_a_round_that_closes_is_closed_not_rejected(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock
):
    rnd = open_round(ctx, clock)
    world.fail_prepare[None] = RoundClosed("round 1000 closed; round 1001 opens at ...")
    assert process_round(ctx, CSV, rnd) is Outcome.CLOSED
    assert ctx.ledger.submissions() == []  # nothing begun
    del world.fail_prepare[None]
    world.upload_error = RoundClosed("round 1000 closed for submissions before it was confirmed")
    assert process_round(ctx, CSV, rnd) is Outcome.CLOSED
    (closed,) = ctx.ledger.submissions()
    assert closed.status == "failed" and world.listed == []  # failed, not rejected: no alarm
    assert ctx.ledger.events(kind="submission_rejected") == []
