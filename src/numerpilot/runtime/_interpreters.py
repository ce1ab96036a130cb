"""Finding a Python of a given minor version where users keep them, and saying what to install
when there is none.

Looked for, in order: the running interpreter, pyenv's versions, uv's managed Pythons
(``uv python find``), ``python3.X`` on PATH and in the usual system folders. Each candidate is
run once to check it is that version and can create a virtual environment.
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

PythonVersion = tuple[int, int]
_PROBE_TIMEOUT_SECONDS = 60


def _real_home() -> Path:
    # Not $HOME: a caller may have redirected it (tests do), interpreters stay where they are.
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def _uv_python(python: PythonVersion) -> Path | None:
    uv = shutil.which("uv")
    if uv is None:
        return None
    try:
        done = subprocess.run(
            [uv, "python", "find", f"{python[0]}.{python[1]}"],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = done.stdout.strip()
    return Path(found) if done.returncode == 0 and found else None


def _candidates(python: PythonVersion) -> list[Path]:
    major, minor = python
    found: list[Path] = []
    if sys.version_info[:2] == python:
        found.append(Path(sys.executable))
    roots = [os.environ.get("PYENV_ROOT"), str(_real_home() / ".pyenv")]
    for root in filter(None, roots):
        found += sorted(Path(root).glob(f"versions/{major}.{minor}.*/bin/python{major}.{minor}"))
    uv = _uv_python(python)
    if uv is not None:
        found.append(uv)
    on_path = shutil.which(f"python{major}.{minor}")
    if on_path:
        found.append(Path(on_path))
    for directory in ("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin"):
        found.append(Path(directory) / f"python{major}.{minor}")
    return list(dict.fromkeys(found))


@functools.cache
def find_interpreter(python: PythonVersion) -> Path | None:
    """A working interpreter of this minor version on this machine (with venv), or None."""
    probe = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    for path in _candidates(python):
        if not path.exists():
            continue
        try:
            done = subprocess.run(
                [str(path), "-I", "-c", probe],
                capture_output=True,
                text=True,
                timeout=_PROBE_TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == f"{python[0]}.{python[1]}":
            return path
    return None


def install_hint(python: PythonVersion) -> str:
    """Exactly what to run to get this Python, for the tool the user already has."""
    text = f"{python[0]}.{python[1]}"
    options = []
    if shutil.which("pyenv") or (_real_home() / ".pyenv").exists():
        options.append(f"'pyenv install {text}'")
    if shutil.which("uv"):
        options.append(f"'uv python install {text}'")
    if not options:
        options = [
            f"'uv python install {text}' (after 'pip install uv')",
            f"'pyenv install {text}'",
        ]
    return f"install Python {text} with {' or '.join(options)}, then run the command again"


__all__ = ["PythonVersion", "find_interpreter", "install_hint"]
