"""What every connector offers: account discovery, sliced streams, raw events, notebook-safe calls.

Concrete connectors (``meta``, ``google_ads``, ``klaviyo``) subclass :class:`Connector`; the sync
runner (:mod:`liftos.integrations.sync`) only talks to this interface and knows no vendor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from importlib import import_module
from typing import Any, ClassVar, Protocol, TypedDict, TypeVar, Unpack, cast

import httpx

from liftos.errors import ConfigError, DataError, LiftOSError, TransientError
from liftos.events import RawEvent, RequestSlice, idempotency_key
from liftos.integrations.cursors import SlicePlan
from liftos.integrations.endpoints import RawRecord
from liftos.integrations.http_core import (
    ApiErrors,
    Auth,
    ConnectorLimits,
    HttpClient,
    HttpMetrics,
    NullMetrics,
    RetryPolicy,
    make_async_client,
)
from liftos.integrations.source_check import AccountInfo, SourceCheck
from liftos.transformations.source_registry import source_definition, source_definitions

__all__ = [
    "CREDENTIALS_FIX",
    "Connector",
    "ConnectorFactory",
    "ConnectorOptions",
    "DateLike",
    "connector_class",
    "connector_sources",
    "given_args",
    "parse_date_range",
    "run_blocking",
]

#: What to do about a missing credential of a source.
CREDENTIALS_FIX = (
    "set it in the ingestor's environment (docker compose: in .env, which the ingestor reads as its "
    "env_file; see .env.example)"
)

T = TypeVar("T")
DateLike = date | datetime | str


def run_blocking(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, notebooks included.

    Without a running event loop this is ``asyncio.run``; inside one (Jupyter), the coroutine runs
    on a fresh loop in a worker thread, so the caller's loop is never re-entered.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_call(factory))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(_call(factory))).result()


async def _call(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


def given_args(values: dict[str, str | None]) -> dict[str, Any]:
    """The arguments that were actually given (None means "read the environment")."""
    return {name: value for name, value in values.items() if value is not None}


def _as_date(value: DateLike) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def parse_date_range(date_range: tuple[DateLike, DateLike]) -> tuple[date, date]:
    """``(start, end)`` as dates (ISO strings accepted); raises ConfigError when reversed."""
    start, end = _as_date(date_range[0]), _as_date(date_range[1])
    if end < start:
        raise ConfigError(f"date_range end {end} is before its start {start}")
    return start, end


class ConnectorOptions(TypedDict, total=False):
    """Keyword options every connector takes (defaults: the connector's class attributes).

    Attributes:
        lookback_days: Days re-read on every poll (the platform's restatement window).
        policy: Retry policy (inject a fast ``sleep`` in tests).
        metrics: Metric hooks.
        timeout_s: HTTP timeout per network operation (seconds).
        limits: Page, body, deadline and Retry-After bounds (:class:`ConnectorLimits`).
    """

    lookback_days: int
    policy: RetryPolicy | None
    metrics: HttpMetrics | None
    timeout_s: float
    limits: ConnectorLimits | None


class Connector(ABC):
    """Base of the three connectors.

    Class attributes:
        source: Connector name; the ``source`` of every raw event.
        streams: The streams a service polls by default.
        api_errors: How the vendor's API reports failures (policy table, error readers).
        default_lookback_days: Days re-read on every poll unless ``lookback_days`` is given.
        default_timeout_s: HTTP timeout per request unless ``timeout_s`` is given.

    The HTTP client is created lazily for the running event loop (httpx pools cannot cross loops),
    so the synchronous notebook methods and the async service can share one connector object.
    ``limits`` bound every response, request and slice (see :class:`ConnectorLimits`);
    :meth:`http_client` passes them to every :class:`HttpClient` of the connector.
    """

    source: ClassVar[str]
    streams: ClassVar[tuple[str, ...]]
    api_errors: ClassVar[ApiErrors]
    default_lookback_days: ClassVar[int]
    default_timeout_s: ClassVar[float] = 60.0

    def __init__(self, base_url: str, auth: Auth, **options: Unpack[ConnectorOptions]) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.lookback_days = options.get("lookback_days", self.default_lookback_days)
        self.policy = options.get("policy") or RetryPolicy()
        self.metrics = options.get("metrics")
        self.timeout_s = options.get("timeout_s", self.default_timeout_s)
        self.limits = options.get("limits") or ConnectorLimits()
        self._http: HttpClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stats: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, account={self.configured_account!r})"

    @property
    def configured_account(self) -> str | None:
        """The account the settings pin (None: every account the credentials can read)."""
        return None

    # -------------------------------------------------------------- http plumbing
    def _make_http(self) -> HttpClient:
        """A new HttpClient with this connector's base URL, auth and policy table."""
        return self.http_client(self.base_url, self.auth, self.api_errors, make_async_client(self.timeout_s))

    def http_client(
        self, base_url: str, auth: Auth, errors: ApiErrors, client: httpx.AsyncClient
    ) -> HttpClient:
        """An HttpClient of this connector (its source, policy and metrics) for ``base_url``."""
        return HttpClient(
            source=self.source,
            base_url=base_url,
            auth=auth,
            errors=errors.table,
            error_code=errors.error_code,
            retry_hint=errors.retry_hint,
            policy=self.policy,
            client=client,
            metrics=self.metrics or NullMetrics(),
            limits=self.limits,
        )

    @property
    def http(self) -> HttpClient:
        """The HTTP client bound to the running event loop."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = self._make_http()
            self._http.stats = self._stats
            self._loop = loop
        return self._http

    @property
    def stats(self) -> Counter[str]:
        """Counters since creation: ``requests`` and ``retry:<reason>``."""
        return self._stats

    async def aclose(self) -> None:
        """Close the HTTP pool (a new one is made on next use)."""
        if self._http is not None:
            await self._http.aclose()
        self._http, self._loop = None, None

    def _run(self, factory: Callable[[], Awaitable[T]]) -> T:
        async def scoped() -> T:
            try:
                return await factory()
            finally:
                await self.aclose()

        return run_blocking(scoped)

    # -------------------------------------------------------------- streams
    @abstractmethod
    async def accounts(self) -> list[str]:
        """The account ids to sync: the configured one, else those the credentials can read."""

    async def account_details(self) -> list[AccountInfo]:
        """The accounts to sync with their currency and time zone (where the API tells them)."""
        return [AccountInfo(account) for account in await self.accounts()]

    async def check(self) -> SourceCheck:
        """One round of calls: credentials valid, API version served, accounts and their currencies.

        A failure is a verdict, never an exception; vendors add scopes and rate-limit headroom.
        """
        try:
            details = await self.account_details()
        except LiftOSError as error:
            return SourceCheck(self.source, ok=False, problems=(str(error),))
        problems = () if details else ("no account readable with these credentials",)
        return SourceCheck(self.source, ok=not problems, accounts=tuple(details), problems=problems)

    @abstractmethod
    def slice_plan(self, stream: str) -> SlicePlan:
        """How ``stream`` is sliced (step, lookback, alignment)."""

    @abstractmethod
    def fetch(self, stream: str, account: str, request_slice: RequestSlice) -> AsyncIterator[list[RawRecord]]:
        """Pages of raw records of ``stream`` for ``account`` within ``request_slice``."""

    async def read_slice(
        self, stream: str, account: str, request_slice: RequestSlice
    ) -> AsyncIterator[list[RawRecord]]:
        """:meth:`fetch` within the slice's bounds: what the sync runner and :meth:`collect` read.

        Raises:
            TransientError: the slice took longer than ``limits.slice_deadline_s``.
            DataError: it had more than ``limits.max_pages_per_slice`` pages.
            LiftOSError: as raised by :meth:`fetch`, with every known secret redacted from the message.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.slice_deadline_s
        where = f"{self.source}: {stream} {request_slice.start}..{request_slice.end}"
        pages = self.fetch(stream, account, request_slice)
        count = 0
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        page = await anext(pages)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    if loop.time() < deadline:
                        raise
                    raise TransientError(
                        f"{where}: not read within slice_deadline_s={self.limits.slice_deadline_s:g}"
                    ) from None
                count += 1
                if count > self.limits.max_pages_per_slice:
                    raise DataError(
                        f"{where}: more than {self.limits.max_pages_per_slice} pages in one slice"
                        " (LIFTOS_LIMITS__MAX_PAGES_PER_SLICE)"
                    )
                yield page
        except LiftOSError as error:
            if self._http is not None:
                error.args = tuple(self._http.scrub(a) if isinstance(a, str) else a for a in error.args)
            raise
        finally:
            await _close(pages)

    def _check_stream(self, stream: str) -> None:
        if stream not in self.all_streams():
            raise ConfigError(
                f"{self.source}: unknown stream {stream!r}; known: {sorted(self.all_streams())}"
            )

    def all_streams(self) -> Sequence[str]:
        """Every stream this connector can fetch."""
        return self.streams

    def to_raw_events(
        self,
        records: Sequence[RawRecord],
        account: str,
        stream: str,
        request_slice: RequestSlice,
        fetched_at: datetime | None = None,
    ) -> list[RawEvent]:
        """Wrap records in the raw-event envelope (payload untouched, key from the natural key)."""
        moment = fetched_at or datetime.now(UTC)
        return [
            RawEvent(
                source=self.source,
                account_id=account,
                stream=stream,
                request_slice=request_slice,
                fetched_at=moment,
                payload=record.payload,
                idempotency_key=idempotency_key(self.source, account, stream, *record.key),
            )
            for record in records
        ]

    async def collect(self, stream: str, account: str, request_slice: RequestSlice) -> list[dict[str, Any]]:
        """Every payload of ``stream`` for one slice (for DataFrames)."""
        out: list[dict[str, Any]] = []
        async for page in self.read_slice(stream, account, request_slice):
            out.extend(record.payload for record in page)
        return out


async def _close(pages: AsyncIterator[Any]) -> None:
    """Close an async generator early (a no-op for other iterators)."""
    aclose = getattr(pages, "aclose", None)
    if aclose is not None:
        await aclose()


def connector_sources() -> list[str]:
    """Names of the known sources that have an API connector (the ones the ingestor can poll)."""
    return sorted({d.name for d in source_definitions().values() if d.connector is not None})


class ConnectorFactory(Protocol):
    """A connector class as the service calls it: credentials from the environment, options given."""

    def __call__(self, **options: Unpack[ConnectorOptions]) -> Connector:
        """A connector reading its credentials from ``LIFTOS_<SOURCE>__*`` variables."""
        ...


def connector_class(source: str) -> ConnectorFactory:
    """The connector class of ``source``, from the source table.

    Raises:
        ConfigError: the source is unknown or has no API connector.
    """
    choose = f"choose one of {', '.join(connector_sources())}"
    try:
        path = source_definition(source).connector
    except ConfigError:
        raise ConfigError(f"unknown source {source!r}", fix=choose) from None
    if path is None:
        raise ConfigError(f"source {source!r} has no API connector", fix=choose)
    module, _, name = path.partition(":")
    found = getattr(import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, Connector)):
        raise ConfigError(f"{path} (connector of source {source!r}) is not a Connector class")
    return cast(ConnectorFactory, found)
