"""The JSON contract: one pydantic model per ``--json`` document, by its ``kind``.

The published JSON Schema files beside this module are generated from these models
(``python -m numerpilot.schemas``); a test keeps them in step and validates every command's
output against them. Documents may gain keys within a ``schema_version`` (additional
properties are allowed); renaming or removing a key, or changing a type, bumps the version.
Amounts of NMR are decimal strings, scores are numbers, lists are wrapped in an object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# An NMR amount: a decimal string, never a float ("1.5", "-0.25", "0E-8").
Amount = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")]
Score = float | None  # a score; null when there is none (NaN is printed as null)


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class Document(_Part):
    kind: str = Field(description="What the document is; one schema per kind.")
    schema_version: Literal[1] = Field(description="The contract's version.")


# -- errors ------------------------------------------------------------------------------------


class ErrorBody(_Part):
    code: str = Field(description="Stable name of the exit code: 'data', 'round_closed', ...")
    exit_code: int
    message: str
    hint: str = Field(description="What to do about it.")
    reason: str | None = Field(None, description="For rejected predictions: the check's code.")


class ErrorDocument(Document):
    kind: Literal["error"]
    error: ErrorBody


# -- project -----------------------------------------------------------------------------------


class Check(_Part):
    name: str
    status: Literal["ok", "warn", "fail", "skip"]
    detail: str


class DoctorDocument(Document):
    kind: Literal["doctor"]
    ok: bool = Field(description="No check failed: nothing blocks running.")
    checks: list[Check]


# -- data --------------------------------------------------------------------------------------


class DownloadedFile(_Part):
    name: str
    status: str
    size: int | None
    sha256: str | None


class DataDownloadDocument(Document):
    kind: Literal["data_download"]
    version: str
    directory: str
    files: list[DownloadedFile]


class SynthFile(_Part):
    name: str
    rows: int
    eras: int
    bytes: int


class DataSynthDocument(Document):
    kind: Literal["data_synth"]
    version: str
    scale: str
    seed: int
    root: str
    oracle_corr_mean: Score
    oracle_corr_std: Score
    seconds: float
    files: list[SynthFile]


# -- models ------------------------------------------------------------------------------------


class ModelSummary(_Part):
    name: str
    created: datetime
    version: str
    features: int
    targets: list[str]
    validation_corr_mean: Score
    validation_corr_sharpe: Score


class StoredModel(ModelSummary):
    submitted_by: list[str] = Field(description="Tournament models that submit this one.")


class TournamentModel(_Part):
    name: str
    mode: Literal["csv", "upload"]
    stored_model: str | None = Field(description="The stored model it submits (null: none).")
    wanted_model: str | None
    why: str


class ModelsDocument(Document):
    kind: Literal["models"]
    models: list[StoredModel]
    tournament_models: list[TournamentModel]


class TrainDocument(Document, ModelSummary):
    kind: Literal["train"]
    path: str
    reused_boosters: int
    seconds: float
    validation: dict[str, dict[str, Any]]
    holdout: dict[str, dict[str, Any]]
    cv: dict[str, Any] | None


class PredictDocument(Document):
    kind: Literal["predict"]
    model: str
    version: str
    path: str
    rows: int


class ColumnScores(_Part):
    name: str
    source: str
    eras: int
    corr_mean: Score
    corr_sharpe: Score
    max_drawdown: Score
    mmc_mean: Score
    bmc_mean: Score
    payout: dict[str, Any]
    per_era: dict[str, Score]


class ValidateDocument(Document):
    kind: Literal["validate"]
    sources: list[str]
    version: str
    feature_set: str
    features: int
    benchmark: str | None
    rows_scored: int
    eras_scored: int
    payout_params: dict[str, float]
    report: str | None
    columns: list[ColumnScores]


# -- submissions -------------------------------------------------------------------------------


class SubmissionCheck(_Part):
    name: str
    status: str
    value: Score
    bound: Score
    detail: str


class SubmitDocument(Document):
    kind: Literal["submit"]
    model: str
    stored_model: str | None
    round: int
    csv: str
    rows: int
    dry_run: bool
    uploaded: bool
    checks: list[SubmissionCheck]


class Preflight(_Part):
    ok: bool
    pickle: str
    image: str
    reason: str
    message: str
    wall_seconds: float
    peak_rss_bytes: int
    rows: int


class PreflightDocument(Document, Preflight):
    kind: Literal["preflight"]


class UploadModelDocument(Document):
    kind: Literal["upload_model"]
    model: str
    stored_model: str | None
    size_bytes: int
    sha256: str
    image: str
    data_version: str
    dry_run: bool
    uploaded: bool
    upload_id: str | None
    preflight: Preflight


# -- the autopilot -----------------------------------------------------------------------------


class Stake(_Part):
    at: datetime
    model: str
    action: str
    amount: Amount
    stake_after: Amount
    reason: str
    dry_run: bool
    error: str | None


class ModelStatus(_Part):
    model: str
    confirmed: int
    missed: int
    failed: int
    pending: int
    resolved_rounds: int
    mean_corr: Score
    mean_mmc: Score
    total_payout: Amount
    last_stake: Stake | None


class Cell(_Part):
    submission: Literal["confirmed", "pending", "failed", "rejected", "missed", "none"]
    corr: Score
    mmc: Score
    payout: Amount | None


class RoundStatus(_Part):
    number: int
    open_time: datetime
    close_time: datetime
    state: str
    models: dict[str, Cell]


class StatusReport(_Part):
    generated_at: datetime
    empty: bool
    records: int
    models: list[ModelStatus]
    rounds: list[RoundStatus]
    stakes: list[Stake]


class StatusDocument(Document, StatusReport):
    kind: Literal["status"]
    dashboard: str
    ledger: str
    ledger_found: bool


class RunPassDocument(Document):
    kind: Literal["run_pass"]
    at: datetime
    round: int | None
    round_open: bool | None
    outcomes: dict[str, str]
    next_pass: datetime | None
    errors: list[str]
    notes: list[str]
    exit_code: int


class DemoDocument(Document):
    kind: Literal["demo"]
    project: str
    model: str
    validation_corr: Score
    rounds: int
    confirmed_submissions: int
    simulated_days: float
    seconds: float
    dashboard: str
    ledger: str
    status: StatusReport


class SimClock(_Part):
    now: datetime
    speed: float


class SimServeDocument(Document):
    kind: Literal["sim_serve"]
    url: str
    public_id: str
    secret_key: str = Field(description="The local tournament's demo key (not a real secret).")
    models: list[str]
    state: str
    clock: SimClock
    open_round: int | None
    open_round_closes: datetime | None
    next_round_opens: datetime


# -- experiments -------------------------------------------------------------------------------


class ExperimentNewDocument(Document):
    kind: Literal["experiment_new"]
    name: str
    path: str


class ExperimentRow(_Part):
    name: str
    status: str = Field(description="'running', 'finished' or 'promoted'.")
    trials_done: int
    trials_failed: int
    pending: int
    winner: str | None = Field(description="Config hash of the winner (null: none yet).")
    promoted_model: str | None
    started_at: datetime


class ExperimentStatusDocument(Document):
    kind: Literal["experiment_status"]
    experiments: list[ExperimentRow]


class TrialScores(_Part):
    corr_mean: Score
    corr_sharpe: Score
    max_drawdown: Score
    bmc_mean: Score
    mmc_mean: Score
    payout_mean: Score
    eras: int


class Scout(_Part):
    number: int
    status: str
    config_hash: str
    describe: str
    objective: Score
    wall_seconds: float
    peak_memory_bytes: int
    error: str | None


class Finalist(_Part):
    config_hash: str
    config: dict[str, Any]
    describe: str
    cv: TrialScores | None
    holdout: TrialScores | None
    cv_to_holdout_corr_drop: Score


class ExperimentSummary(_Part):
    name: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    promoted_model: str | None
    scouts: list[Scout]
    finalists: list[Finalist]
    baseline: Finalist | None
    winner: str | None = Field(description="Config hash of the winner (null: none).")
    failed: int
    trial_seconds: float
    peak_memory_bytes: int


class ExperimentShowDocument(Document, ExperimentSummary):
    kind: Literal["experiment_show"]
    report: str


class ExperimentRunDocument(Document, ExperimentSummary):
    kind: Literal["experiment_run"]
    report: str
    ran: int
    reused: int
    seconds: float
    workers: int
    lightgbm_threads: int
    dashboard: str | None


class ExperimentPromoteDocument(Document):
    kind: Literal["experiment_promote"]
    experiment: str
    promoted: bool
    model: str | None = Field(description="The stored model now submitted (null: kept).")
    reason: str
    winner_holdout_corr: Score
    current_model: str | None
    current_holdout_corr: Score


DOCUMENTS: dict[str, type[Document]] = {
    "error": ErrorDocument,
    "doctor": DoctorDocument,
    "data_download": DataDownloadDocument,
    "data_synth": DataSynthDocument,
    "models": ModelsDocument,
    "train": TrainDocument,
    "predict": PredictDocument,
    "validate": ValidateDocument,
    "submit": SubmitDocument,
    "preflight": PreflightDocument,
    "upload_model": UploadModelDocument,
    "status": StatusDocument,
    "run_pass": RunPassDocument,
    "demo": DemoDocument,
    "sim_serve": SimServeDocument,
    "experiment_new": ExperimentNewDocument,
    "experiment_run": ExperimentRunDocument,
    "experiment_status": ExperimentStatusDocument,
    "experiment_show": ExperimentShowDocument,
    "experiment_promote": ExperimentPromoteDocument,
}

__all__ = ["DOCUMENTS", "Amount", "Document"]
