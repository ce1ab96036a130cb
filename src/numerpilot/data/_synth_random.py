"""Seeded random streams and stock ids for the synthetic world.

Every random draw comes from ``SeedSequence([seed, stream, ...])``, so any era can be drawn on
its own, in any order, with the same result.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from functools import cache

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController


class Stream(IntEnum):
    """Independent random streams: ``SeedSequence([seed, stream, ...])``.

    Streams 1 and 6 belong to ``synth_layout`` (feature sets, row counts).
    """

    STRUCTURE = 2
    CALIBRATION = 3
    ERA = 4
    WEEK = 5
    REGIME = 7
    MISSING = 8
    IDS = 9


_BLAS_LOCK = threading.Lock()


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread for the block. The world's matrix products are small and many;
    BLAS threads spinning on a shared machine make them several times slower. The lock keeps
    threads (the local tournament draws eras from several) from restoring each other's limits.
    """
    with _BLAS_LOCK, _controller().limit(limits=1, user_api="blas"):
        yield


def seeded(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(k) for k in key]))


def percentile_rank(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """Ranks mapped into (0, 1); ``x`` is continuous, so ties do not occur."""
    n = len(x)
    ranks = np.empty(n, dtype=np.float32)
    ranks[np.argsort(x)] = (np.arange(n, dtype=np.float32) + np.float32(0.5)) / np.float32(n)
    return ranks


_MASK60 = np.uint64((1 << 60) - 1)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def stock_ids(seed: int, era_index: int, n: int) -> npt.NDArray[np.str_]:
    """Ids ``n`` + 15 hex digits: a keyed bijection of (era, row), so ids never repeat."""
    key = seeded(seed, Stream.IDS).integers(0, 1 << 60, size=3, dtype=np.uint64)
    x = (np.uint64(era_index) << np.uint64(20)) + np.arange(n, dtype=np.uint64)
    x = x ^ key[0]
    # Each step is a bijection of [0, 2**60): odd multiplier mod 2**60, xor-shift, xor.
    x = (x * np.uint64(0x9E3779B97F4A7C15)) & _MASK60
    x ^= x >> np.uint64(29)
    x = (x * np.uint64(0xBF58476D1CE4E5B9)) & _MASK60
    x ^= x >> np.uint64(31)
    x ^= key[1]
    x = (x * (key[2] | np.uint64(1))) & _MASK60
    x ^= x >> np.uint64(27)
    shifts = np.arange(56, -1, -4, dtype=np.uint64)
    digits = _HEX[((x[:, None] >> shifts) & np.uint64(15)).astype(np.intp)]
    chars = np.concatenate([np.full((n, 1), ord("n"), dtype=np.uint8), digits], axis=1)
    return np.ascontiguousarray(chars).view("S16").ravel().astype("U16")


__all__ = ["Stream", "percentile_rank", "seeded", "single_threaded_blas", "stock_ids"]
