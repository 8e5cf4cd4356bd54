"""``CausalAPI``: the user-facing entry point (``liftos.Client().causal()``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Unpack

import pandas as pd

from liftos.causal.data import CausalDataset, Frequency, prepare_causal_data
from liftos.causal.estimators import get_estimator
from liftos.causal.lift import LiftTest, parse_lift_tests
from liftos.causal.results import CausalResults
from liftos.causal.spec import Assignment, AttributionModel, ModelSpec, SpecOptions

__all__ = ["CausalAPI"]


class CausalAPI:
    """Prepare data and estimate each channel's incremental effect (pure; no network)."""

    def prepare_causal_data(
        self,
        data: pd.DataFrame,
        treatment_variables: Sequence[str],
        outcome_variables: Sequence[str],
        control_variables: Sequence[str] | None = None,
        time_variable: str = "date",
        entity_variable: str | None = None,
        *,
        channel_variable: str = "channel",
        outcome_data: pd.DataFrame | None = None,
        frequency: Frequency | None = None,
        outcome_currency: str | None = None,
        spend_currency: str | None = None,
    ) -> CausalDataset:
        """See :func:`liftos.causal.data.prepare_causal_data`."""
        return prepare_causal_data(
            data,
            treatment_variables,
            outcome_variables,
            control_variables,
            time_variable,
            entity_variable,
            channel_variable=channel_variable,
            outcome_data=outcome_data,
            frequency=frequency,
            outcome_currency=outcome_currency,
            spend_currency=spend_currency,
        )

    def analyze_attribution(
        self,
        data: CausalDataset | pd.DataFrame,
        treatment_variables: Sequence[str] | None = None,
        outcome_variables: Sequence[str] | None = None,
        control_variables: Sequence[str] | None = None,
        time_variable: str = "date",
        entity_variable: str | None = None,
        attribution_model: AttributionModel = "mmm",
        treatment_assignment: Assignment = "observational",
        confidence_level: float = 0.95,
        cross_validation: bool = True,
        lift_tests: Sequence[Mapping[str, Any] | LiftTest] | None = None,
        seed: int = 0,
        *,
        outcome_currency: str | None = None,
        spend_currency: str | None = None,
        **options: Unpack[SpecOptions],
    ) -> CausalResults:
        """Estimate each channel's effect.

        ``data``: a :class:`CausalDataset` or a long/wide frame (then prepared with the variables given).
        ``lift_tests``: ``[{channel, start, end, incremental_revenue, standard_error}]`` (MMM only).
        ``outcome_currency`` / ``spend_currency``: declare the units (see
        :func:`liftos.causal.data.prepare_causal_data`): only an outcome that is money in the spend's
        currency gets the iROAS prior; otherwise the prior is on each channel's share of the outcome.
        ``options``: further :class:`ModelSpec` fields (:class:`~liftos.causal.spec.SpecOptions`, e.g.
        ``interval_method``, ``fourier_order``).
        """
        if not isinstance(data, CausalDataset):
            if not treatment_variables or not outcome_variables:
                raise ValueError("treatment_variables and outcome_variables are required for a DataFrame")
            data = self.prepare_causal_data(
                data,
                treatment_variables,
                outcome_variables,
                control_variables,
                time_variable,
                entity_variable,
                outcome_currency=outcome_currency,
                spend_currency=spend_currency,
            )
        elif outcome_currency is not None or spend_currency is not None:
            data = replace(
                data,
                outcome_currency=outcome_currency or data.outcome_currency,
                spend_currency=spend_currency or data.spend_currency,
            )
        spec = ModelSpec(
            attribution_model=attribution_model,
            treatment_assignment=treatment_assignment,
            confidence_level=confidence_level,
            cross_validation=cross_validation,
            seed=seed,
            **options,
        )
        return get_estimator(spec.attribution_model).fit(data, spec, parse_lift_tests(lift_tests))
