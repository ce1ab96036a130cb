"""Uploads made by hand go through the ledger exactly as the autopilot's do.

``numerpilot submit`` prepares like the autopilot (the previous submission for the sanity
check is the ledger's), then commits the same intent with the file's hash, uploads exactly that
file and confirms the id the tournament counts (``_round_step.submit_prepared``). So ``status``
shows it, and the next ``run`` finds the round done instead of uploading again. ``upload-model``
records its pickle as the autopilot's pickle upkeep does, the moment the tournament lists it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from numerpilot.agent._pickles import PickleUpload, record_pickle_upload
from numerpilot.agent._round_step import (
    previous_predictions,
    settle,
    submit_prepared,
)
from numerpilot.agent._step_context import Outcome, Prepared, StepContext
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import notifier_from_settings
from numerpilot.agent.services import TournamentServices
from numerpilot.clock import Clock
from numerpilot.config import ModelEntry, Settings
from numerpilot.errors import (
    RoundClosed,
    SubmissionRejected,
    TournamentError,
    TransientTournamentError,
)
from numerpilot.pipeline import (
    SubmitResult,
    UploadModelResult,
    current_round,
    prepare_submission,
    tournament_model,
)
from numerpilot.tournament import RoundInfo, TournamentClient


@dataclass
class _Session:
    ctx: StepContext
    services: TournamentServices


def _context(
    settings: Settings, client: TournamentClient, clock: Clock, ledger: Ledger
) -> _Session:
    secrets = client.credentials.secrets if client.credentials else ()
    services = TournamentServices(settings, client, clock)
    notifier = notifier_from_settings(settings, clock, secrets=secrets)
    return _Session(StepContext(settings, ledger, notifier, services, clock), services)


def _clear_to_submit(session: _Session, entry: ModelEntry, rnd: RoundInfo) -> None:
    """Refuse when the ledger holds this round's submission (settling a pending one first)."""
    ctx = session.ctx
    live = ctx.ledger.submission_for(rnd.number, entry.name)
    if live is not None and live.status == "pending":
        settled = settle(ctx, live)
        if settled is None:
            raise TransientTournamentError(
                f"{entry.name}: an upload for round {rnd.number} begun at "
                f"{live.attempted_at.isoformat()} is not settled yet (the tournament does not "
                "answer); nothing was uploaded now"
            )
        live = settled if settled.status == "confirmed" else None
    if live is not None:
        raise SubmissionRejected(
            "already_submitted",
            f"{entry.name} has a confirmed submission for round {rnd.number} in the ledger "
            f"({live.server_id}); numerpilot submits once a round, nothing was uploaded",
        )


def submit_by_hand(
    settings: Settings,
    *,
    client: TournamentClient,
    clock: Clock,
    model: str | None = None,
    predictions_file: Path | None = None,
    dry_run: bool = False,
    download: bool = True,
) -> SubmitResult:
    """``numerpilot submit``: prepare, then (unless ``dry_run``) intent, upload, confirmation."""
    entry = tournament_model(settings, model, "csv")
    rnd = current_round(client, clock)
    if dry_run and not settings.ledger_path.exists():  # a dry run creates no ledger
        return prepare_submission(
            settings,
            client=client,
            clock=clock,
            model=entry.name,
            predictions_file=predictions_file,
            round_info=rnd,
            dry_run=True,
            download=download,
        )
    with Ledger.open(settings, clock) as ledger:
        session = _context(settings, client, clock, ledger)
        if not dry_run:
            ledger.record_round(rnd.number, rnd.open_time, rnd.close_staking_time, rnd.resolve_time)
            _clear_to_submit(session, entry, rnd)
        result = prepare_submission(
            settings,
            client=client,
            clock=clock,
            model=entry.name,
            predictions_file=predictions_file,
            previous=previous_predictions(ledger, settings, entry.name),
            round_info=rnd,
            dry_run=dry_run,
            download=download,
        )
        if dry_run:
            return result
        prepared = Prepared(result.csv_path, result.sha256, result.stored_model)
        done = submit_prepared(session.ctx, entry, rnd, prepared)
    if done.outcome in (Outcome.CONFIRMED, Outcome.DONE):
        result.submission_id = done.server_id
        result.receipt = session.services.last_receipt
        return result
    if done.outcome is Outcome.PENDING:
        raise TransientTournamentError(
            f"{entry.name}: the round {rnd.number} upload is not confirmed yet ({done.error}); "
            "the ledger holds it pending, and 'numerpilot run --once' or 'submit' again "
            "settles it without uploading twice"
        )
    if isinstance(done.error, SubmissionRejected | RoundClosed | TournamentError):
        raise done.error
    raise TournamentError(f"{entry.name}: round {rnd.number} submission {done.outcome.value}")


def record_model_upload(
    settings: Settings, client: TournamentClient, clock: Clock
) -> Callable[[UploadModelResult], None]:
    """For ``upload-model`` by hand: records the pickle in the ledger, as the autopilot's
    upkeep does, called the moment the tournament lists it."""

    def record(result: UploadModelResult) -> None:
        assert result.receipt is not None
        with Ledger.open(settings, clock) as ledger:
            ctx = _context(settings, client, clock, ledger).ctx
            upload = PickleUpload(result.receipt.upload_id, result.sha256, result.stored_model)
            record_pickle_upload(ctx, result.model, upload)

    return record


__all__ = ["record_model_upload", "submit_by_hand"]
