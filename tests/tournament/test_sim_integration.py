"""The client, the download and the loader against the real local tournament on loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from numerpilot.clock import SteppedClock
from numerpilot.credentials import Credentials
from numerpilot.data import (
    download_dataset,
    load_dataset,
    read_feature_metadata,
    resolve_features,
    verify,
)
from numerpilot.tournament.client import TournamentClient

FILES = ["features.json", "train.parquet", "live.parquet", "validation_example_preds.parquet"]


def test_download_and_load_from_the_local_tournament(sim_server, demo_data_dir: Path, tmp_path):
    clock = SteppedClock(datetime(2026, 3, 3, 12, 15, tzinfo=UTC))
    with TournamentClient(api_url=sim_server.url, clock=clock, timeout=10, retries=2) as client:
        assert client.dataset_versions()[-1] == "v5.3"
        summary = download_dataset(client, tmp_path, files=FILES)
        assert [f.status for f in summary.files] == ["downloaded"] * len(FILES)
        again = download_dataset(client, tmp_path, files=FILES)
        assert [f.status for f in again.files] == ["skipped"] * len(FILES)
    for name in FILES:
        if name != "live.parquet":  # the local tournament makes each round's live data
            ours, theirs = tmp_path / "v5.3" / name, demo_data_dir / "v5.3" / name
            assert ours.read_bytes() == theirs.read_bytes()
    assert verify(tmp_path / "v5.3") == sorted(FILES)

    meta = read_feature_metadata(tmp_path / "v5.3/features.json")
    features = resolve_features(meta, "medium")
    ds = load_dataset(
        tmp_path / "v5.3/train.parquet", features=features, targets=meta.targets[:3], era_step=4
    )
    _, labels = ds.era_codes()
    assert len(labels) == 30 and labels[0] == "0001" and labels[1] == "0005"  # 120 eras / 4
    assert ds.features.dtype == np.int8 and ds.features.shape[1] == len(features)
    assert ds.features.min() >= 0 and ds.features.max() <= 4
    assert not np.isnan(ds.target("target")).any()
    live = load_dataset(tmp_path / "v5.3/live.parquet", features=features, targets=["target"])
    assert set(live.data_type) == {"live"} and np.isnan(live.targets).all()


def test_rounds_and_credentials_against_the_local_tournament(sim_server):
    demo = sim_server.demo
    credentials = Credentials(demo.public_id, demo.secret_key)
    with TournamentClient(api_url=sim_server.url, credentials=credentials, retries=0) as client:
        current = client.current_round()
        assert current is not None and current.number == 1190
        assert current.close_staking_time == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
        assert current.is_open(sim_server.clock.now())
        assert client.account_name() == demo.username
