"""The world the sim runs: rounds open, close, are scored daily and resolve as time passes.

``World.advance(now)`` replays every event due by ``now`` in time order, one committed
transaction per event, so it can be interrupted anywhere and resumed by the next call:

- open: write the round's live files, apply the stake changes due, queue hosted-model runs;
- close staking: fix each on-time submission's stake at risk, the payout factor and the meta
  model (stake-weighted submissions plus the house benchmark);
- score day d: CORR and MMC of every submission on the day's realised target;
- resolve: the last day's scores are final; payouts move each stake.

Nothing here reads a clock: the caller passes ``now``.
"""

from __future__ import annotations

import heapq
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

import numerpilot.sim._scoring as scoring
from numerpilot.sim._calendar import RoundTimes, latest_round_at, round_times
from numerpilot.sim._config import SimConfig
from numerpilot.sim._faults import Faults
from numerpilot.sim._livedata import LiveData
from numerpilot.sim._payouts import payout, payout_factor
from numerpilot.sim._store import (
    Account,
    Model,
    Payout,
    Pickle,
    PickleRun,
    Round,
    Score,
    StakeRequest,
    Store,
    Submission,
)

log = logging.getLogger(__name__)

# At one instant: settle resolutions first (stakes change), then close staking, then score,
# then open the next round (which applies pending stake changes).
_ORDER = {"resolve": 0, "close": 1, "score": 2, "open": 3}


@dataclass(frozen=True, order=True)
class _Event:
    when: datetime
    order: int
    kind: str
    number: int


def score_dates(r: Round) -> list[datetime]:
    return [datetime.fromisoformat(d) for d in json.loads(r.score_dates)]


def current_round(session: Session) -> Round | None:
    """The latest round that has opened (rows exist only for opened rounds)."""
    number = session.scalar(select(func.max(Round.number)))
    return None if number is None else session.get(Round, number)


def selected_submissions(session: Session, number: int) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.round_number == number, Submission.selected.is_(True))
            .order_by(Submission.inserted_at, Submission.id)
        )
    )


class World:
    def __init__(
        self, store: Store, config: SimConfig, live: LiveData, faults: Faults, files_dir: Path
    ):
        self.store = store
        self.config = config
        self.live = live
        self.faults = faults
        self.submissions_dir = files_dir / "submissions"

    # --- calendar -------------------------------------------------------------------------

    def times(self, number: int) -> RoundTimes:
        times = round_times(number, self.config.calendar)
        return times.shifted(self.faults.round_delay(number))

    def next_boundary(self, now: datetime) -> datetime:
        """When the next round opens on the schedule: where pending stake changes apply."""
        return self.times(latest_round_at(now, self.config.calendar) + 1).open_time

    def era_index(self, number: int) -> int:
        first_round = int(self.store.get_meta("first_round") or number)
        return int(self.store.get_meta("first_live_era") or 1) + (number - first_round)

    def bootstrap(self, now: datetime, first_live_era: int) -> None:
        """On the first start: the round current at ``now`` opens (even if a bit late)."""
        if self.store.get_meta("first_round") is None:
            self.store.set_meta("first_live_era", str(first_live_era))
            self.store.set_meta("first_round", str(latest_round_at(now, self.config.calendar)))
        with self.store.session() as s:
            opened = s.scalar(select(func.max(Round.number))) is not None
        if not opened:
            self._open(int(self.store.get_meta("first_round") or 0))

    # --- the event loop -------------------------------------------------------------------

    def _pending(self) -> tuple[list[_Event], dict[int, list[datetime]]]:
        """The next event of every unresolved round and the next opening, one query."""
        days = self.config.calendar.score_days
        events: list[_Event] = []
        dates: dict[int, list[datetime]] = {}
        with self.store.session() as s:
            last = s.scalar(select(func.max(Round.number)))
            if last is not None:
                events.append(self._open_event(last + 1))
            for r in s.scalars(select(Round).where(Round.resolved.is_(False))):
                dates[r.number] = score_dates(r)
                if not r.staking_closed:
                    events.append(_Event(r.close_staking_time, _ORDER["close"], "close", r.number))
                elif r.days_scored < days:
                    when = dates[r.number][r.days_scored]
                    events.append(_Event(when, _ORDER["score"], "score", r.number))
                else:
                    events.append(_Event(r.resolve_time, _ORDER["resolve"], "resolve", r.number))
        return events, dates

    def _open_event(self, number: int) -> _Event:
        return _Event(self.times(number).open_time, _ORDER["open"], "open", number)

    def advance(self, now: datetime) -> int:
        """Apply every event due by ``now``, in time order; returns how many there were.

        Only this loop changes a round's phase, so after each event the round's next one is
        known without asking the database again.
        """
        events, dates = self._pending()
        heapq.heapify(events)
        days = self.config.calendar.score_days
        applied = 0
        while events and events[0].when <= now:
            event = heapq.heappop(events)
            n = event.number
            log.debug("sim event %s round %d at %s", event.kind, n, event.when)
            follow: _Event | None = None
            if event.kind == "open":
                times = self._open(n)
                dates[n] = list(times.score_dates)
                heapq.heappush(events, self._open_event(n + 1))
                follow = _Event(times.close_staking_time, _ORDER["close"], "close", n)
            elif event.kind == "close":
                self._close_staking(n)
                follow = _Event(dates[n][0], _ORDER["score"], "score", n)
            elif event.kind == "score":
                day = self._score_day(n)
                kind = "score" if day < days else "resolve"
                follow = _Event(dates[n][min(day, days - 1)], _ORDER[kind], kind, n)
            else:
                self._resolve(n)
            if follow is not None:
                heapq.heappush(events, follow)
            applied += 1
        return applied

    # --- events ---------------------------------------------------------------------------

    def _open(self, number: int) -> RoundTimes:
        times = self.times(number)
        self.live.write_round(number, self.era_index(number))
        with self.store.session() as s:
            s.add(
                Round(
                    number=number,
                    era_index=self.era_index(number),
                    open_time=times.open_time,
                    close_staking_time=times.close_staking_time,
                    close_time=times.close_time,
                    score_dates=json.dumps([d.isoformat() for d in times.score_dates]),
                    resolve_time=times.resolve_time,
                )
            )
            self._apply_stake_requests(s, times.open_time)
            for pickle in s.scalars(select(Pickle).where(Pickle.active.is_(True))):
                s.add(new_run(pickle.id, number, times.open_time))
        return times

    def _apply_stake_requests(self, s: Session, boundary: datetime) -> None:
        # In request order (SQLite's rowid breaks ties), a drain after everything else: it
        # releases whatever the other changes leave.
        pending = s.scalars(
            select(StakeRequest)
            .where(StakeRequest.status == "pending", StakeRequest.due_date <= boundary)
            .order_by(StakeRequest.drain, StakeRequest.requested_at, literal_column("rowid"))
        )
        for request in pending:
            model = s.get_one(Model, request.model_id)
            if request.type == "increase":
                # The NMR left the balance when the increase was requested.
                model.stake += request.amount
                applied = request.amount
            else:
                applied = model.stake if request.drain else min(request.amount, model.stake)
                model.stake -= applied
                account = s.get_one(Account, model.account_id)
                account.available_nmr += applied
            request.status, request.applied_amount = "applied", applied

    def _close_staking(self, number: int) -> None:
        with self.store.session() as s:
            r = s.get_one(Round, number)
            staked_columns: list[NDArray[np.float64]] = []
            stakes: list[float] = []
            total = Decimal(0)
            for sub in selected_submissions(s, number):
                if not sub.on_time:
                    continue
                stake = s.get_one(Model, sub.model_id).stake
                sub.at_risk = stake if stake > 0 else Decimal(0)
                if sub.at_risk > 0:
                    total += sub.at_risk
                    staked_columns.append(self.load_predictions(sub.id))
                    stakes.append(float(sub.at_risk))
            # The house stake is shared by the benchmark models; with no stake anywhere the
            # meta model is the benchmarks alone.
            house = self.live.house_benchmarks(number)
            share = self.config.payout.house_stake / len(house)
            if not stakes and share <= 0:
                share = 1.0
            columns = [*staked_columns, *house]
            weights = [*stakes, *([share] * len(house))]
            meta = scoring.meta_model(columns, weights)
            self.live.write_meta_model(number, meta)
            r.total_at_risk = total
            r.payout_factor = payout_factor(total, self.config.payout)
            r.staking_closed = True

    def _score_day(self, number: int) -> int:
        days = self.config.calendar.score_days
        with self.store.session() as s:
            r = s.get_one(Round, number)
            day = r.days_scored + 1
            date = score_dates(r)[day - 1]
            subs = selected_submissions(s, number)
            if not subs and date >= r.close_time:
                # Nothing was submitted and nothing can be any more: no daily scores to
                # compute, the round only waits for its resolution.
                r.days_scored = days
                return days
            if subs:
                target = self.live.hidden_target(number)
                shadow = scoring.shadow_target(target, self.config.data.seed, number)
                realised = scoring.daily_target(target, shadow, day, days)
                meta = self.live.read_meta_model(number)
                preds = pd.DataFrame(
                    {sub.id: self.load_predictions(sub.id) for sub in subs},
                    index=self.live.live_ids(number),
                )
                corr, mmc = scoring.score_day(preds, realised, meta)
                corr_pct, mmc_pct = scoring.percentiles(corr), scoring.percentiles(mmc)
                factor = r.payout_factor if r.payout_factor is not None else Decimal(1)
                for sub in subs:
                    c, m = float(corr[sub.id]), float(mmc[sub.id])
                    pending = (
                        payout(sub.at_risk, c, m, factor, self.config.payout)
                        if sub.at_risk
                        else None
                    )
                    for name, value, pct in (
                        (scoring.CORR_NAME, c, float(corr_pct[sub.id])),
                        (scoring.MMC_NAME, m, float(mmc_pct[sub.id])),
                    ):
                        s.add(
                            Score(
                                submission_id=sub.id,
                                day=day,
                                display_name=name,
                                value=value,
                                percentile=pct,
                                date=date,
                                payout_pending=pending,
                            )
                        )
            r.days_scored = day
        return day

    def _resolve(self, number: int) -> None:
        days = self.config.calendar.score_days
        with self.store.session() as s:
            r = s.get_one(Round, number)
            factor = r.payout_factor if r.payout_factor is not None else Decimal(1)
            subs = selected_submissions(s, number)
            for sub in subs:
                finals = {
                    sc.display_name: sc.value
                    for sc in s.scalars(
                        select(Score).where(Score.submission_id == sub.id, Score.day == days)
                    )
                }
                for sc in s.scalars(select(Score).where(Score.submission_id == sub.id)):
                    sc.resolved = True
                if not sub.at_risk:
                    continue
                amount = payout(
                    sub.at_risk,
                    finals[scoring.CORR_NAME],
                    finals[scoring.MMC_NAME],
                    factor,
                    self.config.payout,
                )
                model = s.get_one(Model, sub.model_id)
                model.stake = max(Decimal(0), model.stake + amount)
                s.add(
                    Payout(
                        submission_id=sub.id,
                        model_id=sub.model_id,
                        round_number=number,
                        amount=amount,
                        settled_at=r.resolve_time,
                    )
                )
            r.resolved = True

    # --- submissions' stored predictions --------------------------------------------------

    def submission_paths(self, submission_id: str) -> tuple[Path, Path]:
        """The uploaded CSV and its predictions in live-id order (``.npy``)."""
        base = self.submissions_dir / submission_id
        return base.with_suffix(".csv"), base.with_suffix(".npy")

    def load_predictions(self, submission_id: str) -> NDArray[np.float64]:
        return np.asarray(np.load(self.submission_paths(submission_id)[1]), dtype=np.float64)


def new_run(pickle_id: str, number: int, when: datetime) -> PickleRun:
    return PickleRun(
        id=str(uuid4()),
        pickle_id=pickle_id,
        round_number=number,
        status="pending",
        inserted_at=when,
        updated_at=when,
    )


__all__ = ["World", "current_round", "new_run", "score_dates", "selected_submissions"]
