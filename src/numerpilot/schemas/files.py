"""The published JSON Schemas of every ``--json`` document, one file per ``kind``.

The files in this folder are generated from ``documents.py``: run ``python -m
numerpilot.schemas`` after changing a document (a test fails until the files match).
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from numerpilot.schemas import SCHEMA_VERSION
from numerpilot.schemas.documents import DOCUMENTS

SCHEMA_DIR = Path(str(files(__package__)))


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of document ``kind``, as published."""
    model = DOCUMENTS[kind]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://numerpilot.dev/schemas/v{SCHEMA_VERSION}/{kind}.json"
    return schema


def schema_text(kind: str) -> str:
    return json.dumps(schema_for(kind), indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write ``KIND.json`` for every document kind; returns the paths written."""
    written = []
    for kind in DOCUMENTS:
        path = directory / f"{kind}.json"
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written


def published(kind: str) -> dict[str, Any]:
    """The schema file shipped for ``kind``."""
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.json").read_text("utf-8"))
    return loaded


__all__ = ["SCHEMA_DIR", "published", "schema_for", "schema_text", "write_schemas"]
