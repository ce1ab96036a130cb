"""Virtual environments that reproduce a runtime image's Python and pinned packages.

Built once per image and set of pins under ``$NUMERPILOT_RUNTIME_CACHE`` (default
``~/.cache/numerpilot/runtimes``), in a folder named after the image and a digest of its pins,
and reused: new pins get a new environment and never disturb a run using the old one. Each is
built in a temporary folder, checked, and renamed into place under a file lock, so concurrent
callers wait for one build and a half-built environment is never used. numerpilot itself is
not installed there: a pickle that needs it fails in pre-flight exactly as it would on Numerai.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from numerpilot.errors import CheckFailed
from numerpilot.runtime._images import RuntimeImage
from numerpilot.runtime._interpreters import find_interpreter, install_hint

log = logging.getLogger(__name__)

CACHE_ENV = "NUMERPILOT_RUNTIME_CACHE"
MARKER = "numerpilot-runtime.json"
_INSTALL_TIMEOUT_SECONDS = 1800.0
# Import names of the pinned distributions, to check what was installed.
_IMPORT_NAMES = {"scikit-learn": "sklearn"}


@dataclass(frozen=True)
class RuntimeEnv:
    image: RuntimeImage
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"


def default_cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "numerpilot" / "runtimes"


def _marker(image: RuntimeImage) -> dict[str, object]:
    return {
        "image": image.name,
        "python": image.python_text,
        "packages": dict(image.packages),
    }


def env_root(image: RuntimeImage, cache_dir: Path | None = None) -> Path:
    """Where ``image``'s environment lives: one folder per image and set of pins."""
    digest = hashlib.sha256(json.dumps(_marker(image), sort_keys=True).encode()).hexdigest()
    return (cache_dir or default_cache_dir()) / f"{image.name}-{digest[:10]}"


def _is_complete(root: Path, image: RuntimeImage) -> bool:
    try:
        recorded = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return bool(recorded == _marker(image) and (root / "bin" / "python").exists())


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], what: str) -> str:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"{what} took longer than {_INSTALL_TIMEOUT_SECONDS:.0f} s") from None
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        detail = lines[-1] if lines else f"exit code {done.returncode}"
        raise CheckFailed(f"{what} failed: {detail}")
    return done.stdout


def _build(image: RuntimeImage, interpreter: Path, target: Path) -> None:
    pins = image.packages
    venv = [str(interpreter), "-m", "venv", str(target)] + ([] if pins else ["--without-pip"])
    _run(venv, f"creating the {image.name} environment")
    python = str(target / "bin" / "python")
    install = [python, "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
    install += ["--only-binary", ":all:", *(f"{name}=={version}" for name, version in pins.items())]
    if pins:
        _run(install, f"installing {image.name}'s packages")
    # Check what is importable, with the versions pinned (pip resolves, this verifies).
    names = {name: _IMPORT_NAMES.get(name, name.replace("-", "_")) for name in pins}
    probe = (
        "import importlib.metadata as m, json, sys\n"
        f"names = {names!r}\n"
        "for d, mod in names.items(): __import__(mod)\n"
        "print(json.dumps({d: m.version(d) for d in names}))\n"
    )
    found = json.loads(_run([python, "-I", "-c", probe], f"checking {image.name}'s packages"))
    wrong = {k: v for k, v in found.items() if v != pins[k]}
    if wrong:
        raise CheckFailed(f"{image.name} environment has {wrong}, expected {dict(pins)}")
    (target / MARKER).write_text(json.dumps(_marker(image)), encoding="utf-8")


def missing_python(image: RuntimeImage) -> str:
    return (
        f"no Python {image.python_text} on this machine (looked at the active Python, pyenv, "
        f"uv and python{image.python_text} on PATH), so {image.name} cannot be emulated; "
        + install_hint(image.python)
    )


def emulation_problem(image: RuntimeImage) -> str | None:
    """Why ``image`` cannot be emulated on this machine, or None (cheap: no build)."""
    if find_interpreter(image.python) is None:
        return missing_python(image)
    return None


def ensure_env(
    image: RuntimeImage,
    cache_dir: Path | None = None,
    *,
    on_build: Callable[[str], None] | None = None,
) -> RuntimeEnv:
    """The cached environment of ``image``, building it first if needed (``on_build`` is told
    when a build starts: it takes a minute or so). ``CheckFailed`` when the image cannot be
    emulated here."""
    root = env_root(image, cache_dir)
    if _is_complete(root, image):
        return RuntimeEnv(image, root)
    with _locked(root.parent / f".{root.name}.lock"):
        if _is_complete(root, image):  # another process built it while we waited
            return RuntimeEnv(image, root)
        interpreter = find_interpreter(image.python)
        if interpreter is None:
            raise CheckFailed(missing_python(image))
        if on_build is not None:
            on_build(f"building the {image.name} environment once (pip install of its pins)")
        log.info("building runtime environment %s from %s", image.name, interpreter)
        temporary = root.with_name(f".{root.name}.build-{os.getpid()}")
        shutil.rmtree(temporary, ignore_errors=True)
        try:
            _build(image, interpreter, temporary)
            if root.exists():  # an outdated or broken environment
                shutil.rmtree(root)
            # Renaming keeps the venv working: bin/python links to the base interpreter and
            # finds its site-packages relative to itself (only pip's script shebangs go stale).
            os.replace(temporary, root)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    return RuntimeEnv(image, root)


__all__ = [
    "CACHE_ENV",
    "RuntimeEnv",
    "default_cache_dir",
    "emulation_problem",
    "ensure_env",
    "env_root",
]
