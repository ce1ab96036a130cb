"""Where trials run: a Dask ``LocalCluster`` sized from the machine, or an existing cluster.

Trials parallelise better than trees (a LightGBM fit on a few hundred thousand rows stops
scaling past a couple of threads), so the local cluster runs one trial per worker with one
Dask thread each, and gives LightGBM the remaining cores: workers x LightGBM threads = cores.
The number of workers is also capped by the memory budget divided by a trial's plan.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from numerpilot.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterInfo:
    address: str
    workers: int  # trials that run at once (a remote worker runs one per Dask thread)
    lightgbm_threads: int  # per trial
    dashboard: str | None
    local: bool


def local_size(cores: int, budget: int, need: int, trials: int, wanted: int) -> int:
    """Workers of a local cluster: as asked, else as many as cores, memory and trials allow."""
    if wanted > 0:
        return wanted
    by_memory = max(1, budget // max(1, need))
    return max(1, min(cores, by_memory, trials))


@contextmanager
def trial_cluster(
    *,
    scheduler: str | None,
    workers: int,
    processes: bool = True,
) -> Iterator[tuple[Client, ClusterInfo]]:
    """A client on ``scheduler``, or on a LocalCluster of ``workers`` (loopback only)."""
    import distributed

    # distributed has no type hints: its two constructors, typed by what they return.
    Client = cast("Callable[..., distributed.Client]", distributed.Client)
    LocalCluster = cast("Callable[..., distributed.LocalCluster]", distributed.LocalCluster)
    cores = os.cpu_count() or 1
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise ConfigError(
                f"setting 'research.scheduler': no Dask scheduler answers at {scheduler}: {e}"
            ) from None
        with client:
            found = client.scheduler_info()["workers"]
            if not found:
                raise ConfigError(f"setting 'research.scheduler': {scheduler} has no workers")
            # Each of a worker's Dask threads runs one trial at a time; with one LightGBM
            # thread per trial, trials x threads = the worker's threads (its cores, by default).
            slots = sum(int(w.get("nthreads", 1)) for w in found.values())
            yield client, ClusterInfo(scheduler, slots, 1, client.dashboard_link, False)
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        # Loopback only; thread workers talk in-process and take no host.
        **({"host": "127.0.0.1"} if processes else {}),
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
        # Memory is planned per trial before anything runs; Dask's own limit would only
        # pause or kill a worker that the plan already allowed.
        memory_limit=0,
    )
    try:
        with Client(cluster) as client:
            info = ClusterInfo(
                address=str(cluster.scheduler_address),
                workers=workers,
                lightgbm_threads=max(1, cores // workers),
                dashboard=client.dashboard_link,
                local=True,
            )
            yield client, info
    finally:
        cluster.close()


__all__ = ["ClusterInfo", "local_size", "trial_cluster"]
