"""Daily baseline model with day types (China's calendar) beside classic CalTRACK.

usage per day = β0(day type) + βH · HDD(Th) + βC · CDD(Tc)

Day types are ``workday``, ``weekend``, ``holiday`` (statutory holidays), ``makeup_workday``
(调休: a Saturday or Sunday that becomes a working day) and ``vacation`` (an institution's term
calendar: 寒假 and 暑假). A school empty for ten weeks, or an office closed for the Spring
Festival, then changes the intercept of those days instead of passing for a heating effect or
for noise; and because the reporting period is predicted with *its own* calendar, a vacation
that moves between years is not counted as savings.

Everything else is the classic daily model (:mod:`emc.mv.engine.daily`): the candidate forms
intercept-only, HDD-only, CDD-only and HDD+CDD; the same balance-point grid; a degree-day term
qualifies only with a positive slope, at least 10 days with degree days and at least 20 °F·day
in total; every intercept must be non-negative; the highest adjusted R² wins.

- **Rare day types.** A day type is given its own intercept only when the baseline has at least
  ``min_days`` (10) days of it. A rarer type is merged into the nearest type that has enough
  days — the one whose mean daily use in the baseline is closest — and a ``day_type_merged``
  warning says so. A type absent from the baseline follows a fixed affinity (make-up workday →
  workday; holiday → weekend → vacation; …), so that a reporting day of any type has a
  prediction.
- **Vacation slopes.** Optionally, vacation days get their own heating and cooling slopes (a
  closed school is heated to a set-back). Those candidates enter the same adjusted-R² contest,
  so the split is kept only when the data support it, and only with at least 10 vacation days
  with degree days and 20 °F·day in total per split term.
- **One vectorised solve.** By Frisch–Waugh, the day-type intercepts are absorbed by centring
  every series within its day type; the two- and three-parameter closed forms of the classic
  search then apply to the within-type sums, which are matrix products of the (grid × days)
  degree-day matrices with the (days × types) indicator matrix. On any one day HDD(Th) and
  CDD(Tc) with Th ≤ Tc are never both non-zero, so the cross sums need no (grid × grid × days)
  product.

Statistics (G14 CV(RMSE), NMBE, adjusted R², lag-1 autocorrelation) are those of the classic
model with p = number of intercepts + number of slopes; savings, FSU with autocorrelation and
serialisation work as for the classic model (:func:`daytype_savings`, :meth:`to_dict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from emc.messages import msg
from emc.mv.engine._time import as_day, as_days, has_repeats
from emc.mv.engine.daily import FORMS, FitOptions, balance_point_grid
from emc.mv.engine.errors import (
    InsufficientDataError,
    InvalidInputError,
    ModelFormatError,
    Warning,
)
from emc.mv.engine.stats import FitStatistics, fit_statistics
from emc.mv.engine.sufficiency import daily_sufficiency, raise_if_insufficient

__all__ = [
    "DAY_TYPES",
    "DAYTYPE_METHOD",
    "DayTypeModel",
    "MIN_DAYS_PER_TYPE",
    "classify_days",
    "day_type_counts",
    "daytype_savings",
    "fit_daily_daytypes",
]

DAY_TYPES = ("workday", "weekend", "holiday", "makeup_workday", "vacation")
DAYTYPE_METHOD = "daily_daytype"
MODEL_VERSION = 1
#: A day type needs this many baseline days to have its own intercept.
MIN_DAYS_PER_TYPE = 10

_F_PER_C = 9.0 / 5.0
_SCORE_TIE = 1e-12
_CODE = {name: i for i, name in enumerate(DAY_TYPES)}

# Where a type goes when the baseline has none of it (no data to judge "nearest" by): the
# closest in how buildings are used, first match among the types that have enough days.
_AFFINITY = {
    "workday": ("makeup_workday", "weekend", "vacation", "holiday"),
    "makeup_workday": ("workday", "weekend", "vacation", "holiday"),
    "weekend": ("holiday", "vacation", "workday", "makeup_workday"),
    "holiday": ("weekend", "vacation", "workday", "makeup_workday"),
    "vacation": ("weekend", "holiday", "workday", "makeup_workday"),
}


# ------------------------------------------------------------------------------- day types


def classify_days(
    dates,
    *,
    holidays=(),
    makeup_workdays=(),
    vacation_days=(),
    overrides=None,
) -> np.ndarray:
    """The day type of every date, as an array of strings from :data:`DAY_TYPES`.

    Precedence, highest first: ``overrides`` (date → type, e.g. a calendar file's rows); a
    statutory ``holidays`` date; a ``vacation_days`` date (the institution is closed, so a
    调休 Sunday inside 寒假 stays a vacation day); a ``makeup_workdays`` date; Saturday or Sunday
    → weekend; otherwise workday.

    Raises:
        InvalidInputError: unreadable dates or an override with an unknown type.
    """
    d = as_days(dates)
    overrides = overrides or {}

    def day_set(values, name):
        return set(as_days(list(values), name).tolist()) if len(values) else set()

    hol = day_set(list(holidays), "holidays")
    mk = day_set(list(makeup_workdays), "makeup workdays")
    vac = day_set(list(vacation_days), "vacation days")
    ov = {}
    for k, v in overrides.items():
        if v not in _CODE:
            raise InvalidInputError(f"unknown day type {v!r} (one of {', '.join(DAY_TYPES)})")
        ov[as_day(k).tolist()] = v
    # numpy: 1970-01-01 was a Thursday, so (days + 3) % 7 is Monday = 0.
    weekday = (d.astype(int) + 3) % 7
    out = np.where(weekday >= 5, "weekend", "workday").astype("<U16")
    for i, day in enumerate(d.tolist()):
        if day in ov:
            out[i] = ov[day]
        elif day in hol:
            out[i] = "holiday"
        elif day in vac:
            out[i] = "vacation"
        elif day in mk:
            out[i] = "makeup_workday"
    return out


def _codes(day_types, n: int) -> np.ndarray:
    arr = np.asarray(day_types)
    if arr.shape != (n,):
        raise InvalidInputError("day_types must be 1-d and as long as the dates")
    bad = sorted({str(v) for v in arr.tolist()} - set(DAY_TYPES))
    if bad:
        raise InvalidInputError(f"unknown day type(s) {bad} (one of {', '.join(DAY_TYPES)})")
    return np.array([_CODE[str(v)] for v in arr.tolist()], dtype=int)


# ----------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class DayTypeModel:
    """A fitted daily model with day-type intercepts (``method`` ``"daily_daytype"``).

    ``intercepts`` maps each modelled day type to its β0 (energy per day); ``merged`` maps every
    other day type to the modelled type it is predicted as. ``beta_hdd`` / ``beta_cdd`` are the
    slopes (per degree-day) of non-vacation days — and of vacation days too unless
    ``vacation_beta_hdd`` / ``vacation_beta_cdd`` are set. ``day_counts`` are the baseline days
    used per day type (before merging).
    """

    method: str
    form: str
    temperature_unit: str
    heating_balance_point: float | None
    cooling_balance_point: float | None
    intercepts: dict
    merged: dict
    beta_hdd: float | None
    beta_cdd: float | None
    vacation_beta_hdd: float | None
    vacation_beta_cdd: float | None
    day_counts: dict
    statistics: FitStatistics
    n_candidates: int = 0
    warnings: tuple[Warning, ...] = field(default=(), compare=False)

    @property
    def separate_vacation_slopes(self) -> bool:
        """Whether vacation days have their own heating/cooling slopes."""
        return self.vacation_beta_hdd is not None or self.vacation_beta_cdd is not None

    @property
    def intercept(self) -> float:
        """β0 of workdays (or of the type workdays are merged into): the headline intercept."""
        return float(self.intercepts[self.effective_type("workday")])

    @property
    def n_parameters(self) -> int:
        """Number of fitted parameters: one per intercept plus the slopes (G14's p)."""
        slopes = (self.beta_hdd is not None) + (self.beta_cdd is not None)
        slopes += (self.vacation_beta_hdd is not None) + (self.vacation_beta_cdd is not None)
        return len(self.intercepts) + slopes

    def effective_type(self, day_type: str) -> str:
        """The modelled day type that ``day_type`` is predicted as."""
        return day_type if day_type in self.intercepts else self.merged[day_type]

    def predict(self, temperature, day_types) -> np.ndarray:
        """Usage per day for daily mean temperatures (model unit) and each day's type.

        ``nan`` temperature → ``nan``. Raises InvalidInputError for an unknown day type.
        """
        t = np.asarray(temperature, dtype=float)
        codes = _codes(day_types, t.size)
        eff = [self.effective_type(name) for name in DAY_TYPES]
        b0 = np.array([self.intercepts[e] for e in eff])[codes]
        vac = np.array([e == "vacation" for e in eff])[codes]
        out = b0.astype(float)
        out[np.isnan(t)] = np.nan
        if self.heating_balance_point is not None:
            hdd = np.maximum(self.heating_balance_point - t, 0.0)
            bh = self.beta_hdd
            bhv = self.vacation_beta_hdd if self.vacation_beta_hdd is not None else bh
            out = out + np.where(vac, bhv, bh) * hdd
        if self.cooling_balance_point is not None:
            cdd = np.maximum(t - self.cooling_balance_point, 0.0)
            bc = self.beta_cdd
            bcv = self.vacation_beta_cdd if self.vacation_beta_cdd is not None else bc
            out = out + np.where(vac, bcv, bc) * cdd
        return out

    def coefficients(self) -> dict:
        """JSON-safe coefficients: intercept per day type (merged types listed with theirs)."""
        return {
            "intercepts": {k: float(v) for k, v in self.intercepts.items()},
            "merged": dict(self.merged),
            "beta_hdd": self.beta_hdd,
            "beta_cdd": self.beta_cdd,
            "vacation_beta_hdd": self.vacation_beta_hdd,
            "vacation_beta_cdd": self.vacation_beta_cdd,
            "day_counts": dict(self.day_counts),
        }

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
            "day_types": self.coefficients(),
            "statistics": self.statistics.to_dict(),
            "n_candidates": self.n_candidates,
            "warnings": [w.to_dict() for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> DayTypeModel:
        """Inverse of :meth:`to_dict`.

        Raises:
            ModelFormatError: wrong version or method, missing or inconsistent keys.
        """
        try:
            if data["version"] != MODEL_VERSION:
                raise ModelFormatError(f"unsupported model version {data['version']!r}")
            if data["method"] != DAYTYPE_METHOD:
                raise ModelFormatError(f"not a day-type model: {data['method']!r}")
            if data["form"] not in FORMS:
                raise ModelFormatError(f"unknown form {data['form']!r}")
            dtp = data["day_types"]

            def opt(source, key):
                v = source[key]
                return None if v is None else float(v)

            intercepts = {str(k): float(v) for k, v in dtp["intercepts"].items()}
            merged = {str(k): str(v) for k, v in dtp["merged"].items()}
            model = cls(
                method=DAYTYPE_METHOD,
                form=data["form"],
                temperature_unit=data["temperature_unit"],
                heating_balance_point=opt(data, "heating_balance_point"),
                cooling_balance_point=opt(data, "cooling_balance_point"),
                intercepts=intercepts,
                merged=merged,
                beta_hdd=opt(dtp, "beta_hdd"),
                beta_cdd=opt(dtp, "beta_cdd"),
                vacation_beta_hdd=opt(dtp, "vacation_beta_hdd"),
                vacation_beta_cdd=opt(dtp, "vacation_beta_cdd"),
                day_counts={str(k): int(v) for k, v in dtp.get("day_counts", {}).items()},
                statistics=FitStatistics.from_dict(data["statistics"]),
                n_candidates=int(data.get("n_candidates", 0)),
                warnings=tuple(Warning.from_dict(w) for w in data.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"malformed model dict: {exc!r}") from exc
        if set(model.intercepts) | set(model.merged) != set(DAY_TYPES) or set(
            model.intercepts
        ) & set(model.merged):
            raise ModelFormatError("every day type needs an intercept or a merge target")
        if any(v not in model.intercepts for v in model.merged.values()):
            raise ModelFormatError("a day type is merged into a type without an intercept")
        if (model.beta_hdd is None) != (model.heating_balance_point is None) or (
            model.beta_cdd is None
        ) != (model.cooling_balance_point is None):
            raise ModelFormatError("each degree-day term needs both a beta and a balance point")
        return model


# ------------------------------------------------------------------------------ merging


def _merge_map(codes: np.ndarray, y: np.ndarray, min_days: int):
    """(types with their own intercept, {rare type: target}, counts, warnings)."""
    counts = {name: int((codes == i).sum()) for i, name in enumerate(DAY_TYPES)}
    means = {name: float(y[codes == i].mean()) for i, name in enumerate(DAY_TYPES) if counts[name]}
    kept = [name for name in DAY_TYPES if counts[name] >= min_days]
    if not kept:
        kept = [max(DAY_TYPES, key=lambda n: counts[n])]
    merged: dict[str, str] = {}
    warnings: list[Warning] = []
    for name in DAY_TYPES:
        if name in kept:
            continue
        if counts[name]:
            # Nearest by mean daily use; ties go to the earlier type in the affinity order.
            order = [n for n in _AFFINITY[name] if n in kept]
            target = min(order, key=lambda n: (abs(means[n] - means[name]), order.index(n)))
            merged[name] = target
            warnings.append(
                Warning(
                    "day_type_merged",
                    f"Only {counts[name]} baseline days are {name} (fewer than {min_days}): "
                    f"they share the intercept of {target}, the type with the nearest mean use.",
                    {
                        "day_type": name,
                        "into": target,
                        "n_days": counts[name],
                        "min_days": min_days,
                    },
                )
            )
        else:
            merged[name] = next(n for n in _AFFINITY[name] if n in kept)
    return kept, merged, counts, warnings


# --------------------------------------------------------------------------- grid search


@dataclass(frozen=True)
class _Sums:
    """Within-type centred weighted sums over one subset of the days (every grid point)."""

    syy: float  # within-type Σ(y − ȳ_g)²
    shh: np.ndarray  # (k,)
    scc: np.ndarray  # (k,)
    shy: np.ndarray  # (k,)
    scy: np.ndarray  # (k,)
    shc: np.ndarray  # (k tc, k th)
    h_ok: np.ndarray  # (k,) degree-day sufficiency of the heating term in this subset
    c_ok: np.ndarray


def _subset_sums(y, hdd, cdd, onehot, cols, min_nonzero, min_total) -> _Sums:
    m = onehot[:, cols]
    in_subset = m.sum(axis=1) > 0
    n_g = m.sum(axis=0)
    n_g_safe = np.maximum(n_g, 1.0)
    yg = y @ m
    hg, cg = hdd @ m, cdd @ m  # (k, G)
    syy = float(((y * y) @ m - yg * yg / n_g_safe).sum())
    shh = ((hdd * hdd) @ m - hg * hg / n_g_safe).sum(axis=1)
    scc = ((cdd * cdd) @ m - cg * cg / n_g_safe).sum(axis=1)
    shy = ((hdd * y) @ m - hg * yg / n_g_safe).sum(axis=1)
    scy = ((cdd * y) @ m - cg * yg / n_g_safe).sum(axis=1)
    # Σ H·C = 0 on daily data for Th <= Tc (pairs with Th > Tc never qualify).
    shc = -(cg / n_g_safe) @ hg.T
    h_in, c_in = hdd[:, in_subset], cdd[:, in_subset]
    h_ok = ((h_in > 0).sum(axis=1) >= min_nonzero) & (h_in.sum(axis=1) >= min_total)
    c_ok = ((c_in > 0).sum(axis=1) >= min_nonzero) & (c_in.sum(axis=1) >= min_total)
    return _Sums(syy, shh, scc, shy, scy, shc, h_ok, c_ok)


@dataclass(frozen=True)
class _Choice:
    form: str
    split: bool
    th: float | None
    tc: float | None
    n_candidates: int


def _search(
    y, hdd, cdd, codes, kept_codes, grid, *, min_nonzero, min_total, max_p, forms, split_ok
) -> _Choice:
    """Score every candidate (form × balance points × shared/split slopes) at once."""
    n = y.size
    g_count = len(kept_codes)
    onehot = (codes[:, None] == np.asarray(kept_codes)[None, :]).astype(float)
    all_cols = list(range(g_count))
    ybar = y.mean()
    sst = float(((y - ybar) ** 2).sum())
    tot = _subset_sums(y, hdd, cdd, onehot, all_cols, min_nonzero, min_total)
    vac_col = kept_codes.index(_CODE["vacation"]) if _CODE["vacation"] in kept_codes else None
    parts = [tot]
    if split_ok and vac_col is not None and g_count > 1:
        rest = [c for c in all_cols if c != vac_col]
        parts = [
            _subset_sums(y, hdd, cdd, onehot, rest, min_nonzero, min_total),
            _subset_sums(y, hdd, cdd, onehot, [vac_col], min_nonzero, min_total),
        ]
    # Non-negative intercepts: β0_g = ȳ_g − Σ slopes · x̄_g, per kept type.
    n_g = onehot.sum(axis=0)
    ybar_g = (y @ onehot) / n_g
    hbar_g, cbar_g = (hdd @ onehot) / n_g, (cdd @ onehot) / n_g  # (k, G)
    vac_mask = np.zeros(g_count, bool)
    if vac_col is not None:
        vac_mask[vac_col] = True

    def adj_r2(sse, p):
        if sst <= 0 or n - p <= 0:
            return np.full(np.shape(sse), -np.inf)
        return 1.0 - (sse / (n - p)) / (sst / (n - 1))

    def p_ok(beta, var_factor, sse, p):
        if max_p is None or n - p <= 0:
            return np.ones(np.shape(beta), bool)
        se = np.sqrt(np.maximum(sse, 0) / (n - p) * var_factor)
        with np.errstate(divide="ignore", invalid="ignore"):
            tval = np.abs(beta) / se
        from scipy import stats as _sps  # ~0.5 s to import: only when p-values are asked

        return 2.0 * _sps.t.sf(tval, n - p) <= max_p

    labels: list[tuple[str, bool, np.ndarray]] = []
    scores: list[np.ndarray] = []
    labels.append(("intercept_only", False, np.full((1, 2), np.nan)))
    scores.append(adj_r2(np.array([tot.syy]), g_count))
    nan_pair = np.full(grid.size, np.nan)
    variants = [(False, [tot])] + ([(True, parts)] if len(parts) == 2 else [])
    with np.errstate(divide="ignore", invalid="ignore"):
        for split, subsets in variants:
            for form in ("hdd_only", "cdd_only"):
                if form not in forms:
                    continue
                heat = form == "hdd_only"
                sse = np.zeros(grid.size)
                qual = np.ones(grid.size, bool)
                icpt_shift = np.zeros((grid.size, g_count))
                slopes = []
                for s in subsets:
                    sxx, sxy = (s.shh, s.shy) if heat else (s.scc, s.scy)
                    beta = sxy / sxx
                    slopes.append((beta, sxx))
                    sse = sse + s.syy - beta * sxy
                    qual &= (s.h_ok if heat else s.c_ok) & (sxx > 0) & (beta > 0)
                xbar = hbar_g if heat else cbar_g
                if split:
                    b = np.where(vac_mask[None, :], slopes[1][0][:, None], slopes[0][0][:, None])
                else:
                    b = slopes[0][0][:, None]
                icpt_shift = b * xbar
                qual &= np.all(ybar_g[None, :] - icpt_shift >= 0, axis=1)
                p = g_count + len(subsets)
                for beta, sxx in slopes:
                    qual &= p_ok(beta, 1.0 / sxx, sse, p)
                s_ = np.where(qual, adj_r2(sse, p), -np.inf)
                bp = np.stack([grid, nan_pair] if heat else [nan_pair, grid], axis=1)
                labels.append((form, split, bp))
                scores.append(s_)
            if "hdd_cdd" not in forms:
                continue
            sse = np.zeros((grid.size, grid.size))
            qual = (grid[None, :] <= grid[:, None]).copy()
            betas = []
            for s in subsets:
                det = s.scc[:, None] * s.shh[None, :] - s.shc * s.shc
                bh = (s.scc[:, None] * s.shy[None, :] - s.shc * s.scy[:, None]) / det
                bc = (s.shh[None, :] * s.scy[:, None] - s.shc * s.shy[None, :]) / det
                sse = sse + s.syy - bh * s.shy[None, :] - bc * s.scy[:, None]
                qual &= s.c_ok[:, None] & s.h_ok[None, :] & (det > 0) & (bh > 0) & (bc > 0)
                betas.append((bh, bc, det, s))
            p = g_count + 2 * len(subsets)
            for bh, bc, det, s in betas:
                qual &= p_ok(bh, s.scc[:, None] / det, sse, p)
                qual &= p_ok(bc, s.shh[None, :] / det, sse, p)
            for g in range(g_count):
                bh, bc = betas[1 if split and vac_mask[g] else 0][:2]
                icpt = ybar_g[g] - bh * hbar_g[None, :, g] - bc * cbar_g[:, None, g]
                qual &= icpt >= 0
            s_ = np.where(qual, adj_r2(sse, p), -np.inf)
            tc_g, th_g = np.meshgrid(grid, grid, indexing="ij")
            labels.append(("hdd_cdd", split, np.stack([th_g.ravel(), tc_g.ravel()], axis=1)))
            scores.append(s_.ravel())
    flat = np.concatenate(scores)
    flat = np.where(np.isnan(flat), -np.inf, flat)
    # As the classic search: the first maximum wins, and near-ties go to the simpler form.
    best = int(np.argmax(flat >= flat.max() - _SCORE_TIE))
    n_candidates = int(np.isfinite(flat).sum())
    for form, split, bps in labels:
        if best < len(bps):
            th, tc = bps[best]
            return _Choice(
                form,
                split,
                None if math.isnan(th) else float(th),
                None if math.isnan(tc) else float(tc),
                n_candidates,
            )
        best -= len(bps)
    raise AssertionError("unreachable")  # pragma: no cover


def _design(codes, kept, merged, temperature, th, tc, split):
    """Columns: one indicator per kept type, then HDD, CDD (non-vacation), vacation HDD, CDD."""
    eff = np.array([DAY_TYPES.index(merged.get(n, n)) for n in DAY_TYPES])[codes]
    cols = [(eff == _CODE[name]).astype(float) for name in kept]
    vac = eff == _CODE["vacation"]
    names = [("intercept", name) for name in kept]
    terms = []
    if th is not None:
        terms.append(("hdd", np.maximum(th - temperature, 0.0)))
    if tc is not None:
        terms.append(("cdd", np.maximum(temperature - tc, 0.0)))
    for key, x in terms:
        cols.append(np.where(vac, 0.0, x) if split else x)
        names.append(("beta", key))
    if split:
        for key, x in terms:
            cols.append(np.where(vac, x, 0.0))
            names.append(("vacation_beta", key))
    return np.stack(cols, axis=1), names


def fit_daily_daytypes(
    dates,
    usage,
    temperature,
    day_types,
    *,
    start=None,
    end=None,
    temperature_unit: str = "C",
    zeros_are_missing: bool = False,
    allow_insufficient: bool = False,
    options: FitOptions | None = None,
    vacation_slopes: bool = True,
    min_days_per_type: int = MIN_DAYS_PER_TYPE,
) -> DayTypeModel:
    """Fit the day-type daily model on one usage value, temperature and day type per day.

    Args:
        dates, usage, temperature, start, end, zeros_are_missing, allow_insufficient, options:
            as :func:`emc.mv.engine.fit_daily` (same data-sufficiency rules and grid).
        day_types: one of :data:`DAY_TYPES` per date (see :func:`classify_days`).
        vacation_slopes: also try separate heating/cooling slopes for vacation days; they are
            kept only when they win on adjusted R².
        min_days_per_type: baseline days a type needs for its own intercept (10).

    Raises:
        InvalidInputError: lengths differ, duplicate dates, unknown day type, bad unit.
        InsufficientDataError: CalTRACK data sufficiency fails and not ``allow_insufficient``.
    """
    options = options or FitOptions()
    balance_point_grid(temperature_unit)
    d = as_days(dates)
    u = np.asarray(usage, dtype=float)
    t = np.asarray(temperature, dtype=float)
    if not (d.shape == u.shape == t.shape) or d.ndim != 1:
        raise InvalidInputError("dates, usage and temperature must be 1-d and of equal length")
    codes = _codes(day_types, d.size)
    if has_repeats(d):
        raise InvalidInputError("dates must be unique")
    if d.size == 0 and (start is None or end is None):
        raise InvalidInputError("no data and no baseline period given")
    order = np.argsort(d, kind="stable")
    d, u, t, codes = d[order], u[order], t[order], codes[order]
    d0 = as_day(start, "start") if start is not None else d[0]
    d1 = as_day(end, "end") if end is not None else d[-1] + 1
    if d1 <= d0:
        raise InvalidInputError(f"baseline end {d1} must be after start {d0}")
    inside = (d >= d0) & (d < d1)
    d, u, t, codes = d[inside], u[inside], t[inside], codes[inside]
    if zeros_are_missing:
        u = np.where(u == 0, np.nan, u)
    warnings = list(daily_sufficiency(d, u, t, d0, d1))
    raise_if_insufficient(warnings, allow_insufficient)
    ok = ~np.isnan(u) & ~np.isnan(t)
    if not ok.any():
        raise InsufficientDataError(msg("mv.engine.no_day_with_data"), warnings)
    y, temp, codes = u[ok], t[ok], codes[ok]
    kept, merged, counts, merge_warnings = _merge_map(codes, y, min_days_per_type)
    warnings += merge_warnings
    eff_codes = np.array([_CODE[merged.get(n, n)] for n in DAY_TYPES])[codes]
    kept_codes = [_CODE[n] for n in kept]

    grid = (
        np.asarray(options.balance_points, dtype=float)
        if options.balance_points is not None
        else balance_point_grid(temperature_unit)
    )
    min_nonzero = 10 if options.min_nonzero_days is None else options.min_nonzero_days
    min_total = options.min_total_degree_days_f / (_F_PER_C if temperature_unit == "C" else 1.0)
    hdd = np.maximum(grid[:, None] - temp[None, :], 0.0)
    cdd = np.maximum(temp[None, :] - grid[:, None], 0.0)
    choice = _search(
        y,
        hdd,
        cdd,
        eff_codes,
        kept_codes,
        grid,
        min_nonzero=min_nonzero,
        min_total=min_total,
        max_p=options.max_p_value,
        forms=options.forms,
        split_ok=vacation_slopes,
    )
    x, names = _design(codes, kept, merged, temp, choice.th, choice.tc, choice.split)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    coef = dict(zip(names, (float(b) for b in beta), strict=True))
    yhat = x @ beta
    p = len(names)
    if y.size > p:
        st = fit_statistics(y, yhat, p)
    else:
        st = FitStatistics(int(y.size), p, *(math.nan,) * 4, 0.0)
        warnings.append(
            Warning(
                "too_few_observations",
                f"{y.size} observations cannot support statistics of a {p}-parameter model.",
                {"n": int(y.size), "p": p},
            )
        )
    return DayTypeModel(
        method=DAYTYPE_METHOD,
        form=choice.form,
        temperature_unit=temperature_unit,
        heating_balance_point=choice.th,
        cooling_balance_point=choice.tc,
        intercepts={name: coef[("intercept", name)] for name in kept},
        merged=merged,
        beta_hdd=coef.get(("beta", "hdd")),
        beta_cdd=coef.get(("beta", "cdd")),
        vacation_beta_hdd=coef.get(("vacation_beta", "hdd")),
        vacation_beta_cdd=coef.get(("vacation_beta", "cdd")),
        day_counts=counts,
        statistics=st,
        n_candidates=choice.n_candidates,
        warnings=tuple(warnings),
    )


def daytype_savings(
    model: DayTypeModel,
    dates,
    usage,
    temperature,
    day_types,
    *,
    adjustments=(),
    zeros_are_missing: bool = False,
):
    """Savings of daily reporting data against a :class:`DayTypeModel`.

    ``day_types`` are the *reporting period's own* day types (its holidays, 调休 days and
    vacations), so a vacation that moves or lengthens changes the adjusted baseline, not the
    savings. Otherwise as :func:`emc.mv.engine.daily_savings` (returns a ``SavingsResult``; FSU
    with the baseline's autocorrelation, m = reporting days with data). A reporting day type
    that the baseline never saw is predicted as its affinity target, with a warning.

    Raises:
        InvalidInputError: lengths differ, duplicate dates, unknown day type, bad adjustments.
    """
    # Imported here: savings imports the classic model module, which this module extends.
    from emc.mv.engine.savings import _assemble

    d = as_days(dates)
    u = np.asarray(usage, dtype=float)
    t = np.asarray(temperature, dtype=float)
    if not (d.shape == u.shape == t.shape) or d.ndim != 1:
        raise InvalidInputError("dates, usage and temperature must be 1-d and of equal length")
    types = np.asarray(day_types)
    _codes(types, d.size)
    if has_repeats(d):
        raise InvalidInputError("dates must be unique")
    order = np.argsort(d, kind="stable")
    d, u, t, types = d[order], u[order], t[order], types[order]
    if zeros_are_missing:
        u = np.where(u == 0, np.nan, u)
    base = model.predict(t, types)
    m = int((np.isfinite(base) & np.isfinite(u)).sum())
    warnings: list[Warning] = []
    unseen = sorted(
        {str(v) for v in types.tolist()}
        - {k for k, c in model.day_counts.items() if c}
        - set(model.intercepts)
    )
    for name in unseen:
        warnings.append(
            Warning(
                "reporting_day_type_unseen",
                f"The baseline has no {name} days; reporting {name} days are predicted as "
                f"{model.effective_type(name)}.",
                {"day_type": name, "as": model.effective_type(name)},
            )
        )
    return _assemble(model, d, base, u, adjustments, m, warnings)


def day_type_counts(day_types) -> dict:
    """Days per type (every type listed, zeros included)."""
    arr = np.asarray(day_types).tolist()
    return {name: int(sum(1 for v in arr if v == name)) for name in DAY_TYPES}
