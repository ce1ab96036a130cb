"""numerapi against the sim: rounds, competitions and dataset downloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numerapi
import pandas as pd
import pytest

from numerpilot.sim import RunningSim
from tests.sim.helpers import live_file

OPEN = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
CLOSE_STAKING = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)


def test_current_round_and_its_state(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    assert napi.get_current_round() == 1190
    assert napi.check_round_open() is True
    assert napi.check_new_round(hours=1) is True
    assert napi.check_new_round(hours=0) is False
    sim.step(timedelta(hours=1))  # 13:15: staking closed, the round stays current
    assert napi.get_current_round() == 1190
    assert napi.check_round_open() is False
    sim.step(timedelta(hours=23))  # Wednesday 12:15: round 1191
    assert napi.get_current_round() == 1191
    assert napi.check_round_open() is True


def test_competitions_and_list_rounds(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    sim.step(timedelta(days=1))  # round 1191 opens; 1190 is closed
    competitions = napi.get_competitions()
    assert [c["number"] for c in competitions] == [1191, 1190]
    first = competitions[1]
    assert first["openTime"] == OPEN and first["openTime"].utcoffset() == timedelta(0)
    assert first["resolvedGeneral"] is False and first["resolvedStaking"] is False

    rounds = {r["number"]: r for r in napi.list_rounds()}
    r = rounds[1190]
    assert r["closeStakingTime"] == CLOSE_STAKING
    assert r["scoreTime"] == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # Saturday, 4 days later
    assert r["resolveTime"] > r["scoreTime"] + timedelta(days=25)
    assert r["payoutFactor"] == Decimal(1)  # nothing staked: min(1, threshold / 0)
    assert rounds[1191]["payoutFactor"] is None  # staking still open
    configs = {c["name"]: c for c in r["roundScoreConfigs"]}
    assert configs["v2_corr20"]["defaultMultiplier"] == 0.75
    assert configs["mmc"]["defaultMultiplier"] == 2.25
    assert configs["mmc"]["scoringStart"] == r["scoreTime"]
    assert configs["mmc"]["totalScoreDays"] == 20

    assert [r["number"] for r in napi.list_rounds(status="open")] == [1191]
    assert [r["number"] for r in napi.list_rounds(status="resolving")] == [1190]
    assert [r["number"] for r in napi.list_rounds(status="upcoming")] == [1192]
    assert [r["number"] for r in napi.list_rounds(number=1190)] == [1190]
    assert len(napi.list_rounds(limit=1)) == 1


def test_list_and_download_datasets(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    names = napi.list_datasets()
    assert "v5.3/train.parquet" in names and "v5.3/live_1190.parquet" in names
    assert "v5.3/meta_model.parquet" in names and all(n.startswith("v5.3/") for n in names)

    dest = tmp_path / "live.parquet"
    assert napi.download_dataset("v5.3/live.parquet", str(dest)) == str(dest)
    live = pd.read_parquet(dest)
    assert live.shape[0] == 200 and live.index.name == "id"
    assert set(live["era"]) == {"X"} and set(live["data_type"]) == {"live"}
    assert live.filter(like="feature_").dtypes.eq("int8").all()
    assert live["target"].isna().all()
    assert dest.read_bytes() == live_file(sim, 1190).read_bytes()

    # The round-specific name is the same file; the next round's live data differs.
    named = tmp_path / "live_1190.parquet"
    napi.download_dataset("v5.3/live_1190.parquet", str(named))
    assert named.read_bytes() == dest.read_bytes()
    sim.step(timedelta(days=1))
    newer = tmp_path / "live_new.parquet"
    napi.download_dataset("v5.3/live.parquet", str(newer))
    assert not pd.read_parquet(newer).index.equals(live.index)
    older = tmp_path / "live_old.parquet"
    napi.download_dataset("v5.3/live.parquet", str(older), round_num=1190)
    assert older.read_bytes() == dest.read_bytes()

    with pytest.raises(ValueError, match="not found"):
        napi.download_dataset("v5.3/oracle/live.parquet", str(tmp_path / "x"))


def test_download_resumes_a_partial_file(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    source = sim.server.datasets_dir / "v5.3" / "validation.parquet"
    whole = source.read_bytes()
    dest = tmp_path / "validation.parquet"
    Path(str(dest) + ".temp").write_bytes(whole[:1000])  # an interrupted earlier download
    napi.download_dataset("v5.3/validation.parquet", str(dest))
    assert dest.read_bytes() == whole
    stamp = dest.stat().st_mtime_ns
    napi.download_dataset("v5.3/validation.parquet", str(dest))  # complete: not fetched again
    assert dest.stat().st_mtime_ns == stamp


def test_download_with_filters_reads_ranges(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    dest = tmp_path / "two_eras.parquet"
    napi.download_dataset(
        "v5.3/train.parquet", str(dest), filters=[("era", "in", ["0001", "0002"])]
    )
    got = pd.read_parquet(dest)
    source = sim.server.datasets_dir / "v5.3" / "train.parquet"
    expected = pd.read_parquet(source, filters=[("era", "in", ["0001", "0002"])])
    assert sorted(set(got["era"])) == ["0001", "0002"]
    pd.testing.assert_frame_equal(got, expected)
