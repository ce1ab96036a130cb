"""Checks of what a parquet file holds, each failing with a ``DataError`` that names the
file and the column."""

from __future__ import annotations

import difflib
from collections.abc import Callable

import pyarrow as pa

from numerpilot.errors import DataError


def require_columns(schema: pa.Schema, wanted: list[str], where: str) -> None:
    present = set(schema.names)
    missing = [name for name in wanted if name not in present]
    if not missing:
        return
    first = missing[0]
    close = difflib.get_close_matches(first, schema.names, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    more = f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else ""
    raise DataError(f"{where} has no column '{first}'{hint}{more}", path=where, column=first)


def check_type(
    schema: pa.Schema,
    name: str,
    where: str,
    ok: Callable[[pa.DataType], bool],
    expected: str,
) -> None:
    kind = schema.field(name).type
    if not ok(kind):
        raise DataError(
            f"{where}: column '{name}' has type {kind}, expected {expected}",
            path=where,
            column=name,
        )


def is_feature_type(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def is_number_type(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def is_string_type(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


__all__ = [
    "check_type",
    "is_feature_type",
    "is_number_type",
    "is_string_type",
    "require_columns",
]
