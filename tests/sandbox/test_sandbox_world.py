"""The simulated world's tables: determinism, hierarchy, currencies, spend exactness, calendar effects,
restatement and scenario design."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from liftos.dimensions.retail_events import us_thanksgiving as thanksgiving
from liftos_sandbox import CHANNELS, World, WorldSpec, build_world
from liftos_sandbox.platform_reporting import RESTATEMENT_DAYS

SHORT = WorldSpec(seed=11, start=date(2024, 9, 1), end=date(2025, 1, 31), entities_per_channel=8)


def _channel_spend(world: World, channel: str) -> pd.Series:
    """Daily spend of one channel in the reporting currency, every day of the range."""
    rows = world.daily[world.daily["channel"] == channel]
    converted = rows["spend"] * world.fx_of(rows)
    return converted.groupby(rows["date"]).sum().reindex(world.outcome["date"], fill_value=0.0)


def test_same_seed_gives_identical_world() -> None:
    first, second = build_world(SHORT), build_world(SHORT)
    for name in ("accounts", "entities", "daily", "outcome", "components"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.truth() == second.truth()
    assert first.credentials() == second.credentials()


def test_different_seeds_differ() -> None:
    first, other = build_world(SHORT), build_world(WorldSpec(**{**SHORT.__dict__, "seed": 12}))
    assert not first.outcome["revenue"].equals(other.outcome["revenue"])
    assert set(first.accounts["account_id"]).isdisjoint(other.accounts["account_id"])
    assert first.credentials() != other.credentials()


def test_invalid_specs_are_refused() -> None:
    with pytest.raises(ValueError):
        build_world(WorldSpec(entities_per_channel=2))
    with pytest.raises(ValueError):
        build_world(WorldSpec(scenario="chaos"))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        build_world(WorldSpec(reporting_currency="XYZ"))


def test_outcome_covers_every_day(world: World) -> None:
    days = pd.date_range(world.spec.start, world.spec.end)
    assert list(world.outcome["date"]) == list(days)
    assert world.outcome["orders"].dtype == np.int64
    assert (world.outcome["orders"] > 0).all() and (world.outcome["revenue"] > 0).all()
    cents = world.outcome["revenue"] * 100
    assert np.array_equal(np.rint(cents) / 100, world.outcome["revenue"])


def test_accounts_ids_and_currencies(world: World) -> None:
    accounts = world.accounts
    by_channel = {c: accounts[accounts["channel"] == c] for c in CHANNELS}
    assert all(re.fullmatch(r"act_\d{15,16}", a) for a in by_channel["meta"]["account_id"])
    assert all(re.fullmatch(r"[1-9]\d{9}", a) for a in by_channel["google_ads"]["account_id"])
    assert all(re.fullmatch(r"[A-Za-z0-9]{6}", a) for a in by_channel["klaviyo"]["account_id"])
    assert set(by_channel["meta"]["currency"]) & {"EUR", "GBP"}
    assert set(by_channel["google_ads"]["currency"]) - {"USD"}
    assert set(by_channel["klaviyo"]["currency"]) == {world.spec.reporting_currency}
    assert (world.fx_daily[world.spec.reporting_currency] == 1.0).all()
    assert set(accounts["currency"]) <= set(world.fx_daily.columns)
    assert accounts["timezone"].str.contains("/").all()


def test_daily_currency_matches_account(world: World) -> None:
    currency = world.accounts.set_index("account_id")["currency"]
    assert (world.daily["account_id"].map(currency) == world.daily["currency"]).all()


def test_entity_hierarchy(world: World) -> None:
    entities = world.entities
    assert (entities.groupby("channel").size() == world.spec.entities_per_channel).all()
    meta = entities[entities["channel"] == "meta"]
    assert meta["ad_id"].is_unique and (meta["kind"] == "ad").all()
    assert meta["group_id"].nunique() < len(meta)
    assert meta["campaign_id"].nunique() < meta["group_id"].nunique()
    google = entities[entities["channel"] == "google_ads"]
    assert (google["ad_id"] == "").all() and (google["kind"] == "ad_group").all()
    klaviyo = entities[entities["channel"] == "klaviyo"]
    assert set(klaviyo["kind"]) == {"campaign", "flow"} and (klaviyo["group_id"] == "").all()
    campaigns = klaviyo[klaviyo["kind"] == "campaign"]
    assert (campaigns["start_date"] == campaigns["end_date"]).all()
    assert campaigns["campaign_id"].str.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}").all()
    assert (entities["start_date"] <= entities["end_date"]).all()
    stopped = entities["end_date"] < pd.Timestamp(world.spec.end)
    started_late = entities["start_date"] > pd.Timestamp(world.spec.start)
    assert stopped.any() and started_late.any()


def test_daily_rows_belong_to_active_entities(world: World) -> None:
    keys = ["channel", "account_id", "campaign_id", "group_id", "ad_id"]
    joined = world.daily.merge(world.entities, on=keys, how="left", validate="many_to_one")
    assert joined["kind"].notna().all()
    assert ((joined["date"] >= joined["start_date"]) & (joined["date"] <= joined["end_date"])).all()
    assert not world.daily.duplicated(["date", *keys]).any()


def test_spend_is_cents_and_google_micros_exact(world: World) -> None:
    daily = world.daily
    assert (daily["spend"] > 0).all()
    assert np.array_equal(np.rint(daily["spend"] * 100) / 100, daily["spend"])
    google = daily[daily["channel"] == "google_ads"]
    assert google["spend_micros"].dtype == np.int64
    assert (google["spend_micros"] / 1e6 == google["spend"]).all()
    assert (google["spend_micros"] % 10_000 == 0).all()


def test_budgets_differ_by_channel(world: World) -> None:
    totals = {c: _channel_spend(world, c).sum() for c in CHANNELS}
    assert totals["meta"] > 10 * totals["klaviyo"]
    assert totals["google_ads"] > 10 * totals["klaviyo"]


def test_klaviyo_email_metrics_are_consistent(world: World) -> None:
    email = world.daily[world.daily["channel"] == "klaviyo"]
    assert (email["spend"] == email["cost_estimate"]).all()
    assert (email["delivered"] + email["bounces"] == email["recipients"]).all()
    assert (email["opens_unique"] <= email["delivered"]).all()
    assert (email["opens"] >= email["opens_unique"]).all()
    assert (email["clicks_unique"] <= email["opens_unique"]).all()
    assert (email["unsubscribes"] <= email["delivered"]).all() and email["unsubscribes"].sum() > 0
    paid = world.daily[world.daily["channel"] != "klaviyo"]
    assert (paid[["recipients", "opens", "bounces"]] == 0).all().all() and (paid["cost_estimate"] == 0).all()
    assert (paid["impressions"] >= paid["clicks"]).all() and paid["clicks"].sum() > 0


def test_meta_has_dark_periods_and_pulses(world: World) -> None:
    spend = _channel_spend(world, "meta").to_numpy()
    dark = spend == 0
    longest, run = 0, 0
    for is_dark in dark:
        run = run + 1 if is_dark else 0
        longest = max(longest, run)
    assert longest >= 5
    active = spend[~dark]
    assert np.quantile(active, 0.95) > 1.8 * np.median(active)


def test_public_holidays_present(world: World) -> None:
    names = set(world.components["holiday"])
    assert {"Independence Day", "Thanksgiving Day", "Christmas Day", "Labor Day"} <= names
    christmas = world.components[world.components["holiday"] == "Christmas Day"]
    assert len(christmas) == 3 and (christmas["date"].dt.strftime("%m-%d") == "12-25").all()


def test_black_friday_raises_outcome(world: World) -> None:
    revenue = world.outcome.set_index("date")["revenue"]
    for year in (2023, 2024, 2025):
        black_friday = thanksgiving(year) + timedelta(days=1)
        fridays = [black_friday - timedelta(weeks=k) for k in range(2, 6)]
        assert revenue[pd.Timestamp(black_friday)] > 1.5 * revenue[pd.to_datetime(fridays)].mean()
        events = world.components.set_index("date")["retail_event"]
        assert events[pd.Timestamp(black_friday)] == "Black Friday"
        assert events[pd.Timestamp(black_friday + timedelta(days=3))] == "Cyber Monday"


def test_restatement_matures_inside_each_platforms_window(world: World) -> None:
    as_of = date(2025, 6, 30)
    final = world.daily.set_index(["date", "channel", "campaign_id", "group_id", "ad_id"])
    reported = world.reported_as_of(as_of).set_index(final.index.names)
    assert reported.index.get_level_values("date").max() <= pd.Timestamp(as_of)
    aligned = final.loc[reported.index]
    lag = (pd.Timestamp(as_of) - pd.DatetimeIndex(reported.index.get_level_values("date"))).days.to_numpy()
    window = reported.index.get_level_values("channel").map(RESTATEMENT_DAYS).to_numpy()
    mature, fresh = lag >= window - 1, lag < window - 1
    assert RESTATEMENT_DAYS == {"meta": 28, "google_ads": 30, "klaviyo": 5}
    for column in ("platform_revenue", "platform_conversions"):
        assert (reported[column].to_numpy()[mature] == aligned[column].to_numpy()[mature]).all()
        assert (reported[column].to_numpy() <= aligned[column].to_numpy()).all()
        assert reported[column].to_numpy()[fresh].sum() < 0.95 * aligned[column].to_numpy()[fresh].sum()
    later = world.reported_as_of(as_of + timedelta(days=29)).set_index(final.index.names)
    window_rows = later.index.get_level_values("date") <= pd.Timestamp(as_of)
    matured = later.loc[window_rows, "platform_revenue"].to_numpy()
    assert np.array_equal(matured, final.loc[later.index[window_rows], "platform_revenue"].to_numpy())


def test_restatement_is_monotone_in_as_of(world: World) -> None:
    day = pd.Timestamp(2025, 3, 1)
    totals = [
        world.reported_as_of(day.date() + timedelta(days=lag)).query("date == @day")["platform_revenue"].sum()
        for lag in (0, 3, 10, 20, 27, 29)
    ]
    assert all(a <= b for a, b in itertools.pairwise(totals))
    assert totals[0] < totals[-1]


def _shock_correlation(world: World) -> float:
    spend = _channel_spend(world, "google_ads").to_numpy()
    shock = world.components["shock"].to_numpy()
    on = (spend[1:] > 0) & (spend[:-1] > 0)
    change = np.diff(np.log(np.where(spend > 0, spend, 1.0)))
    return float(np.corrcoef(change[on], np.diff(shock)[on])[0, 1])


def test_spend_reacts_to_shocks_only_in_hard(scenario_worlds: dict[str, World]) -> None:
    easy, hard = _shock_correlation(scenario_worlds["easy"]), _shock_correlation(scenario_worlds["hard"])
    assert abs(easy) < 0.12
    assert hard > 0.25


def test_spend_follows_expected_demand_except_in_easy(scenario_worlds: dict[str, World]) -> None:
    def correlation(world: World) -> float:
        spend = _channel_spend(world, "google_ads").to_numpy()
        expected = world.components["expected_demand"].to_numpy()
        on = spend > 0
        return float(np.corrcoef(np.log(spend[on]), np.log(expected[on]))[0, 1])

    assert correlation(scenario_worlds["default"]) > correlation(scenario_worlds["easy"]) + 0.3
    assert correlation(scenario_worlds["default"]) > 0.4


def test_scenarios_share_organic_demand(scenario_worlds: dict[str, World]) -> None:
    shocks = [w.components["shock"] for w in scenario_worlds.values()]
    assert all(s.equals(shocks[0]) for s in shocks)
