"""The embedded broker keeps every message in memory: ``kill -9`` it in the middle of a backfill and the
warehouse must still end equal to the simulator, with nothing lost and nothing duplicated.

Two ways a person meets it:

- the broker is killed and comes back while the services keep running (``EmbeddedStack.restart``); the
  warehouse is killed and comes back too;
- the broker is killed, ``liftos up`` notices and stops everything, and the person runs ``liftos up``
  again on the same data directory (the same ports, cursors and warehouse).

Either way the ingestor finds the topics' epochs changed, rewinds its cursors to what had landed in the
warehouse and fetches the rest again; the stages read the new topics from their earliest offset.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.sandbox_stack import (
    SOURCES,
    SandboxRun,
    duplicate_rows,
    expected_per_channel,
    sandbox_stack,
    warehouse_per_channel,
)
from tests.reliability.support import metric_total, wait_for_equal, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

DAYS, ENTITIES = 240, 16
#: Added emulator latency per request, so the backfill lasts long enough to kill the broker mid-way.
LATENCY_MS = 60.0


def _published(run: SandboxRun) -> float:
    return metric_total(run.metrics_url("ingestor"), "liftos_ingestor_rows_published_total")


def _assert_warehouse_is_the_truth(run: SandboxRun) -> None:
    expected = expected_per_channel(run.world)
    client = run.client()
    try:
        wait_until(lambda: run.polled() == len(SOURCES), 600, "the ingestor's polls after the loss")
        wait_for_equal(lambda: warehouse_per_channel(client), expected, 420, "rows and spend per channel")
        assert duplicate_rows(client) == 0
        days = "SELECT uniqExact(date) FROM store_outcomes FINAL"
        wait_for_equal(
            lambda: client.query(days).result_rows[0][0], len(run.world.outcome), 120, "outcome days"
        )
    finally:
        client.close()


def kill_and_restart_broker_and_warehouse(tmp_path: Path, extra_env: dict[str, str] | None = None) -> None:
    """Kill -9 the broker once some cursors have landed and the rest is in flight, restart it; later the
    warehouse too; then the warehouse must equal the simulator."""
    services = ("ingestor", "normalizer", "enricher")
    with sandbox_stack(
        tmp_path, days=DAYS, entities=ENTITIES, latency_ms=LATENCY_MS, services=services, extra_env=extra_env
    ) as run:
        total = sum(rows for rows, _ in expected_per_channel(run.world).values())
        ingestor = run.metrics_url("ingestor")
        # some cursors have landed (the rewind goes back to them, not to the start), the rest is in flight
        wait_until(
            lambda: metric_total(ingestor, "liftos_ingestor_landed_timestamp_seconds") > 0, 240, "landing"
        )
        assert run.polled() < len(SOURCES), "the backfill finished before the broker could be killed"
        published = _published(run)
        run.kill("broker")
        run.stack.restart("broker")

        # the ingestor notices, rewinds to what landed and fetches the rest again
        wait_until(lambda: metric_total(ingestor, "liftos_ingestor_topic_resets_total") >= 1, 120, "a reset")
        wait_until(lambda: _published(run) > published, 120, "records published after the reset")

        # the warehouse, killed while still incomplete, comes back with what it had acknowledged
        assert run.stored() < total, "the warehouse was complete before it could be killed mid-stream"
        run.kill("warehouse")
        run.stack.restart("warehouse")

        _assert_warehouse_is_the_truth(run)
        assert not run.stack.failed(), run.log.read_text()[-4000:]


def test_broker_and_warehouse_killed_mid_backfill_and_restarted_lose_nothing(tmp_path: Path) -> None:
    kill_and_restart_broker_and_warehouse(tmp_path)


def test_broker_killed_mid_backfill_then_liftos_up_again_loses_nothing(tmp_path: Path) -> None:
    services = ("ingestor", "normalizer", "enricher")
    with sandbox_stack(
        tmp_path, days=DAYS, entities=ENTITIES, latency_ms=LATENCY_MS, services=services
    ) as run:
        wait_until(lambda: run.stored() > 0, 240, "first rows in the warehouse")
        assert run.polled() < len(SOURCES), "the backfill finished before the broker could be killed"
        run.kill("broker")
        assert run.stack.failed() == ["broker"]  # what `liftos up` watches: it stops everything and exits
        run.stack.stop()

        run.stack.start()  # `liftos up` again: same data directory, same ports
        _assert_warehouse_is_the_truth(run)
        assert not run.stack.failed(), run.log.read_text()[-4000:]
