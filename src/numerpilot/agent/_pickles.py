"""Upload-mode models: keep the pickle the tournament runs on the version the agent wants.

Each pass compares what the ledger says was last uploaded (``uploaded_pickle``) and what the
tournament says it runs (``active_pickle``) with the wanted version (the entry's pinned model,
else the promoted one), and uploads a fresh pre-flighted pickle when they differ. A transient
failure is retried next pass; any other failure is recorded and notified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from numerpilot.agent._step_context import PICKLE_EVENT, StepContext, uploaded_pickle
from numerpilot.agent.notify import Kind
from numerpilot.config import ModelEntry
from numerpilot.errors import (
    CheckFailed,
    DataError,
    SubmissionRejected,
    TournamentError,
    TransientTournamentError,
)

PICKLE_ERRORS = (TournamentError, CheckFailed, DataError, SubmissionRejected, OSError)


@dataclass(frozen=True)
class PickleUpload:
    upload_id: str
    sha256: str
    model_version: str


class PickleSource(Protocol):
    def active_pickle(self, entry: ModelEntry) -> str | None:
        """The id of the pickle the tournament runs for this model, if any."""
        ...

    def upload_pickle(self, entry: ModelEntry, model_version: str | None) -> PickleUpload:
        """Build, pre-flight and upload the model version's pickle; verified."""
        ...


@dataclass
class PickleReport:
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def record_pickle_upload(ctx: StepContext, model: str, done: PickleUpload) -> None:
    """The ledger's record of a pickle the tournament listed (by the autopilot or by hand):
    what ``keep_pickles`` compares with, so a current pickle is not uploaded again."""
    ctx.event(
        PICKLE_EVENT,
        f"{model}: uploaded the pickle of {done.model_version} ({done.upload_id})",
        model=model,
        model_version=done.model_version,
        upload_id=done.upload_id,
        sha256=done.sha256,
    )


def keep_pickles(
    ctx: StepContext, source: PickleSource, models: list[ModelEntry], promoted: str | None
) -> PickleReport:
    """Upload-mode models: the tournament must run the promoted (or pinned) version."""
    report = PickleReport()
    for entry in models:
        if entry.mode != "upload":
            continue
        wanted = entry.model or promoted
        if wanted is None:
            continue
        last = uploaded_pickle(ctx.ledger, entry.name)
        try:
            active = source.active_pickle(entry)
            if (
                last is not None
                and active == last.get("upload_id")
                and last.get("model_version") == wanted
            ):
                continue
            done = source.upload_pickle(entry, wanted)
        except TransientTournamentError as e:
            report.errors.append(f"{entry.name}: pickle upload: {e}")
            continue
        except PICKLE_ERRORS as e:
            report.errors.append(f"{entry.name}: pickle upload: {e}")
            ctx.event(
                "pickle_failed",
                f"{entry.name}: the model pickle could not be made current: {e}",
                model=entry.name,
                notify=Kind.SUBMISSION_REJECTED,
            )
            continue
        record_pickle_upload(ctx, entry.name, done)
        report.notes.append(f"{entry.name}: uploaded the pickle of {done.model_version}")
    return report


__all__ = [
    "PICKLE_ERRORS",
    "PickleReport",
    "PickleSource",
    "PickleUpload",
    "keep_pickles",
    "record_pickle_upload",
]
