"""Prometheus metrics of the enricher (``liftos_enricher_*``)."""

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BATCH_ROWS",
    "CONSUMER_LAG",
    "DEAD_LETTERED",
    "FRESHNESS_SECONDS",
    "ROWS_WRITTEN",
    "WRITE_SECONDS",
]

ROWS_WRITTEN = Counter("liftos_enricher_rows_written_total", "Rows written to the warehouse", ["table"])
DEAD_LETTERED = Counter("liftos_enricher_dead_lettered_total", "Messages sent to the dead-letter topic")
BATCH_ROWS = Histogram(
    "liftos_enricher_batch_rows",
    "Rows per warehouse insert",
    buckets=(1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 25_000),
)
WRITE_SECONDS = Histogram(
    "liftos_enricher_write_seconds",
    "Time to write one batch to the warehouse and the enriched topic (s)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
FRESHNESS_SECONDS = Histogram(
    "liftos_enricher_freshness_seconds",
    "From fetch at the source to queryable in the warehouse (s)",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3_600),
)
CONSUMER_LAG = Gauge(
    "liftos_enricher_consumer_lag_messages",
    "Messages behind the partition's high watermark",
    ["topic", "partition"],
)
