"""Google Ads rows -> the one marketing schema (stream mappers, DataFrame schema, source definition)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from liftos.errors import DataError
from liftos.events import RawEvent
from liftos.integrations.google_ads.settings import PROJECT_TEMPLATE, SECRETS_TEMPLATE, SOURCE, STREAM_QUERIES
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext
from liftos.transformations.quality import CrossFieldRule
from liftos.transformations.raw_events import OutputRow
from liftos.transformations.source_registry import SourceDefinition
from liftos.transformations.source_schemas import SourceSchema

MICROS_PER_UNIT = 1_000_000
#: Segment fields (besides ``segments.date``) that form the row's ``breakdown`` when present.
SEGMENT_FIELDS = ("adNetworkType", "device", "clickType")
_SNAKE = {"adNetworkType": "ad_network_type", "device": "device", "clickType": "click_type"}


def _micros(value: Any, field: str) -> float:
    """int64 micros (a JSON string) → currency units."""
    return tv.count(value, field) / MICROS_PER_UNIT


def _segments(segments: Any) -> str:
    if not isinstance(segments, dict):
        return ""
    return "|".join(
        f"{_SNAKE[key]}={tv.name(segments[key], key)}"
        for key in SEGMENT_FIELDS
        if segments.get(key) is not None
    )


def normalize_google_ads_record(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One GoogleAdsRow (ad group or campaign × day × segments) → one NormalizedRow.

    ``metrics.costMicros`` / 1e6 is spend in the customer's currency (``customer.currencyCode``);
    ``metrics.conversions`` / ``conversionsValue`` are Google's primary conversion actions (Google
    reports one de-duplicated figure, no alias types); ``platform`` is ``segments.adNetworkType``
    (lower-case), else ``google_ads``.
    """
    p = event.payload
    metrics, segments = tv.dig(p, "metrics"), p.get("segments")
    if not isinstance(metrics, dict) or not isinstance(segments, dict):
        raise DataError("expected metrics and segments objects")
    currency = context.currency_of(event.account_id, tv.dig(p, "customer", "currencyCode"))
    network = segments.get("adNetworkType")
    fields = {
        "date": tv.day(segments.get("date"), "segments.date"),
        "channel": SOURCE,
        "platform": tv.name(network, "segments.adNetworkType").lower() or SOURCE,
        "account": tv.name(tv.dig(p, "customer", "descriptiveName"), "customer.descriptiveName"),
        "campaign_id": tv.ident(tv.dig(p, "campaign", "id"), "campaign.id"),
        "campaign": tv.name(tv.dig(p, "campaign", "name"), "campaign.name"),
        "ad_group_id": tv.ident(tv.dig(p, "adGroup", "id"), "adGroup.id", required=False),
        "ad_group": tv.name(tv.dig(p, "adGroup", "name"), "adGroup.name"),
        "breakdown": _segments(segments),
        "spend": _micros(metrics.get("costMicros"), "metrics.costMicros"),
        "impressions": tv.count(metrics.get("impressions"), "metrics.impressions"),
        "clicks": tv.count(metrics.get("clicks"), "metrics.clicks"),
        "conversions": tv.number(metrics.get("conversions"), "metrics.conversions"),
        "revenue": tv.number(metrics.get("conversionsValue"), "metrics.conversionsValue"),
    }
    return [tv.build_marketing_row(event, context, currency, fields)]


def _from_micros(values: pd.Series, context: MappingContext) -> pd.Series:
    del context
    return pd.to_numeric(values, errors="coerce") / MICROS_PER_UNIT


#: Default DataFrame mapping of ``get_campaign_data`` frames (GAQL snake_case column names).
DEFAULT_SCHEMA_MAPPING: Mapping[str, tuple[str, ...]] = {
    "date": ("segments.date",),
    "account_id": ("customer_id", "customer.id"),
    "account": ("customer.descriptive_name",),
    "campaign_id": ("campaign.id",),
    "campaign": ("campaign.name",),
    "ad_group_id": ("ad_group.id",),
    "ad_group": ("ad_group.name",),
    "currency": ("customer.currency_code",),
    "spend": ("metrics.cost_micros",),
    "impressions": ("metrics.impressions",),
    "clicks": ("metrics.clicks",),
    "conversions": ("metrics.conversions",),
    "revenue": ("metrics.conversions_value",),
}

#: Google Ads in the source table (entry point ``liftos.sources: google_ads``). Google counts
#: click-through conversions only (Meta adds view-through, email attributes opens), so its rows also
#: satisfy conversions <= clicks.
DEFINITION = SourceDefinition(
    name=SOURCE,
    connector="liftos.integrations.google_ads.connector:GoogleAdsConnector",
    mappers=dict.fromkeys(STREAM_QUERIES, normalize_google_ads_record),
    schema=SourceSchema(
        source=SOURCE,
        aliases=("google", "googleads"),
        mapping=DEFAULT_SCHEMA_MAPPING,
        converters={"metrics.cost_micros": _from_micros},
        breakdown_columns=("segments.ad_network_type", "segments.device", "segments.click_type"),
        platform_columns=("segments.ad_network_type",),
        default_platform=SOURCE,
    ),
    quality_rules=(CrossFieldRule("conversions", "clicks", channels=(SOURCE,)),),
    project_template=PROJECT_TEMPLATE,
    secrets_template=SECRETS_TEMPLATE,
)
