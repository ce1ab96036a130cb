"""Which failures fall back to an earlier model: only what another model can fix (this one
fails to load or to predict); the configuration, a full disk and refused credentials surface."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

import pytest

from numerpilot.agent._round_step import process_round
from numerpilot.agent._step_context import Outcome, StepContext
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import LogFileSink, Notifier
from numerpilot.clock import SteppedClock
from numerpilot.config import ModelEntry, Settings
from numerpilot.errors import ConfigError, CredentialsError, DataError, StorageError
from tests.agent.conftest import START
from tests.agent.worker_fakes import FakeWorld, round_at

CSV = ModelEntry(name="m_csv")


@pytest.fixture
def world(clock: SteppedClock, tmp_path: Path) -> FakeWorld:
    return FakeWorld(clock, 1000, START, tmp_path)


@pytest.fixture
def ctx(ledger: Ledger, world: FakeWorld, clock: SteppedClock, tmp_path: Path) -> StepContext:
    settings = Settings(project_dir=Path("."))
    notifier = Notifier([LogFileSink(tmp_path / "notifications.log")], clock)
    ctx = StepContext(settings, ledger, notifier, world, clock)
    for name in ("old", "new"):  # "new" is promoted last: tried first
        ledger.record_model_version(name, path=name, sha256=name)
        ledger.promote_model_version(name)
        clock.advance(timedelta(seconds=1))
    return ctx


def _open_round(ctx: StepContext, clock: SteppedClock):
    rnd = round_at(1000, 1000, START)
    clock.set(rnd.open_time + timedelta(minutes=1))
    ctx.ledger.record_round(rnd.number, rnd.open_time, rnd.close_staking_time)
    return rnd


@pytest.mark.parametrize(
    "broken",
    [
        DataError("booster missing", path="models/new/boosters/x.txt"),
        ValueError("cannot rank NaN predictions"),
        PermissionError(errno.EACCES, "Permission denied", "models/new/manifest.json"),
    ],
    ids=["corrupt-model", "model-fails-to-predict", "unreadable-model-file"],
)
def test_a_broken_model_falls_back_to_the_previous_one(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock, broken: Exception
) -> None:
    world.fail_prepare["new"] = broken
    rnd = _open_round(ctx, clock)
    assert process_round(ctx, CSV, rnd) is Outcome.CONFIRMED
    sub = ctx.ledger.submission_for(1000, "m_csv")
    assert sub is not None and sub.model_version == "old"
    assert [e.kind for e in ctx.ledger.events()] == ["fallback", "prediction_failed"]
    assert type(broken).__name__ == ctx.ledger.events(kind="prediction_failed")[0].details["error"]


@pytest.mark.parametrize(
    "fatal",
    [
        ConfigError("tournament.models[0].model: bad setting"),
        StorageError("cannot write predictions: disk full", path="predictions/x.csv"),
        OSError(errno.ENOSPC, "No space left on device", "predictions/x.csv"),
        CredentialsError("the tournament refused the API key"),
    ],
    ids=["config", "storage", "raw-disk-full", "credentials"],
)
def test_what_no_other_model_can_fix_surfaces_instead_of_falling_back(
    ctx: StepContext, world: FakeWorld, clock: SteppedClock, fatal: Exception
) -> None:
    world.fail_prepare["new"] = fatal
    rnd = _open_round(ctx, clock)
    with pytest.raises(type(fatal)) as raised:
        process_round(ctx, CSV, rnd)
    assert raised.value is fatal
    assert world.uploads == 0 and ctx.ledger.submissions() == []
    assert ctx.ledger.events(kind="fallback") == []
    assert ctx.ledger.events(kind="prediction_failed") == []
