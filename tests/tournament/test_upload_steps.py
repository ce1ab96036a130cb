"""The upload steps on their own (a fake session): a failed PUT is an error worth a fresh
upload, a create refused because the file never arrived is transient, an answer without an id
is not a receipt."""

from __future__ import annotations

import pytest
import requests

from numerpilot.clock import SteppedClock
from numerpilot.errors import TournamentError, TransientTournamentError
from numerpilot.tournament._upload_steps import create, put_file
from tests.tournament.fake_http import FakeSession, client_with, data, response


def test_a_failed_put_is_transient_and_names_no_signature(clock: SteppedClock) -> None:
    session = FakeSession(
        puts=[requests.ConnectionError("reset"), response(503, {}), response(403, {})]
    )
    client = client_with(session, clock)
    for _ in range(2):  # worth a fresh upload
        with pytest.raises(TransientTournamentError) as raised:
            put_file(client, "https://s3.test/put?sig=x", b"x", "upload")
        assert "https://s3.test/put" in str(raised.value) and "sig=x" not in str(raised.value)
    with pytest.raises(TournamentError) as refused:  # a PUT refused is no key problem
        put_file(client, "https://s3.test/put?sig=x", b"x", "upload")
    assert type(refused.value) is TournamentError and "HTTP 403" in str(refused.value)


def test_a_create_refused_for_a_lost_file_is_transient(clock: SteppedClock) -> None:
    session = FakeSession(
        script=[
            response(200, {"errors": [{"message": "File was not uploaded"}], "data": None}),
            data(create_submission={}),
            response(200, {"errors": [{"message": "model is not staked"}], "data": None}),
        ]
    )
    client = client_with(session, clock)
    mutation = "mutation { create_submission { id } }"
    with pytest.raises(TransientTournamentError, match="the upload was lost on the way"):
        create(client, mutation, {}, "create_submission")
    with pytest.raises(TournamentError, match="create_submission answered without an id"):
        create(client, mutation, {}, "create_submission")
    with pytest.raises(TournamentError, match="model is not staked") as other:
        create(client, mutation, {}, "create_submission")
    assert type(other.value) is TournamentError
