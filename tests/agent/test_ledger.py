from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from numerpilot.agent._ledger_schema import SCHEMA_VERSION
from numerpilot.agent._policy import StakeDecision
from numerpilot.agent.ledger import MEMORY, Ledger
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.errors import ConfigError, TransientTournamentError

HOUR = timedelta(hours=1)


def _round(ledger: Ledger, clock: SteppedClock, number: int = 1000) -> None:
    ledger.record_round(number, clock.now(), clock.now() + HOUR)


def _decision(
    code: str = "drawdown_cut", as_of: int | None = 990, dry: bool = True
) -> StakeDecision:
    return StakeDecision(
        "decrease", code, Decimal("0.5"), Decimal("1"), Decimal("0.5"), as_of, "why", dry, 0.1
    )


def test_a_round_that_opens_late_moves_its_times(ledger: Ledger, clock: SteppedClock) -> None:
    first = ledger.record_round(1000, clock.now(), clock.now() + HOUR)
    late = ledger.record_round(1000, clock.now() + 2 * HOUR, clock.now() + 3 * HOUR)
    assert first.close_time == clock.now() + HOUR
    assert late.open_time == clock.now() + 2 * HOUR
    assert ledger.round(1000) == late
    assert ledger.round(999) is None
    assert [r.number for r in ledger.rounds()] == [1000]


def test_times_come_back_aware_and_naive_ones_are_read_as_utc(
    ledger: Ledger, clock: SteppedClock
) -> None:
    _round(ledger, clock)
    stored = ledger.round(1000)
    assert stored is not None and stored.open_time.tzinfo is not None
    naive = ledger.record_round(1001, datetime(2026, 7, 8, 12), datetime(2026, 7, 8, 13))
    assert naive.open_time == datetime(2026, 7, 8, 12, tzinfo=UTC)
    assert ledger.round(1001) == naive


def test_an_intent_is_committed_before_upload_and_blocks_a_second_one(
    ledger: Ledger, clock: SteppedClock
) -> None:
    _round(ledger, clock)
    start = ledger.begin_submission(1000, "m1", "aaa", model_version="v1")
    assert start.created and start.submission.status == "pending"
    again = ledger.begin_submission(1000, "m1", "bbb")
    assert not again.created and again.submission.id == start.submission.id
    assert again.submission.file_sha256 == "aaa"
    other = ledger.begin_submission(1000, "m2", "ccc")
    assert other.created  # another tournament model is independent

    confirmed = ledger.confirm_submission(start.submission.id, "srv-1")
    assert (confirmed.status, confirmed.server_id) == ("confirmed", "srv-1")
    assert confirmed.confirmed_at == clock.now()
    assert ledger.confirm_submission(start.submission.id, "srv-1") == confirmed  # idempotent
    with pytest.raises(ValueError, match="confirmed, not pending"):
        ledger.confirm_submission(start.submission.id, "srv-2")
    assert not ledger.begin_submission(1000, "m1", "ddd").created
    assert ledger.submission_for(1000, "m1") == confirmed


def test_a_failed_upload_allows_a_new_intent(ledger: Ledger, clock: SteppedClock) -> None:
    _round(ledger, clock)
    first = ledger.begin_submission(1000, "m1", "aaa").submission
    failed = ledger.fail_submission(first.id, "HTTP 503")
    assert (failed.status, failed.error) == ("failed", "HTTP 503")
    assert ledger.submission_for(1000, "m1") is None
    second = ledger.begin_submission(1000, "m1", "aaa")
    assert second.created and second.submission.id != first.id
    rejected = ledger.fail_submission(second.submission.id, "constant", rejected=True)
    assert rejected.status == "rejected"
    with pytest.raises(ValueError, match="rejected, not pending"):
        ledger.fail_submission(second.submission.id, "again")
    assert [s.status for s in ledger.submissions(model="m1")] == ["rejected", "failed"]


def test_a_submission_needs_its_round_first(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="round 5 is not in the ledger"):
        ledger.begin_submission(5, "m1", "aaa")


def test_the_database_itself_forbids_two_live_submissions(
    ledger_path: Path, ledger: Ledger, clock: SteppedClock
) -> None:
    _round(ledger, clock)
    ledger.begin_submission(1000, "m1", "aaa")
    con = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        con.execute(
            "INSERT INTO submissions (round_number, model, mode, file_sha256, status, "
            "attempted_at) VALUES (1000, 'm1', 'csv', 'bbb', 'pending', '2026-07-07')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        con.execute("UPDATE submissions SET status = 'confirmed'")  # confirmed needs a server id
    con.close()


def test_two_processes_racing_for_one_round_get_one_intent(
    ledger_path: Path, ledger: Ledger, clock: SteppedClock
) -> None:
    _round(ledger, clock)
    with Ledger(ledger_path, clock) as other:
        a = ledger.begin_submission(1000, "m1", "aaa")
        b = other.begin_submission(1000, "m1", "bbb")
    assert a.created and not b.created and b.submission.id == a.submission.id


def test_the_insert_race_is_settled_by_the_unique_index(
    ledger: Ledger, clock: SteppedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if the check saw nothing (another writer in between), the index refuses the second."""
    _round(ledger, clock)
    winner = ledger.begin_submission(1000, "m1", "aaa").submission
    calls = []

    def blind_check(self: Session, *args: object, **kwargs: object) -> None:
        calls.append(args)
        return None

    monkeypatch.setattr(Session, "scalar", blind_check)
    start = ledger.begin_submission(1000, "m1", "bbb")
    assert not start.created and start.submission == winner
    assert len(calls) == 1


def test_reconcile_confirms_what_arrived_and_fails_what_did_not(
    ledger: Ledger, clock: SteppedClock
) -> None:
    _round(ledger, clock)
    arrived = ledger.begin_submission(1000, "m1", "aaa").submission
    lost = ledger.begin_submission(1000, "m2", "bbb").submission
    server = {("m1", 1000): "srv-9"}
    settled = ledger.reconcile_pending(lambda s: server.get((s.model, s.round_number)))
    assert [(s.id, s.status, s.server_id) for s in settled] == [
        (arrived.id, "confirmed", "srv-9"),
        (lost.id, "failed", None),
    ]
    assert ledger.pending_submissions() == []
    assert ledger.begin_submission(1000, "m2", "bbb").created


def test_reconcile_that_cannot_ask_the_server_keeps_the_intent_blocking(
    ledger: Ledger, clock: SteppedClock
) -> None:
    _round(ledger, clock)
    intent = ledger.begin_submission(1000, "m1", "aaa").submission

    def down(_: object) -> str | None:
        raise TransientTournamentError("HTTP 503")

    with pytest.raises(TransientTournamentError):
        ledger.reconcile_pending(down)
    assert [s.id for s in ledger.pending_submissions()] == [intent.id]
    assert not ledger.begin_submission(1000, "m1", "aaa").created


def test_missed_rounds_are_closed_rounds_without_a_confirmed_submission(
    ledger: Ledger, clock: SteppedClock
) -> None:
    for n in (1000, 1001, 1002):
        ledger.record_round(n, clock.now(), clock.now() + HOUR * (n - 999))
    ledger.confirm_submission(ledger.begin_submission(1000, "m1", "a").submission.id, "s1")
    ledger.begin_submission(1001, "m1", "b")  # pending only: still missing
    assert ledger.missed_rounds("m1") == []  # nothing has closed yet
    clock.advance(2 * HOUR)
    assert ledger.missed_rounds("m1") == [1001]
    assert ledger.missed_rounds("m2") == [1000, 1001]


def test_scores_keep_the_latest_day_and_an_update_replaces_it(
    ledger: Ledger, clock: SteppedClock
) -> None:
    ledger.record_score(1000, "m1", day=1, corr=0.01, mmc=0.001, payout=Decimal("0.10"))
    ledger.record_score(1000, "m1", day=3, corr=0.03, mmc=0.003, payout=Decimal("0.30"))
    ledger.record_score(1001, "m1", day=2, corr=-0.02)
    clock.advance(HOUR)
    ledger.record_score(
        1000, "m1", day=3, corr=0.04, mmc=0.004, payout=Decimal("0.4"), resolved=True
    )
    scores = ledger.scores("m1")
    assert [(s.round_number, s.day, s.corr, s.payout, s.resolved) for s in scores] == [
        (1000, 3, 0.04, Decimal("0.4"), True),
        (1001, 2, -0.02, None, False),
    ]
    assert scores[0].recorded_at == clock.now()
    assert [s.round_number for s in ledger.scores(resolved_only=True)] == [1000]
    assert ledger.scores("m2") == []


def test_model_versions_record_once_and_the_latest_promotion_wins(
    ledger: Ledger, clock: SteppedClock
) -> None:
    v1 = ledger.record_model_version(
        "v1", path="models/v1", sha256="h1", data_version="v5.3", metrics={"corr_mean": 0.02}
    )
    assert ledger.record_model_version("v1", path="elsewhere", sha256="h1") == v1
    with pytest.raises(ValueError, match="another hash"):
        ledger.record_model_version("v1", path="models/v1", sha256="h2")
    ledger.record_model_version("v2", path="models/v2", sha256="h2", metrics={"corr_mean": 0.03})
    assert ledger.promoted_model_version() is None
    ledger.promote_model_version("v1")
    clock.advance(HOUR)
    promoted = ledger.promote_model_version("v2")
    assert promoted.promoted_at == clock.now()
    assert ledger.promoted_model_version() == promoted
    assert [v.name for v in ledger.model_versions()] == ["v1", "v2"]
    assert ledger.model_versions()[0].metrics == {"corr_mean": 0.02}
    with pytest.raises(ValueError, match="not in the ledger"):
        ledger.promote_model_version("v3")


def test_stake_actions_and_the_last_cut_by_mode(ledger: Ledger) -> None:
    ledger.record_stake_action("m1", _decision(as_of=990, dry=True), round_number=1000)
    ledger.record_stake_action("m1", _decision(as_of=995, dry=False), server_response="ok")
    ledger.record_stake_action("m1", _decision(as_of=999, dry=False), error="HTTP 500")
    ledger.record_stake_action("m1", _decision(code="increase", as_of=1001, dry=True))
    assert ledger.last_cut_round("m1", dry_run=True) == 990
    assert ledger.last_cut_round("m1", dry_run=False) == 995  # a failed cut did not happen
    assert ledger.last_cut_round("m2", dry_run=True) is None
    newest = ledger.stake_actions("m1", limit=1)[0]
    assert (newest.code, newest.amount, newest.stake_after) == (
        "increase",
        Decimal("0.5"),
        Decimal("0.5"),
    )


def test_events_keep_their_details_as_json(ledger: Ledger, clock: SteppedClock) -> None:
    event = ledger.record_event(
        "missed_round",
        "round 1000 closed",
        model="m1",
        round_number=1000,
        details={"stake": Decimal("1.5"), "at": clock.now()},
    )
    assert event.details == {"stake": "1.5", "at": clock.now().isoformat(sep=" ")}
    ledger.record_event("heartbeat", "alive")
    assert [e.kind for e in ledger.events()] == ["heartbeat", "missed_round"]
    assert ledger.events("missed_round")[0] == event


def test_heartbeat_counts_beats_and_restarts_with_a_new_process(
    ledger: Ledger, clock: SteppedClock
) -> None:
    assert ledger.last_heartbeat() is None
    ledger.heartbeat("waiting", pid=10)
    clock.advance(HOUR)
    beat = ledger.heartbeat("submitting", pid=10)
    assert (beat.beats, beat.state, beat.at, beat.started_at) == (
        2,
        "submitting",
        clock.now(),
        clock.now() - HOUR,
    )
    restarted = ledger.heartbeat("waiting", pid=11)
    assert (restarted.beats, restarted.started_at) == (1, clock.now())
    assert ledger.last_heartbeat() == restarted


def test_it_is_a_wal_database_that_persists_across_opens(
    ledger_path: Path, clock: SteppedClock
) -> None:
    with Ledger(ledger_path, clock) as first:
        _round(first, clock)
    con = sqlite3.connect(ledger_path)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert con.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    con.close()
    with Ledger(ledger_path, clock) as second:
        assert [r.number for r in second.rounds()] == [1000]


def test_open_uses_the_configured_path(tmp_path: Path, clock: SteppedClock) -> None:
    settings = load_settings(tmp_path, agent={"ledger": Path("state/ledger.db")})
    with Ledger.open(settings, clock) as ledger:
        _round(ledger, clock)
    assert (tmp_path / "state" / "ledger.db").exists()


def test_an_in_memory_ledger_works_across_calls(clock: SteppedClock) -> None:
    with Ledger(MEMORY, clock) as ledger:
        _round(ledger, clock)
        assert ledger.begin_submission(1000, "m1", "aaa").created
        assert len(ledger.pending_submissions()) == 1


def test_a_file_that_is_not_a_ledger_is_a_config_error(tmp_path: Path, clock: SteppedClock) -> None:
    bad = tmp_path / "numerpilot.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match=r"agent\.ledger.*numerpilot\.db"):
        Ledger(bad, clock)


def test_a_ledger_from_a_newer_numerpilot_is_refused(
    ledger_path: Path, clock: SteppedClock
) -> None:
    ledger_path.parent.mkdir(parents=True)
    con = sqlite3.connect(ledger_path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(ConfigError, match="newer numerpilot"):
        Ledger(ledger_path, clock)


def test_a_schema_1_ledger_gains_the_percentile_column(
    ledger_path: Path, clock: SteppedClock
) -> None:
    with Ledger(ledger_path, clock) as first:
        first.record_score(1000, "m1", day=3, corr=0.1)
    con = sqlite3.connect(ledger_path)  # back to schema 1: no percentile column
    con.execute("ALTER TABLE scores DROP COLUMN percentile")
    con.execute("PRAGMA user_version = 1")
    con.close()
    with pytest.raises(ConfigError, match="schema 1"):
        Ledger(ledger_path, clock, read_only=True)  # looking never migrates
    with Ledger(ledger_path, clock) as upgraded:
        (old,) = upgraded.scores()
        assert (old.corr, old.percentile) == (0.1, None)
        upgraded.record_score(1000, "m1", day=4, corr=0.2, percentile=0.75)
        assert upgraded.scores()[0].percentile == 0.75
    con = sqlite3.connect(ledger_path)
    assert con.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    con.close()


def test_unique_score_rows_are_enforced(ledger_path: Path, ledger: Ledger) -> None:
    ledger.record_score(1000, "m1", day=1, corr=0.1)
    con = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(
            "INSERT INTO scores (round_number, model, day, resolved, recorded_at) "
            "VALUES (1000, 'm1', 1, 0, '2026-07-07')"
        )
    con.close()
