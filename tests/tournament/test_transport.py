"""The transport on its own (a fake session, a stepped clock): timeouts, retries of 5xx,
mutations that may have been applied, refusals that are about the keys, scrubbed messages."""

from __future__ import annotations

import logging

import pytest
import requests
import urllib3

from numerpilot.clock import SteppedClock
from numerpilot.errors import CredentialsError, TournamentError, TransientTournamentError
from numerpilot.tournament.transport import (
    MaybeApplied,
    NotSent,
    RetryableStatus,
    Transport,
    safe_to_repeat,
)
from tests.tournament.fake_http import (
    PUBLIC_ID,
    SECRET_KEY,
    URL,
    FakeSession,
    data,
    errors,
    response,
)

QUERY = "query { rounds { number } }"
MUTATION = 'mutation { v2ChangeStake(value: "3") { status } }'
TOKEN = (PUBLIC_ID, SECRET_KEY)


def transport(session: FakeSession, clock: SteppedClock, retries: int = 2) -> Transport:
    return Transport(
        URL,
        clock=clock,
        timeout=7.0,
        retries=retries,
        secrets=(PUBLIC_ID, SECRET_KEY),
        session=session,  # type: ignore[arg-type]
    )


def never_connected() -> requests.ConnectionError:
    refused = urllib3.exceptions.NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, URL, refused))  # type: ignore[arg-type]


def test_sends_numerapis_request_with_a_timeout(clock: SteppedClock) -> None:
    session = FakeSession(script=[data(rounds=[])])
    answer = transport(session, clock).query(QUERY, {"n": 1}, token=TOKEN)
    assert answer == {"data": {"rounds": []}}
    (call,) = session.calls
    assert call.url == URL and call.timeout == 7.0 and call.variables == {"n": 1}
    assert call.headers["Authorization"] == f"Token {PUBLIC_ID}${SECRET_KEY}"


def test_a_timeout_and_5xx_are_retried_with_backoff_on_the_clock(
    clock: SteppedClock, caplog: pytest.LogCaptureFixture
) -> None:
    start = clock.now()
    session = FakeSession(script=[requests.Timeout(), response(502, {}), data(ok=True)])
    with caplog.at_level(logging.WARNING, logger="numerpilot.tournament.transport"):
        assert transport(session, clock).query(QUERY) == {"data": {"ok": True}}
    assert len(session.calls) == 3
    assert (clock.now() - start).total_seconds() == 1 + 2  # stepped, never slept
    assert [r.getMessage() for r in caplog.records] == [
        f"tournament query 'rounds' failed (no answer from {URL} within 7 s); retry 1/2 in 1 s",
        f"tournament query 'rounds' failed ({URL} answered HTTP 502 {{}}); retry 2/2 in 2 s",
    ]


def test_gives_up_after_its_retries_with_the_last_error(clock: SteppedClock) -> None:
    session = FakeSession(script=[response(503, {})] * 3)
    with pytest.raises(TransientTournamentError, match=r"HTTP 503.*\(gave up after 3 tries\)$"):
        transport(session, clock).query(QUERY)
    assert len(session.calls) == 3


def test_retry_after_is_honoured(clock: SteppedClock) -> None:
    start = clock.now()
    session = FakeSession(script=[response(429, {}, headers={"Retry-After": "9"}), data()])
    transport(session, clock).query(QUERY)
    assert (clock.now() - start).total_seconds() == 9


def test_a_mutation_that_may_have_been_applied_is_not_repeated(clock: SteppedClock) -> None:
    for failure in (requests.Timeout(), response(500, {}), response(502, {})):
        session = FakeSession(script=[failure, data(v2ChangeStake={"status": "ok"})])
        with pytest.raises(MaybeApplied, match=r"not repeated: it may have been applied"):
            transport(session, clock).query(MUTATION, token=TOKEN)
        assert len(session.calls) == 1  # sent once, whatever the retries allow


def test_a_mutation_that_surely_did_nothing_is_repeated(clock: SteppedClock) -> None:
    for failure in (never_connected(), response(503, {}), response(429, {})):
        session = FakeSession(script=[failure, data(v2ChangeStake={"status": "ok"})])
        answer = transport(session, clock).query(MUTATION, token=TOKEN)
        assert answer == {"data": {"v2ChangeStake": {"status": "ok"}}}
        assert len(session.calls) == 2


def test_safe_to_repeat() -> None:
    assert safe_to_repeat(NotSent("refused"))
    assert safe_to_repeat(RetryableStatus("x", 503, None))
    assert safe_to_repeat(RetryableStatus("x", 429, 3.0))
    assert not safe_to_repeat(RetryableStatus("x", 502, None))
    assert not safe_to_repeat(TransientTournamentError("timeout"))


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_a_credentials_error(clock: SteppedClock, status: int) -> None:
    session = FakeSession(script=[response(status, {"detail": "no"})])
    with pytest.raises(CredentialsError) as raised:
        transport(session, clock).query(QUERY, token=TOKEN)
    assert str(raised.value) == (
        f"the tournament refused the API key (HTTP {status}); check NUMERAI_PUBLIC_ID "
        "and NUMERAI_SECRET_KEY or ~/.numerai/credentials.json"
    )
    assert len(session.calls) == 1


def test_401_without_a_key_is_not_about_the_key(clock: SteppedClock) -> None:
    session = FakeSession(script=[response(401, {"detail": "login"})])
    with pytest.raises(TournamentError) as raised:
        transport(session, clock).query(QUERY)
    assert not isinstance(raised.value, CredentialsError) and "HTTP 401" in str(raised.value)


@pytest.mark.parametrize(
    "message",
    [
        "Your session is invalid or has expired",
        "api key is not authorized for this action",
        "You do not have permission to do that",
        "Invalid token",
    ],
)
def test_graphql_refusals_about_keys_are_credentials_errors(
    clock: SteppedClock, message: str
) -> None:
    session = FakeSession(script=[errors(message)])
    with pytest.raises(CredentialsError, match=f"^the tournament refused the request: {message}$"):
        transport(session, clock).query(QUERY, token=TOKEN)


def test_other_graphql_errors_are_tournament_errors(clock: SteppedClock) -> None:
    session = FakeSession(script=[errors("Syntax Error: unexpected token '}'")])
    with pytest.raises(TournamentError) as raised:
        transport(session, clock).query(QUERY)
    assert not isinstance(raised.value, (CredentialsError, TransientTournamentError))
    assert str(raised.value) == "the tournament answered: Syntax Error: unexpected token '}'"


def test_malformed_answers(clock: SteppedClock) -> None:
    not_json = requests.Response()
    not_json.status_code, not_json._content = 200, b"<html>"
    not_json._content_consumed = True
    cases = [
        (not_json, "with something other than JSON"),
        (response(200, [1, 2]), "JSON that is not an object"),
        (response(200, {"data": None}), "without a 'data' object"),
        (response(418, {}), "answered HTTP 418"),
    ]
    for answer, expected in cases:
        with pytest.raises(TournamentError, match=expected) as raised:
            transport(FakeSession(script=[answer]), clock).query(QUERY)
        assert not isinstance(raised.value, TransientTournamentError)


def test_messages_never_carry_the_keys_or_signed_query_strings(clock: SteppedClock) -> None:
    leak = f"bad {SECRET_KEY} at https://bucket.test/f.csv?X-Amz-Signature=s3cr3t"
    session = FakeSession(script=[errors(leak), response(500, {"detail": leak})])
    t = transport(session, clock, retries=0)
    for _ in range(2):
        with pytest.raises(TournamentError) as raised:
            t.query(QUERY)
        text = str(raised.value)
        assert SECRET_KEY not in text and "s3cr3t" not in text
        assert "https://bucket.test/f.csv" in text
