"""Human-readable names for the simulated business, its accounts, campaigns, ad sets, ads and emails."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.demand_events import retail_event_names

__all__ = ["NameBook"]

_BRANDS: Final = ("Northwind Outfitters", "Juniper & Pine", "Harbor Lane Goods", "Copperleaf Home",
                  "Bluebird Apparel", "Summit Trail Co.", "Willow & Wren", "Atlas Kitchenware")  # fmt: skip
_GEO: Final = {"USD": "US", "EUR": "EU", "GBP": "UK", "CAD": "CA", "AUD": "AU"}
_META_STAGES: Final = (("Prospecting", "OUTCOME_SALES"), ("Retargeting", "OUTCOME_SALES"),
                       ("Advantage+ Shopping", "OUTCOME_SALES"), ("Catalog Sales", "OUTCOME_SALES"),
                       ("Brand Awareness", "OUTCOME_AWARENESS"), ("Traffic", "OUTCOME_TRAFFIC"))  # fmt: skip
_THEMES: Final = ("Evergreen", "Bestsellers", "New Arrivals", "Spring Collection", "Summer Sale",
                  "Back to School", "Holiday Gifting", "BFCM", "UGC Creators", "Clearance")  # fmt: skip
_AUDIENCES: Final = ("Broad", "Lookalike 1% Purchasers", "Lookalike 3% Add to Cart", "Interest - Outdoors",
                     "Interest - Home Decor", "Website Visitors 30d", "Engaged Shoppers 14d",
                     "Past Purchasers 180d", "Advantage+ Audience")  # fmt: skip
_AGES: Final = ("18-65+", "25-54", "18-34", "35-65+")
_FORMATS: Final = ("Video", "Static", "Carousel", "UGC", "Collection", "Reel")
_CONCEPTS: Final = ("Founder Story", "Bestsellers", "20% Off", "Unboxing", "Testimonial", "How It Works",
                    "Free Shipping", "New Drop", "Gift Guide", "Before-After")  # fmt: skip
_GOOGLE_TYPES: Final = (("Brand | Search", "SEARCH"), ("Non-Brand | Search", "SEARCH"),
                        ("PMax", "PERFORMANCE_MAX"), ("Shopping", "SHOPPING"),
                        ("Display | Remarketing", "DISPLAY"), ("YouTube", "VIDEO"))  # fmt: skip
_CATEGORIES: Final = ("Footwear", "Jackets", "Backpacks", "Accessories", "Home", "Kitchen", "Gifts", "Sale")
_KEYWORDS: Final = ("hiking boots", "rain jacket", "travel backpack", "wool socks", "camping gear",
                    "gift ideas", "kitchen knives", "linen sheets", "brand name", "brand + sale")  # fmt: skip
_MATCH: Final = ("Exact", "Phrase", "Broad")
_FLOWS: Final = ("Welcome Series", "Abandoned Cart", "Abandoned Checkout", "Browse Abandonment",
                 "Post-Purchase Thank You", "Winback", "Back in Stock", "Price Drop", "Birthday",
                 "Sunset Unengaged", "Replenishment Reminder", "VIP Tier Upgrade")  # fmt: skip
_TOPICS: Final = ("Weekly Newsletter", "New Arrivals", "Flash Sale", "Staff Picks", "Restock Alert",
                  "Brand Story", "Customer Favourites", "Last Chance", "Free Shipping Weekend")  # fmt: skip


def _numbered(labels: list[str], themes: NDArray[np.str_], currencies: NDArray[np.str_]) -> list[str]:
    """``"<label> | <theme> | <geo> | <nnn>"`` campaign names, numbered from 001."""
    rows = enumerate(zip(labels, themes, currencies, strict=True))
    return [f"{label} | {theme} | {_GEO[str(c)]} | {i + 1:03d}" for i, (label, theme, c) in rows]


class NameBook:
    """Draws names from a seeded ``Generator``; one instance per world."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self.brand: str = _BRANDS[int(rng.integers(len(_BRANDS)))]

    def _pick(self, options: tuple[str, ...], n: int) -> NDArray[np.str_]:
        return np.asarray(options)[self._rng.integers(0, len(options), size=n)]

    def account_name(self, channel: str, currency: str, index: int) -> str:
        """Display name of an ad account / customer / Klaviyo account."""
        label = {"meta": "Meta", "google_ads": "Google Ads", "klaviyo": "Klaviyo"}[channel]
        suffix = "" if index == 0 else f" {index + 1}"
        return f"{self.brand} {_GEO[currency]} - {label}{suffix}"

    def meta_campaigns(self, n: int, currencies: NDArray[np.str_]) -> tuple[list[str], list[str]]:
        """Campaign names and objectives (``OUTCOME_*``), one per campaign."""
        stage = self._rng.integers(0, len(_META_STAGES), size=n)
        themes = self._pick(_THEMES, n)
        labels = [_META_STAGES[s][0] for s in stage]
        return _numbered(labels, themes, currencies), [_META_STAGES[s][1] for s in stage]

    def meta_ad_sets(self, n: int) -> list[str]:
        """Ad set names (audience and age range)."""
        return [f"{a} | {g}" for a, g in zip(self._pick(_AUDIENCES, n), self._pick(_AGES, n), strict=True)]

    def meta_ads(self, n: int) -> list[str]:
        """Ad names (format, concept, version)."""
        versions = self._rng.integers(1, 9, size=n)
        pairs = zip(self._pick(_FORMATS, n), self._pick(_CONCEPTS, n), versions, strict=True)
        return [f"{f} - {c} v{v}" for f, c, v in pairs]

    def google_campaigns(self, n: int, currencies: NDArray[np.str_]) -> tuple[list[str], list[str]]:
        """Campaign names and ``advertising_channel_type`` values."""
        kind = self._rng.choice(len(_GOOGLE_TYPES), size=n, p=[0.2, 0.3, 0.2, 0.15, 0.1, 0.05])
        kind[0] = 0  # every advertiser runs a brand search campaign
        cats = self._pick(_CATEGORIES, n)
        labels = [_GOOGLE_TYPES[k][0] for k in kind]
        return _numbered(labels, cats, currencies), [_GOOGLE_TYPES[k][1] for k in kind]

    def google_ad_groups(self, campaign_types: NDArray[np.str_]) -> list[str]:
        """Ad group names: keyword themes for search, asset / product groups otherwise."""
        n = len(campaign_types)
        words, match = self._pick(_KEYWORDS, n), self._pick(_MATCH, n)
        cats = self._pick(_CATEGORIES, n)
        rows = enumerate(zip(campaign_types, words, match, cats, strict=True))
        return [f"{w} - {m}" if t == "SEARCH" else f"{cat} - Group {i + 1}" for i, (t, w, m, cat) in rows]

    def klaviyo_flows(self, n: int) -> list[str]:
        """Flow names (distinct while there are enough templates)."""
        order = self._rng.permutation(len(_FLOWS))
        return [_FLOWS[order[i % len(_FLOWS)]] + ("" if i < len(_FLOWS) else f" {i + 1}") for i in range(n)]

    def klaviyo_campaigns(self, send_dates: pd.DatetimeIndex) -> list[str]:
        """Campaign names: the retail event's name on event days, a topic otherwise, plus the send date."""
        events = retail_event_names(send_dates) if len(send_dates) else np.asarray([], dtype=np.str_)
        topics = self._pick(_TOPICS, len(send_dates))
        return [f"{e or t} - {d:%Y-%m-%d}" for e, t, d in zip(events, topics, send_dates, strict=True)]
