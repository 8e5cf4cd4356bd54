"""Helpers: small sandbox worlds as the pipeline would see them (wide and long)."""

from __future__ import annotations

from datetime import date
from typing import cast

import pandas as pd

from liftos_sandbox.scenarios import Scenario
from liftos_sandbox.world import CHANNELS, World, WorldSpec, simulate_world


def world_of(seed: int, scenario: str = "easy", days: int = 730) -> World:
    """A sandbox world of ``days`` days from 2024-01-01."""
    end = date.fromordinal(date(2024, 1, 1).toordinal() + days - 1)
    return simulate_world(
        WorldSpec(
            seed=seed,
            scenario=cast(Scenario, scenario),
            start=date(2024, 1, 1),
            end=end,
            entities_per_channel=20,
        )
    )


def long_spend(world: World) -> pd.DataFrame:
    """The entity-level daily table with spend converted to the reporting currency."""
    daily = world.daily
    return daily.assign(spend=daily["spend"] * world.fx_of(daily))


def wide_inputs(world: World) -> pd.DataFrame:
    """date, one spend column per channel (reporting currency), revenue."""
    wide = long_spend(world).pivot_table(
        index="date", columns="channel", values="spend", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(pd.to_datetime(world.outcome["date"]), fill_value=0.0)[list(CHANNELS)].reset_index()
    wide["revenue"] = world.outcome["revenue"].to_numpy()
    return wide
