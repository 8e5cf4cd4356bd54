"""What if: the true incremental outcome of any spend plan, and lift tests run in the simulated world.

Both replay the world's own response (:class:`liftos_sandbox.media.ChannelResponse`, carryover
included) on the same demand path: the same baseline and the same daily outcome noise factor as the
realised outcome (money in the reporting currency).

- :func:`plan_outcome`: spend a plan (daily spend per channel) on the days ``start ..`` instead of
  what was spent; the history before ``start`` is the realised spend, spend after the plan is zero,
  and the outcome is counted over the plan's days and the carryover tail (``MAX_LAG - 1`` days) after.
- :func:`run_lift_test`: scale a channel's realised spend by ``spend_scale`` on a window (0 = go dark)
  and report the outcome lost over the window and its carryover tail, as an experimenter would
  measure it: the true change plus a normal measurement error whose SD is the world's daily outcome
  noise (``OUTCOME_NOISE_SD``, log scale) times the revenue of each measured day, root-sum-squared
  (a test whose control group tracks every shared demand shock, leaving only day-to-day noise).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from liftos_sandbox.demand import OUTCOME_NOISE_SD
from liftos_sandbox.media import MAX_LAG
from liftos_sandbox.scenarios import CHANNELS, Channel
from liftos_sandbox.seeding import stream
from liftos_sandbox.truth import TruthModel

__all__ = ["LiftTestResult", "plan_outcome", "run_lift_test"]

FloatArray = NDArray[np.float64]


def _index(model: TruthModel, day: date) -> int:
    first, last = model.days[0].date(), model.days[-1].date()
    if not first <= day <= last:
        raise ValueError(f"{day} is outside the simulated range {first}..{last}")
    return (day - first).days


def plan_outcome(model: TruthModel, start: date, plan: Mapping[str, FloatArray]) -> dict[str, float]:
    """True incremental outcome per channel of spending ``plan[channel]`` (daily spend ``(H,)``) on the
    ``H`` days from ``start`` against spending nothing on them (channels not in ``plan``: 0).

    Raises:
        ValueError: an unknown channel, negative spend, or plan days outside the simulated range.
    """
    unknown = sorted(set(plan) - set(CHANNELS))
    if unknown:
        raise ValueError(f"unknown channel(s) {unknown}; the world's channels are {list(CHANNELS)}")
    lengths = {len(np.atleast_1d(v)) for v in plan.values()}
    if len(lengths) > 1:
        raise ValueError("every channel's plan must cover the same days")
    days = lengths.pop() if lengths else 0
    first = _index(model, start)
    _index(model, start + timedelta(days=max(days - 1, 0)))
    out: dict[str, float] = {}
    for channel in CHANNELS:
        spend = np.asarray(plan.get(channel, np.zeros(days)), dtype=np.float64)
        if np.any(spend < 0) or not np.all(np.isfinite(spend)):
            raise ValueError(f"{channel}: a plan's spend must be finite and >= 0")
        series = model.channels[channel]
        without = series.spend.copy()
        without[first:] = 0.0
        with_plan = without.copy()
        with_plan[first : first + days] = spend
        tail = slice(first, first + days + MAX_LAG - 1)
        delta = series.response.contribution(with_plan)[tail] - series.response.contribution(without)[tail]
        out[channel] = float((delta * model.noise_factor[tail]).sum())
    return out


@dataclass(frozen=True)
class LiftTestResult:
    """A lift test run in the world: ``channel``'s spend times ``spend_scale`` on ``start..end``.

    ``incremental_revenue``: the measured outcome lost (window + carryover tail) with its
    ``standard_error``; ``true_lift``: the exact change the measurement estimates; ``spend_withheld``:
    the spend not spent in the window; ``measured_days``: the days the measurement covers.
    """

    channel: str
    start: date
    end: date
    spend_scale: float
    incremental_revenue: float
    standard_error: float
    true_lift: float
    spend_withheld: float
    measured_days: int

    def as_lift_test(self) -> dict[str, object]:
        """The ``liftos.causal`` lift-test dict of this result."""
        return {
            "channel": self.channel,
            "start": self.start,
            "end": self.end,
            "incremental_revenue": self.incremental_revenue,
            "standard_error": self.standard_error,
            "spend_scale": self.spend_scale,
        }


def run_lift_test(
    model: TruthModel,
    outcome: pd.DataFrame,
    seed: int,
    channel: Channel,
    start: date,
    end: date,
    spend_scale: float = 0.0,
    noise_sd: float = OUTCOME_NOISE_SD,
) -> LiftTestResult:
    """Run a go-dark (``spend_scale=0``) or spend-change test of ``channel`` on ``start..end``
    (inclusive); ``outcome``: the world's outcome table (its revenue sets the measurement noise).

    Raises:
        ValueError: an unknown channel, a negative scale, or a measurement period (window and
            ``MAX_LAG - 1`` days after it) outside the simulated range.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; the world's channels are {list(CHANNELS)}")
    if not spend_scale >= 0:
        raise ValueError(f"spend_scale must be >= 0, got {spend_scale}")
    first, last = _index(model, start), _index(model, end)
    if last < first:
        raise ValueError(f"the test ends ({end}) before it starts ({start})")
    stop = last + MAX_LAG - 1
    if stop >= len(model.days):
        raise ValueError(
            f"the measurement (window and {MAX_LAG - 1} days of carryover) ends after the simulated range"
        )
    series = model.channels[channel]
    changed = series.spend.copy()
    changed[first : last + 1] *= spend_scale
    measured = slice(first, stop + 1)
    delta = (
        series.response.contribution(series.spend)[measured] - series.response.contribution(changed)[measured]
    )
    true_lift = float((delta * model.noise_factor[measured]).sum())
    revenue = outcome["revenue"].to_numpy(dtype=np.float64)[measured]
    se = float(noise_sd * np.sqrt(np.sum(revenue**2)))
    rng = stream(seed, f"lift-test|{channel}|{first}|{last}|{spend_scale:.6g}")
    return LiftTestResult(
        channel=channel,
        start=start,
        end=end,
        spend_scale=float(spend_scale),
        incremental_revenue=true_lift + float(rng.normal(0.0, se)),
        standard_error=se,
        true_lift=true_lift,
        spend_withheld=float((1.0 - spend_scale) * series.spend[first : last + 1].sum()),
        measured_days=stop - first + 1,
    )
