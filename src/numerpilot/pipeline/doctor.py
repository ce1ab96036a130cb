"""``numerpilot doctor``: is this machine and project ready to run, and if not, what to do."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import psutil

from numerpilot.config import Settings, load_settings
from numerpilot.credentials import load_credentials
from numerpilot.errors import CheckFailed, ConfigError, CredentialsError, TournamentError
from numerpilot.models import list_models
from numerpilot.pipeline.train_plan import local_versions
from numerpilot.tournament import TournamentClient, model_ids

Status = Literal["ok", "warn", "fail", "skip"]

# On-disk sizes of the full dataset files (v5.2/v5.3, rounded up), for the disk check.
FULL_FILE_BYTES = {
    "train.parquet": 8_000_000_000,
    "validation.parquet": 4_500_000_000,
    "live.parquet": 10_000_000,
}
FULL_TRAIN_ROWS = 2_746_268
FEATURE_COUNTS = {"small": 42, "medium": 780, "all": 3555}
# What train, validate and predict read from a dataset version.
NEEDED_FILES = ("features.json", "train.parquet", "validation.parquet", "live.parquet")
# The API checks wait at most this long for an answer (one try, no backoff).
API_CHECK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _config(project_dir: Path, api_url: str | None) -> tuple[Check, Settings | None]:
    try:
        overrides = {"tournament": {"api_url": api_url}} if api_url else {}
        settings = load_settings(project_dir, **overrides)
    except ConfigError as e:
        return Check("config", "fail", f"{e}; fix the setting or run 'numerpilot init'"), None
    source = (
        "numerpilot.toml" if (settings.project_dir / "numerpilot.toml").exists() else "defaults"
    )
    return Check("config", "ok", f"valid ({source})"), settings


def _credentials(path: Path, local: bool) -> Check:
    try:
        credentials = load_credentials(path=path)
    except CredentialsError as e:
        return Check("credentials", "fail", str(e))
    if credentials is None:
        if local:
            return Check("credentials", "skip", "none set; the local tournament needs none")
        return Check(
            "credentials",
            "warn",
            "none: set NUMERAI_PUBLIC_ID/NUMERAI_SECRET_KEY or run "
            "'numerpilot init --public-id ...'",
        )
    return Check("credentials", "ok", f"found in {credentials.source}")


def _disk(settings: Settings) -> Check:
    data_dir = settings.data_dir
    probe = data_dir if data_dir.exists() else settings.project_dir
    free = shutil.disk_usage(probe).free
    need = sum(FULL_FILE_BYTES.get(f, 0) for f in settings.data.files)
    if free < need:
        return Check(
            "disk",
            "warn",
            f"{free / 1e9:.1f} GB free at {probe}, full data needs about {need / 1e9:.1f} GB; "
            "free space or set data.files to fewer files",
        )
    return Check(
        "disk", "ok", f"{free / 1e9:.1f} GB free, full data needs about {need / 1e9:.1f} GB"
    )


def _memory(settings: Settings) -> Check:
    available = psutil.virtual_memory().available
    budget = available * settings.data.memory_budget_fraction
    features = FEATURE_COUNTS.get(settings.train.feature_set, FEATURE_COUNTS["all"])
    need = FULL_TRAIN_ROWS // settings.train.era_step * (features + 4 * len(settings.train.targets))
    detail = (
        f"training on '{settings.train.feature_set}' every {settings.train.era_step} era(s) "
        f"needs about {need / 1e9:.1f} GB; budget {budget / 1e9:.1f} GB "
        f"({settings.data.memory_budget_fraction:.0%} of {available / 1e9:.1f} GB available)"
    )
    if need > budget:
        return Check("memory", "fail", detail + "; use a smaller feature set or a larger era_step")
    return Check("memory", "ok", detail)


def _runtime(settings: Settings | None) -> Check:
    """Model pickles are built by the runtime image's own Python: is it on this machine?"""
    from numerpilot.runtime import find_interpreter, install_hint, resolve_image

    entries = [m for m in settings.tournament.models if m.mode == "upload"] if settings else []
    try:
        chosen = [resolve_image(m.runtime_image) for m in entries] or [resolve_image(None)]
    except CheckFailed as e:
        return Check("runtime", "fail", str(e))
    images = {image.name: image for image in chosen}
    found = {name: find_interpreter(image.python) for name, image in images.items()}
    missing = [images[name] for name, path in found.items() if path is None]
    if missing:
        hints = "; ".join(f"{i.name}: {install_hint(i.python)}" for i in missing)
        return Check("runtime", "warn", f"model pickles cannot be built for {hints}")
    where = ", ".join(f"{name} (Python at {path})" for name, path in found.items())
    return Check("runtime", "ok", f"model pickles can be built for {where}")


def _dataset(settings: Settings) -> Check:
    """A dataset version with every file training and predicting read."""
    found = local_versions(settings.data_dir)
    version = settings.data.version or (found[-1] if found else None)
    if version is None:
        return Check(
            "dataset",
            "fail",
            f"none in {settings.data_dir}: run 'numerpilot data download' "
            "(or 'numerpilot data synth' to rehearse offline)",
        )
    folder = settings.data_dir / version
    missing = [f for f in NEEDED_FILES if not (folder / f).is_file()]
    if missing:
        return Check(
            "dataset",
            "fail",
            f"{folder} lacks {', '.join(missing)}: run 'numerpilot data download'",
        )
    return Check("dataset", "ok", f"{version} in {folder}")


def _trained_model(settings: Settings) -> Check:
    stored = list_models(settings.models_path)
    if not stored:
        return Check(
            "trained model",
            "fail",
            f"none in {settings.models_path}: run 'numerpilot train' "
            "('numerpilot run' would also train one first)",
        )
    newest = stored[-1]
    return Check(
        "trained model", "ok", f"{len(stored)} stored; newest {newest.name} ({newest.data_version})"
    )


def _tournament_models(settings: Settings) -> Check:
    """``run`` needs at least one model entry, and a pinned stored model must exist."""
    entries = settings.tournament.models
    if not entries:
        return Check(
            "tournament models",
            "fail",
            "none configured: 'numerpilot init --model NAME' (or NAME:upload) adds one",
        )
    stored = {m.name for m in list_models(settings.models_path)}
    unknown = [e for e in entries if e.model is not None and e.model not in stored]
    if unknown:
        return Check(
            "tournament models",
            "fail",
            ", ".join(f"{e.name} uses model {e.model!r}" for e in unknown)
            + f", not stored in {settings.models_path}",
        )
    described = ", ".join(
        f"{e.name} ({e.mode}, {f'model {e.model}' if e.model else 'the newest model'})"
        for e in entries
    )
    return Check("tournament models", "ok", described)


def _models_in_account(settings: Settings, client: TournamentClient) -> Check:
    """Each configured tournament model exists in the account the credentials open."""
    wanted = [e.name for e in settings.tournament.models]
    if not wanted:
        return Check("models in account", "skip", "no tournament models configured")
    try:
        account = model_ids(client)
    except TournamentError as e:
        return Check("models in account", "warn", f"not checked: {e}")
    missing = [name for name in wanted if name not in account]
    if missing:
        known = ", ".join(sorted(account)) or "none"
        return Check(
            "models in account",
            "fail",
            f"the account has no model named {', '.join(missing)} (its models: {known}); "
            "create it on numer.ai or fix tournament.models",
        )
    return Check("models in account", "ok", ", ".join(wanted))


def _api(settings: Settings, credentials_path: Path) -> list[Check]:
    """Is the API reachable, and does it accept the credentials? One quick try each: an
    unreachable API is a warning (offline work still runs), not a blocker."""
    try:
        credentials = load_credentials(path=credentials_path)
    except CredentialsError:
        credentials = None  # the credentials check has said what is wrong
    timeout = min(settings.tournament.request_timeout_seconds, API_CHECK_TIMEOUT_SECONDS)
    with TournamentClient(
        api_url=settings.tournament.api_url, credentials=credentials, timeout=timeout, retries=0
    ) as client:
        try:
            client.ping()
        except TournamentError as e:
            return [
                Check("api", "warn", f"unreachable: {e}"),
                Check("credentials accepted", "skip", "not checked: the API is unreachable"),
            ]
        api = Check("api", "ok", f"{client.api_url} answers")
        if credentials is None:
            return [api, Check("credentials accepted", "skip", "no credentials to check")]
        try:
            account = client.account_name()
        except CredentialsError as e:
            return [api, Check("credentials accepted", "fail", str(e))]
        except TournamentError as e:
            return [api, Check("credentials accepted", "warn", f"not checked: {e}")]
        accepted = Check("credentials accepted", "ok", f"accepted for account '{account}'")
        return [api, accepted, _models_in_account(settings, client)]


def run_checks(project_dir: Path, *, api_url: str | None, credentials_path: Path) -> list[Check]:
    """Every check, in order; none raises."""
    config_check, settings = _config(project_dir, api_url)
    checks = [config_check]
    local = bool(
        settings and settings.tournament.api_url and "127.0.0.1" in settings.tournament.api_url
    )
    checks.append(_credentials(credentials_path, local))
    if settings is not None:
        checks += [_dataset(settings), _trained_model(settings), _tournament_models(settings)]
        checks += [_disk(settings), _memory(settings)]
        checks += _api(settings, credentials_path)
    checks.append(_runtime(settings))
    return checks


__all__ = ["Check", "run_checks"]
