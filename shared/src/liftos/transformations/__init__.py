"""Turning raw source records into the one marketing schema (``liftos.transformations``)."""

from liftos.transformations.raw_events import OutputRow, map_raw_event, register_mapper

__all__ = ["OutputRow", "map_raw_event", "register_mapper"]
