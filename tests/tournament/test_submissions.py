"""Uploading predictions and pickles on their own (a fake session, a stepped clock): the three
upload steps, what is retried, a create that may have been applied is looked for before it is
ever sent again, and the round's close."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from numerpilot.clock import SteppedClock
from numerpilot.errors import RoundClosed, SubmissionRejected, TournamentError
from numerpilot.tournament.rounds import RoundInfo
from numerpilot.tournament.submissions import (
    KeyRefusedBeforeUpload,
    ListedPickle,
    ListedSubmission,
    counted_submission,
    list_pickles,
    list_submissions,
    upload_model,
    upload_predictions,
)
from tests.tournament.fake_http import FakeSession, client_with, data, response

MODEL_ID = "mid-1"
ROUND = 1200


@dataclass
class Tournament:
    """What the fake session's GraphQL handlers answer from; faults are queued per step."""

    clock: SteppedClock
    listed: list[dict[str, Any]] = field(default_factory=list)
    pickles: list[dict[str, Any]] = field(default_factory=list)
    create_faults: list[requests.Response | Exception] = field(default_factory=list)
    apply_before_fault: bool = False  # the faulty create was carried out all the same
    creates: int = 0

    def session(self) -> FakeSession:
        return FakeSession(
            graphql={
                "models {": lambda v: data(
                    account={"models": [{"id": MODEL_ID, "name": "m", "tournament": 8}]}
                ),
                "submission_upload_auth": lambda v: data(
                    submission_upload_auth={
                        "filename": v["filename"],
                        "url": "https://s3.test/put?sig=x",
                    }
                ),
                "create_submission": self.create_submission,
                "submissions(": lambda v: data(submissions=list(self.listed)),
                "computePickleUploadAuth": lambda v: data(
                    computePickleUploadAuth={"filename": v["filename"], "url": "https://s3.test/p"}
                ),
                "createComputePickleUpload": self.create_pickle,
                "computePickles(": lambda v: data(computePickles=list(self.pickles)),
            }
        )

    def create_submission(self, v: dict[str, Any]) -> requests.Response | Exception:
        self.creates += 1
        if self.create_faults:
            if self.apply_before_fault:
                self._record()
            return self.create_faults.pop(0)
        return data(create_submission={"id": self._record()})

    def _record(self) -> str:
        sid = f"sub-{len(self.listed) + 1}"
        when = self.clock.now().isoformat()
        self.listed.append(
            {"id": sid, "filename": "p.csv", "insertedAt": when, "round": {"number": ROUND}}
        )
        return sid

    def create_pickle(self, v: dict[str, Any]) -> requests.Response:
        uid = f"pkl-{len(self.pickles) + 1}"
        self.pickles.append(
            {"id": uid, "filename": v["filename"], "insertedAt": self.clock.now().isoformat()}
        )
        return data(createComputePickleUpload={"id": uid})


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "p.csv"
    path.write_text("id,prediction\na,0.5\n", encoding="utf-8")
    return path


def open_round(clock: SteppedClock, minutes_left: float = 60) -> RoundInfo:
    now = clock.now()
    return RoundInfo(ROUND, now - timedelta(hours=1), now + timedelta(minutes=minutes_left))


def test_uploads_the_checked_file_and_returns_the_listed_id(clock: SteppedClock, csv: Path) -> None:
    t = Tournament(clock)
    session = t.session()
    sha = hashlib.sha256(csv.read_bytes()).hexdigest()
    receipt = upload_predictions(
        client_with(session, clock),
        model_name="m",
        csv_path=csv,
        round_info=open_round(clock),
        sha256=sha,
    )
    assert (receipt.submission_id, receipt.round_number, receipt.attempts) == ("sub-1", ROUND, 1)
    assert receipt.model_id == MODEL_ID and t.creates == 1
    assert [c.method for c in session.calls].count("PUT") == 1


def test_a_file_changed_after_its_check_is_not_sent(clock: SteppedClock, csv: Path) -> None:
    session = Tournament(clock).session()
    with pytest.raises(SubmissionRejected, match="file_changed"):
        upload_predictions(
            client_with(session, clock),
            model_name="m",
            csv_path=csv,
            round_info=open_round(clock),
            sha256="0" * 64,
        )
    assert session.posts("submission_upload_auth") == [] and "PUT" not in {
        c.method for c in session.calls
    }


def test_a_refused_key_before_anything_was_sent(clock: SteppedClock, csv: Path) -> None:
    session = FakeSession(script=[response(401, {})])
    with pytest.raises(KeyRefusedBeforeUpload, match="refused the API key"):
        upload_predictions(
            client_with(session, clock), model_name="m", csv_path=csv, round_info=open_round(clock)
        )
    assert len(session.calls) == 1


def test_an_unanswered_create_that_arrived_is_the_receipt_and_is_not_sent_again(
    clock: SteppedClock, csv: Path
) -> None:
    t = Tournament(clock, create_faults=[requests.Timeout()], apply_before_fault=True)
    session = t.session()
    receipt = upload_predictions(
        client_with(session, clock), model_name="m", csv_path=csv, round_info=open_round(clock)
    )
    assert t.creates == 1 and receipt.submission_id == "sub-1" and receipt.attempts == 2
    assert len(t.listed) == 1


def test_an_unanswered_create_that_never_arrived_is_sent_again_after_two_looks(
    clock: SteppedClock, csv: Path
) -> None:
    t = Tournament(clock, create_faults=[response(502, {})])
    session = t.session()
    start = clock.now()
    client = client_with(session, clock, timeout=10.0)
    receipt = upload_predictions(client, model_name="m", csv_path=csv, round_info=open_round(clock))
    assert t.creates == 2 and receipt.submission_id == "sub-1" and receipt.attempts == 2
    looks = session.posts("submissions(")
    assert len(looks) == 3  # two looks before sending again, one after the new create
    # 1 s of backoff, then a request timeout between the two looks: all on the clock
    assert (clock.now() - start).total_seconds() == 1 + 10


def test_a_failed_put_is_retried_from_a_fresh_upload_url(clock: SteppedClock, csv: Path) -> None:
    t = Tournament(clock)
    session = t.session()
    session.puts = [response(500, {})]
    receipt = upload_predictions(
        client_with(session, clock), model_name="m", csv_path=csv, round_info=open_round(clock)
    )
    assert receipt.attempts == 2 and t.creates == 1
    assert len(session.posts("submission_upload_auth")) == 2


def test_the_round_closing_stops_the_retries(clock: SteppedClock, csv: Path) -> None:
    t = Tournament(clock)
    session = t.session()
    session.puts = [response(503, {})] * 10
    rnd = open_round(clock, minutes_left=3 / 60)  # 3 s: room for the 1 s wait, not the 2 s one
    with pytest.raises(RoundClosed, match=rf"round {ROUND} closed .* not confirmed after 2 tries"):
        upload_predictions(
            client_with(session, clock, retries=10), model_name="m", csv_path=csv, round_info=rnd
        )
    assert t.creates == 0 and clock.now() < rnd.close_staking_time


def test_counted_submission_is_the_latest_of_the_round_since_the_upload(
    clock: SteppedClock,
) -> None:
    t = Tournament(clock)
    session = t.session()
    client = client_with(session, clock)
    t._record()
    clock.advance(timedelta(minutes=10))
    t._record()
    t.listed.append(
        {"id": "other-round", "insertedAt": clock.now().isoformat(), "round": {"number": ROUND - 1}}
    )
    found = counted_submission(client, MODEL_ID, ROUND, clock.now())
    assert found is not None and found.submission_id == "sub-2"
    assert counted_submission(client, MODEL_ID, ROUND, clock.now() + timedelta(minutes=5)) is None
    assert counted_submission(client, MODEL_ID, ROUND + 1, None) is None


def test_a_model_upload_is_listed_before_it_counts(clock: SteppedClock, tmp_path: Path) -> None:
    pickle = tmp_path / "model.pkl"
    pickle.write_bytes(b"\x80\x04N.")
    t = Tournament(clock)
    receipt = upload_model(
        client_with(t.session(), clock),
        model_name="m",
        pickle_path=pickle,
        data_version=("v5.3", "dv-1"),
        docker_image=("py3.11", "img-1"),
    )
    assert (receipt.upload_id, receipt.filename, receipt.attempts) == ("pkl-1", "model.pkl", 1)
    assert (receipt.data_version, receipt.docker_image) == ("v5.3", "py3.11")
    assert isinstance(datetime.fromisoformat(t.pickles[0]["insertedAt"]), datetime)


def test_listings_are_typed_values_with_aware_times(clock: SteppedClock) -> None:
    t = Tournament(clock)
    client = client_with(t.session(), clock)
    sid = t._record()
    t.listed.append({"id": None, "filename": "lost.csv"})  # no id: not a submission to count
    t.listed.append({"id": "no-round", "filename": None, "insertedAt": None})
    t.pickles.append(
        {
            "id": "pkl-9",
            "filename": "m.pkl",
            "assignedModelSlots": ["m"],
            "dataVersion": "v5.3",
            "dockerImage": "py3.11",
            "validationStatus": None,
            "insertedAt": "2026-01-05T13:00:00",  # naive: taken as UTC
        }
    )
    assert list_submissions(client, MODEL_ID) == [
        ListedSubmission(sid, "p.csv", ROUND, clock.now()),
        ListedSubmission("no-round", "", None, None),
    ]
    assert list_pickles(client, MODEL_ID) == [
        ListedPickle(
            pickle_id="pkl-9",
            filename="m.pkl",
            assigned_model_slots=("m",),
            data_version="v5.3",
            docker_image="py3.11",
            validation_status=None,
            inserted_at=datetime(2026, 1, 5, 13, tzinfo=UTC),
        )
    ]


def test_a_malformed_listing_is_a_tournament_error(clock: SteppedClock) -> None:
    t = Tournament(clock)
    client = client_with(t.session(), clock)
    t.listed.append({"id": "s", "insertedAt": "yesterday", "round": {"number": ROUND}})
    with pytest.raises(TournamentError, match="insertedAt"):
        list_submissions(client, MODEL_ID)
    t.listed[0] = {"id": "s", "round": {"number": "next"}}
    with pytest.raises(TournamentError, match="round 'next'"):
        list_submissions(client, MODEL_ID)
    t.pickles.append({"id": "p", "assignedModelSlots": "m"})
    with pytest.raises(TournamentError, match="model slots"):
        list_pickles(client, MODEL_ID)
