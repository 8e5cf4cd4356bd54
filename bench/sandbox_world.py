"""Benchmark: generate the sandbox world for 3 years x 500 leaf entities per channel (target < 10 s).

Run: ``.venv/bin/python bench/sandbox_world.py [--entities 500] [--seed 0] [--scenario default]``.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from liftos_sandbox.world import WorldSpec, build_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", default="default", choices=["easy", "default", "hard", "drift"])
    args = parser.parse_args()
    spec = WorldSpec(
        seed=args.seed,
        scenario=args.scenario,
        start=date(2023, 1, 1),
        end=date(2025, 12, 31),
        entities_per_channel=args.entities,
    )
    started = time.perf_counter()
    world = build_world(spec)
    elapsed = time.perf_counter() - started
    days = (spec.end - spec.start).days + 1
    print(f"generated {days} days x {args.entities} entities/channel in {elapsed:.2f} s (target < 10 s)")
    print(f"accounts: {len(world.accounts)}  entities: {len(world.entities)}  days: {len(world.outcome)}")
    print(f"daily rows: {len(world.daily)}")
    for channel, rows in world.daily.groupby("channel").size().items():
        print(f"  {channel}: {rows}")
    started = time.perf_counter()
    world.reported_as_of(spec.end)
    print(f"reported_as_of(end): {time.perf_counter() - started:.3f} s")
    started = time.perf_counter()
    world.truth()
    print(f"truth(): {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
