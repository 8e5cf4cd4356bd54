"""``liftos lift-test add``: validated before anything is published (one line naming the problem), a
CSV of tests, and the tests on the real topic ``liftos.lift_tests.v1``."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liftos.cli import app
from liftos.cli.lift_tests import parse_csv, record
from liftos.events import LiftTestRecord
from liftos.settings import KafkaSettings
from liftos.streaming.codec import decode
from liftos.streaming.kafka import make_consumer
from liftos.topics import LIFT_TESTS

HEADER = "channel,start,end,incremental_revenue,standard_error,spend_scale,test_id,note\n"


def test_the_default_id_names_the_test_so_a_correction_replaces_it() -> None:
    first = record("meta", date(2025, 3, 1), date(2025, 3, 28), 120_000.0, 15_000.0)
    corrected = record("meta", date(2025, 3, 1), date(2025, 3, 28), 118_000.0, 14_000.0)
    other = record("meta", date(2025, 3, 1), date(2025, 3, 28), 60_000.0, 9_000.0, spend_scale=0.5)
    assert first.test_id == corrected.test_id != other.test_id
    assert corrected.version >= first.version


def test_csv_rows_are_checked_line_by_line(tmp_path: Path) -> None:
    good = tmp_path / "tests.csv"
    rows = [
        "meta,2025-03-01,2025-03-28,120000,15000,0,,geo holdout",
        "klaviyo,2025-04-01,2025-04-14,9000,3000,0.5,k1,",
    ]
    good.write_text(HEADER + "\n".join(rows) + "\n")
    tests = parse_csv(good)
    assert [t.channel for t in tests] == ["meta", "klaviyo"] and tests[1].test_id == "k1"
    assert (
        tests[0].source == "csv:tests.csv" and tests[0].note == "geo holdout" and tests[1].spend_scale == 0.5
    )
    cases = {
        "channel,start\nmeta,2025-01-01\n": r"missing column\(s\) end, incremental_revenue, standard_error",
        HEADER + "meta,2025-03-28,2025-03-01,1,1,0,,\n": "line 2: .*end 2025-03-01 is before start",
        HEADER
        + "meta,2025-03-01,2025-03-02,1,0,0,,\n": "line 2: standard_error: Input should be greater than 0",
        HEADER + "meta,2025-03-01,2025-03-02,1,1,1,,\n": "line 2: .*spend_scale 1 changes nothing",
        HEADER + "meta,March,2025-03-02,1,1,0,,\n": "line 2: Invalid isoformat",
        HEADER: "no lift tests",
    }
    for text, says in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(ValueError, match=says):
            parse_csv(bad)


def test_bad_input_is_one_line_and_publishes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["lift-test", "add", "--channel", "meta", "--start", "2025-03-01"])
    assert result.exit_code == 2 and "missing --end, --lift, --se" in result.output
    result = CliRunner().invoke(
        app,
        ["lift-test", "add", "--channel", "meta", "--start", "2025-03-01", "--end", "2025-03-02",
         "--lift", "10", "--se", "-1", "--bootstrap", "127.0.0.1:1"],
    )  # fmt: skip
    assert result.exit_code == 2 and "standard_error: Input should be greater than 0" in result.output


async def _read(kafka: KafkaSettings, ids: set[str]) -> dict[str, LiftTestRecord]:
    consumer = make_consumer(kafka, LIFT_TESTS.name, group_id=f"lift-test-cli-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    found: dict[str, LiftTestRecord] = {}
    try:
        for _ in range(30):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for message in records:
                    test = decode(LiftTestRecord, message.value)
                    if test.test_id in ids:
                        found[test.test_id] = test
                        assert message.key == test.test_id.encode()
            if set(found) == ids:
                break
    finally:
        await consumer.stop()
    return found


def test_add_publishes_to_the_lift_test_topic(kafka_settings: KafkaSettings, tmp_path: Path) -> None:
    one, two = f"cli-{uuid.uuid4().hex[:8]}", f"csv-{uuid.uuid4().hex[:8]}"
    result = CliRunner().invoke(
        app,
        ["lift-test", "add", "--channel", "cli_test_channel", "--start", "2025-03-01", "--end", "2025-03-28",
         "--lift", "120000", "--se", "15000", "--id", one, "--bootstrap", kafka_settings.bootstrap_servers],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        f"recorded {one}: cli_test_channel 2025-03-01..2025-03-28 lift 120,000.00 ± 15,000.00"
        in result.output
    )
    csv_file = tmp_path / "tests.csv"
    csv_file.write_text(HEADER + f"cli_test_channel,2025-04-01,2025-04-14,9000,3000,0.5,{two},\n")
    result = CliRunner().invoke(
        app, ["lift-test", "add", "--csv", str(csv_file), "--bootstrap", kafka_settings.bootstrap_servers]
    )
    assert result.exit_code == 0, result.output
    found = asyncio.run(_read(kafka_settings, {one, two}))
    assert found[one].incremental_revenue == 120_000 and found[one].source == "cli"
    assert found[two].spend_scale == 0.5 and found[two].source == "csv:tests.csv"
