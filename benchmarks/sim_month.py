"""A simulated month of the local tournament: how fast it runs, and what scoring costs.

Two runs in the same process, each a fresh sim on a stepped clock at demo scale (default live
rows): the baseline month nobody submits to (the calendar alone: rounds open, close, resolve)
and the measured month where ``--models`` models submit through numerapi, over HTTP, to every
round (upload auth, PUT, create_submission), with stakes, so every round is scored daily, a
meta model is built and payouts settle. Printed: wall seconds of each, their ratio, and how
many times faster than real time the month ran.

    nice -n 10 .venv/bin/python benchmarks/sim_month.py [--models 3] [--days 30]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numerapi
import numerapi.base_api
import numpy as np
import pandas as pd
from sqlalchemy import func, select

from numerpilot.clock import SteppedClock, monotonic
from numerpilot.data import write_dataset
from numerpilot.sim import DEFAULT_START, Round, RunningSim, Score, run_sim


def month(datasets: Path, state: Path, models: int, days: int) -> tuple[float, int, int]:
    """Wall seconds of ``days`` simulated days; (seconds, submissions, scores)."""
    clock = SteppedClock(DEFAULT_START)
    with run_sim(state, clock=clock, datasets_dir=datasets) as sim:
        names = [f"bench_{i}" for i in range(models)]
        keys = sim.server.add_account("bench", tuple(names)) if models else None
        numerapi.base_api.API_TOURNAMENT_URL = sim.url
        api = numerapi.NumerAPI(keys.public_id, keys.secret_key) if keys else None
        ids = api.get_models() if api else {}
        for name in names:
            assert api is not None
            api.stake_increase(10, ids[name])
        rng = np.random.default_rng(0)
        submitted = 0
        started = monotonic()
        end = clock.now() + timedelta(days=days)
        while clock.now() < end:
            if api is not None:
                submitted += _submit_all(sim, api, ids, rng)
            _step_to_next_open(sim, end)
        seconds = monotonic() - started
        with sim.server.store.session() as s:
            scores = int(s.scalar(select(func.count()).select_from(Score)) or 0)
    return seconds, submitted, scores


def _submit_all(
    sim: RunningSim, api: numerapi.NumerAPI, ids: dict[str, str], rng: np.random.Generator
) -> int:
    number = api.get_current_round()
    live = sim.server.live.live_ids(number)
    for model_id in ids.values():
        frame = pd.DataFrame({"id": live, "prediction": rng.random(len(live))})
        api.upload_predictions(df=frame, model_id=model_id)
    return len(ids)


def _step_to_next_open(sim: RunningSim, end: datetime) -> None:
    with sim.server.store.session() as s:
        last = s.scalar(select(func.max(Round.number)))
    assert last is not None
    nxt = sim.server.world.times(last + 1).open_time + timedelta(minutes=15)
    sim.step(min(nxt, end) - sim.clock.now())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sim-month-") as tmp:
        root = Path(tmp)
        write_dataset(root / "data", version="v5.3", scale="demo", seed=0)
        base_s, _, base_scores = month(root / "data", root / "base.db", 0, args.days)
        run_s, subs, scores = month(root / "data", root / "run.db", args.models, args.days)
    real = args.days * 86400
    print(f"simulated days: {args.days}, demo scale, {args.models} models submitting")
    print(f"{'run':<24}{'wall s':>9}{'submissions':>13}{'scores':>9}{'x real time':>14}")
    print(
        f"{'baseline (no entries)':<24}{base_s:>9.2f}{0:>13}{base_scores:>9}{real / base_s:>14,.0f}"
    )
    print(f"{'measured':<24}{run_s:>9.2f}{subs:>13}{scores:>9}{real / run_s:>14,.0f}")
    print(f"measured / baseline: {run_s / base_s:.1f}x")


if __name__ == "__main__":
    main()
