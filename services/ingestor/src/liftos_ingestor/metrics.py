"""Prometheus metrics of the ingestor (``liftos_ingestor_*``)."""

from prometheus_client import Counter, Gauge

__all__ = ["LAST_SUCCESS", "POLLS", "ROWS_PUBLISHED"]

POLLS = Counter("liftos_ingestor_polls_total", "Polls of a source", ["source", "outcome"])
ROWS_PUBLISHED = Counter(
    "liftos_ingestor_rows_published_total", "Raw records published", ["source", "stream"]
)
LAST_SUCCESS = Gauge(
    "liftos_ingestor_last_success_timestamp_seconds", "Unix time of the last successful poll", ["source"]
)
