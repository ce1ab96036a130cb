"""The local tournament: a Numerai-compatible server for rehearsals and tests.

The unmodified numerapi client talks to it as to Numerai once
``numerapi.base_api.API_TOURNAMENT_URL`` points at it (numerpilot: ``--api-url``). It serves
GraphQL, the synthetic dataset files and presigned uploads on 127.0.0.1, runs a round calendar
on a ``Clock`` (real, accelerated or stepped), scores submissions daily against hidden targets
with a stake-weighted meta model, pays out by Numerai's formula, runs uploaded model pickles
at every round open, injects faults on request and keeps its state in SQLite.

Entry points: ``SimServer`` (the server itself), ``run_sim``/``serve_in_thread`` (serve it
on an ephemeral loopback port in a thread) and ``numerpilot sim serve`` (the foreground CLI).
"""

from __future__ import annotations

from numerpilot.sim.config import SimConfig, load_sim_config
from numerpilot.sim.faults import EndpointFaults, FaultConfig, load_faults
from numerpilot.sim.server import ModelRunner, SimServer
from numerpilot.sim.testing import DEFAULT_START, RunningSim, run_sim, serve_in_thread

__all__ = [
    "DEFAULT_START",
    "EndpointFaults",
    "FaultConfig",
    "ModelRunner",
    "RunningSim",
    "SimConfig",
    "SimServer",
    "load_faults",
    "load_sim_config",
    "run_sim",
    "serve_in_thread",
]
