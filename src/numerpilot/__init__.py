"""numerpilot: an autopilot for the Numerai tournament."""

from functools import cache


@cache
def _version() -> str:
    # importlib.metadata costs a noticeable share of the CLI's start-up: read on first use.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("numerpilot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'numerpilot' has no attribute {name!r}")


__all__ = ["__version__"]
