"""The portable model pickle: source text plus plain data, no bytecode, no numerpilot inside.

Only built on request (``upload-model --portable``): it loads through ``builtins.eval``, which
fickling, the pickle scanner of every Numerai image, rates OVERTLY_MALICIOUS; the default is
the image-built cloudpickle of ``_image_pickle.py``. What it buys is loading on any Python.

A cloudpickled function carries the bytecode of the Python that built it, so it loads only on
that minor version, and it drags in whatever helper modules it references. Instead the pickle
here is a single call, ``builtins.eval(EXPRESSION, {"source": TEXT, "payload": DATA, ...})``:
loading it compiles ``predictor_source``'s text with the loading interpreter and calls
``build(payload)``, whose result is the ``predict`` function Numerai's runtime calls. The
payload holds only str, float, int, list and dict (LightGBM boosters as their text format), which
pickle identically on every Python 3 version.
"""

from __future__ import annotations

import builtins
import inspect
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numerpilot.runtime._predictor_source as predictor_source
from numerpilot import __version__
from numerpilot.fsutil import atomic_path

# Protocol 4 is read by every Python since 3.4, far below any runtime image.
PICKLE_PROTOCOL = 4
_MODULE_NAME = "numerpilot_portable_model"
# One expression, so ``eval`` can both run the source and return the predict function.
_EXPRESSION = (
    "exec(compile(source, '<numerpilot model>', 'exec'), namespace) or namespace['build'](payload)"
)


@dataclass(frozen=True)
class PortableModel:
    """What goes into a portable pickle: plain values only."""

    name: str
    features: list[str]
    boosters: list[tuple[str, str]]  # (target, LightGBM model text); seeds repeat a target
    weights: dict[str, float]  # ensemble weight per target
    neutralize_proportion: float = 0.0
    era_column: str = "era"
    info: dict[str, str] = field(default_factory=dict)
    # A benchmark model's column fed in after ``features`` (from live_benchmark_models).
    benchmark_input: str | None = None

    def __post_init__(self) -> None:
        if not self.boosters:
            raise ValueError("a portable model needs at least one booster")
        missing = sorted({t for t, _ in self.boosters} - set(self.weights))
        if missing:
            raise ValueError(f"no ensemble weight for target(s) {missing}")
        if not self.features:
            raise ValueError("a portable model needs its feature list")
        if not 0.0 <= self.neutralize_proportion <= 1.0:
            raise ValueError("neutralize_proportion must be within [0, 1]")
        used = [self.weights[t] for t, _ in self.boosters]
        if sum(used) <= 0 or min(used) < 0:
            raise ValueError("weights must be non-negative with a positive sum")

    def payload(self) -> dict[str, Any]:
        return {
            "format": predictor_source.FORMAT,
            "name": self.name,
            "features": [str(f) for f in self.features],
            "boosters": [[str(t), str(text)] for t, text in self.boosters],
            "weights": {str(t): float(w) for t, w in self.weights.items()},
            "neutralize_proportion": float(self.neutralize_proportion),
            "era_column": self.era_column,
            "info": {str(k): str(v) for k, v in self.info.items()},
            **({"benchmark_input": self.benchmark_input} if self.benchmark_input else {}),
        }


def predictor_text() -> str:
    """The source text compiled at load time."""
    return inspect.getsource(predictor_source)


class _Loader:
    """Pickles as a call of ``builtins.eval``; never itself stored in the pickle."""

    def __init__(self, source: str, payload: dict[str, Any]):
        self._globals: dict[str, Any] = {
            "source": source,
            "payload": payload,
            "namespace": {"__name__": _MODULE_NAME},
        }

    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, Any]]]:
        return (builtins.eval, (_EXPRESSION, self._globals))


def portable_pickle_bytes(model: PortableModel) -> bytes:
    """The pickle of ``model``'s predict function, loadable with ``pd.read_pickle`` anywhere."""
    info = {"numerpilot_version": __version__, **model.info}
    payload = {**model.payload(), "info": info}
    return pickle.dumps(_Loader(predictor_text(), payload), protocol=PICKLE_PROTOCOL)


def write_portable_pickle(model: PortableModel, path: Path) -> Path:
    """Write the pickle atomically; returns ``path``."""
    data = portable_pickle_bytes(model)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


__all__ = [
    "PICKLE_PROTOCOL",
    "PortableModel",
    "portable_pickle_bytes",
    "predictor_text",
    "write_portable_pickle",
]
