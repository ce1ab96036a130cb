"""Scanning pickles without loading them: globals, bytecode and the Python it belongs to."""

from __future__ import annotations

import marshal
import pickle
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from numerpilot.errors import DataError
from numerpilot.runtime import scan_pickle, scan_pickle_file

DATA = Path(__file__).with_name("data")


@pytest.mark.parametrize(
    ("file", "version"),
    [
        ("cloudpickle_py310.pkl", (3, 10)),
        ("cloudpickle_py311.pkl", (3, 11)),
        ("cloudpickle_py312.pkl", (3, 12)),
        ("cloudpickle_py313.pkl", (3, 13)),
    ],
)
def test_cloudpickles_of_each_python_are_recognised(file: str, version: tuple[int, int]) -> None:
    scan = scan_pickle_file(DATA / file)
    assert scan.has_bytecode
    assert scan.python == version and scan.candidates == (version,)
    assert f"Python {version[0]}.{version[1]}" in scan.describe()
    assert "cloudpickle.cloudpickle._make_function" in scan.globals


def test_a_cloudpickle_made_here_is_recognised_as_this_python() -> None:
    def predict(live: Any) -> Any:
        return live.rank(pct=True)

    scan = scan_pickle(cloudpickle.dumps(predict))
    assert scan.python == (3, 11)
    assert len(scan.code_objects) == 1 and scan.code_objects[0].n_args == 18


class _Marshalled:
    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (marshal.loads, (marshal.dumps(compile("1", "<x>", "eval")),))


def test_marshalled_code_counts_as_bytecode_of_unknown_version() -> None:
    scan = scan_pickle(pickle.dumps(_Marshalled()))
    assert scan.marshal and scan.has_bytecode
    assert scan.candidates == () and "unknown Python version" in scan.describe()


def test_plain_data_has_no_bytecode() -> None:
    scan = scan_pickle(pickle.dumps({"a": [1, 2.5, "x", b"y", None, (True, frozenset({3}))]}))
    assert not scan.has_bytecode and scan.globals == ()
    assert scan.describe() == "no bytecode (loads on any Python version)"


def test_truncated_pickle_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.pkl"
    path.write_bytes((DATA / "cloudpickle_py311.pkl").read_bytes()[:200])
    with pytest.raises(DataError, match="not a readable pickle") as info:
        scan_pickle_file(path)
    assert str(path) in str(info.value)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        scan_pickle_file(tmp_path / "none.pkl")
