"""The causal engine's loop: watch the warehouse, refit when new data arrived, publish effect updates.

Before each refit the completeness gate (:mod:`liftos.pipeline.completeness`) measures the data per
source and account; when it holds, a ``held`` status (topic, ``model_status`` row, metric) says what is
missing and no version is published. Every version carries the completeness it was fitted on.

A refit happens when the warehouse holds new or rewritten rows (or a newly recorded lift test) and the
last refit is at least ``min_refit_interval_s`` old, or sooner when river's drift detector flags the
model's one-step-ahead residuals on days it had not seen before (an early refit). Rows rewritten with the
values the last version was fitted on (and the same outcome and spend currencies) are no change
(:func:`~liftos.pipeline.effects.fit_fingerprint`, stored with the version's ``published`` status, so
also across a restart): no refit, no version. Every refit is
calibrated with all recorded lift tests (moved from ``liftos.lift_tests.v1`` into the warehouse by
:class:`~liftos_causal_engine.lift_test_inbox.LiftTestInbox`). Each version is published to the
effects topic (one update per channel) and written to the warehouse for Grafana, followed by its
recommendations: the budget plan for the configured horizon and budget and the experiment ranking
(``liftos.recommendations.v1`` and the ``recommendations`` table).
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from datetime import UTC, date, datetime

import pandas as pd
from aiokafka import AIOKafkaProducer
from clickhouse_connect.driver.client import Client

from liftos.causal.drift import ResidualDriftMonitor
from liftos.causal.lift import LiftTest
from liftos.errors import LiftOSError
from liftos.events import EffectUpdate, ModelStatus, Recommendation
from liftos.observability import Logger, start_health_server
from liftos.pipeline.completeness import Completeness, CompletenessPolicy, measure_completeness
from liftos.pipeline.effects import Estimate, ModelRun, complete_days, estimate_effects, fit_fingerprint
from liftos.pipeline.freshness import new_day_freshness
from liftos.pipeline.recommendations import lift_tests_of, make_plans, recommendation_rows
from liftos.streaming.dead_letters import DeadLetterSink
from liftos.streaming.kafka import ensure_topics, make_consumer, make_producer, publish, wait_for_broker
from liftos.topics import ALL_TOPICS, EFFECTS, LIFT_TESTS, MODEL_STATUS, RECOMMENDATIONS
from liftos.warehouse.connection import connect, insert_events
from liftos.warehouse.lift_test_store import recorded_lift_tests
from liftos.warehouse.migrations import apply_migrations
from liftos.warehouse.modelling_panel import (
    DataWatermark,
    coverage_spans,
    daily_panel,
    data_watermark,
    latest_inputs_fingerprint,
    latest_model_version,
    latest_training_time,
    panel_currencies,
    source_days,
)
from liftos_causal_engine import metrics
from liftos_causal_engine.lift_test_inbox import LiftTestInbox
from liftos_causal_engine.pipeline_watch import PipelineWatch
from liftos_causal_engine.settings import CausalEngineSettings

__all__ = ["CausalEngine", "run"]


#: What the engine has fitted on: the warehouse's watermark and the last day that was over.
_Mark = tuple[DataWatermark, date]


class CausalEngine:
    """Refits on new data and publishes one :class:`EffectUpdate` per channel per model version."""

    def __init__(
        self,
        settings: CausalEngineSettings,
        client: Client,
        producer: AIOKafkaProducer,
        log: Logger,
        watch: PipelineWatch | None = None,
        inbox: LiftTestInbox | None = None,
    ):
        self._settings = settings
        self._watch = watch
        self._inbox = inbox
        self._client = client
        self._producer = producer
        self._log = log
        self._version = latest_model_version(client)
        self._seen: _Mark | None = None
        # fit_fingerprint of the last published version (stored with its status: survives a restart)
        self._fitted: str | None = latest_inputs_fingerprint(client, self._version)
        self._last_fit = 0.0
        self._previous: dict[str, EffectUpdate] = {}
        self._drift = ResidualDriftMonitor()
        self._residuals_seen: pd.Timestamp | None = None
        self._drift_pending = False
        metrics.MODEL_VERSION.set(self._version)
        metrics.LAST_FIT.set(latest_training_time(client))

    @property
    def version(self) -> int:
        """Latest published model version."""
        return self._version

    async def step(self) -> bool:
        """Refit if new data (or a lift test) arrived and a refit is due; returns whether a version was
        published."""
        if self._inbox is not None:
            await self._inbox.drain()
        complete = self._settings.clock.last_complete_day()
        # a day that ends is new data too: it enters the fit although no row changed
        mark = (await asyncio.to_thread(data_watermark, self._client), complete)
        due = time.monotonic() - self._last_fit >= self._settings.min_refit_interval_s
        if mark == self._seen or not (due or self._drift_pending):
            return False
        panel = await asyncio.to_thread(daily_panel, self._client, self._settings.outcome_source)
        panel = complete_days(panel, complete)
        if len(panel) < self._settings.min_days:
            self._log.info("waiting for data", days=len(panel), min_days=self._settings.min_days)
            self._seen = mark
            return False
        completeness = await self._completeness(panel)
        if completeness.held:
            await self._hold(completeness, mark)
            return False
        trigger = "drift" if self._drift_pending and not due else "new_data"
        tests = lift_tests_of(await asyncio.to_thread(recorded_lift_tests, self._client))
        currencies = await asyncio.to_thread(panel_currencies, self._client)
        fingerprint = fit_fingerprint(panel, tests, currencies)
        if fingerprint == self._fitted:  # rows rewritten with the same values: same fit, no version
            self._seen = mark
            metrics.RETRAINS.labels("unchanged", trigger).inc()
            self._log.info("data rewritten unchanged; no refit", days=len(panel))
            return False
        self._last_fit = time.monotonic()  # a failing fit waits for the refit interval too
        try:
            await self._publish_version(panel, mark, trigger, completeness, tests, currencies, fingerprint)
        except Exception:
            metrics.RETRAINS.labels("failed", trigger).inc()
            raise
        return True

    async def _completeness(self, panel: pd.DataFrame) -> Completeness:
        """The gate's verdict over the panel's window (:mod:`liftos.pipeline.completeness`)."""
        window = (panel["date"].min().date(), panel["date"].max().date())
        if self._watch is not None:
            await self._watch.refresh()
        present = await asyncio.to_thread(source_days, self._client, *window)
        coverage = await asyncio.to_thread(coverage_spans, self._client, *window)
        letters = self._watch.dead_letters() if self._watch is not None else pd.DataFrame()
        settings = self._settings
        expected = (
            *settings.expected_sources,
            *([settings.outcome_source] if settings.outcome_source else []),
        )
        policy = CompletenessPolicy(
            settings.completeness_threshold,
            settings.completeness_max_dead_letters,
            settings.completeness_max_lag_days,
        )
        verdict = measure_completeness(
            present, letters, tuple(dict.fromkeys(expected)), window, policy, coverage
        )
        metrics.COMPLETENESS.set(verdict.score)
        return verdict

    def _status(self, completeness: Completeness, status: str, fingerprint: str = "") -> ModelStatus:
        return ModelStatus(
            checked_at=datetime.now(UTC),
            status=status,
            model_version=self._version,
            window_start=completeness.window_start,
            window_end=completeness.window_end,
            completeness=completeness.score,
            dead_letters=sum(a.dead_letters for a in completeness.accounts),
            reasons="; ".join(completeness.reasons),
            inputs_fingerprint=fingerprint,
        )

    async def _record_status(self, status: ModelStatus) -> None:
        await publish(self._producer, MODEL_STATUS, [status])
        await asyncio.to_thread(insert_events, self._client, [status])

    async def _hold(self, completeness: Completeness, mark: _Mark) -> None:
        """Publish a ``held`` status instead of a version; wait for new data before the next try."""
        await self._record_status(self._status(completeness, "held"))
        self._seen = mark
        metrics.HELD.set(1)
        metrics.HOLDS.inc()
        self._log.warning("refit held: data incomplete", reasons=list(completeness.reasons))

    async def _publish_version(
        self,
        panel: pd.DataFrame,
        mark: _Mark,
        trigger: str,
        completeness: Completeness,
        tests: tuple[LiftTest, ...],
        currencies: tuple[str | None, str | None],
        fingerprint: str,
    ) -> None:
        settings = self._settings
        outcome_currency, spend_currency = currencies
        run = ModelRun(
            self._version + 1,
            settings.method,
            settings.confidence_level,
            settings.seed,
            country=settings.country,
            subdivision=settings.subdivision,
            outcome_currency=outcome_currency,
            spend_currency=spend_currency,
            lift_tests=tests,
        )
        started = time.perf_counter()
        estimate = await asyncio.to_thread(estimate_effects, panel, run, self._previous)
        fit_seconds = time.perf_counter() - started
        fitted_on = {"completeness": completeness.score, "data_completeness": completeness.by_account()}
        updates = [u.model_copy(update=fitted_on) for u in estimate.updates]
        await publish(self._producer, EFFECTS, updates)
        await asyncio.to_thread(insert_events, self._client, updates)
        self._observe_freshness(updates)
        self._version, self._seen, self._drift_pending = run.model_version, mark, False
        self._fitted = fingerprint
        self._previous = {update.channel: update for update in updates}
        await self._record_status(self._status(completeness, "published", fingerprint))
        metrics.HELD.set(0)
        self._watch_residuals(estimate.residuals)
        metrics.RETRAINS.labels("published", trigger).inc()
        metrics.FIT_SECONDS.observe(fit_seconds)
        metrics.MODEL_VERSION.set(self._version)
        metrics.LAST_FIT.set(time.time())
        for update in updates:
            metrics.EFFECTS_PUBLISHED.labels(update.channel).inc()
        recommendations = await self._publish_recommendations(estimate, run.model_version)
        self._log.info(
            "published",
            model_version=self._version,
            trigger=trigger,
            days=len(panel),
            channels=len(updates),
            completeness=round(completeness.score, 4),
            fit_s=round(fit_seconds, 2),
            iroas={u.channel: round(u.incremental_roas, 3) for u in updates},
            iroas_90d={u.channel: u.incremental_roas_90d for u in updates},
            verdicts={u.channel: u.verdict for u in updates},
            lift_tests=len(tests),
            recommendations=len(recommendations),
        )

    def _observe_freshness(self, updates: list[EffectUpdate]) -> None:
        """Effect freshness of the days this version adds to the previous one's window."""
        if not updates:
            return
        previous = max((u.window_end for u in self._previous.values()), default=None)
        ages = new_day_freshness(previous, updates[0].window_end, time.time(), self._settings.clock)
        for seconds in ages.values():
            metrics.EFFECT_FRESHNESS_SECONDS.observe(seconds)

    async def _publish_recommendations(self, estimate: Estimate, version: int) -> list[Recommendation]:
        """The version's budget plan and experiment ranking, published and stored (skipped, with a
        logged reason, when the estimator has no response model or the plan's bounds cannot be met)."""
        if estimate.results is None or estimate.results.response is None:
            return []
        request = self._settings.plan_request()
        try:
            plan, designs = await asyncio.to_thread(make_plans, estimate.results, request)
        except (LiftOSError, ValueError) as error:
            metrics.RECOMMENDATIONS.labels("failed").inc()
            self._log.error("budget plan skipped", model_version=version, error=str(error))
            return []
        rows = recommendation_rows(plan, designs, version, datetime.now(UTC))
        await publish(self._producer, RECOMMENDATIONS, rows)
        await asyncio.to_thread(insert_events, self._client, rows)
        metrics.RECOMMENDATIONS.labels("published").inc()
        top = designs[0] if designs else None
        self._log.info(
            "recommendations published",
            model_version=version,
            plan={c: round(v) for c, v in plan.allocation.items()},
            gain=round(plan.gain),
            top_test=top.channel if top else None,
        )
        return rows

    def _watch_residuals(self, residuals: pd.DataFrame) -> None:
        """Feed residuals of days the detector has not seen; a detection asks for an early refit."""
        if residuals.empty:
            return
        fresh = (
            residuals if self._residuals_seen is None else residuals[residuals["date"] > self._residuals_seen]
        )
        detected = [self._drift.update(float(value)) for value in fresh["residual"]]
        self._residuals_seen = residuals["date"].max()
        if self._version > 1 and any(detected):
            self._drift_pending = True
            metrics.DRIFT_ALARMS.inc()
            self._log.warning("drift in one-step-ahead residuals; refitting early", days=len(fresh))


async def run(settings: CausalEngineSettings, log: Logger, stop: asyncio.Event) -> None:
    """Serve health and metrics, then refit on new data until ``stop`` is set."""
    await wait_for_broker(settings.kafka)
    await ensure_topics(settings.kafka, ALL_TOPICS)
    admin = await asyncio.to_thread(connect, settings.warehouse, use_database=False)
    await asyncio.to_thread(apply_migrations, admin, settings.warehouse.database)
    client = await asyncio.to_thread(connect, settings.warehouse)
    producer = make_producer(settings.kafka, client_suffix="causal-engine")
    await producer.start()
    consumer = make_consumer(settings.kafka, LIFT_TESTS.name, group_id="liftos-causal-engine-lift-tests")
    await consumer.start()
    health = await start_health_server(settings.observability, lambda: None)
    watch = PipelineWatch(settings.kafka, client)
    inbox = LiftTestInbox(consumer, client, DeadLetterSink(producer, "causal-engine"), log)
    engine = CausalEngine(settings, client, producer, log, watch, inbox)
    log.info("ready", model_version=engine.version, method=settings.method)
    try:
        while not stop.is_set():
            try:
                await engine.step()
            except Exception as error:  # a failed retrain is reported and retried, never fatal
                log.error("retrain failed", error=repr(error))
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.check_interval_s)
    finally:
        await health.cleanup()
        await watch.stop()
        await consumer.stop()
        await producer.stop()
        log.info("stopped")
