"""The one typed configuration: ``numerpilot.toml`` plus environment variables.

Environment variables override the file: ``NUMERPILOT_<SECTION>__<FIELD>``, for instance
``NUMERPILOT_TRAIN__FEATURE_SET=small`` or ``NUMERPILOT_TOURNAMENT__API_URL=http://127.0.0.1:8000``.
Every field has a description (``numerpilot init`` writes them into the starter file, see
``config_file.py``) and a default that works.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from numerpilot.errors import ConfigError

CONFIG_FILE = "numerpilot.toml"
FEATURE_SET_NAMES = ("small", "medium", "all")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataSettings(_Section):
    dir: Path = Field(
        Path("data"),
        description="Where dataset files live, as data/VERSION/FILE (relative to the project).",
    )
    version: str | None = Field(
        None,
        description="Dataset version such as 'v5.3'. Unset: the newest the tournament lists.",
    )
    files: list[str] = Field(
        default_factory=lambda: [
            "features.json",
            "train.parquet",
            "validation.parquet",
            "live.parquet",
            "live_benchmark_models.parquet",
            "validation_benchmark_models.parquet",
            "meta_model.parquet",
            "validation_example_preds.parquet",
            "live_example_preds.parquet",
        ],
        description="Files of a version that 'numerpilot data download' fetches.",
    )
    memory_budget_fraction: float = Field(
        0.7,
        gt=0,
        le=1,
        description="Share of available RAM one load may use; larger requests are refused.",
    )

    @field_validator("version")
    @classmethod
    def _version_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"v\d+\.\d+", v):
            raise ValueError(f"expected a version like 'v5.3', got {v!r}")
        return v


class LightGBMParams(_Section):
    """Defaults follow Numerai's published example model, a strong and well-known start."""

    learning_rate: float = Field(0.01, gt=0, description="Shrinkage per tree.")
    n_estimators: int = Field(2000, ge=1, description="Maximum number of trees per target.")
    max_depth: int = Field(5, description="Maximum tree depth (-1: no limit).")
    num_leaves: int = Field(31, ge=2, description="Maximum leaves per tree.")
    colsample_bytree: float = Field(0.1, gt=0, le=1, description="Share of features per tree.")
    min_child_samples: int = Field(
        1000, ge=1, description="Minimum rows per leaf; large values resist noise."
    )
    bagging_fraction: float = Field(1.0, gt=0, le=1, description="Share of rows per tree.")
    early_stopping_rounds: int = Field(
        200,
        ge=0,
        description="Stop a target when the holdout has not improved for this many trees (0: off).",
    )
    num_threads: int = Field(0, ge=0, description="LightGBM threads (0: all cores).")


class TrainSettings(_Section):
    feature_set: str = Field(
        "medium",
        description="Feature set from features.json: 'small', 'medium', 'all' or a group name.",
    )
    feature_groups: list[str] = Field(
        default_factory=list,
        description="If set, the union of these feature groups replaces feature_set.",
    )
    targets: list[str] = Field(
        default_factory=lambda: ["target", "target_cyrusd_20", "target_teager2b_20"],
        min_length=1,
        description="Targets to train one model each on; the first is the main target.",
    )
    target_weights: list[float] | None = Field(
        None, description="Ensemble weight per target (default: equal)."
    )
    era_step: int = Field(4, ge=1, description="Train on every Nth era (Numerai's example uses 4).")
    holdout_eras: int = Field(
        52, ge=0, description="Last eras of train held out for early stopping (0: none)."
    )
    embargo_eras: int | None = Field(
        None,
        ge=0,
        description="Eras dropped between training and holdout; unset: from the target horizon "
        "(4 for 20-day targets, 12 for 60-day).",
    )
    cv_folds: int = Field(
        0, ge=0, description="Walk-forward folds for out-of-fold per-era scores (0: off)."
    )
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1, description="Seeds.")
    neutralize_proportion: float = Field(
        0.0, ge=0, le=1, description="Feature neutralisation of the ensemble at predict time."
    )
    benchmark_input: str | None = Field(
        None,
        description="A benchmark model (a column of train_benchmark_models.parquet, e.g. "
        "'v53_lgbm_ender20') fed in as one more input; predictions then join the live "
        "benchmark file (the hosted pickle takes the frame Numerai passes it).",
    )
    params: LightGBMParams = Field(default_factory=LightGBMParams)

    @model_validator(mode="after")
    def _weights_match(self) -> TrainSettings:
        if self.target_weights is not None and len(self.target_weights) != len(self.targets):
            raise ValueError(
                f"target_weights has {len(self.target_weights)} entries for "
                f"{len(self.targets)} targets"
            )
        return self


class ModelEntry(_Section):
    name: str = Field(description="The model's name on the tournament.")
    mode: Literal["csv", "upload"] = Field(
        "csv",
        description="'csv': numerpilot predicts and submits; 'upload': Numerai runs a pickle.",
    )
    model: str | None = Field(None, description="Stored model to use (default: the promoted one).")
    runtime_image: str | None = Field(
        None,
        pattern=r"^(numerai_predict_py_3_\d+|3\.\d+)$",
        description="'upload' mode: the Numerai runtime image the pickle is built for and "
        "uploaded with, by name or by its Python ('3.12'); default: Numerai's default image.",
    )


class TournamentSettings(_Section):
    api_url: str | None = Field(
        None,
        description="GraphQL endpoint. Unset: Numerai's. 'numerpilot sim serve' prints a "
        "local one.",
    )
    models: list[ModelEntry] = Field(
        default_factory=list, description="Tournament models numerpilot takes part with."
    )
    request_timeout_seconds: float = Field(
        60.0, gt=0, description="Timeout of one API request or upload."
    )
    retries: int = Field(4, ge=0, description="Retries of a transient failure, with backoff.")

    @field_validator("api_url")
    @classmethod
    def _url_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"https?://", v):
            raise ValueError(f"expected an http(s) URL, got {v!r}")
        return v


class SubmitSettings(_Section):
    min_corr_with_previous: float = Field(
        0.3,
        ge=-1,
        le=1,
        description="Refuse predictions whose rank corr with the model's last submission is lower.",
    )
    min_corr_with_benchmark: float = Field(
        0.0, ge=-1, le=1, description="Refuse predictions whose corr with the benchmark is lower."
    )
    max_feature_exposure: float = Field(
        0.5, gt=0, le=1, description="Refuse predictions whose max feature exposure is higher."
    )
    margin_minutes: float = Field(
        15.0, ge=0, description="Submit at least this long before the round closes."
    )


class StakeSettings(_Section):
    enabled: bool = Field(
        False, description="Change stakes for real. Off: only record what would be done."
    )
    min_resolved_rounds: int = Field(
        8, ge=1, description="Resolved rounds a model needs (with a positive mean) before a stake."
    )
    max_increase_per_round: float = Field(
        1.0,
        ge=0,
        description="Largest stake increase of one model in one round, in NMR (per model, "
        "not per account; a pending increase counts against it).",
    )
    budget: float = Field(
        10.0,
        ge=0,
        description="Cap on the NMR at stake now, all configured models together (payouts "
        "included, plus the changes already decided this round): not a sum of the increases "
        "ever made. No increase goes past it; a stake grown past it by payouts is held, "
        "not cut.",
    )
    drawdown_cut: float = Field(
        0.05,
        gt=0,
        description="When cumulative score falls this far below its peak, reduce the stake.",
    )
    cut_fraction: float = Field(
        0.5, gt=0, le=1, description="Share of the stake released on a drawdown cut."
    )

    @model_validator(mode="after")
    def _within_budget(self) -> StakeSettings:
        if self.max_increase_per_round > self.budget:
            raise ValueError("max_increase_per_round cannot exceed budget")
        return self


class AgentSettings(_Section):
    ledger: Path = Field(Path("numerpilot.db"), description="SQLite ledger of everything done.")
    heartbeat_minutes: float = Field(30.0, gt=0, description="Log a heartbeat this often.")
    retrain_every_days: float = Field(
        28.0, gt=0, description="Retrain this often (and when a new data version appears)."
    )
    promote_margin: float = Field(
        0.002,
        ge=0,
        description="A retrained model replaces the current one if its validation corr mean "
        "is at least this much higher.",
    )
    research_every_days: float | None = Field(
        None,
        gt=0,
        description="Run the experiment named in [research] this often and promote its winner "
        "if it beats the current model on the holdout by promote_margin (unset: never).",
    )
    notify_webhook: str | None = Field(None, description="POST notifications to this URL.")
    notify_log: Path | None = Field(
        Path("notifications.log"), description="Append notifications to this file."
    )
    notify_heartbeats: bool = Field(
        False, description="Also send heartbeats as notifications (they are always logged)."
    )

    @field_validator("notify_webhook")
    @classmethod
    def _webhook_shape(cls, v: str | None) -> str | None:
        # Not echoed back: a webhook URL often carries its token.
        if v is not None and not re.match(r"https?://[^/\s]+", v):
            raise ValueError("expected an http(s) URL")
        return v


class ResearchSettings(_Section):
    experiment: str | None = Field(
        None, description="The experiment (experiments/NAME.toml) the autopilot runs."
    )
    scheduler: str | None = Field(
        None,
        description="tcp://HOST:PORT of an existing Dask cluster for experiments (unset: a "
        "local cluster sized from the cores and the memory budget).",
    )

    @field_validator("scheduler")
    @classmethod
    def _scheduler_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"(tcp|tls|inproc)://\S+", v):
            raise ValueError(f"expected an address like 'tcp://HOST:PORT', got {v!r}")
        return v


class Settings(BaseSettings):
    """Everything numerpilot can be told. Sections mirror the layers that use them."""

    model_config = SettingsConfigDict(
        env_prefix="NUMERPILOT_", env_nested_delimiter="__", extra="forbid"
    )

    project_dir: Path = Field(Path("."), description="The project folder (set by the CLI).")
    models_dir: Path = Field(Path("models"), description="Where trained models are stored.")
    reports_dir: Path = Field(Path("reports"), description="Where HTML reports are written.")
    data: DataSettings = Field(default_factory=DataSettings)
    train: TrainSettings = Field(default_factory=TrainSettings)
    tournament: TournamentSettings = Field(default_factory=TournamentSettings)
    submit: SubmitSettings = Field(default_factory=SubmitSettings)
    stake: StakeSettings = Field(default_factory=StakeSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    research: ResearchSettings = Field(default_factory=ResearchSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file (passed as init values).
        return (env_settings, init_settings)

    def path(self, p: Path) -> Path:
        """``p`` resolved against the project folder."""
        return p if p.is_absolute() else self.project_dir / p

    @property
    def data_dir(self) -> Path:
        return self.path(self.data.dir)

    @property
    def models_path(self) -> Path:
        return self.path(self.models_dir)

    @property
    def reports_path(self) -> Path:
        return self.path(self.reports_dir)

    @property
    def ledger_path(self) -> Path:
        return self.path(self.agent.ledger)


def _env_source(loc: tuple[int | str, ...]) -> str | None:
    """The environment variable behind an invalid setting (``NUMERPILOT_DATA__VERSION``), if
    one is set: then the value came from there, not from the file (the environment wins)."""
    name = "NUMERPILOT_" + "__".join(str(p) for p in loc).upper()
    exact = [key for key in os.environ if key.upper() == name]
    if exact:
        return exact[0]
    # A cross-field check of a section fails at the section: name what of it the env sets.
    inside = sorted(key for key in os.environ if key.upper().startswith(name + "__"))
    return ", ".join(inside) if loc and inside else None


def _describe(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    loc = tuple(first["loc"])
    where = ".".join(str(p) for p in loc) or "(top level)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    env = _env_source(loc)
    if env is not None:
        source = f"environment variable {env}"
    return f"{source}: setting '{where}': {first['msg']}{more}"


def load_settings(project_dir: Path | None = None, **overrides: Any) -> Settings:
    """Read ``numerpilot.toml`` of ``project_dir`` (if present), apply the environment, then
    ``overrides`` (dotted-free keyword sections, e.g. ``tournament={"api_url": ...}``)."""
    root = (project_dir or Path.cwd()).resolve()
    file = root / CONFIG_FILE
    values: dict[str, Any] = {}
    if file.exists():
        try:
            values = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{file}: not valid TOML: {e}") from e
    values["project_dir"] = root
    try:
        settings = Settings(**values)
        for section, changes in overrides.items():
            target = getattr(settings, section)
            for key, value in changes.items():
                setattr(target, key, value)
    except ValidationError as e:
        raise ConfigError(_describe(e, str(file) if file.exists() else "settings")) from None
    return settings


__all__ = [
    "CONFIG_FILE",
    "AgentSettings",
    "DataSettings",
    "LightGBMParams",
    "ModelEntry",
    "ResearchSettings",
    "Settings",
    "StakeSettings",
    "SubmitSettings",
    "TournamentSettings",
    "TrainSettings",
    "load_settings",
]
