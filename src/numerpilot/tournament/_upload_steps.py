"""The steps every upload shares: an upload URL, a checked PUT, the create mutation, and
retries with backoff on the client's clock (never past a deadline).

numerapi PUTs without looking at the answer; here a failed PUT is an error, and a create the
server refuses because the file never arrived is a transient failure worth a fresh upload.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import requests

from numerpilot.errors import TournamentError, TransientTournamentError
from numerpilot.tournament._retry import retry_on_clock
from numerpilot.tournament.client import TournamentClient
from numerpilot.tournament.transport import safe_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a server says when the PUT it acknowledged left no file behind: worth a fresh upload.
_LOST_UPLOAD = re.compile(r"not (been )?uploaded|upload\b.*\bnot found", re.IGNORECASE)


def put_file(client: TournamentClient, url: str, data: bytes, what: str) -> None:
    """PUT ``data`` and check the answer, which numerapi does not."""
    where = safe_url(url)
    try:
        response = client.transport.session.put(url, data=data, timeout=client.transport.timeout)
    except (requests.ConnectionError, requests.Timeout) as e:
        raise TransientTournamentError(
            f"{what}: upload to {where} failed: {type(e).__name__}"
        ) from None
    except requests.RequestException as e:
        raise TournamentError(
            client.transport.scrub(f"{what}: upload to {where} failed: {e}")
        ) from None
    with response:
        client.transport.raise_for_status(response, where, authorized=False)


def create(client: TournamentClient, mutation: str, variables: dict[str, Any], field: str) -> str:
    try:
        data = client.query(mutation, variables, authorization=True)
    except TransientTournamentError:
        raise
    except TournamentError as e:
        if _LOST_UPLOAD.search(str(e)):
            raise TransientTournamentError(f"the upload was lost on the way: {e}") from None
        raise
    created = data.get(field)
    if not isinstance(created, dict) or not created.get("id"):
        raise TournamentError(f"{field} answered without an id")
    return str(created["id"])


def upload_auth(
    client: TournamentClient, query: str, variables: dict[str, Any], field: str
) -> dict[str, str]:
    auth = client.query(query, variables, authorization=True).get(field)
    if not isinstance(auth, dict) or not auth.get("url") or not auth.get("filename"):
        raise TournamentError(f"{field} answered without an upload URL")
    return {"filename": str(auth["filename"]), "url": str(auth["url"])}


def retry_upload(
    client: TournamentClient,
    what: str,
    attempt: Callable[[int], T],
    *,
    deadline: datetime | None = None,
    on_deadline: Callable[[str], Exception] | None = None,
) -> T:
    """``attempt(n)`` until it succeeds, backing off on the client's clock after a transient
    failure; never sleeps past ``deadline``."""
    return retry_on_clock(
        client.transport.clock,
        what,
        attempt,
        retries=client.transport.retries,
        deadline=deadline,
        on_deadline=on_deadline,
        logger=log,
        numbered=False,
    )


__all__ = ["create", "put_file", "retry_upload", "upload_auth"]
