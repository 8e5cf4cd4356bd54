"""API faults: a hostile API still yields every row; a refused credential is one clear error, not a loop.

1. The emulators fail 45 % of requests (throttles, 5xx, timeouts, truncated and malformed bodies, token
   expiry; the platform's own mix), and separately 40 % with Klaviyo's rate tiers enforced (a 60 s
   throttle window on the reports endpoints). The ingestor must ride it out: no crash, every poll
   finishes, and the warehouse ends with exactly the simulator's rows and spend per channel.
2. A revoked Meta token: the ingestor logs ONE error line naming the source, sets
   ``liftos_ingestor_source_up{source="meta"} 0`` and ``liftos_ingestor_polls_total{outcome="config_error"}``
   to 1, and stays up and healthy without retrying (its request counter stops moving).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability.sandbox_stack import (
    SOURCES,
    SandboxRun,
    expected_per_channel,
    sandbox_stack,
    warehouse_per_channel,
)
from tests.reliability.support import http_ok, metric_total, wait_for_equal, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

STAGES = ("ingestor", "normalizer", "enricher")
REVOKED = "EAAB-revoked-token-0123456789abcdef"


def _ingest_everything(run: SandboxRun, timeout_s: float) -> None:
    """Wait for every source's poll to finish (no crash meanwhile), then for the simulator's rows."""
    ingestor = run.metrics_url("ingestor")

    def polled() -> bool:
        assert not run.stack.failed(), run.log.read_text()[-4000:]
        ok = [metric_total(ingestor, "liftos_ingestor_polls_total", source=s, outcome="ok") for s in SOURCES]
        return all(ok)

    wait_until(polled, timeout_s, "every source polled to the end despite the faults", interval_s=1.0)
    assert metric_total(ingestor, "liftos_ingestor_retries_total") > 0, "no fault was injected"
    assert metric_total(ingestor, "liftos_ingestor_polls_total", outcome="config_error") == 0
    expected = expected_per_channel(run.world)
    client = run.client()
    wait_for_equal(lambda: warehouse_per_channel(client), expected, 180, "rows and spend per channel")
    assert not run.stack.failed()


def test_a_high_fault_rate_loses_no_row(tmp_path: Path) -> None:
    """45 % of requests fail (each platform's mix of throttles, 5xx, timeouts, bad bodies, token expiry)."""
    with sandbox_stack(tmp_path, days=120, entities=8, seed=3, fault_rate=0.45, services=STAGES) as run:
        _ingest_everything(run, 480)


def test_faults_and_klaviyo_throttle_windows_lose_no_row(tmp_path: Path) -> None:
    """Klaviyo's rate tiers on top of 40 % faults, with the reports tier cut from 2 calls a minute to 10
    per 15 s window (28 daily slices of two report endpoints = 56 calls, several windows): the ingestor
    must wait out each window (429 + Retry-After) and still finish every slice."""
    with sandbox_stack(
        tmp_path,
        days=28,
        entities=6,
        seed=4,
        fault_rate=0.4,
        rate_limits=True,
        report_window=(10, 15.0),
        services=STAGES,
    ) as run:
        _ingest_everything(run, 420)
        throttled = metric_total(
            run.metrics_url("ingestor"), "liftos_ingestor_requests_total", source="klaviyo", status="429"
        )
        assert throttled > 0, "the rate tiers never throttled: the test proves nothing"


def test_a_revoked_token_is_one_clear_error_and_a_metric_not_a_crash_loop(tmp_path: Path) -> None:
    env = {"LIFTOS_SOURCES": '["meta"]', "LIFTOS_META__ACCESS_TOKEN": REVOKED}
    with sandbox_stack(tmp_path, days=60, entities=6, extra_env=env, services=("ingestor",)) as run:
        ingestor = run.metrics_url("ingestor")
        wait_until(
            lambda: (
                metric_total(ingestor, "liftos_ingestor_polls_total", source="meta", outcome="config_error")
                >= 1
            ),
            60,
            "the configuration error",
        )
        assert metric_total(ingestor, "liftos_ingestor_source_up", source="meta") == 0
        requests = metric_total(ingestor, "liftos_ingestor_requests_total", source="meta")
        # Watch for a bounded window: a crash or retry loop would move these within seconds.
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            assert not run.stack.failed(), run.log.read_text()[-4000:]
            assert http_ok(f"http://127.0.0.1:{run.stack.ports.services['ingestor']}/healthz")
            time.sleep(0.5)
        assert metric_total(ingestor, "liftos_ingestor_requests_total", source="meta") == requests
        assert (
            metric_total(ingestor, "liftos_ingestor_polls_total", source="meta", outcome="config_error") == 1
        )
        assert metric_total(ingestor, "liftos_ingestor_polls_total", source="meta", outcome="ok") == 0
        log = run.log.read_text()
        errors = [
            line for line in log.splitlines() if line.startswith("ingestor") and '"level": "error"' in line
        ]
        assert len(errors) == 1, errors
        assert "meta" in errors[0] and "configuration error" in errors[0], errors[0]
        assert REVOKED not in log, "the token leaked into the logs"
