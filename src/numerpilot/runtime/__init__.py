"""Numerai's hosted model runtime, emulated: model pickles built for an image, image pins, and
the pre-flight runner.

Low in the layering (foundations, data, numpy/pandas/lightgbm only) because the local
tournament runs uploaded pickles with the same runner. Every module behind this face is
private; ``_builder.py``, ``_harness.py`` and ``_safety.py`` are run as scripts by an image's
own interpreter, without numerpilot. A name is imported when it is first used, so that
``doctor`` asking for an interpreter does not load LightGBM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.runtime._envs import (
        RuntimeEnv,
        default_cache_dir,
        emulation_problem,
        ensure_env,
    )
    from numerpilot.runtime._image_pickle import build_image_pickle
    from numerpilot.runtime._images import (
        DEFAULT_IMAGE,
        IMAGES,
        RuntimeImage,
        resolve_image,
        select_data_version,
        select_docker_image,
    )
    from numerpilot.runtime._inspect_pickle import PickleScan, scan_pickle, scan_pickle_file
    from numerpilot.runtime._interpreters import find_interpreter, install_hint
    from numerpilot.runtime._portable import (
        PortableModel,
        portable_pickle_bytes,
        write_portable_pickle,
    )
    from numerpilot.runtime._runner import (
        Limits,
        PreflightFailed,
        PreflightReport,
        PreflightResult,
        model_runner,
        run_pickle,
    )
    from numerpilot.runtime._verdict import ScannerVerdict

# Where each name of the face lives; a name is imported on first use (PEP 562).
_WHERE = {
    "RuntimeEnv": "_envs",
    "default_cache_dir": "_envs",
    "emulation_problem": "_envs",
    "ensure_env": "_envs",
    "build_image_pickle": "_image_pickle",
    "DEFAULT_IMAGE": "_images",
    "IMAGES": "_images",
    "RuntimeImage": "_images",
    "resolve_image": "_images",
    "select_data_version": "_images",
    "select_docker_image": "_images",
    "PickleScan": "_inspect_pickle",
    "scan_pickle": "_inspect_pickle",
    "scan_pickle_file": "_inspect_pickle",
    "find_interpreter": "_interpreters",
    "install_hint": "_interpreters",
    "PortableModel": "_portable",
    "portable_pickle_bytes": "_portable",
    "write_portable_pickle": "_portable",
    "Limits": "_runner",
    "PreflightFailed": "_runner",
    "PreflightReport": "_runner",
    "PreflightResult": "_runner",
    "model_runner": "_runner",
    "run_pickle": "_runner",
    "ScannerVerdict": "_verdict",
}
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
    "find_interpreter",
    "install_hint",
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


__getattr__ = lazy_face(__name__, _WHERE, cache=True)


def __dir__() -> list[str]:
    return [*globals(), *__all__]
