"""The first hour: init's file stays valid as its comments say, init --model, doctor's checks
of a fresh project, what comes next, and a CLI that starts without heavy imports."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from numerpilot import demo
from numerpilot.cli.agent import DEMO_DAYS, DEMO_SPEED
from numerpilot.cli.validate import (
    CORR_MULTIPLIER,
    FEATURE_SET_NAMES,
    MMC_MULTIPLIER,
    PAYOUT_FACTOR,
)
from numerpilot.config import CONFIG_FILE, load_settings
from numerpilot.errors import ConfigError, ExitCode
from numerpilot.scoring import PayoutParams
from tests.cli_run import modules_loaded_by, run
from tests.test_cli import free_port


def _init(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, _, err = run(["-C", str(project), "init", *args], capsys)
    return code, err


def test_following_the_files_own_instructions_keeps_it_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(tmp_path, capsys)[0] == 0
    text = (tmp_path / CONFIG_FILE).read_text()
    assert "models = []" not in text  # a [[tournament.models]] table would clash with it
    # the example the file gives, uncommented and appended at the end as it says
    example = text[text.index("# [[tournament.models]]") :]
    table = "\n".join(line.removeprefix("# ") for line in example.splitlines())
    table = table.replace('model = "NAME"', "")
    (tmp_path / CONFIG_FILE).write_text(text + "\n" + table + "\n")
    settings = load_settings(tmp_path)
    assert [(m.name, m.mode) for m in settings.tournament.models] == [("my_model", "csv")]


def test_init_model_adds_tables_new_or_existing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _init(tmp_path, capsys, "--model", "alpha", "--model", "beta:upload")
    assert code == 0 and "next:" in err and "doctor" in err
    settings = load_settings(tmp_path)
    assert [(m.name, m.mode) for m in settings.tournament.models] == [
        ("alpha", "csv"),
        ("beta", "upload"),
    ]
    # an existing file keeps its settings and gains the new model once
    path = tmp_path / CONFIG_FILE
    path.write_text(path.read_text().replace("era_step = 4", "era_step = 2"))
    for _ in range(2):
        code, err = _init(tmp_path, capsys, "--model", "gamma")
        assert code == 0 and "kept its settings" in err
    settings = load_settings(tmp_path)
    assert [m.name for m in settings.tournament.models] == ["alpha", "beta", "gamma"]
    assert settings.train.era_step == 2
    tomllib.loads(path.read_text())


@pytest.mark.parametrize("spec", ["bad name", "x:hosted", ":upload"])
def test_init_model_refuses_a_bad_spec(
    spec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _init(tmp_path, capsys, "--model", spec)
    assert code == ExitCode.USAGE and "--model" in err
    assert not (tmp_path / CONFIG_FILE).exists()


def test_init_model_refuses_to_break_an_invalid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / CONFIG_FILE).write_text("[tournament\n")
    code, err = _init(tmp_path, capsys, "--model", "alpha")
    assert code == ExitCode.CONFIG and "not valid TOML" in err
    assert (tmp_path / CONFIG_FILE).read_text() == "[tournament\n"


def test_doctor_says_what_a_fresh_project_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, _ = run(["-C", str(tmp_path), "--api-url", url, "doctor", "--json"], capsys)
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == ExitCode.BLOCKED
    assert checks["dataset"]["status"] == "fail" and "data download" in checks["dataset"]["detail"]
    assert checks["trained model"]["status"] == "fail"
    assert "numerpilot train" in checks["trained model"]["detail"]
    assert checks["tournament models"]["status"] == "fail"
    assert "init --model" in checks["tournament models"]["detail"]


def test_doctor_passes_data_and_models_once_they_exist(
    tmp_path: Path, demo_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / CONFIG_FILE).write_text(
        f"[data]\ndir = '{demo_data_dir}'\n[[tournament.models]]\nname = 'm'\nmodel = 'gone'\n"
    )
    url = f"http://127.0.0.1:{free_port()}"
    _, out, _ = run(["-C", str(tmp_path), "--api-url", url, "doctor", "--json"], capsys)
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert checks["dataset"]["status"] == "ok" and "v5.3" in checks["dataset"]["detail"]
    # a pinned stored model that does not exist is named
    assert checks["tournament models"]["status"] == "fail"
    assert "'gone'" in checks["tournament models"]["detail"]


def test_doctor_fails_on_a_model_the_account_lacks(
    sim_server: object,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numerpilot.sim import RunningSim

    assert isinstance(sim_server, RunningSim)
    monkeypatch.setenv("NUMERAI_PUBLIC_ID", sim_server.demo.public_id)
    monkeypatch.setenv("NUMERAI_SECRET_KEY", sim_server.demo.secret_key)
    _init(tmp_path, capsys, "--model", "demo_csv", "--model", "not_mine")
    args = ["-C", str(tmp_path), "--api-url", sim_server.url, "doctor", "--json"]
    code, out, _ = run(args, capsys)
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == ExitCode.BLOCKED
    found = checks["models in account"]
    assert found["status"] == "fail" and "not_mine" in found["detail"]
    assert "demo_csv" in found["detail"]  # the account's models are listed


def test_help_texts_constants_match_their_sources() -> None:
    # spelled out in the CLI so --help need not import the pipeline
    assert (DEMO_DAYS, DEMO_SPEED) == (demo.DEMO_DAYS, demo.SPEED)
    defaults = PayoutParams()
    assert (
        defaults.corr_multiplier,
        defaults.mmc_multiplier,
        defaults.payout_factor,
    ) == (CORR_MULTIPLIER, MMC_MULTIPLIER, PAYOUT_FACTOR)
    from numerpilot.config import FEATURE_SET_NAMES as CONFIG_SETS

    assert FEATURE_SET_NAMES == CONFIG_SETS


HEAVY = {"pandas", "numpy", "lightgbm", "sklearn", "sqlalchemy", "rich", "mcp", "numerapi"}
# What status must not load either: scipy (the scoring of eras, not their summaries), requests
# (nothing to ask of Numerai), the dashboard server's Starlette, and SQLAlchemy (a current
# ledger is read with sqlite3).
STATUS_HEAVY = (HEAVY - {"numpy"}) | {"scipy", "requests", "sqlalchemy", "starlette"}


def _loaded_by(args: list[str]) -> tuple[set[str], str]:
    """The top-level modules a fresh interpreter has loaded after running the CLI, and what
    the command printed."""
    loaded, printed = modules_loaded_by(args)
    assert printed.strip()  # the command printed what it was asked for
    return {m.split(".")[0] for m in loaded}, printed


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        (["--version"], HEAVY | {"pydantic"}),
        (["--help"], HEAVY | {"pydantic"}),
        # typer itself converts option values with pydantic once a command runs
        (["data", "--help"], HEAVY),
        (["sim", "serve", "--help"], HEAVY),
        # numpy for the dashboard it renders (its charts and their Sharpe); no more
        (["-C", "{tmp}", "status", "--json"], STATUS_HEAVY),
        (["-C", "{tmp}", "models", "--json"], HEAVY),
    ],
)
def test_start_up_imports_nothing_heavy(args: list[str], heavy: set[str], tmp_path: Path) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    loaded, _ = _loaded_by(args)
    assert not loaded & heavy, loaded & heavy


def test_status_reads_a_ledger_without_sqlalchemy(tmp_path: Path) -> None:
    from numerpilot.agent.ledger import Ledger
    from numerpilot.clock import SteppedClock

    opened = datetime(2026, 7, 7, 12, 0, tzinfo=UTC)
    with Ledger(tmp_path / "numerpilot.db", SteppedClock(opened)) as ledger:
        ledger.record_round(1190, opened, opened + timedelta(hours=1))
    loaded, printed = _loaded_by(["-C", str(tmp_path), "status", "--json"])
    assert [r["number"] for r in json.loads(printed)["rounds"]] == [1190]  # it was read
    assert not loaded & STATUS_HEAVY, loaded & STATUS_HEAVY


def test_init_file_is_what_config_writes(tmp_path: Path) -> None:
    from numerpilot.config import ModelEntry
    from numerpilot.config_file import add_models_toml, starter_toml

    text = starter_toml([ModelEntry(name="a")])
    assert add_models_toml(text, [ModelEntry(name="a")]) == text  # already there
    with pytest.raises(ConfigError, match="invalid"):
        add_models_toml(text.replace("era_step = 4", "era_step = 0"), [ModelEntry(name="b")])


def test_what_run_waits_for_is_said() -> None:
    from numerpilot.agent import PassReport
    from numerpilot.cli.agent import _waiting
    from numerpilot.tournament import RoundInfo

    at = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    closed = RoundInfo(
        number=1300,
        open_time=at - timedelta(hours=2),
        close_staking_time=at - timedelta(hours=1),
    )
    nxt = at + timedelta(hours=22)
    said = _waiting(PassReport(at=at, round=closed, next_pass=nxt))
    assert said == (
        "round 1300 is closed; waiting for the next to open; next pass at 2026-12-03 12:00 UTC"
    )
    assert "no round has opened yet" in str(_waiting(PassReport(at=at, round=None, next_pass=nxt)))
    assert _waiting(PassReport(at=at, round=None)) is None


def test_data_synth_says_what_comes_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["-C", str(tmp_path), "data", "synth"], capsys)
    assert code == 0 and "next: 'numerpilot train'" in " ".join(err.split())


def test_download_without_network_names_api_url_and_sim_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMERPILOT_TOURNAMENT__RETRIES", "0")  # one try: no backoff to wait
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(["-C", str(tmp_path), "--api-url", url, "data", "download"], capsys)
    assert code == ExitCode.TRANSIENT and out == ""
    line = " ".join(err.split())
    assert "--api-url" in line and "sim serve" in line and "data synth" in line
