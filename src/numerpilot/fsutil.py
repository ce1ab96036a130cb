"""Writing files so that a reader never sees half of one: temporary name, then rename.

A write that fails for lack of space (or of permission) becomes ``StorageError`` naming the
file and the space it needs, so a full disk is one clear line, never a traceback.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from numerpilot.errors import StorageError

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
WRITE_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def free_bytes(path: Path) -> int | None:
    """Free space of the file system holding ``path`` (or its nearest existing parent)."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def storage_error(error: OSError, path: Path, needed_bytes: int | None = None) -> StorageError:
    """What to raise when writing ``path`` failed with ``error`` (a full disk or a refusal)."""
    if error.errno in WRITE_REFUSED:
        reason = error.strerror or "permission denied"
        return StorageError(f"cannot write {path}: {reason}", path=str(path))
    free = free_bytes(path)
    need = f"{needed_bytes:,} bytes needed" if needed_bytes is not None else "more space needed"
    has = f", {free:,} bytes free" if free is not None else ""
    return StorageError(
        f"no space left on the disk to write {path}: {need}{has}; free some space and run "
        "the command again",
        path=str(path),
        needed_bytes=needed_bytes,
    )


@contextmanager
def storage_errors(path: Path, needed_bytes: int | None = None) -> Iterator[None]:
    """Turn a full disk or a refused write inside the block into ``StorageError``."""
    try:
        yield
    except OSError as e:
        if e.errno in DISK_FULL or e.errno in WRITE_REFUSED:
            raise storage_error(e, path, needed_bytes) from None
        raise


@contextmanager
def atomic_path(path: Path, *, needed_bytes: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place if the block succeeds.
    A full disk is ``StorageError`` naming ``path`` (and ``needed_bytes`` when known)."""
    with storage_errors(path, needed_bytes):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            yield tmp_path
            os.replace(tmp_path, path)
        finally:
            tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` if the block succeeds.
    A full disk is ``StorageError`` naming ``path``."""
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
        try:
            yield tmp
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                os.replace(path, old)
                os.replace(tmp, path)
                _rmtree(old)
            else:
                os.replace(tmp, path)
        finally:
            if tmp.exists():
                _rmtree(tmp)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path, needed_bytes=len(data)) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "DISK_FULL",
    "WRITE_REFUSED",
    "atomic_dir",
    "atomic_path",
    "free_bytes",
    "sha256_file",
    "storage_error",
    "storage_errors",
    "write_bytes_atomic",
    "write_text_atomic",
]
