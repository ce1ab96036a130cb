"""The MCP server, driven by the SDK's own stdio client against the local tournament."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextResourceContents

from numerpilot.errors import ExitCode
from numerpilot.schemas import SCHEMA_VERSION
from tests.cli_run import run

TOOLS = {
    "doctor",
    "status",
    "models",
    "data_download",
    "data_synth",
    "train",
    "validate",
    "predict",
    "submit",
    "upload_model",
    "preflight",
    "run_once",
    "experiment_new",
    "experiment_run",
    "experiment_status",
    "experiment_show",
    "experiment_promote",
}


def _server(project: Path, url: str, home: Path, public_id: str, secret: str) -> Any:
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "HOME": str(home),
        "NUMERAI_PUBLIC_ID": public_id,
        "NUMERAI_SECRET_KEY": secret,
    }
    args = ["-m", "numerpilot", "-C", str(project), "--api-url", url, "mcp"]
    return StdioServerParameters(command=sys.executable, args=args, env=env)


def _document(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    text = result.content[0]
    assert json.loads(getattr(text, "text", "")) == result.structured_content  # same document
    return dict(result.structured_content)


@pytest.mark.slow
def test_tools_and_resources_over_stdio(
    sim_server: Any, tmp_path: Path, _isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    code, _, _ = run(["-C", str(project), "init", "--model", "demo_csv"], capsys)
    assert code == 0
    demo = sim_server.demo
    params = _server(project, sim_server.url, _isolated_home, demo.public_id, demo.secret_key)
    seen: dict[str, Any] = {}

    async def session() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            init = await client.initialize()
            seen["server"] = init.server_info.name
            seen["tools"] = {t.name: t for t in (await client.list_tools()).tools}
            seen["status"] = await client.call_tool("status", {})
            seen["doctor"] = await client.call_tool("doctor", {})
            seen["run_once"] = await client.call_tool("run_once", {})
            resource = await client.read_resource("numerpilot://status")
            seen["status_resource"] = resource.contents[0]
            seen["skill"] = (await client.read_resource("numerpilot://skill")).contents[0]

    anyio.run(session)
    assert seen["server"] == "numerpilot"
    assert set(seen["tools"]) >= TOOLS
    # uploads need an explicit argument: submit and upload_model say so in their schema
    for name in ("submit", "upload_model"):
        upload = seen["tools"][name].input_schema["properties"]["upload"]
        assert upload["default"] is False
    assert seen["tools"]["status"].annotations.read_only_hint is True
    promote = seen["tools"]["experiment_promote"].input_schema["properties"]["confirm"]
    assert promote["default"] is False

    status = _document(seen["status"])
    assert status["kind"] == "status" and status["schema_version"] == SCHEMA_VERSION
    assert not seen["status"].is_error
    # the same document as the CLI prints
    code, out, _ = run(["-C", str(project), "status", "--json"], capsys)
    cli_status = json.loads(out)
    assert {k: v for k, v in cli_status.items() if k != "generated_at"} == {
        k: v for k, v in status.items() if k != "generated_at"
    }

    doctor = _document(seen["doctor"])
    checks = {c["name"]: c for c in doctor["checks"]}
    assert checks["credentials accepted"]["status"] == "ok"
    assert checks["models in account"]["status"] == "ok"  # demo_csv exists on the sim account
    assert checks["dataset"]["status"] == "fail"  # a fresh project: nothing downloaded yet
    assert seen["doctor"].is_error and doctor["ok"] is False

    refused = _document(seen["run_once"])
    assert seen["run_once"].is_error
    assert (
        refused["error"]["exit_code"] == ExitCode.USAGE and "confirm" in refused["error"]["message"]
    )

    resource = seen["status_resource"]
    assert isinstance(resource, TextResourceContents)
    assert json.loads(resource.text)["kind"] == "status"
    assert (
        isinstance(seen["skill"], TextResourceContents) and "name: numerpilot" in seen["skill"].text
    )
