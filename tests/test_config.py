"""The typed configuration: file, environment, overrides, checks, and the starter file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from numerpilot.config import CONFIG_FILE, Settings, load_settings
from numerpilot.config_file import starter_toml
from numerpilot.errors import ConfigError


def write_config(project: Path, text: str) -> Path:
    path = project / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path):
    settings = load_settings(tmp_path)
    assert settings.project_dir == tmp_path.resolve()
    assert settings.train.feature_set == "medium" and settings.train.era_step == 4
    assert settings.data.version is None and settings.data.memory_budget_fraction == 0.7
    assert settings.data_dir == tmp_path.resolve() / "data"
    assert settings.tournament.api_url is None


def test_file_values_are_read_and_paths_resolved(tmp_path: Path):
    write_config(
        tmp_path,
        '[data]\ndir = "datasets"\nversion = "v5.2"\n\n[train]\nfeature_set = "small"\n'
        'targets = ["target", "target_ender_20"]\n',
    )
    settings = load_settings(tmp_path)
    assert settings.data.version == "v5.2"
    assert settings.train.targets == ["target", "target_ender_20"]
    assert settings.data_dir == tmp_path.resolve() / "datasets"
    assert settings.path(Path("/abs/x")) == Path("/abs/x")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_config(tmp_path, '[train]\nfeature_set = "small"\nera_step = 2\n')
    monkeypatch.setenv("NUMERPILOT_TRAIN__FEATURE_SET", "all")
    monkeypatch.setenv("NUMERPILOT_TOURNAMENT__API_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("NUMERPILOT_TRAIN__TARGETS", '["target", "target_x_20"]')
    settings = load_settings(tmp_path)
    assert settings.train.feature_set == "all"
    assert settings.train.era_step == 2  # not in the environment: the file's value
    assert settings.tournament.api_url == "http://127.0.0.1:8000"
    assert settings.train.targets == ["target", "target_x_20"]


def test_keyword_overrides_win_and_are_validated(tmp_path: Path):
    settings = load_settings(tmp_path, tournament={"api_url": "http://127.0.0.1:9"})
    assert settings.tournament.api_url == "http://127.0.0.1:9"
    with pytest.raises(ConfigError, match=r"setting 'api_url'.*http\(s\) URL"):
        load_settings(tmp_path, tournament={"api_url": "ftp://x"})


@pytest.mark.parametrize(
    ("text", "setting", "detail"),
    [
        ('[data]\nversion = "5.3"', "data.version", "expected a version like 'v5.3'"),
        ("[data]\nmemory_budget_fraction = 1.5", "data.memory_budget_fraction", "less than"),
        ('[train]\nfeture_set = "small"', "train.feture_set", "Extra inputs"),
        ("[train]\nera_step = 0", "train.era_step", "greater than or equal to 1"),
        ('[tournament]\napi_url = "localhost:8000"', "tournament.api_url", "http(s) URL"),
        # cross-field checks name their section and say which fields disagree
        ("[train]\ntarget_weights = [1.0, 2.0]", "train", "target_weights has 2 entries for 3"),
        (
            "[stake]\nmax_increase_per_round = 5.0\nbudget = 1.0",
            "stake",
            "max_increase_per_round cannot exceed budget",
        ),
    ],
)
def test_bad_settings_are_one_line_naming_the_setting(
    tmp_path: Path, text: str, setting: str, detail: str
):
    path = write_config(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    message = str(info.value)
    assert f"setting '{setting}'" in message and detail in message
    assert message.startswith(str(path)) and "\n" not in message


def test_bad_environment_value_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_config(tmp_path, "[train]\nholdout_eras = 4\n")  # a file exists, and is not to blame
    monkeypatch.setenv("NUMERPILOT_TRAIN__ERA_STEP", "0")
    with pytest.raises(ConfigError, match=r"setting 'train.era_step'") as info:
        load_settings(tmp_path)
    assert str(info.value).startswith("environment variable NUMERPILOT_TRAIN__ERA_STEP: ")
    assert "numerpilot.toml" not in str(info.value)


def test_a_bad_cross_field_value_from_the_environment_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NUMERPILOT_STAKE__MAX_INCREASE_PER_ROUND", "50")
    with pytest.raises(ConfigError, match="NUMERPILOT_STAKE__MAX_INCREASE_PER_ROUND") as info:
        load_settings(tmp_path)
    assert "cannot exceed budget" in str(info.value)


def test_several_errors_are_counted_in_one_line(tmp_path: Path):
    write_config(tmp_path, "[train]\nera_step = 0\nholdout_eras = -1\n")
    with pytest.raises(ConfigError, match=r"\(and 1 more\)") as info:
        load_settings(tmp_path)
    assert "\n" not in str(info.value)


def test_invalid_toml_names_the_file(tmp_path: Path):
    path = write_config(tmp_path, "x = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_settings(tmp_path)
    assert str(path) in str(info.value)


def test_starter_toml_is_valid_commented_and_equal_to_the_defaults(tmp_path: Path):
    text = starter_toml()
    parsed = tomllib.loads(text)
    settings = Settings(**parsed, project_dir=tmp_path)
    assert settings.model_dump(exclude={"project_dir"}) == Settings(
        project_dir=tmp_path
    ).model_dump(exclude={"project_dir"})
    # every field's description is in the file as a comment
    for section in ("data", "train", "tournament", "stake", "agent"):
        model = type(getattr(settings, section))
        for field in model.model_fields.values():
            if field.description:
                assert f"# {field.description}" in text
    assert "[train.params]" in text and "NUMERPILOT_<SECTION>__<FIELD>" in text
    # the file loads back through the normal path
    write_config(tmp_path, text)
    assert load_settings(tmp_path).train.era_step == 4
