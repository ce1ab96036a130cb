"""Commands for agents: ``mcp`` (the MCP server over stdio) and ``skill`` (SKILL.md)."""

from __future__ import annotations

import typer

from numerpilot.cli._common import state


def mcp(ctx: typer.Context) -> None:
    """Serve the Model Context Protocol over stdio: a tool per command (same JSON as --json),
    resources for status and the latest validation report. Uploads need upload=true."""
    from numerpilot.mcp_server import serve

    cli = state(ctx)
    serve(cli.project_dir, cli.api_url)


def skill() -> None:
    """Print the agent skill (SKILL.md): set-up, the daily loop, exit codes, safety rules."""
    from numerpilot.skill import skill_text

    typer.echo(skill_text(), nl=False)


def register(app: typer.Typer) -> None:
    app.command()(mcp)
    app.command()(skill)
