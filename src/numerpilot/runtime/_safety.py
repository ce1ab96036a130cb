"""The child process that rates a pickle with the image's own fickling (the pickle security
scanner every Numerai runtime image installs), without loading the pickle.

Run as a script (``python -I _safety.py PICKLE``) by the runtime environment's interpreter,
never imported by numerpilot. Prints one JSON object: fickling's version, the severity name
(``LIKELY_SAFE`` .. ``OVERTLY_MALICIOUS``) and its findings, most severe first. fickling's API
changed between the images' versions (0.0.x returns a bool and prints its findings; 0.1.x
returns rated results), so both are read.
"""

from __future__ import annotations

import io
import json
import sys
from importlib.metadata import version
from typing import Any

# fickling 0.0.x prints findings; these phrases carry its severities.
_OLD_PHRASES = (
    ("almost certainly evidence of a malicious", "OVERTLY_MALICIOUS"),
    ("indicative of an overtly malicious", "LIKELY_OVERTLY_MALICIOUS"),
)


def _rate_new(data: bytes) -> dict[str, Any]:
    from fickling.analysis import check_safety
    from fickling.fickle import Pickled

    try:
        pickled = Pickled.load(data, fail_on_decode_error=False)
    except TypeError:  # before 0.1.6 there is no fail_on_decode_error
        pickled = Pickled.load(data)
    results = check_safety(pickled)
    ordered = sorted(results.results, key=lambda r: r.severity.value, reverse=True)
    findings = [f"{r.severity.name}: {r}" for r in ordered]
    return {"severity": results.severity.name, "findings": findings}


def _rate_old(data: bytes) -> dict[str, Any]:
    from fickling.analysis import check_safety
    from fickling.pickle import Pickled

    printed, warnings = io.StringIO(), io.StringIO()
    safe = check_safety(Pickled.load(data), stdout=printed, stderr=warnings)
    lines = [ln for ln in printed.getvalue().splitlines() if ln.strip()]
    severity = "LIKELY_SAFE" if safe else "LIKELY_UNSAFE"
    for phrase, name in reversed(_OLD_PHRASES):
        if any(phrase in ln for ln in lines):
            severity = name
    return {"severity": severity, "findings": lines}


def main(argv: list[str]) -> None:
    with open(argv[0], "rb") as f:
        data = f.read()
    found = version("fickling")
    try:
        import fickling.fickle  # noqa: F401  (0.1.x)
    except ImportError:
        rated = _rate_old(data)
    else:
        rated = _rate_new(data)
    print(json.dumps({"scanner": "fickling", "version": found, **rated}))


if __name__ == "__main__":
    main(sys.argv[1:])
