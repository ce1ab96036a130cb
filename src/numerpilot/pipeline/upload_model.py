"""``numerpilot upload-model``: build the portable pickle, pre-flight it, upload, verify.

The pickle is built from a stored model (boosters as LightGBM text, features, ensemble weights,
neutralisation), pre-flighted in the pinned environment of the chosen runtime image on this
round's live data under Numerai's limits, checked like a submission, and only then uploaded.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from numerpilot.config import Settings
from numerpilot.credentials import Credentials
from numerpilot.data.load import load_dataset
from numerpilot.errors import CheckFailed, CredentialsError, DataError
from numerpilot.fsutil import sha256_file
from numerpilot.models.store import StoredModel
from numerpilot.pipeline.submission_checks import read_checked_csv, write_predictions_csv
from numerpilot.pipeline.submit import refresh_live, stored_model, tournament_model
from numerpilot.runtime import (
    DEFAULT_IMAGE,
    IMAGES,
    Limits,
    PortableModel,
    PreflightReport,
    run_pickle,
    select_data_version,
    select_docker_image,
    write_portable_pickle,
)
from numerpilot.tournament.client import TournamentClient
from numerpilot.tournament.submissions import (
    ModelUploadReceipt,
    data_versions,
    docker_images,
)
from numerpilot.tournament.submissions import (
    upload_model as upload_pickle,
)

log = logging.getLogger(__name__)


@dataclass
class UploadModelResult:
    model: str
    stored_model: str
    pickle_path: Path
    size_bytes: int
    sha256: str
    image: str
    data_version: str
    preflight: PreflightReport
    dry_run: bool
    kept: bool
    receipt: ModelUploadReceipt | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "stored_model": self.stored_model,
            "pickle": str(self.pickle_path) if self.kept else None,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "image": self.image,
            "data_version": self.data_version,
            "dry_run": self.dry_run,
            "uploaded": self.receipt is not None,
            "upload_id": self.receipt.upload_id if self.receipt else None,
            "preflight": self.preflight.as_dict(),
            "notes": self.notes,
        }


def portable_model(stored: StoredModel) -> PortableModel:
    return PortableModel(
        name=stored.name,
        features=list(stored.features),
        boosters=[(target, text) for target, _seed, text in stored.boosters],
        weights=dict(stored.weights),
        neutralize_proportion=stored.neutralize_proportion,
        info={"stored_model": stored.name, "data_version": stored.data_version},
    )


def _refuse_secrets(path: Path, credentials: Credentials | None) -> None:
    """Belt and braces: the payload is built from the model only, but never let a key out."""
    if credentials is None:
        return
    data = path.read_bytes()
    if any(secret.encode() in data for secret in credentials.secrets if secret):
        raise CheckFailed(f"{path} contains an API credential; refusing to upload it")


def upload_model(
    settings: Settings,
    *,
    client: TournamentClient,
    model: str | None = None,
    out: Path | None = None,
    dry_run: bool = False,
    download: bool = True,
    limits: Limits | None = None,
    runtime_cache: Path | None = None,
    on_build: Callable[[str], None] | None = None,
    on_uploaded: Callable[[UploadModelResult], None] | None = None,
) -> UploadModelResult:
    """``on_uploaded(result)`` runs as soon as the tournament lists the upload (the ledger's
    record), before anything local that could fail."""
    entry = tournament_model(settings, model, "upload")
    stored = stored_model(settings, entry)
    image = IMAGES[DEFAULT_IMAGE]  # the pickle is portable: the default image is as good as any
    notes = []
    if client.has_credentials:
        image_choice = select_docker_image(docker_images(client), image.python)
        version_choice = select_data_version(data_versions(client), stored.data_version)
    elif dry_run:
        image_choice, version_choice = (image.name, ""), (stored.data_version, "")
        notes.append("no API key: image and data version not checked with the tournament")
    else:
        raise CredentialsError("uploading a model needs Numerai API keys (NUMERAI_PUBLIC_ID ...)")
    folder = refresh_live(settings, client if download else None, stored.data_version)

    with tempfile.TemporaryDirectory(prefix="numerpilot-upload-") as work:
        path = out or Path(work) / f"{entry.name}.pkl"
        write_portable_pickle(portable_model(stored), path)
        _refuse_secrets(path, client.credentials)
        run = run_pickle(
            path,
            folder / "live.parquet",
            folder / "live_benchmark_models.parquet",
            image=image.name,
            limits=limits,
            cache_dir=runtime_cache,
            on_build=on_build,
        )
        run.report.raise_for_failure()
        assert run.predictions is not None
        # Numerai turns the output into a submission: hold it to the same rules.
        ids = load_dataset(folder / "live.parquet", features=stored.features[:1]).ids
        live_ids = pd.Index(ids, name="id")
        csv = write_predictions_csv(run.predictions["prediction"], Path(work) / "preflight.csv")
        read_checked_csv(csv, live_ids)
        result = UploadModelResult(
            model=entry.name,
            stored_model=stored.name,
            pickle_path=path,
            size_bytes=path.stat().st_size,
            sha256=sha256_file(path),
            image=image_choice[0],
            data_version=version_choice[0],
            preflight=run.report,
            dry_run=dry_run,
            kept=out is not None,
            notes=notes,
        )
        if dry_run:
            result.notes.append("dry run: built and pre-flighted, not uploaded")
            return result
        result.receipt = upload_pickle(
            client,
            model_name=entry.name,
            pickle_path=path,
            data_version=version_choice,
            docker_image=image_choice,
        )
        if on_uploaded is not None:
            on_uploaded(result)
    log.info("uploaded %s as %s", entry.name, result.receipt.upload_id)
    return result


def preflight_file(
    settings: Settings,
    pickle_path: Path,
    *,
    live: Path | None = None,
    benchmark: Path | None = None,
    image: str | None = None,
    limits: Limits | None = None,
    on_build: Callable[[str], None] | None = None,
) -> PreflightReport:
    """Run any pickle through the emulator on the project's live data (or the given files)."""
    if live is None:
        version = settings.data.version or _newest_local_version(settings.data_dir)
        live = settings.data_dir / version / "live.parquet"
    if benchmark is None:
        benchmark = live.with_name("live_benchmark_models.parquet")
    for path in (pickle_path, live, benchmark):
        if not path.exists():
            raise DataError(f"{path} does not exist", path=str(path))
    return run_pickle(
        pickle_path, live, benchmark, image=image, limits=limits, on_build=on_build
    ).report


def _newest_local_version(data_dir: Path) -> str:
    found = sorted(
        (p.parent.name for p in data_dir.glob("v*/live.parquet")),
        key=lambda v: tuple(int(x) for x in v.lstrip("v").split(".") if x.isdigit()),
    )
    if not found:
        raise DataError(
            f"no live data under {data_dir}; run 'numerpilot data download' or pass --live",
            path=str(data_dir),
        )
    return found[-1]


__all__ = ["UploadModelResult", "portable_model", "preflight_file", "upload_model"]
