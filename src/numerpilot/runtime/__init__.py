"""Numerai's hosted model runtime, emulated: model pickles built for an image, image pins, and
the pre-flight runner.

Low in the layering (foundations, data, numpy/pandas/lightgbm only) because the local
tournament runs uploaded pickles with the same runner.
"""

from numerpilot.runtime.envs import RuntimeEnv, default_cache_dir, emulation_problem, ensure_env
from numerpilot.runtime.image_pickle import build_image_pickle
from numerpilot.runtime.images import (
    DEFAULT_IMAGE,
    IMAGES,
    RuntimeImage,
    resolve_image,
    select_data_version,
    select_docker_image,
)
from numerpilot.runtime.inspect_pickle import PickleScan, scan_pickle, scan_pickle_file
from numerpilot.runtime.portable import (
    PortableModel,
    portable_pickle_bytes,
    write_portable_pickle,
)
from numerpilot.runtime.runner import (
    Limits,
    PreflightFailed,
    PreflightReport,
    PreflightResult,
    model_runner,
    run_pickle,
)
from numerpilot.runtime.verdict import ScannerVerdict

__all__ = [
    "DEFAULT_IMAGE",
    "IMAGES",
    "Limits",
    "PickleScan",
    "PortableModel",
    "PreflightFailed",
    "PreflightReport",
    "PreflightResult",
    "RuntimeEnv",
    "RuntimeImage",
    "ScannerVerdict",
    "build_image_pickle",
    "default_cache_dir",
    "emulation_problem",
    "ensure_env",
    "model_runner",
    "portable_pickle_bytes",
    "resolve_image",
    "run_pickle",
    "scan_pickle",
    "scan_pickle_file",
    "select_data_version",
    "select_docker_image",
    "write_portable_pickle",
]
