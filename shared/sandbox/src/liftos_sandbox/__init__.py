"""The sandbox: a seeded marketing world with known causal truth (store outcome, Meta, Google Ads and
Klaviyo activity, platform reports with over-crediting and restatement), served by local emulators,
optionally live (``LiveWorld``: today moves on a clock).

The simulator's names are imported on first use, so ``liftos sandbox --help`` (and every other
``liftos`` command, which lists the sandbox's) does not pay for numpy and pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from liftos.integrations.lazy_exports import lazy_exports
from liftos_sandbox.scenarios import CHANNELS, SCENARIOS, Channel, Scenario

__all__ = [
    "CHANNELS",
    "SCENARIOS",
    "Channel",
    "LiveWorld",
    "Scenario",
    "World",
    "WorldSpec",
    "build_world",
    "live_clock",
    "simulate_world",
]

if TYPE_CHECKING:
    from liftos_sandbox.live import LiveWorld, live_clock
    from liftos_sandbox.world import World, WorldSpec, build_world, simulate_world

_HOMES: Final = dict.fromkeys(
    ("World", "WorldSpec", "build_world", "simulate_world"), "liftos_sandbox.world"
) | {
    "LiveWorld": "liftos_sandbox.live",
    "live_clock": "liftos_sandbox.live",
}

__getattr__ = lazy_exports(__name__, _HOMES)


def __dir__() -> list[str]:
    return sorted(__all__)
