"""``numerpilot submit``: Numerai's rules and numerpilot's sanity checks before anything is
uploaded, then an upload the tournament is asked to confirm, retried inside the round."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from numerpilot.clock import SteppedClock
from numerpilot.config import Settings, SubmitSettings
from numerpilot.errors import RoundClosed, SubmissionRejected
from numerpilot.pipeline._submission_checks import read_checked_csv, sanity_checks
from numerpilot.pipeline.submit import (
    PreviousPredictions,
    SubmitResult,
    current_round,
    prepare_submission,
    upload_submission,
)
from numerpilot.sim import (
    DEFAULT_START,
    DataConfig,
    EndpointFaults,
    FaultConfig,
    RunningSim,
    SimConfig,
    run_sim,
)
from numerpilot.tournament import list_submissions, model_id
from tests.pipeline.submit_world import project_settings, shared_models, sim_client

IDS = pd.Index([f"n{i:015x}" for i in range(6)], name="id")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    return path


def rows(values: list[str], ids: list[str] | None = None) -> str:
    ids = ids if ids is not None else list(IDS)
    return "id,prediction\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, values, strict=True))


GOOD = ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("id,pred\n" + rows(GOOD).split("\n", 1)[1], "bad_header"),
        (rows([*GOOD, "0.7"], [*IDS, IDS[0]]), "duplicate_ids"),
        (rows(GOOD[:5], list(IDS[:5])), "missing_ids"),
        (rows([*GOOD, "0.7"], [*IDS, "n00000000000000f0"]), "unknown_ids"),
        (rows(["0.1", "0.2", "", "0.4", "0.5", "0.6"]), "nan"),
        (rows(["0.1", "0.2", "x", "0.4", "0.5", "0.6"]), "nan"),
        (rows(["0.1", "0.2", "1.01", "0.4", "0.5", "0.6"]), "out_of_range"),
        (rows(["-0.0001", "0.2", "0.3", "0.4", "0.5", "0.6"]), "out_of_range"),
        (rows(["0.5"] * 6), "constant"),
    ],
)
def test_numerai_rules(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(SubmissionRejected) as info:
        read_checked_csv(write(tmp_path, text), IDS)
    assert info.value.reason == reason


def test_a_valid_file_is_read_in_live_order(tmp_path: Path) -> None:
    shuffled = [IDS[i] for i in (3, 1, 0, 5, 2, 4)]
    values = read_checked_csv(write(tmp_path, rows(GOOD, shuffled)), IDS)
    assert list(values.index) == list(IDS)
    assert values.loc[IDS[3]] == 0.1 and values.loc[IDS[4]] == 0.6


def features_and_predictions(n: int = 200) -> tuple[np.ndarray, pd.Series]:
    rng = np.random.default_rng(3)
    features = rng.integers(0, 5, size=(n, 4)).astype(np.int8)
    noise = rng.normal(size=n)
    values = pd.Series(
        pd.Series(0.3 * features[:, 0] + noise).rank(pct=True).to_numpy(),
        index=pd.Index([f"n{i:015x}" for i in range(n)], name="id"),
    )
    return features, values


def test_sanity_checks_pass_and_report_values() -> None:
    features, p = features_and_predictions()
    results = sanity_checks(
        p, SubmitSettings(), previous=p * 0.5 + 0.1, benchmark=p.rename("bench"), features=features
    )
    by_name = {r.name: r for r in results}
    assert by_name["corr_with_previous"].value == pytest.approx(1.0)
    assert (
        by_name["corr_with_benchmark"].status == "ok"
        and "bench" in by_name["corr_with_benchmark"].detail
    )
    exposure = by_name["feature_exposure"].value
    assert exposure is not None and 0.2 < exposure < 0.5
    skipped = sanity_checks(p, SubmitSettings(), previous=None, benchmark=None, features=None)
    assert [r.status for r in skipped] == ["skipped"] * 3


def test_sanity_checks_refuse_with_reason_codes() -> None:
    features, p = features_and_predictions()
    settings = SubmitSettings(
        min_corr_with_previous=0.3, min_corr_with_benchmark=0.0, max_feature_exposure=0.2
    )
    cases = [
        ({"previous": 1 - p, "benchmark": None, "features": None}, "low_corr_previous"),
        (
            {"previous": None, "benchmark": (1 - p).rename("b"), "features": None},
            "low_corr_benchmark",
        ),
        ({"previous": None, "benchmark": None, "features": features}, "high_exposure"),
    ]
    for kwargs, reason in cases:
        with pytest.raises(SubmissionRejected) as info:
            sanity_checks(p, settings, **kwargs)  # type: ignore[arg-type]
        assert info.value.reason == reason
    # Previous predictions of another era share no ids: nothing to compare, not a failure.
    other = pd.Series(p.to_numpy(), index=[f"m{i}" for i in range(len(p))])
    result = sanity_checks(p, settings, previous=other, benchmark=None, features=None)
    assert result[0].status == "skipped" and "0 of 200 ids in common" in result[0].detail


# --- against the local tournament -------------------------------------------------------------


def sim(
    tmp_path: Path, demo_data_dir: Path, faults: FaultConfig | None = None
) -> Iterator[RunningSim]:
    with run_sim(
        tmp_path / "sim" / "sim.db",
        clock=SteppedClock(DEFAULT_START),
        config=SimConfig(data=DataConfig(live_rows=200)),
        faults=faults,
        datasets_dir=demo_data_dir,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> Path:
    return shared_models(tmp_path_factory, demo_data_dir)


@pytest.fixture
def local(tmp_path: Path, demo_data_dir: Path) -> Iterator[RunningSim]:
    yield from sim(tmp_path, demo_data_dir)


def submit(settings: Settings, **kwargs: Any) -> SubmitResult:
    """Both stages, as a caller without a ledger would run them."""
    result = prepare_submission(settings, **kwargs)
    client, clock = kwargs["client"], kwargs["clock"]
    if not result.dry_run:
        result.receipt = upload_submission(client, result, current_round(client, clock))
    return result


def test_dry_run_checks_everything_and_uploads_nothing(
    local: RunningSim, models_dir: Path, tmp_path: Path
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    with sim_client(local) as client:
        result = submit(settings, client=client, clock=local.clock, dry_run=True)
        assert list_submissions(client, model_id(client, "demo_csv")) == []
    assert result.dry_run and result.receipt is None and result.rows == 200
    assert result.round_number == 1190 and result.stored_model == "tiny"
    assert [c.name for c in result.checks] == [
        "corr_with_previous",
        "corr_with_benchmark",
        "feature_exposure",
    ]
    assert result.csv_path.read_text().startswith("id,prediction\n")


def test_submit_uploads_and_confirms_then_compares_with_it_next_time(
    local: RunningSim, models_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    caplog.set_level(logging.DEBUG)
    with sim_client(local) as client:
        first = submit(settings, client=client, clock=local.clock)
        listed = list_submissions(client, model_id(client, "demo_csv"))
        previous = PreviousPredictions(first.csv_path, first.sha256, first.round_number)
        again = submit(settings, client=client, clock=local.clock, previous=previous)
    assert first.receipt is not None and first.receipt.attempts == 1
    assert first.receipt.round_number == 1190
    assert [s.submission_id for s in listed] == [first.receipt.submission_id]
    assert listed[0].round_number == 1190
    check = again.checks[0]
    assert check.status == "ok" and check.value == pytest.approx(1.0)
    assert "round 1190 submission" in check.detail
    assert local.demo.secret_key not in caplog.text


def test_an_upload_the_server_drops_is_noticed_and_redone(
    tmp_path: Path, demo_data_dir: Path, models_dir: Path
) -> None:
    faults = FaultConfig(
        seed=SEED_DROP_THEN_KEEP, endpoints={"create_submission": EndpointFaults(drop_rate=0.5)}
    )
    for running in sim(tmp_path, demo_data_dir, faults):
        settings = project_settings(tmp_path / "project", models_dir, running)
        started = running.clock.now()
        with sim_client(running) as client:
            result = submit(settings, client=client, clock=running.clock)
            listed = list_submissions(client, model_id(client, "demo_csv"))
        assert result.receipt is not None and result.receipt.attempts == 2
        assert [s.submission_id for s in listed] == [result.receipt.submission_id]
        assert running.clock.now() > started  # the backoff waited on the sim's clock


SEED_DROP_THEN_KEEP = 1


def test_bad_predictions_are_never_uploaded(
    local: RunningSim, models_dir: Path, tmp_path: Path
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    with sim_client(local) as client:
        dry = submit(settings, client=client, clock=local.clock, dry_run=True)
        frame = pd.read_csv(dry.csv_path, dtype={"id": str})
        frame.loc[3, "prediction"] = float("nan")
        bad = tmp_path / "bad.csv"
        frame.to_csv(bad, index=False)
        with pytest.raises(SubmissionRejected) as info:
            submit(settings, client=client, clock=local.clock, predictions_file=bad, download=False)
        assert info.value.reason == "nan"
        assert list_submissions(client, model_id(client, "demo_csv")) == []


def test_a_closed_round_is_refused_saying_when_the_next_opens(
    local: RunningSim, models_dir: Path, tmp_path: Path
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    local.step(timedelta(hours=1))  # staking closed at 13:00, the next round opens tomorrow
    with sim_client(local) as client, pytest.raises(RoundClosed) as info:
        submit(settings, client=client, clock=local.clock)
    nxt = local.server.world.times(1191).open_time
    assert f"round 1191 opens at {nxt.isoformat()}" in str(info.value)
    assert "round 1190 closed" in str(info.value)
