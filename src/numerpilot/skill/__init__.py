"""The agent skill (SKILL.md) numerpilot ships and ``numerpilot skill`` prints."""

from __future__ import annotations

from importlib.resources import files

SKILL_FILE = "SKILL.md"


def skill_text() -> str:
    return files(__package__).joinpath(SKILL_FILE).read_text(encoding="utf-8")


__all__ = ["SKILL_FILE", "skill_text"]
