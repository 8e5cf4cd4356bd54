"""Recorded (trimmed, secret-free) API responses and small builders for the connector tests."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from liftos.integrations.http_core import RetryPolicy

__all__ = ["SleepRecorder", "load", "recorded", "recording_policy"]

RESPONSES = Path(__file__).parent / "responses"


@cache
def _text(name: str) -> str:
    return (RESPONSES / f"{name}.json").read_text(encoding="utf-8")


def load(name: str) -> Any:
    """The decoded body of ``responses/<name>.json`` (a fresh copy each call)."""
    return json.loads(_text(name))


def recorded(name: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    """An httpx response carrying a recorded body."""
    return httpx.Response(status, json=load(name), headers=headers)


class SleepRecorder:
    """An injected sleep that records the requested seconds and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


def recording_policy(sleep: SleepRecorder, **overrides: Any) -> RetryPolicy:
    """A policy with deterministic jitter (0.5) whose sleeps are recorded, not waited."""
    return RetryPolicy(sleep=sleep, jitter=lambda: 0.5, **overrides)
