"""A client in another process than the local tournament judges rounds by the server's clock."""

from __future__ import annotations

from pathlib import Path

import requests

from numerpilot.clock import SERVER_CLOCK_HEADER, AcceleratedClock, ServerTime
from numerpilot.sim import DEFAULT_START, DataConfig, SimConfig, run_sim
from numerpilot.tournament.client import TournamentClient
from numerpilot.tournament.transport import Transport


def test_a_client_follows_a_local_tournament_running_faster_than_real_time(
    tmp_path: Path, demo_data_dir: Path
):
    # 60x: a simulated minute a real second. The round opened at 12:00 and closes at 13:00.
    sim_clock = AcceleratedClock(DEFAULT_START, speed=60)
    config = SimConfig(data=DataConfig(live_rows=200))
    with (
        run_sim(
            tmp_path / "sim.db", clock=sim_clock, config=config, datasets_dir=demo_data_dir
        ) as sim,
        TournamentClient(api_url=sim.url, timeout=10, retries=1) as client,
    ):
        assert isinstance(client.clock, ServerTime) and not client.clock.following
        client.sync_clock()
        assert client.clock.following
        round_info = client.current_round()
        assert round_info is not None
        assert client.clock.speed == 60
        # Within a few simulated minutes of the server: loopback answers in milliseconds.
        drift = abs((client.clock.now() - sim_clock.now()).total_seconds())
        assert drift < 180
        assert round_info.is_open(client.clock.now())


def test_a_local_tournament_on_real_or_stepped_time_announces_nothing(sim_server):
    response = requests.get(sim_server.url, timeout=10)
    assert response.ok and SERVER_CLOCK_HEADER not in response.headers


def test_only_a_loopback_tournament_may_set_the_clock():
    remote = Transport("https://api-tournament.numer.ai", clock=ServerTime(), timeout=1, retries=0)
    local = Transport("http://127.0.0.1:9/", clock=ServerTime(), timeout=1, retries=0)
    assert remote.session.hooks["response"] == []
    assert len(local.session.hooks["response"]) == 1


def test_syncing_against_numerai_sends_nothing(monkeypatch):
    client = TournamentClient(api_url="https://api-tournament.numer.ai/", timeout=1, retries=0)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("sync_clock made a request to the real tournament")

    monkeypatch.setattr(client.transport.session, "request", no_network)
    client.sync_clock()
    assert isinstance(client.clock, ServerTime) and not client.clock.following
