"""Landed cursors: the pure checkpoint rules and the cursor store's landed states, epochs and lock."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from liftos.errors import ConfigError
from liftos.integrations.cursors import CursorState, CursorStore
from liftos.integrations.landing import Checkpoint, caught_up, epochs_changed


def _state(stream: str, day: date | None) -> CursorState:
    return CursorState(source="meta", account="act_1", stream=stream, cursor=day)


def test_a_group_is_caught_up_only_with_every_partition_that_holds_records_committed() -> None:
    ends = {("raw", 0): 10, ("raw", 1): 0, ("raw", 2): 5}
    assert caught_up({("raw", 0): 10, ("raw", 2): 7}, ends)
    assert not caught_up({("raw", 0): 10, ("raw", 2): 4}, ends)
    assert not caught_up({("raw", 0): 10}, ends)  # partition 2 holds records nobody committed
    assert caught_up({}, {("raw", 0): 0})


def test_epochs_changed_names_the_topics_that_changed_or_vanished() -> None:
    recorded = {"raw": 1, "normalized": 2, "outcomes": 3}
    assert epochs_changed(recorded, {"raw": 1, "normalized": 2, "outcomes": 3}) == []
    assert epochs_changed(recorded, {"raw": 9, "normalized": None, "outcomes": 3}) == ["normalized", "raw"]


def test_a_checkpoint_keeps_its_snapshot_and_epochs_from_hop_to_hop() -> None:
    first = Checkpoint({"k": _state("insights", date(2025, 1, 1))}, {"raw": 1}, 0, {("raw", 0): 4})
    second = first.next_hop({("normalized", 0): 8})
    assert (second.hop, second.ends, second.states, second.epochs) == (
        1,
        {("normalized", 0): 8},
        first.states,
        first.epochs,
    )


def test_rewind_goes_back_to_the_landed_states_and_forgets_streams_that_never_landed(tmp_path: Path) -> None:
    store = CursorStore(tmp_path / "cursors.json")
    store.commit(_state("insights", date(2025, 1, 10)))
    store.mark_landed(store.snapshot())
    store.commit(_state("insights", date(2025, 3, 1)))
    store.commit(_state("ads", date(2025, 3, 1)))
    store.set_epochs({"liftos.raw.v1": 7})

    reopened = CursorStore(tmp_path / "cursors.json")  # all of it is durable
    assert reopened.epochs == {"liftos.raw.v1": 7}
    moved = reopened.rewind()
    assert sorted((before.stream, after.cursor if after else None) for before, after in moved) == [
        ("ads", None),
        ("insights", date(2025, 1, 10)),
    ]
    assert reopened.load("meta", "act_1", "insights").cursor == date(2025, 1, 10)
    assert reopened.load("meta", "act_1", "ads").cursor is None
    assert CursorStore(tmp_path / "cursors.json").snapshot() == reopened.landed()


def test_a_cursor_file_from_before_landing_counts_as_landed(tmp_path: Path) -> None:
    path = tmp_path / "cursors.json"
    state = _state("insights", date(2025, 5, 1))
    path.write_text(json.dumps({"version": 1, "states": {state.key: state.model_dump(mode="json")}}))
    store = CursorStore(path)
    assert store.landed() == store.snapshot() == {state.key: state}
    assert store.rewind() == [] and store.epochs == {}


def test_one_process_per_cursor_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "cursors.json"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from liftos.integrations.cursors import CursorStore; "
            f"CursorStore({str(path)!r}, exclusive=True); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match="another ingestor process uses the cursors") as error:
            CursorStore(path, exclusive=True)
        assert error.value.fix is not None and "LIFTOS_DATA_DIR" in error.value.fix
    finally:
        holder.kill()
        holder.wait()
    released = CursorStore(path, exclusive=True)  # the holder is gone: the lock with it
    released.close()
    CursorStore(path, exclusive=True).close()
