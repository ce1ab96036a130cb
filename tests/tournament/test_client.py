"""The tournament client against a fake tournament on loopback, through the real numerapi."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import numerapi.base_api
import pytest

from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.credentials import Credentials
from numerpilot.errors import CredentialsError, TournamentError, TransientTournamentError
from numerpilot.tournament.client import TournamentClient, version_key
from numerpilot.tournament.rounds import RoundInfo
from tests.tournament.fake_api import PUBLIC_ID, SECRET_KEY, FakeTournament

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def client(
    fake: FakeTournament, clock: SteppedClock, *, credentials: bool = False, retries: int = 2
) -> TournamentClient:
    creds = Credentials(PUBLIC_ID, SECRET_KEY) if credentials else None
    return TournamentClient(
        api_url=fake.url, credentials=creds, clock=clock, timeout=5, retries=retries
    )


def test_lists_datasets_and_sorts_versions_numerically(fake: FakeTournament, clock: SteppedClock):
    fake.files = {n: b"x" for n in ("v5.9/train.parquet", "v5.10/live.parquet", "v4.3/a", "x")}
    with client(fake, clock) as c:
        assert c.list_datasets() == sorted(fake.files)
        assert c.dataset_versions() == ["v4.3", "v5.9", "v5.10"]
    # the request is numerapi's own: its listDatasets query with tournament 8
    body = fake.posts()[0].body
    assert body is not None and "listDatasets" in body["query"]
    assert body["variables"]["tournament"] == 8


def test_version_key_rejects_other_names():
    assert version_key("v5.10") > version_key("v5.9")
    with pytest.raises(ValueError, match="not a dataset version"):
        version_key("latest")


def test_transient_5xx_is_retried_on_the_clock_without_real_sleep(
    fake: FakeTournament, clock: SteppedClock
):
    fake.files = {"v5.3/live.parquet": b"x"}
    fake.post_statuses = [503, 500]
    with client(fake, clock) as c:
        assert c.list_datasets() == ["v5.3/live.parquet"]
    assert len(fake.posts()) == 3
    assert clock.now() - START == timedelta(seconds=1 + 2)  # backoff 1 s, then 2 s


def test_transient_failure_gives_up_after_the_configured_retries(
    fake: FakeTournament, clock: SteppedClock
):
    fake.post_statuses = [502, 502, 502, 502]
    with client(fake, clock, retries=2) as c, pytest.raises(TransientTournamentError) as info:
        c.list_datasets()
    assert "HTTP 502" in str(info.value) and "gave up after 3 tries" in str(info.value)
    assert len(fake.posts()) == 3
    assert fake.post_statuses == [502]


MUTATION = 'mutation { changeStake(value: "1") { status } }'


def test_mutation_is_not_repeated_when_it_may_have_been_applied(
    fake: FakeTournament, clock: SteppedClock
):
    fake.post_statuses = [500]
    with client(fake, clock) as c, pytest.raises(TransientTournamentError) as info:
        c.query(MUTATION)
    assert "may have been applied" in str(info.value)
    assert len(fake.posts()) == 1 and clock.now() == START


def test_mutation_is_repeated_when_the_server_said_not_now(
    fake: FakeTournament, clock: SteppedClock
):
    fake.post_statuses = [503, 429]
    with client(fake, clock) as c:
        assert c.query(MUTATION) == {"changeStake": {"status": "ok"}}
    assert fake.mutations == 1 and clock.now() - START == timedelta(seconds=3)


def test_mutation_is_repeated_when_no_connection_was_made(clock: SteppedClock):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = TournamentClient(api_url=f"http://127.0.0.1:{port}", clock=clock, timeout=2, retries=2)
    with pytest.raises(TransientTournamentError, match="gave up after 3 tries"):
        c.query(MUTATION)
    assert clock.now() - START == timedelta(seconds=3)


def test_client_error_is_not_retried(fake: FakeTournament, clock: SteppedClock):
    fake.post_statuses = [400]
    with client(fake, clock) as c, pytest.raises(TournamentError) as info:
        c.list_datasets()
    assert not isinstance(info.value, TransientTournamentError)
    assert "HTTP 400" in str(info.value)
    assert clock.now() == START


def test_graphql_error_becomes_tournament_error(fake: FakeTournament, clock: SteppedClock):
    fake.post_errors = ["Syntax error: unexpected token"]
    with client(fake, clock) as c, pytest.raises(TournamentError, match="unexpected token"):
        c.list_datasets()


def test_connection_refused_is_transient(clock: SteppedClock):
    # A port that was just free: nothing listens there.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = TournamentClient(api_url=f"http://127.0.0.1:{port}", clock=clock, timeout=2, retries=1)
    with pytest.raises(TransientTournamentError, match="cannot connect"):
        c.list_datasets()
    assert clock.now() - START == timedelta(seconds=1)


def test_account_with_accepted_credentials(fake: FakeTournament, clock: SteppedClock):
    with client(fake, clock, credentials=True) as c:
        assert c.account_name() == "pilot"
    assert fake.posts()[0].headers["Authorization"] == f"Token {PUBLIC_ID}${SECRET_KEY}"


def test_refused_credentials_raise_credentials_error_without_secrets(
    fake: FakeTournament, clock: SteppedClock, caplog: pytest.LogCaptureFixture
):
    bad = Credentials(PUBLIC_ID, "WRONGSECRETWRONGSECRET")
    c = TournamentClient(api_url=fake.url, credentials=bad, clock=clock, timeout=5, retries=0)
    fake.post_errors = [f"invalid token {PUBLIC_ID}$WRONGSECRETWRONGSECRET"]
    with caplog.at_level(logging.DEBUG), pytest.raises(CredentialsError) as info:
        c.account_name()
    text = str(info.value) + caplog.text + repr(c)
    assert "WRONGSECRET" not in text and PUBLIC_ID not in text
    assert "invalid token ***" in str(info.value)


def test_http_401_with_credentials_is_a_credentials_error(
    fake: FakeTournament, clock: SteppedClock
):
    fake.post_statuses = [401]
    with client(fake, clock, credentials=True) as c, pytest.raises(CredentialsError, match="401"):
        c.account_name()


def test_authorized_query_without_credentials_says_how_to_set_them(
    fake: FakeTournament, clock: SteppedClock
):
    with client(fake, clock) as c, pytest.raises(CredentialsError, match="NUMERAI_PUBLIC_ID"):
        c.account_name()
    assert fake.posts() == []  # nothing was sent


def test_ping(fake: FakeTournament, clock: SteppedClock):
    with client(fake, clock) as c:
        c.ping()
        fake.post_errors = ["no such field"]
        c.ping()  # an answer, even a refusal, means reachable
        fake.post_statuses = [503]
        with pytest.raises(TransientTournamentError):
            c.ping()
    assert clock.now() == START  # ping does not back off


def test_current_round_is_typed_and_aware(fake: FakeTournament, clock: SteppedClock):
    fake.rounds = [
        {
            "number": 1101,
            "openTime": "2026-11-24T12:00:00+00:00",
            "closeStakingTime": "2026-11-24T13:00:00Z",
            "closeTime": None,
            "resolveTime": "2026-12-25T20:00:00",
        }
    ]
    with client(fake, clock) as c:
        r = c.current_round()
    assert r == RoundInfo(
        number=1101,
        open_time=datetime(2026, 11, 24, 12, tzinfo=UTC),
        close_staking_time=datetime(2026, 11, 24, 13, tzinfo=UTC),
        close_time=None,
        resolve_time=datetime(2026, 12, 25, 20, tzinfo=UTC),
    )
    assert r.is_open(START) and not r.is_open(START + timedelta(hours=1))


def test_no_current_round_between_rounds(fake: FakeTournament, clock: SteppedClock):
    fake.round_error = "Current round not open for submissions"
    with client(fake, clock) as c:
        assert c.current_round() is None
    fake.round_error = None
    fake.rounds = []
    with client(fake, clock) as c:
        assert c.current_round() is None
        with pytest.raises(TournamentError, match="round 7 is unknown"):
            c.round(7)


def test_malformed_round_answer(fake: FakeTournament, clock: SteppedClock):
    fake.rounds = [{"number": 3, "openTime": "tuesday", "closeStakingTime": "x"}]
    with client(fake, clock) as c, pytest.raises(TournamentError, match="openTime"):
        c.current_round()


def test_malformed_numerapi_answer_is_a_tournament_error(
    fake: FakeTournament, clock: SteppedClock, monkeypatch: pytest.MonkeyPatch
):
    with client(fake, clock) as c:
        monkeypatch.setattr(fake, "answer", lambda body, auth: (200, {"data": {}}))
        with pytest.raises(TournamentError, match="listDatasets: unexpected answer"):
            c.list_datasets()


def test_client_uses_its_own_url_not_numerapis_global(
    fake: FakeTournament, clock: SteppedClock, monkeypatch: pytest.MonkeyPatch
):
    fake.files = {"v5.3/live.parquet": b"x"}
    monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", "http://127.0.0.1:9")
    with client(fake, clock) as c:
        assert c.list_datasets() == ["v5.3/live.parquet"]
    # Unset, the URL is numerapi's constant as it is when the client is made.
    monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", fake.url)
    with TournamentClient(clock=clock, retries=0) as c:
        assert c.api_url == fake.url
        assert c.list_datasets() == ["v5.3/live.parquet"]


def test_from_settings(tmp_path, clock: SteppedClock):
    settings = load_settings(tmp_path, tournament={"api_url": "http://127.0.0.1:9", "retries": 1})
    c = TournamentClient.from_settings(settings, clock=clock)
    assert c.api_url == "http://127.0.0.1:9"
    assert c.transport.retries == 1 and c.transport.timeout == 60.0
    assert not c.has_credentials


def test_constructing_the_client_configures_no_logging():
    root = logging.getLogger()
    saved = root.handlers[:]
    for h in saved:
        root.removeHandler(h)
    try:
        TournamentClient(api_url="http://127.0.0.1:9")
        assert root.handlers == []
    finally:
        for h in saved:
            root.addHandler(h)
