"""What the platforms claim: attributed conversions and conversion value that over-credit organic
demand, and late restatement: a day's values keep maturing as late conversions are attributed to it,
for as many days as the platform's documented window (``RESTATEMENT_DAYS``): Meta freezes insights
28 days after the fact; Google Ads restates conversions inside its 30-day default conversion window;
Klaviyo credits orders within its default 5-day email attribution window.

Channel-level series are daily ``(T,)`` in the reporting currency; cell arrays are ``(N,)``.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.ad_delivery import Cells
from liftos_sandbox.currency import to_cents
from liftos_sandbox.scenarios import Channel

__all__ = [
    "RESTATEMENT_DAYS",
    "allocate_value",
    "maturity",
    "platform_conversions",
    "platform_value",
    "reported_as_of",
]

FloatArray = NDArray[np.float64]
#: Days (the date itself included) over which each platform's reported values still change: a row is
#: final from ``RESTATEMENT_DAYS[channel] - 1`` days after its date on.
RESTATEMENT_DAYS: Final[dict[str, int]] = {"meta": 28, "google_ads": 30, "klaviyo": 5}

# Platform-reported value / true incremental value, drawn per seed (search over-credits most: it
# captures shoppers who were coming anyway).
_OVER_CREDIT: Final[dict[Channel, tuple[float, float]]] = {
    "meta": (1.5, 2.2), "google_ads": (2.2, 3.5), "klaviyo": (3.0, 6.0)}  # fmt: skip
# (share reported on the day itself, curvature):
# matured share = 1 - (1 - m0) * (1 - lag / (RESTATEMENT_DAYS - 1)) ** p.
_MATURITY: Final[dict[str, tuple[float, float]]] = {
    "meta": (0.6, 2.5), "google_ads": (0.5, 3.0), "klaviyo": (0.7, 4.0)}  # fmt: skip
_WHOLE_CONVERSIONS: Final = frozenset({"meta", "klaviyo"})


def platform_value(
    channel: Channel,
    media: FloatArray,
    baseline: FloatArray,
    spend: FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    """Conversion value the platform attributes to itself per day, ``(T,)`` reporting currency.

    Part of the true incremental revenue (``media``) plus a share of organic revenue (``baseline``)
    proportional to the day's spend, scaled so the total is a drawn multiple of the incremental total.
    Zero on days without spend.
    """
    on = spend > 0
    if not on.any():
        return np.zeros_like(spend)
    captured = rng.uniform(0.6, 0.9) * np.where(on, media, 0.0)
    organic = baseline * spend / spend[on].mean()
    target = rng.uniform(*_OVER_CREDIT[channel]) * float(media[on].sum())
    gamma = max(target - float(captured.sum()), 0.0) / float(organic.sum())
    value = (captured + gamma * organic) * rng.lognormal(0.0, 0.08, size=len(spend))
    return np.asarray(value, dtype=np.float64)


def allocate_value(
    value: FloatArray, cells: Cells, rng: np.random.Generator, n_leaves: int
) -> NDArray[np.int64]:
    """Split each day's attributed value across that day's cells by spend x per-leaf efficiency;
    returns cents in each cell's account currency, ``(N,)``."""
    weight = cells.spend_reporting * rng.lognormal(0.0, 0.5, n_leaves)[cells.leaf]
    totals = cells.per_day(weight, len(value))
    share = weight / np.where(totals > 0, totals, 1.0)[cells.day]
    return to_cents(value[cells.day] * share / cells.fx)


def platform_conversions(
    channel: str, value_cents: NDArray[np.int64], cells: Cells, aov: float, rng: np.random.Generator
) -> FloatArray:
    """Attributed conversions per cell (``(N,)``): value / a per-cell order value near ``aov``
    (reporting currency). Meta and Klaviyo count whole conversions (at least 1 when value > 0);
    Google reports fractional (data-driven) conversions with two decimals."""
    order_value = aov / cells.fx * rng.uniform(0.85, 1.15, size=len(value_cents))
    raw = value_cents / 100.0 / order_value
    if channel in _WHOLE_CONVERSIONS:
        return np.where(value_cents > 0, np.maximum(np.rint(raw), 1.0), 0.0)
    return np.round(raw, 2)


def maturity(channel: str, lag_days: NDArray[np.int64]) -> FloatArray:
    """Share of the final value reported ``lag_days`` after the date; exactly 1 from
    ``RESTATEMENT_DAYS[channel] - 1`` days on."""
    first, power = _MATURITY[channel]
    remaining = np.clip(1.0 - lag_days / (RESTATEMENT_DAYS[channel] - 1), 0.0, 1.0)
    return 1.0 - (1.0 - first) * remaining**power


def reported_as_of(daily: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Rows of ``daily`` dated on or before ``as_of``, with ``platform_conversions`` and
    ``platform_revenue`` as reported on ``as_of`` (partially matured inside each platform's
    restatement window)."""
    stamp = pd.Timestamp(as_of)
    out = daily.loc[daily["date"] <= stamp].copy()
    lag = ((stamp - out["date"]).dt.days).to_numpy(dtype=np.int64)
    factor = np.ones(len(out))
    channels = out["channel"].to_numpy()
    for channel in _MATURITY:
        rows = channels == channel
        factor[rows] = maturity(channel, lag[rows])
    value = out["platform_revenue"].to_numpy(dtype=np.float64)
    conversions = out["platform_conversions"].to_numpy(dtype=np.float64)
    whole = np.isin(channels, list(_WHOLE_CONVERSIONS))
    scaled = conversions * factor
    out["platform_revenue"] = np.floor(np.round(value * factor * 100.0, 6)) / 100.0
    out["platform_conversions"] = np.where(
        whole, np.floor(scaled + 1e-9), np.floor(scaled * 100 + 1e-9) / 100.0
    )
    return out
