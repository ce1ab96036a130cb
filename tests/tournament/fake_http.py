"""A fake HTTP layer for unit tests of ``tournament/``: a ``requests.Session`` stand-in that
answers from a script (responses or exceptions, in order) and then from GraphQL handlers
keyed by a word of the query. No socket, no thread, no real time: the client runs on a
``SteppedClock``, so every backoff is a step of that clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from numerpilot.clock import SteppedClock
from numerpilot.credentials import Credentials
from numerpilot.tournament.client import TournamentClient

URL = "https://api.example.test/graphql"
PUBLIC_ID = "PUBLICIDPUBLICIDPUBLICID"
SECRET_KEY = "SECRETKEYSECRETKEYSECRETKEYSECRET"

Outcome = requests.Response | Exception
Handler = Callable[[dict[str, Any]], Outcome]  # the GraphQL variables -> an answer


def response(
    status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = b"" if body is None else json.dumps(body).encode()
    r._content_consumed = True  # the body is all there: closing has no connection to free
    r.headers.update(headers or {})
    r.encoding = "utf-8"
    return r


def data(**fields: Any) -> requests.Response:
    return response(200, {"data": fields})


def errors(*messages: str) -> requests.Response:
    return response(200, {"errors": [{"message": m} for m in messages], "data": None})


@dataclass
class Call:
    method: str
    url: str
    query: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None


@dataclass
class FakeSession:
    script: list[Outcome] = field(default_factory=list)  # consumed first, one per request
    graphql: dict[str, Handler] = field(default_factory=dict)  # word in the query -> handler
    puts: list[Outcome] = field(default_factory=list)  # answers to PUTs (default: 200)
    calls: list[Call] = field(default_factory=list)
    hooks: dict[str, list[Any]] = field(default_factory=lambda: {"response": []})

    def post(
        self, url: str, *, json: dict[str, Any], headers: dict[str, str], timeout: float
    ) -> requests.Response:
        query = str(json.get("query") or "")
        self.calls.append(
            Call("POST", url, query, dict(json.get("variables") or {}), headers, timeout)
        )
        if self.script:
            return _give(self.script.pop(0))
        for word, handler in self.graphql.items():
            if word in query:
                return _give(handler(dict(json.get("variables") or {})))
        raise AssertionError(f"no fake answer for {query!r}")

    def put(self, url: str, *, data: bytes, timeout: float) -> requests.Response:
        self.calls.append(Call("PUT", url, timeout=timeout))
        return _give(self.puts.pop(0)) if self.puts else response(200)

    def posts(self, word: str) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and word in c.query]

    def close(self) -> None:
        pass


def _give(outcome: Outcome) -> requests.Response:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def client_with(
    session: FakeSession, clock: SteppedClock, *, retries: int = 2, timeout: float = 10.0
) -> TournamentClient:
    """A real ``TournamentClient`` (numerapi inside) whose transport uses ``session``."""
    client = TournamentClient(
        api_url=URL,
        credentials=Credentials(PUBLIC_ID, SECRET_KEY),
        clock=clock,
        timeout=timeout,
        retries=retries,
    )
    client.transport.session = session  # type: ignore[assignment]
    return client


__all__ = [
    "PUBLIC_ID",
    "SECRET_KEY",
    "URL",
    "Call",
    "FakeSession",
    "client_with",
    "data",
    "errors",
    "response",
]
