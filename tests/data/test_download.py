"""Downloads end to end: the real numerapi and client against a fake tournament on loopback."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from numerpilot.clock import SteppedClock
from numerpilot.data.download import choose_version, download_dataset
from numerpilot.data.manifest import read_dataset_manifest, verify
from numerpilot.errors import ConfigError, DataError, TournamentError
from numerpilot.tournament import TournamentClient, files
from tests.tournament.fake_api import FakeTournament, serve

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TRAIN = bytes(range(256)) * 40  # 10,240 bytes: several chunks of a truncated transfer
LIVE = b"live data of round 1101"


@pytest.fixture
def fake() -> Iterator[FakeTournament]:
    files = {
        "v5.2/train.parquet": b"old",
        "v5.3/train.parquet": TRAIN,
        "v5.3/live.parquet": LIVE,
        "v5.3/features.json": b"{}",
    }
    with serve(FakeTournament(files=files)) as running:
        yield running


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(START)


@pytest.fixture
def client(fake: FakeTournament, clock: SteppedClock) -> Iterator[TournamentClient]:
    with TournamentClient(api_url=fake.url, clock=clock, timeout=5, retries=3) as c:
        yield c


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_full_download_records_size_and_sha256(client: TournamentClient, tmp_path: Path):
    seen: dict[str, tuple[int, int | None]] = {}
    summary = download_dataset(
        client,
        tmp_path,
        files=["train.parquet", "live.parquet"],
        progress=lambda name, done, total: seen.__setitem__(name, (done, total)),
    )
    assert summary.version == "v5.3" and summary.directory == tmp_path / "v5.3"
    assert [(f.name, f.status) for f in summary.files] == [
        ("train.parquet", "downloaded"),
        ("live.parquet", "downloaded"),
    ]
    assert (tmp_path / "v5.3/train.parquet").read_bytes() == TRAIN
    manifest = json.loads((tmp_path / "v5.3/manifest.json").read_text())
    assert manifest["files"]["train.parquet"]["size"] == len(TRAIN)
    assert manifest["files"]["train.parquet"]["sha256"] == sha(TRAIN)
    assert manifest["files"]["live.parquet"]["sha256"] == sha(LIVE)
    assert seen["train.parquet"] == (len(TRAIN), len(TRAIN))
    assert not list((tmp_path / "v5.3").glob("*.temp*"))
    assert verify(tmp_path / "v5.3") == ["live.parquet", "train.parquet"]


def test_complete_files_are_skipped(client: TournamentClient, tmp_path: Path):
    download_dataset(client, tmp_path, files=["train.parquet"])
    path = tmp_path / "v5.3/train.parquet"
    before = path.stat().st_mtime_ns
    summary = download_dataset(client, tmp_path, files=["train.parquet"])
    assert summary.files[0].status == "skipped" and summary.files[0].sha256 == sha(TRAIN)
    assert path.stat().st_mtime_ns == before


def test_resume_after_a_connection_lost_midway(
    client: TournamentClient,
    fake: FakeTournament,
    clock: SteppedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(files, "CHUNK_BYTES", 1000)  # what a dropped connection can lose
    fake.truncate_gets = [4000]
    summary = download_dataset(client, tmp_path, files=["train.parquet"])
    assert summary.files[0].status == "resumed"
    assert (tmp_path / "v5.3/train.parquet").read_bytes() == TRAIN
    assert summary.files[0].sha256 == sha(TRAIN)  # hashed across the two transfers
    ranges = [g.headers.get("Range") for g in fake.gets()]
    assert ranges == [None, None, "bytes=4000-"]  # first try; then probe, then the rest
    assert clock.now() - START == timedelta(seconds=1)  # backoff on the clock, no real sleep


def test_resume_a_partial_left_by_an_earlier_run(
    client: TournamentClient, fake: FakeTournament, tmp_path: Path
):
    (tmp_path / "v5.3").mkdir()
    (tmp_path / "v5.3/train.parquet.temp").write_bytes(TRAIN[:1000])
    summary = download_dataset(client, tmp_path, files=["train.parquet"])
    assert summary.files[0].status == "resumed"
    assert (tmp_path / "v5.3/train.parquet").read_bytes() == TRAIN
    assert fake.gets()[-1].headers["Range"] == "bytes=1000-"


def test_partial_of_an_older_file_version_is_not_stitched(
    client: TournamentClient, fake: FakeTournament, tmp_path: Path
):
    (tmp_path / "v5.3").mkdir()
    (tmp_path / "v5.3/live.parquet.temp").write_bytes(b"live data of round 1100"[:10])
    (tmp_path / "v5.3/live.parquet.temp.etag").write_text('"etag-of-round-1100"')
    summary = download_dataset(client, tmp_path, files=["live.parquet"])
    assert summary.files[0].status == "downloaded"
    assert (tmp_path / "v5.3/live.parquet").read_bytes() == LIVE
    assert all("Range" not in g.headers for g in fake.gets())


def test_server_ignoring_range_restarts_cleanly(
    client: TournamentClient, fake: FakeTournament, tmp_path: Path
):
    fake.ignore_range = True
    (tmp_path / "v5.3").mkdir()
    (tmp_path / "v5.3/train.parquet.temp").write_bytes(TRAIN[:1000])
    summary = download_dataset(client, tmp_path, files=["train.parquet"])
    assert summary.files[0].status == "downloaded"
    assert (tmp_path / "v5.3/train.parquet").read_bytes() == TRAIN


def test_changed_local_file_is_detected_and_fetched_again(client: TournamentClient, tmp_path: Path):
    download_dataset(client, tmp_path, files=["train.parquet"])
    path = tmp_path / "v5.3/train.parquet"
    path.write_bytes(b"X" + TRAIN[1:])  # same size, other content
    with pytest.raises(DataError, match="sha256 differs from the manifest") as info:
        verify(tmp_path / "v5.3")
    assert info.value.path == str(path)
    summary = download_dataset(client, tmp_path, files=["train.parquet"])
    assert summary.files[0].status == "downloaded"
    assert path.read_bytes() == TRAIN
    verify(tmp_path / "v5.3")


def test_file_changed_upstream_with_the_same_size_is_fetched_again(
    client: TournamentClient, fake: FakeTournament, tmp_path: Path
):
    download_dataset(client, tmp_path, files=["live.parquet"])
    fake.files["v5.3/live.parquet"] = b"live data of round 1102"  # same length, new ETag
    summary = download_dataset(client, tmp_path, files=["live.parquet"])
    assert summary.files[0].status == "downloaded"
    assert (tmp_path / "v5.3/live.parquet").read_bytes() == b"live data of round 1102"
    assert read_dataset_manifest(tmp_path / "v5.3").files["live.parquet"].etag == fake.etag(
        "v5.3/live.parquet"
    )


def test_file_downloaded_by_other_means_is_adopted(client: TournamentClient, tmp_path: Path):
    (tmp_path / "v5.3").mkdir()
    (tmp_path / "v5.3/train.parquet").write_bytes(TRAIN)
    summary = download_dataset(client, tmp_path, files=["train.parquet"])
    assert summary.files[0].status == "skipped"
    assert read_dataset_manifest(tmp_path / "v5.3").files["train.parquet"].sha256 == sha(TRAIN)


def test_5xx_on_api_and_file_are_retried_without_real_sleep(
    client: TournamentClient, fake: FakeTournament, clock: SteppedClock, tmp_path: Path
):
    fake.post_statuses = [503]
    fake.get_statuses = [500]
    summary = download_dataset(client, tmp_path, files=["live.parquet"])
    assert summary.files[0].status == "downloaded"
    # listDatasets waits 1 s; the failed GET makes the download's first retry wait 1 s
    assert clock.now() - START == timedelta(seconds=2)


def test_newest_version_unless_pinned(client: TournamentClient, tmp_path: Path):
    listing = ["v5.9/a", "v5.10/a", "v4/a", "other"]
    assert choose_version(listing, None) == "v5.10"
    assert choose_version(listing, "v5.9") == "v5.9"
    with pytest.raises(ConfigError, match=r"'data.version': v5.11 is not offered.*v5.9, v5.10"):
        choose_version(listing, "v5.11")
    summary = download_dataset(client, tmp_path, files=["train.parquet"], version="v5.2")
    assert (tmp_path / "v5.2/train.parquet").read_bytes() == b"old"
    assert summary.version == "v5.2"


def test_files_a_version_lacks(client: TournamentClient, tmp_path: Path):
    summary = download_dataset(client, tmp_path, files=["meta_model.parquet", "live.parquet"])
    assert [f.status for f in summary.files] == ["unavailable", "downloaded"]
    with pytest.raises(ConfigError, match=r"no file 'trian.parquet'; did you mean 'train.parquet'"):
        download_dataset(client, tmp_path, files=["trian.parquet"], strict=True)
    with pytest.raises(ConfigError, match="not a plain file name"):
        download_dataset(client, tmp_path, files=["../escape"])


def test_missing_file_on_the_server_does_not_leak_the_signed_url(
    client: TournamentClient, fake: FakeTournament, tmp_path: Path
):
    fake.get_statuses = [404]
    with pytest.raises(TournamentError) as info:
        download_dataset(client, tmp_path, files=["live.parquet"])
    assert "HTTP 404" in str(info.value) and "Signature" not in str(info.value)
