"""The command line: init, exit codes mapped from errors, one-line messages, --json."""

from __future__ import annotations

import json
import socket
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from numerpilot import __version__
from numerpilot.config import CONFIG_FILE, Settings
from numerpilot.errors import (
    CheckFailed,
    ConfigError,
    CredentialsError,
    DataError,
    ExitCode,
    NumerpilotError,
    SubmissionRejected,
    TournamentError,
    TransientTournamentError,
)
from tests.cli_run import run
from tests.tournament.fake_api import FakeTournament, serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake() -> Iterator[FakeTournament]:
    files = {"v5.3/live.parquet": b"live", "v5.3/features.json": b"{}", "v5.2/live.parquet": b"x"}
    with serve(FakeTournament(files=files)) as running:
        yield running


def test_version(capsys: pytest.CaptureFixture[str]):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == __version__


def test_init_writes_a_commented_valid_config_and_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code, _, err = run(["-C", str(tmp_path), "init"], capsys)
    assert code == 0 and "wrote" in err
    text = (tmp_path / CONFIG_FILE).read_text()
    assert text.startswith("# numerpilot project settings")
    Settings(**tomllib.loads(text), project_dir=tmp_path)  # valid as written
    assert all((tmp_path / d).is_dir() for d in ("data", "models", "reports"))
    # an existing file is kept unless --force
    (tmp_path / CONFIG_FILE).write_text("# mine\n")
    code, _, err = run(["-C", str(tmp_path), "init"], capsys)
    assert code == 0 and "kept it" in err and (tmp_path / CONFIG_FILE).read_text() == "# mine\n"
    run(["-C", str(tmp_path), "init", "--force"], capsys)
    assert (tmp_path / CONFIG_FILE).read_text() == text


def test_init_writes_private_credentials(
    tmp_path: Path, _isolated_home: Path, capsys: pytest.CaptureFixture[str]
):
    args = [
        "-C",
        str(tmp_path),
        "init",
        "--public-id",
        "PUBLICIDXYZ123",
        "--secret-key",
        "S3CRET9876",
    ]
    code, out, err = run(args, capsys)
    path = _isolated_home / ".numerai" / "credentials.json"
    assert code == 0 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "public_id": "PUBLICIDXYZ123",
        "secret_key": "S3CRET9876",
    }
    assert "S3CRET9876" not in out + err


def test_secret_key_alone_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = run(["-C", str(tmp_path), "init", "--secret-key", "x"], capsys)
    assert code == ExitCode.USAGE and "--secret-key needs --public-id" in err
    assert not (tmp_path / CONFIG_FILE).exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("setting 'data.version': bad"), ExitCode.CONFIG),
        (CredentialsError("key refused"), ExitCode.CREDENTIALS),
        (DataError("bad column", path="x.parquet", column="era"), ExitCode.DATA),
        (TournamentError("refused"), ExitCode.TOURNAMENT),
        (TransientTournamentError("HTTP 503"), ExitCode.TRANSIENT),
        (SubmissionRejected("constant", "all predictions equal"), ExitCode.REJECTED),
        (CheckFailed("1 check failed"), ExitCode.BLOCKED),
    ],
)
def test_errors_become_one_line_and_their_exit_code(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    error: NumerpilotError,
    code: int,
):
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("numerpilot.data.download.download_dataset", fail)
    got, out, err = run(["-C", str(tmp_path), "data", "download"], capsys)
    assert got == int(code)
    assert err.strip() == f"error: {error}" and out == ""
    assert "Traceback" not in err
    # --debug shows where it came from
    got, _, err = run(["-C", str(tmp_path), "--debug", "data", "download"], capsys)
    assert got == int(code) and "Traceback" in err and "fail" in err


def test_interrupt_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("numerpilot.data.download.download_dataset", interrupted)
    code, _, err = run(["-C", str(tmp_path), "data", "download"], capsys)
    assert code == 130 and "interrupted" in err


def test_bad_config_file_exits_with_the_config_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / CONFIG_FILE).write_text('[data]\nversion = "latest"\n')
    code, _, err = run(["-C", str(tmp_path), "data", "download"], capsys)
    assert code == ExitCode.CONFIG
    assert "setting 'data.version'" in err and len(err.strip().splitlines()) == 1


def test_doctor_json_is_parseable(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    url = f"http://127.0.0.1:{free_port()}"
    code, out, _ = run(["-C", str(tmp_path), "--api-url", url, "doctor", "--json"], capsys)
    document = json.loads(out)
    assert document["kind"] == "doctor" and document["ok"] is (code == 0)
    checks = {c["name"]: c for c in document["checks"]}
    assert {"config", "credentials", "api", "credentials accepted"} <= set(checks)
    assert checks["api"]["status"] == "warn"
    assert code == (ExitCode.BLOCKED if any(c["status"] == "fail" for c in checks.values()) else 0)


def test_doctor_fails_on_a_credentials_file_others_can_read(
    tmp_path: Path, _isolated_home: Path, capsys: pytest.CaptureFixture[str]
):
    path = _isolated_home / ".numerai" / "credentials.json"
    path.parent.mkdir()
    path.write_text('{"public_id": "a", "secret_key": "b"}')
    path.chmod(0o644)
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(["-C", str(tmp_path), "--api-url", url, "doctor", "--json"], capsys)
    assert code == ExitCode.BLOCKED
    checks = json.loads(out)["checks"]
    credentials = next(c for c in checks if c["name"] == "credentials")
    assert credentials["status"] == "fail" and f"chmod 600 {path}" in credentials["detail"]
    assert "credentials" in err.strip().splitlines()[-1]


def test_data_download_json(
    fake: FakeTournament, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    args = ["-C", str(tmp_path), "--api-url", fake.url, "data", "download", "--json"]
    code, out, _ = run([*args, "--files", "live.parquet,features.json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["version"] == "v5.3"
    assert [(f["name"], f["status"]) for f in summary["files"]] == [
        ("live.parquet", "downloaded"),
        ("features.json", "downloaded"),
    ]
    assert (tmp_path / "data/v5.3/live.parquet").read_bytes() == b"live"
    code, out, _ = run([*args, "--files", "live.parquet", "--version", "v5.2"], capsys)
    assert json.loads(out)["files"][0]["status"] == "downloaded"
    assert (tmp_path / "data/v5.2/live.parquet").read_bytes() == b"x"
    # a file asked for by name that the version lacks is an error naming it
    code, _, err = run([*args, "--files", "trian.parquet"], capsys)
    assert code == ExitCode.CONFIG and "trian.parquet" in err


def test_data_download_table(
    fake: FakeTournament, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    args = ["-C", str(tmp_path), "--api-url", fake.url, "data", "download"]
    code, out, _ = run([*args, "--files", "live.parquet"], capsys)
    assert code == 0 and "live.parquet" in out and "downloaded" in out
    code, out, _ = run([*args, "--files", "live.parquet"], capsys)
    assert "skipped" in out


def test_tables_piped_to_a_log_are_not_wrapped_at_80_columns(monkeypatch: pytest.MonkeyPatch):
    from numerpilot.cli._common import PIPED_WIDTH, _console

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("TERM", "dumb")
    console = _console(stderr=False)
    assert not console.is_terminal and console.width == PIPED_WIDTH
    monkeypatch.setenv("COLUMNS", "90")
    assert _console(stderr=False).width == 90
