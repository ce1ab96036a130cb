"""Fetching one dataset file over HTTP: resumable, hashed while it streams, never half-used.

The partial download lives at ``FILE.temp`` (numerapi's convention, so a partial left by
numerapi's own client is resumed too) and is renamed into place only once it has the size
the server announced. A resume asks for the rest with ``Range``; the ETag seen when the
partial was started is kept beside it (``FILE.temp.etag``) and sent as ``If-Range``, so a
file that changed upstream in between (live data changes every round) is fetched again
whole instead of being stitched from two versions.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from numerpilot.errors import TournamentError, TransientTournamentError
from numerpilot.fsutil import storage_errors
from numerpilot.tournament.transport import Transport, safe_url

# Bytes read per write: what a dropped connection can lose of the current try.
CHUNK_BYTES = 1 << 16

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes on disk so far, total bytes or None if the server does not say)."""


@dataclass(frozen=True)
class RemoteFile:
    """What the server says about a file before its body is read."""

    filename: str
    size: int | None
    etag: str | None


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    etag: str | None
    skipped: bool
    resumed_from: int = 0
    sha256: str | None = None  # None when skipped: the caller already knows the file


def temp_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".temp")


def _etag_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".temp.etag")


def fetch(
    transport: Transport,
    url: str,
    remote_name: str,
    dest: Path,
    *,
    complete: Callable[[RemoteFile], bool] | None = None,
    progress: ProgressCallback | None = None,
) -> DownloadResult:
    """Download ``url`` to ``dest`` once (no retries here; the caller retries)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    response = _get(transport, url, remote_name)
    try:
        remote = RemoteFile(remote_name, _content_length(response), response.headers.get("ETag"))
        if complete is not None and complete(remote):
            size = dest.stat().st_size
            if progress:
                progress(size, size)
            return DownloadResult(dest, size, remote.etag, skipped=True)
        temp = temp_path(dest)
        offset = _resumable_bytes(temp, remote)
        if offset:
            response.close()
            response = _get(transport, url, remote_name, offset=offset, if_range=remote.etag)
            if response.status_code == 200:  # the server ignored the range or the file changed
                offset = 0
            elif not _range_starts_at(response, offset):
                raise TransientTournamentError(
                    f"{remote_name}: the server resumed at the wrong byte"
                )
        total = remote.size
        digest = _hash_prefix(temp, offset)
        # A full disk names the file and what is left to fetch; the partial stays to resume.
        needed = None if total is None else total - offset
        with storage_errors(dest, needed):
            if offset == 0 and remote.etag:
                _etag_path(dest).write_text(remote.etag, encoding="utf-8")
            elif offset == 0:
                _etag_path(dest).unlink(missing_ok=True)
        written = offset
        if progress:
            progress(written, total)
        try:
            with storage_errors(dest, needed), temp.open("ab" if offset else "wb") as out:
                for chunk in response.iter_content(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                    if progress:
                        progress(written, total)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as e:
            raise TransientTournamentError(
                transport.scrub(f"{remote_name}: connection lost after {written} bytes: {e}")
            ) from None
    finally:
        response.close()
    if total is not None and written != total:
        # The partial stays on disk: the next try resumes it.
        raise TransientTournamentError(
            f"{remote_name}: connection closed after {written} of {total} bytes"
        )
    os.replace(temp, dest)
    _etag_path(dest).unlink(missing_ok=True)
    return DownloadResult(
        dest, written, remote.etag, skipped=False, resumed_from=offset, sha256=digest.hexdigest()
    )


def _get(
    transport: Transport,
    url: str,
    remote_name: str,
    *,
    offset: int = 0,
    if_range: str | None = None,
) -> requests.Response:
    headers: dict[str, str] = {}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if if_range:
            headers["If-Range"] = if_range
    where = f"{remote_name} at {safe_url(url)}"
    try:
        response = transport.session.get(
            url, headers=headers, stream=True, timeout=transport.timeout
        )
    except requests.Timeout:
        raise TransientTournamentError(
            f"{where}: no answer within {transport.timeout:g} s"
        ) from None
    except requests.ConnectionError as e:
        raise TransientTournamentError(transport.scrub(f"{where}: cannot connect: {e}")) from None
    except requests.RequestException as e:
        raise TournamentError(transport.scrub(f"{where}: request failed: {e}")) from None
    if response.status_code not in (200, 206):
        with response:
            # A signed file URL is not a key check: 403 means the link expired or is wrong.
            transport.raise_for_status(response, where, authorized=False)
            raise TournamentError(f"{where}: unexpected HTTP {response.status_code}")
    return response


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if response.status_code == 206:
        match = re.match(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range", ""))
        return int(match.group(1)) if match else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _resumable_bytes(temp: Path, remote: RemoteFile) -> int:
    """How much of ``temp`` can be kept: nothing unless it is a prefix of this same file."""
    if not temp.exists():
        return 0
    size = temp.stat().st_size
    if remote.size is None or size == 0 or size >= remote.size:
        return 0
    etag_file = temp.with_name(temp.name + ".etag")
    if remote.etag and etag_file.exists() and etag_file.read_text(encoding="utf-8") != remote.etag:
        return 0
    return size


def _range_starts_at(response: requests.Response, offset: int) -> bool:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return response.status_code == 206 and match is not None and int(match.group(1)) == offset


def _hash_prefix(temp: Path, offset: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    if offset:
        with temp.open("rb") as f:
            remaining = offset
            while remaining and (block := f.read(min(CHUNK_BYTES, remaining))):
                digest.update(block)
                remaining -= len(block)
    return digest


__all__ = ["DownloadResult", "ProgressCallback", "RemoteFile", "fetch", "temp_path"]
