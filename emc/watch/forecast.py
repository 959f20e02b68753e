"""Forecasts of the savings watch: a contract year's verified savings and a year's total use.

Pure (standard library, numpy, scipy): no database, no clock, no randomness.

Savings forecast
    The year's savings are the savings to date plus the rate seen (savings / adjusted baseline,
    from the last detected change on, else from the start) times the adjusted baseline still to
    come (the frozen model on the baseline year's weather for the same days)::

        forecast = S_obs + r · B_rem,   r = S_rate / B_rate

    Its standard deviation combines, in quadrature: the baseline model's error (ASHRAE G14
    Annex B at one standard error, over the days the rate was measured on, scaled to the whole
    year's adjusted baseline: the model's bias on the observed days carries into the forecast
    through ``r``) and the day-to-day noise of the days still to come (their residual σ with
    the autocorrelation's variance inflation, times the rate). The 90 % interval is
    ``forecast ± z₀.₉₅ σ`` and the probability of a shortfall is ``Φ((guarantee − forecast)/σ)``.

Use forecast (能耗预警)
    Year-to-date use plus the rest of the year, either from a baseline model on last year's
    weather (``weather-normalised``) or from last year's same months scaled by this year's
    year-to-date ratio; the interval from the model's G14 error or from the month-to-month
    spread of that ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emc.mv.engine.stats import uncertainty_fraction

CONFIDENCE = 0.90
# One standard error of the G14 formula: its t-multiplier at 68.27 % two-tailed is about 1.
ONE_SIGMA = 0.6827


@dataclass(frozen=True)
class Forecast:
    """A forecast total with its ``confidence`` interval ``[low, high]`` and standard deviation."""

    value: float
    low: float
    high: float
    sigma: float
    confidence: float = CONFIDENCE

    def probability_below(self, threshold: float) -> float:
        """P(total < threshold) under the forecast's normal distribution."""
        if self.sigma <= 0:
            return 1.0 if self.value < threshold else 0.0
        from scipy import stats as sps  # ~0.5 s to import: only where a forecast is asked

        return float(sps.norm.cdf((threshold - self.value) / self.sigma))

    def probability_above(self, threshold: float) -> float:
        return 1.0 - self.probability_below(threshold)

    def to_dict(self) -> dict:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "sigma": self.sigma,
            "confidence": self.confidence,
        }


def interval(value: float, sigma: float, confidence: float = CONFIDENCE) -> Forecast:
    """``value`` ± the normal quantile of ``confidence`` times ``sigma``."""
    z = _normal_quantile(0.5 + confidence / 2)
    return Forecast(value, value - z * sigma, value + z * sigma, sigma, confidence)


# Normal quantiles by probability: a nightly run asks for the same one thousands of times.
_QUANTILES: dict[float, float] = {}


def _normal_quantile(q: float) -> float:
    if q not in _QUANTILES:
        from scipy import stats as sps  # ~0.5 s to import: only where a forecast is asked

        _QUANTILES[q] = float(sps.norm.ppf(q))
    return _QUANTILES[q]


def savings_forecast(
    *,
    savings_to_date: float,
    rate_savings: float,
    rate_baseline: float,
    rate_days: int,
    baseline_to_date: float,
    baseline_remaining: float,
    days_remaining: int,
    cvrmse: float,
    n: int,
    p: int,
    rho: float,
    confidence: float = CONFIDENCE,
) -> Forecast:
    """The contract year's savings (in the meter's unit) with a ``confidence`` interval.

    Args:
        savings_to_date: verified-style savings (adjusted baseline − use) over the days seen.
        rate_savings, rate_baseline, rate_days: savings, adjusted baseline and days with data
            over the stretch the savings rate is measured on (since the last change, or all).
        baseline_to_date: adjusted baseline of the days seen.
        baseline_remaining, days_remaining: the adjusted baseline expected for the rest of the
            year (normal weather) and how many days that is.
        cvrmse, n, p, rho: the baseline model's fit statistics (G14).

    Raises:
        ValueError: no day with data to measure the rate on.
    """
    if rate_days < 1 or rate_baseline <= 0:
        raise ValueError("no day with data to measure the savings rate on")
    rate = rate_savings / rate_baseline
    value = savings_to_date + rate * baseline_remaining
    year_baseline = baseline_to_date + baseline_remaining
    rho = 0.0 if not math.isfinite(rho) else min(max(rho, 0.0), 0.95)
    model = 0.0
    if n > p and math.isfinite(cvrmse):
        model = uncertainty_fraction(
            cvrmse=cvrmse, n=n, p=p, m=rate_days, rho=rho, confidence=ONE_SIGMA, interval="g14"
        )
        model = model * year_baseline
    daily_sigma = cvrmse * (year_baseline / max(rate_days + days_remaining, 1))
    inflation = (1 + rho) / (1 - rho)
    noise = abs(rate) * daily_sigma * math.sqrt(max(days_remaining, 0) * inflation)
    sigma = math.sqrt(model * model + noise * noise)
    return interval(value, sigma, confidence)


def use_forecast_from_model(
    *,
    use_to_date: float,
    predicted_remaining: float,
    predicted_year: float,
    cvrmse: float,
    n: int,
    p: int,
    rho: float,
    days_remaining: int,
    confidence: float = CONFIDENCE,
) -> Forecast:
    """A year's total use: year-to-date plus a baseline model on normal weather for the rest."""
    sigma = 0.0
    if days_remaining > 0 and n > p and math.isfinite(cvrmse):
        frac = uncertainty_fraction(
            cvrmse=cvrmse,
            n=n,
            p=p,
            m=days_remaining,
            rho=0.0 if not math.isfinite(rho) else min(max(rho, 0.0), 0.95),
            confidence=ONE_SIGMA,
            interval="g14",
        )
        sigma = frac / 1.26 * predicted_remaining
    return interval(use_to_date + predicted_remaining, sigma, confidence)


def use_forecast_from_last_year(
    *,
    use_to_date: float,
    last_year_to_date: float,
    last_year_rest: float,
    monthly_ratios: list[float],
    confidence: float = CONFIDENCE,
) -> Forecast:
    """A year's total use: year-to-date plus last year's remaining months scaled by the ratio
    of this year's year-to-date use to last year's same months. The interval comes from the
    spread of the month-by-month ratios (the standard error of their mean, with at least the
    spread of one month for a single month of data).

    Raises:
        ValueError: no use last year to date to scale by.
    """
    if last_year_to_date <= 0:
        raise ValueError("no use in last year's same months to scale by")
    ratio = use_to_date / last_year_to_date
    value = use_to_date + ratio * last_year_rest
    if len(monthly_ratios) >= 2:
        mean = sum(monthly_ratios) / len(monthly_ratios)
        var = sum((r - mean) ** 2 for r in monthly_ratios) / (len(monthly_ratios) - 1)
        se = math.sqrt(var / len(monthly_ratios))
    else:
        se = 0.1 * ratio  # one month only: assume a 10 % spread
    return interval(value, se * last_year_rest, confidence)
