"""``numerpilot upload-model``: build the model pickle, pre-flight it, upload, verify.

The pickle is built for one runtime image (the one named on the command line, else the model's
``runtime_image`` setting, else Numerai's default): a cloudpickled ``predict`` function made by
that image's Python in its pinned environment, from the stored model's boosters, features,
ensemble weights and neutralisation. The no-bytecode ``portable`` form is an explicit choice (the
image's scanner rates it OVERTLY_MALICIOUS). The pickle is pre-flighted in that environment on
the live data under Numerai's limits, rated by the image's scanner, checked like a submission,
and only then uploaded. A dry run stays offline: it uses the live data already on disk.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from numerpilot.config import Settings
from numerpilot.credentials import Credentials
from numerpilot.data import load_dataset
from numerpilot.errors import CheckFailed, CredentialsError, DataError
from numerpilot.fsutil import sha256_file
from numerpilot.models import StoredModel
from numerpilot.models.benchmark_input import benchmark_input_of
from numerpilot.pipeline._submission_checks import read_checked_csv, write_predictions_csv
from numerpilot.pipeline.submit import refresh_live, stored_model, tournament_model
from numerpilot.runtime import (
    Limits,
    PortableModel,
    PreflightReport,
    RuntimeImage,
    build_image_pickle,
    ensure_env,
    resolve_image,
    run_pickle,
    select_data_version,
    select_docker_image,
    write_portable_pickle,
)
from numerpilot.tournament import ModelUploadReceipt, TournamentClient, data_versions, docker_images
from numerpilot.tournament import upload_model as upload_pickle

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
    form: str  # "cloudpickle" (built by the image's Python) or "portable" (no bytecode)
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
            "form": self.form,
            "dry_run": self.dry_run,
            "uploaded": self.receipt is not None,
            "upload_id": self.receipt.upload_id if self.receipt else None,
            "preflight": self.preflight.as_dict(),
            "notes": self.notes,
        }


def portable_model(stored: StoredModel) -> PortableModel:
    # A benchmark input is the last feature; the pickle takes it from the second argument
    # Numerai passes, live_benchmark_models.
    column = benchmark_input_of(list(stored.features))
    return PortableModel(
        name=stored.name,
        features=list(stored.features[:-1] if column else stored.features),
        benchmark_input=column,
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


def build_pickle(
    model: PortableModel,
    image: RuntimeImage,
    path: Path,
    *,
    portable: bool = False,
    runtime_cache: Path | None = None,
    on_build: Callable[[str], None] | None = None,
) -> str:
    """Write the model's pickle for ``image`` at ``path``; returns its form. The default is a
    cloudpickle made by the image's own Python (its environment is built once if needed)."""
    if portable:
        write_portable_pickle(model, path)
        return "portable"
    env = ensure_env(image, runtime_cache, on_build=on_build)
    build_image_pickle(model, env, path)
    return "cloudpickle"


def _live_on_disk(folder: Path) -> str:
    live = folder / "live.parquet"
    written = datetime.fromtimestamp(live.stat().st_mtime, tz=UTC)
    return f"{live} (written {written:%Y-%m-%d %H:%M} UTC)"


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
    image: str | None = None,
    portable: bool = False,
    allow_flagged: bool = False,
) -> UploadModelResult:
    """Build, pre-flight and (unless ``dry_run``) upload the model's pickle. ``image`` names the
    runtime image or its Python (``3.12``); ``portable`` builds the no-bytecode form;
    ``allow_flagged`` uploads even a pickle the image's scanner rates OVERTLY_MALICIOUS.
    ``on_uploaded(result)`` runs as soon as the tournament lists the upload (the ledger's
    record), before anything local that could fail."""
    entry = tournament_model(settings, model, "upload")
    stored = stored_model(settings, entry)
    runtime = resolve_image(image or entry.runtime_image)
    notes = [f"{runtime.name} is experimental at Numerai"] if runtime.experimental else []
    if dry_run:  # offline: nothing is asked of the tournament, nothing downloaded
        image_choice, version_choice = (runtime.name, ""), (stored.data_version, "")
        folder = refresh_live(settings, None, stored.data_version)
        notes.append(
            "dry run: offline, Numerai not contacted (runtime image and data version not "
            f"checked with it); used the live data on disk: {_live_on_disk(folder)}"
        )
    elif client.has_credentials:
        image_choice = select_docker_image(docker_images(client), runtime.python)
        version_choice = select_data_version(data_versions(client), stored.data_version)
        folder = refresh_live(settings, client if download else None, stored.data_version)
    else:
        raise CredentialsError("uploading a model needs Numerai API keys (NUMERAI_PUBLIC_ID ...)")

    with tempfile.TemporaryDirectory(prefix="numerpilot-upload-") as work:
        path = out or Path(work) / f"{entry.name}.pkl"
        form = build_pickle(
            portable_model(stored),
            runtime,
            path,
            portable=portable,
            runtime_cache=runtime_cache,
            on_build=on_build,
        )
        _refuse_secrets(path, client.credentials)
        run = run_pickle(
            path,
            folder / "live.parquet",
            folder / "live_benchmark_models.parquet",
            image=runtime.name,
            limits=limits,
            cache_dir=runtime_cache,
            on_build=on_build,
            allow_flagged=allow_flagged,
        )
        run.report.raise_for_failure()
        assert run.predictions is not None
        if run.report.scanner is not None and run.report.scanner.blocks:
            notes.append(f"uploading although {run.report.scanner.describe()} (allowed)")
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
            form=form,
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
    allow_flagged: bool = False,
) -> PreflightReport:
    """Run any pickle through the emulator on the project's live data (or the given files).
    ``image`` names the runtime image or its Python (``3.12``); default: the one the pickle's
    bytecode needs, else Numerai's default."""
    if live is None:
        version = settings.data.version or _newest_local_version(settings.data_dir)
        live = settings.data_dir / version / "live.parquet"
    if benchmark is None:
        benchmark = live.with_name("live_benchmark_models.parquet")
    for path in (pickle_path, live, benchmark):
        if not path.exists():
            raise DataError(f"{path} does not exist", path=str(path))
    return run_pickle(
        pickle_path,
        live,
        benchmark,
        image=None if image is None else resolve_image(image).name,
        limits=limits,
        on_build=on_build,
        allow_flagged=allow_flagged,
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


__all__ = [
    "UploadModelResult",
    "build_pickle",
    "portable_model",
    "preflight_file",
    "upload_model",
]
