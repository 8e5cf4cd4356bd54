"""Turning raw source records into the one marketing schema (``liftos.transformations``).

- Streams: :func:`map_raw_event` with a :class:`MappingContext` (vendor mappers register themselves
  from their connector modules).
- Notebooks: :class:`DataTransformer` (``unify_marketing_data``, ``validate_data_quality``,
  ``clean_data``).
"""

from liftos.transformations.cleaning import CleaningReport, FixResult
from liftos.transformations.context import (
    DEFAULT_CONTEXT,
    EMAIL_COST_PER_RECIPIENT,
    MappingContext,
    register_purchase_action_type,
)
from liftos.transformations.quality import CrossFieldRule, QualityIssue, QualityReport
from liftos.transformations.raw_events import OutputRow, map_raw_event, register_mapper, skip
from liftos.transformations.unify import DataTransformer

__all__ = [
    "DEFAULT_CONTEXT",
    "EMAIL_COST_PER_RECIPIENT",
    "CleaningReport",
    "CrossFieldRule",
    "DataTransformer",
    "FixResult",
    "MappingContext",
    "OutputRow",
    "QualityIssue",
    "QualityReport",
    "map_raw_event",
    "register_mapper",
    "register_purchase_action_type",
    "skip",
]
