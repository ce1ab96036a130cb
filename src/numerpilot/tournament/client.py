"""The tournament client: numerapi's queries, numerpilot's transport, typed results.

``TournamentClient`` keeps an unmodified ``numerapi.NumerAPI`` whose one network method,
``raw_query``, is routed through ``Transport`` (timeouts, retries on the clock, typed errors,
this client's own URL). Every numerapi method therefore works as documented, and none of
numerapi's failure modes (``{}`` answers, ``KeyError('data')``, real sleeps, no timeout, a
process-wide endpoint) reaches the rest of numerpilot.

Other modules of ``tournament/`` (submissions, model upload) call numerapi methods through
``client.call(...)``, which translates whatever numerapi raises on a malformed answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numerapi
import numerapi.base_api

from numerpilot.clock import Clock, ServerTime
from numerpilot.config import Settings
from numerpilot.credentials import Credentials
from numerpilot.errors import CredentialsError, TournamentError, TransientTournamentError
from numerpilot.tournament.files import DownloadResult, ProgressCallback, RemoteFile, fetch
from numerpilot.tournament.rounds import (
    CURRENT_ROUND_QUERY,
    ROUND_QUERY,
    RoundInfo,
    parse_round,
)
from numerpilot.tournament.transport import PING_QUERY, Transport, is_loopback, ping

log = logging.getLogger(__name__)

T = TypeVar("T")

CLASSIC_TOURNAMENT = 8

# numerapi's own ``dataset`` query (base_api.download_dataset), which answers a file URL.
DATASET_URL_QUERY = """
    query ($filename: String! $round: Int $tournament: Int) {
        dataset(filename: $filename round: $round tournament: $tournament)
    }
"""
ACCOUNT_QUERY = "query { account { username } }"

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


class _RoutedNumerAPI(numerapi.NumerAPI):
    """numerapi, with its GraphQL POST sent through numerpilot's transport."""

    def __init__(self, transport: Transport, credentials: Credentials | None):
        # numerapi calls logging.basicConfig() in its constructor; a placeholder handler on
        # the root logger makes that a no-op, so a library never configures logging.
        root = logging.getLogger()
        placeholder = logging.NullHandler() if not root.handlers else None
        if placeholder is not None:
            root.addHandler(placeholder)
        try:
            # numerapi's constructor has no annotations: an untyped call under --strict.
            super().__init__(show_progress_bars=False)  # type: ignore[no-untyped-call,unused-ignore]
        finally:
            if placeholder is not None:
                root.removeHandler(placeholder)
        # numerapi would also read NUMERAI_* itself; numerpilot's credentials module decides.
        # (numerapi infers the attribute's type from its first assignment, without None.)
        self.token = (credentials.public_id, credentials.secret_key) if credentials else None  # type: ignore[assignment]
        self._transport = transport

    def raw_query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        authorization: bool = False,
        *,
        retries: int = 3,
        delay: int = 5,
        backoff: int = 2,
    ) -> dict[str, Any]:
        # numerapi's retries/delay/backoff are ignored: the transport's policy applies.
        if authorization and self.token is None:
            raise CredentialsError(
                "this request needs Numerai API keys: set NUMERAI_PUBLIC_ID and "
                "NUMERAI_SECRET_KEY or run 'numerpilot init --public-id ...'"
            )
        return self._transport.query(query, variables, token=self.token if authorization else None)


class TournamentClient:
    """Typed access to the tournament API (Numerai's, or a local one)."""

    def __init__(
        self,
        *,
        api_url: str | None = None,
        credentials: Credentials | None = None,
        clock: Clock | None = None,  # default: real time, or a local tournament's own
        timeout: float = 60.0,
        retries: int = 4,
    ):
        # numerapi's module constant is read here, not at import, so code that points plain
        # numerapi somewhere (as numerapi's docs suggest) points this client there too.
        self.api_url = api_url or numerapi.base_api.API_TOURNAMENT_URL
        self.credentials = credentials
        secrets = credentials.secrets if credentials else ()
        self.transport = Transport(
            self.api_url,
            clock=clock or ServerTime(),
            timeout=timeout,
            retries=retries,
            secrets=secrets,
        )
        self.api = _RoutedNumerAPI(self.transport, credentials)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        credentials: Credentials | None = None,
        clock: Clock | None = None,
    ) -> TournamentClient:
        t = settings.tournament
        return cls(
            api_url=t.api_url,
            credentials=credentials,
            clock=clock,
            timeout=t.request_timeout_seconds,
            retries=t.retries,
        )

    @property
    def clock(self) -> Clock:
        """The time this client's tournament runs on (see ``ServerTime``)."""
        return self.transport.clock

    def sync_clock(self) -> None:
        """Against a local tournament on its own clock, follow that clock from the start (one
        query, whose answer carries the time); against Numerai, nothing."""
        clock = self.clock
        if isinstance(clock, ServerTime) and not clock.following and is_loopback(self.api_url):
            self.transport.query(PING_QUERY)

    def close(self) -> None:
        self.transport.session.close()

    def __enter__(self) -> TournamentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TournamentClient(api_url={self.api_url!r}, credentials={self.credentials!r})"

    @property
    def has_credentials(self) -> bool:
        return self.credentials is not None

    # -- the bridge for other tournament modules -----------------------------------------

    def call(self, what: str, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a numerapi method; what it raises on a malformed answer becomes a
        ``TournamentError`` naming ``what`` (numerpilot's own errors pass through)."""
        try:
            return method(*args, **kwargs)
        except (TournamentError, CredentialsError):
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
            detail = self.transport.scrub(f"{type(e).__name__}: {e}")
            raise TournamentError(
                f"{what}: unexpected answer from the tournament ({detail})"
            ) from None

    def query(
        self, query: str, variables: Mapping[str, Any] | None = None, *, authorization: bool = False
    ) -> dict[str, Any]:
        """A GraphQL query of numerpilot's own; returns the ``data`` object."""
        answer = self.api.raw_query(query, dict(variables or {}), authorization)
        data: dict[str, Any] = answer["data"]
        return data

    # -- health ---------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``TransientTournamentError`` if the API does not answer (one try only)."""
        ping(self.transport)

    def account_name(self) -> str:
        """The account the credentials belong to; ``CredentialsError`` if refused."""
        data = self.query(ACCOUNT_QUERY, authorization=True)
        account = data.get("account")
        if not isinstance(account, dict) or not isinstance(account.get("username"), str):
            raise TournamentError("account query answered without a username")
        return str(account["username"])

    # -- datasets -------------------------------------------------------------------------

    def list_datasets(self, round_num: int | None = None) -> list[str]:
        """Every dataset file the tournament offers, as ``VERSION/FILE`` names."""
        names = self.call("listDatasets", self.api.list_datasets, round_num)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise TournamentError("listDatasets answered something other than a list of names")
        return list(names)

    def dataset_versions(self) -> list[str]:
        """Dataset versions on offer (``v5.3``), sorted oldest first, newest last."""
        versions = {name.split("/", 1)[0] for name in self.list_datasets() if "/" in name}
        return sorted((v for v in versions if _VERSION.match(v)), key=version_key)

    def dataset_url(self, filename: str, round_num: int | None = None) -> str:
        """A URL the file ``VERSION/FILE`` can be downloaded from (it may expire)."""
        variables = {"filename": filename, "round": round_num, "tournament": CLASSIC_TOURNAMENT}
        url = self.query(DATASET_URL_QUERY, variables).get("dataset")
        if not isinstance(url, str) or not url:
            raise TournamentError(f"the tournament gave no download URL for {filename}")
        return url

    def download(
        self,
        filename: str,
        dest: Path,
        *,
        complete: Callable[[RemoteFile], bool] | None = None,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """Download ``VERSION/FILE`` to ``dest``, resuming a partial ``dest.temp``.

        ``complete(remote)`` may declare the existing ``dest`` up to date (it must exist
        then), given the size and ETag the server announces; the body is then not fetched.
        A connection lost midway is retried with backoff, resuming where it stopped.
        """

        def attempt() -> DownloadResult:
            url = self.dataset_url(filename)  # signed URLs expire: a fresh one per try
            return fetch(self.transport, url, filename, dest, complete=complete, progress=progress)

        return self.transport.retrying(f"download of {filename}", attempt)

    # -- rounds ---------------------------------------------------------------------------

    def current_round(self) -> RoundInfo | None:
        """The round open now, or None between rounds (the API then answers an error)."""
        try:
            data = self.query(CURRENT_ROUND_QUERY, {"tournament": CLASSIC_TOURNAMENT})
        except TournamentError as e:
            if isinstance(e, TransientTournamentError) or "not open" not in str(e).lower():
                raise
            return None
        return _first_round(data)

    def round(self, number: int) -> RoundInfo:
        data = self.query(ROUND_QUERY, {"tournament": CLASSIC_TOURNAMENT, "number": number})
        found = _first_round(data)
        if found is None:
            raise TournamentError(f"round {number} is unknown to the tournament")
        return found


def _first_round(data: dict[str, Any]) -> RoundInfo | None:
    rounds = data.get("rounds")
    if not isinstance(rounds, list):
        raise TournamentError("rounds query answered without a list of rounds")
    if not rounds or rounds[0] is None:
        return None
    if not isinstance(rounds[0], dict):
        raise TournamentError("rounds query answered a round that is not an object")
    return parse_round(rounds[0])


def version_key(version: str) -> tuple[int, int]:
    """Sort key of ``v5.3`` (numerically: v5.10 is newer than v5.9)."""
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"not a dataset version: {version!r}")
    return int(match.group(1)), int(match.group(2))


__all__ = ["CLASSIC_TOURNAMENT", "TournamentClient", "version_key"]
