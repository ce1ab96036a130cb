"""Accounts, API keys and models.

An API key is ``PUBLIC_ID$SECRET_KEY`` sent as ``Authorization: Token PUBLIC_ID$SECRET_KEY``.
Only a hash of the secret is stored. The demo account's keys derive from the world seed, so
``sim serve`` prints the same credentials after every restart without storing them in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from numerpilot.sim._store import Account, Model

CLASSIC_TOURNAMENT = 8
_NAMESPACE = uuid.UUID("6c0d9f4e-1b7a-4e55-9a51-2f1e8b6f0c11")

NOT_AUTHENTICATED = "You must be authenticated to perform this action"
# Numerai's own words for a key it does not accept (unknown public id or wrong secret), so a
# client is tested against the answer it will get from Numerai.
INVALID_TOKEN = "Your session is invalid or has expired."


class AuthError(Exception):
    """The request's credentials are missing or wrong (message as Numerai words it)."""


@dataclass(frozen=True)
class AccountKeys:
    username: str
    public_id: str
    secret_key: str
    models: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "public_id": self.public_id,
            "secret_key": self.secret_key,
            "models": list(self.models),
        }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derived_keys(username: str, seed: int, models: tuple[str, ...]) -> AccountKeys:
    """Deterministic keys for a sim account: Numerai's shapes (32 and 64 upper-case chars)."""
    public_id = _digest(f"numerpilot-sim:{seed}:{username}:public")[:32].upper()
    secret_key = _digest(f"numerpilot-sim:{seed}:{username}:secret").upper()
    return AccountKeys(username, public_id, secret_key, models)


def model_id(seed: int, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{seed}:model:{name}"))


def ensure_account(
    session: Session, keys: AccountKeys, *, seed: int, nmr: Decimal, now: datetime
) -> Account:
    """The account with these keys, created (with its models) when it does not exist yet."""
    account = session.scalar(select(Account).where(Account.public_id == keys.public_id))
    if account is None:
        account = Account(
            id=str(uuid.uuid5(_NAMESPACE, f"{seed}:account:{keys.username}")),
            username=keys.username,
            email=f"{keys.username}@numerpilot.local",
            public_id=keys.public_id,
            secret_sha256=_digest(keys.secret_key),
            available_nmr=nmr,
            inserted_at=now,
        )
        session.add(account)
        session.flush()
    for name in keys.models:
        if session.scalar(select(Model).where(Model.name == name)) is None:
            session.add(
                Model(
                    id=model_id(seed, name),
                    account_id=account.id,
                    name=name,
                    tournament=CLASSIC_TOURNAMENT,
                    stake=Decimal(0),
                    inserted_at=now,
                )
            )
    return account


def authenticate(session: Session, header: str | None) -> Account:
    """The account of an ``Authorization: Token PUBLIC$SECRET`` header, or ``AuthError``."""
    if not header:
        raise AuthError(NOT_AUTHENTICATED)
    scheme, _, token = header.strip().partition(" ")
    public_id, sep, secret = token.strip().partition("$")
    if scheme.lower() != "token" or not sep or not public_id or not secret:
        raise AuthError(INVALID_TOKEN)
    account = session.scalar(select(Account).where(Account.public_id == public_id))
    # Compare digests in constant time; an unknown id still costs one comparison.
    expected = account.secret_sha256 if account is not None else _digest("")
    if not hmac.compare_digest(expected, _digest(secret)) or account is None:
        raise AuthError(INVALID_TOKEN)
    return account


__all__ = [
    "CLASSIC_TOURNAMENT",
    "INVALID_TOKEN",
    "NOT_AUTHENTICATED",
    "AccountKeys",
    "AuthError",
    "authenticate",
    "derived_keys",
    "ensure_account",
    "model_id",
]
