"""The ASGI app: GraphQL at ``/`` (numerapi posts to the bare API URL) and the file routes.

GraphQL answers as Numerai's does: HTTP 200 with an ``errors`` list for anything the API
refuses (numerapi turns that into ``ValueError(message)``); 5xx only from injected faults.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from graphql import GraphQLError, OperationDefinitionNode, parse
from graphql.language import FieldNode
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from numerpilot.clock import SERVER_CLOCK_HEADER, AcceleratedClock, Clock, format_server_clock
from numerpilot.sim._faults import Decision
from numerpilot.sim._files import FileServer, dataset_file, submission_download, upload
from numerpilot.sim._httpfaults import delay_or_fail


class Backend(FileServer, Protocol):
    """What the app needs from the tournament behind it (``SimServer`` is one): the routes are
    handed this, so the app never imports the server that builds it."""

    clock: Clock

    def execute(
        self, body: dict[str, Any], auth_header: str | None, base_url: str, fault: Decision
    ) -> dict[str, Any]: ...


def operation_field(query: object) -> str:
    """The first top-level field a query asks for: the endpoint name faults are keyed by."""
    if not isinstance(query, str):
        return "graphql"
    try:
        document = parse(query)
    except GraphQLError:
        return "graphql"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.name.value != "__typename":
                    return selection.name.value
    return "graphql"


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


async def graphql_endpoint(request: Request) -> Response:
    server: Backend = request.app.state.sim
    if request.method == "GET":
        return PlainTextResponse("numerpilot local tournament: POST GraphQL queries here\n")
    try:
        body: Any = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error("Request body is not valid JSON")
    if not isinstance(body, dict):
        return _error("Request body must be a JSON object with a 'query'")
    decision = server.faults.decide(operation_field(body.get("query")))
    if (failure := await delay_or_fail(decision)) is not None:
        return failure
    result = await run_in_threadpool(
        server.execute,
        body,
        request.headers.get("authorization"),
        str(request.base_url).rstrip("/"),
        decision,
    )
    return JSONResponse(result)


class AnnounceClock:
    """Stamps every response with the server's time when it runs faster or slower than real
    time, so that a client in another process (``numerpilot run`` against ``sim serve
    --speed``) judges round windows by this clock, not by its wall clock."""

    def __init__(self, app: ASGIApp, server: Backend):
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        clock = self.server.clock
        if scope["type"] != "http" or not isinstance(clock, AcceleratedClock):
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = format_server_clock(clock.now(), clock.speed)
                headers = [
                    *message.get("headers", []),
                    (SERVER_CLOCK_HEADER.lower().encode(), value.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)


def build_app(server: Backend) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", graphql_endpoint, methods=["GET", "POST"]),
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Route("/data/{path:path}", dataset_file, methods=["GET", "HEAD"]),
            Route("/uploads/{token}", upload, methods=["PUT"]),
            Route("/submissions/{submission_id}", submission_download, methods=["GET"]),
        ]
    )
    app.state.sim = server
    app.add_middleware(AnnounceClock, server=server)
    return app


__all__ = ["AnnounceClock", "Backend", "build_app", "operation_field"]
