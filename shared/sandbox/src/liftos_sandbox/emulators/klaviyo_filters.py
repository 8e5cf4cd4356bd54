"""Klaviyo JSON:API filter expressions: ``and(equals(a,'x'),contains-any(b,["y","z"]))``.

Parsed into (operator, field, value) triples; only AND combinations are allowed, as Klaviyo does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["FilterError", "Predicate", "parse_filter"]

_CALL = re.compile(r"\s*(?P<op>[a-z-]+)\((?P<field>[A-Za-z0-9_.$-]+),\s*")
_LITERAL = re.compile(r"""\s*(?P<v>'[^']*'|"[^"]*"|\[[^\]]*\]|[^,()\s]+)\s*\)""")


class FilterError(ValueError):
    """The filter string is not valid."""


@dataclass(frozen=True)
class Predicate:
    """``op(field, value)``; list values are tuples, datetimes are parsed."""

    op: str
    field: str
    value: str | bool | datetime | tuple[str, ...]


def _literal(text: str) -> str | bool | datetime | tuple[str, ...]:
    text = text.strip()
    if text.startswith("["):
        return tuple(_literal(part) for part in text[1:-1].split(",") if part.strip())  # type: ignore[misc]
    if text[:1] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text


def parse_filter(text: str) -> list[Predicate]:
    """All predicates of a (possibly ``and(...)``-wrapped) filter; raises FilterError when invalid."""
    body = text.strip()
    while body.startswith("and(") and body.endswith(")"):
        body = body[4:-1]
    out: list[Predicate] = []
    pos = 0
    while pos < len(body):
        call = _CALL.match(body, pos)
        literal = _LITERAL.match(body, call.end()) if call else None
        if call is None or literal is None:
            raise FilterError(f"Invalid filter provided: {text!r}")
        out.append(Predicate(call["op"], call["field"], _literal(literal["v"])))
        pos = literal.end()
        if body[pos : pos + 1] == ",":
            pos += 1
    return out
