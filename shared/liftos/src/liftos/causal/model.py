"""The response model behind the ``"mmm"`` estimator and its penalised least-squares fit.

    y_t = exp(X_t γ) · e^{u_t} + Σ_c β_c · hill(adstock(spend_c)_t; K_c, s_c)

with a multiplicative (log-linear) baseline from the calendar design ``X`` ``(T, K+1)``, additive media
contributions, and log errors ``u`` following AR(1) (fitted by GLS quasi-differencing). Priors on
``log(K_c / median adstocked spend)`` and ``s_c`` and lift-test likelihood terms enter as extra residual
rows, so the fit is a MAP estimate solved with ``scipy.optimize.least_squares``.

Parameter vector ``p`` (length ``K+1 + 4C``): ``γ``, ``b`` (``β = b · mean(y)``), decay, log K ratio, shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares  # type: ignore[import-untyped]
from scipy.signal import lfilter  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from liftos.causal.transforms import adstock_weights, hill, hill_derivatives

__all__ = ["LiftRow", "MediaModel", "Problem", "fit_problem"]

FloatArray = NDArray[np.float64]
_LOG_K_BOUNDS = (np.log(0.05), np.log(20.0))
_SHAPE_BOUNDS = (0.3, 4.0)
_MIN_B = 1e-6
Response = tuple[FloatArray, FloatArray, FloatArray, FloatArray]  # h and its three derivatives


@dataclass(frozen=True)
class LiftRow:
    """A lift test resolved to the panel: channel index, inclusive period window, lift and its SE."""

    channel: int
    first: int
    last: int
    lift: float
    se: float


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
class Problem:
    """One penalised least-squares problem.

    ``X`` ``(T, K+1)`` design with intercept; ``log_y`` ``(T,)``; ``scale`` = mean outcome (β = b·scale);
    ``ar`` AR(p) coefficients ``(p,)`` of the log errors; ``sigma`` their innovation SD; ``priors``
    (mean, sd) of the log K ratio and of the shape; ``lifts``: lift-test rows; ``decay_bounds``:
    (low, high); ``roi_prior``: (mean, sd) of ``log iROAS`` per channel over the whole range, or
    None; ``gamma_prior_sd`` ``(K+1,)``: SD of a zero-mean prior per baseline coefficient (``inf`` =
    none), keeping calendar terms unseen in a short training window near 0.
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
    roi_prior: tuple[float, float] | None = None
    gamma_prior_sd: FloatArray | None = None

    @property
    def n_channels(self) -> int:
        """Number of channels ``C``."""
        return int(self.media.spend.shape[1])

    @property
    def n_base(self) -> int:
        """Number of baseline coefficients ``K+1``."""
        return int(self.X.shape[1])

    def split(self, p: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """``p`` → (γ ``(K+1,)``, b, decay, log K ratio, shape; each ``(C,)``)."""
        k, c = self.n_base, self.n_channels
        return p[:k], p[k : k + c], p[k + c : k + 2 * c], p[k + 2 * c : k + 3 * c], p[k + 3 * c :]

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds of ``p``."""
        k, c = self.n_base, self.n_channels
        low = np.concatenate(
            [
                np.full(k, -np.inf),
                np.full(c, 0.0 if self.roi_prior is None else _MIN_B),
                np.full(c, self.decay_bounds[0]),
                np.full(c, _LOG_K_BOUNDS[0]),
                np.full(c, _SHAPE_BOUNDS[0]),
            ]
        )
        high = np.concatenate(
            [
                np.full(k, np.inf),
                np.full(c, np.inf),
                np.full(c, self.decay_bounds[1]),
                np.full(c, _LOG_K_BOUNDS[1]),
                np.full(c, _SHAPE_BOUNDS[1]),
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
        return np.exp(self.X @ gamma), h * (b * self.scale)

    def whiten(self, rows: FloatArray) -> FloatArray:
        """AR(p) prediction-error filter ``e_t = r_t - Σ_j ar_j r_{t-j}`` along axis 0 (zero start)."""
        if self.ar.size == 0:
            return rows
        return np.asarray(lfilter(np.concatenate([[1.0], -self.ar]), [1.0], rows, axis=0), dtype=np.float64)

    def residuals_and_jacobian(self, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scaled residual vector ``(T + 2C + L,)`` and its Jacobian ``(T + 2C + L, len(p))``."""
        gamma, b, _, log_k, shape = self.split(p)
        t, c, k = len(self.log_y), self.n_channels, self.n_base
        resp = self.responses(p)
        base = np.exp(self.X @ gamma)
        beta = b * self.scale
        h = np.stack([r[0][:t] for r in resp], axis=1)
        mu = base + h @ beta
        jac = np.empty((t, len(p)))
        jac[:, :k] = -(base / mu)[:, None] * self.X
        jac[:, k : k + c] = -(h * self.scale) / mu[:, None]
        for j in range(3):
            dh = np.stack([r[j + 1][:t] for r in resp], axis=1)
            jac[:, k + (j + 1) * c : k + (j + 2) * c] = -(dh * beta) / mu[:, None]
        res = self.whiten(self.log_y - np.log(mu)) / self.sigma
        jac = self.whiten(jac) / self.sigma
        prior_res, prior_jac = self._prior_rows(log_k, shape, len(p))
        if self.gamma_prior_sd is not None:
            penalised = np.flatnonzero(np.isfinite(self.gamma_prior_sd))
            g_jac = np.zeros((penalised.size, len(p)))
            g_jac[np.arange(penalised.size), penalised] = 1.0 / self.gamma_prior_sd[penalised]
            prior_res = np.concatenate([prior_res, gamma[penalised] / self.gamma_prior_sd[penalised]])
            prior_jac = np.vstack([prior_jac, g_jac])
        roi_res, roi_jac = self._roi_rows(b, resp, len(p))
        lift_res, lift_jac = self._lift_rows(p, resp)
        return (
            np.concatenate([res, prior_res, roi_res, lift_res]),
            np.vstack([jac, prior_jac, roi_jac, lift_jac]),
        )

    def _roi_rows(self, b: FloatArray, resp: list[Response], n: int) -> tuple[FloatArray, FloatArray]:
        """Log-normal prior on each channel's whole-range iROAS ``b·scale·Σh / Σspend``."""
        c, k = self.n_channels, self.n_base
        if self.roi_prior is None:
            return np.zeros(0), np.zeros((0, n))
        mean, sd = self.roi_prior
        spend = np.maximum(self.media.spend.sum(axis=0), 1e-12)
        sums = np.array([[r[j].sum() for j in range(4)] for r in resp])  # (C, 4)
        safe_b = np.maximum(b, _MIN_B)
        h_sum = np.maximum(sums[:, 0], 1e-12)
        res = (np.log(safe_b * self.scale * h_sum / spend) - mean) / sd
        jac = np.zeros((c, n))
        rows = np.arange(c)
        jac[rows, k + rows] = np.where(b > _MIN_B, 1.0 / safe_b, 0.0) / sd
        for j in range(3):
            jac[rows, k + (j + 1) * c + rows] = sums[:, j + 1] / h_sum / sd
        return res, jac

    def _prior_rows(self, log_k: FloatArray, shape: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
        c, k = self.n_channels, self.n_base
        (mk, sk), (ms, ss) = self.priors
        res = np.concatenate([(log_k - mk) / sk, (shape - ms) / ss])
        jac = np.zeros((2 * c, n))
        jac[np.arange(c), k + 2 * c + np.arange(c)] = 1.0 / sk
        jac[c + np.arange(c), k + 3 * c + np.arange(c)] = 1.0 / ss
        return res, jac

    def lift_prediction(
        self, p: FloatArray, row: LiftRow, resp: list[Response] | None = None
    ) -> tuple[float, FloatArray]:
        """Predicted lift of ``row``'s window (carryover tail included) and its gradient w.r.t. ``p``."""
        _, b, decay, log_k, shape = self.split(p)
        c, k, n = row.channel, self.n_base, self.n_channels
        actual = resp[c] if resp is not None else self.media.response(c, decay[c], log_k[c], shape[c])
        spend = self.media.spend[:, c].copy()
        spend[row.first : row.last + 1] = 0.0
        cf = self.media.response(c, decay[c], log_k[c], shape[c], spend)
        diff = [a.sum() - z.sum() for a, z in zip(actual, cf, strict=True)]
        grad = np.zeros(len(p))
        grad[k + c] = diff[0] * self.scale
        for j in range(3):
            grad[k + (j + 1) * n + c] = b[c] * self.scale * diff[j + 1]
        return float(b[c] * self.scale * diff[0]), grad

    def _lift_rows(self, p: FloatArray, resp: list[Response]) -> tuple[FloatArray, FloatArray]:
        if not self.lifts:
            return np.zeros(0), np.zeros((0, len(p)))
        weight = np.sqrt(self.lift_weight)
        preds = [self.lift_prediction(p, row, resp) for row in self.lifts]
        res = np.array(
            [weight * (v - row.lift) / row.se for (v, _), row in zip(preds, self.lifts, strict=True)]
        )
        jac = np.stack([weight * g / row.se for (_, g), row in zip(preds, self.lifts, strict=True)])
        return res, jac

    def objective(self, p: FloatArray) -> float:
        """Half the sum of squared scaled residuals."""
        return 0.5 * float(np.sum(self.residuals_and_jacobian(p)[0] ** 2))


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
