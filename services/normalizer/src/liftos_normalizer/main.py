"""Entry point: ``liftos normalizer`` (or ``python -m liftos_normalizer``)."""

from __future__ import annotations

from liftos.observability import check_metrics_port, configure_logging
from liftos.settings import load_settings
from liftos.streaming.faust_app import run_worker
from liftos_normalizer.app import STAGE, build_app
from liftos_normalizer.settings import NormalizerSettings

__all__ = ["run_from_env"]


def run_from_env() -> None:
    """Read settings once, configure logging, and run the worker until SIGTERM."""
    settings = load_settings(NormalizerSettings)
    check_metrics_port(settings.observability, "normalizer")
    log = configure_logging(settings.observability, STAGE)
    log.info("starting", kafka=settings.kafka.bootstrap_servers, port=settings.observability.port)
    run_worker(build_app(settings, log), settings.observability.log_level, settings.kafka)
