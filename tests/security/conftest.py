"""Fixtures of the security suite: everything the code under test logs or prints, at every level."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

Output = Callable[[], str]


@pytest.fixture
def output(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Output:
    """Returns all log records (DEBUG and up, every logger, httpx's included) and stdout/stderr so far."""
    caplog.set_level(logging.DEBUG)

    def text() -> str:
        captured = capsys.readouterr()
        return "\n".join([caplog.text, captured.out, captured.err])

    return text
