"""The completeness gate: is the data a refit would use complete enough to publish a new version?

Before each refit the causal engine measures, per source and account, over the model's window:

- days present against days expected (the window, up to ``max_lag_days`` before its end: the last
  days may still be on their way). A day is present when every stream of the account delivered it
  (``ingestion_coverage``: a slice read completely, zero records included, so a day without activity
  is not mistaken for a missing one); an account without coverage (rows pushed directly) counts the
  days with rows;
- dead letters of that source and account in the window, and how many of them are unconverted spend
  (a currency without an FX rate);
- ingestion lag: days between the window's end and the newest day the source delivered.

A source the deployment expects (the project file's enabled sources and spend files) that delivered
nothing is 0 % complete. Below ``threshold``, with dead letters above ``max_dead_letters`` or lag above
``max_lag_days``, the gate holds: the engine publishes a ``held`` status naming what is missing instead
of a new version. Every published version carries the completeness it was fitted on. Pure: frames in,
verdict out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

__all__ = ["AccountCompleteness", "Completeness", "CompletenessPolicy", "measure_completeness"]


@dataclass(frozen=True)
class CompletenessPolicy:
    """When the gate holds (defaults: at least 90 % of expected days, no dead letter, 3 days of lag)."""

    threshold: float = 0.9
    max_dead_letters: int = 0
    max_lag_days: int = 3


@dataclass(frozen=True)
class AccountCompleteness:
    """One source account over the window."""

    source: str
    account_id: str
    days_present: int
    days_expected: int
    dead_letters: int = 0
    unconverted: int = 0
    lag_days: int | None = None

    @property
    def share(self) -> float:
        """Days present / expected (1.0 when nothing is expected)."""
        return min(1.0, self.days_present / self.days_expected) if self.days_expected else 1.0


@dataclass(frozen=True)
class Completeness:
    """The verdict: ``score`` is the lowest share of any source account; ``reasons`` say what is missing."""

    window_start: date
    window_end: date
    accounts: tuple[AccountCompleteness, ...]
    reasons: tuple[str, ...]

    @property
    def score(self) -> float:
        """Lowest share of expected days present over every source account (1.0 with none)."""
        return min((a.share for a in self.accounts), default=1.0)

    @property
    def held(self) -> bool:
        """Whether the gate holds the refit."""
        return bool(self.reasons)

    def by_account(self) -> dict[str, float]:
        """Share of expected days present per ``source:account_id`` (the effect update's breakdown)."""
        return {f"{a.source}:{a.account_id}": a.share for a in self.accounts}

    def summary(self) -> str:
        """One line: ``98.6 % complete`` or ``held: meta: no rows …``."""
        if not self.held:
            return f"{self.score:.1%} complete"
        return "held: " + "; ".join(self.reasons)


def _covered_days(coverage: pd.DataFrame, start: date, end: date) -> dict[tuple[str, str], set[date]]:
    """(source, account) -> days every one of its streams delivered, within ``start..end``."""
    per_stream: dict[tuple[str, str, str], set[date]] = {}
    for source, account, stream, begin, finish in coverage[
        ["source", "account_id", "stream", "start", "end"]
    ].itertuples(index=False):
        first, last = max(begin, start), min(finish, end)
        days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
        per_stream.setdefault((str(source), str(account), str(stream)), set()).update(days)
    out: dict[tuple[str, str], set[date]] = {}
    for (source, account, _), days in per_stream.items():
        key = (source, account)
        out[key] = days if key not in out else out[key] & days
    return out


def measure_completeness(
    present: pd.DataFrame,
    dead_letters: pd.DataFrame,
    expected_sources: Sequence[str],
    window: tuple[date, date],
    policy: CompletenessPolicy,
    coverage: pd.DataFrame | None = None,
) -> Completeness:
    """The gate's verdict for ``window`` (inclusive).

    Args:
        present: One row per (``source``, ``account_id``, ``date``) that has data (marketing rows).
            A day is present when it has rows or a delivered slice covers it (a day without activity,
            or rows written before coverage was recorded).
        dead_letters: One row per dead letter: ``source``, ``account_id``, ``date``, ``unconverted`` (bool).
        expected_sources: Sources that must deliver (a missing one is 0 % complete): ``meta``, or
            ``canonical:tv`` for one account of a source (a declared file).
        window: First and last day of the model's window.
        policy: Thresholds.
        coverage: Delivered slices: ``source``, ``account_id``, ``stream``, ``start``, ``end``.
    """
    start, end = window
    due = end - timedelta(days=policy.max_lag_days)
    expected_days = max(0, (due - start).days + 1)
    rows = _within(present, start, end)
    letters = _within(dead_letters, start, end)
    covered = _covered_days(coverage, start, end) if coverage is not None and len(coverage) else {}
    row_days: dict[tuple[str, str], set[date]] = {}
    for source, account, day in zip(rows["source"], rows["account_id"], rows["date"], strict=True):
        row_days.setdefault((str(source), str(account)), set()).add(day)
    accounts = [
        _account(
            source,
            account,
            covered.get((source, account), set()) | row_days.get((source, account), set()),
            letters,
            expected_days,
            due,
            end,
        )
        for source, account in sorted(set(row_days) | set(covered))
    ]
    keys = {(a.source, a.account_id) for a in accounts}
    for expected in expected_sources:
        source, _, account = expected.partition(":")
        missing = (source, account) not in keys if account else all(s != source for s, _ in keys)
        if missing:
            accounts.append(AccountCompleteness(source, account or "*", 0, expected_days))
    return Completeness(start, end, tuple(accounts), tuple(_reasons(accounts, letters, policy)))


def _within(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(
            columns=list(dict.fromkeys([*frame.columns, "source", "account_id", "date", "unconverted"]))
        )
    return frame[(frame["date"] >= start) & (frame["date"] <= end)]


def _account(
    source: str,
    account: str,
    days: set[date],
    letters: pd.DataFrame,
    expected_days: int,
    due: date,
    end: date,
) -> AccountCompleteness:
    mine = letters[(letters["source"] == source) & (letters["account_id"] == account)]
    return AccountCompleteness(
        source,
        account,
        days_present=sum(1 for d in days if d <= due),
        days_expected=expected_days,
        dead_letters=len(mine),
        unconverted=int(mine["unconverted"].astype(bool).sum()),
        lag_days=(end - max(days)).days if days else None,
    )


def _reasons(
    accounts: Sequence[AccountCompleteness], letters: pd.DataFrame, policy: CompletenessPolicy
) -> list[str]:
    reasons = []
    for a in accounts:
        if a.days_present == 0 and a.lag_days is None:
            who = a.source if a.account_id == "*" else f"{a.source} {a.account_id}"
            reasons.append(f"{who}: no rows in the window (0 of {a.days_expected} days)")
        elif a.share < policy.threshold:
            reasons.append(f"{a.source} {a.account_id}: {a.days_present} of {a.days_expected} days present")
        if a.lag_days is not None and a.lag_days > policy.max_lag_days:
            reasons.append(f"{a.source} {a.account_id}: {a.lag_days} days behind the window's end")
    total = len(letters)
    if total > policy.max_dead_letters:
        unconverted = int(letters["unconverted"].astype(bool).sum())
        where = ", ".join(
            sorted({f"{s} {a}" for s, a in zip(letters["source"], letters["account_id"], strict=True)})[:5]
        )
        reasons.append(f"{total} dead letters in the window ({unconverted} unconverted spend) from {where}")
    return reasons
