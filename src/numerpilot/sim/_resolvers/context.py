"""What every resolver gets: the request's session, time, caller and the server's parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from ariadne import ScalarType
from graphql import GraphQLResolveInfo
from sqlalchemy.orm import Session

from numerpilot.sim._accounts import authenticate
from numerpilot.sim._config import SimConfig
from numerpilot.sim._faults import Decision
from numerpilot.sim._store import Account
from numerpilot.sim._world import World


class Diagnoser(Protocol):
    def run(self, data: bytes) -> dict[str, object]: ...


@dataclass
class RequestContext:
    session: Session
    now: datetime
    base_url: str  # e.g. http://127.0.0.1:8123 (no trailing slash)
    auth_header: str | None
    world: World
    config: SimConfig
    datasets_dir: Path
    uploads_dir: Path
    pickles_dir: Path
    diagnostics: Diagnoser
    download_key: bytes
    fault: Decision = field(default_factory=Decision)
    _account: Account | None = None

    def account(self) -> Account:
        """The authenticated account; ``AuthError`` (Numerai's message) when there is none."""
        if self._account is None:
            self._account = authenticate(self.session, self.auth_header)
        return self._account


Info: TypeAlias = "GraphQLResolveInfo[RequestContext]"
"""What a resolver is handed: the server puts one ``RequestContext`` in every request."""


def context(info: Info) -> RequestContext:
    ctx = info.context
    assert isinstance(ctx, RequestContext), "the server passes a RequestContext"
    return ctx


decimal_scalar = ScalarType("Decimal")


@decimal_scalar.serializer
def _serialize_decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f")
    return str(value)


datetime_scalar = ScalarType("DateTime")


@datetime_scalar.serializer
def _serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


bool_scalar = ScalarType("bool")


@bool_scalar.value_parser
def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"expected a boolean, got {value!r}")


@bool_scalar.serializer
def _serialize_bool(value: Any) -> bool:
    return bool(value)


SCALARS = (decimal_scalar, datetime_scalar, bool_scalar)

__all__ = ["SCALARS", "Diagnoser", "Info", "RequestContext", "context"]
