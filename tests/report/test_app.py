"""The dashboard's server: loopback only unless told, read-only, the reports beside it."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from numerpilot.agent import Ledger, load_dashboard
from numerpilot.config import load_settings
from numerpilot.errors import ConfigError, ExitCode
from numerpilot.report import DashboardView
from numerpilot.report._app import bind, check_host, create_app, is_loopback
from tests.cli_run import run
from tests.report.conftest import Project, Served


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8")


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_non_loopback_is_refused(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigError, match="refusing to serve"):
        check_host(host)
    with pytest.raises(ConfigError, match="--host"):
        bind(host, 0)


def test_loopback_binds_a_free_port() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1" and sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_the_command_refuses_a_public_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["-C", str(tmp_path), "dashboard", "--host", "0.0.0.0", "--no-open"], capsys
    )
    assert code == ExitCode.CONFIG and out == ""
    assert "refusing to serve" in err


def test_the_server_serves_and_never_writes_the_ledger(served: Served) -> None:
    ledger = served.project.settings.ledger_path
    wal = ledger.with_name(ledger.name + "-wal")
    before = _fingerprint(ledger)
    wal_before = _fingerprint(wal) if wal.exists() else None
    for _ in range(3):
        code, html = _get(served.url)
        assert code == 200 and 'data-refresh="15"' in html
        assert 'href="/reports/validate-demo.html"' in html
    code, report = _get(served.url + "reports/validate-demo.html")
    assert code == 200 and "report" in report
    with pytest.raises(urllib.error.HTTPError) as missing:
        _get(served.url + "reports/../numerpilot.toml")
    assert missing.value.code == 404
    missing.value.close()
    assert _fingerprint(ledger) == before
    if wal_before is None:
        # SQLite may open an empty write-ahead log beside a WAL database it reads, no more.
        assert not wal.exists() or wal.stat().st_size == 0
    else:
        assert _fingerprint(wal)[0] == wal_before[0]


def test_a_read_only_ledger_refuses_writes(project: Project) -> None:
    path = project.settings.ledger_path
    before = _fingerprint(path)
    with Ledger(path, project.clock, read_only=True) as ledger:
        assert ledger.rounds()
        with pytest.raises(OperationalError, match="readonly database"):
            ledger.heartbeat("dashboard")
    assert _fingerprint(path) == before


def test_a_missing_ledger_is_not_created(tmp_path: Path, project: Project) -> None:
    settings = load_settings(tmp_path)
    view = load_dashboard(settings, project.clock)
    assert view.empty and not settings.ledger_path.exists()


def test_without_a_reports_folder_reports_are_not_found(tmp_path: Path, project: Project) -> None:
    app = create_app(lambda: load_dashboard(project.settings, project.clock), tmp_path / "none")
    with TestClient(app) as client:
        assert client.get("/reports/validate-x.html").status_code == 404
        assert client.get("/favicon.ico").status_code == 204
        assert client.get("/").status_code == 200


def test_an_unreadable_ledger_is_said_on_the_page(tmp_path: Path) -> None:
    def refuse() -> DashboardView:
        raise ConfigError("setting 'agent.ledger': x.db was written by a newer numerpilot")

    with TestClient(create_app(refuse, tmp_path)) as client:
        response = client.get("/")
    assert response.status_code == 503 and "newer numerpilot" in response.text
