"""LightGBM ensemble training and prediction, and the model store.

The face of the package: other packages import these names from ``numerpilot.models``.
Names load on first use (PEP 562): listing stored models must not import LightGBM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.models.cv import Split, embargo_eras, holdout_split, walk_forward
    from numerpilot.models.dataset import predict_rows
    from numerpilot.models.ensemble import (
        ENSEMBLE,
        combine,
        era_codes,
        predict_columns,
        predict_frame,
        rank_per_era,
    )
    from numerpilot.models.fit import (
        EnsembleParts,
        EnsembleRecipe,
        FitProgress,
        Predictions,
        corr_per_column,
        cross_validate,
        fit_ensemble,
        fold_predictions,
        predict_eras,
        predict_file,
    )
    from numerpilot.models.params import booster_params
    from numerpilot.models.rows import EraIndex, TrainingFile, TrainingRows
    from numerpilot.models.store import (
        VALIDATION_PREDICTIONS,
        BoosterInfo,
        CVScores,
        ModelManifest,
        PartialRun,
        Scores,
        StoredModel,
        booster_file,
        booster_info,
        list_models,
        load_model,
        read_model_manifest,
        resolve_model,
        write_model,
    )
    from numerpilot.models.train import BinnedRows, BoosterResult, EnsembleTrainer

# Public name -> the module (in this package) that defines it.
_WHERE = {
    "Split": "cv",
    "embargo_eras": "cv",
    "holdout_split": "cv",
    "walk_forward": "cv",
    "predict_rows": "dataset",
    "ENSEMBLE": "ensemble",
    "combine": "ensemble",
    "era_codes": "ensemble",
    "predict_columns": "ensemble",
    "predict_frame": "ensemble",
    "rank_per_era": "ensemble",
    "EnsembleParts": "fit",
    "EnsembleRecipe": "fit",
    "FitProgress": "fit",
    "Predictions": "fit",
    "corr_per_column": "fit",
    "cross_validate": "fit",
    "fit_ensemble": "fit",
    "fold_predictions": "fit",
    "predict_eras": "fit",
    "predict_file": "fit",
    "booster_params": "params",
    "EraIndex": "rows",
    "TrainingFile": "rows",
    "TrainingRows": "rows",
    "BoosterInfo": "store",
    "CVScores": "store",
    "ModelManifest": "store",
    "PartialRun": "store",
    "Scores": "store",
    "StoredModel": "store",
    "VALIDATION_PREDICTIONS": "store",
    "booster_file": "store",
    "booster_info": "store",
    "list_models": "store",
    "load_model": "store",
    "read_model_manifest": "store",
    "resolve_model": "store",
    "write_model": "store",
    "BinnedRows": "train",
    "BoosterResult": "train",
    "EnsembleTrainer": "train",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=False)


__all__ = [
    "ENSEMBLE",
    "VALIDATION_PREDICTIONS",
    "BinnedRows",
    "BoosterInfo",
    "BoosterResult",
    "CVScores",
    "EnsembleParts",
    "EnsembleRecipe",
    "EnsembleTrainer",
    "EraIndex",
    "FitProgress",
    "ModelManifest",
    "PartialRun",
    "Predictions",
    "Scores",
    "Split",
    "StoredModel",
    "TrainingFile",
    "TrainingRows",
    "booster_file",
    "booster_info",
    "booster_params",
    "combine",
    "corr_per_column",
    "cross_validate",
    "embargo_eras",
    "era_codes",
    "fit_ensemble",
    "fold_predictions",
    "holdout_split",
    "list_models",
    "load_model",
    "predict_columns",
    "predict_eras",
    "predict_file",
    "predict_frame",
    "predict_rows",
    "rank_per_era",
    "read_model_manifest",
    "resolve_model",
    "walk_forward",
    "write_model",
]
