"""Structured logs and the ``/metrics`` + ``/healthz`` endpoint every service serves.

Logs are JSON lines on stdout (one object per event, ``event`` holds the message) unless the console
format is asked for. Metrics use ``prometheus_client``'s default registry, named
``liftos_<service>_<what>_<unit>`` (see ``deploy/prometheus``).
"""

from __future__ import annotations

import logging
import sys
import urllib.request
from collections.abc import Callable
from typing import TypeAlias

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from liftos.runtime import check_port_free
from liftos.settings import ObservabilitySettings

__all__ = [
    "HealthCheck",
    "Logger",
    "check_metrics_port",
    "configure_logging",
    "health_app",
    "metric_total",
    "start_health_server",
]

#: The logger every service and stage writes to (``configure_logging`` returns one bound to the service).
Logger: TypeAlias = structlog.stdlib.BoundLogger
#: Returns ``None`` when healthy, or a short reason why not.
HealthCheck = Callable[[], str | None]


def configure_logging(settings: ObservabilitySettings, service: str) -> Logger:
    """Route structlog and the standard library's logging to stdout in the configured format.

    Returns:
        A logger bound to ``service``.
    """
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.ExceptionRenderer(
                    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                ),
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("aiokafka", "faust", "mode", "aiohttp.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # httpx logs every request at INFO: one line per API call belongs to DEBUG
    logging.getLogger("httpx").setLevel(logging.INFO if root.level <= logging.DEBUG else logging.WARNING)
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(service).bind(service=service)
    return logger


def check_metrics_port(settings: ObservabilitySettings, service: str) -> None:
    """Fail at start-up, with one line, when the port of ``service``'s ``/metrics`` page is taken.

    Raises:
        PortInUseError: another process listens on ``settings.host:settings.port``.
    """
    check_port_free(
        settings.host,
        settings.port,
        f"{service} /metrics and /healthz",
        fix="stop what listens there or set LIFTOS_OBSERVABILITY__PORT to a free port",
    )


def health_app(check: HealthCheck) -> web.Application:
    """An aiohttp app serving ``/healthz`` (200 ``ok`` or 503 with the reason) and ``/metrics``."""

    async def healthz(_: web.Request) -> web.Response:
        problem = check()
        if problem is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=f"{problem}\n")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_health_server(settings: ObservabilitySettings, check: HealthCheck) -> web.AppRunner:
    """Serve :func:`health_app` on ``settings.host:settings.port``; ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(health_app(check), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    return runner


def metric_total(url: str, name: str, **labels: str) -> float:
    """Sum of a metric's samples matching ``labels`` on a ``/metrics`` page (0 when absent).

    For callers that watch a running service (the demo, benchmarks, tests).

    Raises:
        OSError: the page cannot be fetched (e.g. the service is not listening yet).
    """
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )
