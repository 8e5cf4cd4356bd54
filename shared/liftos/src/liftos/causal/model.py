"""The response model behind the ``"mmm"`` estimator and its penalised least-squares fit.

    y_t = exp(X_t γ) · e^{u_t} + Σ_c β_c · hill(adstock(spend_c)_t; K_c, s_c)

with a multiplicative (log-linear) baseline from the calendar design ``X`` ``(T, K+1)``, additive media
contributions, and log errors ``u`` following AR(p) (fitted by GLS quasi-differencing). Priors on
``log(K_c / median adstocked spend)`` and ``s_c``, the log-normal effect prior (on iROAS or on the
outcome share, :class:`EffectPrior`), the random walk of time-varying levels and lift-test likelihood
terms enter as extra residual rows, so the fit is a MAP estimate solved with
``scipy.optimize.least_squares``.

Parameter vector ``p`` (length ``K+1 + C(4 + J)``): ``γ``, ``b`` (``β = b · mean(y)``), decay, log K
ratio, shape, then ``J`` knot weights per channel when levels vary over time (``β_c(t) = β_c·e^{f_c(t)}``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares  # type: ignore[import-untyped]
from scipy.signal import lfilter  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.transforms import adstock_weights, hill, hill_derivatives

__all__ = ["EffectPrior", "LiftRow", "MediaModel", "Problem", "fit_problem", "knot_basis"]

FloatArray = NDArray[np.float64]
_LOG_K_BOUNDS = (np.log(0.05), np.log(20.0))
_SHAPE_BOUNDS = (0.3, 4.0)
_MIN_B = 1e-6
_TV_BOUND = 3.0  # |log level change| of a channel between its first and last knot, at most e^3
_EXP_CLIP = 700.0
Response = tuple[FloatArray, FloatArray, FloatArray, FloatArray]  # h and its three derivatives


@dataclass(frozen=True)
class LiftRow:
    """A lift test resolved to the panel: channel index, inclusive period window, lift and its SE, and
    the share of spend the test kept in the window (0 = go dark)."""

    channel: int
    first: int
    last: int
    lift: float
    se: float
    scale: float = 0.0


@dataclass(frozen=True)
class MediaModel:
    """Media transforms for spend padded with ``lag - 1`` zero periods: ``spend`` ``(T + lag - 1, C)``;
    ``medians`` ``(C,)`` median positive adstocked spend at decay 0.5 (the Hill scale reference)."""

    spend: FloatArray
    lag: int
    medians: FloatArray

    @classmethod
    def build(cls, spend: FloatArray, lag: int) -> MediaModel:
        """From unpadded spend ``(T, C)``."""
        padded = np.vstack([spend, np.zeros((lag - 1, spend.shape[1]))])
        stocked = lfilter(adstock_weights(0.5, lag), [1.0], padded, axis=0)
        meds = np.array([np.median(col[col > 0]) if np.any(col > 0) else 1.0 for col in stocked.T])
        return cls(padded, lag, np.asarray(meds, dtype=np.float64))

    def response(
        self, c: int, decay: float, log_k: float, shape: float, spend: FloatArray | None = None
    ) -> Response:
        """Channel ``c``: ``h`` and ``dh/d(decay, log K, shape)``, each ``(T + lag - 1,)``."""
        s = self.spend[:, c] if spend is None else spend
        weights, dweights = _weights_and_derivative(decay, self.lag)
        x = lfilter(weights, [1.0], s)
        dx = lfilter(dweights, [1.0], s)
        k = float(np.exp(log_k)) * self.medians[c]
        h = hill(x, k, shape)
        d_logk, d_shape = hill_derivatives(x, k, shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            dh_dx = np.where(x > 0, shape * h * (1.0 - h) / np.where(x > 0, x, 1.0), 0.0)
        return h, dh_dx * dx, d_logk, d_shape


def _weights_and_derivative(decay: float, lag: int) -> tuple[FloatArray, FloatArray]:
    """Normalised geometric weights ``(lag,)`` and their derivative w.r.t. ``decay``."""
    lags = np.arange(lag, dtype=np.float64)
    powers = decay**lags
    total = powers.sum()
    dpowers = np.where(lags > 0, lags * decay ** np.maximum(lags - 1, 0), 0.0)
    dtotal = dpowers.sum()
    return powers / total, (dpowers * total - powers * dtotal) / total**2


@dataclass(frozen=True)
class EffectPrior:
    """Log-normal prior on each channel's whole-range lift relative to a unit-matching denominator.

    ``log(lift_c / denominators[c]) ~ N(mean, sd)``. ``kind`` ``"roi"``: the denominators are the
    channels' total spend (the prior is on iROAS; only valid when the outcome is money in the spend's
    currency); ``"share"``: the denominators are ``total outcome · spend_c / total spend``, so the prior
    is on the channel's share of the outcome relative to its share of spend (no unit: both shares are
    fractions; ``exp(mean)`` is the whole media mix's share of the outcome if all channels returned
    alike).
    """

    kind: str
    mean: float
    sd: float
    denominators: FloatArray


@dataclass(frozen=True)
class Problem:
    """One penalised least-squares problem.

    ``X`` ``(T, K+1)`` design with intercept; ``log_y`` ``(T,)``; ``scale`` = mean outcome (β = b·scale);
    ``ar`` AR(p) coefficients ``(p,)`` of the log errors; ``sigma`` their innovation SD; ``priors``
    (mean, sd) of the log K ratio and of the shape; ``lifts``: lift-test rows; ``decay_bounds``:
    (low, high); ``effect_prior``: the log-normal prior on each channel's lift (:class:`EffectPrior`)
    or None; ``gamma_prior_sd`` ``(K+1,)``: SD of a zero-mean prior per baseline coefficient (``inf`` =
    none), keeping calendar terms unseen in a short training window near 0.

    Time-varying effects (optional): ``tv_basis`` ``(T + lag - 1, J)`` piecewise-linear knot basis;
    channel ``c``'s saturation level is ``β_c · exp(tv_basis @ w_c)`` with ``w_c`` ``(J,)`` extra
    parameters, anchored at 0 on the last knot (so ``β_c`` is the level *now*) and a Gaussian random
    walk between knots with step SD ``tv_step_sd`` (log scale). ``row_weights`` ``(T,)``: optional
    weights of the data rows (recency weighting), 1 = as observed.
    """

    X: FloatArray
    log_y: FloatArray
    media: MediaModel
    scale: float
    ar: FloatArray
    sigma: float
    priors: tuple[tuple[float, float], tuple[float, float]]
    lifts: tuple[LiftRow, ...]
    decay_bounds: tuple[float, float]
    lift_weight: float = 1.0
    effect_prior: EffectPrior | None = None
    gamma_prior_sd: FloatArray | None = None
    tv_basis: FloatArray | None = None
    tv_step_sd: float = 0.15
    row_weights: FloatArray | None = None

    @property
    def n_channels(self) -> int:
        """Number of channels ``C``."""
        return int(self.media.spend.shape[1])

    @property
    def n_base(self) -> int:
        """Number of baseline coefficients ``K+1``."""
        return int(self.X.shape[1])

    @property
    def n_knots(self) -> int:
        """Free time-varying knots per channel ``J`` (0 without time variation)."""
        return 0 if self.tv_basis is None else int(self.tv_basis.shape[1])

    @property
    def n_params(self) -> int:
        """Length of the parameter vector."""
        return self.n_base + self.n_channels * (4 + self.n_knots)

    @property
    def n_data_rows(self) -> int:
        """Residual rows that come from the data (the rest are priors and lift tests)."""
        return len(self.log_y)

    def split(self, p: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """``p`` → (γ ``(K+1,)``, b, decay, log K ratio, shape; each ``(C,)``)."""
        k, c = self.n_base, self.n_channels
        return p[:k], p[k : k + c], p[k + c : k + 2 * c], p[k + 2 * c : k + 3 * c], p[k + 3 * c : k + 4 * c]

    def tv_weights(self, p: FloatArray) -> FloatArray:
        """Knot weights ``(J, C)`` of the time-varying levels (empty ``(0, C)`` without)."""
        start = self.n_base + 4 * self.n_channels
        return p[start:].reshape(self.n_channels, self.n_knots).T

    def multiplier(self, p: FloatArray) -> FloatArray:
        """Per-period multiplier of each channel's level ``(T + lag - 1, C)`` (ones when constant)."""
        rows = self.media.spend.shape[0]
        if self.tv_basis is None:
            return np.ones((rows, self.n_channels))
        return np.asarray(np.exp(self.tv_basis @ self.tv_weights(p)), dtype=np.float64)

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds of ``p``."""
        k, c, j = self.n_base, self.n_channels, self.n_knots
        low = np.concatenate(
            [
                np.full(k, -np.inf),
                np.full(c, 0.0 if self.effect_prior is None else _MIN_B),
                np.full(c, self.decay_bounds[0]),
                np.full(c, _LOG_K_BOUNDS[0]),
                np.full(c, _SHAPE_BOUNDS[0]),
                np.full(c * j, -_TV_BOUND),
            ]
        )
        high = np.concatenate(
            [
                np.full(k, np.inf),
                np.full(c, np.inf),
                np.full(c, self.decay_bounds[1]),
                np.full(c, _LOG_K_BOUNDS[1]),
                np.full(c, _SHAPE_BOUNDS[1]),
                np.full(c * j, _TV_BOUND),
            ]
        )
        return low, high

    def responses(self, p: FloatArray) -> list[Response]:
        """Per channel ``h`` and its three derivatives on the padded range."""
        _, _, decay, log_k, shape = self.split(p)
        return [self.media.response(c, decay[c], log_k[c], shape[c]) for c in range(self.n_channels)]

    def mean(self, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Baseline ``exp(Xγ)`` and media contribution matrix ``(T, C)``."""
        gamma, b = self.split(p)[:2]
        t = len(self.log_y)
        h = np.stack([r[0][:t] for r in self.responses(p)], axis=1)
        return np.exp(np.clip(self.X @ gamma, -_EXP_CLIP, _EXP_CLIP)), h * self.multiplier(p)[:t] * (
            b * self.scale
        )

    def whiten(self, rows: FloatArray) -> FloatArray:
        """AR(p) prediction-error filter ``e_t = r_t - Σ_j ar_j r_{t-j}`` along axis 0 (zero start)."""
        if self.ar.size == 0:
            return rows
        return np.asarray(lfilter(np.concatenate([[1.0], -self.ar]), [1.0], rows, axis=0), dtype=np.float64)

    def _row_scale(self) -> FloatArray:
        weights = np.ones(len(self.log_y)) if self.row_weights is None else self.row_weights
        return np.sqrt(weights) / self.sigma

    def residuals(self, p: FloatArray) -> FloatArray:
        """Scaled residual vector (data rows first, then priors and lift tests), no Jacobian."""
        base, contrib = self.mean(p)
        mu = base + contrib.sum(axis=1)
        res = self.whiten(self.log_y - np.log(mu)) * self._row_scale()
        resp = self.responses(p)
        mult = self.multiplier(p)
        gamma, b, _, log_k, shape = self.split(p)
        parts = [res, self._prior_rows(log_k, shape, len(p))[0], self._gamma_rows(gamma, len(p))[0]]
        parts += [self._effect_rows(b, resp, mult, len(p))[0], self._tv_rows(p)[0]]
        parts.append(self._lift_rows(p, resp, mult)[0])
        return np.concatenate(parts)

    def residuals_and_jacobian(self, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scaled residual vector (data rows first) and its Jacobian ``(rows, len(p))``."""
        gamma, b, _, log_k, shape = self.split(p)
        t, c, k = len(self.log_y), self.n_channels, self.n_base
        resp = self.responses(p)
        mult = self.multiplier(p)
        m_t = mult[:t]
        base = np.exp(np.clip(self.X @ gamma, -_EXP_CLIP, _EXP_CLIP))
        beta = b * self.scale
        h = np.stack([r[0][:t] for r in resp], axis=1)
        contrib = h * m_t * beta
        mu = base + contrib.sum(axis=1)
        jac = np.empty((t, len(p)))
        jac[:, :k] = -(base / mu)[:, None] * self.X
        jac[:, k : k + c] = -(h * m_t * self.scale) / mu[:, None]
        for j in range(3):
            dh = np.stack([r[j + 1][:t] for r in resp], axis=1)
            jac[:, k + (j + 1) * c : k + (j + 2) * c] = -(dh * m_t * beta) / mu[:, None]
        if self.tv_basis is not None:
            basis, nk = self.tv_basis[:t], self.n_knots
            for ch in range(c):
                cols = slice(k + 4 * c + ch * nk, k + 4 * c + (ch + 1) * nk)
                jac[:, cols] = -(contrib[:, ch : ch + 1] * basis) / mu[:, None]
        scale_rows = self._row_scale()
        res = self.whiten(self.log_y - np.log(mu)) * scale_rows
        jac = self.whiten(jac) * scale_rows[:, None]
        blocks = [
            self._prior_rows(log_k, shape, len(p)),
            self._gamma_rows(gamma, len(p)),
            self._effect_rows(b, resp, mult, len(p)),
            self._tv_rows(p),
            self._lift_rows(p, resp, mult),
        ]
        return (
            np.concatenate([res, *(r for r, _ in blocks)]),
            np.vstack([jac, *(j for _, j in blocks)]),
        )

    def channel_sums(self, b: FloatArray, resp: list[Response], mult: FloatArray) -> FloatArray:
        """Whole-range lift per channel ``b·scale·Σ_t m_t h_t`` (carryover tail included), ``(C,)``."""
        return np.array([b[c] * self.scale * float(mult[:, c] @ resp[c][0]) for c in range(self.n_channels)])

    def level_sums(self, p: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``S_c = Σ_t m_c(t) h_c(t)`` over the padded range ``(C,)`` (whole-range lift = b·scale·S),
        ``d log S / d(decay, log K, shape)`` ``(C, 3)`` and ``d log S / d w`` ``(C, J)``."""
        resp, mult = self.responses(p), self.multiplier(p)
        c = self.n_channels
        sums = np.array([[float(mult[:, ch] @ resp[ch][j]) for j in range(4)] for ch in range(c)])
        total = np.maximum(sums[:, 0], 1e-300)
        d_theta = sums[:, 1:] / total[:, None]
        d_w = np.zeros((c, self.n_knots))
        if self.tv_basis is not None:
            for ch in range(c):
                d_w[ch] = (mult[:, ch] * resp[ch][0]) @ self.tv_basis / total[ch]
        return total, d_theta, d_w

    def _effect_rows(
        self, b: FloatArray, resp: list[Response], mult: FloatArray, n: int
    ) -> tuple[FloatArray, FloatArray]:
        """The :class:`EffectPrior` rows: ``(log(lift_c / denominator_c) - mean) / sd``."""
        prior = self.effect_prior
        if prior is None:
            return np.zeros(0), np.zeros((0, n))
        c, k, nk = self.n_channels, self.n_base, self.n_knots
        sums = np.array([[float(mult[:, ch] @ resp[ch][j]) for j in range(4)] for ch in range(c)])  # (C, 4)
        safe_b = np.maximum(b, _MIN_B)
        h_sum = np.maximum(sums[:, 0], 1e-12)
        res = (np.log(safe_b * self.scale * h_sum / prior.denominators) - prior.mean) / prior.sd
        jac = np.zeros((c, n))
        rows = np.arange(c)
        jac[rows, k + rows] = np.where(b > _MIN_B, 1.0 / safe_b, 0.0) / prior.sd
        for j in range(3):
            jac[rows, k + (j + 1) * c + rows] = sums[:, j + 1] / h_sum / prior.sd
        if self.tv_basis is not None:
            for ch in range(c):
                weighted = mult[:, ch] * resp[ch][0]
                cols = slice(k + 4 * c + ch * nk, k + 4 * c + (ch + 1) * nk)
                jac[ch, cols] = (weighted @ self.tv_basis) / h_sum[ch] / prior.sd
        return res, jac

    def _tv_rows(self, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Random-walk prior between consecutive knots (the last knot is anchored at 0)."""
        if self.tv_basis is None:
            return np.zeros(0), np.zeros((0, len(p)))
        c, nk, start = self.n_channels, self.n_knots, self.n_base + 4 * self.n_channels
        diff = np.eye(nk) - np.eye(nk, k=1)  # w_j - w_{j+1}; the last row is w_{J-1} - 0
        w = self.tv_weights(p)  # (J, C)
        res = (diff @ w).T.ravel() / self.tv_step_sd
        jac = np.zeros((c * nk, len(p)))
        for ch in range(c):
            jac[ch * nk : (ch + 1) * nk, start + ch * nk : start + (ch + 1) * nk] = diff / self.tv_step_sd
        return res, jac

    def _gamma_rows(self, gamma: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
        if self.gamma_prior_sd is None:
            return np.zeros(0), np.zeros((0, n))
        penalised = np.flatnonzero(np.isfinite(self.gamma_prior_sd))
        jac = np.zeros((penalised.size, n))
        jac[np.arange(penalised.size), penalised] = 1.0 / self.gamma_prior_sd[penalised]
        return gamma[penalised] / self.gamma_prior_sd[penalised], jac

    def _prior_rows(self, log_k: FloatArray, shape: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
        c, k = self.n_channels, self.n_base
        (mk, sk), (ms, ss) = self.priors
        res = np.concatenate([(log_k - mk) / sk, (shape - ms) / ss])
        jac = np.zeros((2 * c, n))
        jac[np.arange(c), k + 2 * c + np.arange(c)] = 1.0 / sk
        jac[c + np.arange(c), k + 3 * c + np.arange(c)] = 1.0 / ss
        return res, jac

    def lift_prediction(
        self,
        p: FloatArray,
        row: LiftRow,
        resp: list[Response] | None = None,
        mult: FloatArray | None = None,
    ) -> tuple[float, FloatArray]:
        """Predicted lift of ``row``'s window (carryover tail included) and its gradient w.r.t. ``p``."""
        _, b, decay, log_k, shape = self.split(p)
        c, k, n, nk = row.channel, self.n_base, self.n_channels, self.n_knots
        actual = resp[c] if resp is not None else self.media.response(c, decay[c], log_k[c], shape[c])
        m = (self.multiplier(p) if mult is None else mult)[:, c]
        spend = self.media.spend[:, c].copy()
        spend[row.first : row.last + 1] *= row.scale
        cf = self.media.response(c, decay[c], log_k[c], shape[c], spend)
        diff = [float(m @ (a - z)) for a, z in zip(actual, cf, strict=True)]
        grad = np.zeros(len(p))
        grad[k + c] = diff[0] * self.scale
        for j in range(3):
            grad[k + (j + 1) * n + c] = b[c] * self.scale * diff[j + 1]
        if self.tv_basis is not None:
            start = k + 4 * n + c * nk
            grad[start : start + nk] = b[c] * self.scale * ((m * (actual[0] - cf[0])) @ self.tv_basis)
        return float(b[c] * self.scale * diff[0]), grad

    def _lift_rows(
        self, p: FloatArray, resp: list[Response], mult: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        if not self.lifts:
            return np.zeros(0), np.zeros((0, len(p)))
        weight = np.sqrt(self.lift_weight)
        preds = [self.lift_prediction(p, row, resp, mult) for row in self.lifts]
        res = np.array(
            [weight * (v - row.lift) / row.se for (v, _), row in zip(preds, self.lifts, strict=True)]
        )
        jac = np.stack([weight * g / row.se for (_, g), row in zip(preds, self.lifts, strict=True)])
        return res, jac

    def objective(self, p: FloatArray) -> float:
        """Half the sum of squared scaled residuals."""
        return 0.5 * float(np.sum(self.residuals(p) ** 2))


def knot_basis(n_periods: int, lag: int, spacing: int) -> FloatArray | None:
    """Piecewise-linear ("hat") basis of knots every ~``spacing`` periods, the last one (at ``T - 1``)
    anchored, over the padded range: ``(T + lag - 1, J)``; rows past the range equal the last period's
    (zero: effects after the range stay at their last level). None when the range holds fewer than two
    spacings (too short to tell a change from noise)."""
    if n_periods < 2 * spacing:
        return None
    knots = np.linspace(0.0, n_periods - 1.0, round((n_periods - 1) / spacing) + 1)
    t = np.minimum(np.arange(n_periods + lag - 1, dtype=np.float64), n_periods - 1.0)
    width = knots[1] - knots[0]
    basis = np.clip(1.0 - np.abs(t[:, None] - knots[None, :-1]) / width, 0.0, None)
    return np.ascontiguousarray(basis)


def fit_problem(problem: Problem, start: FloatArray, max_nfev: int = 200) -> FloatArray:
    """MAP parameters of ``problem`` from ``start`` (clipped into the bounds)."""
    low, high = problem.bounds()
    margin = 1e-7 * (1.0 + np.abs(np.where(np.isfinite(low), low, 0.0)))
    x0 = np.clip(
        start, np.where(np.isfinite(low), low + margin, low), np.where(np.isfinite(high), high - margin, high)
    )
    cache: dict[bytes, tuple[FloatArray, FloatArray]] = {}

    def evaluate(p: FloatArray) -> tuple[FloatArray, FloatArray]:
        key = p.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = problem.residuals_and_jacobian(p)
        return cache[key]

    with threadpool_limits(1):  # BLAS threads cost ~30x on these small dense solves
        result = least_squares(
            lambda p: evaluate(p)[0],
            x0,
            jac=lambda p: evaluate(p)[1],
            bounds=(low, high),
            method="trf",
            x_scale=1.0,
            max_nfev=max_nfev,
            xtol=1e-8,
            ftol=1e-9,
        )
    return np.asarray(result.x, dtype=np.float64)
