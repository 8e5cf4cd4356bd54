"""A small GAQL parser: the subset the connectors use for campaign / ad-group daily metrics.

``SELECT <fields> FROM campaign|ad_group|customer|customer_client [WHERE <cond> [AND <cond>]…]
[ORDER BY f [ASC|DESC], …] [LIMIT n]`` with conditions ``=, !=, >, >=, <, <=, IN (…), NOT IN (…),
BETWEEN 'a' AND 'b', DURING LAST_N_DAYS``. Errors carry the Google Ads ``QueryError`` enum name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Condition", "GaqlError", "GaqlQuery", "date_bounds", "parse_gaql"]

RESOURCES = ("campaign", "ad_group", "customer", "customer_client")
_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?"
    r"(?:\s+PARAMETERS\s+.+?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_VALUE = r"'[^']*'|\"[^\"]*\"|[^\s()]+"
_COND = re.compile(
    rf"(?P<field>[a-z][a-z0-9_.]*)\s+(?:"
    rf"(?P<between>BETWEEN)\s+(?P<lo>{_VALUE})\s+AND\s+(?P<hi>{_VALUE})"
    rf"|(?P<inop>NOT\s+IN|IN)\s*\((?P<items>[^)]*)\)"
    rf"|(?P<during>DURING)\s+(?P<preset>\w+)"
    rf"|(?P<op>!=|>=|<=|=|>|<|NOT\s+LIKE|LIKE)\s*(?P<value>{_VALUE}))\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"AND\s+", re.IGNORECASE)
_PRESETS = {
    "TODAY": (0, 0),
    "YESTERDAY": (1, 1),
    "LAST_7_DAYS": (7, 1),
    "LAST_14_DAYS": (14, 1),
    "LAST_30_DAYS": (30, 1),
    "LAST_BUSINESS_WEEK": (7, 1),
}


class GaqlError(Exception):
    """A query error: ``code`` is the QueryError enum name (e.g. UNRECOGNIZED_FIELD)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Condition:
    """``field op values`` (values unquoted; BETWEEN has two, IN many, others one)."""

    field: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class GaqlQuery:
    """A parsed query; field names are GAQL snake_case (``metrics.cost_micros``)."""

    fields: tuple[str, ...]
    resource: str
    conditions: tuple[Condition, ...]
    order_by: tuple[tuple[str, bool], ...]  # (field, descending)
    limit: int | None


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def _conditions(where: str) -> tuple[Condition, ...]:
    out: list[Condition] = []
    pos = 0
    while pos < len(where):
        match = _COND.match(where, pos)
        if match is None:
            raise GaqlError(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {where[pos : pos + 30]!r}."
            )
        out.append(_condition(match))
        pos = match.end()
        if pos < len(where):
            sep = _AND.match(where, pos)
            if sep is None:
                raise GaqlError(
                    "EXPECTED_AND", f"Error in query: expected AND near {where[pos : pos + 20]!r}."
                )
            pos = sep.end()
    return tuple(out)


def _condition(match: re.Match[str]) -> Condition:
    field = match["field"].lower()
    if match["between"]:
        return Condition(field, "BETWEEN", (_unquote(match["lo"]), _unquote(match["hi"])))
    if match["inop"]:
        items = tuple(_unquote(v.strip()) for v in match["items"].split(",") if v.strip())
        return Condition(field, " ".join(match["inop"].upper().split()), items)
    if match["during"]:
        return Condition(field, "DURING", (match["preset"].upper(),))
    return Condition(field, " ".join(match["op"].upper().split()), (_unquote(match["value"]),))


def _order(clause: str | None) -> tuple[tuple[str, bool], ...]:
    if not clause:
        return ()
    out = []
    for part in clause.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise GaqlError("BAD_SYMBOL", f"Error in query: invalid ORDER BY clause {part.strip()!r}.")
        out.append((words[0].lower(), len(words) == 2 and words[1].upper() == "DESC"))
    return tuple(out)


def parse_gaql(text: str, known_fields: frozenset[str]) -> GaqlQuery:
    """Parse ``text``; every referenced field must be in ``known_fields`` (else UNRECOGNIZED_FIELD)."""
    if not re.match(r"^\s*SELECT\b", text, re.IGNORECASE):
        raise GaqlError("EXPECTED_SELECT", "Error in query: expected SELECT.")
    match = _QUERY.match(text)
    if match is None:
        raise GaqlError("EXPECTED_FROM", "Error in query: missing or invalid FROM clause.")
    resource = match["resource"].lower()
    if resource not in RESOURCES:
        raise GaqlError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in query: resource '{resource}' is not supported in FROM.",
        )
    fields = tuple(f.strip().lower() for f in match["fields"].split(","))
    query = GaqlQuery(
        fields,
        resource,
        _conditions(match["where"] or ""),
        _order(match["order"]),
        int(match["limit"]) if match["limit"] else None,
    )
    referenced = [*fields, *(c.field for c in query.conditions), *(f for f, _ in query.order_by)]
    for field in referenced:
        if field not in known_fields:
            raise GaqlError("UNRECOGNIZED_FIELD", f"Error in query: unrecognized field '{field}'.")
    return query


def date_bounds(query: GaqlQuery, today: date) -> tuple[date, date] | None:
    """The inclusive segments.date range the WHERE clause pins down (None: no date filter).

    Raises EXPECTED_FILTERS_ON_DATE_RANGE when only one side is bounded, as Google does.
    """
    lo: date | None = None
    hi: date | None = None
    try:
        for cond in (c for c in query.conditions if c.field == "segments.date"):
            if cond.op == "BETWEEN":
                lo, hi = date.fromisoformat(cond.values[0]), date.fromisoformat(cond.values[1])
            elif cond.op == "DURING":
                if cond.values[0] not in _PRESETS:
                    raise GaqlError("BAD_VALUE", f"Error in query: unsupported date range {cond.values[0]}.")
                back, end_back = _PRESETS[cond.values[0]]
                lo, hi = today - timedelta(days=back), today - timedelta(days=end_back)
            elif cond.op in (">=", ">"):
                lo = date.fromisoformat(cond.values[0]) + timedelta(days=cond.op == ">")
            elif cond.op in ("<=", "<"):
                hi = date.fromisoformat(cond.values[0]) - timedelta(days=cond.op == "<")
            elif cond.op == "=":
                lo = hi = date.fromisoformat(cond.values[0])
    except ValueError as error:
        raise GaqlError("INVALID_DATE_FORMAT", f"Error in query: invalid date literal ({error}).") from error
    if lo is None and hi is None:
        return None
    if lo is None or hi is None:
        raise GaqlError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: a finite date range is required when filtering on segments.date.",
        )
    return lo, hi
