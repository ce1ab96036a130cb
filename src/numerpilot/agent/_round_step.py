"""One readable step: make sure one model has exactly one submission in one open round.

The worker calls ``process_round`` for every configured model at every pass while a round is
open. The step is idempotent, so calling it again (after a retry, a restart, a kill -9) only
does what is still missing:

1. The ledger already holds a confirmed submission: done.
2. An intent is pending (a crash or an unanswered upload): ask the tournament whether it
   arrived. Found: confirmed. Not found: the intent fails and a new one may start. No answer:
   wait; never upload while an intent is unresolved.
3. csv mode: prepare (predict once with the promoted model, falling back to earlier ones and
   recording why; write the CSV once; every check, the previous submission taken from the
   ledger; hash), commit an intent with the file's hash, upload exactly that file, confirm
   the id the server counts. ``submit_prepared`` is the same for a submission made by hand.
   upload mode: Numerai runs the model's pickle at the round's open; record the submission its
   run produced. If none has appeared by the submit deadline, submit a CSV from the same
   model instead, so that the round is not missed.

Everything the step does outside the ledger goes through ``RoundActions`` (the tournament,
the pipeline), so the step reads the same in tests and in production; it, the outcomes and
the step's context are ``_step_context``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from numerpilot.agent._step_context import (
    Outcome,
    PredictionRequest,
    Prepared,
    StepContext,
    uploaded_pickle,
)
from numerpilot.agent.ledger import Ledger, Submission
from numerpilot.agent.notify import Kind
from numerpilot.config import ModelEntry, Settings
from numerpilot.errors import (
    CheckFailed,
    CredentialsError,
    DataError,
    RoundClosed,
    StorageError,
    SubmissionRejected,
    TournamentError,
    TransientTournamentError,
)
from numerpilot.fsutil import DISK_FULL
from numerpilot.pipeline import PreviousPredictions, predictions_path
from numerpilot.tournament import KeyRefusedBeforeUpload, RoundInfo

log = logging.getLogger(__name__)

# What a different model can fix, so worth a fallback: this one fails to load (a corrupt or
# unreadable file) or to predict (an error inside the model), or its predictions fail a
# check. The rest is the same whichever model predicts and surfaces instead of hiding behind a
# fallback: the configuration (ConfigError), a full disk (StorageError, or a raw ENOSPC),
# refused credentials, the tournament.
PREDICTION_ERRORS = (DataError, CheckFailed, SubmissionRejected, OSError, ValueError)


def settle(ctx: StepContext, intent: Submission) -> Submission | None:
    """Resolve a pending intent against the server: confirmed, failed, or None if the
    tournament could not say (the intent stays pending and keeps blocking uploads)."""
    try:
        server_id = ctx.actions.find_submission(intent)
    except TournamentError as e:
        log.warning("cannot settle submission %d of %s yet: %s", intent.id, intent.model, e)
        return None
    if server_id is not None:
        return ctx.ledger.confirm_submission(intent.id, server_id)
    return ctx.ledger.fail_submission(intent.id, "the tournament never received it")


def previous_predictions(
    ledger: Ledger, settings: Settings, model: str
) -> PreviousPredictions | None:
    """The model's last confirmed CSV submission, as the ledger records it (the file stays
    where it was prepared; its hash tells whether it is still the one sent)."""
    for s in ledger.submissions(model=model):
        if s.status == "confirmed" and s.mode == "csv" and s.file_sha256:
            path = predictions_path(settings, model, s.round_number, dry_run=False)
            return PreviousPredictions(path, s.file_sha256, s.round_number)
    return None


def candidate_versions(ledger: Ledger, entry: ModelEntry) -> list[str | None]:
    """Stored models to predict with, best first: the entry's own model if it names one, the
    promoted version, then earlier promoted versions (the last good ones). ``[None]`` when the
    ledger knows none: the newest stored model."""
    promoted = sorted(
        (v for v in ledger.model_versions() if v.promoted_at is not None),
        key=lambda v: v.promoted_at or v.created_at,
        reverse=True,
    )
    names: list[str | None] = [entry.model] if entry.model else []
    for v in promoted:
        if v.name not in names:
            names.append(v.name)
    return names or [None]


def _prepare(
    ctx: StepContext, entry: ModelEntry, rnd: RoundInfo, versions: Sequence[str | None]
) -> Prepared | Outcome:
    """Predictions from the first version that works; every failure is recorded."""
    failures: list[str] = []
    only_refused = True  # every version made predictions, and checks refused them all
    previous = previous_predictions(ctx.ledger, ctx.settings, entry.name)
    for version in versions:
        try:
            prepared = ctx.actions.prepare(PredictionRequest(entry, version, rnd, previous))
        except RoundClosed:
            return Outcome.CLOSED
        except SubmissionRejected as e:
            failures.append(f"{version or 'newest model'}: {e}")
            ctx.event(
                "predictions_rejected",
                f"{entry.name}: predictions of {version or 'the newest model'} refused by a "
                f"check: {e}",
                model=entry.name,
                round_number=rnd.number,
                notify=Kind.SUBMISSION_REJECTED,
                once=True,
                reason=e.reason,
                model_version=version,
            )
            continue
        except PREDICTION_ERRORS as e:
            if isinstance(e, OSError) and e.errno in DISK_FULL:
                raise
            only_refused = False
            failures.append(f"{version or 'newest model'}: {e}")
            ctx.event(
                "prediction_failed",
                f"{entry.name}: predicting with {version or 'the newest model'} failed: {e}",
                model=entry.name,
                round_number=rnd.number,
                once=True,
                error=type(e).__name__,
                model_version=version,
            )
            continue
        if failures:
            ctx.event(
                "fallback",
                f"{entry.name}: submitting with {prepared.model_version or 'the newest model'} "
                f"because {'; '.join(failures)}",
                model=entry.name,
                round_number=rnd.number,
                notify=Kind.FALLBACK,
                once=True,
                model_version=prepared.model_version,
            )
        return prepared
    return Outcome.REJECTED if only_refused else Outcome.FAILED


def _submit_csv(ctx: StepContext, entry: ModelEntry, rnd: RoundInfo, mode: str = "csv") -> Outcome:
    prepared = _prepare(ctx, entry, rnd, candidate_versions(ctx.ledger, entry))
    if isinstance(prepared, Outcome):
        return prepared
    return submit_prepared(ctx, entry, rnd, prepared, mode=mode).outcome


@dataclass(frozen=True)
class Submitted:
    """What ``submit_prepared`` did: the outcome, the server's id when confirmed, and the
    error behind any other outcome."""

    outcome: Outcome
    server_id: str | None = None
    error: Exception | None = None


def submit_prepared(
    ctx: StepContext, entry: ModelEntry, rnd: RoundInfo, prepared: Prepared, *, mode: str = "csv"
) -> Submitted:
    """Intent (with the file's hash), upload, confirmation: the one way anything is submitted,
    by the autopilot or by hand. A refused key is raised (a person must act) after the intent
    is closed when nothing was sent."""
    start = ctx.ledger.begin_submission(
        rnd.number, entry.name, prepared.sha256, model_version=prepared.model_version, mode=mode
    )
    if not start.created:  # another process got there first: honour its intent
        live = start.submission
        done = live.status == "confirmed"
        return Submitted(Outcome.DONE if done else Outcome.PENDING, live.server_id)
    intent = start.submission
    try:
        server_id = ctx.actions.upload(entry, prepared, rnd)
    except KeyRefusedBeforeUpload as e:
        ctx.ledger.fail_submission(intent.id, f"nothing sent: {e}")
        raise
    except CredentialsError:
        raise  # refused midway: whether it arrived is settled once the key works
    except (SubmissionRejected, RoundClosed) as e:
        return _after_refusal(ctx, entry, rnd, intent, e)
    except TournamentError as e:
        # The upload may or may not have arrived (a timeout after the server took it): ask.
        log.warning("upload of %s for round %d failed: %s", entry.name, rnd.number, e)
        settled = settle(ctx, intent)
        if settled is None:
            return Submitted(Outcome.PENDING, error=e)
        if settled.status == "confirmed":
            return Submitted(Outcome.CONFIRMED, settled.server_id)
        ctx.event(
            "upload_failed",
            f"{entry.name}: upload for round {rnd.number} failed: {e}",
            model=entry.name,
            round_number=rnd.number,
            transient=isinstance(e, TransientTournamentError),
        )
        return Submitted(Outcome.FAILED, error=e)
    try:
        ctx.ledger.confirm_submission(intent.id, server_id)
    except StorageError as e:
        # Accepted by the tournament: never reported as a failure. The intent stays pending
        # and the next pass (or run) confirms it from the tournament's listing.
        raise StorageError(
            f"the tournament accepted {entry.name}'s round {rnd.number} submission "
            f"{server_id}, but the ledger could not record it ({e}); the next "
            "'numerpilot run' records it without uploading again",
            path=e.path,
            needed_bytes=e.needed_bytes,
        ) from None
    log.info("%s: round %d submission %s confirmed", entry.name, rnd.number, server_id)
    return Submitted(Outcome.CONFIRMED, server_id)


def _after_refusal(
    ctx: StepContext,
    entry: ModelEntry,
    rnd: RoundInfo,
    intent: Submission,
    e: SubmissionRejected | RoundClosed,
) -> Submitted:
    try:  # a refusal after the upload may still have left a submission behind
        server_id = ctx.actions.find_submission(intent)
    except TournamentError:
        return Submitted(Outcome.PENDING, error=e)
    if server_id is not None:
        ctx.ledger.confirm_submission(intent.id, server_id)
        return Submitted(Outcome.CONFIRMED, server_id)
    closed = isinstance(e, RoundClosed)
    ctx.ledger.fail_submission(intent.id, str(e), rejected=not closed)
    if closed:
        return Submitted(Outcome.CLOSED, error=e)
    reason = e.reason if isinstance(e, SubmissionRejected) else "round_closed"
    ctx.event(
        "submission_rejected",
        f"{entry.name}: round {rnd.number} submission refused: {e}",
        model=entry.name,
        round_number=rnd.number,
        notify=Kind.SUBMISSION_REJECTED,
        reason=reason,
    )
    return Submitted(Outcome.REJECTED, error=e)


def _hosted(ctx: StepContext, entry: ModelEntry, rnd: RoundInfo) -> Outcome:
    """Upload mode: record the run's submission, or submit a CSV when it is overdue."""
    run = ctx.actions.hosted_run(entry, rnd)
    if run.submission_id is not None:
        pickle = uploaded_pickle(ctx.ledger, entry.name) or {}
        start = ctx.ledger.begin_submission(
            rnd.number,
            entry.name,
            str(pickle.get("sha256", "")),
            model_version=str(pickle["model_version"]) if "model_version" in pickle else None,
            mode="upload",
        )
        if not start.created:  # confirmed already, or another process's intent
            return Outcome.DONE if start.submission.status == "confirmed" else Outcome.PENDING
        ctx.ledger.confirm_submission(start.submission.id, run.submission_id)
        return Outcome.CONFIRMED
    if run.failure is None and ctx.now() < ctx.deadline(rnd):
        return Outcome.WAITING
    why = run.failure or "no submission from its run by the submit deadline"
    ctx.event(
        "hosted_run_missing",
        f"{entry.name}: the uploaded model made no submission for round {rnd.number} ({why}); "
        "submitting its predictions as a CSV instead",
        model=entry.name,
        round_number=rnd.number,
        notify=Kind.MISSED_ROUND,
    )
    return _submit_csv(ctx, entry, rnd, mode="csv")


def process_round(ctx: StepContext, entry: ModelEntry, rnd: RoundInfo) -> Outcome:
    """Bring ``entry``'s submission for the open round ``rnd`` one step closer to confirmed."""
    live = ctx.ledger.submission_for(rnd.number, entry.name)
    if live is not None and live.status == "confirmed":
        return Outcome.DONE
    if live is not None:
        settled = settle(ctx, live)
        if settled is None:
            return Outcome.PENDING
        if settled.status == "confirmed":
            return Outcome.CONFIRMED
    if not rnd.is_open(ctx.now()):
        return Outcome.CLOSED
    if entry.mode == "upload":
        return _hosted(ctx, entry, rnd)
    return _submit_csv(ctx, entry, rnd)


__all__ = [
    "PREDICTION_ERRORS",
    "Submitted",
    "candidate_versions",
    "previous_predictions",
    "process_round",
    "settle",
    "submit_prepared",
]
