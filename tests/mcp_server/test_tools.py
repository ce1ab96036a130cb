"""The MCP tools' command lines: nothing is uploaded unless asked (no process is spawned)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from numerpilot.errors import ExitCode
from numerpilot.mcp_server import server as mcp_server


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    seen: list[tuple[str, ...]] = []

    async def fake_run_cli(project: mcp_server.Project, *args: str) -> tuple[int, dict[str, Any]]:
        seen.append(args)
        return 0, {"kind": "fake", "schema_version": 1}

    monkeypatch.setattr(mcp_server, "run_cli", fake_run_cli)
    return seen


def _call(name: str, arguments: dict[str, Any]) -> Any:
    server = mcp_server.build_server(mcp_server.Project(Path("/p"), "http://127.0.0.1:1"))

    async def go() -> Any:
        return await server.call_tool(name, arguments)

    return anyio.run(go)


@pytest.mark.parametrize(
    ("tool", "arguments", "args"),
    [
        ("submit", {}, ("submit", "--dry-run")),
        ("submit", {"model": "m", "upload": True}, ("submit", "m")),
        ("upload_model", {}, ("upload-model", "--dry-run")),
        ("upload_model", {"upload": True}, ("upload-model",)),
        ("status", {"rounds": 3}, ("status", "--rounds", "3")),
        (
            "data_download",
            {"files": ["a", "b"]},
            ("data", "download", "--files", "a", "--files", "b"),
        ),
        ("validate", {"models": ["x"], "fnc": True}, ("validate", "x", "--fnc")),
        ("run_once", {"confirm": True}, ("run", "--once")),
        ("experiment_new", {"name": "e"}, ("experiment", "new", "e")),
        ("experiment_new", {"name": "e", "force": True}, ("experiment", "new", "e", "--force")),
        ("experiment_run", {"name": "e"}, ("experiment", "run", "e")),
        (
            "experiment_run",
            {"name": "e", "workers": 2, "scheduler": "tcp://h:8786"},
            ("experiment", "run", "e", "--workers", "2", "--scheduler", "tcp://h:8786"),
        ),
        ("experiment_status", {}, ("experiment", "status")),
        ("experiment_status", {"name": "e"}, ("experiment", "status", "e")),
        ("experiment_show", {"name": "e"}, ("experiment", "show", "e")),
        ("experiment_promote", {"name": "e", "confirm": True}, ("experiment", "promote", "e")),
        (
            "experiment_promote",
            {"name": "e", "if_better": True, "confirm": True},
            ("experiment", "promote", "e", "--if-better"),
        ),
    ],
)
def test_tool_command_lines(
    calls: list[tuple[str, ...]], tool: str, arguments: dict[str, Any], args: tuple[str, ...]
) -> None:
    result = _call(tool, arguments)
    assert calls == [args] and not result.is_error
    assert result.structured_content == {"kind": "fake", "schema_version": 1}


@pytest.mark.parametrize(
    ("tool", "arguments"), [("run_once", {}), ("experiment_promote", {"name": "e"})]
)
def test_without_confirm_nothing_runs(
    calls: list[tuple[str, ...]], tool: str, arguments: dict[str, Any]
) -> None:
    result = _call(tool, arguments)
    assert calls == [] and result.is_error
    assert result.structured_content["error"]["exit_code"] == ExitCode.USAGE


def test_the_command_runs_the_cli_with_json_for_the_project() -> None:
    project = mcp_server.Project(Path("/p"), "http://127.0.0.1:1")
    command = project.command("status")
    assert command[1:] == [
        "-m",
        "numerpilot",
        "-C",
        "/p",
        "--api-url",
        "http://127.0.0.1:1",
        "status",
        "--json",
    ]
