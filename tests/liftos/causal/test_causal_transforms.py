"""Adstock and Hill math."""

from __future__ import annotations

import numpy as np
import pytest

from liftos.causal.transforms import adstock, adstock_weights, hill, hill_derivatives


def test_adstock_weights_are_normalised_geometric() -> None:
    w = adstock_weights(0.6, 10)
    assert w.sum() == pytest.approx(1.0)
    assert np.allclose(w[1:] / w[:-1], 0.6)


def test_adstock_preserves_total_with_padding_and_matches_convolution() -> None:
    spend = np.r_[np.random.default_rng(0).uniform(0, 10, 50), np.zeros(9)]
    out = adstock(spend, 0.7, 10)
    assert out.sum() == pytest.approx(spend.sum())
    assert np.allclose(out, np.convolve(spend, adstock_weights(0.7, 10))[: len(spend)])


def test_adstock_zero_decay_is_identity_and_2d_matches_columns() -> None:
    spend = np.random.default_rng(1).uniform(0, 5, (30, 2))
    assert np.allclose(adstock(spend[:, 0], 0.0, 5), spend[:, 0])
    both = adstock(spend, 0.4, 6)
    assert np.allclose(both[:, 1], adstock(spend[:, 1], 0.4, 6))


def test_hill_half_saturation_and_bounds() -> None:
    assert hill(np.array([2.0]), 2.0, 1.7)[0] == pytest.approx(0.5)
    values = hill(np.array([0.0, 1.0, 100.0, -3.0]), 2.0, 1.0)
    assert values[0] == 0.0 and values[3] == 0.0 and 0 < values[1] < values[2] < 1


def test_hill_derivatives_match_finite_differences() -> None:
    x, k, s, eps = np.array([0.5, 1.0, 3.0]), 1.3, 1.4, 1e-6
    d_logk, d_shape = hill_derivatives(x, k, s)
    num_k = (hill(x, k * np.exp(eps), s) - hill(x, k, s)) / eps
    num_s = (hill(x, k, s + eps) - hill(x, k, s)) / eps
    assert np.allclose(d_logk, num_k, atol=1e-5) and np.allclose(d_shape, num_s, atol=1e-5)


def test_invalid_parameters_raise() -> None:
    with pytest.raises(ValueError):
        adstock_weights(1.0, 5)
    with pytest.raises(ValueError):
        hill(np.ones(2), 0.0, 1.0)
