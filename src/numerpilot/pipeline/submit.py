"""``numerpilot submit``: predict live, check, upload, and confirm the tournament has it.

Nothing is uploaded unless every check passes (``submission_checks``); ``dry_run`` does all of
it but the upload. After a confirmed upload the predictions and the stored model used are kept
under ``submissions/`` so the next round's sanity check can compare with them.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from numerpilot.clock import Clock
from numerpilot.config import ModelEntry, Settings
from numerpilot.data.download import download_dataset
from numerpilot.data.features import read_feature_metadata, resolve_features
from numerpilot.data.load import load_dataset
from numerpilot.data.predictions import load_predictions
from numerpilot.data.schema import version_spec
from numerpilot.errors import ConfigError, DataError, SubmissionRejected
from numerpilot.fsutil import atomic_path, write_text_atomic
from numerpilot.models.ensemble import predict_frame
from numerpilot.models.store import StoredModel, load_model, resolve_model
from numerpilot.pipeline.submission_checks import (
    CheckResult,
    read_checked_csv,
    sanity_checks,
    write_predictions_csv,
)
from numerpilot.tournament.client import TournamentClient
from numerpilot.tournament.rounds import RoundInfo
from numerpilot.tournament.submissions import SubmissionReceipt, upload_predictions

log = logging.getLogger(__name__)

LIVE_FILES = ("features.json", "live.parquet", "live_benchmark_models.parquet")


@dataclass
class SubmitResult:
    model: str
    stored_model: str | None
    round_number: int
    csv_path: Path
    rows: int
    checks: list[CheckResult]
    dry_run: bool
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
            "dry_run": self.dry_run,
            "uploaded": self.receipt is not None,
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
    info = client.current_round()
    if info is None or not info.is_open(clock.now()):
        when = (
            f"round {info.number} closed at {info.close_staking_time.isoformat()}"
            if info
            else "no round is open"
        )
        raise SubmissionRejected("round_closed", f"{when}; nothing to submit to")
    return info


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


def _record_paths(settings: Settings, model: str) -> tuple[Path, Path]:
    folder = settings.project_dir / "submissions"
    return folder / f"{model}.json", folder / f"{model}.csv"


def _previous(
    settings: Settings, model: str, current: StoredModel | None, live: Any
) -> tuple[pd.Series | None, str]:
    """What to compare with: the previous stored model's predictions on this live data when
    the model changed, else the last submitted file when it shares the ids."""
    meta_path, csv_path = _record_paths(settings, model)
    if not meta_path.exists():
        return None, "no previous submission"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    before = meta.get("stored_model")
    if current is not None and before and before != current.name:
        try:
            old = load_model(resolve_model(settings.models_path, before))
        except (ConfigError, DataError):
            return None, f"previous model {before} is no longer stored"
        old_live = load_dataset(Path(live.source), features=old.features)
        values = predict_frame(old, old_live.features, old_live.eras)
        return pd.Series(values, index=pd.Index(old_live.ids, name="id")), f"model {before}"
    if csv_path.exists():
        frame = pd.read_csv(csv_path, dtype={"id": str}, float_precision="round_trip")
        return frame.set_index("id")["prediction"], f"round {meta.get('round')} submission"
    return None, "no previous predictions"


def _remember(settings: Settings, result: SubmitResult) -> None:
    meta_path, csv_path = _record_paths(settings, result.model)
    with atomic_path(csv_path) as tmp:
        shutil.copyfile(result.csv_path, tmp)
    assert result.receipt is not None
    meta = {
        "round": result.round_number,
        "stored_model": result.stored_model,
        "submission_id": result.receipt.submission_id,
    }
    write_text_atomic(meta_path, json.dumps(meta))


def submit(
    settings: Settings,
    *,
    client: TournamentClient,
    clock: Clock,
    model: str | None = None,
    predictions_file: Path | None = None,
    file_from_model: bool = False,
    dry_run: bool = False,
    download: bool = True,
) -> SubmitResult:
    """Predict (or take ``predictions_file``), check, and upload unless ``dry_run``.

    ``file_from_model``: ``predictions_file`` is the model's own (the autopilot's checked dry
    run), so it is not predicted again but checked and recorded as that stored model's."""
    entry = tournament_model(settings, model, "csv")
    round_info = current_round(client, clock)
    own = predictions_file is None or file_from_model
    stored = stored_model(settings, entry) if own else None
    version = stored.data_version if stored is not None else settings.data.version
    if version is None:
        raise ConfigError("setting 'data.version': needed to find live data for a predictions file")
    folder = refresh_live(settings, client if download else None, version)
    live_path = folder / "live.parquet"
    if stored is not None:
        live = load_dataset(live_path, features=stored.features)
    else:
        meta = read_feature_metadata(folder / "features.json")
        live = load_dataset(live_path, features=resolve_features(meta, "all"))
    live_ids = pd.Index(live.ids, name="id")

    out = settings.project_dir / "predictions" / f"{entry.name}-round{round_info.number}.csv"
    if predictions_file is None:
        assert stored is not None
        values = predict_frame(stored, live.features, live.eras)
        with atomic_path(out) as tmp:
            write_predictions_csv(pd.Series(values, index=live_ids), tmp)
    elif predictions_file.suffix == ".csv":
        out = predictions_file
    else:
        frame = load_predictions(predictions_file)
        if "prediction" not in frame.columns:
            raise DataError(
                "no 'prediction' column", path=str(predictions_file), column="prediction"
            )
        with atomic_path(out) as tmp:
            write_predictions_csv(frame["prediction"], tmp)

    predictions = read_checked_csv(out, live_ids)
    previous, source = _previous(settings, entry.name, stored, live)
    checks = sanity_checks(
        predictions,
        settings.submit,
        previous=previous,
        benchmark=_benchmark(folder, version),
        features=live.features,
        eras=np.asarray(live.eras),
    )
    if previous is not None:
        checks[0] = CheckResult(
            **{**checks[0].as_dict(), "detail": f"{source}, {checks[0].detail}"}
        )
    result = SubmitResult(
        model=entry.name,
        stored_model=stored.name if stored is not None else None,
        round_number=round_info.number,
        csv_path=out,
        rows=len(predictions),
        checks=checks,
        dry_run=dry_run,
    )
    if dry_run:
        result.notes.append("dry run: checked, not uploaded")
        return result
    result.receipt = upload_predictions(
        client, model_name=entry.name, csv_path=out, round_info=round_info
    )
    _remember(settings, result)
    log.info(
        "submitted %s for round %d: %s", entry.name, round_info.number, result.receipt.submission_id
    )
    return result


__all__ = [
    "SubmitResult",
    "current_round",
    "refresh_live",
    "stored_model",
    "submit",
    "tournament_model",
]
