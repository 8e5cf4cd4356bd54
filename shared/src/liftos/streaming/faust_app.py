"""A faust-streaming app configured from LiftOS settings, with ``/healthz`` and ``/metrics`` pages.

Stream stages are faust agents whose bodies catch every per-message error themselves: faust acks a
message when an agent raises, so an uncaught error would silently drop it (faust docs, "agent errors").
Inputs are read as raw bytes so a refused message can go to the dead-letter topic untouched.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from liftos.events import Event
from liftos.pipeline.messages import DeadLetter, Inbound
from liftos.settings import KafkaSettings, ObservabilitySettings
from liftos.streaming.codec import encode
from liftos.streaming.dead_letters import dead_letter_headers
from liftos.topics import TopicSpec, dead_letter_topic

__all__ = [
    "inbound",
    "inbound_batches",
    "make_faust_app",
    "run_worker",
    "send_dead_letters",
    "send_values",
    "until_delivered",
]


def _credentials(settings: KafkaSettings) -> Any:
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value() if settings.sasl_password else None,
            mechanism=settings.sasl_mechanism or "PLAIN",
            ssl_context=ssl.create_default_context(
                cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
            )
            if settings.security_protocol == "SASL_SSL"
            else None,
        )
    if settings.security_protocol == "SSL":
        return ssl.create_default_context(cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None)
    return None


def make_faust_app(
    app_id: str, kafka: KafkaSettings, observability: ObservabilitySettings, data_dir: Path
) -> faust.App:
    """A faust app for one stage: in-memory state, at-least-once commits, local web port.

    Args:
        data_dir: Where faust keeps its scratch files (a subdirectory per app id is created).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id,
        datadir=str(data_dir / "faust"),
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        broker_credentials=_credentials(kafka),
        store="memory://",
        web_enabled=True,
        web_host=observability.host,
        web_port=observability.port,
        web_in_thread=False,
        broker_session_timeout=kafka.session_timeout_ms / 1000,
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        broker_rebalance_timeout=kafka.rebalance_timeout_ms / 1000,
        broker_request_timeout=kafka.request_timeout_ms / 1000,
        broker_commit_interval=1.0,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger_ms=5,
        topic_replication_factor=kafka.replication_factor,
        topic_allow_declare=True,
        stream_buffer_maxsize=16_384,
        key_serializer="raw",
        value_serializer="raw",
    )
    _add_pages(app)
    return app


def _add_pages(app: faust.App) -> None:
    @app.page("/healthz")
    async def healthz(web: View, _request: Request) -> Response:
        if app.rebalancing or not app.consumer.assignment():
            return web.text("waiting for partition assignment\n", status=503)
        return web.text("ok\n")

    @app.page("/metrics")
    async def metrics(web: View, _request: Request) -> Response:
        # aiohttp refuses a charset inside content_type, so send the exposition format's bare type.
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])


def inbound(event: faust.types.EventT[Any]) -> Inbound:
    """The stage-level view of a faust event (origin and raw bytes)."""
    message = event.message
    return Inbound(message.topic, message.partition, message.offset, message.key, message.value)


def run_worker(app: faust.App, log_level: str) -> None:
    """Run ``app`` in the foreground until SIGTERM/SIGINT, keeping the process's own logging setup."""
    worker = faust.Worker(app, loglevel=log_level.lower(), override_logging=False, quiet=True)
    worker.execute_from_commandline()


async def send_values(app: faust.App, spec: TopicSpec, values: Sequence[Event]) -> list[Awaitable[Any]]:
    """Hand ``values`` to the app's producer for ``spec``'s topic; await the returned futures for acks."""
    return [
        await app.producer.send(spec.name, spec.key_of(value), encode(value), None, None, None)
        for value in values
    ]


async def send_dead_letters(
    app: faust.App, letters: Sequence[DeadLetter], stage: str
) -> list[Awaitable[Any]]:
    """Hand ``letters`` to the producer for their dead-letter topics (original bytes, reason in headers)."""
    now = datetime.now(UTC)
    return [
        await app.producer.send(
            dead_letter_topic(letter.topic),
            letter.key,
            letter.value or b"",
            None,
            None,
            dead_letter_headers(letter, stage, now),
        )
        for letter in letters
    ]


async def until_delivered(deliver: Callable[[], Awaitable[None]], log: Any, what: str) -> None:
    """Run ``deliver`` until it succeeds, backing off exponentially (with jitter, at most 30 s).

    A stage must not let an agent raise (faust would ack, and lose, the batch), and its output must be
    acknowledged before its input offsets are committed. So a failing sink (broker or warehouse down)
    holds the batch and retries; the stage's health endpoint reports it meanwhile.
    """
    async for attempt in AsyncRetrying(
        wait=wait_exponential_jitter(initial=0.2, max=30.0),
        retry=retry_if_exception_type(Exception),
        reraise=True,
    ):
        with attempt:
            number = attempt.retry_state.attempt_number
            if number > 1:
                log.warning("retrying delivery", what=what, attempt=number)
            await deliver()


async def inbound_batches(
    stream: faust.types.StreamT[Any], size: int, within_s: float
) -> AsyncIterator[list[Inbound]]:
    """Batches of at most ``size`` messages (waiting at most ``within_s`` seconds) from an agent's stream.

    Events are acknowledged when the next batch is requested, i.e. after the caller has delivered
    everything it produced from the previous one.
    """
    assert isinstance(stream, faust.Stream)
    async for events in stream.take_events(size, within=within_s):
        yield [inbound(event) for event in events]
