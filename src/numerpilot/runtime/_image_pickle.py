"""The default model pickle: a cloudpickled ``predict`` function built for one runtime image
by that image's Python, in its pinned environment (``_builder.py`` runs there).

Why not the portable form (``_portable.py``): it loads through ``builtins.eval``, and fickling,
the scanner every Numerai image installs, rates any pickle that calls ``eval`` OVERTLY_MALICIOUS.
A cloudpickle of a function holding native LightGBM boosters is what Numerai's own examples
upload. Its bytecode belongs to the image's Python, so it is built for, and runs on, that image.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from numerpilot import __version__
from numerpilot.errors import CheckFailed
from numerpilot.fsutil import atomic_path
from numerpilot.runtime._envs import RuntimeEnv
from numerpilot.runtime._inspect_pickle import scan_pickle_file
from numerpilot.runtime._portable import PortableModel, predictor_text

BUILDER = Path(__file__).with_name("_builder.py")
_BUILD_TIMEOUT_SECONDS = 600.0


def build_image_pickle(model: PortableModel, env: RuntimeEnv, path: Path) -> Path:
    """Write ``model``'s pickle for ``env``'s image at ``path`` (atomically); ``CheckFailed``
    when the image's Python cannot build it."""
    payload = {**model.payload(), "info": {"numerpilot_version": __version__, **model.info}}
    with tempfile.TemporaryDirectory(prefix="numerpilot-build-") as work:
        source, data = Path(work) / "predictor.py", Path(work) / "payload.json"
        source.write_text(predictor_text(), encoding="utf-8")
        data.write_text(json.dumps(payload), encoding="utf-8")
        built = Path(work) / "model.pkl"
        command = [str(env.python), "-I", str(BUILDER), str(source), str(data), str(built)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_SECONDS, cwd=work
            )
        except subprocess.TimeoutExpired:
            raise CheckFailed(
                f"building the pickle with {env.image.name}'s Python took longer than "
                f"{_BUILD_TIMEOUT_SECONDS:.0f} s"
            ) from None
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            raise CheckFailed(
                f"building the pickle with {env.image.name}'s Python failed: "
                + (lines[-1] if lines else f"exit code {done.returncode}")
            )
        scan = scan_pickle_file(built)
        if scan.candidates and env.image.python not in scan.candidates:  # a wrong interpreter
            raise CheckFailed(
                f"the pickle built in {env.root} holds {scan.describe()}, not Python "
                f"{env.image.python_text}; delete that folder and run again"
            )
        with atomic_path(path) as tmp:
            tmp.write_bytes(built.read_bytes())
    return path


__all__ = ["BUILDER", "build_image_pickle"]
