"""Exactly once against the local tournament and the real numerapi client: a create_submission
the server applies but answers after the client's timeout is looked up, never sent again; the
ledger holds the id the tournament counts. And a refused key stops everything cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from numerpilot.agent._round_step import process_round
from numerpilot.agent._step_context import Outcome, PredictionRequest, Prepared, StepContext
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import LogFileSink, Notifier
from numerpilot.agent.services import TournamentServices
from numerpilot.clock import SteppedClock
from numerpilot.config import ModelEntry, Settings
from numerpilot.credentials import Credentials
from numerpilot.errors import CredentialsError
from numerpilot.fsutil import sha256_file
from numerpilot.sim import (
    DEFAULT_START,
    DataConfig,
    EndpointFaults,
    FaultConfig,
    Model,
    RunningSim,
    SimConfig,
    Submission,
    run_sim,
)
from numerpilot.tournament import (
    RoundInfo,
    TournamentClient,
    list_submissions,
    model_id,
    upload_predictions,
)
from tests.sim.helpers import live_ids, predictions

TIMEOUT = 1.0  # the client's request timeout, seconds
# The server applies every create, and answers it only after the client gave up.
SLOW_CREATE = FaultConfig(
    endpoints={"create_submission": EndpointFaults(slow_rate=1.0, slow_seconds=TIMEOUT + 0.6)}
)
CSV = ModelEntry(name="demo_csv")


@pytest.fixture
def slow_sim(tmp_path: Path, demo_data_dir: Path) -> Iterator[RunningSim]:
    with run_sim(
        tmp_path / "sim" / "sim.db",
        clock=SteppedClock(DEFAULT_START),
        config=SimConfig(data=DataConfig(live_rows=200)),
        faults=SLOW_CREATE,
        datasets_dir=demo_data_dir,
    ) as sim:
        yield sim


def client_for(sim: RunningSim, secret: str | None = None) -> TournamentClient:
    keys = Credentials(sim.demo.public_id, secret or sim.demo.secret_key, source="test")
    return TournamentClient(
        api_url=sim.url, credentials=keys, clock=sim.clock, timeout=TIMEOUT, retries=3
    )


def valid_csv(sim: RunningSim, number: int, path: Path) -> Path:
    predictions(live_ids(sim, number), seed=number).to_csv(path, index=False)
    return path


def on_server(sim: RunningSim, model: str, number: int) -> list[Submission]:
    with sim.server.store.session() as s:
        (mid,) = s.scalars(select(Model.id).where(Model.name == model))
        query = select(Submission).where(
            Submission.model_id == mid, Submission.round_number == number
        )
        return list(s.scalars(query))


def open_round(client: TournamentClient) -> RoundInfo:
    rnd = client.current_round()
    assert rnd is not None and rnd.is_open(client.clock.now())
    return rnd


def test_an_unanswered_create_is_looked_up_not_sent_again(
    slow_sim: RunningSim, tmp_path: Path
) -> None:
    with client_for(slow_sim) as client:
        rnd = open_round(client)
        csv = valid_csv(slow_sim, rnd.number, tmp_path / "p.csv")
        started = slow_sim.clock.now()
        receipt = upload_predictions(client, model_name="demo_csv", csv_path=csv, round_info=rnd)
        listed = list_submissions(client, model_id(client, "demo_csv"))
    stored = on_server(slow_sim, "demo_csv", rnd.number)
    assert len(stored) == 1 and len(listed) == 1
    assert receipt.submission_id == stored[0].id and stored[0].selected
    assert slow_sim.clock.now() > started  # the look-up backed off on the tournament's clock


class OneFile(TournamentServices):
    """The real services, but predictions are a valid file (no model to train here)."""

    def prepare(self, request: PredictionRequest) -> Prepared:
        path = valid_csv(self.sim, request.rnd.number, self.settings.project_dir / "p.csv")
        return Prepared(path, sha256_file(path), None)

    sim: RunningSim


def step_context(
    sim: RunningSim, client: TournamentClient, tmp_path: Path, ledger: Ledger
) -> tuple[StepContext, Path]:
    settings = Settings(project_dir=tmp_path)
    services = OneFile(settings, client, sim.clock)
    services.sim = sim
    log = tmp_path / "notifications.log"
    return StepContext(
        settings, ledger, Notifier([LogFileSink(log)], sim.clock), services, sim.clock
    ), log


def test_the_autopilot_submits_once_and_records_the_counted_id(
    slow_sim: RunningSim, tmp_path: Path
) -> None:
    with client_for(slow_sim) as client, Ledger(tmp_path / "ledger.db", slow_sim.clock) as ledger:
        rnd = open_round(client)
        ledger.record_round(rnd.number, rnd.open_time, rnd.close_staking_time)
        ctx, _ = step_context(slow_sim, client, tmp_path, ledger)
        first = process_round(ctx, CSV, rnd)
        again = process_round(ctx, CSV, rnd)
        recorded = ledger.submission_for(rnd.number, "demo_csv")
    stored = on_server(slow_sim, "demo_csv", rnd.number)
    assert (first, again) == (Outcome.CONFIRMED, Outcome.DONE)
    assert len(stored) == 1
    assert recorded is not None and recorded.status == "confirmed"
    assert recorded.server_id == stored[0].id


def test_a_refused_key_fails_the_intent_and_is_raised(slow_sim: RunningSim, tmp_path: Path) -> None:
    with (
        client_for(slow_sim, secret="NOT" + slow_sim.demo.secret_key[3:]) as client,
        Ledger(tmp_path / "ledger.db", slow_sim.clock) as ledger,
    ):
        rnd = open_round(client)
        ledger.record_round(rnd.number, rnd.open_time, rnd.close_staking_time)
        ctx, _ = step_context(slow_sim, client, tmp_path, ledger)
        with pytest.raises(CredentialsError, match="session is invalid or has expired"):
            process_round(ctx, CSV, rnd)
        with pytest.raises(CredentialsError):
            client.account_name()
        assert ledger.pending_submissions() == []
        (failed,) = ledger.submissions()
    assert failed.status == "failed" and "nothing sent" in (failed.error or "")
    assert on_server(slow_sim, "demo_csv", rnd.number) == []
