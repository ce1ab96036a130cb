"""The autopilot's loop: a thin worker around one readable pass.

``Worker.run`` wakes, runs a pass when one is due, logs a heartbeat when one is due, and
sleeps on the clock until the next of them. A pass (``run_pass``):

1. asks the tournament for the current round (and the next one's open time) and records it;
2. keeps every upload-mode model's pickle current;
3. while the round is open, runs ``_round_step.process_round`` for every configured model;
4. notes closed rounds a model missed (once each, notified);
5. retrains when due, but never while a submission of the open round is unfinished;
6. pulls scores and payouts, then makes this round's stake decisions.

The pass says when it wants the next one (``_pacing``): soon while a submission is unfinished
(never past the round's close), else when the tournament says the next round opens, or a poll
interval when it does not say. Nothing is hard-coded to Numerai's weekly schedule. Waiting
happens on the injected ``Clock``: real time, the demo's accelerated time, or a test's
stepped time.

SIGTERM/SIGINT call ``stop()``: the worker finishes the step it is in and exits; long sleeps
are cut into naps so a stop is noticed quickly. ``run_once`` is the whole job once, for cron.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from numerpilot.agent import _results as results
from numerpilot.agent import _retrain as retrain
from numerpilot.agent import research_step
from numerpilot.agent._pacing import (
    POLL,
    SCORE_PULL,
    THROTTLE,
    failed_pass_delay,
    next_pass,
)
from numerpilot.agent._pass_report import PassReport
from numerpilot.agent._pickles import PickleSource, keep_pickles
from numerpilot.agent._round_step import process_round
from numerpilot.agent._step_context import (
    UNFINISHED,
    Outcome,
    RoundActions,
    StepContext,
)
from numerpilot.agent.ledger import Ledger, Submission
from numerpilot.agent.notify import Kind, Notifier
from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.errors import (
    ConfigError,
    CredentialsError,
    TournamentError,
    TransientTournamentError,
)
from numerpilot.tournament import RoundInfo

log = logging.getLogger(__name__)

RECENT_CLOSED_ROUNDS = 5  # closed rounds checked for a missed submission
# A pickle that cannot be built, fails pre-flight or is refused: notified, tried next pass.


class State(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


class AgentServices(RoundActions, results.ResultsSource, retrain.Trainer, PickleSource, Protocol):
    """Everything the worker asks of the world beyond the ledger."""

    def current_round(self) -> RoundInfo | None: ...

    def upcoming_round(self) -> RoundInfo | None: ...

    def account_name(self) -> str:
        """The account the key belongs to; ``CredentialsError`` when the key is refused."""
        ...


class Worker:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        notifier: Notifier,
        services: AgentServices,
        clock: Clock,
        *,
        nap: timedelta | None = None,
        name: str = "worker",
    ):
        self.settings = settings
        self.ledger = ledger
        self.notifier = notifier
        self.services = services
        self.clock = clock
        self.nap = nap  # the longest single sleep, so a stop is noticed (None: no limit)
        self.name = name
        self.state = State.STOPPED
        self._stop_requested = False  # set from a signal handler; never cleared
        self.models = list(settings.tournament.models)
        self.ctx = StepContext(settings, ledger, notifier, services, clock)
        self._next_pass: datetime | None = None
        self._next_heartbeat: datetime | None = None
        self._last_scores: datetime | None = None
        self.passes = 0
        self.failed_passes = 0  # consecutive passes that failed (the tournament is down)
        if not self.models:
            raise ConfigError(
                "setting 'tournament.models': no model to take part with; add "
                "[[tournament.models]] entries to numerpilot.toml"
            )

    def now(self) -> datetime:
        return utc(self.clock.now())

    def stop(self) -> None:
        """Finish the current step, then leave ``run`` (safe from a signal handler, even one
        that arrives before ``run`` has started)."""
        self._stop_requested = True
        self.state = State.STOPPED

    @property
    def running(self) -> bool:
        return self.state is State.RUNNING and not self._stop_requested

    # -- the loop --------------------------------------------------------------------------

    def run(self, until: datetime | None = None) -> None:
        """Work until ``stop()`` (or until the clock reaches ``until``)."""
        self.state = State.RUNNING
        self.check_key()
        self.reconcile()
        self.heartbeat("started")
        while self.running:
            now = self.now()
            if until is not None and now >= until:
                break
            if self._next_pass is None or now >= self._next_pass:
                report = self.run_pass()
                wanted = report.next_pass or now + POLL
                self._next_pass = max(wanted, now + THROTTLE)
            if self._next_heartbeat is None or now >= self._next_heartbeat:
                self.heartbeat("running")
            wake = min(self._next_pass, self._next_heartbeat or self._next_pass)
            if until is not None:
                wake = min(wake, until)
            self._sleep_until(wake)
        self.state = State.STOPPED
        self.heartbeat("stopped")

    def run_once(self) -> PassReport:
        """One whole pass for cron or a webhook: settle, submit, scores, stakes."""
        self.check_key()
        self.reconcile()
        self._last_scores = None  # a single pass always pulls scores
        report = self.run_pass()
        self.heartbeat("once")
        return report

    def _sleep_until(self, wake: datetime) -> None:
        remaining = (wake - self.now()).total_seconds()
        while remaining > 0 and self.running:
            step = remaining if self.nap is None else min(remaining, self.nap.total_seconds())
            self.clock.sleep(step)
            remaining = (wake - self.now()).total_seconds()

    def heartbeat(self, state: str) -> None:
        beat = self.ledger.heartbeat(state, agent=self.name)
        log.info("heartbeat: %s %s, %d passes", self.name, state, self.passes)
        self.notifier.notify(
            Kind.HEARTBEAT,
            f"{self.name} {state}: {self.passes} passes since start",
            details={"state": state, "beats": beat.beats},
        )
        self._next_heartbeat = self.now() + timedelta(minutes=self.settings.agent.heartbeat_minutes)

    def check_key(self) -> None:
        """One authenticated call before any work (a first pass may train for minutes): a
        refused key stops the worker at once; an unreachable tournament does not."""
        try:
            account = self.services.account_name()
        except CredentialsError as e:
            self._refused(e)
            raise
        except TournamentError as e:
            log.warning("cannot check the API key yet: %s", e)
            return
        log.info("the tournament accepts the key of account %s", account)

    def reconcile(self) -> list[Submission]:
        """Settle intents a previous process left pending (after a crash or kill -9)."""
        try:
            settled = self.ledger.reconcile_pending(self.services.find_submission)
        except CredentialsError as e:
            self._refused(e)
            raise
        except TournamentError as e:
            log.warning("cannot reconcile pending submissions yet: %s", e)
            return []
        for s in settled:
            self.ledger.record_event(
                "reconciled",
                f"{s.model}: round {s.round_number} submission left pending is {s.status}",
                model=s.model,
                round_number=s.round_number,
                details={"server_id": s.server_id},
            )
        return settled

    # -- one pass --------------------------------------------------------------------------

    def run_pass(self) -> PassReport:
        self.passes += 1
        report = PassReport(at=self.now(), round=None)
        try:
            self._pass(report)
        except CredentialsError as e:
            self._refused(e)
            raise  # a person must act: the worker stops with the message
        except ConfigError:
            raise
        except TournamentError as e:
            self._failed_pass(report, e)
            return report
        if self.failed_passes:
            self.ledger.record_event(
                "pass_recovered",
                f"a pass succeeded after {self.failed_passes} failed",
                details={"failed_passes": self.failed_passes},
            )
            self.failed_passes = 0
        return report

    def _failed_pass(self, report: PassReport, e: TournamentError) -> None:
        """Back off: 2, 4, 8 ... minutes up to the maximum; recorded at each doubling only."""
        self.failed_passes += 1
        n = self.failed_passes
        latest = self.ledger.rounds(limit=1)
        known_open = bool(latest) and latest[0].open_time <= self.now() < latest[0].close_time
        delay = failed_pass_delay(n, round_open=known_open)
        report.errors.append(str(e))
        report.next_pass = self.now() + delay
        log.warning("pass failed (%d in a row; next in %s): %s", n, delay, e)
        if n & (n - 1) == 0:  # 1, 2, 4, 8 ...: readable, and an outage still shows its length
            self.ledger.record_event(
                "pass_failed",
                str(e),
                details={"error": type(e).__name__, "failed_passes": n},
            )

    def _refused(self, e: CredentialsError) -> None:
        """The tournament refused the account's key: record it, tell a person, stop."""
        message = f"{self.name} stopped: {e}"
        self.ledger.record_event("credentials_refused", message)
        self.notifier.notify(Kind.CREDENTIALS_REFUSED, message)

    def _pass(self, report: PassReport) -> None:
        s = self.services
        rnd = s.current_round()
        report.round = rnd
        if rnd is not None:
            self.ledger.record_round(
                rnd.number, rnd.open_time, rnd.close_staking_time, rnd.resolve_time
            )
        promoted = retrain.adopt(self.ledger, s, self._pinned())
        if promoted is None:  # a fresh project: nothing to predict with until a first model
            self._maybe_retrain(report)
            promoted = retrain.adopt(self.ledger, s, self._pinned())
        self._keep_pickles(report, promoted.name if promoted else None)
        if rnd is not None and rnd.is_open(self.now()):
            for entry in self.models:
                try:
                    report.outcomes[entry.name] = process_round(self.ctx, entry, rnd)
                except TournamentError as e:  # this model's step; the others still run
                    report.outcomes[entry.name] = Outcome.FAILED
                    report.errors.append(f"{entry.name}: {e}")
                    log.warning("round %d step of %s failed: %s", rnd.number, entry.name, e)
        self._note_missed()
        unfinished = any(o in UNFINISHED for o in report.outcomes.values())
        if not unfinished:
            self._maybe_retrain(report)
            research_step.maybe_research(
                self.ledger, self.notifier, self.settings, self.clock, report.notes
            )
        self._results(report, rnd)
        report.next_pass = self._plan(report, rnd, unfinished)

    def _pinned(self) -> str | None:
        pinned = {m.model for m in self.models if m.model}
        return pinned.pop() if len(pinned) == 1 else None

    def _keep_pickles(self, report: PassReport, promoted: str | None) -> None:
        kept = keep_pickles(self.ctx, self.services, self.models, promoted)
        report.errors += kept.errors
        report.notes += kept.notes

    def _note_missed(self) -> None:
        noted = {(e.model, e.round_number) for e in self.ledger.events(kind="missed_round")}
        recent = {r.number for r in self.ledger.rounds(limit=RECENT_CLOSED_ROUNDS)}
        for entry in self.models:
            for number in self.ledger.missed_rounds(entry.name):
                if number in recent and (entry.name, number) not in noted:
                    self.ctx.event(
                        "missed_round",
                        f"{entry.name}: round {number} closed without a confirmed submission",
                        model=entry.name,
                        round_number=number,
                        notify=Kind.MISSED_ROUND,
                    )

    def _maybe_retrain(self, report: PassReport) -> None:
        try:
            offered = self.services.offered_versions()
        except TournamentError as e:
            log.info("cannot list dataset versions: %s", e)
            offered = []
        due = retrain.retrain_due(self.ledger, self.settings, self.now(), offered)
        if due is None:
            return
        before = self.ledger.promoted_model_version()
        after = retrain.retrain(
            self.ledger, self.notifier, self.services, self.settings, due, self.clock
        )
        if after is not None and (before is None or after.name != before.name):
            report.notes.append(f"promoted {after.name}")

    def _results(self, report: PassReport, rnd: RoundInfo | None) -> None:
        now = self.now()
        undecided = rnd is not None and any(
            not results.decided_in(self.ledger, m.name, rnd.number) for m in self.models
        )
        due = self._last_scores is None or now - self._last_scores >= SCORE_PULL
        if not due and not (undecided and rnd is not None and now >= rnd.open_time):
            return
        performances = {}
        for entry in self.models:
            try:
                performances[entry.name] = self.services.performances(entry.name)
            except TransientTournamentError as e:
                report.errors.append(f"{entry.name}: scores: {e}")
                return
            results.record_performances(self.ledger, entry.name, performances[entry.name])
        self._last_scores = now
        if rnd is not None and now >= rnd.open_time:
            results.decide_stakes(
                self.ledger,
                self.notifier,
                self.services,
                self.settings,
                rnd.number,
                performances,
            )

    def _plan(self, report: PassReport, rnd: RoundInfo | None, unfinished: bool) -> datetime:
        """When the next pass should run."""
        return next_pass(
            self.now(),
            rnd,
            report.outcomes.values(),
            unfinished=unfinished,
            last_scores=self._last_scores,
            deadline=None if rnd is None else self.ctx.deadline(rnd),
            upcoming=self.services.upcoming_round,
        )


__all__ = [
    "AgentServices",
    "PassReport",
    "State",
    "Worker",
]
