"""A fake world for the worker's unit tests: rounds on a schedule, a submissions store, and
switches that make a step fail the way the real tournament does. No network, no LightGBM."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from numerpilot.agent._pickles import PickleUpload
from numerpilot.agent._retrain import TrainedModel
from numerpilot.agent._step_context import HostedRun, PredictionRequest, Prepared
from numerpilot.agent.ledger import Submission
from numerpilot.clock import Clock
from numerpilot.config import ModelEntry
from numerpilot.errors import CredentialsError, TransientTournamentError
from numerpilot.pipeline import PreviousPredictions
from numerpilot.tournament import RoundInfo, RoundPerformance

OPEN_HOURS = 1


def round_at(number: int, first: int, first_open: datetime) -> RoundInfo:
    """Round ``number`` of a daily schedule starting with ``first`` at ``first_open``."""
    opens = first_open + timedelta(days=number - first)
    return RoundInfo(
        number=number,
        open_time=opens,
        close_staking_time=opens + timedelta(hours=OPEN_HOURS),
        close_time=opens + timedelta(hours=OPEN_HOURS + 22),
        resolve_time=opens + timedelta(days=3),
    )


@dataclass
class Listed:
    id: str
    model: str
    round_number: int
    at: datetime
    sha256: str
    source: str  # csv | hosted


@dataclass
class FakeWorld:
    """Implements ``AgentServices``. Every round opens daily at ``first_open``'s time."""

    clock: Clock
    first_round: int
    first_open: datetime
    tmp: Path
    listed: list[Listed] = field(default_factory=list)
    uploads: int = 0
    # Switches
    fail_prepare: dict[str | None, Exception] = field(default_factory=dict)  # by model version
    upload_error: Exception | None = None  # raised by upload
    upload_error_after_recording: bool = False  # the server took it, the answer got lost
    find_error: Exception | None = None
    hosted: bool = True  # hosted runs produce a submission at the open
    performances_by_model: dict[str, list[RoundPerformance]] = field(default_factory=dict)
    stakes: dict[str, Decimal] = field(default_factory=dict)
    stake_calls: list[tuple[str, str, Decimal]] = field(default_factory=list)
    versions: list[str] = field(default_factory=lambda: ["v5.3"])
    trained: list[str | None] = field(default_factory=list)
    train_error: Exception | None = None
    train_scores: list[float] = field(default_factory=lambda: [0.02])
    store: dict[str, TrainedModel] = field(default_factory=dict)
    pickle_uploads: list[str | None] = field(default_factory=list)
    active: str | None = None
    calls: list[str] = field(default_factory=list)
    previous: list[PreviousPredictions | None] = field(default_factory=list)
    refuse_key: CredentialsError | None = None

    # -- rounds -------------------------------------------------------------------------------
    def number_at(self, now: datetime) -> int | None:
        days = (now - self.first_open) // timedelta(days=1)
        return None if days < 0 else self.first_round + days

    def account_name(self) -> str:
        if self.refuse_key is not None:
            raise self.refuse_key
        return "pilot"

    def current_round(self) -> RoundInfo | None:
        self.calls.append("current_round")
        number = self.number_at(self.clock.now())
        return None if number is None else round_at(number, self.first_round, self.first_open)

    def upcoming_round(self) -> RoundInfo | None:
        number = self.number_at(self.clock.now())
        nxt = self.first_round if number is None else number + 1
        return round_at(nxt, self.first_round, self.first_open)

    # -- submissions --------------------------------------------------------------------------
    def prepare(self, request: PredictionRequest) -> Prepared:
        name, version, number = request.entry.name, request.model_version, request.rnd.number
        self.calls.append(f"prepare {name} {version}")
        self.previous.append(request.previous)
        if version in self.fail_prepare:
            raise self.fail_prepare[version]
        path = self.tmp / f"{name}-{number}-{version}.csv"
        path.write_text(f"id,prediction\n{name},{number}\n", encoding="utf-8")
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        return Prepared(path, sha, version)

    def _record(self, model: str, number: int, sha: str, source: str) -> str:
        sid = f"sub-{len(self.listed) + 1}"
        self.listed.append(Listed(sid, model, number, self.clock.now(), sha, source))
        return sid

    def upload(self, entry: ModelEntry, prepared: Prepared, rnd: RoundInfo) -> str:
        self.uploads += 1
        if self.upload_error is not None:
            error, self.upload_error = self.upload_error, None
            if self.upload_error_after_recording:
                self._record(entry.name, rnd.number, prepared.sha256, "csv")
            raise error
        return self._record(entry.name, rnd.number, prepared.sha256, "csv")

    def find_submission(self, intent: Submission) -> str | None:
        if self.find_error is not None:
            error, self.find_error = self.find_error, None
            raise error
        for s in reversed(self.listed):
            if (s.model, s.round_number) == (intent.model, intent.round_number):
                return s.id
        return None

    def hosted_run(self, entry: ModelEntry, rnd: RoundInfo) -> HostedRun:
        for s in self.listed:
            if (s.model, s.round_number, s.source) == (entry.name, rnd.number, "hosted"):
                return HostedRun(s.id)
        if self.hosted and self.active is not None:
            return HostedRun(self._record(entry.name, rnd.number, "pickle", "hosted"))
        return HostedRun(None)

    def by(self, model: str, number: int) -> list[Listed]:
        return [s for s in self.listed if (s.model, s.round_number) == (model, number)]

    # -- pickles ------------------------------------------------------------------------------
    def active_pickle(self, entry: ModelEntry) -> str | None:
        return self.active

    def upload_pickle(self, entry: ModelEntry, model_version: str | None) -> PickleUpload:
        self.pickle_uploads.append(model_version)
        self.active = f"pickle-{len(self.pickle_uploads)}"
        return PickleUpload(self.active, "pickle-sha", model_version or "newest")

    # -- results ------------------------------------------------------------------------------
    def performances(self, model: str) -> list[RoundPerformance]:
        return list(self.performances_by_model.get(model, []))

    def stake(self, model: str) -> Decimal:
        return self.stakes.get(model, Decimal(0))

    def change_stake(self, model: str, action: str, amount: Decimal) -> str:
        self.stake_calls.append((model, action, amount))
        sign = 1 if action == "increase" else -1
        self.stakes[model] = self.stake(model) + sign * amount
        return f"{action} {amount} requested"

    # -- training -----------------------------------------------------------------------------
    def offered_versions(self) -> list[str]:
        return list(self.versions)

    def train(self, data_version: str | None) -> TrainedModel:
        self.trained.append(data_version)
        if self.train_error is not None:
            raise self.train_error
        name = f"model-{len(self.trained)}"
        path = self.tmp / "models" / name
        path.mkdir(parents=True)
        (path / "manifest.json").write_text(name, encoding="utf-8")
        score = self.train_scores[min(len(self.trained), len(self.train_scores)) - 1]
        model = TrainedModel(name, path, data_version or self.versions[-1], score)
        self.store[name] = model
        return model

    def stored(self, name: str | None) -> TrainedModel | None:
        if name is not None:
            return self.store.get(name)
        return list(self.store.values())[-1] if self.store else None


def transient(message: str = "HTTP 503") -> TransientTournamentError:
    return TransientTournamentError(message)
