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

Secrets never appear in exception messages: every message is passed through :func:`redact`.
"""

from __future__ import annotations

import asyncio
import enum
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
import orjson
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
    "parse_retry_after",
    "redact",
]

USER_AGENT = "liftos-integrations/0.1 (+https://github.com/liftos)"


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
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


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
        """Secret strings to scrub from error messages."""
        ...


class NoAuth:
    """No credentials (tests, public endpoints)."""

    async def apply(self, request: Request) -> Request:
        """Return ``request`` unchanged."""
        return request

    async def refresh(self, client: HttpClient) -> bool:
        """Nothing to refresh."""
        del client
        return False

    def secrets(self) -> Sequence[str]:
        """No secrets."""
        return ()


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
    """

    max_attempts: int = 10
    base_s: float = 1.0
    cap_s: float = 300.0
    max_hint_s: float = 3600.0
    malformed_attempts: int = 4
    auth_attempts: int = 2
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    jitter: Callable[[], float] = random.random

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
    """The one httpx client factory: HTTP keep-alive pool, timeouts, our user agent.

    Args:
        timeout_s: Read/write/pool timeout per request (seconds).
        connect_timeout_s: Connect timeout (seconds).
    """
    timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    return httpx.AsyncClient(timeout=timeout, limits=limits, headers={"User-Agent": USER_AGENT})


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
    """Executes :class:`Request`s for one connector with its policy table, auth and metrics.

    Attributes:
        source: Connector name (metric label).
        base_url: Prefix for relative request URLs.
        auth: Credential hook.
        errors: The merged policy table.
        error_code: Extracts the vendor error code (a table key) from an error body.
        retry_hint: Extracts a server-requested wait (seconds) from a response.
        policy: Backoff knobs.
        metrics: Metric hooks.
        client: The httpx client (one per connector; created by :func:`make_async_client`).
        stats: Counters since creation: ``requests`` and ``retry:<reason>``.
        last_headers: Headers of the last successful response (rate-limit usage for ``liftos check``).
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

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self.client.aclose()

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
            DataError: the request is refused as invalid, or bodies stay malformed.
            TransientError: retries exhausted, or the server asked to wait longer than allowed.
            PaginationReset: the page token expired.
        """
        state = _AttemptState(errors={**self.errors, **(errors or {})})
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            wait=self._wait,
            stop=lambda rs: self._should_stop(rs, state),
            sleep=self.policy.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(request, endpoint, state)
        except _Retryable as error:
            raise self._exhausted(error) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _exhausted(self, error: _Retryable) -> Exception:
        message = f"{self.source}: giving up after retries ({error.reason}): {error}"
        if error.reason == "malformed":
            return DataError(message)
        return TransientError(message, retry_after=error.retry_after)

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
        authed = await self.auth.apply(request)
        self.stats["requests"] += 1
        try:
            response = await self._send(authed)
        except httpx.HTTPError as error:
            self.metrics.request(self.source, endpoint, type(error).__name__)
            return self._on_exception(error, state)
        self.metrics.request(self.source, endpoint, str(response.status_code))
        body = _decode(response.content)
        if response.is_success:
            if body is _INVALID:
                state.malformed += 1
                raise _Retryable(f"malformed JSON body from {endpoint or request.url}", "malformed")
            self.last_headers = response.headers
            return body
        return await self._on_error(response, body, endpoint, state)

    async def _send(self, request: Request) -> httpx.Response:
        url = request.url if request.url.startswith("http") else self.base_url + request.url
        return await self.client.request(
            request.method,
            url,
            params=dict(request.params) or None,
            json=request.json,
            data=dict(request.data) if request.data is not None else None,
            headers=dict(request.headers),
        )

    def _on_exception(self, error: httpx.HTTPError, state: _AttemptState) -> Any:
        rule = self._rule_for_exception(error, state.errors)
        if rule.action is Action.RETRY:
            raise _Retryable(f"{type(error).__name__}: {self._scrub(str(error))}", rule.reason)
        raise TransientError(f"{self.source}: {type(error).__name__}: {self._scrub(str(error))}")

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

    async def _on_error(
        self, response: httpx.Response, body: Any, endpoint: str, state: _AttemptState
    ) -> Any:
        rule = self.rule_for(response, body, state.errors)
        where = endpoint or response.url.path
        detail = self._scrub(f"HTTP {response.status_code} from {where}: {_snippet(response)}")
        if rule.action is Action.RETRY:
            hint = self.retry_hint(response, body if body is not _INVALID else None)
            raise _Retryable(detail, rule.reason, retry_after=hint)
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

    def _scrub(self, text: str) -> str:
        return redact(text, self.auth.secrets())


@dataclass
class _AttemptState:
    errors: Mapping[ErrorKey, ErrorRule]
    malformed: int = 0
    auth: int = 0


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


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    text = response.text
    return text if len(text) <= limit else text[:limit] + "…"
