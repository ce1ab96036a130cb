"""``Dataset``: loaded rows as compact numpy arrays.

Features are one int8 (n, f) C-contiguous matrix, targets one float32 (n, t) matrix with NaN
kept. Per-row strings are what costs memory in Python (a 16-character id as a ``str`` object
takes about 80 bytes, five times a row of the small feature set), so eras and data types
are held as integer codes into a few labels, and ids as one Arrow string array; the numpy
string arrays ``ids``, ``eras`` and ``data_type`` are made on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa


class Dataset:
    """Rows of one dataset file: ids, eras, data types, int8 features, float32 targets."""

    def __init__(
        self,
        *,
        ids: Sequence[str] | npt.NDArray[Any] | pa.Array | pa.ChunkedArray,
        eras: Sequence[str] | npt.NDArray[Any],
        features: npt.NDArray[np.int8],
        feature_names: Sequence[str],
        targets: npt.NDArray[np.float32] | None = None,
        target_names: Sequence[str] = (),
        data_type: Sequence[str] | npt.NDArray[Any] | None = None,
        source: str = "",
    ):
        """Build from plain arrays (tests, other producers). The loader uses ``from_codes``."""
        era_labels, era_codes = np.unique(np.asarray(eras, dtype=str), return_inverse=True)
        n = len(era_codes)
        if data_type is None:
            type_labels, type_codes = np.array([""]), np.zeros(n, dtype=np.int8)
        else:
            type_labels, inverse = np.unique(np.asarray(data_type, dtype=str), return_inverse=True)
            type_codes = inverse.astype(np.int8)
        if targets is None:
            targets = np.empty((n, len(target_names)), dtype=np.float32)
        self._init(
            ids=ids
            if isinstance(ids, pa.Array | pa.ChunkedArray)
            else pa.array(list(ids), pa.string()),
            era_codes=era_codes.astype(np.int32),
            era_labels=era_labels,
            type_codes=type_codes,
            type_labels=type_labels,
            features=np.ascontiguousarray(features, dtype=np.int8),
            feature_names=list(feature_names),
            targets=np.ascontiguousarray(targets, dtype=np.float32),
            target_names=list(target_names),
            source=source,
        )

    @classmethod
    def from_codes(
        cls,
        *,
        ids: pa.Array | pa.ChunkedArray,
        era_codes: npt.NDArray[np.int32],
        era_labels: npt.NDArray[np.str_],
        type_codes: npt.NDArray[np.int8],
        type_labels: npt.NDArray[np.str_],
        features: npt.NDArray[np.int8],
        feature_names: list[str],
        targets: npt.NDArray[np.float32],
        target_names: list[str],
        source: str,
    ) -> Dataset:
        """Build without copying: the arrays are taken as they are (the loader's path)."""
        self = cls.__new__(cls)
        self._init(
            ids=ids,
            era_codes=era_codes,
            era_labels=era_labels,
            type_codes=type_codes,
            type_labels=type_labels,
            features=features,
            feature_names=feature_names,
            targets=targets,
            target_names=target_names,
            source=source,
        )
        return self

    def _init(
        self,
        *,
        ids: pa.Array | pa.ChunkedArray,
        era_codes: npt.NDArray[np.int32],
        era_labels: npt.NDArray[np.str_],
        type_codes: npt.NDArray[np.int8],
        type_labels: npt.NDArray[np.str_],
        features: npt.NDArray[np.int8],
        feature_names: list[str],
        targets: npt.NDArray[np.float32],
        target_names: list[str],
        source: str,
    ) -> None:
        n = len(era_codes)
        shapes = {
            "ids": len(ids),
            "data_type": len(type_codes),
            "features": features.shape[0],
            "targets": targets.shape[0],
        }
        wrong = {k: v for k, v in shapes.items() if v != n}
        if wrong:
            raise ValueError(f"{n} eras but row counts {wrong}")
        if features.shape[1] != len(feature_names) or targets.shape[1] != len(target_names):
            raise ValueError("features/targets columns do not match their names")
        if features.dtype != np.int8 or not features.flags.c_contiguous:
            raise ValueError("features must be a C-contiguous int8 matrix")
        self._ids = ids
        self._era_codes = era_codes
        self._era_labels = era_labels
        self._type_codes = type_codes
        self._type_labels = type_labels
        self.features = features
        self.feature_names = feature_names
        self.targets = targets
        self.target_names = target_names
        self.source = source

    def __len__(self) -> int:
        return len(self._era_codes)

    def __repr__(self) -> str:
        return (
            f"Dataset({len(self):,} rows, {len(self._era_labels)} eras, "
            f"{len(self.feature_names)} features, targets={self.target_names}, "
            f"source={self.source!r})"
        )

    @property
    def n_rows(self) -> int:
        return len(self)

    def era_codes(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
        """(int32 code per row, sorted unique era labels): ``labels[codes]`` are the eras."""
        return self._era_codes, self._era_labels

    @cached_property
    def ids(self) -> npt.NDArray[np.object_]:
        return np.asarray(self._ids.to_numpy(zero_copy_only=False), dtype=object)

    @cached_property
    def eras(self) -> npt.NDArray[np.str_]:
        return self._era_labels[self._era_codes]

    @cached_property
    def data_type(self) -> npt.NDArray[np.str_]:
        return self._type_labels[self._type_codes]

    def select_eras(self, labels: Sequence[str] | npt.NDArray[np.str_]) -> Dataset:
        """The rows of the eras ``labels`` (a copy), in this dataset's row order."""
        wanted = np.isin(self._era_labels, np.asarray(labels, dtype=str))
        keep = wanted[self._era_codes]
        present = np.flatnonzero(wanted)
        remap = np.zeros(len(self._era_labels), dtype=np.int32)
        remap[present] = np.arange(len(present), dtype=np.int32)
        return Dataset.from_codes(
            ids=self._ids.filter(pa.array(keep)),
            era_codes=remap[self._era_codes[keep]],
            era_labels=self._era_labels[present],
            type_codes=self._type_codes[keep],
            type_labels=self._type_labels,
            features=np.ascontiguousarray(self.features[keep]),
            feature_names=self.feature_names,
            targets=np.ascontiguousarray(self.targets[keep]),
            target_names=self.target_names,
            source=self.source,
        )

    def target(self, name: str) -> npt.NDArray[np.float32]:
        """One target column (a view)."""
        try:
            return self.targets[:, self.target_names.index(name)]
        except ValueError:
            raise KeyError(
                f"target {name!r} was not loaded (loaded: {self.target_names})"
            ) from None

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (ids in their compact form)."""
        return int(
            self.features.nbytes
            + self.targets.nbytes
            + self._era_codes.nbytes
            + self._type_codes.nbytes
            + self._ids.nbytes
        )


__all__ = ["Dataset"]
