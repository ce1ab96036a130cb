"""``numerpilot data download``: a dataset version's files into ``data/VERSION/FILE``.

Through the tournament client: the newest version ``listDatasets`` offers unless one is
pinned; each file resumed if a partial exists, skipped if complete. "Complete" means the
local file has the size the server announces, the same ETag if both sides know one (live
files keep their name from round to round), and still the sha256 recorded when it was
downloaded. Each finished file's size and sha256 go into ``manifest.json`` at once, so an
interrupted run keeps what it finished.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from numerpilot.data.manifest import (
    DatasetManifest,
    matches,
    read_dataset_manifest,
    record_for,
    write_dataset_manifest,
)
from numerpilot.errors import ConfigError, TournamentError
from numerpilot.tournament import RemoteFile, TournamentClient, version_key

log = logging.getLogger(__name__)

Status = Literal["downloaded", "resumed", "skipped", "unavailable"]

FileProgress = Callable[[str, int, int | None], None]
"""Called with (file name, bytes on disk so far, total bytes or None)."""


@dataclass(frozen=True)
class FileOutcome:
    name: str
    status: Status
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class DownloadSummary:
    version: str
    directory: Path
    files: list[FileOutcome]

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "directory": str(self.directory),
            "files": [vars(f) for f in self.files],
        }


def choose_version(listing: Sequence[str], pinned: str | None) -> str:
    """The pinned version if the tournament offers it, else the newest it offers."""
    versions = sorted(
        {name.split("/", 1)[0] for name in listing if "/" in name and _is_version(name)},
        key=version_key,
    )
    if not versions:
        raise TournamentError("the tournament lists no dataset versions")
    if pinned is None:
        return versions[-1]
    if pinned not in versions:
        raise ConfigError(
            f"setting 'data.version': {pinned} is not offered by the tournament "
            f"(offered: {', '.join(versions)})"
        )
    return pinned


def download_dataset(
    client: TournamentClient,
    data_dir: Path,
    *,
    files: Sequence[str],
    version: str | None = None,
    strict: bool = False,
    progress: FileProgress | None = None,
) -> DownloadSummary:
    """Download ``files`` of ``version`` (default: the newest) into ``data_dir/VERSION``.

    A file the version does not offer is reported as ``unavailable`` (older versions lack
    some files) or, if ``strict`` (the files were asked for by name), a ``ConfigError``.
    """
    for name in files:
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ConfigError(f"setting 'data.files': {name!r} is not a plain file name")
    listing = client.list_datasets()
    version = choose_version(listing, version)
    offered = sorted(n.split("/", 1)[1] for n in listing if n.startswith(version + "/"))
    missing = [name for name in files if name not in offered]
    if missing and strict:
        close = difflib.get_close_matches(missing[0], offered, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(
            f"{version} has no file {missing[0]!r}{hint} (offered: {', '.join(offered)})"
        )
    directory = data_dir / version
    directory.mkdir(parents=True, exist_ok=True)
    manifest = read_dataset_manifest(directory)
    outcomes: list[FileOutcome] = []
    for name in files:
        if name in missing:
            log.warning("%s does not offer %s; skipped", version, name)
            outcomes.append(FileOutcome(name, "unavailable"))
            continue
        outcomes.append(_one(client, directory, version, name, manifest, progress))
    return DownloadSummary(version, directory, outcomes)


def _one(
    client: TournamentClient,
    directory: Path,
    version: str,
    name: str,
    manifest: DatasetManifest,
    progress: FileProgress | None,
) -> FileOutcome:
    dest = directory / name
    record = manifest.files.get(name)

    def complete(remote: RemoteFile) -> bool:
        if not dest.exists():
            return False
        size = dest.stat().st_size
        if remote.size is not None and size != remote.size:
            return False
        if record is None:
            # Fetched by other means (numerapi itself): the size agrees; adopt it below.
            return remote.size is not None
        if record.etag and remote.etag and record.etag != remote.etag:
            return False
        if matches(dest, record, full=True):
            return True
        log.warning("%s differs from its manifest entry; downloading it again", dest)
        return False

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress(name, done, total)

    result = client.download(f"{version}/{name}", dest, complete=complete, progress=report)
    if result.skipped and record is not None:
        return FileOutcome(name, "skipped", record.size, record.sha256)
    manifest.files[name] = record_for(dest, result.sha256, result.etag)
    write_dataset_manifest(directory, manifest)
    entry = manifest.files[name]
    if result.skipped:
        status: Status = "skipped"
    else:
        status = "resumed" if result.resumed_from else "downloaded"
    return FileOutcome(name, status, entry.size, entry.sha256)


def _is_version(name: str) -> bool:
    try:
        version_key(name.split("/", 1)[0])
    except ValueError:
        return False
    return True


__all__ = [
    "DownloadSummary",
    "FileOutcome",
    "FileProgress",
    "choose_version",
    "download_dataset",
]
