"""Declarative endpoints and the generic page loop shared by every connector.

A connector module declares its API surface as a table of :class:`Endpoint` rows (dlt's
``rest_api`` shape): name, method, path template, static params, paginator, where the records are,
which payload fields form a record's natural key, how the stream is sliced, and error overrides.
:func:`iterate_pages` turns one endpoint request into pages of :class:`RawRecord`, at most
``max_pages_per_slice`` of them, and stops at a cursor or next link the API already sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from liftos.errors import DataError, TransientError
from liftos.integrations.cursors import SlicePlan
from liftos.integrations.http_core import ErrorKey, ErrorRule, HttpClient, PaginationReset, Request
from liftos.integrations.paginators import Paginator, SinglePagePaginator, dig

__all__ = ["Endpoint", "RawRecord", "iterate_pages", "key_of"]

_MAX_RESETS = 2


@dataclass(frozen=True)
class RawRecord:
    """One record exactly as the API sent it, plus the parts of its natural key.

    Attributes:
        payload: The record, untouched (numbers may be strings).
        key: Natural-key parts (ids, dates, breakdown values) identifying the logical record.
    """

    payload: dict[str, Any]
    key: tuple[str, ...]


@dataclass(frozen=True)
class Endpoint:
    """One row of a connector's endpoint table.

    Attributes:
        name: Stream name (lower-case slug; the ``stream`` of the raw events).
        method: HTTP method.
        path: Path template relative to the base URL, e.g. ``/{version}/{account}/insights``.
        params: Static query parameters.
        paginator: Factory of a fresh paginator per listing.
        records_path: Keys leading to the record list in a response body (empty: the body is a list).
        key_fields: Dotted payload paths whose values form the natural key.
        slicing: How the stream is sliced and how far it looks back.
        errors: Overrides merged onto the connector's policy table for this endpoint.
    """

    name: str
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    paginator: Callable[[], Paginator] = SinglePagePaginator
    records_path: tuple[str, ...] = ("data",)
    key_fields: tuple[str, ...] = ("id",)
    slicing: SlicePlan = field(default_factory=lambda: SlicePlan(step_days=1, lookback_days=0, sliced=False))
    errors: Mapping[ErrorKey, ErrorRule] = field(default_factory=dict)

    def request(self, headers: Mapping[str, str] | None = None, json: Any = None, **values: str) -> Request:
        """A first request for this endpoint with ``values`` filled into the path template."""
        return Request(
            method=self.method,
            url=self.path.format(**values),
            params=dict(self.params),
            json=json,
            headers=dict(headers or {}),
        )

    def records(self, body: Any) -> list[dict[str, Any]]:
        """The records of one decoded response body."""
        found = dig(body, self.records_path) if self.records_path else body
        return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def key_of(payload: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[str, ...]:
    """Natural-key parts: the value at each dotted path of ``fields`` (missing values as ``""``)."""
    parts: list[str] = []
    for dotted in fields:
        value = dig(payload, dotted.split("."))
        parts.append("" if value is None else str(value))
    return tuple(parts)


async def iterate_pages(
    client: HttpClient, endpoint: Endpoint, request: Request
) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages of records for ``request``, following the endpoint's paginator.

    An expired page token (:class:`PaginationReset`) restarts the listing from its first page, at
    most twice; records re-yielded by a restart carry the same natural keys, so they are idempotent.

    Raises:
        DataError: the API sent a cursor or next link it had already sent in this listing (it would
            page forever), or the listing has more than ``client.limits.max_pages_per_slice`` pages.
    """
    limit = client.limits.max_pages_per_slice
    for _ in range(_MAX_RESETS + 1):
        paginator = endpoint.paginator()
        current = paginator.init_request(request)
        seen = {_fingerprint(current)}
        try:
            for page in range(1, limit + 1):
                body = await client.send_json(current, endpoint.name, endpoint.errors)
                paginator.update_state(body)
                yield endpoint.records(body)
                if not paginator.has_next:
                    return
                current = paginator.update_request(current)
                mark = _fingerprint(current)
                if mark in seen:
                    raise DataError(
                        f"{client.source}: {endpoint.name}: page {page} repeats a cursor or next link the"
                        " API already sent; stopped instead of paging forever"
                    )
                seen.add(mark)
            raise DataError(
                f"{client.source}: {endpoint.name}: more than {limit} pages in one listing; raise"
                " LIFTOS_LIMITS__MAX_PAGES_PER_SLICE if the account really is that large"
            )
        except PaginationReset:
            continue
    raise TransientError(f"{client.source}: {endpoint.name}: page token kept expiring")


def _fingerprint(request: Request) -> bytes:
    """A short digest of everything that selects a page (URL, parameters, bodies)."""
    parts = [request.method, request.url, request.params, request.json, request.data]
    encoded = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.blake2b(encoded, digest_size=16).digest()
