"""Spend allocation to leaf entities and what the platforms count for it: impressions and clicks
(Meta, Google) and email sends, opens, clicks, unsubscribes and bounces (Klaviyo).

A channel's activity is kept as flattened "cells": one per active (day, leaf) pair, arrays ``(N,)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from liftos.transformations.context import EMAIL_COST_PER_RECIPIENT
from liftos_sandbox.currency import to_cents
from liftos_sandbox.entities import ChannelEntities

__all__ = [
    "EMAIL_COST_PER_RECIPIENT",
    "Cells",
    "allocate_spend",
    "email_metrics",
    "email_sends",
    "paid_metrics",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_FLOW_SHARE_OF_LIST: Final = 0.012  # flow recipients per day as a share of the list


@dataclass(frozen=True)
class Cells:
    """Active (day, leaf) cells of one channel, each array shape ``(N,)``.

    ``spend_cents``: spend (Klaviyo: cost estimate) in the leaf's account currency, whole cents.
    ``fx``: rate from the account currency to the reporting currency on the cell's day.
    ``recipients``: emails sent (Klaviyo; zeros elsewhere).
    """

    day: IntArray
    leaf: IntArray
    spend_cents: IntArray
    fx: FloatArray
    recipients: IntArray

    @property
    def spend_reporting(self) -> FloatArray:
        """Spend of each cell converted to the reporting currency."""
        return self.spend_cents / 100.0 * self.fx

    def per_day(self, values: FloatArray, n_days: int) -> FloatArray:
        """Sum ``values`` (``(N,)``) per day: shape ``(n_days,)``."""
        return np.asarray(np.bincount(self.day, weights=values, minlength=n_days), dtype=np.float64)


def _active(entities: ChannelEntities, n_days: int) -> NDArray[np.bool_]:
    """``(T, E)``: whether each leaf is inside its flight on each day."""
    t = np.arange(n_days)[:, None]
    return (t >= entities.start[None, :]) & (t <= entities.end[None, :])


def allocate_spend(
    budget: FloatArray, entities: ChannelEntities, fx_leaf: FloatArray, rng: np.random.Generator
) -> Cells:
    """Split the daily channel budget (``(T,)``, reporting currency) across active leaves in proportion
    to their weights with daily jitter; round to cents in each account's currency, converted at the
    rate of each day (``fx_leaf``: ``(T, E)`` reporting units per account unit)."""
    active = _active(entities, len(budget))
    jitter = rng.lognormal(0.0, 0.25, size=active.shape)
    weights = np.where(active, entities.weight[None, :] * jitter, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    share = weights / np.where(totals > 0, totals, 1.0)
    cents = to_cents(budget[:, None] * share / fx_leaf)
    day, leaf = np.nonzero(cents > 0)
    zeros = np.zeros(len(day), dtype=np.int64)
    return Cells(day.astype(np.int64), leaf.astype(np.int64), cents[day, leaf], fx_leaf[day, leaf], zeros)


#: What the sandbox business pays per email recipient (account currency): Klaviyo reports no spend, so
#: its cost is estimated as recipients x a rate; the sandbox uses LiftOS's default email cost rate.


def email_sends(
    entities: ChannelEntities,
    list_size: FloatArray,
    tilt: FloatArray,
    cost_per_recipient: float,
    rng: np.random.Generator,
) -> Cells:
    """Klaviyo sends: flows every active day (volume follows ``exp(tilt)``), campaigns on their send day
    to a segment of the list; cost estimate = recipients x ``cost_per_recipient`` (account currency)."""
    n_days = len(list_size)
    is_flow = (entities.leaves["kind"] == "flow").to_numpy()
    flows = np.flatnonzero(is_flow)
    active = _active(entities, n_days)[:, flows]
    volume = _FLOW_SHARE_OF_LIST * list_size * np.exp(tilt - tilt.mean())
    rate = volume[:, None] * entities.weight[flows][None, :] * rng.lognormal(0.0, 0.15, size=active.shape)
    flow_sent = rng.poisson(np.where(active, rate, 0.0))
    f_day, f_col = np.nonzero(flow_sent)
    campaigns = np.flatnonzero(~is_flow)
    send_day = entities.start[campaigns]
    sent = rng.poisson(list_size[send_day] * entities.weight[campaigns])
    day = np.concatenate([f_day, send_day]).astype(np.int64)
    leaf = np.concatenate([flows[f_col], campaigns]).astype(np.int64)
    recipients = np.concatenate([flow_sent[f_day, f_col], sent]).astype(np.int64)
    order = np.lexsort((leaf, day))
    day, leaf, recipients = day[order], leaf[order], recipients[order]
    keep = recipients > 0
    cents = to_cents(np.asarray(recipients * cost_per_recipient, dtype=np.float64))
    fx = np.ones(len(day))
    return Cells(day[keep], leaf[keep], cents[keep], fx[keep], recipients[keep])


def paid_metrics(channel: str, cells: Cells, n_leaves: int, rng: np.random.Generator) -> dict[str, IntArray]:
    """Impressions and clicks of Meta (CPM-priced) or Google (CPC-priced) cells, each ``(N,)`` int64."""
    spend = cells.spend_reporting
    noise = rng.lognormal(0.0, 0.1, size=len(spend))
    if channel == "meta":
        cpm = rng.uniform(6.0, 18.0, n_leaves)[cells.leaf]
        impressions = rng.poisson(spend / cpm * 1000.0 * noise)
        clicks = rng.binomial(impressions, rng.uniform(0.006, 0.02, n_leaves)[cells.leaf])
    else:
        cpc = rng.uniform(0.5, 2.5, n_leaves)[cells.leaf]
        clicks = np.maximum(rng.poisson(spend / cpc * noise), 1)
        ctr = rng.uniform(0.03, 0.12, n_leaves)[cells.leaf]
        impressions = clicks + rng.poisson(clicks * (1.0 / ctr - 1.0))
    return {"impressions": impressions.astype(np.int64), "clicks": clicks.astype(np.int64)}


def email_metrics(cells: Cells, n_leaves: int, rng: np.random.Generator) -> dict[str, IntArray]:
    """Klaviyo engagement per cell (``(N,)`` int64): delivered, bounces, opens (total and unique),
    clicks (total and unique) and unsubscribes."""
    leaf = cells.leaf
    bounces = rng.binomial(cells.recipients, rng.uniform(0.003, 0.015, n_leaves)[leaf])
    delivered = cells.recipients - bounces
    opens_unique = rng.binomial(delivered, rng.uniform(0.25, 0.5, n_leaves)[leaf])
    clicks_unique = rng.binomial(opens_unique, rng.uniform(0.04, 0.15, n_leaves)[leaf])
    return {
        "delivered": delivered.astype(np.int64),
        "bounces": bounces.astype(np.int64),
        "opens": (opens_unique + rng.poisson(0.4 * opens_unique)).astype(np.int64),
        "opens_unique": opens_unique.astype(np.int64),
        "clicks": (clicks_unique + rng.poisson(0.3 * clicks_unique)).astype(np.int64),
        "clicks_unique": clicks_unique.astype(np.int64),
        "unsubscribes": rng.binomial(delivered, rng.uniform(0.001, 0.004, n_leaves)[leaf]).astype(np.int64),
    }
