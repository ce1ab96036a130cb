"""The pickle scanner's verdict, as the runtime image rates it: its own fickling, run in its
pinned environment (``_safety.py``), never loading the pickle.

Numerai's images install fickling; a pickle it rates OVERTLY_MALICIOUS risks being refused, so
pre-flight reports the verdict and that rating blocks an upload unless the user overrides it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from numerpilot.runtime._envs import RuntimeEnv
from numerpilot.runtime._watch import child_env

SAFETY = Path(__file__).with_name("_safety.py")
# fickling's severities, mildest first.
SEVERITIES = (
    "LIKELY_SAFE",
    "POSSIBLY_UNSAFE",
    "SUSPICIOUS",
    "LIKELY_UNSAFE",
    "LIKELY_OVERTLY_MALICIOUS",
    "OVERTLY_MALICIOUS",
)
BLOCKING = "OVERTLY_MALICIOUS"
_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class ScannerVerdict:
    scanner: str
    version: str
    severity: str  # one of SEVERITIES, or "unknown" when the scanner failed
    findings: list[str] = field(default_factory=list)

    @property
    def blocks(self) -> bool:
        return self.severity == BLOCKING

    def describe(self) -> str:
        return f"{self.scanner} {self.version}: {self.severity}"


def rate_pickle(env: RuntimeEnv, pickle_path: Path) -> ScannerVerdict:
    """fickling's verdict on ``pickle_path`` in ``env``'s image; "unknown" (with the error as a
    finding) when the scanner itself fails: that is reported, never treated as a verdict."""
    version = env.image.packages.get("fickling", "?")
    command = [str(env.python), "-I", str(SAFETY), str(pickle_path.resolve())]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, env=child_env()
        )
    except subprocess.TimeoutExpired:
        return ScannerVerdict("fickling", version, "unknown", [f"took over {_TIMEOUT_SECONDS} s"])
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
        return ScannerVerdict(
            scanner=str(found["scanner"]),
            version=str(found["version"]),
            severity=str(found["severity"]),
            findings=[str(f) for f in found["findings"]],
        )
    except (IndexError, KeyError, TypeError, json.JSONDecodeError):
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        return ScannerVerdict("fickling", version, "unknown", lines[-1:] or ["no output"])


__all__ = ["BLOCKING", "SEVERITIES", "ScannerVerdict", "rate_pickle"]
