"""Assembly of the world's pandas tables from the simulated arrays."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.ad_delivery import Cells
from liftos_sandbox.entities import ChannelEntities

__all__ = ["DAILY_COLUMNS", "INT_METRICS", "daily_frame"]

_KEYS: Final = ("date", "channel", "account_id", "campaign_id", "group_id", "ad_id", "currency")
INT_METRICS: Final = (
    "spend_micros", "impressions", "clicks", "recipients", "delivered", "opens", "opens_unique",
    "clicks_unique", "unsubscribes", "bounces",
)  # fmt: skip
DAILY_COLUMNS: Final = (
    *_KEYS, "spend", "spend_micros", "impressions", "clicks", "platform_conversions", "platform_revenue",
    "recipients", "delivered", "opens", "opens_unique", "clicks_unique", "unsubscribes", "bounces",
    "cost_estimate",
)  # fmt: skip


def daily_frame(
    channel: str,
    days: pd.DatetimeIndex,
    entities: ChannelEntities,
    cells: Cells,
    metrics: dict[str, NDArray[np.int64] | NDArray[np.float64]],
) -> pd.DataFrame:
    """One row per active cell with all :data:`DAILY_COLUMNS`; ``metrics`` holds the channel's
    measured columns (missing integer metrics are 0). Money in the account currency."""
    leaves = entities.leaves
    currency = entities.accounts["currency"].to_numpy()[entities.account_index]
    spend = cells.spend_cents / 100.0
    n = len(cells.day)
    columns: dict[str, object] = {
        "date": days[cells.day],
        "channel": np.full(n, channel),
        "currency": currency[cells.leaf],
        "spend": spend,
        "cost_estimate": spend if channel == "klaviyo" else np.zeros(n),
        "recipients": cells.recipients,
    }
    for key in ("account_id", "campaign_id", "group_id", "ad_id"):
        columns[key] = leaves[key].to_numpy()[cells.leaf]
    for name in INT_METRICS:
        columns.setdefault(name, np.zeros(n, dtype=np.int64))
    columns["spend_micros"] = cells.spend_cents * 10_000
    columns.update(metrics)
    return pd.DataFrame({name: columns[name] for name in DAILY_COLUMNS})
