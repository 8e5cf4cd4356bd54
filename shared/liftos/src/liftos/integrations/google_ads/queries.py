"""GAQL built from the seed's field and segment names, and JSON paths of the answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date


def camel_path(field: str) -> str:
    """GAQL ``metrics.cost_micros`` → JSON ``metrics.costMicros``."""

    def camel(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(word.capitalize() for word in rest)

    return ".".join(camel(part) for part in field.split("."))


def build_gaql(fields: Sequence[str], segments: Sequence[str], start: date, end: date) -> str:
    """A daily-metrics GAQL query over ``start..end`` (inclusive).

    The resource is ``ad_group`` when any ``ad_group.*`` field is asked, else ``campaign``; the ids
    of that resource and ``segments.date`` are always selected (the natural key needs them).
    """
    resource = "ad_group" if any(f.startswith("ad_group.") for f in fields) else "campaign"
    ids = ["campaign.id", *(["ad_group.id"] if resource == "ad_group" else []), "segments.date"]
    selected = list(dict.fromkeys([*ids, *fields, *segments]))
    return (
        f"SELECT {', '.join(selected)} FROM {resource} "
        f"WHERE segments.date BETWEEN '{start.isoformat()}' AND '{end.isoformat()}' "
        "ORDER BY segments.date ASC"
    )


def key_fields(fields: Sequence[str], segments: Sequence[str]) -> tuple[str, ...]:
    resource_id = "adGroup.id" if any(f.startswith("ad_group.") for f in fields) else "campaign.id"
    extra = [camel_path(s) for s in segments if s != "segments.date"]
    return (resource_id, "segments.date", *extra)


#: The client customers directly under a manager (level 1), with what ``liftos check`` lists.
CUSTOMER_CLIENTS = (
    "SELECT customer_client.client_customer, customer_client.id, customer_client.descriptive_name, "
    "customer_client.currency_code, customer_client.time_zone, customer_client.manager, "
    "customer_client.level, customer_client.status FROM customer_client WHERE customer_client.level <= 1"
)
#: One customer's own attributes.
CUSTOMER = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, "
    "customer.manager FROM customer"
)
