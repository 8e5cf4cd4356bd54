"""Prometheus metrics of the causal engine (``liftos_causal_engine_*``)."""

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "COMPLETENESS",
    "DRIFT_ALARMS",
    "EFFECTS_PUBLISHED",
    "EFFECT_FRESHNESS_SECONDS",
    "FIT_SECONDS",
    "HELD",
    "HOLDS",
    "LAST_FIT",
    "MODEL_VERSION",
    "RECOMMENDATIONS",
    "RETRAINS",
]

RETRAINS = Counter("liftos_causal_engine_retrains_total", "Retrains", ["outcome", "trigger"])
FIT_SECONDS = Histogram(
    "liftos_causal_engine_fit_seconds",
    "Time to fit one model version (s)",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120),
)
EFFECT_FRESHNESS_SECONDS = Histogram(
    "liftos_causal_engine_effect_freshness_seconds",
    "Per new day: from the day's start on the business clock (when the platforms begin serving it) to"
    " the first published effect update whose window includes it (s)",
    buckets=(
        1,
        2,
        5,
        10,
        20,
        30,
        60,
        120,
        300,
        900,
        3600,
        4 * 3600,
        12 * 3600,
        86_400,
        2 * 86_400,
        7 * 86_400,
    ),
)
MODEL_VERSION = Gauge("liftos_causal_engine_model_version", "Latest published model version")
LAST_FIT = Gauge("liftos_causal_engine_last_fit_timestamp_seconds", "Unix time of the last published version")
EFFECTS_PUBLISHED = Counter(
    "liftos_causal_engine_effects_published_total", "Effect updates published", ["channel"]
)
DRIFT_ALARMS = Counter(
    "liftos_causal_engine_drift_alarms_total", "Drift detected in one-step-ahead residuals (early refit)"
)

HELD = Gauge("liftos_causal_engine_held", "1 while the completeness gate holds refits, else 0")
HOLDS = Counter("liftos_causal_engine_holds_total", "Refits held by the completeness gate")
COMPLETENESS = Gauge(
    "liftos_causal_engine_completeness_ratio",
    "Lowest share of expected days present over every source account, at the last gate",
)
RECOMMENDATIONS = Counter(
    "liftos_causal_engine_recommendations_total",
    "Budget plans with experiment rankings published, or failed (e.g. bounds that cannot be met)",
    ["outcome"],
)

for _outcome in ("published", "failed"):
    RECOMMENDATIONS.labels(_outcome)
for _outcome in ("published", "failed", "unchanged"):
    for _trigger in ("new_data", "drift"):
        RETRAINS.labels(_outcome, _trigger)  # exported at 0, so the first failure is visible to increase()
