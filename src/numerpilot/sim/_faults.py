"""Fault injection: what a real tournament does on a bad day, off unless a file asks for it.

The file (TOML or JSON) names endpoints: a GraphQL field (``create_submission``, ``rounds``,
``dataset``, ...), or one of the HTTP paths ``download`` (dataset files), ``upload`` (presigned
PUTs) and ``submission_download``; ``graphql`` applies to every GraphQL field without its own
entry, and ``*`` to everything. Example::

    seed = 7
    [endpoints.create_submission]
    error_rate = 0.5      # answer 503 half of the time
    drop_rate = 1.0       # acknowledge, return an id, record nothing
    [endpoints.download]
    truncate_rate = 1.0   # send half the file, then cut the connection
    [endpoints.rounds]
    latency_seconds = 0.2
    hang_rate = 0.1       # hold the request hang_seconds (real time), then 504
    [endpoints.create_submission]
    slow_rate = 1.0       # carry the request out, but answer only after slow_seconds
    slow_seconds = 5.0    # (real time): above the client's timeout, it gives up on a
                          # request the server has applied
    [late_rounds]
    1151 = 3600           # round 1151 opens an hour late

Decisions come from one seeded RNG, so a test replays the same faults every run.
"""

from __future__ import annotations

import json
import random
import threading
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from numerpilot.errors import ConfigError

HTTP_ENDPOINTS = ("download", "upload", "submission_download")


class EndpointFaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    error_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered 5xx.")
    error_status: int = Field(503, ge=500, le=599, description="The 5xx status to answer.")
    latency_seconds: float = Field(0.0, ge=0, le=60, description="Real delay before answering.")
    hang_rate: float = Field(0.0, ge=0, le=1, description="Share of requests that hang.")
    hang_seconds: float = Field(
        0.5, ge=0, le=60, description="How long a hang holds the request (real time) before 504."
    )
    slow_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of GraphQL requests carried out, but answered only after slow_seconds "
        "(the server is busy: requests behind it wait).",
    )
    slow_seconds: float = Field(
        0.5, ge=0, le=60, description="How long a slow request holds the server (real time)."
    )
    truncate_rate: float = Field(0.0, ge=0, le=1, description="Share of downloads cut short.")
    truncate_fraction: float = Field(
        0.5, ge=0, lt=1, description="Share of the body sent before a cut download stops."
    )
    drop_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of uploads acknowledged but never recorded (PUT or create mutation).",
    )


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    endpoints: dict[str, EndpointFaults] = Field(default_factory=dict)
    late_rounds: dict[int, float] = Field(
        default_factory=dict, description="Round number -> seconds its opening is delayed."
    )


NO_FAULTS = EndpointFaults()


@dataclass(frozen=True)
class Decision:
    """What to do to one request."""

    latency: float = 0.0
    error_status: int | None = None
    hang_seconds: float | None = None
    slow_seconds: float | None = None
    truncate_fraction: float | None = None
    drop: bool = False


def load_faults(path: Path) -> FaultConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the fault file ({e.strerror})") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {e}") from None
    try:
        return FaultConfig.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None


class Faults:
    """Thread-safe fault decisions from one seeded RNG."""

    def __init__(self, config: FaultConfig | None = None):
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.config.endpoints or self.config.late_rounds)

    def for_endpoint(self, name: str) -> EndpointFaults:
        endpoints = self.config.endpoints
        if name in endpoints:
            return endpoints[name]
        if name not in HTTP_ENDPOINTS and "graphql" in endpoints:
            return endpoints["graphql"]
        return endpoints.get("*", NO_FAULTS)

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def decide(self, name: str) -> Decision:
        f = self.for_endpoint(name)
        if f == NO_FAULTS:
            return Decision()
        return Decision(
            latency=f.latency_seconds,
            error_status=f.error_status if self._roll(f.error_rate) else None,
            hang_seconds=f.hang_seconds if self._roll(f.hang_rate) else None,
            slow_seconds=f.slow_seconds if self._roll(f.slow_rate) else None,
            truncate_fraction=f.truncate_fraction if self._roll(f.truncate_rate) else None,
            drop=self._roll(f.drop_rate),
        )

    def round_delay(self, number: int) -> timedelta:
        return timedelta(seconds=self.config.late_rounds.get(number, 0.0))


__all__ = [
    "HTTP_ENDPOINTS",
    "NO_FAULTS",
    "Decision",
    "EndpointFaults",
    "FaultConfig",
    "Faults",
    "load_faults",
]
