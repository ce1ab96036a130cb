"""GraphQL resolvers of the local tournament, bound to ``schema.graphql``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

# Importing the modules binds their fields to the root types.
from numerpilot.sim._resolvers import account, mutations, rounds, scores
from numerpilot.sim._resolvers.context import SCALARS, RequestContext
from numerpilot.sim._resolvers.types import mutation, query

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"
_RESOLVER_MODULES = (account, mutations, rounds, scores)


@cache
def build_schema() -> GraphQLSchema:
    """The executable schema, built once per process: it holds no per-server state."""
    return make_executable_schema(
        load_schema_from_path(str(SCHEMA_PATH)), query, mutation, *SCALARS
    )


__all__ = ["SCHEMA_PATH", "RequestContext", "build_schema"]
