"""Plain HTTP beside the GraphQL endpoint: dataset files, presigned PUTs, submission downloads.

Dataset files answer GET and HEAD with Content-Length and honour ``Range`` (206), which
numerapi's resume and its fsspec path (``filters=``) rely on. A "truncated download" fault
declares the full length, sends part of it and drops the connection, as a flaky network does.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from numerpilot.sim._faults import Decision, Faults
from numerpilot.sim._httpfaults import delay_or_fail


class FileServer(Protocol):
    """What the file routes need from the tournament (``SimServer`` is one)."""

    faults: Faults

    def dataset_path(self, relative: str) -> Path | None: ...

    def receive_upload(self, token: str, data: bytes, drop: bool) -> str | None: ...

    def submission_file(self, submission_id: str, signature: str) -> Path | None: ...


_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_CHUNK = 1 << 16


def _s3_error(code: str, message: str, status: int) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


def _sim(request: Request) -> FileServer:
    server: FileServer = request.app.state.sim
    return server


async def _read_span(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        left = length
        while left > 0:
            block = f.read(min(_CHUNK, left))
            if not block:
                return
            left -= len(block)
            yield block


def _truncated(request: Request, path: Path, fraction: float) -> Response:
    """Declare the whole (range of the) file but send only ``fraction`` of it."""
    size = path.stat().st_size
    start, end = 0, size - 1
    status = 200
    headers = {"accept-ranges": "bytes"}
    if (m := _RANGE.match(request.headers.get("range", ""))) and int(m.group(1)) < size:
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        status = 206
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    length = end - start + 1
    headers["content-length"] = str(length)
    sent = int(length * fraction)
    return StreamingResponse(
        _read_span(path, start, sent),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )


async def dataset_file(request: Request) -> Response:
    server = _sim(request)
    path = server.dataset_path(request.path_params["path"])
    decision = server.faults.decide("download")
    if (failure := await delay_or_fail(decision)) is not None:
        return failure
    if path is None:
        return _s3_error("NoSuchKey", "The specified key does not exist.", 404)
    if decision.truncate_fraction is not None and request.method == "GET":
        return _truncated(request, path, decision.truncate_fraction)
    return FileResponse(path, media_type="application/octet-stream")


async def upload(request: Request) -> Response:
    server = _sim(request)
    decision: Decision = server.faults.decide("upload")
    if (failure := await delay_or_fail(decision)) is not None:
        return failure
    data = await request.body()
    refusal = await run_in_threadpool(
        server.receive_upload, request.path_params["token"], data, decision.drop
    )
    if refusal is not None:
        return _s3_error("AccessDenied", refusal, 403)
    return Response(status_code=200)


async def submission_download(request: Request) -> Response:
    server = _sim(request)
    if (failure := await delay_or_fail(server.faults.decide("submission_download"))) is not None:
        return failure
    path = server.submission_file(
        request.path_params["submission_id"], request.query_params.get("signature", "")
    )
    if path is None:
        return _s3_error("AccessDenied", "Access Denied", 403)
    return FileResponse(path, media_type="text/csv")


__all__ = ["FileServer", "dataset_file", "submission_download", "upload"]
