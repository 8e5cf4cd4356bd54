"""DataTransformer on small hand-checkable frames shaped like the connectors' get_campaign_data output."""

from __future__ import annotations

import pandas as pd
import pytest

from liftos.transformations import DataTransformer, MappingContext

CONTEXT = MappingContext(reporting_currency="USD", fx_rates={"EUR": 2.0})
ALIASES = [
    {"action_type": t, "value": "3"}
    for t in ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
]
VALUES = [{"action_type": t, "value": "50.5"} for t in ("omni_purchase", "purchase")]
SEED_MAPPING = {
    "date": ["date_start", "segments.date", "sent_at"],
    "campaign": ["campaign_name", "campaign.name", "campaign_name"],
    "spend": ["spend", "metrics.cost_micros", "cost_estimate"],
    "impressions": ["impressions", "metrics.impressions", "recipients"],
    "clicks": ["clicks", "metrics.clicks", "clicks"],
    "conversions": ["conversions", "metrics.conversions", "placed_order_count"],
    "revenue": ["conversion_values", "metrics.conversions_value", "revenue"],
}


def _meta() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["1", "1"],
            "account_currency": ["EUR", "EUR"],
            "campaign_id": ["c1", "c1"],
            "campaign_name": ["Spring", "Spring"],
            "adset_id": ["s1", "s1"],
            "ad_id": ["a1", "a1"],
            "spend": [10.0, 4.0],
            "impressions": [1000, 400],
            "clicks": [20, 8],
            "reach": [900, 350],
            "actions": [ALIASES, None],
            "action_values": [VALUES, None],
            "conversions": [3.0, 0.0],
            "conversion_values": [50.5, 0.0],
            "date_start": ["2025-01-01", "2025-01-02"],
            "date_stop": ["2025-01-01", "2025-01-02"],
            "placement": ["facebook", "instagram"],
        }
    )


def _google() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["77"],
            "customer.currency_code": ["USD"],
            "campaign.id": ["g1"],
            "campaign.name": ["Brand"],
            "ad_group.id": ["ag1"],
            "ad_group.name": ["Exact"],
            "segments.date": ["2025-01-01"],
            "metrics.cost_micros": [12_500_000],
            "metrics.impressions": [1000],
            "metrics.clicks": [40],
            "metrics.conversions": [3.0],
            "metrics.conversions_value": [150.5],
            "metrics.search_impression_share": [0.4],
            "segments.ad_network_type": ["SEARCH"],
        }
    )


def _klaviyo() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": [pd.Timestamp("2025-01-01").date()],
            "kind": ["campaign"],
            "campaign_id": ["k1"],
            "message_id": ["m1"],
            "send_channel": ["email"],
            "campaign_name": ["Newsletter"],
            "sent_at": ["2025-01-01T14:00:00+00:00"],
            "recipients": [12040],
            "opens": [4810],
            "clicks": [361],
            "revenue": [2516.17],
            "placed_order_count": [41.0],
        }
    )


def _unified(mapping: dict[str, list[str]] | None = None) -> pd.DataFrame:
    sources = {"meta": _meta(), "google": _google(), "klaviyo": _klaviyo()}
    return DataTransformer(CONTEXT).unify_marketing_data(sources=sources, schema_mapping=mapping)


@pytest.mark.parametrize("mapping", [None, SEED_MAPPING])
def test_unify_maps_units_purchases_currency_and_channels(mapping: dict[str, list[str]] | None) -> None:
    frame = _unified(mapping)
    frame.index = pd.Index(
        [f"{c}:{d:%Y-%m-%d}" for c, d in zip(frame["channel"], frame["date"], strict=True)]
    )
    meta = frame.loc["meta:2025-01-01"]
    assert (meta["spend"], meta["conversions"], meta["revenue"]) == (
        20.0,
        3.0,
        101.0,
    )  # EUR x 2, aliases once
    assert (meta["source_currency"], meta["currency"], meta["platform"]) == ("EUR", "USD", "facebook")
    assert meta["breakdown"] == "placement=facebook" and meta["ad_group_id"] == "s1" and meta["reach"] == 900
    google = frame.loc["google_ads:2025-01-01"]
    assert (google["spend"], google["revenue"], google["platform"]) == (12.5, 150.5, "search")
    assert google["metrics.search_impression_share"] == 0.4 and google["account_id"] == "77"
    email = frame.loc["klaviyo:2025-01-01"]
    assert (email["spend"], email["impressions"], email["conversions"]) == (120.4, 12040, 41.0)
    assert (email["platform"], email["campaign"], email["ad_group_id"]) == ("email", "Newsletter", "m1")


def test_unify_output_columns_come_first_and_raw_arrays_are_dropped() -> None:
    frame = _unified()
    assert list(frame.columns[:8]) == [
        "date",
        "channel",
        "platform",
        "account_id",
        "account",
        "campaign",
        "campaign_id",
        "ad_group",
    ]
    assert "actions" not in frame.columns and len(frame) == 4


def test_custom_mapping_overrides_the_default() -> None:
    frame = _unified({"impressions": ["reach"]})
    assert frame.loc[frame["channel"] == "meta", "impressions"].tolist() == [900, 350]


def test_validate_reports_rules_keys_and_scores() -> None:
    data = _unified()
    data.loc[0, "spend"] = -1.0
    data.loc[1, "campaign"] = None
    data.loc[2, "clicks"] = 10**6
    data = pd.concat(
        [data, data.iloc[[3]]], ignore_index=True
    )  # rows: google, klaviyo, meta 1st, meta 2nd x2
    report = DataTransformer().validate_data_quality(
        data=data,
        required_fields=["date", "campaign", "spend", "conversions"],
        validation_rules={
            "spend": {"min": 0, "data_type": "numeric"},
            "channel": {"allowed": ["meta", "google_ads"]},
            "date": {"format": "YYYY-MM-DD", "range": ("2025-01-01", "2025-01-01")},
        },
    )
    rules = {(i.rule, i.column): i.count for i in report.issues}
    assert rules[("min", "spend")] == 1 and rules[("required", "campaign")] == 1
    assert rules[("clicks<=impressions", "clicks")] == 1 and rules[("range", "date")] == 2
    assert rules[("allowed", "channel")] == 1
    assert rules[("unique_key", "date,channel,account_id,campaign_id,ad_group_id,ad_id,breakdown")] == 2
    assert report.completeness_score == pytest.approx(1 - 1 / 20)
    broken = next(i for i in report.issues if i.rule == "min")
    assert broken.row_keys and broken.row_keys[0][1] == data.loc[0, "channel"]
    assert report.accuracy_score == 0.0  # each of the five rows breaks some rule
    clean = DataTransformer().validate_data_quality(_unified(), ["date", "spend"], {"spend": {"min": 0}})
    assert (clean.completeness_score, clean.accuracy_score, clean.issues) == (1.0, 1.0, [])


def test_clean_fixes_and_reports_each_change() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-03", "2025-01-01"]),
            "channel": ["meta"] * 4,
            "account_id": ["1"] * 4,
            "campaign_id": ["c1", "c1", "c1", "c2"],
            "ad_group_id": [""] * 4,
            "ad_id": [""] * 4,
            "breakdown": [""] * 4,
            "campaign": ["  spring  sale", "  spring  sale", "Spring Sale", "Ｂrand"],
            "currency": ["eur", "eur", "USD", "GBP"],
            "spend": [10.0, 10.0, 5.0, 1.0],
            "revenue": [1.0, 1.0, 0.0, 0.0],
            "impressions": [1, 1, 1, 1],
            "clicks": [0] * 4,
            "conversions": [0.0] * 4,
        }
    )
    transformer = DataTransformer(CONTEXT)
    cleaned = transformer.clean_data(
        data=frame,
        fixes=["remove_duplicates", "fill_missing_dates", "standardize_currency", "normalize_campaign_names"],
    )
    report = transformer.last_cleaning_report
    assert report is cleaned.attrs["cleaning_report"] and report is not None
    assert (report["remove_duplicates"].removed, report["fill_missing_dates"].added) == (1, 1)
    assert report["standardize_currency"].changed == 1  # the EUR row; GBP has no rate in the table
    c1 = cleaned[cleaned["campaign_id"] == "c1"].reset_index(drop=True)
    assert c1["date"].dt.day.tolist() == [1, 2, 3] and c1["spend"].tolist() == [20.0, 0.0, 5.0]
    assert (
        set(c1["campaign"]) == {"Spring Sale"}
        and cleaned.loc[cleaned["campaign_id"] == "c2", "campaign"].item() == "Brand"
    )
    assert cleaned.loc[cleaned["campaign_id"] == "c2", "currency"].item() == "GBP"
    assert (report.rows_before, report.rows_after) == (4, 4)


def test_unknown_fix_and_source_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fixes"):
        DataTransformer().clean_data(pd.DataFrame(), fixes=["nope"])
    with pytest.raises(Exception, match="no schema mapping"):
        DataTransformer().unify_marketing_data({"tiktok": pd.DataFrame({"a": [1]})})
