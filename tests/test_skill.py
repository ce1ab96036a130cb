"""The shipped agent skill: printed by ``numerpilot skill``; every command and flag it names
exists; its exit-code table, and the README's, is the code's."""

from __future__ import annotations

import re

import pytest
import typer
from typer._click.core import Command
from typer.core import TyperGroup as Group

from numerpilot.cli import app
from numerpilot.errors import ExitCode
from numerpilot.skill import skill_text
from tests.cli_run import run

PLACEHOLDER = re.compile(r"^([A-Z][A-Z_.:]*|\.\.\.|\w+=.*)$")  # MY_MODEL, URL, ID, x=...


def _options(command: Command) -> set[str]:
    return {name for p in command.params for name in getattr(p, "opts", [])}


def _invocations(text: str) -> list[list[str]]:
    """Every command line the skill shows: code lines and `inline` snippets that start with
    numerpilot or one of its commands."""
    root = typer.main.get_command(app)
    assert isinstance(root, Group)
    blocks = re.findall(r"^```\w*\n(.*?)^```", text, re.M | re.S)
    snippets = [line for block in blocks for line in block.splitlines()]
    snippets += re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))
    found = []
    for snippet in snippets:
        words = snippet.split("#")[0].split()
        if words and words[0] == "numerpilot":
            found.append(words[1:])
        elif words and words[0] in root.commands:
            found.append(words)
    return found


def _check(words: list[str]) -> str:
    """The command path ``words`` names; fails on an unknown command or option."""
    root = typer.main.get_command(app)
    assert isinstance(root, Group)
    command: Command = root
    path = []
    allowed = _options(root) | {"--help"}  # click adds --help to every command
    for word in words:
        if isinstance(command, Group) and word in command.commands:
            command = command.commands[word]
            path.append(word)
            allowed |= _options(command)
        elif word.startswith("-"):
            flag = word.split("=")[0]
            assert flag in allowed, f"'{' '.join(words)}': no option {flag} on {path or 'root'}"
        elif not PLACEHOLDER.match(word) and not isinstance(command, Group):
            continue  # an argument (a model name, a file)
        else:
            assert PLACEHOLDER.match(word), f"'{' '.join(words)}': no command {word!r}"
    return " ".join(path)


def test_skill_is_printed_and_has_the_skill_header(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["skill"], capsys)
    assert code == 0 and out == skill_text()
    front = out.split("---")[1]
    assert re.search(r"^name: numerpilot$", front, re.M)
    assert re.search(r"^description: .{40,}$", front, re.M)


def test_every_command_and_flag_the_skill_names_exists() -> None:
    commands = {_check(words) for words in _invocations(skill_text())}
    # the set-up, the daily loop, status, the rehearsal and the MCP server are all shown
    assert {"init", "doctor", "data download", "train", "run", "status", "sim serve"} <= commands
    assert {"submit", "validate", "mcp", "experiment run", "experiment promote"} <= commands


def test_an_unknown_flag_would_be_caught() -> None:
    with pytest.raises(AssertionError, match="--nope"):
        _check(["submit", "--nope"])
    with pytest.raises(AssertionError, match="no command"):
        _check(["data", "downlaod"])


def test_the_skill_explains_every_exit_code() -> None:
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \|$", skill_text(), re.M)
    assert sorted(int(code) for code, _, _ in rows) == sorted(int(c) for c in ExitCode)


def test_the_readme_exit_code_table_is_the_code() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", table, re.M)
    assert sorted(int(code) for code, _ in rows) == sorted(int(c) for c in ExitCode)
