"""Words for failures and the scanner's verdict: first lines as lines, the rest kept whole."""

from __future__ import annotations

import io
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from numerpilot.runtime import PortableModel, write_portable_pickle
from numerpilot.runtime import _safety as safety
from numerpilot.runtime._failures import classify_failure, exception_text, first_lines

TRACEBACK = """Traceback (most recent call last):
  File "harness.py", line 102, in main
    predictions = model(live)
  File "<numerpilot_model>", line 7, in predict
KeyError: "live data lacks 2 of the model's 3 features, e.g. ['feature_a',\\n 'feature_b']"
"""


def test_a_keyerrors_escaped_message_becomes_lines() -> None:
    assert exception_text(TRACEBACK) == (
        "KeyError: live data lacks 2 of the model's 3 features, e.g. ['feature_a',\n 'feature_b']"
    )


def test_the_last_exception_of_a_chained_traceback_is_the_one_shown() -> None:
    chained = (
        TRACEBACK
        + "\nDuring handling of the above exception, another exception occurred:\n\n"
        + 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n'
        + "ValueError: first line\nsecond line\n"
    )
    assert exception_text(chained) == "ValueError: first line\nsecond line"
    assert exception_text("no traceback, just words\n") == "no traceback, just words"


def test_first_lines_cut_long_text_and_say_where_the_rest_is() -> None:
    text = "\n".join(f"line {i} " + "x" * (200 if i == 0 else 10) for i in range(10))
    shown = first_lines(text).splitlines()
    assert len(shown) == 4 and len(shown[0]) == 160 and shown[0].endswith("...")
    assert shown[1] == "line 1 " + "x" * 10
    assert shown[-1] == "(7 more lines, the whole text is in 'detail' with --json)"
    assert first_lines("one line") == "one line"


def test_a_failed_predict_keeps_the_traceback_in_the_detail() -> None:
    reason, message, detail = classify_failure(1, "predict", TRACEBACK, {})
    assert reason == "predict_failed"
    assert message.splitlines()[0].startswith("KeyError: live data lacks 2")
    assert detail.startswith("Traceback") and detail.endswith("'feature_b']")
    assert "\\n" not in detail


def test_a_crash_says_what_usually_causes_it() -> None:
    reason, message, _detail = classify_failure(-11, "predict", "", {})
    assert reason == "crashed" and "SIGSEGV during 'predict'" in message


def test_the_scanner_script_reads_ficklings_current_api(
    tiny_model: PortableModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_portable_pickle(tiny_model, tmp_path / "portable.pkl")
    safety.main([str(path)])
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["scanner"] == "fickling" and verdict["severity"] == "OVERTLY_MALICIOUS"
    assert verdict["findings"][0].startswith("OVERTLY_MALICIOUS: Call to `eval(...)`")


def test_the_scanner_script_reads_fickling_0_0_x(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fickling 0.0.4 (the 3.10 image's) prints its findings and returns a bool."""

    def check_safety(_pickled: Any, stdout: io.StringIO, stderr: io.StringIO) -> bool:
        stdout.write("`from builtins import eval` is suspicious and indicative of an overtly ")
        stdout.write("malicious pickle file\n")
        return False

    analysis = types.SimpleNamespace(check_safety=check_safety)
    pickle_module = types.SimpleNamespace(Pickled=types.SimpleNamespace(load=lambda data: data))
    monkeypatch.setitem(sys.modules, "fickling.analysis", analysis)
    monkeypatch.setitem(sys.modules, "fickling.pickle", pickle_module)
    rated = safety._rate_old(b"")
    assert rated["severity"] == "LIKELY_OVERTLY_MALICIOUS"
    assert rated["findings"] == [
        "`from builtins import eval` is suspicious and indicative of an overtly malicious "
        "pickle file"
    ]
