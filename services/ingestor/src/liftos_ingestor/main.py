"""Entry point: ``liftos ingestor`` (or ``python -m liftos_ingestor``)."""

from __future__ import annotations

from liftos.observability import check_metrics_port, configure_logging
from liftos.runtime import run_until_stopped
from liftos.settings import load_settings
from liftos_ingestor.service import run
from liftos_ingestor.settings import IngestorSettings

__all__ = ["run_from_env"]


def run_from_env() -> None:
    """Read settings once, configure logging, and poll until SIGTERM."""
    settings = load_settings(IngestorSettings)
    check_metrics_port(settings.observability, "ingestor")
    log = configure_logging(settings.observability, "ingestor")
    log.info("starting", kafka=settings.kafka.bootstrap_servers, port=settings.observability.port)
    run_until_stopped(lambda stop: run(settings, log, stop))
