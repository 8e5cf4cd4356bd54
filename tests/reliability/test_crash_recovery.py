"""Crash recovery: kill -9 each service mid-stream, restart it, and lose nothing, duplicate nothing.

A sandbox backfill streams through the embedded stack (emulators → ingestor → broker → normalizer →
enricher → warehouse → causal engine). Each service in turn is killed with SIGKILL while data is in
flight (the test asserts it was: the ingestor before its polls finished, the normalizer and the enricher
while the warehouse was still incomplete, the causal engine after it had published a version) and
restarted with the same argv and environment. At the end the warehouse holds exactly the simulator's
rows per channel after FINAL (none lost, none duplicated), spend per channel equals the simulator's in the
reporting currency to the cent, the ingestor's cursors reached the last day, and the effects topic has
every model version 1..N, each with every channel.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability.sandbox_stack import (
    END,
    SOURCES,
    duplicate_rows,
    expected_per_channel,
    sandbox_stack,
    warehouse_per_channel,
)
from tests.reliability.support import metric_total, wait_for_equal, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DAYS, ENTITIES = 240, 16
#: Added emulator latency per request, so ingestion lasts long enough to kill every stage mid-stream.
LATENCY_MS = 60.0


def test_kill_9_of_each_service_mid_stream_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    with sandbox_stack(tmp_path, days=DAYS, entities=ENTITIES, latency_ms=LATENCY_MS) as run:
        expected = expected_per_channel(run.world)
        total = sum(rows for rows, _ in expected.values())
        stack_log = run.log

        # 1. the ingestor, after it published some raw records and before its polls finished
        ingestor = run.metrics_url("ingestor")
        wait_until(
            lambda: metric_total(ingestor, "liftos_ingestor_rows_published_total") > 0, 120, "first raw rows"
        )
        assert run.polled() < len(SOURCES), "ingestion finished before the ingestor could be killed"
        run.kill("ingestor")
        run.stack.restart("ingestor")

        # 2. the normalizer, then 3. the enricher, each while the warehouse is still incomplete
        for name in ("normalizer", "enricher"):
            stored = wait_until(lambda: run.stored(), 120, f"rows in the warehouse before killing {name}")
            assert stored < total, f"the warehouse was complete before {name} could be killed mid-stream"
            run.kill(name)
            run.stack.restart(name)
            assert run.stored() < total or name == "enricher"

        # 4. the causal engine, once it has published a version
        engine = run.metrics_url("causal-engine")
        wait_until(
            lambda: metric_total(engine, "liftos_causal_engine_model_version") >= 1,
            240,
            "a first model version",
        )
        run.kill("causal-engine")
        run.stack.restart("causal-engine")

        # everything ingested again and drained: the warehouse equals the simulator
        wait_until(lambda: run.polled() == len(SOURCES), 300, "the restarted ingestor's polls")
        client = run.client()
        wait_for_equal(lambda: warehouse_per_channel(client), expected, 240, "rows and spend per channel")
        assert duplicate_rows(client) == 0
        days = client.query("SELECT uniqExact(date) FROM store_outcomes FINAL").result_rows[0][0]
        assert days == len(run.world.outcome)
        assert not run.stack.failed(), stack_log.read_text()[-4000:]

        # the ingestor's cursors resumed and reached the last day for every stream
        cursors = json.loads((run.stack.data_dir / "ingestor" / "cursors.json").read_text())
        dated = [state for state in cursors["states"].values() if state.get("cursor")]
        assert {state["source"] for state in dated} == set(SOURCES), cursors
        behind = [state for state in dated if state["cursor"] < END.isoformat()]
        assert not behind, f"cursors short of the last day: {behind}"

        # a model version trained on everything, and no gap in versions on the effects topic
        spend = {channel: total_spend for channel, (_, total_spend) in expected.items()}

        def covering_version() -> int:
            rows = client.query(
                "SELECT model_version, channel, spend FROM effect_updates ORDER BY model_version"
            ).result_rows
            by_version: dict[int, dict[str, float]] = {}
            for version, channel, value in rows:
                by_version.setdefault(int(version), {})[str(channel)] = float(value)
            return max(
                (
                    v
                    for v, s in by_version.items()
                    if s.keys() == spend.keys() and all(abs(s[c] - spend[c]) < 0.01 for c in spend)
                ),
                default=0,
            )

        last = wait_until(covering_version, 240, "a model version trained on all the data", interval_s=2.0)
        found = run.effects(last)
        versions = sorted(found)
        assert versions[:last] == list(range(1, last + 1)), f"gap in model versions: {versions}"
        for version in versions:
            channels = {u.channel for u in found[version]}
            assert channels == set(SOURCES), f"version {version} has channels {channels}"
