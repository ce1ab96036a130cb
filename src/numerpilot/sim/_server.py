"""``SimServer``: the local tournament's state, world and API behind one lock.

The server owns a SQLite file (``state``) and a folder beside it (``<stem>-files/``) holding
the synthetic datasets, each round's live files, uploads, submissions and model pickles. On the
first start it writes the datasets, the demo account and opens the round current on its clock;
after a restart it carries on from the same state.

The world advances lazily: every request first applies what the clock says is due. ``tick()``
does the same and then runs the hosted models queued at round opens (outside the lock, since a
model may take minutes); tests on a ``SteppedClock`` call it after moving time.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from ariadne import graphql_sync
from ariadne.utils import unwrap_graphql_error
from sqlalchemy import select
from starlette.applications import Starlette

import numerpilot.sim._actions as actions
from numerpilot.clock import Clock
from numerpilot.data import RowProgress, version_spec, write_dataset
from numerpilot.errors import ConfigError, NumerpilotError
from numerpilot.sim._accounts import AccountKeys, AuthError, derived_keys, ensure_account
from numerpilot.sim._app import build_app
from numerpilot.sim._config import SimConfig
from numerpilot.sim._diagnostics import DiagnosticsEngine
from numerpilot.sim._faults import Decision, FaultConfig, Faults
from numerpilot.sim._livedata import ROUND_FILES, LiveData
from numerpilot.sim._resolvers import RequestContext, build_schema
from numerpilot.sim._resolvers.account import download_signature
from numerpilot.sim._store import Account, Store, Submission
from numerpilot.sim._validation import Rejection, predictions_frame_to_csv
from numerpilot.sim._world import World

log = logging.getLogger(__name__)

ModelRunner = Callable[[Path, Path, Path], pd.DataFrame]
"""Runs a hosted model: (pickle, live parquet, live benchmark parquet) -> its predictions.

A runner signals a failed run by raising ``NumerpilotError`` (or ``OSError``); the message is
recorded on the model's upload, as Numerai shows a failed trigger."""

DEMO_USERNAME = "demo"
_EXPECTED_ERRORS = (AuthError, actions.UserError, Rejection)


class _GraphQLErrorLog(logging.LoggerAdapter[logging.Logger]):
    """Refusals (bad keys, bad predictions) are the API working: log them without traceback."""

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        original = unwrap_graphql_error(exc) if isinstance(exc, Exception) else None
        if original is None or original is exc or isinstance(original, _EXPECTED_ERRORS):
            self.logger.info("refused: %s", msg)
        else:
            self.logger.error(msg, *args, **kwargs)


class SimServer:
    def __init__(
        self,
        state: Path,
        *,
        clock: Clock,
        config: SimConfig | None = None,
        faults: FaultConfig | None = None,
        model_runner: ModelRunner | None = None,
        datasets_dir: Path | None = None,
        progress: RowProgress | None = None,
    ):
        self.clock = clock
        self.store = Store(state)
        try:
            self.config = self._settle_config(config)
        except ConfigError:
            self.store.close()
            raise
        self.files_dir = state.parent / f"{state.stem}-files"
        self.datasets_dir = datasets_dir or self.files_dir / "datasets"
        self.uploads_dir = self.files_dir / "uploads"
        self.pickles_dir = self.files_dir / "pickles"
        self.faults = Faults(faults)
        self.model_runner = model_runner
        self.lock = threading.RLock()
        self._runs_lock = threading.Lock()
        self._ensure_datasets(progress)
        self.live = LiveData(self.files_dir, self.config)
        self.world = World(self.store, self.config, self.live, self.faults, self.files_dir)
        self.diagnostics = DiagnosticsEngine(self.datasets_dir, self.config.primary_version)
        self.schema = build_schema()
        self._graphql_log = _GraphQLErrorLog(logging.getLogger("numerpilot.sim.graphql"), {})
        key = self.store.get_meta("download_key")
        if key is None:
            key = secrets.token_hex(32)
            self.store.set_meta("download_key", key)
        self._download_key = bytes.fromhex(key)
        self.demo = self.add_account(DEMO_USERNAME, self.config.accounts.demo_models)
        first_live_era = (
            self.config.data.first_live_era
            or self.live.world(self.config.primary_version).scale.live_era_index
        )
        with self.lock:
            self.world.bootstrap(clock.now(), first_live_era)
        self.app: Starlette = build_app(self)

    # --- setup ------------------------------------------------------------------------------

    def _settle_config(self, config: SimConfig | None) -> SimConfig:
        """A restarted server keeps the world it was created with (data and calendar)."""
        stored = self.store.get_meta("config")
        if stored is None:
            config = config or SimConfig()
            self.store.set_meta("config", config.model_dump_json())
            return config
        previous = SimConfig.model_validate_json(stored)
        if config is None:
            return previous
        for section in ("data", "calendar"):
            if getattr(config, section) != getattr(previous, section):
                raise ConfigError(
                    f"{self.store.path} was created with other {section} settings "
                    f"({getattr(previous, section)!r}); use those or a new --state file"
                )
        self.store.set_meta("config", config.model_dump_json())
        return config

    def _ensure_datasets(self, progress: RowProgress | None) -> None:
        data = self.config.data
        for version in data.versions:
            folder = self.datasets_dir / version
            if all((folder / name).exists() for name in version_spec(version).files):
                continue
            log.info("writing the %s synthetic %s dataset to %s", data.scale, version, folder)
            write_dataset(
                self.datasets_dir,
                version=version,
                scale=data.scale,
                seed=data.seed,
                progress=progress,
            )

    def add_account(
        self, username: str, models: tuple[str, ...], nmr: Decimal | None = None
    ) -> AccountKeys:
        """An account (created if new) with deterministic keys, and its models."""
        keys = derived_keys(username, self.config.data.seed, models)
        starting = Decimal(self.config.accounts.starting_nmr) if nmr is None else nmr
        with self.lock, self.store.session() as s:
            ensure_account(s, keys, seed=self.config.data.seed, nmr=starting, now=self.clock.now())
        return keys

    # --- time -------------------------------------------------------------------------------

    def advance(self) -> int:
        """Apply every event due on the clock; returns how many."""
        with self.lock:
            return self.world.advance(self.clock.now())

    def tick(self) -> int:
        """Advance, then run the queued hosted models; returns how many runs finished."""
        self.advance()
        if self.model_runner is None:
            return 0
        done = 0
        with self._runs_lock:
            with self.lock, self.store.session() as s:
                jobs = actions.pending_runs(self.world, s, self.pickles_dir)
            for job in jobs:
                csv, error = self._run(job)
                with self.lock, self.store.session() as s:
                    actions.finish_run(self.world, s, job, csv, error, self.clock.now())
                done += 1
        return done

    def _run(self, job: actions.RunJob) -> tuple[bytes | None, str | None]:
        assert self.model_runner is not None
        try:
            result = self.model_runner(job.pickle_path, job.live_path, job.benchmark_path)
            return predictions_frame_to_csv(result), None
        except Rejection as e:
            return None, e.message
        except (NumerpilotError, OSError) as e:
            log.info("hosted model run %s failed: %s", job.run_id, e)
            return None, str(e)

    # --- requests ---------------------------------------------------------------------------

    def execute(
        self, body: dict[str, Any], auth_header: str | None, base_url: str, fault: Decision
    ) -> dict[str, Any]:
        """One GraphQL request: committed if it succeeded, rolled back if it was refused."""
        with self.lock:
            now = self.clock.now()
            self.world.advance(now)
            with self.store.new_session() as session:
                ctx = RequestContext(
                    session=session,
                    now=now,
                    base_url=base_url,
                    auth_header=auth_header,
                    world=self.world,
                    config=self.config,
                    datasets_dir=self.datasets_dir,
                    uploads_dir=self.uploads_dir,
                    pickles_dir=self.pickles_dir,
                    diagnostics=self.diagnostics,
                    download_key=self._download_key,
                    fault=fault,
                )
                _ok, result = graphql_sync(
                    self.schema, body, context_value=ctx, logger=self._graphql_log
                )
                if result.get("errors"):
                    session.rollback()
                else:
                    session.commit()
            if fault.slow_seconds is not None:
                # Applied and committed, but answered late: a client that gives up first
                # cannot know it happened, and whatever it asks next waits behind it.
                threading.Event().wait(fault.slow_seconds)  # real time, like every HTTP fault
        return dict(result)

    def receive_upload(self, token: str, data: bytes, drop: bool) -> str | None:
        with self.lock, self.store.session() as s:
            return actions.receive_upload(
                s, self.uploads_dir, token, data, self.clock.now(), drop=drop
            )

    def submission_file(self, submission_id: str, signature: str) -> Path | None:
        expected = download_signature(self._download_key, submission_id)
        if not hmac.compare_digest(expected, signature):
            return None
        with self.store.session() as s:
            if s.get(Submission, submission_id) is None:
                return None
        path = self.world.submission_paths(submission_id)[0]
        return path if path.exists() else None

    def dataset_path(self, relative: str) -> Path | None:
        """The file behind a dataset URL path, or None (only what the API hands out)."""
        parts = relative.split("/")
        if len(parts) == 2 and parts[0] in self.config.data.versions:
            version, name = parts
            if name in version_spec(version).files and name not in ROUND_FILES:
                path = self.datasets_dir / version / name
                return path if path.is_file() else None
        if len(parts) == 4 and parts[0] == "rounds" and parts[1].isdigit():
            _, number, version, name = parts
            if version in self.config.data.versions and name in ROUND_FILES:
                path = self.live.path(int(number), version, name)
                return path if path.is_file() else None
        return None

    # --- inspection (tests, CLI) ------------------------------------------------------------

    def balance(self, username: str) -> Decimal:
        with self.store.session() as s:
            account = s.scalar(select(Account).where(Account.username == username))
            if account is None:
                raise KeyError(username)
            return account.available_nmr

    def close(self) -> None:
        self.store.close()


__all__ = ["DEMO_USERNAME", "ModelRunner", "SimServer"]
