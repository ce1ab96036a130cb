"""The dashboard's web app: the live page over what ``load`` returns, and the report files.

The app only reads: ``load`` is called on every request of the page (the caller opens the
ledger read-only), and ``/reports/`` serves the reports folder as static files. It binds to
loopback unless told otherwise, because the ledger names models and stakes: a person who
wants it on the network must say so.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from numerpilot.errors import ConfigError, NumerpilotError
from numerpilot.report._dashboard import render_dashboard
from numerpilot.report._style import page
from numerpilot.report._view import DashboardView

REFRESH_SECONDS = 15
REPORTS_PREFIX = "/reports/"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool = False) -> None:
    """Refuse anything but a loopback address unless ``allow_remote``."""
    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"option '--host': refusing to serve the dashboard on {host}: it shows your models "
            "and stakes to anyone who can reach it; use 127.0.0.1, or --allow-remote to insist"
        )


def bind(host: str, port: int = 0, *, allow_remote: bool = False) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port), after ``check_host``."""
    check_host(host, allow_remote=allow_remote)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise ConfigError(f"option '--port': cannot listen on {host}:{port}: {e}") from None
    sock.listen(64)
    return sock


def create_app(
    load: Callable[[], DashboardView],
    reports: Path,
    *,
    refresh_seconds: int = REFRESH_SECONDS,
) -> Starlette:
    """The app: ``/`` the live dashboard, ``/reports/...`` the report files."""

    def index(request: Request) -> Response:  # sync: Starlette runs it in its thread pool
        try:
            html = render_dashboard(load(), refresh_seconds=refresh_seconds)
        except NumerpilotError as e:
            # A ledger it cannot read (newer schema, not a ledger): say so, keep serving.
            message = f"<section><p>{escape(str(e))}</p></section>"
            return HTMLResponse(page("numerpilot dashboard", message), status_code=503)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    def no_icon(request: Request) -> Response:
        return Response(status_code=204)  # browsers ask; a 404 would be a console error

    routes: list[Route | Mount] = [
        Route("/", index, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
    ]
    # check_dir=False: the folder may appear later (the first validate run creates it).
    files = StaticFiles(directory=reports, check_dir=False)

    async def report_files(scope: Scope, receive: Receive, send: Send) -> None:
        if not reports.is_dir():
            await PlainTextResponse("no reports yet", status_code=404)(scope, receive, send)
            return
        await files(scope, receive, send)

    routes.append(Mount(REPORTS_PREFIX.rstrip("/"), app=report_files, name="reports"))
    return Starlette(routes=routes)


__all__ = ["REFRESH_SECONDS", "REPORTS_PREFIX", "bind", "check_host", "create_app", "is_loopback"]
