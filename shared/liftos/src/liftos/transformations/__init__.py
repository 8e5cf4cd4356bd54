"""Turning raw source records into the one marketing schema (``liftos.transformations``).

- Streams: :func:`map_raw_event` with a :class:`MappingContext`; each source's mappers come from the
  source table (:func:`source_definitions`: the built-in ``canonical`` source and every installed source
  package's entry point in the ``liftos.sources`` group).
- Notebooks: :class:`DataTransformer` (``unify_marketing_data``, ``validate_data_quality``,
  ``clean_data``).
"""

from liftos.transformations.cleaning import CleaningReport, FixResult
from liftos.transformations.context import (
    DEFAULT_CONTEXT,
    EMAIL_COST_PER_RECIPIENT,
    MappingContext,
)
from liftos.transformations.quality import CrossFieldRule, QualityIssue, QualityReport
from liftos.transformations.raw_events import OutputRow, map_raw_event, skip
from liftos.transformations.source_registry import SourceDefinition, source_definition, source_definitions
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
    "SourceDefinition",
    "map_raw_event",
    "skip",
    "source_definition",
    "source_definitions",
]
