"""Writing the full-scale synthetic set: wall time and peak RSS, against a baseline.

    nice -n 10 .venv/bin/python benchmarks/synth_full.py [--out /tmp/numerpilot-full]

Writes ``OUT/v5.3/`` (about 10 GB; other benchmarks read it from /tmp/numerpilot-full/v5.3).
The baseline, measured in the same run after the dataset, writes random int8 features of the
same width with pyarrow in the same row groups, for a sample of the eras (``--baseline-share``),
and scales its time to all rows: the ratio is what the generator costs beyond writing bytes.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from _child import peak_rss
from numerpilot.clock import monotonic
from numerpilot.data import SyntheticWorld, write_dataset


def _baseline(world: SyntheticWorld, out: Path, share: float) -> tuple[float, int]:
    """Seconds to write random int8 values of the sampled eras, and the rows written."""
    f = len(world.feature_names)
    counts = world.row_counts
    step = max(1, round(1 / share))
    sample = counts[::step]
    schema = pa.schema([(name, pa.int8()) for name in world.feature_names])
    rng = np.random.default_rng(0)
    started = monotonic()
    with pq.ParquetWriter(out, schema, write_statistics=False) as writer:
        batches, buffered = [], 0
        for n in sample:
            values = rng.integers(0, 5, (f, int(n)), dtype=np.int8)
            batches.append(pa.RecordBatch.from_arrays(list(values), schema=schema))
            buffered += int(n)
            if buffered >= world.scale.row_group_rows:
                writer.write_table(pa.Table.from_batches(batches), row_group_size=buffered)
                batches, buffered = [], 0
        if batches:
            writer.write_table(pa.Table.from_batches(batches), row_group_size=buffered)
    seconds = monotonic() - started
    out.unlink()
    return seconds, int(sample.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/numerpilot-full"))
    parser.add_argument("--version", default="v5.3")
    parser.add_argument("--scale", default="full", help="full (the figure) or small (a try)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-share", type=float, default=0.125)
    args = parser.parse_args()

    last = [0.0]
    started = monotonic()

    def progress(done: int, total: int) -> None:
        now = monotonic()
        if now - last[0] >= 60 or done == total:
            last[0] = now
            rate = done / max(now - started, 1e-9)
            print(f"  {done:>10,} / {total:,} rows  {rate:,.0f} rows/s", flush=True)

    result = write_dataset(
        args.out, version=args.version, scale=args.scale, seed=args.seed, progress=progress
    )
    wall = monotonic() - started
    peak = peak_rss()
    on_disk = sum(p.stat().st_size for p in result.root.rglob("*") if p.is_file())
    rows = sum(f.rows for f in result.files if f.name in ("train.parquet", "validation.parquet"))
    rows += next(f.rows for f in result.files if f.name == "live.parquet")

    world = SyntheticWorld(args.version, args.scale, args.seed)
    base_seconds, base_rows = _baseline(world, args.out / ".baseline.parquet", args.baseline_share)
    all_rows = int(world.row_counts.sum())
    base_scaled = base_seconds * all_rows / base_rows

    print(f"synthetic {args.version} {args.scale} (seed {args.seed}) -> {result.root}")
    print(f"  rows (train+validation+live): {rows:,}; features {len(world.feature_names):,}")
    print(f"  wall time:   {wall:,.0f} s  ({rows / wall:,.0f} rows/s)")
    print(f"  peak RSS:    {peak / 2**30:.2f} GiB")
    free = shutil.disk_usage(args.out).free
    print(f"  on disk:     {on_disk / 1e9:.2f} GB  (free now {free / 1e9:.0f} GB)")
    print(f"  oracle corr: {result.oracle_corr_mean:.4f} (std {result.oracle_corr_std:.4f})")
    print(
        f"baseline: random int8 features of the same width written with pyarrow: "
        f"{base_seconds:,.0f} s for {base_rows:,} rows, scaled to all rows {base_scaled:,.0f} s"
    )
    print(f"ratio synth / baseline: {wall / base_scaled:.2f}")


if __name__ == "__main__":
    main()
