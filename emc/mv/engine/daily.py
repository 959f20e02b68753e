"""CalTRACK 2.0 daily and billing baseline models (usage per day against degree days).

usage per day = β0 + βH · HDD(Th) + βC · CDD(Tc), in the meter's energy unit per day, with
degree days from daily mean temperatures in the model's temperature unit. Candidate forms are
intercept-only, HDD-only, CDD-only and HDD+CDD; the balance points come from a grid search and
the qualifying candidate with the highest adjusted R² wins (CalTRACK 3.4.3, as OpenEEmeter 2.x's
``fit_caltrack_usage_per_day_model``).

The whole grid is solved at once from centred weighted sums (closed-form two- and
three-parameter least squares), so a year of daily data fits in about a millisecond.

Dates are ``datetime64[D]`` (or anything :func:`emc.mv.engine._time.as_days` reads); billing
periods are half-open ``[start, end)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from emc.messages import msg
from emc.mv.engine._time import as_day, as_days, has_repeats
from emc.mv.engine.errors import (
    InsufficientDataError,
    InvalidInputError,
    ModelFormatError,
    Warning,
)
from emc.mv.engine.stats import FitStatistics, fit_statistics
from emc.mv.engine.sufficiency import (
    billing_sufficiency,
    clean_billing_periods,
    daily_sufficiency,
    raise_if_insufficient,
)

__all__ = [
    "FORMS",
    "DailyModel",
    "FitOptions",
    "balance_point_grid",
    "billing_design",
    "fit_billing",
    "fit_daily",
]

FORMS = ("intercept_only", "hdd_only", "cdd_only", "hdd_cdd")
MODEL_VERSION = 1

# CalTRACK's limits are stated in °F·day; the °C equivalent keeps a °C fit choosing the same
# candidates as a °F fit of the same data.
_F_PER_C = 9.0 / 5.0
_SCORE_TIE = 1e-12


def balance_point_grid(unit: str = "C") -> np.ndarray:
    """CalTRACK's balance-point search range, 30–90 °F.

    °F: 30, 31, …, 90 (1 °F steps, as OpenEEmeter 2.x). °C: −1.0, −0.5, …, 32.0 (0.5 °C steps,
    finer than 1 °F ≈ 0.56 °C, covering 30.2–89.6 °F).

    Raises:
        InvalidInputError: unit is not ``"C"`` or ``"F"``.
    """
    if unit == "F":
        return np.arange(30.0, 91.0, 1.0)
    if unit == "C":
        return np.arange(-2, 65) * 0.5
    raise InvalidInputError(f"temperature unit must be 'C' or 'F', got {unit!r}")


@dataclass(frozen=True)
class FitOptions:
    """Candidate qualification settings (defaults: CalTRACK 2.0 daily).

    ``min_total_degree_days_f`` is in °F·day and converted for °C fits (20 °F·day = 11.1 °C·day).
    ``max_p_value`` ``None`` disables the p-value test (CalTRACK's default). ``balance_points``
    overrides the grid (in the fit's unit). ``min_nonzero_days`` ``None`` means 10 for daily and
    0 for billing (CalTRACK 3.2.2.2.1).
    """

    min_nonzero_days: int | None = None
    min_total_degree_days_f: float = 20.0
    max_p_value: float | None = None
    balance_points: tuple[float, ...] | None = None
    forms: tuple[str, ...] = FORMS

    def __post_init__(self):
        bad = set(self.forms) - set(FORMS)
        if bad or "intercept_only" not in self.forms:
            raise InvalidInputError(f"forms must include intercept_only and be among {FORMS}")


@dataclass(frozen=True)
class DailyModel:
    """A fitted daily or billing model (``method`` ``"daily"`` or ``"billing"``).

    Coefficients are in energy units per day and per degree-day; balance points in
    ``temperature_unit``. Absent terms have ``None`` balance point and beta.
    """

    method: str
    form: str
    temperature_unit: str
    heating_balance_point: float | None
    cooling_balance_point: float | None
    intercept: float
    beta_hdd: float | None
    beta_cdd: float | None
    statistics: FitStatistics
    n_candidates: int = 0
    warnings: tuple[Warning, ...] = field(default=(), compare=False)

    @property
    def n_parameters(self) -> int:
        """Number of fitted parameters including the intercept (G14's p)."""
        return 1 + (self.beta_hdd is not None) + (self.beta_cdd is not None)

    def predict(self, temperature) -> np.ndarray:
        """Usage per day for daily mean temperatures (model unit); ``nan`` temperature → ``nan``."""
        t = np.asarray(temperature, dtype=float)
        out = np.full(t.shape, self.intercept, dtype=float)
        out[np.isnan(t)] = np.nan
        if self.beta_hdd is not None:
            out = out + self.beta_hdd * np.maximum(self.heating_balance_point - t, 0.0)
        if self.beta_cdd is not None:
            out = out + self.beta_cdd * np.maximum(t - self.cooling_balance_point, 0.0)
        return out

    def predict_periods(self, starts, ends, temperature_dates, temperature) -> np.ndarray:
        """Total usage of each period ``[start, end)`` from daily mean temperatures.

        The period's usage per day is the model at the mean degree days of the days that have a
        temperature, times the days in the period (eemeter 2.x's billing prediction); a period
        with no temperature at all is ``nan``.
        """
        design = billing_design(starts, ends, temperature_dates, temperature)
        per_day = self.predict(design.day_temperature)
        sums, kept = design.period_sums(per_day)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(kept > 0, sums / np.maximum(kept, 1), np.nan)
        return mean * design.days

    def to_dict(self) -> dict:
        """Versioned JSON-safe dict; :func:`emc.mv.engine.model_from_dict` reads it back."""
        return {
            "version": MODEL_VERSION,
            "method": self.method,
            "form": self.form,
            "temperature_unit": self.temperature_unit,
            "heating_balance_point": self.heating_balance_point,
            "cooling_balance_point": self.cooling_balance_point,
            "intercept": self.intercept,
            "beta_hdd": self.beta_hdd,
            "beta_cdd": self.beta_cdd,
            "statistics": self.statistics.to_dict(),
            "n_candidates": self.n_candidates,
            "warnings": [w.to_dict() for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> DailyModel:
        """Inverse of :meth:`to_dict`.

        Raises:
            ModelFormatError: wrong version or method, missing or inconsistent keys.
        """
        try:
            if data["version"] != MODEL_VERSION:
                raise ModelFormatError(f"unsupported model version {data['version']!r}")
            if data["method"] not in ("daily", "billing"):
                raise ModelFormatError(f"not a daily/billing model: {data['method']!r}")
            if data["form"] not in FORMS:
                raise ModelFormatError(f"unknown form {data['form']!r}")

            def opt(key):
                v = data[key]
                return None if v is None else float(v)

            model = cls(
                method=data["method"],
                form=data["form"],
                temperature_unit=data["temperature_unit"],
                heating_balance_point=opt("heating_balance_point"),
                cooling_balance_point=opt("cooling_balance_point"),
                intercept=float(data["intercept"]),
                beta_hdd=opt("beta_hdd"),
                beta_cdd=opt("beta_cdd"),
                statistics=FitStatistics.from_dict(data["statistics"]),
                n_candidates=int(data.get("n_candidates", 0)),
                warnings=tuple(Warning.from_dict(w) for w in data.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"malformed model dict: {exc!r}") from exc
        if (model.beta_hdd is None) != (model.heating_balance_point is None) or (
            model.beta_cdd is None
        ) != (model.cooling_balance_point is None):
            raise ModelFormatError("each degree-day term needs both a beta and a balance point")
        return model


# --------------------------------------------------------------------------- grid search


@dataclass(frozen=True)
class _Choice:
    form: str
    th: float | None
    tc: float | None
    n_candidates: int


def _search(
    y: np.ndarray,
    w: np.ndarray,
    hdd: np.ndarray,
    cdd: np.ndarray,
    grid: np.ndarray,
    *,
    min_nonzero: int,
    min_total: float,
    max_p: float | None,
    forms: tuple[str, ...],
    disjoint: bool,
) -> _Choice:
    """Score every candidate at once; ``hdd``/``cdd`` are (k, n) regressors per balance point."""
    n = y.size
    big_w = w.sum()
    ybar = (w @ y) / big_w
    yc = y - ybar
    wy = w * yc
    syy = wy @ yc

    def centred(x):
        xc = x - ((x @ w) / big_w)[:, None]
        return xc, (xc * xc) @ w, xc @ wy

    hc, shh, shy = centred(hdd)
    cc, scc, scy = centred(cdd)
    # CalTRACK 3.2.2.2: per degree-day term, enough days with degree days and enough in total.
    h_ok = ((hdd > 0).sum(axis=1) >= min_nonzero) & (hdd @ w >= min_total)
    c_ok = ((cdd > 0).sum(axis=1) >= min_nonzero) & (cdd @ w >= min_total)
    hbar, cbar = (hdd @ w) / big_w, (cdd @ w) / big_w

    def adj_r2(sse, p):
        if syy <= 0:
            return np.full(np.shape(sse), -np.inf)
        return 1.0 - (sse / (n - p)) / (syy / (n - 1))

    def p_ok(beta, var_factor, sse, p):
        if max_p is None or n - p <= 0:
            return np.ones(np.shape(beta), bool)
        # scipy.stats takes ~0.5 s to import: load it on first use, not with the engine.
        from scipy import stats as _sps

        se = np.sqrt(np.maximum(sse, 0) / (n - p) * var_factor)
        with np.errstate(divide="ignore", invalid="ignore"):
            tval = np.abs(beta) / se
        return 2.0 * _sps.t.sf(tval, n - p) <= max_p

    labels: list[tuple[str, np.ndarray]] = []
    scores: list[np.ndarray] = []
    # Intercept-only always qualifies with adjusted R² 0 (as eemeter 2.x).
    labels.append(("intercept_only", np.full((1, 2), np.nan)))
    scores.append(np.zeros(1))
    nan_pair = np.full(grid.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for form, sxx, sxy, ok, xbar in (
            ("hdd_only", shh, shy, h_ok, hbar),
            ("cdd_only", scc, scy, c_ok, cbar),
        ):
            if form not in forms or n <= 2:
                continue
            beta = sxy / sxx
            sse = syy - beta * sxy
            qual = ok & (sxx > 0) & (beta > 0) & (ybar - beta * xbar >= 0)
            qual &= p_ok(beta, 1.0 / sxx, sse, 2)
            s = np.where(qual, adj_r2(sse, 2), -np.inf)
            bp = np.stack([grid, nan_pair] if form == "hdd_only" else [nan_pair, grid], axis=1)
            labels.append((form, bp))
            scores.append(s)
        if "hdd_cdd" in forms and n > 3:
            # Rows: cooling balance point (outer, as eemeter's loop); columns: heating.
            # Daily data: on any day HDD(th) and CDD(tc) with th <= tc are never both non-zero,
            # so Σw·H·C = 0 and the centred cross sum is −W·H̄·C̄: no (k × n × k) product, which
            # keeps a daily fit well under a millisecond. Billing means mix days, so multiply.
            shc = -big_w * np.outer(cbar, hbar) if disjoint else (cc * w) @ hc.T  # [tc, th]
            det = scc[:, None] * shh[None, :] - shc * shc
            bh = (scc[:, None] * shy[None, :] - shc * scy[:, None]) / det
            bc = (shh[None, :] * scy[:, None] - shc * shy[None, :]) / det
            sse = syy - bh * shy[None, :] - bc * scy[:, None]
            icpt = ybar - bh * hbar[None, :] - bc * cbar[:, None]
            qual = (grid[None, :] <= grid[:, None]) & c_ok[:, None] & h_ok[None, :]
            qual &= (det > 0) & (bh > 0) & (bc > 0) & (icpt >= 0)
            qual &= p_ok(bh, scc[:, None] / det, sse, 3) & p_ok(bc, shh[None, :] / det, sse, 3)
            s = np.where(qual, adj_r2(sse, 3), -np.inf)
            tc_g, th_g = np.meshgrid(grid, grid, indexing="ij")
            labels.append(("hdd_cdd", np.stack([th_g.ravel(), tc_g.ravel()], axis=1)))
            scores.append(s.ravel())
    flat = np.concatenate(scores)
    flat = np.where(np.isnan(flat), -np.inf, flat)
    # The first maximum wins, as with eemeter's strict ">" in list order; scores equal to within
    # rounding (exact synthetic fits) go to the simpler, earlier form instead of to noise.
    best = int(np.argmax(flat >= flat.max() - _SCORE_TIE))
    n_candidates = int(np.isfinite(flat).sum())
    for form, bps in labels:
        if best < len(bps):
            th, tc = bps[best]
            return _Choice(
                form,
                None if math.isnan(th) else float(th),
                None if math.isnan(tc) else float(tc),
                n_candidates,
            )
        best -= len(bps)
    raise AssertionError("unreachable")  # pragma: no cover


def _solve(y, w, hdd_col, cdd_col) -> np.ndarray:
    cols = [np.ones_like(y)] + [c for c in (hdd_col, cdd_col) if c is not None]
    x = np.stack(cols, axis=1)
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
    return beta


def _fit(
    method: str,
    y: np.ndarray,
    w: np.ndarray,
    day_temperature: np.ndarray,
    aggregate,
    unit: str,
    options: FitOptions,
    totals_factor: np.ndarray,
    warnings: list[Warning],
) -> DailyModel:
    """Grid search and final fit; ``aggregate`` maps (k, days) degree days to (k, n) regressors."""
    grid = (
        np.asarray(options.balance_points, dtype=float)
        if options.balance_points is not None
        else balance_point_grid(unit)
    )
    min_nonzero = options.min_nonzero_days
    if min_nonzero is None:
        min_nonzero = 10 if method == "daily" else 0
    min_total = options.min_total_degree_days_f / (_F_PER_C if unit == "C" else 1.0)
    hdd_days = np.maximum(grid[:, None] - day_temperature[None, :], 0.0)
    cdd_days = np.maximum(day_temperature[None, :] - grid[:, None], 0.0)
    hdd, cdd = aggregate(hdd_days), aggregate(cdd_days)
    choice = _search(
        y,
        w,
        hdd,
        cdd,
        grid,
        min_nonzero=min_nonzero,
        min_total=min_total,
        max_p=options.max_p_value,
        forms=options.forms,
        disjoint=method == "daily",
    )
    hcol = None if choice.th is None else hdd[int(np.flatnonzero(grid == choice.th)[0])]
    ccol = None if choice.tc is None else cdd[int(np.flatnonzero(grid == choice.tc)[0])]
    beta = _solve(y, w, hcol, ccol)
    it = iter(beta[1:])
    model = DailyModel(
        method=method,
        form=choice.form,
        temperature_unit=unit,
        heating_balance_point=choice.th,
        cooling_balance_point=choice.tc,
        intercept=float(beta[0]),
        beta_hdd=None if hcol is None else float(next(it)),
        beta_cdd=None if ccol is None else float(next(it)),
        statistics=FitStatistics(0, 1, *(math.nan,) * 5),
        n_candidates=choice.n_candidates,
    )
    yhat = model.intercept + np.zeros_like(y)
    if hcol is not None:
        yhat = yhat + model.beta_hdd * hcol
    if ccol is not None:
        yhat = yhat + model.beta_cdd * ccol
    p = model.n_parameters
    if y.size > p:
        st = fit_statistics(y * totals_factor, yhat * totals_factor, p)
    else:
        st = FitStatistics(int(y.size), p, *(math.nan,) * 4, 0.0)
        warnings.append(
            Warning(
                "too_few_observations",
                f"{y.size} observations cannot support statistics of a {p}-parameter model.",
                {"n": int(y.size), "p": p},
            )
        )
    return replace(model, statistics=st, warnings=tuple(warnings))


def _window(start, end, first, last):
    d0 = as_day(start, "start") if start is not None else first
    d1 = as_day(end, "end") if end is not None else last
    if d1 <= d0:
        raise InvalidInputError(f"baseline end {d1} must be after start {d0}")
    return d0, d1


def fit_daily(
    dates,
    usage,
    temperature,
    *,
    start=None,
    end=None,
    temperature_unit: str = "C",
    zeros_are_missing: bool = False,
    allow_insufficient: bool = False,
    options: FitOptions | None = None,
) -> DailyModel:
    """Fit the CalTRACK daily model on one usage value and one mean temperature per day.

    Args:
        dates: one date per row (unique; any order).
        usage: energy used on that date (meter unit); ``nan`` = missing.
        temperature: daily mean outdoor temperature in ``temperature_unit``; ``nan`` = missing.
        start, end: baseline ``[start, end)``; default from the first date to the day after the
            last. Rows outside are ignored.
        zeros_are_missing: treat zero usage as missing (CalTRACK, for electricity).
        allow_insufficient: fit even when a disqualifying sufficiency rule fails (the warnings
            are still attached to the model).

    Statistics are on daily usage, in time order over the days used (both values present).

    Raises:
        InvalidInputError: lengths differ, duplicate dates, bad unit.
        InsufficientDataError: CalTRACK data sufficiency fails and not ``allow_insufficient``.
    """
    options = options or FitOptions()
    balance_point_grid(temperature_unit)
    d = as_days(dates)
    u = np.asarray(usage, dtype=float)
    t = np.asarray(temperature, dtype=float)
    if not (d.shape == u.shape == t.shape) or d.ndim != 1:
        raise InvalidInputError("dates, usage and temperature must be 1-d and of equal length")
    if has_repeats(d):
        raise InvalidInputError("dates must be unique")
    if d.size == 0 and (start is None or end is None):
        raise InvalidInputError("no data and no baseline period given")
    order = np.argsort(d, kind="stable")
    d, u, t = d[order], u[order], t[order]
    d0, d1 = _window(start, end, d[0] if d.size else None, d[-1] + 1 if d.size else None)
    inside = (d >= d0) & (d < d1)
    d, u, t = d[inside], u[inside], t[inside]
    if zeros_are_missing:
        u = np.where(u == 0, np.nan, u)
    warnings = daily_sufficiency(d, u, t, d0, d1)
    raise_if_insufficient(warnings, allow_insufficient)
    ok = ~np.isnan(u) & ~np.isnan(t)
    if not ok.any():
        raise InsufficientDataError(msg("mv.engine.no_day_with_data"), warnings)
    y, temp = u[ok], t[ok]
    return _fit(
        "daily",
        y,
        np.ones_like(y),
        temp,
        lambda x: x,
        temperature_unit,
        options,
        np.ones_like(y),
        list(warnings),
    )


@dataclass(frozen=True)
class BillingDesign:
    """Days of a set of billing periods laid out for vectorised period means.

    ``day_temperature`` holds the temperature of every day of every period (concatenated);
    ``period_of_day`` maps each of those days to its period; ``days`` is each period's length.
    """

    days: np.ndarray
    day_temperature: np.ndarray
    period_of_day: np.ndarray
    kept_days: np.ndarray

    def period_sums(self, per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sum of ``per_day`` (nan skipped) and count of non-nan days, per period."""
        ok = ~np.isnan(per_day)
        n = self.days.size
        sums = np.bincount(self.period_of_day[ok], weights=per_day[ok], minlength=n)
        counts = np.bincount(self.period_of_day[ok], minlength=n)
        return sums, counts

    def mean_matrix(self, per_day: np.ndarray) -> np.ndarray:
        """Mean over each period's days with temperature of a (k, days) matrix → (k, periods)."""
        ok = ~np.isnan(self.day_temperature)
        n = self.days.size
        onehot = np.zeros((per_day.shape[1], n))
        onehot[np.flatnonzero(ok), self.period_of_day[ok]] = 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(ok, per_day, 0.0) @ onehot) / np.maximum(self.kept_days, 1)


def billing_design(starts, ends, temperature_dates, temperature) -> BillingDesign:
    """Lay out the days of periods ``[start, end)`` with their daily mean temperatures.

    Raises:
        InvalidInputError: lengths differ or a period ends before it starts.
    """
    s, e = as_days(starts, "starts"), as_days(ends, "ends")
    td, tv = as_days(temperature_dates, "temperature dates"), np.asarray(temperature, float)
    if s.shape != e.shape or td.shape != tv.shape:
        raise InvalidInputError("period starts/ends or temperature dates/values differ in length")
    days = (e - s).astype(int)
    if np.any(days <= 0):
        raise InvalidInputError("every period must end after it starts")
    period_of_day = np.repeat(np.arange(s.size), days)
    offsets = np.arange(days.sum()) - np.repeat(np.cumsum(days) - days, days)
    day_dates = np.repeat(s, days) + offsets.astype("timedelta64[D]")
    day_temp = np.full(day_dates.size, np.nan)
    if td.size:
        lookup_order = np.argsort(td)
        tds = td[lookup_order]
        pos = np.searchsorted(tds, day_dates)
        pos_c = np.minimum(pos, tds.size - 1)
        hit = tds[pos_c] == day_dates
        day_temp[hit] = tv[lookup_order][pos_c[hit]]
    kept = np.bincount(period_of_day[~np.isnan(day_temp)], minlength=s.size)
    return BillingDesign(days, day_temp, period_of_day, kept)


#: eemeter 2.x drops a billing period whose temperature covers less than 90 % of it.
MIN_PERIOD_TEMPERATURE_COVERAGE = 0.9


def fit_billing(
    starts,
    ends,
    usage,
    temperature_dates,
    temperature,
    *,
    start=None,
    end=None,
    temperature_unit: str = "C",
    bimonthly: bool = False,
    allow_insufficient: bool = False,
    options: FitOptions | None = None,
) -> DailyModel:
    """Fit the CalTRACK billing model: WLS of usage per day on mean degree days per day.

    Args:
        starts, ends: billing periods ``[start, end)`` (the end is the next period's start).
        usage: energy used in each period; ``nan`` = missing.
        temperature_dates, temperature: daily mean temperatures (``temperature_unit``).
        start, end: baseline ``[start, end)``; default first start to last end. Only periods
            wholly inside are used.
        bimonthly: accept periods up to 70 days (CalTRACK bimonthly billing).

    Each period's regressors are the mean HDD/CDD per day over its days with temperature and its
    weight is the number of such days (eemeter 2.x's ``n_days_kept``); periods shorter than 25
    or longer than 35 (70) days, or with temperature on fewer than 90 % of their days, are
    dropped with a warning. Statistics are on period totals (usage per day × days), so NMBE is
    that of the billed energy.

    Raises:
        InvalidInputError: lengths differ, a period ends before it starts, bad unit.
        InsufficientDataError: CalTRACK data sufficiency fails and not ``allow_insufficient``.
    """
    options = options or FitOptions()
    balance_point_grid(temperature_unit)
    s, e = as_days(starts, "starts"), as_days(ends, "ends")
    u = np.asarray(usage, dtype=float)
    if not (s.shape == e.shape == u.shape) or s.ndim != 1:
        raise InvalidInputError("starts, ends and usage must be 1-d and of equal length")
    if s.size == 0 and (start is None or end is None):
        raise InvalidInputError("no data and no baseline period given")
    order = np.argsort(s, kind="stable")
    s, e, u = s[order], e[order], u[order]
    if np.any(e <= s):
        raise InvalidInputError("every billing period must end after it starts")
    if np.any(s[1:] < e[:-1]):
        raise InvalidInputError("billing periods overlap")
    d0, d1 = _window(start, end, s[0] if s.size else None, e.max() if s.size else None)
    inside = (s >= d0) & (e <= d1)
    s, e, u = s[inside], e[inside], u[inside]
    keep, warnings = clean_billing_periods(s, e, u, bimonthly=bimonthly)
    s, e, u = s[keep], e[keep], u[keep]
    design = billing_design(s, e, temperature_dates, temperature)
    temp_ok = design.kept_days >= MIN_PERIOD_TEMPERATURE_COVERAGE * design.days
    warnings += billing_sufficiency(s, e, u, temp_ok, d0, d1)
    raise_if_insufficient(warnings, allow_insufficient)
    ok = ~np.isnan(u) & temp_ok
    if not ok.any():
        raise InsufficientDataError(msg("mv.engine.no_period_with_data"), warnings)
    sel = np.flatnonzero(ok)
    design = billing_design(s[sel], e[sel], temperature_dates, temperature)
    days = design.days.astype(float)
    y = u[sel] / days
    t = np.where(np.isnan(design.day_temperature), np.nan, design.day_temperature)
    return _fit(
        "billing",
        y,
        design.kept_days.astype(float),
        np.nan_to_num(t, nan=0.0),
        design.mean_matrix,
        temperature_unit,
        options,
        days,
        list(warnings),
    )
