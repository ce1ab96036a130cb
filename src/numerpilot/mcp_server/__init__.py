"""numerpilot for agents over the Model Context Protocol: ``numerpilot mcp`` (stdio).

An interface beside the CLI (named so it does not shadow the ``mcp`` SDK it uses). Each tool
runs the very CLI command with ``--json`` and returns its document, so a tool's result is
the JSON the CLI prints, errors included.
"""

from numerpilot.mcp_server.server import build_server, serve

__all__ = ["build_server", "serve"]
