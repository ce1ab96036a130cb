"""Retraining: when it is due, what gets promoted, and what a failure leaves behind."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from numerpilot.agent._retrain import (
    adopt,
    model_fingerprint,
    retrain,
    retrain_due,
    should_promote,
)
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import LogFileSink, Notifier
from numerpilot.clock import SteppedClock
from numerpilot.config import Settings
from numerpilot.errors import DataError
from tests.agent.conftest import START
from tests.agent.worker_fakes import FakeWorld


@pytest.fixture
def world(clock: SteppedClock, tmp_path: Path) -> FakeWorld:
    return FakeWorld(clock, 1000, START, tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(project_dir=tmp_path)
    s.agent.retrain_every_days = 7
    s.agent.promote_margin = 0.002
    return s


def notifier(tmp_path: Path, clock: SteppedClock) -> Notifier:
    return Notifier([LogFileSink(tmp_path / "n.log")], clock)


def test_a_fresh_project_needs_a_first_model(ledger: Ledger, settings: Settings):
    due = retrain_due(ledger, settings, START, ["v5.3"])
    assert due is not None and "no model" in due.reason


def test_adopt_records_and_promotes_the_newest_stored_model(ledger: Ledger, world: FakeWorld):
    assert adopt(ledger, world) is None  # nothing stored yet
    world.train(None)
    adopted = adopt(ledger, world)
    assert adopted is not None and adopted.name == "model-1" and adopted.promoted_at
    assert adopted.sha256 == model_fingerprint(world.store["model-1"].path)
    assert adopted.metrics == {"corr_mean": 0.02}
    assert adopt(ledger, world) == ledger.promoted_model_version()  # no second record


def test_cadence_counts_from_the_last_attempt(
    ledger: Ledger, world: FakeWorld, settings: Settings, clock: SteppedClock, tmp_path: Path
):
    world.train(None)
    adopt(ledger, world)
    assert retrain_due(ledger, settings, START + timedelta(days=6), ["v5.3"]) is None
    due = retrain_due(ledger, settings, START + timedelta(days=7), ["v5.3"])
    assert due is not None and due.data_version == "v5.3" and "7.0 days" in due.reason
    # A failed attempt counts: not again at the next pass, but a cadence later.
    clock.set(START + timedelta(days=7))
    world.train_error = DataError("train.parquet is truncated", path="data/v5.3/train.parquet")
    retrain(ledger, notifier(tmp_path, clock), world, settings, due, clock)
    assert retrain_due(ledger, settings, START + timedelta(days=8), ["v5.3"]) is None
    assert retrain_due(ledger, settings, START + timedelta(days=14), ["v5.3"]) is not None
    sent = [json.loads(x) for x in (tmp_path / "n.log").read_text().splitlines()]
    assert [n["kind"] for n in sent] == ["retrain_failed"]
    assert "truncated" in sent[0]["message"]
    assert ledger.promoted_model_version().name == "model-1"  # type: ignore[union-attr]


def test_a_new_data_version_is_due_once(
    ledger: Ledger, world: FakeWorld, settings: Settings, clock: SteppedClock, tmp_path: Path
):
    world.train(None)
    adopt(ledger, world)
    due = retrain_due(ledger, settings, START, ["v5.2", "v5.3", "v5.4"])
    assert due is not None and due.data_version == "v5.4" and "v5.4" in due.reason
    world.versions = ["v5.4"]
    world.train_scores = [0.02, 0.0]  # worse on its own validation: promoted all the same
    retrain(ledger, notifier(tmp_path, clock), world, settings, due, clock)
    assert ledger.promoted_model_version().data_version == "v5.4"  # type: ignore[union-attr]
    assert retrain_due(ledger, settings, START, ["v5.4"]) is None
    settings.data.version = "v5.3"  # pinned: a newer version changes nothing
    assert retrain_due(ledger, settings, START, ["v5.3", "v5.5"]) is None


@pytest.mark.parametrize(
    ("new_score", "promoted"), [(0.021, False), (0.0219, False), (0.0221, True), (0.03, True)]
)
def test_promotion_needs_the_margin(
    ledger: Ledger,
    world: FakeWorld,
    settings: Settings,
    clock: SteppedClock,
    tmp_path: Path,
    new_score: float,
    promoted: bool,
):
    world.train_scores = [0.02, new_score]
    world.train(None)
    adopt(ledger, world)
    due = retrain_due(ledger, settings, START + timedelta(days=8), ["v5.3"])
    assert due is not None
    after = retrain(ledger, notifier(tmp_path, clock), world, settings, due, clock)
    assert after is not None and (after.name == "model-2") is promoted
    assert len(ledger.model_versions()) == 2  # recorded either way
    event = ledger.events(kind="retrained")[0]
    assert event.details["promoted"] is promoted


def test_should_promote_reasons(ledger: Ledger):
    a = ledger.record_model_version("a", path="a", sha256="a", data_version="v5.3")
    b = ledger.record_model_version(
        "b", path="b", sha256="b", data_version="v5.3", metrics={"corr_mean": 0.03}
    )
    assert should_promote(b, None, 0.002) == (True, "there is no current model")
    assert should_promote(a, b, 0.002)[0] is False  # no score: never replaces a scored one
    assert should_promote(b, a, 0.002)[0] is True
