"""Entry point: ``liftos enricher`` (or ``python -m liftos_enricher``)."""

from __future__ import annotations

from liftos.observability import check_metrics_port, configure_logging
from liftos.settings import load_settings
from liftos.streaming.faust_app import run_worker
from liftos.warehouse.connection import connect
from liftos.warehouse.migrations import apply_migrations, layout_differences
from liftos_enricher.app import STAGE, build_app
from liftos_enricher.settings import EnricherSettings

__all__ = ["run_from_env"]


def run_from_env() -> None:
    """Read settings once, migrate the warehouse schema, and run the worker until SIGTERM."""
    settings = load_settings(EnricherSettings)
    check_metrics_port(settings.observability, "enricher")
    log = configure_logging(settings.observability, STAGE)
    admin = connect(settings.warehouse, use_database=False)
    applied = apply_migrations(admin, settings.warehouse.database)
    log.info(
        "starting",
        kafka=settings.kafka.bootstrap_servers,
        migrations=len(applied),
        country=settings.country,
        port=settings.observability.port,
    )
    for difference in layout_differences(admin, settings.warehouse.database):
        log.warning("warehouse layout differs from the model", detail=difference)
    run_worker(build_app(settings, log), settings.observability.log_level, settings.kafka)
