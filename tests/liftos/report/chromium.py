"""Headless Chromium for page checks: a screenshot, the rendered DOM, and the page's console messages.

Console messages are read from Chromium's own log (``--enable-logging=stderr --v=0``): every
``console.*`` call and every uncaught exception of a page is logged there as
``[pid:tid:time:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)`` (older builds:
``CONSOLE(<line>)``). :func:`console_messages` keeps the lines whose source is the page; the tests
prove the method on a page that does log and throw.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.image import imread

__all__ = ["CHROMIUM", "PageRun", "console_messages", "dump_dom", "screenshot", "screenshot_stats"]

CHROMIUM = Path("/usr/bin/chromium")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)
_CONSOLE = re.compile(r"CONSOLE[(:]\d+\)?\]\s*(.*)$")


@dataclass(frozen=True)
class PageRun:
    """What one Chromium run produced: stdout (the DOM for ``--dump-dom``), stderr (its log)."""

    stdout: str
    stderr: str


def _run(page: Path, tmp: Path, *extra: str) -> PageRun:
    args = [str(CHROMIUM), *_FLAGS, f"--user-data-dir={tmp / 'profile'}", *extra, page.resolve().as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return PageRun(done.stdout, done.stderr)


def screenshot(page: Path, png: Path, tmp: Path, size: tuple[int, int] = (1280, 2000)) -> PageRun:
    """Load ``page`` and write a ``size`` screenshot to ``png``."""
    return _run(page, tmp, f"--screenshot={png}", f"--window-size={size[0]},{size[1]}")


def dump_dom(page: Path, tmp: Path) -> PageRun:
    """Load ``page``; ``stdout`` holds the serialized DOM after load."""
    return _run(page, tmp, "--dump-dom")


def console_messages(log: str, page: Path) -> list[str]:
    """Console messages (including uncaught exceptions) that ``page`` produced, from Chromium's log."""
    uri = page.resolve().as_uri()
    return [m[1] for line in log.splitlines() if (m := _CONSOLE.search(line)) and uri in line]


def screenshot_stats(png: Path) -> tuple[tuple[int, int], int, float]:
    """``(height, width)``, number of distinct colours, and the share of pixels unlike the most common one."""
    pixels = imread(str(png))[..., :3]
    flat = (np.asarray(pixels) * 255).round().astype(np.uint8).reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return (pixels.shape[0], pixels.shape[1]), len(colours), 1.0 - counts.max() / counts.sum()
