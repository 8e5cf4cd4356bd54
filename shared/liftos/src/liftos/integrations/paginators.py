"""Paginators: a small protocol (dlt's) and the three styles the ad platforms use.

A paginator is created fresh for each listing. The page loop calls ``init_request`` once, then for
every response ``update_state(body)`` and, while ``has_next``, ``update_request`` to build the next
request::

    request = paginator.init_request(first)
    while True:
        body = await client.send_json(request)
        paginator.update_state(body)
        ...
        if not paginator.has_next:
            break
        request = paginator.update_request(request)

:func:`liftos.integrations.endpoints.iterate_pages` runs this loop with a page cap and stops when a
next request repeats an earlier one (a cursor or link that cycles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from liftos.integrations.http_core import Request

__all__ = [
    "BodyCursorPaginator",
    "NextLinkPaginator",
    "PageTokenPaginator",
    "Paginator",
    "SinglePagePaginator",
    "dig",
]


def dig(body: Any, path: Sequence[str]) -> Any:
    """The value at ``path`` (keys) inside nested dicts, or None when any key is missing."""
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


class Paginator(Protocol):
    """init_request / update_state / update_request / has_next."""

    @property
    def has_next(self) -> bool:
        """True when another page exists."""
        ...

    def init_request(self, request: Request) -> Request:
        """The first request (e.g. with a page size)."""
        ...

    def update_state(self, body: Any) -> None:
        """Read the paging state out of a decoded response body."""
        ...

    def update_request(self, request: Request) -> Request:
        """The request for the next page."""
        ...


@dataclass
class SinglePagePaginator:
    """One request, one page."""

    has_next: bool = False

    def init_request(self, request: Request) -> Request:
        """Unchanged."""
        return request

    def update_state(self, body: Any) -> None:
        """Nothing to read."""
        del body

    def update_request(self, request: Request) -> Request:
        """Unchanged (never called)."""
        return request


@dataclass
class BodyCursorPaginator:
    """A cursor in the body sent back as a query parameter (Graph style).

    Response::

        {"data": [...], "paging": {"cursors": {"before": "MAZDZD", "after": "NzIZD"}, "next": "https://…"}}

    There is a next page only when both the cursor and the ``next`` link are present (the last page
    carries cursors but no ``next``). The next request repeats the same path with ``after=<cursor>``.
    """

    cursor_path: tuple[str, ...] = ("paging", "cursors", "after")
    next_path: tuple[str, ...] = ("paging", "next")
    param: str = "after"
    page_size_param: str | None = "limit"
    page_size: int | None = None
    _cursor: str | None = field(default=None, repr=False)

    @property
    def has_next(self) -> bool:
        """A cursor was read."""
        return self._cursor is not None

    def init_request(self, request: Request) -> Request:
        """Set the page size."""
        if self.page_size_param and self.page_size:
            return request.with_params(**{self.page_size_param: str(self.page_size)})
        return request

    def update_state(self, body: Any) -> None:
        """Keep the cursor only when a ``next`` link says another page exists."""
        cursor, link = dig(body, self.cursor_path), dig(body, self.next_path)
        self._cursor = str(cursor) if cursor and link else None

    def update_request(self, request: Request) -> Request:
        """Same request with the cursor parameter."""
        return request.with_params(**{self.param: self._cursor})


@dataclass
class NextLinkPaginator:
    """A full URL to the next page in the body (JSON:API ``links.next``).

    Response::

        {"data": [...], "links": {"self": "…", "next": "https://a.klaviyo.com/api/x?page%5Bcursor%5D=bz2"}}

    The next request goes to that URL as is (its query carries every parameter); the method and the
    JSON body are kept, so POST report endpoints page the same way. The HTTP core sends it only when
    it is on the API's origin (a link elsewhere is a ``DataError``, and never gets credentials).
    """

    next_path: tuple[str, ...] = ("links", "next")
    _next: str | None = field(default=None, repr=False)

    @property
    def has_next(self) -> bool:
        """A next link was read."""
        return bool(self._next)

    def init_request(self, request: Request) -> Request:
        """Unchanged."""
        return request

    def update_state(self, body: Any) -> None:
        """Read the next link."""
        link = dig(body, self.next_path)
        self._next = str(link) if link else None

    def update_request(self, request: Request) -> Request:
        """The next link, without the first request's parameters (the link has them)."""
        return replace(request, url=str(self._next), params={})


@dataclass
class PageTokenPaginator:
    """A page token in the body sent back in the JSON request body (Google Ads ``search``).

    Response::

        {"results": [...], "nextPageToken": "CJ3…", "fieldMask": "…"}

    ``nextPageToken`` is absent on the last page.
    """

    token_path: tuple[str, ...] = ("nextPageToken",)
    body_field: str = "pageToken"
    _token: str | None = field(default=None, repr=False)

    @property
    def has_next(self) -> bool:
        """A token was read."""
        return bool(self._token)

    def init_request(self, request: Request) -> Request:
        """Unchanged."""
        return request

    def update_state(self, body: Any) -> None:
        """Read the token."""
        token = dig(body, self.token_path)
        self._token = str(token) if token else None

    def update_request(self, request: Request) -> Request:
        """Same request with the token in the JSON body."""
        return replace(request, json={**(request.json or {}), self.body_field: self._token})
