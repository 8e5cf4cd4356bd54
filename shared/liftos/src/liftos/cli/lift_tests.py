"""``liftos lift-test add|list``: record experiment results so that every refit is calibrated by them.

``add`` validates every test first (one line naming the bad field or CSV line, nothing published),
then publishes them to ``liftos.lift_tests.v1`` (Kafka from ``LIFTOS_KAFKA__*``, acks from all
replicas); the causal engine moves them into the warehouse's ``lift_tests`` table and refits. ``list``
reads that table.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from liftos.cli_options import Database, WarehouseHost, WarehousePort, day_option
from liftos.events import LiftTestRecord, version_of
from liftos.settings import KafkaSettings

__all__ = ["lift_test_app", "parse_csv", "publish_lift_tests", "record", "register"]

lift_test_app = typer.Typer(
    help="Lift tests (experiment results) that calibrate the causal model.", no_args_is_help=True
)

_REQUIRED = ("channel", "start", "end", "incremental_revenue", "standard_error")
_OPTIONAL = ("spend_scale", "test_id", "note")


def record(
    channel: str,
    start: date,
    end: date,
    incremental_revenue: float,
    standard_error: float,
    *,
    spend_scale: float = 0.0,
    test_id: str | None = None,
    note: str = "",
    source: str = "cli",
    recorded_at: datetime | None = None,
) -> LiftTestRecord:
    """One validated :class:`~liftos.events.LiftTestRecord` (id derived from channel, window and
    spend scale unless given)."""
    moment = recorded_at or datetime.now(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # the warehouse keeps ms
    return LiftTestRecord(
        test_id=test_id or LiftTestRecord.default_id(channel, start, end, spend_scale),
        channel=channel,
        start=start,
        end=end,
        incremental_revenue=incremental_revenue,
        standard_error=standard_error,
        spend_scale=spend_scale,
        source=source,
        note=note,
        recorded_at=moment,
        version=version_of(moment),
    )


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        item = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in item["loc"])
        return f"{where}: {item['msg']}" if where else str(item["msg"])
    return str(error)


def parse_csv(path: Path) -> list[LiftTestRecord]:
    """The tests of a CSV file with columns ``channel, start, end, incremental_revenue,
    standard_error`` (optional ``spend_scale``, ``test_id``, ``note``; dates ``YYYY-MM-DD``).

    Raises:
        ValueError: a missing column or a bad row, naming the line and the field.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        missing = [c for c in _REQUIRED if c not in columns]
        if missing:
            raise ValueError(
                f"{path.name}: missing column(s) {', '.join(missing)} (needs {', '.join(_REQUIRED)})"
            )
        moment = datetime.now(UTC)
        tests = []
        for line, row in enumerate(reader, start=2):
            try:
                tests.append(
                    record(
                        row["channel"].strip(),
                        date.fromisoformat(row["start"].strip()),
                        date.fromisoformat(row["end"].strip()),
                        float(row["incremental_revenue"]),
                        float(row["standard_error"]),
                        spend_scale=float(row.get("spend_scale") or 0.0),
                        test_id=(row.get("test_id") or "").strip() or None,
                        note=(row.get("note") or "").strip(),
                        source=f"csv:{path.name}",
                        recorded_at=moment,
                    )
                )
            except (ValueError, ValidationError) as error:
                raise ValueError(f"{path.name} line {line}: {_problem(error)}") from None
    if not tests:
        raise ValueError(f"{path.name}: no lift tests in the file")
    return tests


async def publish_lift_tests(tests: list[LiftTestRecord], kafka: KafkaSettings) -> None:
    """Publish ``tests`` to ``liftos.lift_tests.v1`` and wait until every one is acknowledged."""
    from liftos.streaming.kafka import ensure_topics, make_producer, publish, wait_for_broker
    from liftos.topics import LIFT_TESTS

    await wait_for_broker(kafka)
    await ensure_topics(kafka, (LIFT_TESTS,))
    producer = make_producer(kafka, client_suffix="lift-test-cli")
    await producer.start()
    try:
        await publish(producer, LIFT_TESTS, tests)
    finally:
        await producer.stop()


@lift_test_app.command("add")
def add(
    channel: Annotated[str | None, typer.Option(help="Channel whose spend the test changed.")] = None,
    start: Annotated[date | None, day_option("First day of the test window.")] = None,
    end: Annotated[date | None, day_option("Last day of the window, inclusive.")] = None,
    lift: Annotated[
        float | None, typer.Option("--lift", help="Outcome lost by the change (window + carryover after it).")
    ] = None,
    se: Annotated[float | None, typer.Option("--se", help="Standard error of the lift (> 0).")] = None,
    spend_scale: Annotated[
        float, typer.Option(min=0.0, help="Share of spend kept in the window (0 = went dark).")
    ] = 0.0,
    test_id: Annotated[
        str | None, typer.Option("--id", help="Test id (default: from channel and window).")
    ] = None,
    note: Annotated[str, typer.Option(help="Free text: design, market, vendor.")] = "",
    csv_path: Annotated[
        Path | None, typer.Option("--csv", exists=True, dir_okay=False, help="A CSV file of tests instead.")
    ] = None,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka brokers (default LIFTOS_KAFKA__BOOTSTRAP_SERVERS).")
    ] = None,
) -> None:
    """Record one lift test (options) or a CSV of them; the causal engine calibrates its next refits."""
    try:
        if csv_path is not None:
            tests = parse_csv(csv_path)
        else:
            given = {"--channel": channel, "--start": start, "--end": end, "--lift": lift, "--se": se}
            missing = [name for name, value in given.items() if value is None]
            if missing:
                raise ValueError(f"missing {', '.join(missing)} (or give --csv FILE)")
            assert channel is not None and start and end and lift is not None and se is not None
            tests = [
                record(channel, start, end, lift, se, spend_scale=spend_scale, test_id=test_id, note=note)
            ]
    except (ValueError, ValidationError) as error:
        typer.echo(f"error: {_problem(error)}", err=True)
        raise typer.Exit(2) from error
    from liftos.settings import RegionalSettings

    kafka = RegionalSettings().kafka
    if bootstrap:
        kafka = KafkaSettings.model_validate(kafka.model_dump() | {"bootstrap_servers": bootstrap})
    asyncio.run(publish_lift_tests(tests, kafka))
    for test in tests:
        typer.echo(
            f"recorded {test.test_id}: {test.channel} {test.start}..{test.end} lift "
            f"{test.incremental_revenue:,.2f} ± {test.standard_error:,.2f} "
            f"(spend kept {test.spend_scale:.0%})"
        )


@lift_test_app.command("list")
def list_tests(
    warehouse_host: WarehouseHost = None,
    warehouse_port: WarehousePort = None,
    database: Database = None,
) -> None:
    """Print the lift tests recorded in the warehouse."""
    from rich.console import Console
    from rich.table import Table

    from liftos.cli.report import warehouse_settings
    from liftos.warehouse.connection import connect
    from liftos.warehouse.lift_test_store import recorded_lift_tests

    client = connect(warehouse_settings(warehouse_host, warehouse_port, database))
    try:
        tests = recorded_lift_tests(client)
    finally:
        client.close()
    table = Table(title=f"{len(tests)} recorded lift tests")
    for name in ("id", "channel", "start", "end", "lift", "SE", "spend kept", "source"):
        table.add_column(name, justify="right" if name in ("lift", "SE", "spend kept") else "left")
    for t in tests:
        table.add_row(
            t.test_id, t.channel, str(t.start), str(t.end), f"{t.incremental_revenue:,.0f}",
            f"{t.standard_error:,.0f}", f"{t.spend_scale:.0%}", t.source,
        )  # fmt: skip
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``lift-test`` command group to the ``liftos`` command."""
    app.add_typer(lift_test_app, name="lift-test")
