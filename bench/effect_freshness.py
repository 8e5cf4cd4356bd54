"""Effect freshness on the real stack: how long after a day begins it first shapes a published effect.

Usage: .venv/bin/python bench/effect_freshness.py [--history-days 240] [--live-days 60]
       [--days-per-minute 30] [--poll-interval 2] [--refit-interval 10] [--entities 16]

Runs the live demo headless (:func:`liftos_devstack.live_demo.run_live_demo`: live sandbox, Tansu,
chdb warehouse, ingestor, normalizer, enricher, causal engine as separate processes), and for every
live day measures: served (the sandbox's clock enters the day) → fetched (the ingestor's first fetch
of it, latest over the sources) → landed (every source's rows queryable in the warehouse) → fit
started (the first version whose window includes it began fitting) → published (its effect updates
on the topic). Prints p50/p90/p99 effect freshness at the stated poll interval and refit policy, and
the share spent polling, streaming, waiting for the refit and fitting. The same figure is exported
as ``liftos_causal_engine_effect_freshness_seconds`` (from the day's start to publication).
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from liftos_devstack.live_demo import LiveDemoOptions, LiveView, run_live_demo
from liftos_devstack.live_view import freshness_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=240)
    parser.add_argument("--live-days", type=int, default=60)
    parser.add_argument("--days-per-minute", type=float, default=30.0)
    parser.add_argument("--poll-interval", type=float, default=2.0, help="ingestor seconds between polls")
    parser.add_argument("--refit-interval", type=float, default=10.0, help="least seconds between refits")
    parser.add_argument("--entities", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liftos-freshness-") as tmp:
        options = LiveDemoOptions(
            history_days=args.history_days,
            live_days=args.live_days,
            days_per_minute=args.days_per_minute,
            seed=args.seed,
            entities=args.entities,
            poll_interval_s=args.poll_interval,
            min_refit_interval_s=args.refit_interval,
            data_dir=Path(tmp),
        )

        def quiet(_: LiveView) -> None:
            return None

        result = run_live_demo(options, quiet, io.StringIO())
    summary = freshness_summary(result.timings)
    seconds_per_day = 60.0 / args.days_per_minute
    print(
        f"live demo: {args.history_days} days of history, {args.live_days} live days at "
        f"{args.days_per_minute:g} days/min (one day = {seconds_per_day:g} s), "
        f"{args.entities} entities/channel"
    )
    print(
        f"policy: ingestor polls every {args.poll_interval:g} s (Meta 28, Google 30, Klaviyo 7 lookback"
        f" days); causal engine checks every 1 s, refits on new data at most every {args.refit_interval:g} s"
    )
    print(f"versions published: {len(result.view.versions)}; refits held: {len(result.view.held)}")
    if not summary["days"]:
        print("no live day reached a published version")
        return
    print(
        f"effect freshness over {summary['days']} days: p50 {summary['p50']:.1f} s, "
        f"p90 {summary['p90']:.1f} s, p99 {summary['p99']:.1f} s"
        f" (p50 {summary['p50'] / seconds_per_day:.1f} simulated days)"
    )
    for stage, share in summary["shares"].items():
        print(f"  {stage:<18} {share:6.1%}")
    print(f"warehouse equals the emulators: {not result.differences}; wall time {result.seconds:.0f} s")


if __name__ == "__main__":
    main()
