"""Rounds and submissions in the ledger: what the tournament opened, and what was sent to it.

Exactly-once submissions across kill -9: the worker calls ``begin_submission`` (an *intent*:
round, model, file hash) which commits BEFORE anything is uploaded, then ``confirm_submission``
with the server's id after. A unique index allows one pending-or-confirmed submission per
(round, model), so a second upload cannot even be begun. After a crash, ``reconcile_pending``
asks the server about every intent left without a server id: found means confirmed; not found
means the upload never completed, the intent is marked failed and a new one may start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from numerpilot.agent._ledger_base import LedgerBase
from numerpilot.agent._ledger_records import RoundRecord, Submission, SubmissionStart, from_row
from numerpilot.agent._ledger_schema import LIVE_STATUSES, RoundRow, SubmissionRow
from numerpilot.clock import utc


class RoundsLedger(LedgerBase):
    """Rounds seen and submissions made (intents, confirmations, failures)."""

    def record_round(
        self,
        number: int,
        open_time: datetime,
        close_time: datetime,
        resolve_time: datetime | None = None,
    ) -> RoundRecord:
        """Insert the round, or update its times: a round that opens late moves its close."""
        now = self._now()
        with self._writing() as s:
            row = s.get(RoundRow, number)
            if row is None:
                row = RoundRow(number=number, first_seen_at=now, resolved=False)
                s.add(row)
            row.open_time, row.close_time, row.updated_at = utc(open_time), utc(close_time), now
            if resolve_time is not None:
                row.resolve_time = utc(resolve_time)
            s.flush()
            return from_row(RoundRecord, row)

    def mark_round_resolved(self, number: int) -> None:
        with self._writing() as s:
            row = s.get(RoundRow, number)
            if row is None:
                raise ValueError(f"round {number} is not in the ledger")
            row.resolved, row.updated_at = True, self._now()

    def round(self, number: int) -> RoundRecord | None:
        with self._read() as s:
            row = s.get(RoundRow, number)
            return None if row is None else from_row(RoundRecord, row)

    def rounds(self, limit: int | None = None) -> list[RoundRecord]:
        """Newest first."""
        with self._read() as s:
            rows = s.scalars(select(RoundRow).order_by(RoundRow.number.desc()).limit(limit))
            return [from_row(RoundRecord, r) for r in rows]

    def missed_rounds(self, model: str) -> list[int]:
        """Closed rounds without a confirmed submission of ``model``, oldest first."""
        confirmed = select(SubmissionRow.round_number).where(
            SubmissionRow.model == model, SubmissionRow.status == "confirmed"
        )
        query = (
            select(RoundRow.number)
            .where(RoundRow.close_time <= self._now(), RoundRow.number.not_in(confirmed))
            .order_by(RoundRow.number)
        )
        with self._read() as s:
            return list(s.scalars(query))

    # -- submissions -----------------------------------------------------------------------
    def begin_submission(
        self,
        round_number: int,
        model: str,
        file_sha256: str,
        *,
        model_version: str | None = None,
        mode: str = "csv",
    ) -> SubmissionStart:
        """Commit an intent to upload, or return the pending/confirmed one that forbids it.

        Upload only when ``created`` is true; a pending one must be reconciled first.
        """
        live = select(SubmissionRow).where(
            SubmissionRow.round_number == round_number,
            SubmissionRow.model == model,
            SubmissionRow.status.in_(LIVE_STATUSES),
        )
        try:
            with self._writing() as s:
                if s.get(RoundRow, round_number) is None:
                    raise ValueError(f"round {round_number} is not in the ledger; record it first")
                existing = s.scalar(live)
                if existing is not None:
                    return SubmissionStart(from_row(Submission, existing), created=False)
                row = SubmissionRow(
                    round_number=round_number,
                    model=model,
                    model_version=model_version,
                    mode=mode,
                    file_sha256=file_sha256,
                    status="pending",
                    attempted_at=self._now(),
                )
                s.add(row)
                s.flush()
                return SubmissionStart(from_row(Submission, row), created=True)
        except IntegrityError:
            # Another process committed an intent between our check and insert: honour it.
            with self._read() as s:
                return SubmissionStart(from_row(Submission, s.scalars(live).one()), created=False)

    def confirm_submission(self, submission_id: int, server_id: str) -> Submission:
        with self._writing() as s:
            row = self._get_submission(s, submission_id)
            if row.status == "confirmed" and row.server_id == server_id:
                return from_row(Submission, row)
            if row.status != "pending":
                raise ValueError(f"submission {submission_id} is {row.status}, not pending")
            row.status, row.server_id, row.confirmed_at = "confirmed", server_id, self._now()
            return from_row(Submission, row)

    def fail_submission(
        self, submission_id: int, error: str, *, rejected: bool = False
    ) -> Submission:
        """The upload did not reach the server (``failed``, may be retried) or was refused."""
        with self._writing() as s:
            row = self._get_submission(s, submission_id)
            if row.status != "pending":
                raise ValueError(f"submission {submission_id} is {row.status}, not pending")
            row.status, row.error = ("rejected" if rejected else "failed"), error
            return from_row(Submission, row)

    @staticmethod
    def _get_submission(s: Session, submission_id: int) -> SubmissionRow:
        row = s.get(SubmissionRow, submission_id)
        if row is None:
            raise ValueError(f"submission {submission_id} is not in the ledger")
        return row

    def pending_submissions(self) -> list[Submission]:
        query = select(SubmissionRow).where(SubmissionRow.status == "pending")
        with self._read() as s:
            return [from_row(Submission, r) for r in s.scalars(query.order_by(SubmissionRow.id))]

    def reconcile_pending(self, find: Callable[[Submission], str | None]) -> list[Submission]:
        """Settle every intent left without a server id (after a crash) against the server.

        ``find`` returns the server's id of *this* submission (same round and model, and the
        same file or one made after ``attempted_at``), or None if it never arrived. An error
        from ``find`` propagates and leaves the intent pending, which keeps blocking a new
        upload: better late than twice.
        """
        settled = []
        for intent in self.pending_submissions():
            server_id = find(intent)
            if server_id is None:
                settled.append(
                    self.fail_submission(intent.id, "interrupted: the server never received it")
                )
            else:
                settled.append(self.confirm_submission(intent.id, server_id))
        return settled

    def submission_for(self, round_number: int, model: str) -> Submission | None:
        """The pending or confirmed submission of ``model`` in that round, if any."""
        query = select(SubmissionRow).where(
            SubmissionRow.round_number == round_number,
            SubmissionRow.model == model,
            SubmissionRow.status.in_(LIVE_STATUSES),
        )
        with self._read() as s:
            row = s.scalar(query)
            return None if row is None else from_row(Submission, row)

    def submissions(self, model: str | None = None, limit: int | None = None) -> list[Submission]:
        """Newest first; failed and rejected attempts included."""
        query = select(SubmissionRow).order_by(SubmissionRow.id.desc()).limit(limit)
        if model is not None:
            query = query.where(SubmissionRow.model == model)
        with self._read() as s:
            return [from_row(Submission, r) for r in s.scalars(query)]


__all__ = ["RoundsLedger"]
