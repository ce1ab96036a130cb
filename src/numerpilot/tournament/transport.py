"""How numerpilot talks HTTP to the tournament: timeouts, retries on the clock, typed errors.

numerapi's own transport (``utils.post_with_err_handling``) turns every failure into ``{}``,
so a refused key, a bad query and a passing 503 all look alike; it sleeps for real between
tries and sends its POSTs without a timeout; and it reads the endpoint from a module global
shared by every client in the process. This transport sends the very same request (body
``{"query", "variables"}``, header ``Authorization: Token PUBLIC_ID$SECRET_KEY``) to this
client's own URL, and tells the failures apart:

- connection errors, timeouts, 5xx and 429 -> ``TransientTournamentError``, retried here
  with exponential backoff on the injected clock; a mutation only when it surely did
  nothing (no connection was made, or 429/503), since repeating an applied one would
  apply it twice;
- 401/403, and GraphQL errors about keys or permissions -> ``CredentialsError``;
- everything else -> ``TournamentError``.

Every message is scrubbed of the credentials and of URL query strings (signed file URLs
carry temporary keys).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from numerpilot.clock import SERVER_CLOCK_HEADER, Clock, ServerTime, parse_server_clock
from numerpilot.credentials import redact
from numerpilot.errors import CredentialsError, TournamentError, TransientTournamentError
from numerpilot.tournament._retry import retry_on_clock

log = logging.getLogger(__name__)

T = TypeVar("T")

# The cheapest query: every GraphQL server answers it.
PING_QUERY = "query { __typename }"

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

# GraphQL error messages that mean "your key is wrong or may not do this". "token" alone is
# not enough: a syntax error says "unexpected token".
_AUTH_WORDS = re.compile(
    r"authenticat|authoriz|invalid token|api key|permission|credential|session is invalid|"
    r"not logged in|forbidden",
    re.IGNORECASE,
)


def safe_url(url: str) -> str:
    """``url`` without its query string and fragment (signed URLs carry keys there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (the local tournament's only home)."""
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def is_auth_message(message: str) -> bool:
    return bool(_AUTH_WORDS.search(message))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class RetryableStatus(TransientTournamentError):
    """A transient HTTP status, with the server's Retry-After hint."""

    def __init__(self, message: str, status: int, retry_after: float | None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class NotSent(TransientTournamentError):
    """No connection was made: the server cannot have acted on the request."""


class MaybeApplied(TransientTournamentError):
    """A mutation failed in a way that leaves it unknown whether the server applied it (a
    timeout, a 5xx other than 503): look at what the server has before sending it again."""


def safe_to_repeat(error: TransientTournamentError) -> bool:
    """Whether a failed mutation surely did nothing: it never left, or the server said
    "not now" (429, 503). After a timeout or another 5xx it may have been applied, and
    repeating it could, say, raise a stake twice; the caller must look before retrying."""
    if isinstance(error, NotSent):
        return True
    return isinstance(error, RetryableStatus) and error.status in (429, 503)


class Transport:
    """One tournament endpoint: GraphQL POSTs and file GETs with a timeout and retries."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        timeout: float,
        retries: int,
        secrets: tuple[str, ...] = (),
        session: requests.Session | None = None,
    ):
        self.url = url
        self.clock = clock
        self.timeout = timeout
        self.retries = retries
        self._secrets = secrets
        self.session = session or requests.Session()
        if isinstance(clock, ServerTime) and is_loopback(url):
            self.session.hooks["response"].append(self._follow_server_clock)

    def _follow_server_clock(self, response: requests.Response, *_: Any, **__: Any) -> None:
        """A local tournament on another clock than real time says so on every response."""
        value = response.headers.get(SERVER_CLOCK_HEADER)
        if value is None or not isinstance(self.clock, ServerTime):
            return
        try:
            when, speed = parse_server_clock(value)
        except ValueError as e:
            log.warning("ignoring the tournament's %s header: %s", SERVER_CLOCK_HEADER, e)
            return
        if not self.clock.following:
            log.info("following the local tournament's clock: %s, %g x real time", when, speed)
        self.clock.follow(when, speed)

    def scrub(self, text: str) -> str:
        """``text`` without credentials or URL query strings."""
        text = re.sub(r"(https?://[^\s?#'\"]+)\?[^\s'\"]*", r"\1", text)
        return redact(text, self._secrets)

    # -- retry policy ---------------------------------------------------------------------

    def retrying(
        self,
        what: str,
        call: Callable[[], T],
        *,
        retries: int | None = None,
        repeatable: Callable[[TransientTournamentError], bool] | None = None,
    ) -> T:
        """``call()``, retried on ``TransientTournamentError`` up to ``retries`` times (only
        the failures ``repeatable`` accepts, if given)."""
        return retry_on_clock(
            self.clock,
            what,
            lambda _try: call(),
            retries=self.retries if retries is None else retries,
            repeatable=repeatable,
            not_repeatable=MaybeApplied,
            retry_after=lambda e: e.retry_after if isinstance(e, RetryableStatus) else None,
            logger=log,
        )

    # -- GraphQL --------------------------------------------------------------------------

    def query(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: tuple[str, str] | None = None,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """POST one GraphQL query, with retries (``retries`` overrides the transport's); the
        parsed answer, which has a ``data`` object."""
        headers = {"Content-type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Token {token[0]}${token[1]}"
        body = {"query": query, "variables": dict(variables) if variables else None}
        mutation = query.lstrip().startswith("mutation")
        return self.retrying(
            f"tournament {'mutation' if mutation else 'query'} '{_operation_name(query)}'",
            lambda: self._post_once(body, headers, authorized=token is not None),
            retries=retries,
            repeatable=safe_to_repeat if mutation else None,
        )

    def _post_once(
        self, body: dict[str, Any], headers: dict[str, str], *, authorized: bool
    ) -> dict[str, Any]:
        where = safe_url(self.url)
        try:
            response = self.session.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except requests.Timeout:
            raise TransientTournamentError(
                f"no answer from {where} within {self.timeout:g} s"
            ) from None
        except requests.ConnectionError as e:
            kind = NotSent if _never_connected(e) else TransientTournamentError
            raise kind(self.scrub(f"cannot connect to {where}: {_reason(e)}")) from None
        except requests.RequestException as e:
            raise TournamentError(self.scrub(f"request to {where} failed: {e}")) from None
        with response:
            self.raise_for_status(response, where, authorized=authorized)
            try:
                answer = response.json()
            except (json.JSONDecodeError, requests.JSONDecodeError):
                raise TournamentError(
                    f"{where} answered HTTP {response.status_code} with something other than JSON"
                ) from None
        return self._check_answer(answer, where)

    def raise_for_status(
        self, response: requests.Response, where: str, *, authorized: bool
    ) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        text = self.scrub(_short(response.text))
        if status in TRANSIENT_STATUS:
            raise RetryableStatus(
                f"{where} answered HTTP {status} {text}".rstrip(), status, _retry_after(response)
            )
        if status in (401, 403) and authorized:
            raise CredentialsError(
                f"the tournament refused the API key (HTTP {status}); check NUMERAI_PUBLIC_ID "
                "and NUMERAI_SECRET_KEY or ~/.numerai/credentials.json"
            )
        raise TournamentError(f"{where} answered HTTP {status} {text}".rstrip())

    def _check_answer(self, answer: Any, where: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise TournamentError(f"{where} answered with JSON that is not an object")
        if "errors" in answer:
            messages = _error_messages(answer["errors"])
            text = self.scrub("; ".join(messages)) or "an error without a message"
            if is_auth_message(text):
                raise CredentialsError(f"the tournament refused the request: {text}")
            raise TournamentError(f"the tournament answered: {text}")
        if not isinstance(answer.get("data"), dict):
            raise TournamentError(f"{where} answered without a 'data' object")
        return answer


def ping(transport: Transport) -> None:
    """Raise ``TransientTournamentError`` if the endpoint does not answer. One try only: a
    health check should say so at once rather than back off for a minute."""
    try:
        transport.query(PING_QUERY, retries=0)
    except TransientTournamentError:
        raise
    except TournamentError:
        pass  # it answered, if only to refuse the query: it is reachable


def local_tournament_clock(url: str, timeout: float) -> ServerTime:
    """The clock a local tournament announces, read from one ping's answer, with the transport
    alone: neither numerapi nor the client is imported (``status`` stays quick). Its time is
    this machine's if the tournament does not answer (``TransientTournamentError`` raised)."""
    clock = ServerTime()
    transport = Transport(url, clock=clock, timeout=timeout, retries=0)
    try:
        ping(transport)
    finally:
        transport.session.close()
    return clock


def _operation_name(query: str) -> str:
    """The first field a query asks for (``listDatasets``), for messages."""
    body = query.split("{", 1)[1] if "{" in query else query
    match = re.search(r"[A-Za-z_]\w*", body)
    return match.group(0) if match else "query"


def _error_messages(errors: Any) -> list[str]:
    if isinstance(errors, list):
        return [str(e["message"]) for e in errors if isinstance(e, dict) and "message" in e]
    if isinstance(errors, dict) and "detail" in errors:
        return [str(errors["detail"])]
    return []


def _never_connected(error: requests.ConnectionError) -> bool:
    """Refused, unresolvable or timed out while connecting: nothing was sent."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _reason(error: requests.ConnectionError) -> str:
    """The innermost reason of a connection error, without urllib3's long wrapper text."""
    text = str(error)
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return match.group(1).strip() if match else _short(text)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "TRANSIENT_STATUS",
    "MaybeApplied",
    "NotSent",
    "RetryableStatus",
    "Transport",
    "is_auth_message",
    "safe_to_repeat",
    "safe_url",
]
