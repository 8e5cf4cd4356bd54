"""JSON codec between event models and Kafka message bytes.

Encoding is ``orjson`` over the model's JSON-mode dump (dates as ISO strings); decoding validates with
pydantic's own JSON parser, so a message either becomes a valid model or raises :class:`DataError`
with a reason fit for a dead-letter header.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError

from liftos.errors import DataError
from liftos.events import Event

__all__ = ["MAX_REASON_CHARS", "decode", "encode"]

E = TypeVar("E", bound=Event)

#: Dead-letter reasons are cut to this many characters (a header, not a log dump).
MAX_REASON_CHARS = 2_000


def encode(value: Event) -> bytes:
    """Message bytes of ``value`` (UTF-8 JSON, serialised by pydantic-core).

    The same bytes as ``value.model_dump_json().encode()``, straight from the model's core serializer
    (a third cheaper per message: the stages encode every row they emit).
    """
    return type(value).__pydantic_serializer__.to_json(value)


def decode(model: type[E], data: bytes | None) -> E:
    """Parse and validate message bytes as ``model``.

    Raises:
        DataError: the bytes are empty, not UTF-8 JSON, or fail validation; the message says why.
    """
    if not data:
        raise DataError(f"empty message, expected a {model.__name__}")
    try:
        return model.__pydantic_validator__.validate_json(data)  # type: ignore[no-any-return]
    except ValidationError as error:
        reason = _summarise(error)
        raise DataError(f"invalid {model.__name__}: {reason}"[:MAX_REASON_CHARS]) from None
    except (ValueError, RecursionError) as error:
        raise DataError(f"undecodable {model.__name__}: {error}"[:MAX_REASON_CHARS]) from None


def _summarise(error: ValidationError) -> str:
    """First few validation errors as ``loc: message`` (without the input values, which may be large)."""
    parts = [
        f"{'.'.join(str(p) for p in item['loc']) or '<root>'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)[:5]
    ]
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
