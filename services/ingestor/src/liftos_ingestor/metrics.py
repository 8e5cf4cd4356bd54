"""Prometheus metrics of the ingestor (``liftos_ingestor_*``) and the hooks that feed them."""

from __future__ import annotations

from datetime import date

from prometheus_client import Counter, Gauge

from liftos.clock import ClockSettings
from liftos.integrations import SyncResult

__all__ = [
    "CURSOR_LAG",
    "LANDED",
    "LAST_SUCCESS",
    "POLLS",
    "REQUESTS",
    "RETRIES",
    "ROWS_PUBLISHED",
    "SOURCE_UP",
    "TOPIC_RECYCLES",
    "TOPIC_RESETS",
    "IngestorHooks",
]

REQUESTS = Counter(
    "liftos_ingestor_requests_total", "HTTP requests to source APIs", ["source", "endpoint", "status"]
)
RETRIES = Counter("liftos_ingestor_retries_total", "Retries of source API requests", ["source", "reason"])
ROWS_PUBLISHED = Counter(
    "liftos_ingestor_rows_published_total", "Raw records published", ["source", "stream"]
)
POLLS = Counter("liftos_ingestor_polls_total", "Polls of a source", ["source", "outcome"])
LAST_SUCCESS = Gauge(
    "liftos_ingestor_last_success_timestamp_seconds",
    "Unix time of the last successful poll",
    ["source", "stream"],
)
CURSOR_LAG = Gauge(
    "liftos_ingestor_cursor_lag_days",
    "Days between a stream's committed cursor and today",
    ["source", "stream"],
)
TOPIC_RESETS = Counter(
    "liftos_ingestor_topic_resets_total",
    "Times the broker had lost the topics' messages and the cursors were rewound to what landed",
)
TOPIC_RECYCLES = Counter(
    "liftos_ingestor_topic_recycles_total", "Drained topics deleted and recreated (broker without retention)"
)
LANDED = Gauge(
    "liftos_ingestor_landed_timestamp_seconds",
    "Unix time of the last cursor checkpoint confirmed in the warehouse (passed every stage)",
)
SOURCE_UP = Gauge(
    "liftos_ingestor_source_up", "1 while a source is polled, 0 after a configuration error", ["source"]
)


class IngestorHooks:
    """The connectors' HTTP hooks and the sync runner's row/poll hooks, bound to the metrics above;
    cursor lag is counted against ``clock``'s today (default the real clock)."""

    def __init__(self, clock: ClockSettings | None = None) -> None:
        self._clock = clock or ClockSettings()

    def today(self) -> date:
        """The calendar's today (the business clock's)."""
        return self._clock.today()

    def request(self, source: str, endpoint: str, status: str) -> None:
        REQUESTS.labels(source, endpoint, status).inc()

    def retry(self, source: str, reason: str) -> None:
        RETRIES.labels(source, reason).inc()

    def rows(self, source: str, stream: str, account: str, count: int) -> None:
        ROWS_PUBLISHED.labels(source, stream).inc(count)

    def poll(self, result: SyncResult) -> None:
        LAST_SUCCESS.labels(result.source, result.stream).set(result.finished_at.timestamp())
        lag = result.lag_days(self.today())
        if lag is not None:
            CURSOR_LAG.labels(result.source, result.stream).set(lag)
