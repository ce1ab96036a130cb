"""Use cases composed from the layers below: train, validate, predict, submit, upload-model,
status, doctor, the dashboard's view.

The face of the package: other packages import these names from ``numerpilot.pipeline``.
Names load on first use (PEP 562): ``status`` must start without pandas or LightGBM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.pipeline._upload_model import (
        UploadModelResult,
        portable_model,
        preflight_file,
        upload_model,
    )
    from numerpilot.pipeline._validate import ValidationResult, file_source, model_source, validate
    from numerpilot.pipeline.dashboard import build_dashboard, report_links
    from numerpilot.pipeline.doctor import run_checks
    from numerpilot.pipeline.predict import predict_live
    from numerpilot.pipeline.status import StatusReport, build_status, tournament_clock
    from numerpilot.pipeline.submit import (
        PreviousPredictions,
        SubmitResult,
        current_round,
        predictions_path,
        prepare_submission,
        tournament_model,
    )
    from numerpilot.pipeline.train import TrainProgress, TrainReport, file_sha256, train_model
    from numerpilot.pipeline.train_plan import (
        FEATURES_FILE,
        TRAIN_FILE,
        VALIDATION_FILE,
        data_version,
    )

# Public name -> the module (in this package) that defines it.
_WHERE = {
    "build_dashboard": "dashboard",
    "report_links": "dashboard",
    "run_checks": "doctor",
    "predict_live": "predict",
    "StatusReport": "status",
    "build_status": "status",
    "tournament_clock": "status",
    "PreviousPredictions": "submit",
    "SubmitResult": "submit",
    "current_round": "submit",
    "predictions_path": "submit",
    "prepare_submission": "submit",
    "tournament_model": "submit",
    "TrainProgress": "train",
    "TrainReport": "train",
    "file_sha256": "train",
    "train_model": "train",
    "FEATURES_FILE": "train_plan",
    "TRAIN_FILE": "train_plan",
    "VALIDATION_FILE": "train_plan",
    "data_version": "train_plan",
    "UploadModelResult": "_upload_model",
    "portable_model": "_upload_model",
    "preflight_file": "_upload_model",
    "upload_model": "_upload_model",
    "ValidationResult": "_validate",
    "file_source": "_validate",
    "model_source": "_validate",
    "validate": "_validate",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=False)


__all__ = [
    "FEATURES_FILE",
    "TRAIN_FILE",
    "VALIDATION_FILE",
    "PreviousPredictions",
    "StatusReport",
    "SubmitResult",
    "TrainProgress",
    "TrainReport",
    "UploadModelResult",
    "ValidationResult",
    "build_dashboard",
    "build_status",
    "current_round",
    "data_version",
    "file_sha256",
    "file_source",
    "model_source",
    "portable_model",
    "predict_live",
    "predictions_path",
    "preflight_file",
    "prepare_submission",
    "report_links",
    "run_checks",
    "tournament_clock",
    "tournament_model",
    "train_model",
    "upload_model",
    "validate",
]
