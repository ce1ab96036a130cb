"""The JSON contract: every command's --json output is one object of its kind that matches
the published schema; the schema files match the models they are generated from.

New commands: add a row to CASES (or call ``check_document`` where their tests parse JSON).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from numerpilot.cli._common import print_json
from numerpilot.clock import AcceleratedClock
from numerpilot.errors import ExitCode
from numerpilot.schemas import (
    DOCUMENTS,
    SCHEMA_DIR,
    SCHEMA_VERSION,
    json_document,
    published,
    schema_text,
)
from numerpilot.sim import DEFAULT_START, DataConfig, RunningSim, SimConfig, run_sim
from tests.cli_run import run
from tests.contract import check_document
from tests.pipeline.submit_world import shared_models
from tests.test_cli import free_port
from tests.tournament.fake_api import FakeTournament, serve


@dataclass(frozen=True)
class Case:
    args: list[str]
    kind: str
    code: int = 0
    toml: str = ""  # numerpilot.toml of the project
    needs: list[str] = field(default_factory=list)  # "fake" (a fake API), "offline"


CASES = {
    "missing data is a data error": Case(["train"], "error", ExitCode.DATA),
    "no model is a data error": Case(["predict"], "error", ExitCode.DATA),
    "usage error": Case(["init", "--secret-key", "x"], "error", ExitCode.USAGE),
    "unknown option": Case(["status", "--bogus"], "error", ExitCode.USAGE),
    "config error": Case(["status"], "error", ExitCode.CONFIG, toml="[data]\nversion = 'x'\n"),
    "doctor": Case(["doctor"], "doctor", ExitCode.BLOCKED, needs=["offline"]),
    "models": Case(["models"], "models", toml="[[tournament.models]]\nname = 'm1'\n"),
    "status": Case(["status"], "status"),
    "data download": Case(
        ["data", "download", "--files", "live.parquet"], "data_download", needs=["fake"]
    ),
    # Running, showing and promoting an experiment are checked in tests/research/test_run.py.
    "experiment new": Case(["experiment", "new", "first"], "experiment_new"),
    "experiment status": Case(["experiment", "status"], "experiment_status"),
    "experiment show without one": Case(["experiment", "show", "nope"], "error", ExitCode.CONFIG),
}


@pytest.fixture
def fake() -> Iterator[FakeTournament]:
    with serve(FakeTournament(files={"v5.3/live.parquet": b"live"})) as running:
        yield running


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_every_json_document_matches_its_schema(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    if case.toml:
        (tmp_path / "numerpilot.toml").write_text(case.toml)
    root = ["-C", str(tmp_path)]
    if "fake" in case.needs:
        root += ["--api-url", request.getfixturevalue("fake").url]
    if "offline" in case.needs:
        root += ["--api-url", f"http://127.0.0.1:{free_port()}"]
    code, out, _ = run([*root, *case.args, "--json"], capsys)
    assert code == case.code
    [line] = out.splitlines()  # one document, nothing else on stdout
    document = json.loads(line)
    assert check_document(document) == case.kind
    assert document["schema_version"] == SCHEMA_VERSION
    if case.kind == "error":
        assert document["error"]["exit_code"] == case.code


@pytest.fixture
def announcing_sim(tmp_path: Path, demo_data_dir: Path) -> Iterator[RunningSim]:
    """A local tournament whose clock (from Tuesday 12:15, round 1190 open) it announces, so
    the CLI judges the round window by it and not by the wall clock."""
    clock = AcceleratedClock(DEFAULT_START, speed=1)
    config = SimConfig(data=DataConfig(live_rows=200))
    with run_sim(
        tmp_path / "sim" / "sim.db", clock=clock, config=config, datasets_dir=demo_data_dir
    ) as sim:
        yield sim


def test_submit_predict_and_models_documents(
    announcing_sim: RunningSim,
    tmp_path_factory: pytest.TempPathFactory,
    demo_data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    models_dir = shared_models(tmp_path_factory, demo_data_dir)
    project = tmp_path / "project"
    project.mkdir()
    (project / "numerpilot.toml").write_text(
        f"models_dir = '{models_dir}'\n[data]\ndir = '{demo_data_dir}'\nversion = 'v5.3'\n"
        "[[tournament.models]]\nname = 'demo_csv'\nmodel = 'tiny'\n"
    )
    sim = announcing_sim
    monkeypatch.setenv("NUMERAI_PUBLIC_ID", sim.demo.public_id)
    monkeypatch.setenv("NUMERAI_SECRET_KEY", sim.demo.secret_key)
    root = ["-C", str(project), "--api-url", sim.url]
    # the shared data folder is only read: no live download
    code, out, err = run([*root, "submit", "--dry-run", "--no-download", "--json"], capsys)
    assert code == 0, err
    submitted = json.loads(out)
    assert check_document(submitted) == "submit" and submitted["uploaded"] is False
    code, out, _ = run(
        [*root, "predict", "tiny", "--out", str(tmp_path / "p.csv"), "--json"], capsys
    )
    assert code == 0 and check_document(json.loads(out)) == "predict"
    code, out, _ = run([*root, "models", "--json"], capsys)
    listed = json.loads(out)
    assert check_document(listed) == "models"
    [tiny] = listed["models"]
    assert tiny["submitted_by"] == ["demo_csv"]  # pinned in numerpilot.toml
    assert listed["tournament_models"][0]["why"] == "pinned in numerpilot.toml"


def test_the_published_schemas_are_generated_from_the_models() -> None:
    for kind in DOCUMENTS:
        assert (SCHEMA_DIR / f"{kind}.json").read_text("utf-8") == schema_text(kind), (
            f"{kind}.json is stale: run 'python -m numerpilot.schemas'"
        )
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.json")) == sorted(DOCUMENTS)
    for kind in DOCUMENTS:
        properties = published(kind)["properties"]
        assert properties["kind"]["const"] == kind
        assert properties["schema_version"]["const"] == SCHEMA_VERSION


def test_amounts_are_decimal_strings_in_the_schema() -> None:
    stake = published("status")["$defs"]["Stake"]["properties"]["amount"]
    assert stake["type"] == "string" and re.fullmatch(stake["pattern"], "-0.25")
    assert not re.fullmatch(stake["pattern"], "0.25 NMR")


@pytest.mark.parametrize(
    "bad", [[{"kind": "models"}], {"models": []}, {"kind": 3}], ids=["list", "no kind", "bad kind"]
)
def test_print_json_requires_one_object_with_a_kind(bad: Any) -> None:
    with pytest.raises(TypeError, match="kind"):
        json_document(bad)


def test_print_json_puts_kind_and_version_first(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"value": float("nan"), "kind": "example", "path": Path("/x")})
    printed = capsys.readouterr().out
    assert printed == '{"kind": "example", "schema_version": 1, "value": null, "path": "/x"}\n'
