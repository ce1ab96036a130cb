"""Numerai's hosted model runtime, emulated: portable model pickles and the pre-flight runner.

Low in the layering (foundations, data, numpy/pandas/lightgbm only) because the local
tournament runs uploaded pickles with the same runner.
"""

from numerpilot.runtime.envs import RuntimeEnv, default_cache_dir, ensure_env
from numerpilot.runtime.images import (
    DEFAULT_IMAGE,
    IMAGES,
    RuntimeImage,
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
    PreflightReport,
    PreflightResult,
    model_runner,
    run_pickle,
)

__all__ = [
    "DEFAULT_IMAGE",
    "IMAGES",
    "Limits",
    "PickleScan",
    "PortableModel",
    "PreflightReport",
    "PreflightResult",
    "RuntimeEnv",
    "RuntimeImage",
    "default_cache_dir",
    "ensure_env",
    "model_runner",
    "portable_pickle_bytes",
    "run_pickle",
    "scan_pickle",
    "scan_pickle_file",
    "select_data_version",
    "select_docker_image",
    "write_portable_pickle",
]
