"""``numerpilot submit`` in two stages: prepare, then upload.

``prepare_submission`` predicts once (through ``predict``'s own code) or takes a given file,
writes the CSV once to ``predictions/MODEL-roundN.csv``, runs every check and hashes it;
nothing leaves the machine unless every check passes (``submission_checks``).
``upload_submission`` sends exactly that file (its hash is checked again) and confirms the
tournament lists it. Recording either stage is the caller's: the ledger (``agent``) commits an
intent with the hash between the two, and the confirmed file stays where it was written, so
the next round's sanity check reads it back by the ledger's record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from numerpilot.clock import Clock
from numerpilot.config import ModelEntry, Settings
from numerpilot.data import (
    download_dataset,
    load_dataset,
    load_predictions,
    read_feature_metadata,
    resolve_features,
    version_spec,
)
from numerpilot.errors import ConfigError, DataError, RoundClosed
from numerpilot.fsutil import sha256_file
from numerpilot.models import StoredModel, load_model, resolve_model
from numerpilot.pipeline._submission_checks import (
    CheckResult,
    read_checked_csv,
    sanity_checks,
    write_predictions_csv,
)
from numerpilot.pipeline.predict import load_live, predictions_frame
from numerpilot.tournament import (
    RoundInfo,
    SubmissionReceipt,
    TournamentClient,
    upcoming_round,
    upload_predictions,
)

log = logging.getLogger(__name__)

LIVE_FILES = ("features.json", "live.parquet", "live_benchmark_models.parquet")
PREDICTIONS_DIR = "predictions"


@dataclass(frozen=True)
class PreviousPredictions:
    """The model's last confirmed submission, as the ledger records it, for the sanity check."""

    path: Path
    sha256: str
    round_number: int


@dataclass
class SubmitResult:
    model: str
    stored_model: str | None
    round_number: int
    csv_path: Path
    rows: int
    checks: list[CheckResult]
    dry_run: bool
    sha256: str = ""
    submission_id: str | None = None  # the id the tournament counts, once confirmed
    receipt: SubmissionReceipt | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        receipt = None
        if self.receipt is not None:
            r = self.receipt
            receipt = {
                "submission_id": r.submission_id,
                "filename": r.filename,
                "inserted_at": r.inserted_at,
                "attempts": r.attempts,
            }
        return {
            "model": self.model,
            "stored_model": self.stored_model,
            "round": self.round_number,
            "csv": str(self.csv_path),
            "rows": self.rows,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "uploaded": self.submission_id is not None,
            "submission_id": self.submission_id,
            "receipt": receipt,
            "checks": [c.as_dict() for c in self.checks],
            "notes": self.notes,
        }


def tournament_model(settings: Settings, name: str | None, mode: str) -> ModelEntry:
    """The configured tournament model ``name`` (or the only/first one of ``mode``)."""
    models = settings.tournament.models
    if name is not None:
        for entry in models:
            if entry.name == name:
                return entry
        return ModelEntry(name=name, mode="upload" if mode == "upload" else "csv")
    of_mode = [m for m in models if m.mode == mode]
    if not of_mode:
        raise ConfigError(
            f"setting 'tournament.models': no model in {mode!r} mode; name one on the command "
            "line or add [[tournament.models]] to numerpilot.toml"
        )
    return of_mode[0]


def stored_model(settings: Settings, entry: ModelEntry) -> StoredModel:
    return load_model(resolve_model(settings.models_path, entry.model))


def current_round(client: TournamentClient, clock: Clock) -> RoundInfo:
    """The round open for submissions now, by the tournament's clock; ``RoundClosed``
    (saying when the next one opens, when the tournament says) otherwise."""
    info = client.current_round()
    now = clock.now()
    if info is not None and info.is_open(now):
        return info
    if info is not None and info.open_time > now:
        nxt: RoundInfo | None = info
    else:
        nxt = upcoming_round(client)
    when = (
        f"round {info.number} closed for submissions at {info.close_staking_time.isoformat()}"
        if info is not None and info.open_time <= now
        else "no round is open"
    )
    opens = (
        f"round {nxt.number} opens at {nxt.open_time.isoformat()}"
        if nxt is not None and nxt.open_time > now
        else "the tournament has not announced when the next round opens"
    )
    raise RoundClosed(f"{when}; {opens}")


def refresh_live(settings: Settings, client: TournamentClient | None, version: str) -> Path:
    """The version's folder with this round's live files (downloaded when a client is given)."""
    if client is not None:
        download_dataset(client, settings.data_dir, files=list(LIVE_FILES), version=version)
    folder = settings.data_dir / version
    if not (folder / "live.parquet").exists():
        raise DataError(
            f"no live data for {version}; run 'numerpilot data download'",
            path=str(folder / "live.parquet"),
        )
    return folder


def _benchmark(folder: Path, version: str) -> pd.Series | None:
    path = folder / "live_benchmark_models.parquet"
    if not path.exists():
        return None
    frame = load_predictions(path)
    names = [c for c in version_spec(version).benchmark_columns if c in frame.columns]
    if not names:
        return None
    return frame[names[0]].rename(names[0])


def predictions_path(settings: Settings, model: str, round_number: int, *, dry_run: bool) -> Path:
    """Where a round's predictions are written once (a dry run never overwrites a real one)."""
    suffix = "-dry-run" if dry_run else ""
    return settings.path(Path(PREDICTIONS_DIR)) / f"{model}-round{round_number}{suffix}.csv"


def _read_previous(previous: PreviousPredictions | None) -> tuple[pd.Series | None, str]:
    """The previous submission's predictions, if its file is still the one the ledger hashed."""
    if previous is None:
        return None, "no previous submission"
    path = previous.path
    if not path.exists() or sha256_file(path) != previous.sha256:
        return None, f"round {previous.round_number} file {path} is gone or changed"
    frame = pd.read_csv(path, dtype={"id": str}, float_precision="round_trip")
    return frame.set_index("id")["prediction"], f"round {previous.round_number} submission"


def prepare_submission(
    settings: Settings,
    *,
    client: TournamentClient,
    clock: Clock,
    model: str | None = None,
    predictions_file: Path | None = None,
    previous: PreviousPredictions | None = None,
    round_info: RoundInfo | None = None,
    dry_run: bool = False,
    download: bool = True,
) -> SubmitResult:
    """Stage one: predict (or take ``predictions_file``), write the CSV once, check, hash.

    ``previous`` (from the ledger) is what the sanity check compares with."""
    entry = tournament_model(settings, model, "csv")
    round_info = round_info or current_round(client, clock)
    stored = stored_model(settings, entry) if predictions_file is None else None
    version = stored.data_version if stored is not None else settings.data.version
    if version is None:
        raise ConfigError("setting 'data.version': needed to find live data for a predictions file")
    folder = refresh_live(settings, client if download else None, version)
    out = predictions_path(settings, entry.name, round_info.number, dry_run=dry_run)
    if stored is not None:
        live = load_live(settings, stored, version)
        ids = pd.Index(live.ids, name="id")
        source = predictions_frame(stored, live)["prediction"]
    else:
        assert predictions_file is not None
        meta = read_feature_metadata(folder / "features.json")
        live = load_dataset(folder / "live.parquet", features=resolve_features(meta, "all"))
        ids = pd.Index(live.ids, name="id")
        if predictions_file.suffix == ".csv":
            source = read_checked_csv(predictions_file, ids)  # refused before it is copied
        else:
            loaded = load_predictions(predictions_file)
            if "prediction" not in loaded.columns:
                raise DataError(
                    "no 'prediction' column", path=str(predictions_file), column="prediction"
                )
            source = loaded["prediction"]
    write_predictions_csv(source, out)  # once; a full disk is StorageError, nothing sent
    predictions = read_checked_csv(out, ids)  # what is checked is what will be sent
    before, described = _read_previous(previous)
    checks = sanity_checks(
        predictions,
        settings.submit,
        previous=before,
        benchmark=_benchmark(folder, version),
        features=live.features,
        eras=np.asarray(live.eras),
    )
    if before is not None or previous is not None:
        checks[0] = CheckResult(
            **{**checks[0].as_dict(), "detail": f"{described}, {checks[0].detail}"}
        )
    result = SubmitResult(
        model=entry.name,
        stored_model=stored.name if stored is not None else None,
        round_number=round_info.number,
        csv_path=out,
        rows=len(predictions),
        checks=checks,
        dry_run=dry_run,
        sha256=sha256_file(out),
    )
    if dry_run:
        result.notes.append("dry run: checked, not uploaded")
    return result


def upload_submission(
    client: TournamentClient, prepared: SubmitResult, round_info: RoundInfo
) -> SubmissionReceipt:
    """Stage two: send exactly the prepared file (hash checked) and confirm it is listed."""
    receipt = upload_predictions(
        client,
        model_name=prepared.model,
        csv_path=prepared.csv_path,
        round_info=round_info,
        sha256=prepared.sha256,
    )
    log.info(
        "submitted %s for round %d: %s",
        prepared.model,
        round_info.number,
        receipt.submission_id,
    )
    return receipt


__all__ = [
    "PreviousPredictions",
    "SubmitResult",
    "current_round",
    "predictions_path",
    "prepare_submission",
    "refresh_live",
    "stored_model",
    "tournament_model",
    "upload_submission",
]
