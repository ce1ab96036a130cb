"""Applying a fault decision to an HTTP request: delay it, hang it, or fail it with a 5xx.

These waits are real time on purpose: they imitate a slow network and hold a real socket,
whatever the simulated clock says. They are bounded (``EndpointFaults`` caps them at 60 s).
"""

from __future__ import annotations

import asyncio

from starlette.responses import PlainTextResponse, Response

from numerpilot.sim._faults import Decision

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


async def delay_or_fail(decision: Decision) -> Response | None:
    """The failure to answer instead of serving the request, or None to serve it."""
    if decision.latency > 0:
        await asyncio.sleep(decision.latency)
    if decision.hang_seconds is not None:
        await asyncio.sleep(decision.hang_seconds)
        return PlainTextResponse("Gateway Timeout", status_code=504)
    if decision.error_status is not None:
        reason = _REASONS.get(decision.error_status, "Server Error")
        return PlainTextResponse(reason, status_code=decision.error_status)
    return None


__all__ = ["delay_or_fail"]
