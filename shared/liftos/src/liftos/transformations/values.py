"""Strict parsing of the values API records carry, and construction of validated output rows.

Every parser raises :class:`~liftos.errors.DataError` with the field's name on anything it cannot
trust: wrong types (bools, lists, dicts), non-finite numbers (``"NaN"``, ``"inf"``), negatives and
implausibly large values (above :data:`MAX_VALUE`). Because the parsed values are already checked
against every constraint of the output models, rows are built with ``Event.from_validated`` (no second
validation on the hot path).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from liftos.errors import DataError
from liftos.events import NormalizedRow, RawEvent, StoreOutcomeRow
from liftos.transformations.context import MappingContext

__all__ = [
    "MAX_VALUE",
    "build_marketing_row",
    "build_outcome_row",
    "count",
    "day",
    "dig",
    "ident",
    "name",
    "number",
    "single_day",
]

#: Largest accepted metric value (counts, currency units): anything above is a broken record.
MAX_VALUE: Final = 1e15
_MAX_TEXT: Final = 512
_NUMERIC_TEXT: Final = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def dig(payload: Any, *path: str) -> Any:
    """The value at ``path`` inside nested dicts, or None when any step is missing or not a dict."""
    node = payload
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def number(value: Any, field: str, *, default: float | None = 0.0) -> float:
    """A finite, non-negative number from a JSON number or numeric string (None -> ``default``)."""
    kind = type(value)
    if kind is str:  # the common case (Meta, Google send numbers as strings): one regex, one float
        if not (value.isascii() and _NUMERIC_TEXT.fullmatch(value)):
            raise DataError(f"{field}: not a number: {value[:40]!r}")
        parsed = float(value)
    elif kind is float:
        parsed = value
    elif kind is int:
        parsed = float(value) if -MAX_VALUE <= value <= MAX_VALUE else math.inf  # float() overflows
    elif value is None:
        if default is None:
            raise DataError(f"{field}: missing")
        return default
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{field}: expected a number, got {type(value).__name__}")
    else:  # int / float subclasses
        parsed = float(value) if -MAX_VALUE <= value <= MAX_VALUE else math.inf
    if not (0.0 <= parsed <= MAX_VALUE):  # also false for NaN; infinities exceed MAX_VALUE
        raise DataError(f"{field}: out of range: {_shown(value)!r}")
    return parsed


def _shown(value: Any) -> str:
    """At most 40 characters of ``value`` for an error message (ints beyond 4,300 digits included)."""
    try:
        return str(value)[:40]
    except ValueError:  # int too long to convert to str
        return f"<{type(value).__name__} too large to show>"


def count(value: Any, field: str) -> int:
    """A non-negative whole count (``"37"``, ``37``, ``37.0``); None is 0."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    parsed = number(value, field)
    if not parsed.is_integer():
        raise DataError(f"{field}: not a whole count: {str(value)[:40]!r}")
    return int(parsed)


def ident(value: Any, field: str, *, required: bool = True) -> str:
    """An id as a string (JSON strings or integers); empty when missing and not ``required``."""
    if isinstance(value, str) and 0 < len(value) <= _MAX_TEXT:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None and not required:
        return ""
    raise DataError(f"{field}: expected an id, got {type(value).__name__}")


def name(value: Any, field: str) -> str:
    """A display name (missing -> empty); non-strings are refused."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) <= _MAX_TEXT * 4:
        return value
    raise DataError(f"{field}: expected a string name, got {type(value).__name__}")


def day(value: Any, field: str) -> date:
    """A calendar date from ``YYYY-MM-DD`` (a longer ISO timestamp keeps its local date part)."""
    if not isinstance(value, str) or len(value) < 10:
        raise DataError(f"{field}: expected a YYYY-MM-DD date, got {str(value)[:40]!r}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise DataError(f"{field}: not a date: {value[:40]!r}") from None


def single_day(first: date, last: date, what: str) -> date:
    """``first`` when the record covers exactly one day, else a DataError (rows are daily)."""
    if first != last:
        raise DataError(
            f"{what}: covers {first}..{last}; normalized rows are daily (request one-day buckets)"
        )
    return first


def build_marketing_row(
    event: RawEvent,
    context: MappingContext,
    currency: str,
    fields: Mapping[str, Any],
) -> NormalizedRow:
    """A normalized row from already-parsed ``fields`` (amounts in ``currency``; converted here).

    ``fields`` holds date, channel, platform, campaign_id and the metrics (``spend``, ``revenue`` in
    ``currency`` units, ``impressions``, ``clicks``, ``conversions``), plus optional names, ids,
    ``breakdown`` and ``extras``. Spend and revenue are multiplied by the fx rate to the reporting
    currency at the rate of the row's day (kept unrounded so per-day sums stay exact to the cent);
    ``fx_rate`` is recorded.
    """
    rate = context.fx(currency, fields["date"])
    values: dict[str, Any] = {
        "account": "",
        "campaign": "",
        "ad_group_id": "",
        "ad_group": "",
        "ad_id": "",
        "ad": "",
        "breakdown": "",
        "extras": {},
        **fields,
        "source": event.source,
        "account_id": event.account_id,
        "currency": context.reporting_currency,
        "source_currency": currency,
        "fx_rate": rate,
        "spend": fields["spend"] * rate,
        "revenue": fields["revenue"] * rate,
        "event_id": event.idempotency_key,
        "version": event.version,
    }
    return NormalizedRow.from_validated(values)


def build_outcome_row(
    event: RawEvent, context: MappingContext, currency: str, on: date, orders: int, revenue: float
) -> StoreOutcomeRow:
    """A store-outcome row; ``revenue`` (``currency`` units) is converted to the reporting currency."""
    return StoreOutcomeRow.from_validated(
        {
            "date": on,
            "source": event.source,
            "account_id": event.account_id,
            "orders": orders,
            "revenue": revenue * context.fx(currency, on),
            "currency": context.reporting_currency,
            "event_id": event.idempotency_key,
            "version": event.version,
        },
    )
