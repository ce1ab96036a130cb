"""Dataset files behind an fsspec URL (``file://``, ``s3://``, ``gs://``, ``memory://`` ...).

A Dask cluster's workers may not share the client's disk; they can all see an object store or
a shared mount. Reads go through fsspec (which dask brings) with pyarrow reading from the
file object, so any protocol fsspec knows and has its package for works; others fail with one
line naming the setting and the package to install.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from numerpilot.errors import ConfigError, DataError, short

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

Source = Path | str  # a local path, or an fsspec URL


def is_url(source: Source) -> bool:
    return isinstance(source, str) and "://" in source


def url_filesystem(url: str, setting: str) -> tuple[AbstractFileSystem, str]:
    """The filesystem and path of ``url``; a ``ConfigError`` naming ``setting`` if fsspec
    does not know the protocol or its package is not installed."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        protocol = url.split("://", 1)[0]
        raise ConfigError(
            f"setting '{setting}': cannot open {url}: protocol {protocol!r} is not available "
            f"({short(e, 120)})"
        ) from None
    return fs, str(path)


def url_size(url: str, setting: str) -> int:
    """The size of the file at ``url``; ``ConfigError`` naming ``setting`` if it is not there."""
    fs, path = url_filesystem(url, setting)
    try:
        return int(fs.size(path))
    except (OSError, ValueError) as e:
        raise ConfigError(f"setting '{setting}': cannot open {url}: {short(e, 120)}") from None


def open_url(url: str) -> IO[bytes]:
    """``url`` opened for reading; ``DataError`` naming it if that fails."""
    fs, path = url_filesystem(url, "data URL")
    try:
        handle: IO[bytes] = fs.open(path, "rb")
    except (OSError, ValueError) as e:
        raise DataError(f"cannot open {url}: {short(e, 120)}", path=url) from None
    return handle


def source_name(source: Source) -> str:
    """The file name of a path or URL (for messages and suffix checks)."""
    return PurePosixPath(str(source).split("://", 1)[-1]).name


__all__ = ["Source", "is_url", "open_url", "source_name", "url_filesystem", "url_size"]
