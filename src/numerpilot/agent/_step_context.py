"""What a round step works with: its outcomes, the context it runs in, and what it asks of
the world (``RoundActions``: the tournament and the pipeline, or a test's fake).

The worker reads the outcomes to plan its next pass; the round step, the pickle keeper and
the manual uploads share the context (settings, ledger, notifier, clock) and its ``event``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from numerpilot.agent.ledger import Ledger, Submission
from numerpilot.agent.notify import Kind, Notifier
from numerpilot.clock import Clock, utc
from numerpilot.config import ModelEntry, Settings
from numerpilot.pipeline.submit import PreviousPredictions
from numerpilot.tournament import RoundInfo

log = logging.getLogger(__name__)

RECENT_EVENTS = 50  # how far back ``once`` looks for the same event


class Outcome(StrEnum):
    CONFIRMED = "confirmed"  # this pass confirmed a submission
    DONE = "done"  # confirmed before this pass
    PENDING = "pending"  # an intent awaits the tournament's answer: try again soon
    WAITING = "waiting"  # an upload-mode run has not produced its submission yet
    FAILED = "failed"  # nothing was submitted this pass: try again soon
    REJECTED = "rejected"  # the predictions or the upload were refused
    CLOSED = "closed"  # the round closed without a submission


UNFINISHED = frozenset({Outcome.PENDING, Outcome.WAITING, Outcome.FAILED, Outcome.REJECTED})
# Worth another try within minutes; a rejection repeats until the data or the model change.
RETRY_SOON = frozenset({Outcome.PENDING, Outcome.WAITING, Outcome.FAILED})


@dataclass(frozen=True)
class Prepared:
    """Predictions written, checked and ready to upload."""

    path: Path
    sha256: str
    model_version: str | None  # the stored model that made them


@dataclass(frozen=True)
class PredictionRequest:
    """Predictions wanted: ``entry``'s for round ``rnd`` from stored model ``model_version``
    (None: the newest), checked against the ``previous`` submission."""

    entry: ModelEntry
    model_version: str | None
    rnd: RoundInfo
    previous: PreviousPredictions | None


@dataclass(frozen=True)
class HostedRun:
    """What the tournament shows of an upload-mode model's run for a round."""

    submission_id: str | None
    failure: str | None = None  # the run failed, as the tournament reports it


PICKLE_EVENT = "pickle_uploaded"


def uploaded_pickle(ledger: Ledger, model: str) -> dict[str, object] | None:
    """Details (model_version, upload_id, sha256) of the model's last pickle upload."""
    for e in ledger.events(kind=PICKLE_EVENT):
        if e.model == model:
            return e.details
    return None


class RoundActions(Protocol):
    """What a step does outside the ledger."""

    def prepare(self, request: PredictionRequest) -> Prepared:
        """Refresh live data, predict once with ``request.model_version`` (None: the newest
        stored model), write the CSV once, check (comparing with ``request.previous``), hash;
        raise ``SubmissionRejected`` or a data/model error."""
        ...

    def upload(self, entry: ModelEntry, prepared: Prepared, rnd: RoundInfo) -> str:
        """Upload exactly the prepared file; the id the tournament counts once it lists it."""
        ...

    def find_submission(self, intent: Submission) -> str | None:
        """The server's id of ``intent`` (same round and model, uploaded after it began)."""
        ...

    def hosted_run(self, entry: ModelEntry, rnd: RoundInfo) -> HostedRun:
        """The upload-mode model's submission for ``rnd``, if its run made one."""
        ...


@dataclass
class StepContext:
    settings: Settings
    ledger: Ledger
    notifier: Notifier
    actions: RoundActions
    clock: Clock

    def now(self) -> datetime:
        return utc(self.clock.now())

    def deadline(self, rnd: RoundInfo) -> datetime:
        """Submit by this time: the margin before staking closes."""
        return rnd.close_staking_time - timedelta(minutes=self.settings.submit.margin_minutes)

    def event(
        self,
        kind: str,
        message: str,
        *,
        model: str | None = None,
        round_number: int | None = None,
        notify: Kind | None = None,
        once: bool = False,
        **details: object,
    ) -> None:
        """Record an event in the ledger, log it, and notify a person if ``notify`` is set.
        ``once``: not again if the same kind was recorded for this model and round (a check
        that refuses a model refuses it at every retry: one notification is enough)."""
        if once and any(
            e.model == model and e.round_number == round_number and e.details == details
            for e in self.ledger.events(kind=kind, limit=RECENT_EVENTS)
        ):
            return
        log.info("%s: %s", kind, message)
        self.ledger.record_event(
            kind, message, model=model, round_number=round_number, details=details
        )
        if notify is not None:
            self.notifier.notify(
                notify, message, model=model, round_number=round_number, details=details
            )


__all__ = [
    "PICKLE_EVENT",
    "RETRY_SOON",
    "UNFINISHED",
    "HostedRun",
    "Outcome",
    "PredictionRequest",
    "Prepared",
    "RoundActions",
    "StepContext",
    "uploaded_pickle",
]
