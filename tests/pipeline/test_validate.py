"""``validate`` end to end on the synthetic demo data set, checked against numerai-tools."""

from __future__ import annotations

import json
import shutil
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numerai_tools import scoring as nt
from typer.testing import CliRunner

from numerpilot.cli import app
from numerpilot.config import Settings, load_settings
from numerpilot.errors import DataError
from numerpilot.models import ModelManifest, write_model
from numerpilot.pipeline._validate import (
    ValidationResult,
    file_source,
    model_source,
    validate,
)
from tests.contract import check_document

VERSION = "v5.3"


def settings_for(project: Path, data_dir: Path) -> Settings:
    return load_settings(project, data={"dir": data_dir})


def version_dir(data_dir: Path) -> Path:
    return data_dir / VERSION


@pytest.fixture(scope="module")
def validation(demo_data_dir: Path) -> pd.DataFrame:
    features = json.loads((version_dir(demo_data_dir) / "features.json").read_text())
    columns = ["era", "data_type", "target", *features["feature_sets"]["medium"]]
    return pd.read_parquet(version_dir(demo_data_dir) / "validation.parquet", columns=columns)


@pytest.fixture(scope="module")
def example_result(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> ValidationResult:
    project = tmp_path_factory.mktemp("project")
    settings = settings_for(project, demo_data_dir)
    example = version_dir(demo_data_dir) / "validation_example_preds.parquet"
    return validate(settings, [file_source(example)], fnc=True)


def era_frame(validation: pd.DataFrame, era: str, file: Path, column: str) -> pd.DataFrame:
    rows = validation[validation["era"] == era].copy()
    # The file stores float32 targets, and numerai-tools would centre and power them in
    # float32 (3e-9 off); numerpilot scores in float64, so the reference gets float64 too.
    rows["target"] = rows["target"].astype(np.float64)
    rows[column] = pd.read_parquet(file)[column].reindex(rows.index)
    return rows.sort_index()


def test_scores_match_numerai_tools(
    example_result: ValidationResult, validation: pd.DataFrame, demo_data_dir: Path
) -> None:
    vdir = version_dir(demo_data_dir)
    (col,) = example_result.columns
    scored_eras = sorted(validation.loc[validation["data_type"] != "test", "era"].unique())
    assert col.eras == scored_eras
    features = [c for c in validation.columns if c.startswith("feature_")]
    for era in (scored_eras[0], scored_eras[17], scored_eras[-1]):
        df = era_frame(validation, era, vdir / "validation_example_preds.parquet", "prediction")
        df["bench"] = pd.read_parquet(vdir / "validation_benchmark_models.parquet")[
            "v53_lgbm_ender20"
        ].reindex(df.index)
        df["meta"] = pd.read_parquet(vdir / "meta_model.parquet")["numerai_meta_model"].reindex(
            df.index
        )
        i = col.eras.index(era)
        preds = df[["prediction"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            corr = nt.numerai_corr(preds, df["target"]).iloc[0]
            bmc = nt.correlation_contribution(preds, df["bench"], df["target"]).iloc[0]
            mmc = nt.correlation_contribution(preds, df["meta"], df["target"]).iloc[0]
            _, fe = nt.max_feature_correlation(df["prediction"], df[features])
            fnc = nt.feature_neutral_corr(preds, df[features], df["target"]).iloc[0]
        assert col.corr[i] == pytest.approx(corr, abs=1e-9)
        assert col.bmc is not None and col.bmc[i] == pytest.approx(bmc, abs=1e-9)
        assert col.mmc is not None and col.mmc[i] == pytest.approx(mmc, abs=1e-9)
        assert col.max_exposure[i] == pytest.approx(fe, abs=1e-9)
        assert col.fnc is not None and col.fnc[i] == pytest.approx(fnc, abs=1e-9)
    # The example predictions compared with themselves.
    assert col.corr_with_example == pytest.approx(1.0)
    assert set(col.corr_with_benchmarks) == {"v53_lgbm_ender20"}


def test_test_eras_are_counted_not_scored(
    example_result: ValidationResult, validation: pd.DataFrame
) -> None:
    test = validation["data_type"] == "test"
    assert example_result.test_rows_excluded == int(test.sum()) > 0
    assert example_result.test_eras_excluded == validation.loc[test, "era"].nunique()
    assert example_result.rows_scored == int((~test).sum())
    assert example_result.eras_scored == validation.loc[~test, "era"].nunique()
    assert example_result.benchmark == "v53_lgbm_ender20"
    assert example_result.version == VERSION
    assert example_result.n_features == 40


def test_json_has_what_scripts_read(example_result: ValidationResult) -> None:
    doc = json.loads(json.dumps(example_result.as_dict(), allow_nan=True))
    (col,) = doc["columns"]
    for key in (
        "corr_mean",
        "corr_std",
        "corr_sharpe",
        "max_drawdown",
        "positive_eras",
        "bmc_mean",
        "mmc_mean",
        "fnc_mean",
        "max_feature_exposure_mean",
        "corr_with_example",
        "corr_with_benchmarks",
        "payout",
    ):
        assert key in col, key
    c = example_result.columns[0]
    assert col["per_era"] == {e: pytest.approx(v) for e, v in zip(c.eras, c.corr, strict=True)}
    assert col["corr_mean"] == pytest.approx(np.mean(c.corr))
    assert col["corr_std"] == pytest.approx(np.std(c.corr))
    assert 0 < col["positive_eras"] <= 1
    assert doc["test_rows_excluded"] == example_result.test_rows_excluded


def test_report_is_written_self_contained(example_result: ValidationResult) -> None:
    path = example_result.report_path
    assert path is not None and path.name == "validate-validation_example_preds.html"
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "src=" not in html
    assert html.count("<script>") == 1  # the shared inline script: hover tips and toggles
    assert "Cumulative MMC" in html and "FNC mean" in html and "TB200 mean" in html
    assert "test era(s)" in html


def test_several_sources_side_by_side(demo_data_dir: Path, tmp_path: Path) -> None:
    vdir = version_dir(demo_data_dir)
    example = pd.read_parquet(vdir / "validation_example_preds.parquet")
    two = pd.DataFrame(
        {"a": example["prediction"], "b": 1 - example["prediction"]}, index=example.index
    )
    csv = tmp_path / "mine.csv"
    two.to_csv(csv, index_label="id")
    settings = settings_for(tmp_path, demo_data_dir)
    result = validate(
        settings,
        [file_source(vdir / "validation_example_preds.parquet"), file_source(csv)],
    )
    names = [c.name for c in result.columns]
    assert names == ["validation_example_preds/prediction", "mine/a", "mine/b"]
    np.testing.assert_allclose(result.columns[1].corr, result.columns[0].corr, atol=1e-12)
    np.testing.assert_allclose(result.columns[2].corr, -result.columns[0].corr, atol=1e-12)
    assert result.report_path is not None
    html = result.report_path.read_text(encoding="utf-8")
    assert result.report_path.name == "validate-validation_example_preds+mine.html"
    assert "mine/<wbr>b" in html


def test_predictions_for_some_eras_score_those(demo_data_dir: Path, tmp_path: Path) -> None:
    vdir = version_dir(demo_data_dir)
    validation = pd.read_parquet(vdir / "validation.parquet", columns=["era"])
    first = sorted(validation["era"].unique())[:5]
    example = pd.read_parquet(vdir / "validation_example_preds.parquet")
    subset = example.loc[validation.index[validation["era"].isin(first)]]
    path = tmp_path / "five.parquet"
    subset.to_parquet(path)
    result = validate(
        settings_for(tmp_path, demo_data_dir), [file_source(path)], write_report=False
    )
    assert result.columns[0].eras == first
    assert result.report_path is None


def test_a_stored_model(demo_data_dir: Path, tmp_path: Path) -> None:
    vdir = version_dir(demo_data_dir)
    example = pd.read_parquet(vdir / "validation_example_preds.parquet")
    preds = pd.DataFrame(
        {"target": example["prediction"], "ensemble": example["prediction"] ** 2},
        index=example.index,
    )
    manifest = ModelManifest(
        name="m1",
        created=datetime(2026, 3, 1, tzinfo=UTC),
        numerpilot_version="0",
        data_version=VERSION,
        data_files={},
        feature_set="small",
        feature_groups=[],
        features=[],
        targets=["target"],
        weights={"target": 1.0},
        seeds=[0],
        params={},
        era_step=4,
        holdout_eras=0,
        embargo_eras=4,
        train_rows=0,
        train_eras=0,
        neutralize_proportion=0.0,
        boosters=[],
        validation={},
    )
    settings = settings_for(tmp_path, demo_data_dir)
    write_model(settings.models_path, manifest, {}, preds)
    source = model_source(settings, None)  # the newest stored model
    assert source.name == "m1" and source.data_version == VERSION
    result = validate(settings, [source], write_report=False)
    assert [c.name for c in result.columns] == ["target", "ensemble"]
    # Squaring keeps the order of values in [0, 1]: CORR is the same.
    np.testing.assert_allclose(result.columns[0].corr, result.columns[1].corr, atol=1e-12)
    with pytest.raises(DataError, match="no stored model named 'nope'"):
        model_source(settings, "nope")


def test_rows_missing_from_a_covered_era(demo_data_dir: Path, tmp_path: Path) -> None:
    vdir = version_dir(demo_data_dir)
    example = pd.read_parquet(vdir / "validation_example_preds.parquet")
    path = tmp_path / "holes.parquet"
    example.iloc[3:].to_parquet(path)
    with pytest.raises(DataError, match="lacks predictions for 3 validation row") as e:
        validate(settings_for(tmp_path, demo_data_dir), [file_source(path)], write_report=False)
    assert str(path) in str(e.value)


def test_nan_predictions_name_file_and_column(demo_data_dir: Path, tmp_path: Path) -> None:
    vdir = version_dir(demo_data_dir)
    example = pd.read_parquet(vdir / "validation_example_preds.parquet")
    example.iloc[5, 0] = np.nan
    path = tmp_path / "nan.parquet"
    example.to_parquet(path)
    with pytest.raises(DataError, match="column 'prediction' has 1 NaN prediction") as e:
        validate(settings_for(tmp_path, demo_data_dir), [file_source(path)], write_report=False)
    assert str(path) in str(e.value)


def test_live_predictions_are_refused(demo_data_dir: Path, tmp_path: Path) -> None:
    live = version_dir(demo_data_dir) / "live_example_preds.parquet"
    with pytest.raises(DataError, match=r"none of the .* ids .* is a validation id"):
        validate(settings_for(tmp_path, demo_data_dir), [file_source(live)], write_report=False)


def test_missing_inputs(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, tmp_path / "empty")
    with pytest.raises(DataError, match="does not exist"):
        file_source(tmp_path / "nope.parquet")
    some = tmp_path / "p.csv"
    some.write_text("id,prediction\nn1,0.5\n")
    with pytest.raises(DataError, match=r"no validation\.parquet under"):
        validate(settings, [file_source(some)])
    with pytest.raises(DataError, match="nothing to validate"):
        validate(settings, [])


def test_cli_json_and_table(demo_data_dir: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(version_dir(demo_data_dir), project / "data" / VERSION)
    example = project / "data" / VERSION / "validation_example_preds.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["-C", str(project), "validate", "-p", str(example), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert check_document(doc) == "validate"
    assert doc["columns"][0]["name"] == "prediction"
    assert doc["report"].endswith("validate-validation_example_preds.html")
    assert len(doc["columns"][0]["per_era"]) == doc["eras_scored"]

    table = runner.invoke(app, ["-C", str(project), "validate", "-p", str(example), "--no-report"])
    assert table.exit_code == 0, table.output
    assert "CORR mean" in table.stdout and "max drawdown" in table.stdout
