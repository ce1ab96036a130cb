"""Checks a ``--json`` document against the published JSON Schema of its kind."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from numerpilot.schemas import published


def check_document(document: Any) -> str:
    """Assert ``document`` is one object of a known kind that matches its schema; its kind."""
    assert isinstance(document, dict), f"a --json document is one object, got {type(document)}"
    kind = document.get("kind")
    assert isinstance(kind, str), f"no 'kind' in {sorted(document)}"
    errors = sorted(
        Draft202012Validator(published(kind)).iter_errors(document), key=lambda e: e.json_path
    )
    assert not errors, f"{kind}: " + "; ".join(f"{e.json_path}: {e.message}" for e in errors[:5])
    return kind
