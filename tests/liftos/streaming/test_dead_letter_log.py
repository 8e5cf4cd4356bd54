"""Dead letters in the log: each with its reason while the window's budget lasts, then one summary."""

from __future__ import annotations

from typing import Any, cast

from liftos.observability import Logger
from liftos.streaming.dead_letters import DeadLetterLog
from liftos.streaming.messages import DeadLetter


class _Recorder:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append((event, fields))


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _letters(count: int, error: str = "DataError", reason: str = "bad amount") -> list[DeadLetter]:
    return [
        DeadLetter("liftos.raw.v1", 0, offset, None, b"{}", f"{reason} {offset % 2}", error)
        for offset in range(count)
    ]


def test_a_burst_logs_its_first_letters_with_reasons_then_one_summary_per_window() -> None:
    recorder, clock = _Recorder(), _Clock()
    log = DeadLetterLog(cast(Logger, recorder), limit=5, window_s=60.0, clock=clock)
    log.record(_letters(700))
    log.record(_letters(82, error="ValidationError", reason="missing date"))
    one_by_one = [fields for event, fields in recorder.lines if event == "dead-lettered"]
    assert len(one_by_one) == 5 and len(recorder.lines) == 5
    assert one_by_one[0] == {
        "topic": "liftos.raw.v1",
        "partition": 0,
        "offset": 0,
        "error": "DataError",
        "reason": "bad amount 0",
    }

    clock.now = 61.0
    log.record([])  # a later batch closes the window
    (summary,) = recorder.lines[5:]
    assert summary[0] == "dead letters not logged one by one"
    assert summary[1]["count"] == 777
    assert summary[1]["by_error"] == {"DataError": 695, "ValidationError": 82}
    assert summary[1]["sample_reasons"] == {
        "DataError": ["bad amount 1", "bad amount 0"],
        "ValidationError": ["missing date 0", "missing date 1"],
    }

    log.record(_letters(1))  # a new window has a new budget
    assert recorder.lines[-1][0] == "dead-lettered"
