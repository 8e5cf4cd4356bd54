"""The faust-streaming app that hosts a stream stage: worker lifecycle, web server, health and metrics.

The stage's data path is a :class:`liftos.streaming.stage.StageConsumer` run as a faust task (see that
module for why batches are read with aiokafka rather than through per-event faust agents). Faust gives
the process its worker (signals, clean shutdown), its web server on the configured loopback port, and
the ``/healthz`` and ``/metrics`` pages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from liftos.settings import KafkaSettings, ObservabilitySettings
from liftos.streaming.kafka import client_options, wait_for_broker
from liftos.streaming.stage import BatchHandler, StageConsumer

__all__ = ["make_stage_app", "run_worker"]


def _credentials(settings: KafkaSettings) -> Any:
    """faust's form of the Kafka security settings (``None`` for PLAINTEXT)."""
    options = client_options(settings)
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            mechanism=options["sasl_mechanism"],
            ssl_context=options.get("ssl_context"),
        )
    return options.get("ssl_context")


def make_stage_app(
    app_id: str,
    observability: ObservabilitySettings,
    data_dir: Path,
    stage: StageConsumer,
    handle: BatchHandler,
) -> faust.App:
    """A faust app whose one task feeds ``stage``'s batches to ``handle`` until the worker stops.

    Args:
        app_id: Faust app id (also names the scratch directory).
        observability: Host (interface to bind, 127.0.0.1 by default) and port of the web server.
        data_dir: Where faust keeps its scratch files.
        stage: The stage's consumer.
        handle: Delivers one batch (see :data:`liftos.streaming.stage.BatchHandler`).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id,
        datadir=str(data_dir / "faust"),
        web_enabled=True,
        web_bind=observability.host,  # the interface it listens on (faust's default is 0.0.0.0)
        web_host=observability.host,  # the host name it advertises
        web_port=observability.port,
        web_in_thread=False,
        broker=[f"kafka://{server}" for server in stage.kafka.bootstrap_servers.split(",")],
        broker_credentials=_credentials(stage.kafka),
        broker_session_timeout=stage.kafka.session_timeout_ms / 1000,
        broker_heartbeat_interval=stage.kafka.heartbeat_interval_ms / 1000,
        broker_rebalance_timeout=stage.kafka.rebalance_timeout_ms / 1000,
        topic_replication_factor=stage.kafka.replication_factor,
        store="memory://",
        autodiscover=False,
    )

    async def consume() -> None:
        await stage.run(handle, asyncio.Event())

    app.task(consume)

    @app.page("/healthz")
    async def healthz(web: View, _request: Request) -> Response:
        if not stage.assigned():
            return web.text("waiting for partition assignment\n", status=503)
        return web.text("ok\n")

    @app.page("/metrics")
    async def metrics(web: View, _request: Request) -> Response:
        # aiohttp refuses a charset inside content_type, so send the exposition format's bare type.
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


def run_worker(app: faust.App, log_level: str, kafka: KafkaSettings) -> None:
    """Wait for the broker, then run ``app`` in the foreground until SIGTERM/SIGINT, keeping the
    process's own logging setup.

    Raises:
        TransientError: no broker answered within ``kafka.connect_timeout_s`` (faust itself would
            retry forever, logging a traceback each time).
    """
    asyncio.run(wait_for_broker(kafka))
    worker = faust.Worker(app, loglevel=log_level.lower(), override_logging=False, quiet=True)
    worker.execute_from_commandline()
