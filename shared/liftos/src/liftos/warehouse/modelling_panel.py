"""Reading the modelling panel from the warehouse: daily outcome and spend per channel.

All reads use ``FINAL`` so re-read and redelivered rows count once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from clickhouse_connect.driver.client import Client

__all__ = [
    "DataWatermark",
    "daily_panel",
    "data_watermark",
    "latest_inputs_fingerprint",
    "latest_model_version",
    "latest_training_time",
    "panel_currencies",
    "source_days",
]

_SPEND_SQL = """
SELECT date, channel, sum(spend) AS spend
FROM marketing_daily FINAL
GROUP BY date, channel
ORDER BY date, channel
"""

_OUTCOME_SQL = """
SELECT date, sum(revenue) AS revenue, sum(orders) AS orders
FROM store_outcomes FINAL
GROUP BY date
ORDER BY date
"""

_SOURCE_OUTCOME_SQL = """
SELECT date, sum(revenue) AS revenue, sum(orders) AS orders
FROM store_outcomes FINAL
WHERE source = {source:String}
GROUP BY date
ORDER BY date
"""

_PRESENT_SQL = """
SELECT DISTINCT source, account_id, date FROM marketing_daily FINAL
WHERE date BETWEEN {start:Date} AND {end:Date}
UNION DISTINCT
SELECT DISTINCT source, account_id, date FROM store_outcomes FINAL
WHERE date BETWEEN {start:Date} AND {end:Date}
"""


_OUTCOME_CURRENCY_SQL = "SELECT DISTINCT currency FROM store_outcomes FINAL LIMIT 2"
_SPEND_CURRENCY_SQL = "SELECT DISTINCT currency FROM marketing_daily FINAL LIMIT 2"


@dataclass(frozen=True)
class DataWatermark:
    """What the warehouse held at one moment: row counts and newest row versions of both inputs and
    of the recorded lift tests."""

    marketing_rows: int
    marketing_version: int
    outcome_rows: int
    outcome_version: int
    lift_test_rows: int = 0
    lift_test_version: int = 0


def data_watermark(client: Client) -> DataWatermark:
    """The current :class:`DataWatermark`; it changes whenever new or rewritten data arrives, or a
    lift test is recorded."""
    from liftos.warehouse.lift_test_store import lift_test_watermark

    marketing = client.query("SELECT count(), max(version) FROM marketing_daily").result_rows[0]
    outcomes = client.query("SELECT count(), max(version) FROM store_outcomes").result_rows[0]
    tests = lift_test_watermark(client)
    return DataWatermark(int(marketing[0]), int(marketing[1]), int(outcomes[0]), int(outcomes[1]), *tests)


def source_days(client: Client, start: date, end: date) -> pd.DataFrame:
    """``source, account_id, date`` of every day with marketing rows or an outcome in ``start..end``."""
    frame = client.query_df(_PRESENT_SQL, parameters={"start": start, "end": end})
    if frame.empty:
        return pd.DataFrame(columns=["source", "account_id", "date"])
    return frame.assign(date=pd.to_datetime(frame["date"]).dt.date)


_COVERAGE_SQL = """
SELECT source, account_id, stream, start, end FROM ingestion_coverage FINAL
WHERE end >= {start:Date} AND start <= {end:Date}
"""


def coverage_spans(client: Client, start: date, end: date) -> pd.DataFrame:
    """``source, account_id, stream, start, end`` of every delivered slice overlapping ``start..end``."""
    frame = client.query_df(_COVERAGE_SQL, parameters={"start": start, "end": end})
    if frame.empty:
        return pd.DataFrame(columns=["source", "account_id", "stream", "start", "end"])
    return frame.assign(
        start=pd.to_datetime(frame["start"]).dt.date, end=pd.to_datetime(frame["end"]).dt.date
    )


def daily_panel(client: Client, outcome_source: str | None = None) -> pd.DataFrame:
    """Wide daily panel: ``date``, ``revenue``, ``orders`` and one spend column per channel.

    Days with an outcome but no spend for a channel get 0 spend; days without an outcome are dropped
    (the outcome is what the model explains). ``outcome_source``: only that source's store outcome
    (None: the sum over every source's). Money is in the reporting currency.

    Returns:
        DataFrame with one row per day, sorted by date; spend columns are named by channel.
    """
    spend = client.query_df(_SPEND_SQL)
    if outcome_source is None:
        outcome = client.query_df(_OUTCOME_SQL)
    else:
        outcome = client.query_df(_SOURCE_OUTCOME_SQL, parameters={"source": outcome_source})
    if outcome.empty:
        return pd.DataFrame(columns=["date", "revenue", "orders"])
    wide = spend.pivot_table(index="date", columns="channel", values="spend", aggfunc="sum", fill_value=0.0)
    panel = outcome.set_index("date").join(wide, how="left").fillna(0.0).reset_index()
    panel["date"] = pd.to_datetime(panel["date"])
    panel.columns = [str(column) for column in panel.columns]
    return panel.sort_values("date", ignore_index=True)


def panel_currencies(client: Client) -> tuple[str | None, str | None]:
    """Currencies of the panel's revenue (``store_outcomes``) and spend (``marketing_daily``), each the
    table's one ``currency`` value, or None when the table is empty or holds several."""

    def single(sql: str) -> str | None:
        rows = client.query(sql).result_rows
        return str(rows[0][0]) if len(rows) == 1 else None

    return single(_OUTCOME_CURRENCY_SQL), single(_SPEND_CURRENCY_SQL)


def latest_model_version(client: Client) -> int:
    """Highest model version already stored (0 when none), so versions continue across restarts."""
    return int(client.query("SELECT max(model_version) FROM effect_updates").result_rows[0][0] or 0)


def latest_inputs_fingerprint(client: Client, version: int) -> str | None:
    """The inputs fingerprint model ``version`` (the latest stored, :func:`latest_model_version`) was
    published with (None when there is no version, or its status row predates the fingerprint)."""
    if version <= 0:
        return None
    rows = client.query(
        "SELECT inputs_fingerprint FROM model_status FINAL WHERE status = 'published' "
        "AND model_version = {version:UInt32} ORDER BY checked_at DESC LIMIT 1",
        parameters={"version": version},
    ).result_rows
    return (str(rows[0][0]) or None) if rows else None


def latest_training_time(client: Client) -> float:
    """Unix time of the newest stored model version (0 when none)."""
    value = client.query("SELECT toUnixTimestamp64Milli(max(trained_at)) FROM effect_updates").result_rows[0][
        0
    ]
    return float(value or 0) / 1000
