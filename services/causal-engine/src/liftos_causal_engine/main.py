"""Entry point: ``liftos causal-engine`` (or ``python -m liftos_causal_engine``)."""

from __future__ import annotations

from liftos.observability import check_metrics_port, configure_logging
from liftos.runtime import run_until_stopped
from liftos.settings import load_settings
from liftos_causal_engine.service import run
from liftos_causal_engine.settings import CausalEngineSettings

__all__ = ["run_from_env"]


def run_from_env() -> None:
    """Read settings once, configure logging, and refit on new data until SIGTERM."""
    settings = load_settings(CausalEngineSettings)
    check_metrics_port(settings.observability, "causal-engine")
    log = configure_logging(settings.observability, "causal-engine")
    log.info("starting", kafka=settings.kafka.bootstrap_servers, port=settings.observability.port)
    run_until_stopped(lambda stop: run(settings, log, stop))
