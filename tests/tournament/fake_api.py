"""A tiny tournament on loopback for client and download tests.

It answers the GraphQL queries numerapi and the client send (listDatasets, dataset, rounds,
account, __typename) and serves files with Content-Length, ETag, Range/206 and If-Range.
Faults are queued per request: an HTTP status, a GraphQL error, a truncated body.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PUBLIC_ID = "PUBLICIDPUBLICIDPUBLICID"
SECRET_KEY = "SECRETKEYSECRETKEYSECRETKEYSECRET"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None = None


@dataclass
class FakeTournament:
    files: dict[str, bytes] = field(default_factory=dict)
    rounds: list[dict[str, Any] | None] = field(default_factory=list)
    round_error: str | None = None
    username: str = "pilot"
    # Faults, consumed one per request of that kind.
    post_statuses: list[int] = field(default_factory=list)
    post_errors: list[str] = field(default_factory=list)
    get_statuses: list[int] = field(default_factory=list)
    truncate_gets: list[int] = field(default_factory=list)  # bytes to send before closing
    ignore_range: bool = False
    mutations: int = 0  # mutations answered (applied)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def etag(self, name: str) -> str:
        return '"' + hashlib.sha1(self.files[name]).hexdigest() + '"'

    def posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]

    def gets(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "GET"]

    # -- GraphQL ----------------------------------------------------------------------------

    def answer(self, body: dict[str, Any], auth: str | None) -> tuple[int, Any]:
        with self.lock:
            if self.post_statuses:
                return self.post_statuses.pop(0), {"detail": "injected"}
            if self.post_errors:
                return 200, {"errors": [{"message": self.post_errors.pop(0)}], "data": None}
        query: str = body["query"]
        variables = body.get("variables") or {}
        if query.lstrip().startswith("mutation"):
            with self.lock:
                self.mutations += 1
            return 200, {"data": {"changeStake": {"status": "ok"}}}
        if "__typename" in query:
            return 200, {"data": {"__typename": "RootQueryType"}}
        if "listDatasets" in query:
            return 200, {"data": {"listDatasets": sorted(self.files)}}
        if "dataset(" in query:
            name = variables["filename"]
            if name not in self.files:
                return 200, {"errors": [{"message": f"{name} not found"}], "data": None}
            return 200, {"data": {"dataset": f"{self.url}/files/{name}?X-Amz-Signature=abc"}}
        if "rounds(" in query:
            if self.round_error:
                return 200, {"errors": [{"message": self.round_error}], "data": None}
            return 200, {"data": {"rounds": self.rounds}}
        if "account" in query:
            if auth != f"Token {PUBLIC_ID}${SECRET_KEY}":
                return 200, {"errors": [{"message": "You must be authenticated"}], "data": None}
            return 200, {"data": {"account": {"username": self.username}}}
        return 200, {"errors": [{"message": "unknown query"}], "data": None}


def _handler(fake: FakeTournament) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # small answers would wait 40 ms for delayed ACKs

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            fake.seen.append(Seen("POST", self.path, dict(self.headers), body))
            status, answer = fake.answer(body, self.headers.get("Authorization"))
            payload = json.dumps(answer).encode()
            self._send(
                status,
                payload,
                {"Content-Type": "application/json", "Content-Length": str(len(payload))},
            )

        def do_GET(self) -> None:
            fake.seen.append(Seen("GET", self.path, dict(self.headers)))
            name = self.path.split("?", 1)[0].removeprefix("/files/")
            with fake.lock:
                status = fake.get_statuses.pop(0) if fake.get_statuses else None
                truncate = fake.truncate_gets.pop(0) if fake.truncate_gets else None
            if status is not None:
                self._send(status, b"", {"Content-Length": "0"})
                return
            if name not in fake.files:
                self._send(404, b"", {"Content-Length": "0"})
                return
            data = fake.files[name]
            etag = fake.etag(name)
            start = 0
            wanted = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if wanted and not fake.ignore_range and (if_range is None or if_range == etag):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
            body = data[start:]
            headers = {"Content-Length": str(len(body)), "ETag": etag}
            code = 200
            if start:
                code = 206
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            self.send_response(code)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if truncate is not None:
                self.wfile.write(body[:truncate])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading early (a skipped download) resets the connection:
        # expected here, not worth a traceback on stderr.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(fake: FakeTournament) -> Iterator[FakeTournament]:
    server = _Server(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
