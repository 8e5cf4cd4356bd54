"""The account and campaign hierarchy of each channel, with each leaf entity's active flight.

Leaf entities: Meta ads (account > campaign > ad set > ad), Google ad groups (customer > campaign >
ad group), Klaviyo email campaigns (one send day) and flows (always-on). Day indices are 0-based
offsets into the simulated range; ``end`` is inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.credentials import MAX_GOOGLE_CUSTOMERS, MAX_META_ACCOUNTS, account_ids
from liftos_sandbox.currency import timezone_for
from liftos_sandbox.ids import ALNUM, numeric_ids, random_strings, ulids
from liftos_sandbox.naming import NameBook
from liftos_sandbox.scenarios import Channel

__all__ = [
    "ACCOUNT_COLUMNS",
    "ENTITY_COLUMNS",
    "ChannelEntities",
    "build_google",
    "build_klaviyo",
    "build_meta",
    "min_entities",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

ACCOUNT_COLUMNS: Final = ("channel", "account_id", "name", "currency", "timezone", "manager_id")
ENTITY_COLUMNS: Final = (
    "channel", "account_id", "campaign_id", "campaign_name", "group_id", "group_name",
    "ad_id", "ad_name", "kind", "campaign_type", "start_date", "end_date",
)  # fmt: skip
_OTHER_CURRENCIES: Final[dict[Channel, tuple[str, ...]]] = {
    "meta": ("GBP", "EUR", "CAD", "AUD", "USD"),
    "google_ads": ("EUR", "GBP", "CAD", "USD"),
}


def min_entities() -> int:
    """Smallest supported ``entities_per_channel``."""
    return 6


@dataclass(frozen=True)
class ChannelEntities:
    """One channel's accounts and leaf entities.

    ``accounts`` / ``leaves``: rows of the world's ``accounts`` / ``entities`` tables.
    ``start`` / ``end``: ``(E,)`` first / last active day index of each leaf (inclusive).
    ``account_index``: ``(E,)`` row of ``accounts`` owning each leaf.
    ``weight``: ``(E,)`` relative budget share (Meta, Google), segment share of the list (Klaviyo
    campaigns) or share of triggered volume (Klaviyo flows); no unit.
    """

    accounts: pd.DataFrame
    leaves: pd.DataFrame
    start: IntArray
    end: IntArray
    account_index: IntArray
    weight: FloatArray


def _parents(rng: np.random.Generator, n_children: int, n_parents: int) -> IntArray:
    """Parent index of each child, sorted, every parent getting at least one child."""
    extra = rng.integers(0, n_parents, size=n_children - n_parents)
    return np.sort(np.concatenate([np.arange(n_parents), extra])).astype(np.int64)


def _first_child(parent: IntArray) -> NDArray[np.bool_]:
    """True for the first child of each parent (``parent`` sorted)."""
    return np.concatenate([[True], parent[1:] != parent[:-1]])


def _sub_flights(
    rng: np.random.Generator,
    parent_start: IntArray,
    parent_end: IntArray,
    keep: NDArray[np.bool_],
    length: tuple[int, int],
) -> tuple[IntArray, IntArray]:
    """Flights inside each parent's flight: the parent's own where ``keep``, else a random
    sub-interval of ``length`` days (clipped to the parent)."""
    span = parent_end - parent_start + 1
    days = np.minimum(rng.integers(length[0], length[1] + 1, size=len(span)), span)
    offset = (rng.random(len(span)) * (span - days + 1)).astype(np.int64)
    start = np.where(keep, parent_start, parent_start + offset)
    end = np.where(keep, parent_end, start + days - 1)
    return start.astype(np.int64), end.astype(np.int64)


def _child_flights(
    rng: np.random.Generator,
    parent: IntArray,
    parent_flights: tuple[IntArray, IntArray],
    keep_share: float,
    length: tuple[int, int],
) -> tuple[IntArray, IntArray]:
    """Flights of children of ``parent`` (index per child): the first child of each parent and a
    ``keep_share`` of the others run for the parent's whole flight, the rest for ``length`` days."""
    keep = _first_child(parent) | (rng.random(len(parent)) < keep_share)
    return _sub_flights(rng, parent_flights[0][parent], parent_flights[1][parent], keep, length)


def _whole_range(n_parents: int, n_days: int) -> tuple[IntArray, IntArray]:
    return np.zeros(n_parents, np.int64), np.full(n_parents, n_days - 1, np.int64)


def _accounts(seed: int, channel: Channel, n: int, reporting: str, book: NameBook) -> pd.DataFrame:
    ids = account_ids(seed)
    others = [c for c in _OTHER_CURRENCIES.get(channel, ()) if c != reporting]
    currencies = [reporting, *others][:n]
    manager = ids["google_ads_manager"][0] if channel == "google_ads" else ""
    return pd.DataFrame(
        {
            "channel": channel,
            "account_id": ids[channel][:n],
            "name": [book.account_name(channel, c, i) for i, c in enumerate(currencies)],
            "currency": currencies,
            "timezone": [timezone_for(c, i) for i, c in enumerate(currencies)],
            "manager_id": manager,
        }
    )


def _dates(days: pd.DatetimeIndex, index: IntArray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(days[index])


def _leaf_frame(columns: dict[str, object], n: int) -> pd.DataFrame:
    frame = pd.DataFrame({name: columns.get(name, "") for name in ENTITY_COLUMNS}, index=range(n))
    return frame


def build_meta(
    seed: int, rng: np.random.Generator, days: pd.DatetimeIndex, n_ads: int, reporting: str, book: NameBook
) -> ChannelEntities:
    """Meta: 2-5 ad accounts > campaigns > ad sets > ``n_ads`` ads."""
    n_acc = min(MAX_META_ACCOUNTS, 2 + n_ads // 120)
    accounts = _accounts(seed, "meta", n_acc, reporting, book)
    n_camp = max(n_acc, round(n_ads / 8))
    n_sets = max(n_camp, round(n_ads / 3))
    camp_acc = _parents(rng, n_camp, n_acc)
    set_camp = _parents(rng, n_sets, n_camp)
    ad_set = _parents(rng, n_ads, n_sets)
    c_start, c_end = _child_flights(rng, camp_acc, _whole_range(n_acc, len(days)), 0.25, (45, 400))
    s_start, s_end = _child_flights(rng, set_camp, (c_start, c_end), 0.3, (30, 300))
    a_start, a_end = _child_flights(rng, ad_set, (s_start, s_end), 0.2, (20, 240))
    camp_ids = numeric_ids(rng, n_camp, 18, "120")
    set_ids = numeric_ids(rng, n_sets, 18, "120")
    ad_ids = numeric_ids(rng, n_ads, 18, "120")
    camp_names, camp_types = book.meta_campaigns(n_camp, accounts["currency"].to_numpy()[camp_acc])
    ad_camp = set_camp[ad_set]
    leaves = _leaf_frame(
        {
            "channel": "meta",
            "account_id": accounts["account_id"].to_numpy()[camp_acc[ad_camp]],
            "campaign_id": np.asarray(camp_ids)[ad_camp],
            "campaign_name": np.asarray(camp_names)[ad_camp],
            "group_id": np.asarray(set_ids)[ad_set],
            "group_name": np.asarray(book.meta_ad_sets(n_sets))[ad_set],
            "ad_id": ad_ids,
            "ad_name": book.meta_ads(n_ads),
            "kind": "ad",
            "campaign_type": np.asarray(camp_types)[ad_camp],
            "start_date": _dates(days, a_start),
            "end_date": _dates(days, a_end),
        },
        n_ads,
    )
    weight = rng.lognormal(0.0, 0.5, n_camp)[ad_camp] * rng.lognormal(0.0, 0.8, n_ads)
    return ChannelEntities(accounts, leaves, a_start, a_end, camp_acc[ad_camp], weight)


def build_google(
    seed: int, rng: np.random.Generator, days: pd.DatetimeIndex, n_groups: int, reporting: str, book: NameBook
) -> ChannelEntities:
    """Google Ads: 2-4 customers > campaigns > ``n_groups`` ad groups (long-lived, search-heavy)."""
    n_cust = min(MAX_GOOGLE_CUSTOMERS, 2 + n_groups // 150)
    accounts = _accounts(seed, "google_ads", n_cust, reporting, book)
    n_camp = max(n_cust, round(n_groups / 6))
    camp_cust = _parents(rng, n_camp, n_cust)
    group_camp = _parents(rng, n_groups, n_camp)
    c_start, c_end = _child_flights(rng, camp_cust, _whole_range(n_cust, len(days)), 0.6, (60, 500))
    g_start, g_end = _child_flights(rng, group_camp, (c_start, c_end), 0.5, (45, 500))
    camp_ids = numeric_ids(rng, n_camp, 11)
    camp_names, camp_types = book.google_campaigns(n_camp, accounts["currency"].to_numpy()[camp_cust])
    leaves = _leaf_frame(
        {
            "channel": "google_ads",
            "account_id": accounts["account_id"].to_numpy()[camp_cust[group_camp]],
            "campaign_id": np.asarray(camp_ids)[group_camp],
            "campaign_name": np.asarray(camp_names)[group_camp],
            "group_id": numeric_ids(rng, n_groups, 12),
            "group_name": book.google_ad_groups(np.asarray(camp_types)[group_camp]),
            "kind": "ad_group",
            "campaign_type": np.asarray(camp_types)[group_camp],
            "start_date": _dates(days, g_start),
            "end_date": _dates(days, g_end),
        },
        n_groups,
    )
    weight = rng.lognormal(0.0, 0.4, n_camp)[group_camp] * rng.lognormal(0.0, 0.7, n_groups)
    return ChannelEntities(accounts, leaves, g_start, g_end, camp_cust[group_camp], weight)


def build_klaviyo(
    seed: int,
    rng: np.random.Generator,
    days: pd.DatetimeIndex,
    n_leaves: int,
    send_weight: FloatArray,
    book: NameBook,
    currency: str,
) -> ChannelEntities:
    """Klaviyo: one account with flows (always-on) and one-day email campaigns.

    ``send_weight``: ``(T,)`` relative chance of a campaign being sent on each day (the scenario's
    confounding with expected demand).
    """
    accounts = _accounts(seed, "klaviyo", 1, currency, book)
    n_flows = int(np.clip(n_leaves // 8, 2, 12))
    n_camp = n_leaves - n_flows
    flow_keep = rng.random(n_flows) < 0.7
    f_start, f_end = _sub_flights(rng, *_whole_range(n_flows, len(days)), flow_keep, (120, 900))
    send = np.sort(rng.choice(len(days), size=n_camp, p=send_weight / send_weight.sum())).astype(np.int64)
    send_dates = _dates(days, send)
    names = book.klaviyo_flows(n_flows) + book.klaviyo_campaigns(send_dates)
    flow_ids = random_strings(rng, n_flows, 6, ALNUM.upper())
    camp_ids = ulids(rng, [d.date() - pd.Timedelta(days=2) for d in send_dates])
    start = np.concatenate([f_start, send])
    end = np.concatenate([f_end, send])
    leaves = _leaf_frame(
        {
            "channel": "klaviyo",
            "account_id": accounts["account_id"].iloc[0],
            "campaign_id": flow_ids + camp_ids,
            "campaign_name": names,
            "kind": ["flow"] * n_flows + ["campaign"] * n_camp,
            "campaign_type": "email",
            "start_date": _dates(days, start),
            "end_date": _dates(days, end),
        },
        n_leaves,
    )
    flow_share = rng.dirichlet(np.full(n_flows, 1.5))
    segment = np.clip(rng.beta(2.0, 1.5, n_camp), 0.1, 1.0)
    weight = np.concatenate([flow_share, segment])
    return ChannelEntities(accounts, leaves, start, end, np.zeros(n_leaves, np.int64), weight)
