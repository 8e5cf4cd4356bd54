"""Prometheus metrics of the normalizer (``liftos_normalizer_*``)."""

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["BATCH_SECONDS", "CONSUMER_LAG", "DEAD_LETTERED", "MESSAGES_IN", "ROWS_OUT"]

MESSAGES_IN = Counter("liftos_normalizer_messages_in_total", "Raw messages consumed")
ROWS_OUT = Counter("liftos_normalizer_rows_out_total", "Rows published", ["kind", "source"])
DEAD_LETTERED = Counter("liftos_normalizer_dead_lettered_total", "Raw messages sent to the dead-letter topic")
BATCH_SECONDS = Histogram(
    "liftos_normalizer_batch_seconds",
    "Time to map and publish one batch (s)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONSUMER_LAG = Gauge(
    "liftos_normalizer_consumer_lag_messages",
    "Messages behind the partition's high watermark",
    ["topic", "partition"],
)
