"""The terminal view of ``liftos demo --live`` (rich renderables) and its closing summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from liftos.events import EffectUpdate
from liftos_devstack.live_demo import DayTiming, LiveResult, LiveView, VersionRecord

__all__ = ["freshness_summary", "render_view", "summary_renderables"]

_CHANNELS = ("meta", "google_ads", "klaviyo")


def _interval(low: float | None, high: float | None, spend: float | None) -> str:
    if low is None or high is None or not spend:
        return ""
    return f"[{low / spend:.2f}, {high / spend:.2f}]"


def _estimate(value: float | None, interval: str) -> str:
    return "–" if value is None else f"{value:.2f} {interval}".strip()


def _truth_cell(estimate: float | None, truth: float | None) -> Text:
    if truth is None:
        return Text("–")
    closeness = (
        "" if estimate is None else ("green" if abs(estimate - truth) <= 0.25 * abs(truth) else "yellow")
    )
    return Text(f"{truth:.2f}", style=closeness)


def _version_table(view: LiveView, record: VersionRecord) -> Table:
    """One version's channels: current (28-day) and whole-window iROAS with intervals, verdict, truth."""
    start, end = record.window_start, record.window_end
    recent = max(start, end - timedelta(days=27))
    truth_all, truth_recent = view.truth(start, end)["channels"], view.truth(recent, end)["channels"]
    first = next(iter(record.updates.values()))
    table = Table(
        title=f"Model v{record.version} ({first.method}): data {start} to {end}, "
        f"{first.confidence_level:.0%} intervals",
        title_justify="left",
    )
    columns = (
        "channel",
        "iROAS last 28 d",
        "true 28 d",
        "iROAS whole window",
        "true window",
        "verdict 28 d / window",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in (columns[0], columns[-1]) else "right")
    for channel in _CHANNELS:
        u: EffectUpdate | None = record.updates.get(channel)
        if u is None:
            continue
        now = _estimate(u.incremental_roas_28d, _interval(u.ci_lower_28d, u.ci_upper_28d, u.spend_28d))
        whole = _estimate(u.incremental_roas, _interval(u.ci_lower, u.ci_upper, u.spend))
        table.add_row(
            channel,
            now,
            _truth_cell(u.incremental_roas_28d, truth_recent[channel]["iroas"]),
            whole,
            _truth_cell(u.incremental_roas, truth_all[channel]["iroas"]),
            f"{_verdict(u.verdict_28d)} / {_verdict(u.verdict)}",
        )
    return table


def _verdict(verdict: str) -> str:
    return verdict.replace("_", " ") or "–"


def _history_table(view: LiveView, rows: int = 8) -> Table:
    """The latest versions' Meta estimates next to the truth (how the estimate tracks a change)."""
    table = Table(title="Versions (Meta iROAS: last 28 days / whole window vs truth)", title_justify="left")
    for column in (
        "version",
        "data to",
        "published",
        "28 d",
        "true 28 d",
        "window",
        "true window",
        "28 d verdict",
    ):
        table.add_column(column, justify="left" if column == "28 d verdict" else "right")
    for record in view.versions[-rows:]:
        u = record.updates["meta"]
        end = record.window_end
        recent = view.truth(max(record.window_start, end - timedelta(days=27)), end)["channels"]["meta"]
        whole = view.truth(record.window_start, end)["channels"]["meta"]
        table.add_row(
            f"v{record.version}",
            str(end),
            str(view.clock.today(record.published_unix)),
            "–" if u.incremental_roas_28d is None else f"{u.incremental_roas_28d:.2f}",
            f"{recent['iroas']:.2f}",
            f"{u.incremental_roas:.2f}",
            f"{whole['iroas']:.2f}",
            _verdict(u.verdict_28d),
        )
    return table


def _freshness_line(view: LiveView) -> Text:
    today = view.today()
    parts = []
    for source in (*_CHANNELS, "store_outcome"):
        last = view.warehouse_last_day.get(source)
        parts.append(f"{source} {'–' if last is None else f'{(today - last).days} d behind'}")
    return Text("Data freshness (warehouse's last day vs today): " + ", ".join(parts))


def render_view(view: LiveView) -> RenderableType:
    """The live screen: clock, alarms, restatements, freshness, and the latest version's table."""
    today, clock = view.today(), view.clock
    assert clock.origin_day is not None
    live_day = (today - clock.origin_day).days + 1
    header = Text.assemble(
        ("LiftOS live", "bold"),
        f"  sandbox today {today} (live day {max(live_day, 0)} of {view.options.live_days}, "
        f"{clock.days_per_minute:g} days/min)  ·  {view.phase}\n",
        f"{len(view.versions)} versions published · ",
        (f"{view.drift_alarms} drift alarms", "bold red" if view.drift_alarms else ""),
        f" · {len(view.held)} refits held",
        f" · {view.days_landed} days in the warehouse",
    )
    if view.held:
        header.append(f"\nlast hold: {view.held[-1].reasons}", style="yellow")
    restated = ", ".join(f"{k} {v:,}" for k, v in sorted(view.restated.items())) or "none yet"
    parts: list[RenderableType] = [header, Text(f"Restated rows so far: {restated}"), _freshness_line(view)]
    if view.versions:
        parts += [_version_table(view, view.versions[-1]), _history_table(view)]
    return Group(*parts)


def freshness_summary(timings: list[DayTiming]) -> dict[str, Any]:
    """p50/p90/p99 effect freshness (s) and the mean share of each stage."""
    if not timings:
        return {"days": 0}
    values = np.array([t.freshness for t in timings])
    stages = [t.stages() for t in timings]
    total = float(values.sum()) or 1.0
    return {
        "days": len(timings),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "p99": float(np.percentile(values, 99)),
        "shares": {name: sum(s[name] for s in stages) / total for name in stages[0]},
    }


def summary_renderables(result: LiveResult) -> list[RenderableType]:
    """What ``liftos demo --live`` prints when it ends (or on Ctrl-C)."""
    view = result.view
    out: list[RenderableType] = []
    how = "interrupted (Ctrl-C)" if result.interrupted else "finished"
    out.append(
        Text(
            f"Live demo {how} after {result.seconds:.0f} s: sandbox today {view.today()}, "
            f"{len(view.versions)} model versions, {view.drift_alarms} drift alarms, "
            f"{len(view.held)} refits held.",
            style="bold",
        )
    )
    if view.versions:
        out += [_version_table(view, view.versions[-1]), _history_table(view, rows=len(view.versions))]
    fresh = freshness_summary(result.timings)
    if fresh["days"]:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in fresh["shares"].items())
        out.append(
            Text(
                f"Effect freshness over {fresh['days']} new days: p50 {fresh['p50']:.1f} s, "
                f"p90 {fresh['p90']:.1f} s, p99 {fresh['p99']:.1f} s ({shares}) at a "
                f"{view.options.poll_interval_s:g} s poll interval and a "
                f"{view.options.min_refit_interval_s:g} s minimum refit interval; one day lasts "
                f"{view.clock.seconds_per_day:g} s."
            )
        )
    restated = ", ".join(f"{k} {v:,}" for k, v in sorted(view.restated.items())) or "none"
    out.append(Text(f"Restated rows: {restated}."))
    if result.differences:
        pending = " (at the interruption: the last polls had not all landed)" if result.interrupted else ""
        out.append(
            Text(
                f"Warehouse differs from what the emulators serve on {len(result.differences)} channel-days"
                f"{pending}, e.g. {result.differences[0]}",
                style="yellow",
            )
        )
    else:
        out.append(
            Text(
                "Warehouse equals what the emulators serve, to the cent (after every restatement).",
                style="green",
            )
        )
    missing = sum(len(days) for days in result.missing_days.values())
    out.append(Text(f"Days missing from the warehouse: {missing}."))
    return out
