"""The one async HTTP core every connector uses: an httpx client, a retry policy table, auth hooks.

Failures are decided by a table, never by ad-hoc ``if`` blocks in connectors:

- :data:`DEFAULT_ERRORS` maps an HTTP status, an exception type, or a *vendor error code* (a string a
  connector extracts from the body, e.g. a Graph ``code`` inside an HTTP 400) to an :class:`ErrorRule`
  (what to do and the metric label of the reason). A connector merges its overrides onto it:
  ``MY_ERRORS = DEFAULT_ERRORS | {"17": THROTTLE}``. Lookup order: vendor code, status, status class.
- Retries use tenacity underneath, with exponential backoff and full jitter capped at
  ``RetryPolicy.cap_s``; a server hint (``Retry-After`` in seconds or HTTP-date, or a vendor hint such
  as a ``retryDelay``) is honoured instead, unless it exceeds ``RetryPolicy.max_hint_s``, in which case
  the request fails at once with :class:`~liftos.errors.TransientError` carrying ``retry_after`` so
  the caller can reschedule the poll instead of blocking for hours.
- 2xx bodies that are not valid JSON (truncated or malformed) are retried ``malformed_attempts`` times,
  then raise :class:`~liftos.errors.DataError`.
- 401/403 and the vendor's auth codes refresh credentials through :class:`Auth` when the connector
  can (OAuth), at most ``auth_attempts`` times per request; otherwise they raise
  :class:`~liftos.errors.ConfigError` at once (no retry storm).

Hostile or compromised APIs are contained (see ``docs/security.md``):

- every request goes to the client's API origin (scheme, host, port) or one listed in
  :attr:`ConnectorLimits.allowed_origins`; any other URL (a next link pointing elsewhere) is a
  :class:`~liftos.errors.DataError` naming the host and is never sent. Credentials are attached per
  origin: the API's :class:`Auth` on the API origin, none on the other allowed ones. Redirects are
  not followed.
- a response body is read in chunks and capped at :attr:`ConnectorLimits.max_body_bytes`, both as
  received and after gzip/deflate decoding (other encodings are refused); a larger body is a
  ``DataError``, never buffered whole.
- one request (all its attempts and waits) must finish within
  :attr:`ConnectorLimits.request_deadline_s`; a wait that would cross the deadline ends the request
  with ``TransientError(retry_after=…)`` instead. Server hints are clamped to
  :attr:`ConnectorLimits.max_retry_after_s`; non-finite ones (``inf``, ``nan``) count as absent.

Secrets never appear in exception messages or logs: every message is passed through :func:`redact`
(raw, percent-encoded and truncated forms of every secret the client's credentials know) before it
is cut to length. Each attempt is logged at DEBUG on ``liftos.integrations.http`` (method, origin and
path, never the query string); httpx's own INFO line for these requests is suppressed, since its URL
carries query parameters such as Meta's ``appsecret_proof``.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import math
import random
import re
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from liftos.errors import ConfigError, DataError, TransientError

__all__ = [
    "AUTH",
    "DEFAULT_ERRORS",
    "SERVER_ERROR",
    "THROTTLE",
    "Action",
    "ApiErrors",
    "Auth",
    "ConnectorLimits",
    "ErrorKey",
    "ErrorRule",
    "HttpClient",
    "HttpMetrics",
    "NoAuth",
    "NullMetrics",
    "PaginationReset",
    "Request",
    "RetryPolicy",
    "make_async_client",
    "origin_of",
    "parse_retry_after",
    "redact",
]

USER_AGENT = "liftos-integrations/0.1 (+https://github.com/liftos)"
#: Content codings the core can decode within the body cap (asked for in ``Accept-Encoding``).
ACCEPT_ENCODING = "gzip, deflate"
#: Shortest leading part of a secret that :func:`redact` treats as a leak (shorter secrets: whole).
MIN_SECRET_PREFIX = 6
_MIB = 1 << 20
_DEFAULT_PORTS = {"http": 80, "https": 443}

_log = logging.getLogger("liftos.integrations.http")
#: True while this task is inside one of our requests (httpx's own request line is then dropped).
_IN_REQUEST: ContextVar[bool] = ContextVar("liftos_http_request", default=False)


class _DropOwnRequestLines(logging.Filter):
    """Drops httpx/httpcore records emitted inside a LiftOS request: their URLs carry query parameters
    and their header dumps whatever a server echoes; our own DEBUG line replaces them."""

    def filter(self, record: logging.LogRecord) -> bool:
        del record
        return not _IN_REQUEST.get()


#: Loggers httpx and httpcore create records on (a filter only acts on the logger a record starts at).
_HTTPX_LOGGERS = (
    "httpx",
    *(f"httpcore.{part}" for part in ("connection", "http11", "http2", "proxy", "socks")),
)
for _name in _HTTPX_LOGGERS:
    logging.getLogger(_name).addFilter(_DropOwnRequestLines())


class ConnectorLimits(BaseModel):
    """Bounds on what a connector does for one response, request and slice (``LIFTOS_LIMITS__*``).

    Each bound ends the operation with a clear error instead of letting a hostile or broken API keep
    a poll busy, fill memory or park a source.

    Attributes:
        max_pages_per_slice: Pages one slice (and one listing) may take; more is a ``DataError``.
        max_body_bytes: Bytes of one response body, both as received and after decompression.
        request_deadline_s: Seconds one request may take, all attempts and waits included.
        slice_deadline_s: Seconds one slice may take, every request of it included.
        max_retry_after_s: Ceiling of any server-requested wait (``Retry-After`` and vendor hints),
            also of how long the ingestor parks a source after such a hint.
        allowed_origins: Origins (``https://host[:port]``) besides the API's that requests may go
            to, without credentials; empty: only the API's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_pages_per_slice: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=64 * _MIB, ge=1024)
    request_deadline_s: float = Field(default=1800.0, gt=0)
    slice_deadline_s: float = Field(default=7200.0, gt=0)
    max_retry_after_s: float = Field(default=86_400.0, gt=0)
    allowed_origins: tuple[str, ...] = ()


class Action(enum.Enum):
    """What the core does with a response or exception."""

    RETRY = "retry"  # transient: back off (or honour a server hint) and retry
    REFRESH_AUTH = "refresh_auth"  # refresh credentials through Auth, then retry
    FAIL_CONFIG = "fail_config"  # ConfigError at once
    FAIL_DATA = "fail_data"  # DataError at once (the request itself is wrong)
    RESET_PAGINATION = "reset_pagination"  # the page token expired: restart the listing
    IGNORE = "ignore"  # treat as an empty page


@dataclass(frozen=True)
class ErrorRule:
    """One row of the policy table: the action and the reason label used in logs and metrics."""

    action: Action
    reason: str


ErrorKey = int | str | type[BaseException]

THROTTLE = ErrorRule(Action.RETRY, "throttle")
SERVER_ERROR = ErrorRule(Action.RETRY, "server_error")
AUTH = ErrorRule(Action.REFRESH_AUTH, "auth")

#: The default policy table; connectors merge their overrides onto it (``DEFAULT_ERRORS | {...}``).
DEFAULT_ERRORS: Mapping[ErrorKey, ErrorRule] = {
    429: THROTTLE,
    500: SERVER_ERROR,
    502: SERVER_ERROR,
    503: SERVER_ERROR,
    504: SERVER_ERROR,
    401: AUTH,
    403: ErrorRule(Action.FAIL_CONFIG, "forbidden"),
    404: ErrorRule(Action.FAIL_CONFIG, "not_found"),
    400: ErrorRule(Action.FAIL_DATA, "bad_request"),
    httpx.TimeoutException: ErrorRule(Action.RETRY, "timeout"),
    httpx.TransportError: ErrorRule(Action.RETRY, "connection"),
    httpx.DecodingError: ErrorRule(Action.RETRY, "malformed"),
}


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***``: raw, percent-encoded (also twice, either hex
    case, ``+`` for a space), JSON-escaped, and any leading part of at least
    :data:`MIN_SECRET_PREFIX` characters (what survives a cut). Secrets under 4 characters are kept.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = _redact_one(text, secret)
    return text


def _redact_one(text: str, secret: str) -> str:
    head, rest = _secret_patterns(secret)
    pieces: list[str] = []
    last = 0
    match = head.search(text)
    while match is not None:
        end = match.end()
        for unit in rest:
            following = unit.match(text, end)
            if following is None:
                break
            end = following.end()
        pieces += [text[last : match.start()], "***"]
        last = end
        match = head.search(text, end)
    return "".join(pieces) + text[last:]


@functools.lru_cache(maxsize=512)
def _secret_patterns(secret: str) -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]:
    """A pattern of the secret's first characters, and one per further character."""
    units = [_char_pattern(char) for char in secret]
    cut = min(len(units), MIN_SECRET_PREFIX)
    return re.compile("".join(units[:cut])), tuple(re.compile(unit) for unit in units[cut:])


def _char_pattern(char: str) -> str:
    """Every form one character of a secret takes in URLs, forms and JSON."""
    once = "".join("%" + "".join(f"[{d.lower()}{d.upper()}]" for d in f"{b:02X}") for b in char.encode())
    forms = [re.escape(char), once, once.replace("%", "%25")]
    if char == " ":
        forms.append(r"\+")
    if char in '/\\"':
        forms.append(re.escape("\\" + char))
    return "(?:" + "|".join(forms) + ")"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date (RFC 9110).

    None when absent or malformed (``inf`` and ``nan`` are malformed); never negative.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def origin_of(url: str | httpx.URL) -> str:
    """``scheme://host:port`` of an absolute URL (the port always explicit)."""
    parsed = httpx.URL(url)
    port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 0)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}:{port}"


@dataclass(frozen=True)
class Request:
    """One HTTP request as data; paginators return modified copies (``with_params`` / ``replace``)."""

    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    data: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def with_params(self, **params: str | None) -> Request:
        """A copy with ``params`` set (``None`` removes a parameter)."""
        merged = {**self.params, **{k: v for k, v in params.items() if v is not None}}
        for name in (k for k, v in params.items() if v is None):
            merged.pop(name, None)
        return replace(self, params=merged)


class Auth(Protocol):
    """Credentials a connector attaches to requests, and how it refreshes them."""

    async def apply(self, request: Request) -> Request:
        """``request`` with credentials attached (headers or params)."""
        ...

    async def refresh(self, client: HttpClient) -> bool:
        """Refresh after an auth failure; False when the credentials are definitely bad."""
        ...

    def secrets(self) -> Sequence[str]:
        """Every secret (and secret-derived value) a response or message might echo, to scrub."""
        ...


def _no_secrets() -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class NoAuth:
    """No credentials attached (public endpoints, OAuth token endpoints, tests).

    Attributes:
        known_secrets: Secrets the endpoint may still see or echo, e.g. those a token request sends
            in its form, so that its errors are scrubbed too.
    """

    known_secrets: Callable[[], Sequence[str]] = _no_secrets

    async def apply(self, request: Request) -> Request:
        """Return ``request`` unchanged."""
        return request

    async def refresh(self, client: HttpClient) -> bool:
        """Nothing to refresh."""
        del client
        return False

    def secrets(self) -> Sequence[str]:
        """The known secrets (none by default)."""
        return self.known_secrets()


class HttpMetrics(Protocol):
    """Metric hooks (the service binds them to Prometheus counters)."""

    def request(self, source: str, endpoint: str, status: str) -> None:
        """One HTTP attempt finished with ``status`` (code or exception name)."""

    def retry(self, source: str, reason: str) -> None:
        """One retry was scheduled for ``reason``."""


class NullMetrics:
    """Metric hooks that do nothing."""

    def request(self, source: str, endpoint: str, status: str) -> None:
        del source, endpoint, status

    def retry(self, source: str, reason: str) -> None:
        del source, reason


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff knobs; inject ``sleep`` (and ``jitter``) in tests so no real time passes.

    Attributes:
        max_attempts: Attempts per request across all transient reasons.
        base_s: First backoff step (seconds); step ``n`` is ``base_s * 2**n`` before jitter.
        cap_s: Ceiling of one backoff step (seconds).
        max_hint_s: Longest server-requested wait honoured in-process (seconds); longer hints fail the
            request with ``TransientError(retry_after=hint)`` for the caller to reschedule.
        malformed_attempts: Attempts for a 2xx body that is not JSON before ``DataError``.
        auth_attempts: Credential refreshes per request before ``ConfigError``.
        sleep: Awaitable sleep (seconds).
        jitter: Uniform [0, 1) source for full jitter.
        clock: Monotonic seconds, for request deadlines (inject one that ``sleep`` advances in tests).
    """

    max_attempts: int = 10
    base_s: float = 1.0
    cap_s: float = 300.0
    max_hint_s: float = 3600.0
    malformed_attempts: int = 4
    auth_attempts: int = 2
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    jitter: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic

    def backoff(self, attempt: int, hint: float | None) -> float:
        """Seconds before retry number ``attempt`` (1-based): the hint, else full-jitter exponential."""
        if hint is not None:
            return hint
        return float(self.jitter() * min(self.cap_s, self.base_s * 2.0 ** (attempt - 1)))


class PaginationReset(Exception):
    """The page token expired; the caller restarts its listing from the first page."""


class _Retryable(TransientError):
    """A transient failure the retry loop handles; ``reason`` is its metric label."""

    def __init__(self, message: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.reason = reason


def make_async_client(timeout_s: float = 60.0, connect_timeout_s: float = 10.0) -> httpx.AsyncClient:
    """The one httpx client factory: keep-alive pool, timeouts, our user agent, no redirects.

    Only the content codings the core decodes within its body cap are asked for.

    Args:
        timeout_s: Read/write/pool timeout per network operation (seconds); the whole request is
            bounded by :attr:`ConnectorLimits.request_deadline_s`.
        connect_timeout_s: Connect timeout (seconds).
    """
    timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    return httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers, follow_redirects=False)


ErrorCode = Callable[[httpx.Response, Any], str | None]
RetryHint = Callable[[httpx.Response, Any], float | None]


def _no_code(response: httpx.Response, body: Any) -> str | None:
    del response, body
    return None


def _header_hint(response: httpx.Response, body: Any) -> float | None:
    del body
    return parse_retry_after(response.headers.get("Retry-After"))


@dataclass(frozen=True)
class ApiErrors:
    """How one vendor's API reports failures: its policy table and the readers of an error response.

    Attributes:
        table: The merged policy table (``DEFAULT_ERRORS | vendor overrides``).
        error_code: Extracts the vendor error code (a table key) from an error body.
        retry_hint: Extracts a server-requested wait (seconds) from a response.
    """

    table: Mapping[ErrorKey, ErrorRule]
    error_code: ErrorCode = _no_code
    retry_hint: RetryHint = _header_hint


@dataclass
class HttpClient:
    """Executes :class:`Request`s for one connector with its policy table, auth, limits and metrics.

    Attributes:
        source: Connector name (metric label).
        base_url: Prefix for relative request URLs; its origin is the only one credentials go to.
        auth: Credential hook (for the API origin).
        errors: The merged policy table.
        error_code: Extracts the vendor error code (a table key) from an error body.
        retry_hint: Extracts a server-requested wait (seconds) from a response.
        policy: Backoff knobs.
        metrics: Metric hooks.
        client: The httpx client (one per connector; created by :func:`make_async_client`).
        stats: Counters since creation: ``requests`` and ``retry:<reason>``.
        last_headers: Headers of the last successful response (rate-limit usage for ``liftos check``).
        limits: Body cap, request deadline, Retry-After ceiling, further allowed origins.

    Raises:
        ConfigError: ``base_url`` is not an absolute http(s) URL.
    """

    source: str
    base_url: str
    auth: Auth = field(default_factory=NoAuth)
    errors: Mapping[ErrorKey, ErrorRule] = field(default_factory=lambda: dict(DEFAULT_ERRORS))
    error_code: ErrorCode = _no_code
    retry_hint: RetryHint = _header_hint
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    metrics: HttpMetrics = field(default_factory=NullMetrics)
    client: httpx.AsyncClient = field(default_factory=make_async_client)
    stats: Counter[str] = field(default_factory=Counter)
    last_headers: httpx.Headers = field(default_factory=httpx.Headers)
    limits: ConnectorLimits = field(default_factory=ConnectorLimits)

    def __post_init__(self) -> None:
        try:
            base = httpx.URL(self.base_url)
            others = frozenset(origin_of(o) for o in self.limits.allowed_origins)
        except httpx.InvalidURL as error:
            raise ConfigError(f"{self.source}: invalid base_url or allowed origin: {error}") from None
        if base.scheme not in _DEFAULT_PORTS or not base.host:
            raise ConfigError(f"{self.source}: base_url must be an absolute http(s) URL: {self.base_url!r}")
        self._api_origin = origin_of(base)
        self._other_origins = others - {self._api_origin}

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self.client.aclose()

    def scrub(self, text: str) -> str:
        """``text`` with every secret this client's credentials know redacted (see :func:`redact`)."""
        return redact(text, self.auth.secrets())

    async def send_json(
        self, request: Request, endpoint: str = "", errors: Mapping[ErrorKey, ErrorRule] | None = None
    ) -> Any:
        """Execute ``request`` with retries; return the decoded JSON body.

        Args:
            request: What to send (relative URLs are joined to ``base_url``).
            endpoint: Endpoint name for metrics and messages.
            errors: Per-endpoint overrides merged onto the client's table.

        Raises:
            ConfigError: bad credentials or permissions (after refresh attempts).
            DataError: the request is refused as invalid, its URL is not on an allowed origin, the
                body exceeds the cap, or bodies stay malformed.
            TransientError: retries exhausted, the server asked to wait longer than allowed, or the
                request deadline was reached.
            PaginationReset: the page token expired.
        """
        state = _AttemptState(
            errors={**self.errors, **(errors or {})},
            deadline=self.policy.clock() + self.limits.request_deadline_s,
        )
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            wait=self._wait,
            stop=lambda rs: self._should_stop(rs, state),
            sleep=lambda seconds: self._sleep_within_deadline(seconds, state, endpoint),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await self._attempt(request, endpoint, state)
                    except _Retryable as error:
                        state.last = error
                        raise
        except _Retryable as error:
            raise self._exhausted(error) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _exhausted(self, error: _Retryable) -> Exception:
        message = f"{self.source}: giving up after retries ({error.reason}): {error}"
        if error.reason == "malformed":
            return DataError(message)
        return TransientError(message, retry_after=error.retry_after)

    async def _sleep_within_deadline(self, seconds: float, state: _AttemptState, endpoint: str) -> None:
        """Sleep before a retry, unless waking up would be past the request deadline."""
        if self.policy.clock() + seconds > state.deadline:
            last = f": {state.last.reason}: {state.last}" if state.last is not None else ""
            raise TransientError(
                f"{self.source}: {endpoint or 'request'}: a {seconds:.0f} s wait would pass the request "
                f"deadline of {self.limits.request_deadline_s:.0f} s{last}",
                retry_after=seconds,
            )
        await self.policy.sleep(seconds)

    def _wait(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        hint = error.retry_after if isinstance(error, _Retryable) else None
        return self.policy.backoff(retry_state.attempt_number, hint)

    def _should_stop(self, retry_state: RetryCallState, state: _AttemptState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        hint = error.retry_after if isinstance(error, _Retryable) else None
        if hint is not None and hint > self.policy.max_hint_s:
            return True
        if state.malformed >= self.policy.malformed_attempts:
            return True
        return retry_state.attempt_number >= self.policy.max_attempts

    def _before_sleep(self, retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        reason = error.reason if isinstance(error, _Retryable) else "unknown"
        self.stats[f"retry:{reason}"] += 1
        self.metrics.retry(self.source, reason)

    async def _attempt(self, request: Request, endpoint: str, state: _AttemptState) -> Any:
        url = self._resolve(request)
        auth = self._auth_for(url)
        where = endpoint or url.path
        remaining = state.deadline - self.policy.clock()
        if remaining <= 0:
            raise TransientError(f"{self.source}: {where}: request deadline passed before an attempt")
        self.stats["requests"] += 1
        try:
            async with asyncio.timeout(remaining):
                authed = await auth.apply(replace(request, url=str(url)))
                response, content = await self._exchange(authed)
        except TimeoutError:
            self.metrics.request(self.source, endpoint, "deadline")
            raise TransientError(
                f"{self.source}: {where}: no complete response within the request deadline of "
                f"{self.limits.request_deadline_s:.0f} s"
            ) from None
        except httpx.HTTPError as error:
            self.metrics.request(self.source, endpoint, type(error).__name__)
            return self._on_exception(error, state)
        except _BodyRefused as refused:
            self.metrics.request(self.source, endpoint, "body_refused")
            raise DataError(self.scrub(f"{self.source}: {where}: {refused}")) from None
        self.metrics.request(self.source, endpoint, str(response.status_code))
        body = _decode(content)
        if response.is_success:
            if body is _INVALID:
                state.malformed += 1
                raise _Retryable(f"malformed JSON body from {where}", "malformed")
            self.last_headers = response.headers
            return body
        return await self._on_error(response, body, content, where, state)

    def _resolve(self, request: Request) -> httpx.URL:
        """The absolute URL of ``request`` (relative ones joined to ``base_url``)."""
        try:
            url = httpx.URL(request.url)
            return url if url.is_absolute_url else httpx.URL(self.base_url + request.url)
        except httpx.InvalidURL as error:
            raise DataError(self.scrub(f"{self.source}: refusing an invalid URL: {error}")) from None

    def _auth_for(self, url: httpx.URL) -> Auth:
        """The credentials for ``url``'s origin; a URL on any other origin is refused, never sent."""
        origin = origin_of(url) if url.scheme in _DEFAULT_PORTS else f"{url.scheme}://{url.host}"
        if origin == self._api_origin:
            return self.auth
        if origin in self._other_origins:
            return NoAuth(known_secrets=self.auth.secrets)
        raise DataError(
            self.scrub(
                f"{self.source}: refusing to send a request to host {url.host!r} ({origin}): not the API "
                f"origin {self._api_origin} (a next link must stay on it; see allowed_origins)"
            )
        )

    async def _exchange(self, request: Request) -> tuple[httpx.Response, bytes]:
        """Send ``request`` and read its body within the cap; one DEBUG line per exchange."""
        built = self.client.build_request(
            request.method,
            request.url,
            params=dict(request.params) or None,
            json=request.json,
            data=dict(request.data) if request.data is not None else None,
            headers=dict(request.headers),
        )
        started = time.perf_counter()
        token = _IN_REQUEST.set(True)
        try:
            response = await self.client.send(built, stream=True)
            try:
                content = await _read_capped(response, self.limits.max_body_bytes)
            finally:
                await response.aclose()
        finally:
            _IN_REQUEST.reset(token)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s %s %s -> %d (%d bytes, %.0f ms)",
                self.source,
                built.method,
                self.scrub(origin_of(built.url) + built.url.path),
                response.status_code,
                len(content),
                (time.perf_counter() - started) * 1000,
            )
        return response, content

    def _on_exception(self, error: httpx.HTTPError, state: _AttemptState) -> Any:
        rule = self._rule_for_exception(error, state.errors)
        if rule.action is Action.RETRY:
            raise _Retryable(f"{type(error).__name__}: {self.scrub(str(error))}", rule.reason)
        raise TransientError(f"{self.source}: {type(error).__name__}: {self.scrub(str(error))}")

    @staticmethod
    def _rule_for_exception(error: BaseException, table: Mapping[ErrorKey, ErrorRule]) -> ErrorRule:
        for kind in type(error).__mro__:
            rule = table.get(kind)
            if rule is not None:
                return rule
        return ErrorRule(Action.RETRY, "connection")

    def rule_for(
        self, response: httpx.Response, body: Any, errors: Mapping[ErrorKey, ErrorRule] | None = None
    ) -> ErrorRule:
        """The table row for an error response (vendor code, then status, then status class)."""
        table = self.errors if errors is None else errors
        code = self.error_code(response, body) if body is not _INVALID else None
        if code is not None and code in table:
            return table[code]
        status = response.status_code
        if status in table:
            return table[status]
        if status >= 500:
            return SERVER_ERROR
        return ErrorRule(Action.FAIL_DATA, f"http_{status}")

    def _hint(self, response: httpx.Response, body: Any) -> float | None:
        """The server's requested wait: None when absent or not finite, else clamped to the ceiling."""
        hint = self.retry_hint(response, body if body is not _INVALID else None)
        if hint is None or not math.isfinite(hint):
            return None
        return min(max(hint, 0.0), self.limits.max_retry_after_s)

    async def _on_error(
        self, response: httpx.Response, body: Any, content: bytes, where: str, state: _AttemptState
    ) -> Any:
        rule = self.rule_for(response, body, state.errors)
        detail = f"HTTP {response.status_code} from {where}: {_snippet(content, self.auth.secrets())}"
        detail = self.scrub(detail)
        if rule.action is Action.RETRY:
            raise _Retryable(detail, rule.reason, retry_after=self._hint(response, body))
        if rule.action is Action.REFRESH_AUTH:
            return await self._refresh(detail, state)
        if rule.action is Action.RESET_PAGINATION:
            raise PaginationReset(detail)
        if rule.action is Action.IGNORE:
            return {}
        if rule.action is Action.FAIL_CONFIG:
            raise ConfigError(f"{self.source}: {rule.reason}: {detail}")
        raise DataError(f"{self.source}: {rule.reason}: {detail}")

    async def _refresh(self, detail: str, state: _AttemptState) -> Any:
        state.auth += 1
        if state.auth > self.policy.auth_attempts or not await self.auth.refresh(self):
            raise ConfigError(f"{self.source}: credentials refused: {detail}")
        raise _Retryable(detail, "auth", retry_after=0.0)


@dataclass
class _AttemptState:
    errors: Mapping[ErrorKey, ErrorRule]
    deadline: float
    malformed: int = 0
    auth: int = 0
    last: _Retryable | None = None


class _Invalid:
    """Marker for an unparseable body."""


_INVALID: Any = _Invalid()


def _decode(content: bytes) -> Any:
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return _INVALID


def _snippet(content: bytes, secrets: Sequence[str], limit: int = 300) -> str:
    """The start of an error body for messages: redacted first, then cut to ``limit`` characters."""
    text = redact(content[: limit * 8].decode("utf-8", "replace"), secrets)
    return text if len(text) <= limit else text[:limit] + "…"


class _BodyRefused(Exception):
    """A response body over the cap, or in a content coding the core cannot bound."""


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body of a streamed response, refusing more than ``limit`` bytes before or after
    decompression (the declared ``Content-Length`` is checked first); never holds more than that."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyRefused(f"response body of {int(declared)} bytes exceeds max_body_bytes={limit}")
    body = _CappedBody(response.headers.get("Content-Encoding", ""), limit)
    async for chunk in response.aiter_raw():
        body.feed(chunk)
    return body.finish()


class _CappedBody:
    """Accumulates a body, decoding gzip/deflate in bounded steps (``max_length``), within a cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        coding = encoding.strip().lower()
        wbits = {"gzip": 47, "x-gzip": 47, "deflate": 15}.get(coding)
        if wbits is None and coding not in ("", "identity"):
            raise _BodyRefused(f"unsupported Content-Encoding {coding[:40]!r} (asked for {ACCEPT_ENCODING})")
        self._inflate = zlib.decompressobj(wbits=wbits) if wbits is not None else None
        self._limit = limit
        self._received = 0
        self._out = bytearray()

    def feed(self, chunk: bytes) -> None:
        """Add one received chunk."""
        self._received += len(chunk)
        if self._received > self._limit:
            raise _BodyRefused(f"response body exceeds max_body_bytes={self._limit} as received")
        if self._inflate is None:
            self._append(chunk)
            return
        data = chunk
        try:
            while data and not self._inflate.eof:
                self._append(self._inflate.decompress(data, self._limit - len(self._out) + 1))
                data = self._inflate.unconsumed_tail
        except zlib.error as error:
            raise httpx.DecodingError(f"corrupt compressed body: {error}") from None

    def finish(self) -> bytes:
        """The whole decoded body."""
        if self._inflate is not None:
            try:
                self._append(self._inflate.flush(self._limit - len(self._out) + 1))
            except zlib.error as error:
                raise httpx.DecodingError(f"corrupt compressed body: {error}") from None
        return bytes(self._out)

    def _append(self, piece: bytes) -> None:
        self._out += piece
        if len(self._out) > self._limit:
            raise _BodyRefused(f"response body exceeds max_body_bytes={self._limit} after decompression")
