"""Klaviyo report rows and the store outcome -> the one schema (stream mappers, frame schema, definition)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from liftos.errors import DataError
from liftos.events import RawEvent
from liftos.integrations.klaviyo.settings import PROJECT_TEMPLATE, REPORT_KIND, SECRETS_TEMPLATE, SOURCE
from liftos.transformations import values as tv
from liftos.transformations.context import MappingContext
from liftos.transformations.raw_events import OutputRow, skip
from liftos.transformations.source_registry import SourceDefinition
from liftos.transformations.source_schemas import SourceSchema

#: Email engagement statistics kept as row extras (counts).
EXTRA_STATISTICS = (
    "recipients",
    "delivered",
    "bounced",
    "opens",
    "opens_unique",
    "clicks_unique",
    "unsubscribes",
)


def email_cost(recipients: float, context: MappingContext) -> float:
    """Estimated email spend (account currency): recipients x the context's cost per recipient, in cents."""
    return round(recipients * context.email_cost_per_recipient, 2)


def normalize_klaviyo_report(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One values-report result (campaign or flow message × one-day window) → one NormalizedRow.

    Klaviyo reports no spend: ``spend`` is the documented estimate recipients x
    ``context.email_cost_per_recipient``. ``impressions`` = recipients, ``clicks`` = clicks,
    ``conversions`` / ``revenue`` = the report's conversions / conversion_value (Placed Order).
    The day is the request window (``request_slice.start``; the payload carries none). Values
    reports carry no currency: the account lookup of the context, else the reporting currency (the
    daily ``message_daily`` records carry the account's, added by the connector).
    """
    on = tv.single_day(event.request_slice.start, event.request_slice.end, "report window")
    return [_message_row(event, context, on, REPORT_KIND[event.stream])]


def normalize_klaviyo_message_day(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One message-day of the metric aggregates (``message_daily``: the payload's ``date``, groupings and
    statistics as in a values report) -> one NormalizedRow, mapped as :func:`normalize_klaviyo_report`."""
    groupings = tv.dig(event.payload, "groupings")
    kind = "flow" if isinstance(groupings, dict) and "flow_id" in groupings else "campaign"
    return [_message_row(event, context, tv.day(event.payload.get("date"), "date"), kind)]


def _message_row(event: RawEvent, context: MappingContext, on: date, kind: str) -> OutputRow:
    groupings, stats = tv.dig(event.payload, "groupings"), tv.dig(event.payload, "statistics")
    if not isinstance(groupings, dict) or not isinstance(stats, dict):
        raise DataError("expected groupings and statistics objects")
    recipients = tv.count(stats.get("recipients"), "statistics.recipients")
    fields = {
        "date": on,
        "channel": SOURCE,
        "platform": tv.name(groupings.get("send_channel"), "groupings.send_channel") or "email",
        "campaign_id": tv.ident(groupings.get(f"{kind}_id"), f"groupings.{kind}_id"),
        "campaign": tv.name(groupings.get(f"{kind}_name"), f"groupings.{kind}_name"),
        "ad_group_id": tv.ident(
            groupings.get(f"{kind}_message_id"), f"groupings.{kind}_message_id", required=False
        ),
        "ad_group": tv.name(groupings.get(f"{kind}_message_name"), f"groupings.{kind}_message_name"),
        "spend": email_cost(recipients, context),
        "impressions": recipients,
        "clicks": tv.count(stats.get("clicks"), "statistics.clicks"),
        "conversions": tv.number(stats.get("conversions"), "statistics.conversions"),
        "revenue": tv.number(stats.get("conversion_value"), "statistics.conversion_value"),
        "extras": {k: tv.number(stats[k], f"statistics.{k}") for k in EXTRA_STATISTICS if k in stats},
    }
    currency = context.currency_of(event.account_id, event.payload.get("currency"))
    return tv.build_marketing_row(event, context, currency, fields)


def normalize_klaviyo_outcome(event: RawEvent, context: MappingContext) -> list[OutputRow]:
    """One day of the Placed Order aggregate → one StoreOutcomeRow (orders = count, revenue = sum_value).

    The date is the bucket's local date (the aggregate's time zone); revenue is converted from the
    account currency (the record's ``currency``, which the connector adds from the account, else the
    context lookup, else reporting) to the reporting currency at the rate of the day.
    """
    p = event.payload
    if p.get("dimensions"):
        raise DataError("store outcome split by dimensions; expected one series per day")
    measurements = p.get("measurements")
    if not isinstance(measurements, dict):
        raise DataError("expected a measurements object")
    return [
        tv.build_outcome_row(
            event,
            context,
            context.currency_of(event.account_id, p.get("currency")),
            tv.day(p.get("date"), "date"),
            tv.count(measurements.get("count"), "measurements.count"),
            tv.number(measurements.get("sum_value"), "measurements.sum_value"),
        )
    ]


def _cost_estimate(frame: pd.DataFrame, context: MappingContext) -> pd.DataFrame:
    """Adds ``cost_estimate`` (account currency) = recipients x cost per recipient, rounded to cents."""
    if "recipients" not in frame.columns or "cost_estimate" in frame.columns:
        return frame
    recipients = pd.to_numeric(frame["recipients"], errors="coerce")
    return frame.assign(cost_estimate=(recipients * context.email_cost_per_recipient).round(2))


#: Default DataFrame mapping of ``get_campaign_data`` frames (seed metric names).
DEFAULT_SCHEMA_MAPPING: Mapping[str, tuple[str, ...]] = {
    "date": ("date",),
    "campaign_id": ("campaign_id",),
    "campaign": ("campaign_name",),
    "ad_group_id": ("message_id",),
    "spend": ("cost_estimate",),
    "impressions": ("recipients",),
    "clicks": ("clicks",),
    "conversions": ("placed_order_count", "conversions"),
    "revenue": ("revenue", "conversion_value"),
}

#: Klaviyo in the source table (entry point ``liftos.sources: klaviyo``); the metadata listings
#: (campaigns, flows, metrics) are understood and map to no row.
DEFINITION = SourceDefinition(
    name=SOURCE,
    connector="liftos.integrations.klaviyo.connector:KlaviyoConnector",
    mappers={
        "campaign_values": normalize_klaviyo_report,
        "flow_values": normalize_klaviyo_report,
        "message_daily": normalize_klaviyo_message_day,
        "store_outcomes": normalize_klaviyo_outcome,
        "campaigns": skip,
        "flows": skip,
        "metrics": skip,
    },
    schema=SourceSchema(
        source=SOURCE,
        mapping=DEFAULT_SCHEMA_MAPPING,
        platform_columns=("send_channel",),
        default_platform="email",
        derive=_cost_estimate,
    ),
    project_template=PROJECT_TEMPLATE,
    secrets_template=SECRETS_TEMPLATE,
)
