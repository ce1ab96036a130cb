"""``data/VERSION/manifest.json``: the size and sha256 of every downloaded file.

Written (atomically) after each file completes, so an interrupted download keeps what it
finished. Read before a file is used: a file whose size differs, or whose content changed
since it was recorded, is a ``DataError`` rather than silently different data.

Re-hashing a 8 GB file takes seconds, so ``check_file`` (used on every load) trusts the hash
while the file's size and modification time are the ones recorded with it, and re-hashes as
soon as either differs; ``verify(..., full=True)`` always re-hashes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from numerpilot.errors import DataError
from numerpilot.fsutil import sha256_file, write_text_atomic

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class FileRecord:
    size: int
    sha256: str
    mtime_ns: int
    etag: str | None = None


@dataclass
class DatasetManifest:
    version: str
    files: dict[str, FileRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        files = {name: asdict(rec) for name, rec in sorted(self.files.items())}
        return json.dumps({"version": self.version, "files": files}, indent=2) + "\n"


def manifest_path(version_dir: Path) -> Path:
    return version_dir / MANIFEST_NAME


def read_dataset_manifest(version_dir: Path) -> DatasetManifest:
    """The manifest of ``version_dir`` (an empty one if there is none yet)."""
    path = manifest_path(version_dir)
    if not path.exists():
        return DatasetManifest(version_dir.name)
    where = str(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        files = {
            str(name): FileRecord(
                size=int(rec["size"]),
                sha256=str(rec["sha256"]),
                mtime_ns=int(rec["mtime_ns"]),
                etag=None if rec.get("etag") is None else str(rec["etag"]),
            )
            for name, rec in raw["files"].items()
        }
        return DatasetManifest(str(raw.get("version", version_dir.name)), files)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(
            f"{where} is not readable ({e}); delete it to rebuild", path=where
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise DataError(
            f"{where} is malformed ({type(e).__name__}: {e}); delete it to rebuild", path=where
        ) from None


def write_dataset_manifest(version_dir: Path, manifest: DatasetManifest) -> None:
    write_text_atomic(manifest_path(version_dir), manifest.to_json())


def record_for(path: Path, sha256: str | None = None, etag: str | None = None) -> FileRecord:
    """A record of ``path`` as it is now (hashing it unless ``sha256`` is given)."""
    stat = path.stat()
    digest = sha256 if sha256 is not None else sha256_file(path)
    return FileRecord(size=stat.st_size, sha256=digest, mtime_ns=stat.st_mtime_ns, etag=etag)


def matches(path: Path, record: FileRecord, *, full: bool) -> bool:
    """Whether ``path`` still holds what ``record`` describes. Not ``full``: the content is
    only re-hashed if the size or modification time differ from the record's."""
    if not path.exists():
        return False
    stat = path.stat()
    if stat.st_size != record.size:
        return False
    if not full and stat.st_mtime_ns == record.mtime_ns:
        return True
    return sha256_file(path) == record.sha256


def check_file(path: Path) -> None:
    """Before ``path`` is used: if a manifest beside it records it, it must still match.
    Files no manifest knows (synthetic data, copies) are used as they are."""
    manifest = read_dataset_manifest(path.parent)
    record = manifest.files.get(path.name)
    if record is None:
        return
    if not matches(path, record, full=False):
        raise DataError(_changed(path, record), path=str(path))
    if path.stat().st_mtime_ns != record.mtime_ns:
        # Touched but unchanged (copied, restored): remember the new time to hash only once.
        manifest.files[path.name] = record_for(path, record.sha256, record.etag)
        write_dataset_manifest(path.parent, manifest)


def verify(
    version_dir: Path, names: Iterable[str] | None = None, *, full: bool = True
) -> list[str]:
    """Re-check the recorded files of ``version_dir`` (or ``names`` of them); the names that
    were checked. ``DataError`` for the first file that is missing or changed."""
    manifest = read_dataset_manifest(version_dir)
    wanted = list(manifest.files) if names is None else list(names)
    for name in wanted:
        path = version_dir / name
        record = manifest.files.get(name)
        if record is None:
            raise DataError(
                f"{path} is not in {manifest_path(version_dir)}; run 'numerpilot data download'",
                path=str(path),
            )
        if not path.exists():
            raise DataError(f"{path} is missing; run 'numerpilot data download'", path=str(path))
        if not matches(path, record, full=full):
            raise DataError(_changed(path, record), path=str(path))
    return wanted


def _changed(path: Path, record: FileRecord) -> str:
    size = path.stat().st_size if path.exists() else None
    what = (
        f"its size is {size:,} bytes, the manifest says {record.size:,}"
        if size != record.size
        else "its sha256 differs from the manifest"
    )
    return f"{path} changed since it was downloaded ({what}); run 'numerpilot data download' again"


__all__ = [
    "MANIFEST_NAME",
    "DatasetManifest",
    "FileRecord",
    "check_file",
    "manifest_path",
    "matches",
    "read_dataset_manifest",
    "record_for",
    "verify",
    "write_dataset_manifest",
]
