"""Meta insights rows -> the one marketing schema (stream mapper, DataFrame schema, source definition)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from liftos.errors import DataError
from liftos.events import RawEvent
from liftos.integrations.meta.settings import (
    PROJECT_TEMPLATE,
    SECRETS_TEMPLATE,
    SEED_BREAKDOWN_ALIASES,
    SOURCE,
)
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext
from liftos.transformations.raw_events import OutputRow
from liftos.transformations.source_registry import SourceDefinition
from liftos.transformations.source_schemas import SourceSchema

#: Default canonical purchase action type: ``omni_purchase`` (Meta's de-duplicated cross-surface
#: purchase). Its aliases (``purchase``, ``offsite_conversion.fb_pixel_purchase``, ``onsite_web_*`` …)
#: repeat the same purchases and are never added to it. Configure another one per deployment through
#: ``MappingContext.purchase_action_types["meta"]``.
CANONICAL_PURCHASE_TYPE = "omni_purchase"
#: Insights breakdown fields; present ones form the row's ``breakdown`` (``name=value|…``, sorted).
BREAKDOWN_FIELDS = (
    "age",
    "gender",
    "country",
    "region",
    "dma",
    "publisher_platform",
    "platform_position",
    "device_platform",
    "impression_device",
)

_EXTRA_FIELDS = ("reach", "inline_link_clicks")


def _action(actions: Any, kind: str | None, field: str) -> float:
    """The ``value`` of the one ``kind`` entry of an actions array (0 when absent)."""
    if actions is None or kind is None:
        return 0.0
    if not isinstance(actions, list):
        raise DataError(f"{field}: expected a list of actions, got {type(actions).__name__}")
    for entry in actions:
        if isinstance(entry, dict) and entry.get("action_type") == kind:
            return tv.number(entry.get("value"), f"{field}[{kind}]")
    return 0.0


def _breakdown(payload: Mapping[str, Any]) -> str:
    parts = []
    for key in BREAKDOWN_FIELDS:
        value = payload.get(key)
        if value is not None:
            parts.append(f"{key}={tv.name(value, key)}")
    return "|".join(parts)


def normalize_meta_record(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One insights row → one NormalizedRow (one day; amounts converted to the reporting currency).

    Spend is the row's ``spend`` (account currency units); conversions / revenue are the count /
    value of the canonical purchase type in ``actions`` / ``action_values``; ``platform`` is the
    ``publisher_platform`` breakdown value, else ``meta``.
    """
    p = event.payload
    on = tv.single_day(
        tv.day(p.get("date_start"), "date_start"),
        tv.day(p.get("date_stop", p.get("date_start")), "date_stop"),
        "insights row",
    )
    kind = context.purchase_type(SOURCE)
    currency = context.currency_of(event.account_id, p.get("account_currency"))
    extras = {k: tv.number(p[k], k) for k in _EXTRA_FIELDS if p.get(k) is not None}
    fields = {
        "date": on,
        "channel": SOURCE,
        "platform": tv.name(p.get("publisher_platform"), "publisher_platform") or SOURCE,
        "account": tv.name(p.get("account_name"), "account_name"),
        "campaign_id": tv.ident(p.get("campaign_id"), "campaign_id", required=False),
        "campaign": tv.name(p.get("campaign_name"), "campaign_name"),
        "ad_group_id": tv.ident(p.get("adset_id"), "adset_id", required=False),
        "ad_group": tv.name(p.get("adset_name"), "adset_name"),
        "ad_id": tv.ident(p.get("ad_id"), "ad_id", required=False),
        "ad": tv.name(p.get("ad_name"), "ad_name"),
        "breakdown": _breakdown(p),
        "spend": tv.number(p.get("spend"), "spend"),
        "impressions": tv.count(p.get("impressions"), "impressions"),
        "clicks": tv.count(p.get("clicks"), "clicks"),
        "conversions": _action(p.get("actions"), kind, "actions"),
        "revenue": _action(p.get("action_values"), kind, "action_values"),
        "extras": extras,
    }
    return [tv.build_marketing_row(event, context, currency, fields)]


def _canonical_actions(values: pd.Series, context: MappingContext) -> pd.Series:
    kind = context.purchase_type(SOURCE)
    return values.map(
        lambda actions: _action(actions, kind, "actions") if isinstance(actions, list) else None
    )


#: Default DataFrame mapping of ``get_campaign_data`` frames (target → candidate columns).
DEFAULT_SCHEMA_MAPPING: Mapping[str, tuple[str, ...]] = {
    "date": ("date_start",),
    "account_id": ("account_id",),
    "account": ("account_name",),
    "campaign_id": ("campaign_id",),
    "campaign": ("campaign_name",),
    "ad_group_id": ("adset_id",),
    "ad_group": ("adset_name",),
    "ad_id": ("ad_id",),
    "ad": ("ad_name",),
    "currency": ("account_currency",),
    "spend": ("spend",),
    "impressions": ("impressions",),
    "clicks": ("clicks",),
    "conversions": ("actions", "conversions"),
    "revenue": ("action_values", "conversion_values"),
}

#: Meta in the source table (entry point ``liftos.sources: meta``).
DEFINITION = SourceDefinition(
    name=SOURCE,
    connector="liftos.integrations.meta.connector:MetaAdsConnector",
    mappers={"insights": normalize_meta_record},
    schema=SourceSchema(
        source=SOURCE,
        aliases=("facebook",),
        mapping=DEFAULT_SCHEMA_MAPPING,
        converters={"actions": _canonical_actions, "action_values": _canonical_actions},
        breakdown_columns=(*BREAKDOWN_FIELDS, *SEED_BREAKDOWN_ALIASES),
        platform_columns=("publisher_platform", "placement"),
        default_platform=SOURCE,
    ),
    purchase_action_type=CANONICAL_PURCHASE_TYPE,
    project_template=PROJECT_TEMPLATE,
    secrets_template=SECRETS_TEMPLATE,
)
