"""Writing ``numerpilot.toml``: the commented starter file ``numerpilot init`` creates, and
the ``[[tournament.models]]`` tables it appends. Reading and validating the file is
``config.py``'s; values are written by tomli-w, and every result is read back and validated
before it is returned, so nothing here can write a file ``load_settings`` refuses.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from numerpilot.config import CONFIG_FILE, ModelEntry, Settings
from numerpilot.errors import ConfigError


def _assignment(name: str, value: Any) -> str:
    """``name = value`` as TOML (tomli-w writes the value; paths as their text)."""
    plain = str(value) if isinstance(value, Path) else value
    return tomli_w.dumps({name: plain}).rstrip("\n")


def _section_lines(model: type[BaseModel], instance: BaseModel, header: str) -> list[str]:
    lines = [f"[{header}]"]
    nested: list[str] = []
    for name, field in model.model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            nested += ["", *_section_lines(type(value), value, f"{header}.{name}")]
            continue
        if _is_table_list(field.annotation):
            # Not "name = []": a [[header.name]] table appended later would redefine it and
            # make the file invalid. Tables of this kind go at the end of the file.
            lines.append(f"# {field.description} ([[{header}.{name}]] tables at the end.)")
            continue
        if field.description:
            lines.append(f"# {field.description}")
        if value is None:
            lines.append(f"# {name} = ...")
        else:
            lines.append(_assignment(name, value))
    return lines + nested


def _is_table_list(annotation: Any) -> bool:
    args = getattr(annotation, "__args__", ())
    return getattr(annotation, "__origin__", None) is list and any(
        isinstance(a, type) and issubclass(a, BaseModel) for a in args
    )


_MODELS_FOOTER = [
    "",
    "# Tournament models numerpilot takes part with: one [[tournament.models]] table each,",
    "# HERE AT THE END of the file (a table higher up would take the keys below it as its own).",
    "# 'numerpilot init --model NAME' (or NAME:upload) appends one. Uncommented, this is one:",
    "#",
    "# [[tournament.models]]",
    '# name = "my_model"  # the model\'s name on numer.ai',
    '# mode = "csv"  # or "upload": Numerai runs the model pickle',
    '# model = "NAME"  # a stored model to use (default: the newest)',
]


def model_table(entry: ModelEntry) -> str:
    """One ``[[tournament.models]]`` table, as appended to the end of ``numerpilot.toml``."""
    body = tomli_w.dumps(entry.model_dump(exclude_none=True))
    return f"[[tournament.models]]\n{body}"


def starter_toml(models: list[ModelEntry] | None = None) -> str:
    """A commented ``numerpilot.toml`` with every setting at its default, then ``models``.
    Following its own comments (appending a model table at the end) keeps it valid TOML."""
    defaults = Settings()
    top: list[str] = []
    sections: list[str] = []
    for name, field in Settings.model_fields.items():
        value = getattr(defaults, name)
        if isinstance(value, BaseModel):
            sections += ["", *_section_lines(type(value), value, name)]
        elif name != "project_dir":
            top += [f"# {field.description}", _assignment(name, value)]
    header = [
        "# numerpilot project settings. Every value shown is the default; delete what you do",
        "# not change. Environment variables override this file:",
        "# NUMERPILOT_<SECTION>__<FIELD>, e.g. NUMERPILOT_TRAIN__FEATURE_SET=small.",
        "",
    ]
    text = "\n".join(header + top + sections + _MODELS_FOOTER) + "\n"
    return add_models_toml(text, models or [])


def add_models_toml(text: str, models: list[ModelEntry]) -> str:
    """``text`` (a numerpilot.toml) with a table appended for each model it lacks; checked:
    a ``ConfigError`` names what would be wrong instead of writing an invalid file."""
    try:
        known = {
            m.get("name")
            for m in tomllib.loads(text).get("tournament", {}).get("models", [])
            if isinstance(m, dict)
        }
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{CONFIG_FILE}: not valid TOML: {e}") from e
    for entry in models:
        if entry.name not in known:
            text = text.rstrip("\n") + "\n\n" + model_table(entry)
            known.add(entry.name)
    try:
        Settings(**tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as e:
        raise ConfigError(f"{CONFIG_FILE}: adding the models would make it invalid: {e}") from e
    return text


__all__ = ["add_models_toml", "model_table", "starter_toml"]
