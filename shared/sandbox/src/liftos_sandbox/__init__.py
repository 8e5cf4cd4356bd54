"""The sandbox: a seeded marketing world with known causal truth (store outcome, Meta, Google Ads and
Klaviyo activity, platform reports with over-crediting and restatement), served by local emulators."""

from liftos_sandbox.scenarios import CHANNELS, SCENARIOS, Channel, Scenario
from liftos_sandbox.world import World, WorldSpec, build_world, simulate_world

__all__ = [
    "CHANNELS",
    "SCENARIOS",
    "Channel",
    "Scenario",
    "World",
    "WorldSpec",
    "build_world",
    "simulate_world",
]
