"""Scenario definitions: how strongly each channel's spend follows expected demand and unobserved shocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

__all__ = ["CHANNELS", "SCENARIOS", "Channel", "Scenario", "ScenarioParams", "scenario_params"]

Scenario = Literal["easy", "default", "hard", "drift", "orders", "high_return", "seasonal"]
Channel = Literal["meta", "google_ads", "klaviyo"]

CHANNELS: Final[tuple[Channel, ...]] = ("meta", "google_ads", "klaviyo")
SCENARIOS: Final[tuple[Scenario, ...]] = get_args(Scenario)

# Elasticity of log spend to log expected demand (google follows demand most strongly: demand capture).
_DEMAND_ELASTICITY: Final[dict[Channel, float]] = {"meta": 0.8, "google_ads": 1.4, "klaviyo": 0.6}
# Elasticity of log spend to the unobserved log demand shock (hard scenario only).
_SHOCK_REACTION: Final[dict[Channel, float]] = {"meta": 1.5, "google_ads": 3.0, "klaviyo": 1.0}
_ZERO: Final[dict[Channel, float]] = dict.fromkeys(CHANNELS, 0.0)
# True iROAS range of every channel in ``high_return`` (outcome units per unit of spend).
_HIGH_RETURN: Final[tuple[float, float]] = (10.0, 40.0)
# ``seasonal``: amplitude range of meta's yearly effect cycle (its peak is drawn per seed, see
# :func:`liftos_sandbox.media.seasonal_cycle`).
_SEASONAL_AMPLITUDE: Final[tuple[float, float]] = (0.5, 0.7)


@dataclass(frozen=True)
class ScenarioParams:
    """Spend-setting rules of one scenario.

    ``demand_elasticity[c]``: d log spend / d log expected demand (0 = no confounding).
    ``shock_reaction[c]``: d log spend / d unobserved log shock (non-zero only in ``hard``).
    ``drift_channel`` / ``drift_factor``: the channel whose effect is multiplied by ``drift_factor``
    from the middle of the simulated range on (``drift`` only).
    ``target_iroas``: (low, high) range of each channel's true iROAS, ``None`` = the media module's
    defaults (``high_return``: 10-40 for every channel).
    ``outcome``: the store outcome a model of this world should explain (``orders`` only in the
    ``orders`` world, whose spend rules are the default ones; its truth in orders is
    :meth:`liftos_sandbox.World.orders_truth`).
    ``seasonal_channel``: the channel whose effect follows a yearly cycle (``seasonal`` only): its
    response level is multiplied by ``1 + a·cos(2π (day of year − peak) / 365.25)`` with ``a`` drawn
    from ``seasonal_amplitude`` and the peak per seed (:func:`liftos_sandbox.media.seasonal_cycle`),
    rescaled so the whole-range iROAS stays the drawn target (truth per season:
    :meth:`liftos_sandbox.World.season_truth`).
    """

    name: Scenario
    demand_elasticity: dict[Channel, float]
    shock_reaction: dict[Channel, float]
    drift_channel: Channel | None = None
    drift_factor: float = 1.0
    target_iroas: dict[Channel, tuple[float, float]] | None = None
    outcome: Literal["revenue", "orders"] = "revenue"
    seasonal_channel: Channel | None = None
    seasonal_amplitude: tuple[float, float] = (0.0, 0.0)


def scenario_params(name: Scenario) -> ScenarioParams:
    """The spend rules of scenario ``name``; raises ``ValueError`` for an unknown name."""
    if name == "easy":
        return ScenarioParams(name, dict(_ZERO), dict(_ZERO))
    if name == "default":
        return ScenarioParams(name, dict(_DEMAND_ELASTICITY), dict(_ZERO))
    if name == "hard":
        return ScenarioParams(name, dict(_DEMAND_ELASTICITY), dict(_SHOCK_REACTION))
    if name == "drift":
        return ScenarioParams(name, dict(_DEMAND_ELASTICITY), dict(_ZERO), "meta", 0.5)
    if name == "orders":
        return ScenarioParams(name, dict(_DEMAND_ELASTICITY), dict(_ZERO), outcome="orders")
    if name == "high_return":
        return ScenarioParams(
            name, dict(_DEMAND_ELASTICITY), dict(_ZERO), target_iroas=dict.fromkeys(CHANNELS, _HIGH_RETURN)
        )
    if name == "seasonal":
        return ScenarioParams(
            name,
            dict(_DEMAND_ELASTICITY),
            dict(_ZERO),
            seasonal_channel="meta",
            seasonal_amplitude=_SEASONAL_AMPLITUDE,
        )
    raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")
