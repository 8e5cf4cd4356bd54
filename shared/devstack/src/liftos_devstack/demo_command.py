"""``liftos demo``: the main job on the embedded default, with progress and a results table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]


def demo(
    days: Annotated[
        int | None,
        typer.Option(min=90, max=1096, help="Days of history to simulate and ingest (730; live: 365)."),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the simulated business.")] = 7,
    scenario: Annotated[
        str, typer.Option(help="easy, default, hard, drift, orders, high_return or seasonal.")
    ] = "default",
    entities: Annotated[int, typer.Option(min=6, help="Ads / ad groups / emails per channel.")] = 40,
    fault_rate: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of API requests that fail.")
    ] = 0.0,
    data_dir: Annotated[
        Path | None, typer.Option(help="Warehouse, cursors and service logs (emptied at start).")
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            help="Then let the sandbox's clock run: new days, restatements, refits and drift as they happen."
        ),
    ] = False,
    live_days: Annotated[int, typer.Option(min=1, max=730, help="Live: days the clock enters.")] = 90,
    days_per_minute: Annotated[
        float, typer.Option(min=0.5, max=240.0, help="Live: simulated days per wall-clock minute.")
    ] = 30.0,
    poll_interval: Annotated[
        float, typer.Option(min=0.2, help="Live: the ingestor's seconds between two polls of a source.")
    ] = 2.0,
    refit_interval: Annotated[
        float, typer.Option(min=0.0, help="Live: the causal engine's least seconds between two refits.")
    ] = 10.0,
    method: Annotated[
        str, typer.Option(help="The causal engine's estimator: mmm (default), dml or causal_forest.")
    ] = "mmm",
) -> None:
    """Simulate a business, stream it through the emulated APIs and services, print its channel effects."""
    from rich.console import Console
    from rich.table import Table

    from liftos_devstack.demo import DemoOptions, Stage, run_demo

    console = Console(width=max(Console().width, 110))
    from liftos.causal.spec import ATTRIBUTION_MODELS
    from liftos_sandbox import SCENARIOS

    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"unknown scenario {scenario!r}", param_hint="--scenario")
    if method not in ATTRIBUTION_MODELS:
        raise typer.BadParameter(f"unknown estimator {method!r}", param_hint="--method")
    if live:
        from liftos_devstack.live_demo import LiveDemoOptions

        live_options = LiveDemoOptions(
            history_days=days or 365,
            live_days=live_days,
            days_per_minute=days_per_minute,
            seed=seed,
            scenario=scenario,
            entities=entities,
            poll_interval_s=poll_interval,
            min_refit_interval_s=refit_interval,
            data_dir=data_dir or Path(".liftos/demo-live"),
        )
        _run_live(console, live_options)
        return
    days, data_dir = days or 730, data_dir or Path(".liftos/demo")
    options = DemoOptions(days, seed, scenario, entities, fault_rate, data_dir, method=method)
    log_path = data_dir / "services.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    console.print(
        f"[bold]LiftOS demo[/]: {days} days, seed {seed}, scenario {scenario}, estimator {method}; "
        f"service logs: {log_path}"
    )
    with log_path.open("w") as services_log, console.status("starting") as status:
        last: list[str] = []

        def report(stage: Stage) -> None:
            status.update(f"{stage.phase}: {stage.done:,}" if stage.done else stage.phase)
            if not last or last[-1] != stage.phase:
                console.log(stage.phase)
                last.append(stage.phase)

        result = run_demo(options, report, services_log)
    first = result.updates[0]
    table = Table(
        title=f"Incremental ROAS per channel: model v{first.model_version} ({first.method}), "
        f"{first.window_start} to {first.window_end}, {first.confidence_level:.0%} intervals"
    )
    columns = ("channel", "spend", "true spend", "iROAS", "interval", "true iROAS", "verdict")
    for column in (*columns, "iROAS last 90 d", "true 90 d", "platform ROAS"):
        table.add_column(column, justify="left" if column in ("channel", "verdict") else "right")
    for update in result.updates:
        truth = result.truth["channels"].get(update.channel, {})
        recent = result.recent_truth["channels"].get(update.channel, {})
        table.add_row(
            update.channel,
            f"{update.spend:,.0f}",
            f"{truth.get('spend', float('nan')):,.0f}",
            f"{update.incremental_roas:.2f}",
            f"[{update.ci_lower / update.spend:.2f}, {update.ci_upper / update.spend:.2f}]",
            f"{truth.get('iroas', float('nan')):.2f}",
            update.verdict.replace("_", " ") or "–",
            _window(update),
            f"{recent.get('iroas', float('nan')):.2f}",
            f"{truth.get('platform_roas', float('nan')):.2f}",
        )
    console.print(table)
    for update in result.updates:
        console.print(f"• {update.summary or update.channel + ': no verdict published.'}", highlight=False)
        if update.curve_note:
            console.print(f"  {update.curve_note}", highlight=False)
    if first.model_accuracy is not None:
        console.print(
            f"Out-of-sample accuracy {first.model_accuracy:.1%} "
            f"(seasonal-naive baseline {first.baseline_accuracy or float('nan'):.1%})."
        )
    _print_plan(console, result)
    console.print(
        f"{result.warehouse_rows:,} marketing rows in the warehouse; finished in {result.seconds:.0f} s."
    )


def _run_live(console: Any, options: Any) -> None:
    """The live demo under a rich Live screen; Ctrl-C stops it cleanly and prints the summary."""
    from rich.live import Live

    from liftos_devstack.live_demo import run_live_demo
    from liftos_devstack.live_view import render_view, summary_renderables

    log_path = options.data_dir / "services.log"
    options.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(
        f"[bold]LiftOS live demo[/]: {options.history_days} days of history, then {options.live_days} live"
        f" days at {options.days_per_minute:g} days/min, seed {options.seed}, scenario {options.scenario}; "
        f"service logs: {log_path}; Ctrl-C stops"
    )
    with log_path.open("w") as services_log, Live(console=console, refresh_per_second=2) as screen:
        result = run_live_demo(options, lambda view: screen.update(render_view(view)), services_log)
    for renderable in summary_renderables(result):
        console.print(renderable)
    if result.report is not None:
        console.print(f"Report with the effect history: {result.report}")


def _print_plan(console: Any, result: Any) -> None:
    """The budget plan and the top lift test, as read back from the recommendations topic."""
    from rich.table import Table

    rows, tests = result.plan_rows(), result.experiments()
    if not rows:
        console.print("No budget plan was published for this model version.")
        return
    first = rows[0]
    risk = f", risk-aware at the {first.risk:.0%} quantile" if first.risk else ""
    when = f"{first.horizon_start} to {first.horizon_end}"
    table = Table(title=f"Budget plan {when}: budget {first.total_budget:,.0f}{risk}")
    for column in ("channel", "current", "plan", "allowed", "expected outcome", "interval"):
        table.add_column(column, justify="left" if column in ("channel", "allowed") else "right")
    for r in rows:
        table.add_row(
            r.channel, f"{r.current_spend:,.0f}", f"{r.spend:,.0f}", f"{r.min_spend:,.0f}–{r.max_spend:,.0f}",
            f"{r.expected_outcome:,.0f}", f"[{r.outcome_lower:,.0f}, {r.outcome_upper:,.0f}]",
        )  # fmt: skip
    console.print(table)
    console.print(first.summary, highlight=False)
    if tests:
        console.print(f"Top lift test: {tests[0].summary}", highlight=False)


def _window(update: Any) -> str:
    if update.incremental_roas_90d is None or not update.spend_90d:
        return "–"
    low, high = update.ci_lower_90d / update.spend_90d, update.ci_upper_90d / update.spend_90d
    verdict = str(update.verdict_90d).replace("_", " ")  # how sure the window's number is
    return f"{update.incremental_roas_90d:.2f} [{low:.2f}, {high:.2f}]" + (f"\n{verdict}" if verdict else "")


def register(app: typer.Typer) -> None:
    """Add ``liftos demo`` to the ``liftos`` app."""
    app.command()(demo)
