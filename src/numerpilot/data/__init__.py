"""Dataset files: download, load within a memory budget, synthetic Numerai-shaped data.

The face of the package: other packages import these names from ``numerpilot.data``, never
its modules. Names load on first use (PEP 562), so importing the face costs nothing: the
modules behind it import numpy, pandas and pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.data._reader import RowProgress
    from numerpilot.data._synth_random import single_threaded_blas
    from numerpilot.data._synth_world import EraData, SyntheticWorld
    from numerpilot.data.dataset import Dataset
    from numerpilot.data.download import download_dataset
    from numerpilot.data.features import read_feature_metadata, resolve_features
    from numerpilot.data.load import EraRange, MemoryBudgetExceeded, load_dataset, memory_budget
    from numerpilot.data.manifest import matches, read_dataset_manifest, verify
    from numerpilot.data.predictions import load_predictions
    from numerpilot.data.schema import (
        DATA_TYPE_COLUMN,
        ERA_COLUMN,
        ID_COLUMN,
        LATEST_VERSION,
        LIVE_ERA,
        MAIN_TARGET,
        META_MODEL_COLUMN,
        PREDICTION_COLUMN,
        VERSIONS,
        target_span_eras,
        version_spec,
    )
    from numerpilot.data.synth import write_dataset

# Public name -> the module (in this package) that defines it.
_WHERE = {
    "Dataset": "dataset",
    "download_dataset": "download",
    "read_feature_metadata": "features",
    "resolve_features": "features",
    "EraRange": "load",
    "MemoryBudgetExceeded": "load",
    "load_dataset": "load",
    "memory_budget": "load",
    "RowProgress": "_reader",
    "matches": "manifest",
    "read_dataset_manifest": "manifest",
    "verify": "manifest",
    "load_predictions": "predictions",
    "DATA_TYPE_COLUMN": "schema",
    "ERA_COLUMN": "schema",
    "ID_COLUMN": "schema",
    "LATEST_VERSION": "schema",
    "LIVE_ERA": "schema",
    "MAIN_TARGET": "schema",
    "META_MODEL_COLUMN": "schema",
    "PREDICTION_COLUMN": "schema",
    "VERSIONS": "schema",
    "target_span_eras": "schema",
    "version_spec": "schema",
    "write_dataset": "synth",
    "EraData": "_synth_world",
    "SyntheticWorld": "_synth_world",
    "single_threaded_blas": "_synth_random",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=False)


__all__ = [
    "DATA_TYPE_COLUMN",
    "ERA_COLUMN",
    "ID_COLUMN",
    "LATEST_VERSION",
    "LIVE_ERA",
    "MAIN_TARGET",
    "META_MODEL_COLUMN",
    "PREDICTION_COLUMN",
    "VERSIONS",
    "Dataset",
    "EraData",
    "EraRange",
    "MemoryBudgetExceeded",
    "RowProgress",
    "SyntheticWorld",
    "download_dataset",
    "load_dataset",
    "load_predictions",
    "matches",
    "memory_budget",
    "read_dataset_manifest",
    "read_feature_metadata",
    "resolve_features",
    "single_threaded_blas",
    "target_span_eras",
    "verify",
    "version_spec",
    "write_dataset",
]
