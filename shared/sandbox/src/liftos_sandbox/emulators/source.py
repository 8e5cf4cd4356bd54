"""The World as the emulators see it: one frozen snapshot, as the platforms report it on "today".

The emulators never simulate anything; they serve `World.reported_as_of(today)` (late
restatement visible) and `World.outcome` up to today (today's own outcome as far as the day has gone:
Klaviyo's orders of a day are complete once it is over, the next morning). ``today`` is
``spec.end`` for a fixed world and moves with the clock in a live one (:mod:`liftos_sandbox.live`).
This module narrows the World to the columns each platform needs and adds exact integer columns used
for apportionment and sums:

- ``spend_cents`` (account currency, 1/100 units), ``spend_micros`` (account currency, 1e-6 units),
- ``revenue_cents`` (platform-reported conversion value, account currency, 1/100 units),
- ``conv_micro`` (platform-reported conversions, 1e-6 units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd

__all__ = ["ServedWorld", "SpecLike", "WorldLike", "outcome_as_of", "serve_world"]

_INT_COLUMNS = ("impressions", "clicks", "recipients", "opens", "unsubscribes", "bounces")


class SpecLike(Protocol):
    """The part of `WorldSpec` the emulators read."""

    @property
    def seed(self) -> int: ...

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...


class WorldLike(Protocol):
    """The part of `liftos_sandbox.world.World` the emulators read (see CONTRACT.md)."""

    @property
    def spec(self) -> Any: ...

    @property
    def accounts(self) -> pd.DataFrame: ...

    @property
    def entities(self) -> pd.DataFrame: ...

    @property
    def outcome(self) -> pd.DataFrame: ...

    def reported_as_of(self, as_of: date) -> pd.DataFrame: ...

    def credentials(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ServedWorld:
    """Per-channel frames ready to serve; ``date`` columns are ``datetime64[ns]`` (midnight)."""

    seed: int
    today: date
    accounts: pd.DataFrame
    entities: pd.DataFrame
    daily: dict[str, pd.DataFrame]
    outcome: pd.DataFrame
    credentials: dict[str, dict[str, str]]

    def channel_accounts(self, channel: str) -> pd.DataFrame:
        """Accounts of one channel, in account_id order."""
        frame = self.accounts[self.accounts["channel"] == channel]
        return frame.sort_values("account_id").reset_index(drop=True)

    def channel_entities(self, channel: str) -> pd.DataFrame:
        """Entities of one channel."""
        return self.entities[self.entities["channel"] == channel].reset_index(drop=True)


def _exact_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the integer columns (cents, micros) next to the World's float columns."""
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"])
    out["spend_cents"] = np.rint(out["spend"].to_numpy(dtype=float) * 100).astype(np.int64)
    if "spend_micros" not in out.columns:
        out["spend_micros"] = out["spend_cents"] * 10_000
    out["spend_micros"] = out["spend_micros"].astype(np.int64)
    out["revenue_cents"] = np.rint(out["platform_revenue"].to_numpy(dtype=float) * 100).astype(np.int64)
    out["conv_micro"] = np.rint(out["platform_conversions"].to_numpy(dtype=float) * 1e6).astype(np.int64)
    for column in _INT_COLUMNS:
        out[column] = out[column].astype(np.int64) if column in out.columns else np.int64(0)
    return out


def _with_names(daily: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Join entity names onto daily rows (by the full key)."""
    keys = ["channel", "account_id", "campaign_id", "group_id", "ad_id"]
    names = entities[[*keys, "campaign_name", "group_name", "ad_name", "kind"]].drop_duplicates(keys)
    return daily.merge(names, on=keys, how="left", validate="many_to_one")


def outcome_as_of(outcome: pd.DataFrame, today: date, day_elapsed: float = 1.0) -> pd.DataFrame:
    """Store outcome rows dated up to ``today`` as served then: ``today``'s orders and revenue only the
    ``day_elapsed`` share of the day so far (floored to whole orders and cents), earlier days complete.

    ``outcome``: date (datetime64), orders (int), revenue (reporting currency, cents).
    """
    out = outcome.loc[pd.to_datetime(outcome["date"]) <= pd.Timestamp(today)].copy()
    share = min(max(day_elapsed, 0.0), 1.0)
    if share < 1.0 and len(out):
        last = pd.to_datetime(out["date"]) == pd.Timestamp(today)
        cents = np.rint(out.loc[last, "revenue"].to_numpy(dtype=float) * 100.0)
        out.loc[last, "revenue"] = np.floor(cents * share + 1e-9) / 100.0
        out.loc[last, "orders"] = np.floor(
            out.loc[last, "orders"].to_numpy(dtype=float) * share + 1e-9
        ).astype(np.int64)
    return out


def serve_world(world: WorldLike, today: date | None = None, day_elapsed: float = 1.0) -> ServedWorld:
    """Snapshot `world` as its platforms report it on ``today`` (default ``world.spec.end``), with
    ``day_elapsed`` of that day gone (see :func:`outcome_as_of`)."""
    today = world.spec.end if today is None else today
    reported = _with_names(_exact_columns(world.reported_as_of(today)), world.entities)
    daily = {
        str(channel): frame.sort_values(["date", "campaign_id", "group_id", "ad_id"]).reset_index(drop=True)
        for channel, frame in reported.groupby("channel", sort=True)
    }
    outcome = world.outcome.copy()
    outcome["date"] = pd.to_datetime(outcome["date"])
    outcome = outcome_as_of(outcome, today, day_elapsed)
    return ServedWorld(
        seed=int(world.spec.seed),
        today=today,
        accounts=world.accounts.copy(),
        entities=world.entities.copy(),
        daily=daily,
        outcome=outcome.sort_values("date").reset_index(drop=True),
        credentials=world.credentials(),
    )
