"""Restatements in the warehouse: rows a source re-delivered with different values.

A platform restates a recent day as late conversions are attributed to it; the ingestor re-reads its
lookback window and the new version of the row replaces the old one under ``FINAL`` (ReplacingMergeTree
on the natural key, newest ``version`` wins). A background merge then drops the old version, so the
count of restated rows cannot be read from the tables themselves. Materialized views record, per
natural key, the set of distinct value hashes ever inserted (``row_variants``, AggregatingMergeTree of
``uniqExactState``): a key with more than one was restated; a redelivery of the same values is not.
"""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from liftos.warehouse.ddl import plain_identifier

__all__ = ["VARIANTS_TABLE", "restated_rows", "restatement_log_sql"]

VARIANTS_TABLE = "row_variants"

_TABLE = """
CREATE TABLE IF NOT EXISTS `{db}`.`row_variants` (
    `table` LowCardinality(String),
    `source` LowCardinality(String),
    `date` Date32,
    `key` UInt64,
    `variants` AggregateFunction(uniqExact, UInt64)
) ENGINE = AggregatingMergeTree ORDER BY (`table`, `source`, `date`, `key`)
"""

_MARKETING_VIEW = """
CREATE MATERIALIZED VIEW IF NOT EXISTS `{db}`.`row_variants_marketing` TO `{db}`.`row_variants` AS
SELECT 'marketing_daily' AS `table`, source, date,
       cityHash64(account_id, campaign_id, ad_group_id, ad_id, breakdown) AS key,
       uniqExactState(cityHash64(spend, revenue, conversions, impressions, clicks)) AS variants
FROM `{db}`.`marketing_daily`
GROUP BY `table`, source, date, key
"""

_OUTCOME_VIEW = """
CREATE MATERIALIZED VIEW IF NOT EXISTS `{db}`.`row_variants_outcomes` TO `{db}`.`row_variants` AS
SELECT 'store_outcomes' AS `table`, source, date, cityHash64(account_id) AS key,
       uniqExactState(cityHash64(orders, revenue)) AS variants
FROM `{db}`.`store_outcomes`
GROUP BY `table`, source, date, key
"""

_COUNT_SQL = """
SELECT `table`, source, countIf(n > 1)
FROM (
    SELECT `table`, source, date, key, uniqExactMerge(variants) AS n
    FROM row_variants GROUP BY `table`, source, date, key
)
GROUP BY `table`, source
ORDER BY `table`, source
"""

#: Names of the restatement log's objects (a table and two materialized views).
OBJECTS = ("row_variants", "row_variants_marketing", "row_variants_outcomes")


def restatement_log_sql(database: str, existing: set[str]) -> list[str]:
    """DDL creating the restatement log's objects missing from ``existing`` (table names)."""
    db = plain_identifier(database)
    statements = (_TABLE, _MARKETING_VIEW, _OUTCOME_VIEW)
    return [
        sql.format(db=db).strip()
        for name, sql in zip(OBJECTS, statements, strict=True)
        if name not in existing
    ]


def restated_rows(client: Client) -> dict[str, int]:
    """Natural keys ever stored with more than one distinct set of values: per source of
    ``marketing_daily``, and as ``"<source> outcome"`` for ``store_outcomes``."""
    counts: dict[str, int] = {}
    for table, source, n in client.query(_COUNT_SQL).result_rows:
        counts[str(source) if table == "marketing_daily" else f"{source} outcome"] = int(n)
    return counts
