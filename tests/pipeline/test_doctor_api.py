"""doctor's API checks: reachable, credentials accepted; skipped cleanly when unreachable."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from numerpilot.credentials import Credentials, write_credentials
from numerpilot.pipeline.doctor import Check, run_checks
from tests.tournament.fake_api import PUBLIC_ID, SECRET_KEY, FakeTournament, serve


@pytest.fixture
def fake() -> Iterator[FakeTournament]:
    with serve(FakeTournament()) as running:
        yield running


def api_checks(project: Path, url: str, credentials_path: Path) -> dict[str, Check]:
    checks = run_checks(project, api_url=url, credentials_path=credentials_path)
    return {c.name: c for c in checks if c.name in ("api", "credentials accepted")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_reachable_and_accepted(fake: FakeTournament, tmp_path: Path):
    path = write_credentials(Credentials(PUBLIC_ID, SECRET_KEY), tmp_path / "c.json")
    checks = api_checks(tmp_path, fake.url, path)
    assert checks["api"].status == "ok" and fake.url in checks["api"].detail
    assert checks["credentials accepted"] == Check(
        "credentials accepted", "ok", "accepted for account 'pilot'"
    )


def test_refused_credentials_fail_without_showing_them(fake: FakeTournament, tmp_path: Path):
    path = write_credentials(
        Credentials(PUBLIC_ID, "NOTTHESECRETNOTTHESECRET"), tmp_path / "c.json"
    )
    checks = api_checks(tmp_path, fake.url, path)
    assert checks["api"].status == "ok"
    refused = checks["credentials accepted"]
    assert refused.status == "fail" and "must be authenticated" in refused.detail
    assert "NOTTHESECRET" not in json.dumps([c.as_dict() for c in checks.values()])


def test_no_credentials_skips_the_key_check(fake: FakeTournament, tmp_path: Path):
    checks = api_checks(tmp_path, fake.url, tmp_path / "absent.json")
    assert checks["credentials accepted"].status == "skip"
    assert "no credentials" in checks["credentials accepted"].detail


def test_unreachable_api_is_a_warning_and_skips_the_key_check(tmp_path: Path):
    path = write_credentials(Credentials(PUBLIC_ID, SECRET_KEY), tmp_path / "c.json")
    checks = api_checks(tmp_path, f"http://127.0.0.1:{free_port()}", path)
    assert checks["api"].status == "warn" and "cannot connect" in checks["api"].detail
    assert checks["credentials accepted"] == Check(
        "credentials accepted", "skip", "not checked: the API is unreachable"
    )


def test_api_answering_5xx_counts_as_unreachable_without_waiting(
    fake: FakeTournament, tmp_path: Path
):
    fake.post_statuses = [503]
    checks = api_checks(tmp_path, fake.url, tmp_path / "absent.json")
    assert checks["api"].status == "warn" and "HTTP 503" in checks["api"].detail
    assert len(fake.posts()) == 1  # one try: no retries, no backoff
