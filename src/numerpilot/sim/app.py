"""The ASGI app: GraphQL at ``/`` (numerapi posts to the bare API URL) and the file routes.

GraphQL answers as Numerai's does: HTTP 200 with an ``errors`` list for anything the API
refuses (numerapi turns that into ``ValueError(message)``); 5xx only from injected faults.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from graphql.language import FieldNode
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from numerpilot.sim import files
from numerpilot.sim.httpfaults import delay_or_fail

if TYPE_CHECKING:
    from numerpilot.sim.server import SimServer


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
    server: SimServer = request.app.state.sim
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


def build_app(server: SimServer) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", graphql_endpoint, methods=["GET", "POST"]),
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Route("/data/{path:path}", files.dataset_file, methods=["GET", "HEAD"]),
            Route("/uploads/{token}", files.upload, methods=["PUT"]),
            Route("/submissions/{submission_id}", files.submission_download, methods=["GET"]),
        ]
    )
    app.state.sim = server
    return app


__all__ = ["build_app", "operation_field"]
