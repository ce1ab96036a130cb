"""The local tournament: a Numerai-compatible server for rehearsals and tests.

The unmodified numerapi client talks to it as to Numerai once
``numerapi.base_api.API_TOURNAMENT_URL`` points at it (numerpilot: ``--api-url``). It serves
GraphQL, the synthetic dataset files and presigned uploads on 127.0.0.1, runs a round calendar
on a ``Clock`` (real, accelerated or stepped), scores submissions daily against hidden targets
with a stake-weighted meta model, pays out by Numerai's formula, runs uploaded model pickles
at every round open, injects faults on request and keeps its state in SQLite.

Entry points: ``SimServer`` (the server itself), ``run_sim``/``serve_in_thread`` (serve it
on an ephemeral loopback port in a thread) and ``numerpilot sim serve`` (the foreground CLI).
Its configuration, calendar, fault plan and state records (``Store`` and its tables, for
inspection) are here too. Every module behind this face is private; a name is imported when
it is first used, so that a command needing the calendar or the configuration does not
load the server's libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.sim._calendar import latest_round_at, round_times
    from numerpilot.sim._config import (
        CalendarConfig,
        DataConfig,
        PayoutConfig,
        SimConfig,
        load_sim_config,
    )
    from numerpilot.sim._faults import Decision, EndpointFaults, FaultConfig, Faults, load_faults
    from numerpilot.sim._scoring import CORR_NAME
    from numerpilot.sim._server import ModelRunner, SimServer
    from numerpilot.sim._store import (
        Model,
        Payout,
        Round,
        Score,
        StakeRequest,
        Store,
        Submission,
        Upload,
    )
    from numerpilot.sim._testing import DEFAULT_START, RunningSim, run_sim, serve_in_thread
    from numerpilot.sim._validation import Rejection, parse_submission
    from numerpilot.sim._world import current_round

# Where each name of the face lives; a name is imported on first use (PEP 562).
_WHERE = {
    "latest_round_at": "_calendar",
    "round_times": "_calendar",
    "CalendarConfig": "_config",
    "DataConfig": "_config",
    "PayoutConfig": "_config",
    "SimConfig": "_config",
    "load_sim_config": "_config",
    "Decision": "_faults",
    "EndpointFaults": "_faults",
    "FaultConfig": "_faults",
    "Faults": "_faults",
    "load_faults": "_faults",
    "CORR_NAME": "_scoring",
    "ModelRunner": "_server",
    "SimServer": "_server",
    "Model": "_store",
    "Payout": "_store",
    "Round": "_store",
    "Score": "_store",
    "StakeRequest": "_store",
    "Store": "_store",
    "Submission": "_store",
    "Upload": "_store",
    "DEFAULT_START": "_testing",
    "RunningSim": "_testing",
    "run_sim": "_testing",
    "serve_in_thread": "_testing",
    "Rejection": "_validation",
    "parse_submission": "_validation",
    "current_round": "_world",
}
__all__ = [
    "CORR_NAME",
    "DEFAULT_START",
    "CalendarConfig",
    "DataConfig",
    "Decision",
    "EndpointFaults",
    "FaultConfig",
    "Faults",
    "Model",
    "ModelRunner",
    "Payout",
    "PayoutConfig",
    "Rejection",
    "Round",
    "RunningSim",
    "Score",
    "SimConfig",
    "SimServer",
    "StakeRequest",
    "Store",
    "Submission",
    "Upload",
    "current_round",
    "latest_round_at",
    "load_faults",
    "load_sim_config",
    "parse_submission",
    "round_times",
    "run_sim",
    "serve_in_thread",
]


__getattr__ = lazy_face(__name__, _WHERE, cache=True)


def __dir__() -> list[str]:
    return [*globals(), *__all__]
