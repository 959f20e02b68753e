"""Goodness-of-fit statistics and savings uncertainty (ASHRAE Guideline 14).

All functions take numpy arrays (or anything ``np.asarray`` accepts) and return plain floats.
``p`` is always the number of fitted model parameters *including* the intercept, the convention
of ASHRAE Guideline 14 (and of statsmodels' ``df_resid = n - p``).

Undefined values are ``nan`` rather than an exception where a fit can legitimately produce them
(for example R² of a perfectly constant series); invalid arguments (mismatched lengths, n <= p)
raise ``ValueError``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

__all__ = [
    "FitStatistics",
    "adj_r_squared",
    "autocorr_lag1",
    "cvrmse",
    "fit_statistics",
    "fsu",
    "g14_cvrmse_limit",
    "g14_verdict",
    "nmbe",
    "r_squared",
    "sun_balthazar_y",
    "t_statistic",
    "uncertainty_fraction",
]

#: G14 Annex B constant used when the Sun–Balthazar correction is not applied.
G14_Y = 1.26

# Sun & Balthazar (2014) polynomial corrections of the G14 uncertainty for daily and billing
# (monthly) models, in reporting months M; the values OpenEEmeter 2.x uses.
_SUN_BALTHAZAR = {
    "daily": (-0.00024, 0.03535, 1.00286),
    "billing": (-0.00022, 0.03306, 0.94054),
}


def _pair(y, yhat) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    yhat = np.asarray(yhat, dtype=float)
    if y.shape != yhat.shape or y.ndim != 1:
        raise ValueError(
            f"y and yhat must be 1-d arrays of equal length, got {y.shape}, {yhat.shape}"
        )
    return y, yhat


def _check_dof(n: int, p: int) -> None:
    if p < 0:
        raise ValueError(f"p must be >= 0, got {p}")
    if n - p <= 0:
        raise ValueError(f"need more observations than parameters: n={n}, p={p}")


def r_squared(y, yhat) -> float:
    """Coefficient of determination R² = 1 − SSE / SST.

    ``y`` observed and ``yhat`` predicted values, same units (e.g. kWh per day).
    Returns ``nan`` when ``y`` is constant (SST = 0), where R² is undefined.

    Raises:
        ValueError: shapes differ or are not 1-d.
    """
    y, yhat = _pair(y, yhat)
    if y.size == 0:
        return math.nan
    sst = float(np.sum((y - y.mean()) ** 2))
    sse = float(np.sum((y - yhat) ** 2))
    if sst == 0.0:
        return math.nan
    return 1.0 - sse / sst


def adj_r_squared(y, yhat, p: int) -> float:
    """Adjusted R² = 1 − (1 − R²)(n − 1)/(n − p), ``p`` parameters including the intercept.

    Returns ``nan`` where R² is undefined.

    Raises:
        ValueError: shapes differ, or ``n <= p``.
    """
    y, yhat = _pair(y, yhat)
    n = y.size
    _check_dof(n, p)
    r2 = r_squared(y, yhat)
    return 1.0 - (1.0 - r2) * (n - 1) / (n - p)


def cvrmse(y, yhat, p: int) -> float:
    """CV(RMSE) = sqrt(Σ(y − ŷ)² / (n − p)) / ȳ, as a fraction (0.2 means 20 %).

    Returns ``nan`` when the mean of ``y`` is zero.

    Raises:
        ValueError: shapes differ, or ``n <= p``.
    """
    y, yhat = _pair(y, yhat)
    n = y.size
    _check_dof(n, p)
    ybar = float(y.mean())
    if ybar == 0.0:
        return math.nan
    return math.sqrt(float(np.sum((y - yhat) ** 2)) / (n - p)) / ybar


def nmbe(y, yhat, p: int) -> float:
    """NMBE = Σ(y − ŷ) / ((n − p) · ȳ), as a fraction; positive when the model under-predicts.

    Returns ``nan`` when the mean of ``y`` is zero.

    Raises:
        ValueError: shapes differ, or ``n <= p``.
    """
    y, yhat = _pair(y, yhat)
    n = y.size
    _check_dof(n, p)
    ybar = float(y.mean())
    if ybar == 0.0:
        return math.nan
    return float(np.sum(y - yhat)) / ((n - p) * ybar)


def autocorr_lag1(residuals) -> float:
    """Lag-1 autocorrelation of residuals in time order.

    Pearson correlation of the pairs (e[t−1], e[t]) — the definition of pandas'
    ``Series.autocorr(lag=1)``, which OpenEEmeter 2.x uses for its FSU. Returns 0.0 for fewer
    than three residuals or when either lagged series is constant, so that the FSU falls back to
    the uncorrelated case instead of propagating ``nan``.

    Raises:
        ValueError: residuals are not 1-d or contain non-finite values.
    """
    e = np.asarray(residuals, dtype=float)
    if e.ndim != 1:
        raise ValueError("residuals must be a 1-d array")
    if not np.all(np.isfinite(e)):
        raise ValueError("residuals must be finite")
    if e.size < 3:
        return 0.0
    a, b = e[:-1], e[1:]
    da, db = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    if denom == 0.0:
        return 0.0
    return float(np.dot(da, db)) / denom


def t_statistic(confidence: float, dof: int) -> float:
    """Two-tailed Student t value t(α/2, dof) for a confidence level such as 0.90.

    Raises:
        ValueError: confidence outside (0, 1) or dof < 1.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if dof < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {dof}")
    return _t_ppf(1.0 - (1.0 - confidence) / 2.0, dof)


@functools.lru_cache(maxsize=4096)
def _t_ppf(q: float, dof: int) -> float:
    # Cached: a nightly run asks for the same few (confidence, n − p) pairs thousands of times,
    # and each scipy call costs more than the rest of the uncertainty formula.
    # scipy.stats takes ~0.5 s to import: load it on first use, not with the engine.
    from scipy import stats as _sps

    return float(_sps.t.ppf(q, dof))


def sun_balthazar_y(reporting_months: float, interval: Literal["daily", "billing"]) -> float:
    """Sun–Balthazar correction factor Y(M) at ``reporting_months`` M of reporting data.

    Daily: −0.00024M² + 0.03535M + 1.00286; billing: −0.00022M² + 0.03306M + 0.94054.

    Raises:
        ValueError: unknown interval.
    """
    try:
        a, b, c = _SUN_BALTHAZAR[interval]
    except KeyError:
        raise ValueError(f"interval must be 'daily' or 'billing', got {interval!r}") from None
    m = float(reporting_months)
    return a * m * m + b * m + c


def uncertainty_fraction(
    *,
    cvrmse: float,
    n: int,
    p: int,
    m: int,
    rho: float = 0.0,
    confidence: float = 0.90,
    interval: Literal["g14", "daily", "billing"] = "g14",
    reporting_months: float | None = None,
) -> float:
    """Savings uncertainty ΔE as a fraction of the adjusted baseline energy (G14 Annex B).

    ΔE / E_adj = t(α/2, n − p) · Y · CV(RMSE) · sqrt((n / n′) · (1 + 2 / n′) · (1 / m)),
    with n′ = n (1 − ρ) / (1 + ρ).

    Args:
        cvrmse: baseline model CV(RMSE) as a fraction.
        n: number of baseline observations (days, bills or hours).
        p: number of model parameters, including the intercept.
        m: number of reporting-period observations (same interval as ``n``).
        rho: lag-1 autocorrelation of baseline residuals (see :func:`autocorr_lag1`).
        confidence: two-tailed confidence level, e.g. 0.90 or 0.68.
        interval: ``"g14"`` uses Y = 1.26; ``"daily"`` / ``"billing"`` use the Sun–Balthazar
            polynomial at the *reporting* length.
        reporting_months: M for the polynomial; default ``m / 30`` for daily, ``m`` for billing
            (each bill counted as one month).

    Returns ``inf`` when ρ ≥ 1 (no effective information in the baseline).

    Raises:
        ValueError: n <= p, m < 1, bad confidence or interval.
    """
    _check_dof(n, p)
    if m < 1:
        raise ValueError(f"m (reporting observations) must be >= 1, got {m}")
    if interval == "g14":
        y_factor = G14_Y
    else:
        if reporting_months is None:
            reporting_months = m / 30.0 if interval == "daily" else float(m)
        y_factor = sun_balthazar_y(reporting_months, interval)
    if math.isnan(rho):
        # Exact fits leave zero residuals, whose autocorrelation is undefined: no correction.
        rho = 0.0
    if rho >= 1.0:
        return math.inf
    # At ρ → −1, n′ grows without bound; keep it finite (the correction term then vanishes).
    rho = max(rho, -0.999999)
    n_prime = n * (1.0 - rho) / (1.0 + rho)
    t = t_statistic(confidence, n - p)
    return t * y_factor * cvrmse * math.sqrt((n / n_prime) * (1.0 + 2.0 / n_prime) / m)


def fsu(
    *,
    cvrmse: float,
    n: int,
    p: int,
    m: int,
    savings_fraction: float,
    rho: float = 0.0,
    confidence: float = 0.90,
    interval: Literal["g14", "daily", "billing"] = "g14",
    reporting_months: float | None = None,
) -> float:
    """Fractional savings uncertainty FSU = ΔE / savings (G14 Annex B, with autocorrelation).

    ``savings_fraction`` is savings / adjusted baseline energy over the reporting period
    (e.g. 0.10 for 10 % savings); the other arguments are those of
    :func:`uncertainty_fraction`, so FSU = uncertainty_fraction(...) / |savings_fraction|.
    A result of 0.21 means the savings are known to ±21 % at the given confidence.

    Returns ``inf`` when the savings fraction is zero (the uncertainty is unbounded relative to
    no savings) or when ρ ≥ 1.

    Raises:
        ValueError: as :func:`uncertainty_fraction`.
    """
    frac = uncertainty_fraction(
        cvrmse=cvrmse,
        n=n,
        p=p,
        m=m,
        rho=rho,
        confidence=confidence,
        interval=interval,
        reporting_months=reporting_months,
    )
    if savings_fraction == 0.0:
        return math.inf
    return frac / abs(savings_fraction)


def g14_cvrmse_limit(reporting_months: float) -> float:
    """G14 whole-building CV(RMSE) limit for the given months of post-retrofit data.

    0.20 below 12 months, 0.25 from 12 to 60 months inclusive, 0.30 beyond 60 months.
    """
    if reporting_months < 12:
        return 0.20
    if reporting_months <= 60:
        return 0.25
    return 0.30


def g14_verdict(
    cvrmse: float,
    nmbe: float,
    reporting_months: float,
    fsu_68: float | None = None,
    *,
    nmbe_limit: float = 0.00005,
) -> dict:
    """Baseline acceptance on ASHRAE Guideline 14's whole-building path.

    Checks CV(RMSE) against :func:`g14_cvrmse_limit`, |NMBE| against ``nmbe_limit`` (a
    fraction; default 0.005 %, G14's net determination bias, which any least-squares fit with an
    intercept meets) and, when given, FSU at 68 % confidence < 0.5.

    Returns a JSON-safe dict: ``passed`` (bool), ``cvrmse_limit``, ``nmbe_limit``,
    ``fsu_limit`` and ``checks`` — a dict of ``{"cvrmse": bool, "nmbe": bool, "fsu": bool |
    None}`` (``None`` when ``fsu_68`` was not given; a ``nan`` statistic fails its check).
    """
    cv_limit = g14_cvrmse_limit(reporting_months)
    checks: dict[str, bool | None] = {
        "cvrmse": bool(math.isfinite(cvrmse) and cvrmse <= cv_limit),
        "nmbe": bool(math.isfinite(nmbe) and abs(nmbe) <= nmbe_limit),
        "fsu": None if fsu_68 is None else bool(fsu_68 < 0.5),
    }
    return {
        "passed": all(v is not False for v in checks.values()),
        "cvrmse_limit": cv_limit,
        "nmbe_limit": nmbe_limit,
        "fsu_limit": 0.5,
        "checks": checks,
    }


@dataclass(frozen=True)
class FitStatistics:
    """Goodness of fit of one model on its baseline data (G14 definitions, fractions)."""

    n: int
    p: int
    r_squared: float
    adj_r_squared: float
    cvrmse: float
    nmbe: float
    autocorrelation: float

    def to_dict(self) -> dict:
        """Plain dict; ``nan`` values become ``None`` so that the result is JSON-safe."""
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict) -> FitStatistics:
        """Inverse of :meth:`to_dict` (``None`` becomes ``nan``)."""
        kw = {}
        for name in ("n", "p"):
            kw[name] = int(data[name])
        for name in ("r_squared", "adj_r_squared", "cvrmse", "nmbe", "autocorrelation"):
            v = data[name]
            kw[name] = math.nan if v is None else float(v)
        return cls(**kw)


def fit_statistics(y, yhat, p: int) -> FitStatistics:
    """All :class:`FitStatistics` for observations ``y`` and predictions ``yhat`` in time order.

    Raises:
        ValueError: shapes differ, or ``n <= p``.
    """
    y, yhat = _pair(y, yhat)
    n = y.size
    _check_dof(n, p)
    return FitStatistics(
        n=int(n),
        p=int(p),
        r_squared=r_squared(y, yhat),
        adj_r_squared=adj_r_squared(y, yhat, p),
        cvrmse=cvrmse(y, yhat, p),
        nmbe=nmbe(y, yhat, p),
        autocorrelation=autocorr_lag1(y - yhat),
    )
