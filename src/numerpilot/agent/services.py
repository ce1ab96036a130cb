"""The worker's services for real: the tournament client and the pipeline's use cases.

Everything here is a thin translation: predicting, checking and uploading are
``pipeline.submit``'s, model pickles ``pipeline.upload_model``'s, training
``pipeline.train``'s, and every query is ``tournament/``'s. The worker and the round step only
see ``AgentServices``, so tests can put a fake in its place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from numerpilot.agent._pickles import PickleUpload
from numerpilot.agent._retrain import TrainedModel
from numerpilot.agent._step_context import HostedRun, PredictionRequest, Prepared
from numerpilot.agent.ledger import Submission
from numerpilot.clock import Clock, utc
from numerpilot.config import ModelEntry, Settings
from numerpilot.data import download_dataset
from numerpilot.errors import ConfigError, DataError
from numerpilot.models import ENSEMBLE, read_model_manifest, resolve_model
from numerpilot.pipeline import prepare_submission, train_model, upload_model
from numerpilot.tournament import (
    CLOCK_SKEW,
    ListedSubmission,
    RoundInfo,
    RoundPerformance,
    SubmissionReceipt,
    TournamentClient,
    change_stake,
    counted_submission,
    current_stake,
    list_pickles,
    list_submissions,
    model_ids,
    performances,
    upcoming_round,
    upload_predictions,
)

log = logging.getLogger(__name__)


def pinned(settings: Settings, name: str, model_version: str | None) -> Settings:
    """``settings`` with tournament model ``name`` set to use stored model ``model_version``."""
    copy = settings.model_copy(deep=True)
    entries = [
        e.model_copy(update={"model": model_version}) if e.name == name else e
        for e in copy.tournament.models
    ]
    if not any(e.name == name for e in entries):
        entries.append(ModelEntry(name=name, model=model_version))
    copy.tournament.models = entries
    return copy


class TournamentServices:
    """``AgentServices`` over a ``TournamentClient`` and the project's pipeline."""

    def __init__(
        self,
        settings: Settings,
        client: TournamentClient,
        clock: Clock,
        *,
        runtime_cache: Path | None = None,
        on_build: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self.client = client
        self.clock = clock
        self.runtime_cache = runtime_cache
        self.on_build = on_build
        self._ids: dict[str, str] = {}
        # The last upload's receipt, for a caller that shows it (a submission made by hand).
        self.last_receipt: SubmissionReceipt | None = None

    def model_id(self, name: str) -> str:
        if name not in self._ids:
            self._ids = model_ids(self.client)
        if name not in self._ids:
            known = ", ".join(sorted(self._ids)) or "none"
            raise ConfigError(
                f"setting 'tournament.models': the account has no model named {name!r} "
                f"(its models: {known})"
            )
        return self._ids[name]

    def account_name(self) -> str:
        return self.client.account_name()

    # -- rounds ----------------------------------------------------------------------------

    def current_round(self) -> RoundInfo | None:
        return self.client.current_round()

    def upcoming_round(self) -> RoundInfo | None:
        return upcoming_round(self.client)

    # -- submissions -----------------------------------------------------------------------

    def prepare(self, request: PredictionRequest) -> Prepared:
        name = request.entry.name
        result = prepare_submission(
            pinned(self.settings, name, request.model_version),
            client=self.client,
            clock=self.clock,
            model=name,
            previous=request.previous,
            round_info=request.rnd,
            download=True,
        )
        return Prepared(result.csv_path, result.sha256, result.stored_model)

    def upload(self, entry: ModelEntry, prepared: Prepared, rnd: RoundInfo) -> str:
        # The very file that was checked and hashed into the intent: not predicted again.
        receipt = upload_predictions(
            self.client,
            model_name=entry.name,
            csv_path=prepared.path,
            round_info=rnd,
            sha256=prepared.sha256,
        )
        self.last_receipt = receipt
        return receipt.submission_id

    def _round_submissions(self, model: str, round_number: int) -> list[ListedSubmission]:
        listed = list_submissions(self.client, self.model_id(model))
        return [s for s in listed if s.round_number == round_number]

    def find_submission(self, intent: Submission) -> str | None:
        # An upload-mode run's submission is the hosted model's, made whenever it ran.
        since = None if intent.mode == "upload" else utc(intent.attempted_at)
        found = counted_submission(
            self.client, self.model_id(intent.model), intent.round_number, since
        )
        return None if found is None else found.submission_id

    def hosted_run(self, entry: ModelEntry, rnd: RoundInfo) -> HostedRun:
        found = self._round_submissions(entry.name, rnd.number)
        return HostedRun(found[-1].submission_id if found else None)

    # -- model pickles ---------------------------------------------------------------------

    def active_pickle(self, entry: ModelEntry) -> str | None:
        for p in list_pickles(self.client, self.model_id(entry.name)):
            if p.assigned_model_slots:
                return p.pickle_id
        return None

    def upload_pickle(self, entry: ModelEntry, model_version: str | None) -> PickleUpload:
        result = upload_model(
            pinned(self.settings, entry.name, model_version),
            client=self.client,
            model=entry.name,
            runtime_cache=self.runtime_cache,
            on_build=self.on_build,
        )
        assert result.receipt is not None  # not a dry run
        return PickleUpload(result.receipt.upload_id, result.sha256, result.stored_model)

    # -- scores and stakes -----------------------------------------------------------------

    def performances(self, model: str) -> list[RoundPerformance]:
        return performances(self.client, self.model_id(model))

    def stake(self, model: str) -> Decimal:
        return current_stake(self.client, model)

    def change_stake(self, model: str, action: str, amount: Decimal) -> str:
        return change_stake(self.client, self.model_id(model), action, amount).describe()

    # -- training --------------------------------------------------------------------------

    def offered_versions(self) -> list[str]:
        return self.client.dataset_versions()

    def train(self, data_version: str | None) -> TrainedModel:
        summary = download_dataset(
            self.client,
            self.settings.data_dir,
            files=self.settings.data.files,
            version=data_version,
        )
        settings = self.settings.model_copy(deep=True)
        settings.data.version = summary.version
        report = train_model(settings, clock=self.clock)
        return _trained(report.path)

    def stored(self, name: str | None) -> TrainedModel | None:
        try:
            path = resolve_model(self.settings.models_path, name)
        except DataError:  # no model stored yet
            if name is not None:
                raise
            return None
        return _trained(path)


def _trained(path: Path) -> TrainedModel:
    manifest = read_model_manifest(path)
    ensemble = manifest.validation.get(ENSEMBLE)
    return TrainedModel(
        name=manifest.name,
        path=path,
        data_version=manifest.data_version,
        corr_mean=None if ensemble is None else ensemble.corr_mean,
    )


__all__ = ["CLOCK_SKEW", "TournamentServices", "pinned"]
