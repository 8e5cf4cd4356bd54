"""``liftos plan --budget B --days N [--bounds ...]``: a budget plan and the experiment ranking from
the warehouse's data, printed as tables and written into the HTML report.

The model is refitted (``mmm``, calibrated with every recorded lift test) on the warehouse's daily
panel, as the causal engine does; the plan and the tests are what the engine would publish for the
same settings (:func:`liftos.pipeline.recommendations.make_plans`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from liftos.cli_options import Database, WarehouseHost, WarehousePort

if TYPE_CHECKING:
    from liftos.causal.budget import BudgetPlan
    from liftos.causal.experiments import ExperimentDesign
    from liftos.causal.results import CausalResults
    from liftos.settings import WarehouseSettings

__all__ = ["parse_bounds", "plan", "register"]


def parse_bounds(items: list[str]) -> dict[str, tuple[float | None, float | None]]:
    """``["meta=1000:5000", "klaviyo=:800"]`` → ``{"meta": (1000, 5000), "klaviyo": (None, 800)}``.

    Raises:
        typer.BadParameter: an item is not ``channel=min:max`` with numbers (either may be empty).
    """
    out: dict[str, tuple[float | None, float | None]] = {}
    for item in items:
        channel, _, limits = item.partition("=")
        low, colon, high = limits.partition(":")
        try:
            if not channel or not colon:
                raise ValueError
            out[channel.strip()] = (
                float(low) if low.strip() else None,
                float(high) if high.strip() else None,
            )
        except ValueError:
            raise typer.BadParameter(
                f"expected channel=min:max, got {item!r}", param_hint="--bounds"
            ) from None
    return out


def _money(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "–"


def _print(plan: BudgetPlan, designs: list[ExperimentDesign]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))
    level = f"{plan.confidence_level:.0%}"
    table = Table(title=f"Budget plan {plan.start} to {plan.end} ({plan.horizon_days} days)")
    for name in (
        "channel",
        "current",
        "plan",
        "change",
        "limits",
        "expected outcome",
        f"{level} interval",
        "mROI",
    ):
        table.add_column(name, justify="left" if name in ("channel", "limits") else "right")
    for c in plan.channels:
        rule = c.low_rule if c.low_rule == c.high_rule else f"{c.low_rule} / {c.high_rule}"
        table.add_row(
            c.channel, _money(c.current), _money(c.spend),
            f"{c.change:+.0%}" if math.isfinite(c.change) else "–",
            f"{_money(c.low)}–{_money(c.high)} ({rule})", _money(c.outcome),
            f"{_money(c.outcome_lower)}–{_money(c.outcome_upper)}", f"{c.marginal_return:.2f}",
        )  # fmt: skip
    console.print(table)
    console.print(plan.summary(), highlight=False)
    tests = Table(title="Lift tests to run next (best first)")
    for name in ("rank", "channel", "test", "withheld", "expected lift ± SE", "iROAS now", "after", "target"):
        tests.add_column(name, justify="left" if name in ("channel", "test") else "right")
    for d in designs:
        test = "go dark" if d.kind == "go_dark" else f"{d.spend_scale:.0%} spend"
        tests.add_row(
            str(d.rank), d.channel, f"{test}, {d.days} days", _money(d.spend_forgone),
            f"{_money(d.expected_lift)} ± {_money(d.predicted_se)}",
            f"{d.iroas:.2f} [{d.iroas_lower:.2f}, {d.iroas_upper:.2f}]",
            f"[{d.predicted_lower:.2f}, {d.predicted_upper:.2f}]",
            "reached" if d.reaches_target else "not reached",
        )  # fmt: skip
    console.print(tests)
    if designs:
        console.print(f"Top test: {designs[0].summary()}", highlight=False)


def plan(
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget", min=0.0, help="Total budget over the horizon (default: last 28 days' rate)."
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Days of the horizon.")] = 28,
    bounds: Annotated[
        list[str] | None,
        typer.Option("--bounds", help="channel=min:max spend over the horizon (repeatable)."),
    ] = None,
    max_change: Annotated[
        float | None, typer.Option(min=0.0, help="Each channel within ± this share of its current spend.")
    ] = None,
    fixed: Annotated[
        list[str] | None, typer.Option(help="Channel held at its current spend (repeatable).")
    ] = None,
    objective: Annotated[
        str, typer.Option(help="revenue (spend it all) or profit (needs --margin).")
    ] = "revenue",
    margin: Annotated[float | None, typer.Option(min=0.0, help="Profit per unit of outcome.")] = None,
    risk: Annotated[
        float | None,
        typer.Option(min=0.0, max=0.5, help="Maximise this lower quantile of the gain (e.g. 0.05)."),
    ] = None,
    target_width: Annotated[
        float, typer.Option(min=0.0, help="Lift tests: target iROAS width / iROAS.")
    ] = 0.3,
    out: Annotated[Path, typer.Option("--out", help="HTML report to write with the plan.")] = Path(
        "report.html"
    ),
    warehouse_host: WarehouseHost = None,
    warehouse_port: WarehousePort = None,
    database: Database = None,
) -> None:
    """Refit on the warehouse, print a budget plan and the lift tests worth running, write the report."""
    from liftos.cli.report import warehouse_settings
    from liftos.errors import LiftOSError
    from liftos.pipeline.recommendations import PlanRequest, make_plans, recommendation_rows
    from liftos.report import NoModelError, write_report

    if objective not in ("revenue", "profit"):
        raise typer.BadParameter("expected revenue or profit", param_hint="--objective")
    request = PlanRequest(
        horizon_days=days,
        budget=budget,
        bounds=parse_bounds(bounds or []),
        max_change=max_change,
        fixed=tuple(fixed or ()),
        objective=_objective(objective),
        margin=margin,
        risk=risk,
        target_relative_width=target_width,
    )
    try:
        request.precheck()
    except LiftOSError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    settings = warehouse_settings(warehouse_host, warehouse_port, database)
    results, version = _refit(settings)
    try:
        budget_plan, designs = make_plans(results, request)
    except (LiftOSError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    _print(budget_plan, designs)
    rows = recommendation_rows(budget_plan, designs, max(version, 1), datetime.now(UTC))
    try:
        write_report(settings, out, recommendations=rows, fitted=results, plan_note="computed by liftos plan")
    except NoModelError as error:
        typer.echo(f"report not written: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"wrote {out} with the plan and {len(designs)} test designs")


def _objective(value: str) -> Literal["revenue", "profit"]:
    return "profit" if value == "profit" else "revenue"


def _refit(settings: WarehouseSettings) -> tuple[CausalResults, int]:
    """The ``mmm`` results on the warehouse panel with every recorded lift test, and the latest
    published model version (0 when none)."""
    from liftos.pipeline.effects import ModelRun, complete_days, estimate_effects
    from liftos.pipeline.recommendations import lift_tests_of
    from liftos.settings import RegionalSettings
    from liftos.warehouse.connection import connect
    from liftos.warehouse.lift_test_store import recorded_lift_tests
    from liftos.warehouse.modelling_panel import daily_panel, latest_model_version, panel_currencies

    region = RegionalSettings()
    client = connect(settings)
    try:
        # the day still running is left out, on the clock every service reads (LIFTOS_CLOCK__…)
        panel = complete_days(daily_panel(client), region.clock.last_complete_day())
        if panel.empty:
            typer.echo("error: the warehouse holds no outcome data to plan from", err=True)
            raise typer.Exit(1)
        currencies = panel_currencies(client)
        tests = lift_tests_of(recorded_lift_tests(client))
        version = latest_model_version(client)
    finally:
        client.close()
    run = ModelRun(
        max(version, 1), "mmm", 0.95, 0, *currencies,
        country=region.country, subdivision=region.subdivision, lift_tests=tests,
    )  # fmt: skip
    results = estimate_effects(panel, run, {}).results
    assert results is not None
    return results, version


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command to the ``liftos`` command."""
    app.command(name="plan")(plan)
