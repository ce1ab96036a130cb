"""The local tournament's own settings: calendar, payouts, data, accounts.

Separate from the project's ``Settings``: these describe the *world* the server simulates (what
Numerai decides), not what numerpilot does in it. Loaded from a TOML file (``sim serve
--config``); every field has a default that mirrors Numerai's published rules.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from numerpilot.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarConfig(_Section):
    epoch: datetime = Field(
        datetime(2026, 1, 6, 12, 0, tzinfo=UTC),
        description="Open time of round `epoch_round`; later rounds follow the weekly schedule.",
    )
    epoch_round: int = Field(1150, ge=1, description="Number of the round opening at `epoch`.")
    open_weekdays: tuple[int, ...] = Field(
        (1, 2, 3, 4, 5), min_length=1, description="Weekdays rounds open (Monday = 0): Tue-Sat."
    )
    staking_hours: float = Field(
        1.0, gt=0, description="Hours from open to closeStakingTime on most days."
    )
    staking_hours_by_weekday: dict[int, float] = Field(
        default_factory=lambda: {5: 26.0},
        description="Exceptions to staking_hours by weekday (Saturday closes Sunday 14:00).",
    )
    late_hours: float = Field(
        22.0,
        ge=0,
        description="Hours after closeStakingTime during which late (unstaked) submissions count.",
    )
    score_delay_days: int = Field(
        4, ge=0, description="Days from closeStakingTime to the first daily score."
    )
    score_days: int = Field(20, ge=1, description="Daily score updates before resolution.")

    @field_validator("epoch")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)

    @field_validator("open_weekdays")
    @classmethod
    def _weekdays(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= d <= 6 for d in v) or len(set(v)) != len(v):
            raise ValueError("weekdays are distinct integers 0 (Monday) .. 6 (Sunday)")
        return tuple(sorted(v))

    @model_validator(mode="after")
    def _epoch_on_schedule(self) -> CalendarConfig:
        if self.epoch.weekday() not in self.open_weekdays:
            raise ValueError(f"epoch {self.epoch:%A} is not one of open_weekdays")
        return self


class PayoutConfig(_Section):
    corr_multiplier: float = Field(0.75, description="Weight of CORR in the payout score.")
    mmc_multiplier: float = Field(2.25, description="Weight of MMC in the payout score.")
    clip: float = Field(0.05, gt=0, description="Per-round payout is clipped to +-clip * stake.")
    stake_threshold: float = Field(
        72000.0, gt=0, description="payout_factor = min(1, stake_threshold / total NMR at risk)."
    )
    house_stake: float = Field(
        1000.0,
        ge=0,
        description="Stake the house benchmark models share in the meta model (never paid).",
    )


class DataConfig(_Section):
    versions: tuple[str, ...] = Field(
        ("v5.3",), min_length=1, description="Dataset versions served; the last is the newest."
    )
    scale: Literal["demo", "small", "full"] = Field("demo", description="Synthetic data scale.")
    seed: int = Field(0, description="Seed of the synthetic world (data, live eras, noise).")
    live_rows: int | None = Field(
        None, ge=20, description="Rows of each round's live era (unset: the scale's default)."
    )
    first_live_era: int | None = Field(
        None,
        ge=1,
        description="Era index of round `epoch_round`'s live data (unset: after validation).",
    )


class AccountConfig(_Section):
    starting_nmr: str = Field("100", description="NMR balance a new account starts with.")
    demo_models: tuple[str, ...] = Field(
        ("demo_csv", "demo_upload"), description="Models the demo account owns."
    )


class SimConfig(_Section):
    """Everything the local tournament decides. Defaults mirror Numerai's published rules."""

    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    payout: PayoutConfig = Field(default_factory=PayoutConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    accounts: AccountConfig = Field(default_factory=AccountConfig)
    upload_url_ttl_seconds: float = Field(
        6 * 3600.0, gt=0, description="Presigned upload URLs expire after this much sim time."
    )

    @property
    def primary_version(self) -> str:
        return self.data.versions[-1]


def load_sim_config(path: Path | None = None, **overrides: object) -> SimConfig:
    """The config from ``path`` (TOML), with top-level section overrides applied on top."""
    raw: dict[str, object] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML ({e})") from None
    for section, values in overrides.items():
        if isinstance(values, dict):
            merged = dict(raw.get(section, {}) or {})  # type: ignore[call-overload]
            merged.update(values)
            raw[section] = merged
        else:
            raw[section] = values
    try:
        return SimConfig.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        source = str(path) if path is not None else "sim config"
        raise ConfigError(f"{source}: {where}: {first['msg']}") from None


__all__ = [
    "AccountConfig",
    "CalendarConfig",
    "DataConfig",
    "PayoutConfig",
    "SimConfig",
    "load_sim_config",
]
