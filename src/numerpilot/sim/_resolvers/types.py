"""The root types every resolver module binds its fields to."""

from __future__ import annotations

from ariadne import MutationType, QueryType

query = QueryType()
mutation = MutationType()

__all__ = ["mutation", "query"]
