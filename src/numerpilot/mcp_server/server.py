"""The MCP server: tools that run numerpilot's commands, resources for status and reports.

Every tool runs ``python -m numerpilot ... --json`` in a child process: the result is exactly
the CLI's JSON document; the protocol's stdout is never written by a command; a crash or a
long training cannot take the server down. Nothing destructive happens by default: submit and
upload-model are dry runs unless ``upload=true``, and ``run_once`` (which submits and may change
stakes, as the project's [stake] settings allow) and ``experiment_promote`` (which changes the
model the tournament models submit) need ``confirm=true``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from numerpilot import __version__
from numerpilot.errors import ExitCode
from numerpilot.schemas import error_document, json_document

INSTRUCTIONS = (
    "numerpilot takes part in the Numerai tournament: data, training, validation, submissions, "
    "scores and stakes. Each tool returns the JSON document the CLI prints with --json (a "
    "'kind' and 'schema_version'; errors as kind 'error' with code, exit_code, message, hint). "
    "Start with doctor; submit and upload_model are dry runs unless upload=true; run_once "
    "submits for real and needs confirm=true, as does experiment_promote (it changes the model the "
    "tournament gets). The skill resource explains the whole loop."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
WRITES_LOCAL = ToolAnnotations(read_only_hint=False, destructive_hint=False)
UPLOADS = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True)
PROMOTES = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)


@dataclass(frozen=True)
class Project:
    """Where the commands run: the project folder and the tournament endpoint."""

    directory: Path
    api_url: str | None = None

    def command(self, *args: str) -> list[str]:
        root = [sys.executable, "-m", "numerpilot", "-C", str(self.directory)]
        if self.api_url:
            root += ["--api-url", self.api_url]
        return [*root, *args, "--json"]


async def run_cli(project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    """``numerpilot ARGS --json`` in a child process: its exit code and its JSON document."""
    done = await anyio.run_process(project.command(*args), check=False)
    lines = [line for line in done.stdout.decode("utf-8", "replace").splitlines() if line]
    try:
        document = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()
        message = stderr[-1] if stderr else f"exit {done.returncode} without a JSON document"
        document = json_document(error_document(ExitCode.FAILURE, message))
    return done.returncode, document


def _result(code: int, document: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(document))],
        structured_content=document,
        is_error=code != 0,
    )


def _refused(message: str) -> CallToolResult:
    """A usage error document, nothing run: for tools that need ``confirm=true``."""
    return _result(int(ExitCode.USAGE), json_document(error_document(ExitCode.USAGE, message)))


def _flag(name: str, on: bool) -> list[str]:
    return [name] if on else []


def _option(name: str, value: object) -> list[str]:
    return [] if value is None else [name, str(value)]


def build_server(project: Project) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer(
        name="numerpilot", version=__version__, instructions=INSTRUCTIONS
    )

    async def cli(*args: str) -> CallToolResult:
        return _result(*await run_cli(project, *args))

    @server.tool(annotations=READ_ONLY)
    async def doctor() -> CallToolResult:
        """What is missing before numerpilot can run (config, credentials, API, dataset,
        trained model, tournament models, disk, memory) and what to do about each."""
        return await cli("doctor")

    @server.tool(annotations=READ_ONLY)
    async def status(rounds: int = 10) -> CallToolResult:
        """Rounds, submissions, scores, payouts and stakes from the ledger."""
        return await cli("status", "--rounds", str(rounds))

    @server.tool(annotations=READ_ONLY)
    async def models() -> CallToolResult:
        """Stored models with validation scores, and the one each tournament model submits."""
        return await cli("models")

    @server.tool(annotations=WRITES_LOCAL)
    async def data_download(
        version: str | None = None, files: list[str] | None = None
    ) -> CallToolResult:
        """Download a dataset version into data/VERSION/ (resumable, checked)."""
        args = ["data", "download", *_option("--version", version)]
        for name in files or []:
            args += ["--files", name]
        return await cli(*args)

    @server.tool(annotations=WRITES_LOCAL)
    async def data_synth(
        scale: Literal["demo", "small", "full"] = "demo", version: str | None = None, seed: int = 0
    ) -> CallToolResult:
        """Write synthetic Numerai-shaped data where downloads go (offline rehearsals)."""
        args = ["data", "synth", "--scale", scale, "--seed", str(seed)]
        return await cli(*args, *_option("--version", version))

    @server.tool(annotations=WRITES_LOCAL)
    async def train(name: str | None = None) -> CallToolResult:
        """Train the configured LightGBM ensemble and store it in models/ (can take hours on
        full data; an interrupted run resumes under the same name)."""
        return await cli("train", *_option("--name", name))

    @server.tool(annotations=WRITES_LOCAL)
    async def validate(models: list[str] | None = None, fnc: bool = False) -> CallToolResult:
        """Per-era validation scores (CORR, MMC, BMC, exposure, drawdown, payout) of stored
        models (default: the newest); also writes the HTML report."""
        return await cli("validate", *(models or []), *_flag("--fnc", fnc))

    @server.tool(annotations=WRITES_LOCAL)
    async def predict(model: str | None = None) -> CallToolResult:
        """Live predictions of a stored model as an id,prediction CSV."""
        return await cli("predict", *([model] if model else []))

    @server.tool(annotations=UPLOADS)
    async def submit(
        model: str | None = None, upload: bool = False, no_download: bool = False
    ) -> CallToolResult:
        """Predict live and check the predictions for a tournament model. A dry run unless
        upload=true, which uploads them to the tournament and confirms."""
        args = ["submit", *([model] if model else []), *_flag("--no-download", no_download)]
        return await cli(*args, *_flag("--dry-run", not upload))

    @server.tool(annotations=UPLOADS)
    async def upload_model(model: str | None = None, upload: bool = False) -> CallToolResult:
        """Build and pre-flight the model pickle Numerai would run. A dry run unless
        upload=true, which uploads it and confirms."""
        args = ["upload-model", *([model] if model else [])]
        return await cli(*args, *_flag("--dry-run", not upload))

    @server.tool(annotations=READ_ONLY)
    async def preflight(pickle_file: str) -> CallToolResult:
        """Run a model pickle as Numerai's hosted runtime would (pinned packages, limits)."""
        return await cli("preflight", pickle_file)

    @server.tool(annotations=UPLOADS)
    async def run_once(confirm: bool = False) -> CallToolResult:
        """One autopilot pass: settle, submit every configured model if a round is open,
        pull scores, apply the stake policy ([stake] enabled=false: only recorded). It
        submits for real, so it needs confirm=true."""
        if not confirm:
            return _refused(
                "run_once submits predictions for real; call it again with confirm=true"
            )
        return await cli("run", "--once")

    @server.tool(annotations=WRITES_LOCAL)
    async def experiment_new(name: str, force: bool = False) -> CallToolResult:
        """Write a commented starting experiment, experiments/NAME.toml, that runs as it is
        (force=true overwrites an existing one)."""
        return await cli("experiment", "new", name, *_flag("--force", force))

    @server.tool(annotations=WRITES_LOCAL)
    async def experiment_run(
        name: str, workers: int | None = None, scheduler: str | None = None
    ) -> CallToolResult:
        """Run (or resume) experiment NAME on a Dask cluster: scouts, the best at full scale,
        the final holdout; writes its HTML report (can take hours; finished trials are kept).
        scheduler: tcp://HOST:PORT of an existing cluster (default: a local one)."""
        args = ["experiment", "run", name, *_option("--workers", workers)]
        return await cli(*args, *_option("--scheduler", scheduler))

    @server.tool(annotations=READ_ONLY)
    async def experiment_status(name: str | None = None) -> CallToolResult:
        """Experiments in the ledger (default: all): status, trials done, failed and pending,
        the winner and the model promoted from it."""
        return await cli("experiment", "status", *([name] if name else []))

    @server.tool(annotations=WRITES_LOCAL)
    async def experiment_show(name: str) -> CallToolResult:
        """An experiment's scouts and finalists (CV beside holdout), its baseline and winner;
        also writes its HTML report."""
        return await cli("experiment", "show", name)

    @server.tool(annotations=PROMOTES)
    async def experiment_promote(
        name: str, if_better: bool = False, confirm: bool = False
    ) -> CallToolResult:
        """Train the experiment's winner on all the eras it may use and make it the model the
        tournament models submit (if_better=true: only if it beats the current model on the
        holdout by agent.promote_margin). It changes what is submitted, so it needs
        confirm=true."""
        if not confirm:
            return _refused(
                "experiment_promote changes the model the tournament models submit; "
                "call it again with confirm=true"
            )
        return await cli("experiment", "promote", name, *_flag("--if-better", if_better))

    @server.resource(
        "numerpilot://status",
        name="status",
        description="The ledger's rounds, submissions, scores, payouts and stakes (JSON).",
        mime_type="application/json",
    )
    async def status_resource() -> str:
        _, document = await run_cli(project, "status")
        return json.dumps(document)

    @server.resource(
        "numerpilot://reports/validation/latest",
        name="latest validation report",
        description="The newest HTML report 'validate' wrote in reports/.",
        mime_type="text/html",
    )
    async def latest_validation_report() -> str:
        reports = sorted(
            _reports_dir(project).glob("validate-*.html"), key=lambda p: p.stat().st_mtime
        )
        if not reports:
            return "<p>No validation report yet: call the validate tool.</p>"
        return reports[-1].read_text(encoding="utf-8")

    @server.resource(
        "numerpilot://skill",
        name="skill",
        description="How to use numerpilot as an agent (SKILL.md).",
        mime_type="text/markdown",
    )
    async def skill() -> str:
        from numerpilot.skill import skill_text

        return skill_text()

    return server


def _reports_dir(project: Project) -> Path:
    from numerpilot.config import load_settings

    return load_settings(project.directory).reports_path


def serve(directory: Path, api_url: str | None) -> None:
    """Serve over stdio until the client closes the connection."""
    build_server(Project(directory.resolve(), api_url)).run("stdio")


__all__ = ["Project", "build_server", "run_cli", "serve"]
