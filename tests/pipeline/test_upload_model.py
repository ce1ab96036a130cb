"""``numerpilot upload-model``: the pickle of a stored model (built by the runtime image's own
Python, or the portable form on request) predicts exactly as numerpilot does, passes pre-flight
and the image's scanner, is uploaded and confirmed, and the local tournament runs it at the next
round open, its output becoming the model's submission. A dry run stays offline."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from numerpilot.cli import main
from numerpilot.clock import SteppedClock
from numerpilot.credentials import Credentials
from numerpilot.data import load_dataset
from numerpilot.errors import CheckFailed, ExitCode
from numerpilot.models import load_model, predict_frame
from numerpilot.pipeline import _upload_model as upload_module
from numerpilot.pipeline._upload_model import build_pickle, portable_model, upload_model
from numerpilot.pipeline.submit import LIVE_FILES
from numerpilot.runtime import (
    IMAGES,
    Limits,
    find_interpreter,
    model_runner,
    portable_pickle_bytes,
    run_pickle,
    scan_pickle,
    scan_pickle_file,
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
from numerpilot.tournament import TournamentClient, list_pickles, list_submissions, model_id
from numerpilot.tournament import upload_model as upload_pickle
from tests.contract import check_document
from tests.pipeline.submit_world import project_settings, shared_models, sim_client, train_tiny

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> Path:
    return shared_models(tmp_path_factory, demo_data_dir)


@pytest.fixture
def local(tmp_path: Path, demo_data_dir: Path, runtime_cache_dir: Path) -> Iterator[RunningSim]:
    with run_sim(
        tmp_path / "sim" / "sim.db",
        clock=SteppedClock(DEFAULT_START),
        config=SimConfig(data=DataConfig(live_rows=200)),
        model_runner=model_runner(cache_dir=runtime_cache_dir),
        datasets_dir=demo_data_dir,
    ) as running:
        yield running


@pytest.mark.parametrize("proportion", [0.0, 0.5])
def test_pickle_output_equals_in_process_prediction(
    proportion: float, demo_data_dir: Path, tmp_path: Path
) -> None:
    models = train_tiny(tmp_path, demo_data_dir, seeds=[0, 1], neutralize_proportion=proportion)
    stored = load_model(models / "tiny")
    live_path = demo_data_dir / "v5.3" / "live.parquet"
    live = load_dataset(live_path, features=stored.features)
    frame = pd.read_parquet(live_path)

    path = tmp_path / "model.pkl"
    path.write_bytes(portable_pickle_bytes(portable_model(stored)))
    out = pd.read_pickle(path)(frame, None)

    expected = predict_frame(stored, live.features, live.eras)
    assert list(out.index) == list(live.ids)
    np.testing.assert_array_equal(out["prediction"].to_numpy(), expected)
    assert not scan_pickle(path.read_bytes()).has_bytecode


def test_the_image_built_pickle_predicts_as_numerpilot_does(
    demo_data_dir: Path, tmp_path: Path, runtime_cache_dir: Path
) -> None:
    models = train_tiny(tmp_path, demo_data_dir, seeds=[0, 1], neutralize_proportion=0.5)
    stored = load_model(models / "tiny")
    folder = demo_data_dir / "v5.3"
    image = IMAGES["numerai_predict_py_3_11"]
    path = tmp_path / "model.pkl"

    form = build_pickle(portable_model(stored), image, path, runtime_cache=runtime_cache_dir)
    result = run_pickle(
        path,
        folder / "live.parquet",
        folder / "live_benchmark_models.parquet",
        cache_dir=runtime_cache_dir,
    )

    assert form == "cloudpickle" and scan_pickle_file(path).python == (3, 11)
    assert result.report.ok, result.report.message
    live = load_dataset(folder / "live.parquet", features=stored.features)
    assert result.predictions is not None
    np.testing.assert_allclose(
        result.predictions["prediction"].to_numpy(),
        predict_frame(stored, live.features, live.eras),
        rtol=0,
        atol=1e-12,
    )


def offline_client() -> TournamentClient:
    """Keys, but a tournament that cannot be reached: nothing listens on port 9."""
    return TournamentClient(
        api_url="http://127.0.0.1:9",
        credentials=Credentials("PUBLIC", "SECRET", source="test"),
        retries=0,
    )


def live_on_disk(project: Path, demo_data_dir: Path) -> Path:
    folder = project / "data" / "v5.3"
    folder.mkdir(parents=True)
    for name in LIVE_FILES:
        shutil.copy(demo_data_dir / "v5.3" / name, folder / name)
    return folder


def test_dry_run_builds_and_preflights_offline_on_the_live_data_on_disk(
    local: RunningSim,
    models_dir: Path,
    demo_data_dir: Path,
    tmp_path: Path,
    runtime_cache_dir: Path,
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    folder = live_on_disk(settings.project_dir, demo_data_dir)
    kept = tmp_path / "out" / "model.pkl"
    with offline_client() as client:
        result = upload_model(
            settings, client=client, dry_run=True, out=kept, runtime_cache=runtime_cache_dir
        )
    report = result.preflight
    assert report.ok and report.image == "numerai_predict_py_3_11"
    assert report.rows == len(pd.read_parquet(folder / "live.parquet"))
    assert report.wall_seconds > 0 and report.peak_rss_bytes > 0
    assert (result.image, result.data_version) == ("numerai_predict_py_3_11", "v5.3")
    assert kept.exists() and result.kept and result.size_bytes == kept.stat().st_size
    assert result.receipt is None and result.dry_run
    assert result.form == "cloudpickle" and scan_pickle_file(kept).python == (3, 11)
    assert report.scanner is not None and report.scanner.severity == "LIKELY_UNSAFE"
    assert any("offline" in n and str(folder / "live.parquet") in n for n in result.notes)


def test_the_portable_form_is_flagged_and_needs_an_explicit_override(
    local: RunningSim,
    models_dir: Path,
    demo_data_dir: Path,
    tmp_path: Path,
    runtime_cache_dir: Path,
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    live_on_disk(settings.project_dir, demo_data_dir)
    with offline_client() as client:
        with pytest.raises(CheckFailed, match=r"\(flagged_by_scanner\).*OVERTLY_MALICIOUS"):
            upload_model(
                settings,
                client=client,
                dry_run=True,
                portable=True,
                runtime_cache=runtime_cache_dir,
            )
        result = upload_model(
            settings,
            client=client,
            dry_run=True,
            portable=True,
            allow_flagged=True,
            runtime_cache=runtime_cache_dir,
        )
    assert result.form == "portable" and result.preflight.ok
    assert result.preflight.scanner is not None
    assert result.preflight.scanner.severity == "OVERTLY_MALICIOUS"
    assert any("OVERTLY_MALICIOUS (allowed)" in n for n in result.notes)


@pytest.mark.skipif(find_interpreter((3, 13)) is None, reason="no Python 3.13 on this machine")
def test_the_pickle_is_built_for_the_image_the_user_names(
    local: RunningSim,
    models_dir: Path,
    demo_data_dir: Path,
    tmp_path: Path,
    runtime_cache_dir: Path,
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    live_on_disk(settings.project_dir, demo_data_dir)
    kept = tmp_path / "model.pkl"
    with offline_client() as client:
        result = upload_model(
            settings,
            client=client,
            dry_run=True,
            out=kept,
            image="3.13",
            runtime_cache=runtime_cache_dir,
        )
    assert result.image == "numerai_predict_py_3_13" and result.preflight.ok
    assert result.preflight.python.startswith("3.13.")
    assert scan_pickle_file(kept).python == (3, 13)


def test_upload_is_confirmed_and_the_tournament_runs_it_at_the_next_round(
    local: RunningSim,
    models_dir: Path,
    tmp_path: Path,
    runtime_cache_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    caplog.set_level(logging.DEBUG)
    kept = tmp_path / "model.pkl"
    with sim_client(local) as client:
        result = upload_model(settings, client=client, out=kept, runtime_cache=runtime_cache_dir)
        mid = model_id(client, "demo_upload")
        pickles = list_pickles(client, mid)
        local.step(timedelta(days=1))  # round 1191 opens; the sim runs the pickle
        submissions = list_submissions(client, mid)
    assert result.receipt is not None and result.receipt.attempts == 1
    assert [p.pickle_id for p in pickles] == [result.receipt.upload_id]
    assert pickles[0].assigned_model_slots == ("demo_upload",)
    assert [s.round_number for s in submissions] == [1191]
    secret = local.demo.secret_key.encode()
    assert (
        secret not in kept.read_bytes() and local.demo.public_id.encode() not in kept.read_bytes()
    )
    assert local.demo.secret_key not in caplog.text


def test_no_fitting_image_is_refused_clearly(
    local: RunningSim, models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    monkeypatch.setattr(upload_module, "docker_images", lambda _c: {"numerai_predict_py_3_10": "x"})
    with (
        sim_client(local) as client,
        pytest.raises(CheckFailed, match=r"no runtime image for Python 3\.11"),
    ):
        upload_model(settings, client=client)


def test_a_failed_preflight_uploads_nothing(
    local: RunningSim, models_dir: Path, tmp_path: Path, runtime_cache_dir: Path
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    with sim_client(local) as client:
        with pytest.raises(CheckFailed, match=r"failed \(out_of_memory\)"):
            upload_model(
                settings,
                client=client,
                limits=Limits(memory_bytes=64 << 20),
                runtime_cache=runtime_cache_dir,
            )
        assert list_pickles(client, model_id(client, "demo_upload")) == []


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0), capsys.readouterr().out


def test_preflight_command_names_the_python_a_foreign_pickle_needs(
    tmp_path: Path, demo_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = demo_data_dir / "v5.3" / "live.parquet"
    foreign = Path(__file__).parents[1] / "runtime" / "data" / "cloudpickle_py313.pkl"
    args = ["--project", str(tmp_path), "preflight", str(foreign), "--live", str(live)]
    code, output = run_cli([*args, "--image", "3.11", "--json"], capsys)
    report = json.loads(output)
    assert check_document(report) == "preflight"
    assert code == ExitCode.BLOCKED
    assert report["reason"] == "foreign_bytecode"
    assert "Upload it with image numerai_predict_py_3_13" in report["message"]


def test_a_312_pickle_on_the_311_image_is_said_to_crash_when_it_runs(
    tmp_path: Path, demo_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = demo_data_dir / "v5.3" / "live.parquet"
    built = Path(__file__).parents[1] / "runtime" / "data" / "cloudpickle_py312.pkl"
    args = ["--project", str(tmp_path), "preflight", str(built), "--live", str(live)]
    code, output = run_cli([*args, "--image", "numerai_predict_py_3_11", "--json"], capsys)
    message = json.loads(output)["message"]
    assert code == ExitCode.BLOCKED
    assert "built with Python 3.12" in message
    assert "numerai_predict_py_3_11 image runs Python 3.11, which loads it and then crashes" in (
        message
    )


def test_upload_model_command_dry_run_works_offline(
    models_dir: Path,
    demo_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    runtime_cache_dir: Path,
) -> None:
    project = tmp_path / "project"
    live_on_disk(project, demo_data_dir)
    (project / "numerpilot.toml").write_text(
        f'models_dir = "{models_dir}"\n[data]\nversion = "v5.3"\n'
        '[[tournament.models]]\nname = "demo_upload"\nmode = "upload"\nmodel = "tiny"\n'
    )
    monkeypatch.setenv("NUMERAI_PUBLIC_ID", "PUBLICKEYPUBLICKEY")
    monkeypatch.setenv("NUMERAI_SECRET_KEY", "SECRETKEYSECRETKEY")
    unreachable = "http://127.0.0.1:9"  # nothing listens there
    args = ["--project", str(project), "--api-url", unreachable, "upload-model", "--dry-run"]
    code, output = run_cli([*args, "--json"], capsys)
    result = json.loads(output)
    assert check_document(result) == "upload_model"
    assert code == ExitCode.OK
    assert result["model"] == "demo_upload" and result["preflight"]["ok"] is True
    assert result["uploaded"] is False and result["pickle"] is None
    assert result["form"] == "cloudpickle"
    assert result["preflight"]["scanner"]["severity"] == "LIKELY_UNSAFE"
    assert "SECRETKEYSECRETKEY" not in output

    code, output = run_cli(args, capsys)  # the table says it stayed offline
    assert code == ExitCode.OK
    assert "offline, Numerai not contacted" in " ".join(output.split())

    code, output = run_cli([*args, "--portable", "--json"], capsys)  # flagged: the whole report
    failed = json.loads(output)
    assert code == ExitCode.BLOCKED and failed["uploaded"] is False
    assert failed["preflight"]["reason"] == "flagged_by_scanner"
    assert "eval" in failed["preflight"]["detail"]


def test_a_lost_model_upload_is_noticed_and_redone(
    tmp_path: Path, demo_data_dir: Path, models_dir: Path
) -> None:
    faults = FaultConfig(
        seed=3,
        endpoints={
            "upload": EndpointFaults(error_rate=0.3),
            "createComputePickleUpload": EndpointFaults(drop_rate=0.5),
        },
    )
    pickle_path = tmp_path / "model.pkl"
    pickle_path.write_bytes(portable_pickle_bytes(portable_model(load_model(models_dir / "tiny"))))
    with (
        run_sim(
            tmp_path / "sim" / "sim.db",
            clock=SteppedClock(DEFAULT_START),
            config=SimConfig(data=DataConfig(live_rows=200)),
            faults=faults,
            datasets_dir=demo_data_dir,
        ) as running,
        sim_client(running) as client,
    ):
        started = running.clock.now()
        receipt = upload_pickle(
            client,
            model_name="demo_upload",
            pickle_path=pickle_path,
            data_version=("v5.3", ""),
            docker_image=("numerai_predict_py_3_11", ""),
        )
        listed = list_pickles(client, model_id(client, "demo_upload"))
    assert receipt.attempts >= 2  # the seeded faults hit the first try
    assert [p.pickle_id for p in listed] == [receipt.upload_id]
    assert running.clock.now() > started


def test_a_model_upload_answered_after_the_timeout_is_not_sent_again(
    tmp_path: Path, demo_data_dir: Path, models_dir: Path
) -> None:
    faults = FaultConfig(
        endpoints={"createComputePickleUpload": EndpointFaults(slow_rate=1.0, slow_seconds=1.6)}
    )
    pickle_path = tmp_path / "model.pkl"
    pickle_path.write_bytes(portable_pickle_bytes(portable_model(load_model(models_dir / "tiny"))))
    with (
        run_sim(
            tmp_path / "sim" / "sim.db",
            clock=SteppedClock(DEFAULT_START),
            config=SimConfig(data=DataConfig(live_rows=200)),
            faults=faults,
            datasets_dir=demo_data_dir,
        ) as running,
        TournamentClient(
            api_url=running.url,
            credentials=Credentials(running.demo.public_id, running.demo.secret_key, "test"),
            clock=running.clock,
            timeout=1.0,
            retries=3,
        ) as client,
    ):
        receipt = upload_pickle(
            client,
            model_name="demo_upload",
            pickle_path=pickle_path,
            data_version=("v5.3", ""),
            docker_image=("numerai_predict_py_3_11", ""),
        )
        listed = list_pickles(client, model_id(client, "demo_upload"))
    assert [p.pickle_id for p in listed] == [receipt.upload_id]
