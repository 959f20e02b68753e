"""CalTRACK 2.0 hourly baseline: the time-of-week and temperature (TOWT) model.

The method is that of OpenEEmeter 2.x ``eemeter.caltrack_hourly`` (CalTRACK 2.0 section 4):

* twelve monthly models; the model for month *m* is fitted by weighted least squares on the
  hours of months *m − 1*, *m*, *m + 1* with weights 0.5, 1, 0.5 ("three-month weighted"),
  and predicts only the hours of month *m*;
* per monthly model, each of the 168 local hours of the week is *occupied* when the share of
  its hours with a positive residual from a weighted regression ``usage ~ 1 + CDD65 + HDD50``
  (°F, per hour) is strictly greater than the occupancy threshold (0.65);
* temperature enters as piecewise-linear bin features with candidate endpoints 30, 45, 55,
  65, 75, 90 °F; an endpoint is dropped while a bin holds fewer than 20 hours (outer bins
  first), exactly as the reference does;
* usage per hour = coefficient of the hour of week + Σ slope × bin feature, with separate
  slopes for occupied and unoccupied hours (shared slopes when a month is all one kind).

Conventions: a timestamp marks the *start* of its hour ``[t, t + 1 h)``; ``usage`` is the
energy in that hour (any energy unit, kWh usually) and ``temperature`` the mean outdoor
temperature in that hour. Timestamps are instants (``numpy.datetime64`` read as UTC, or
timezone-aware ``datetime``); the hour of week (0 = Monday 00:00–01:00) and the calendar month
are taken in the site's IANA timezone, so a DST zone shifts the schedule with the clocks.
``nan`` usage or temperature marks a missing hour: it is left out of the fit and predicts
``nan``.

Features are computed in °F whatever the input unit, so that the design matrix is the
reference's own and rank-deficient months resolve to the same minimum-norm solution; slopes
in the serialised model are therefore per °F of bin width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from emc.messages import msg
from emc.mv.engine._time import has_repeats
from emc.mv.engine.errors import (
    InsufficientDataError,
    InvalidInputError,
    ModelFormatError,
    MVWarning,
)
from emc.mv.engine.stats import FitStatistics, fit_statistics

__all__ = [
    "DEFAULT_BIN_ENDPOINTS_F",
    "HOURLY_MODEL_SCHEMA",
    "HourlyModel",
    "HourlySegment",
    "fit_hourly",
    "hour_of_week",
]

HOURLY_MODEL_SCHEMA = "emc.mv.hourly_towt"
HOURLY_MODEL_VERSION = 1

#: CalTRACK candidate temperature bin endpoints, °F.
DEFAULT_BIN_ENDPOINTS_F: tuple[float, ...] = (30.0, 45.0, 55.0, 65.0, 75.0, 90.0)
#: Share of positive residuals above which an hour of week counts as occupied (CalTRACK 4.5).
OCCUPANCY_THRESHOLD = 0.65
#: Fewest hours a temperature bin may hold before its endpoint is dropped (CalTRACK 4.4).
MIN_HOURS_PER_BIN = 20

_HOURS_PER_WEEK = 168
_SECONDS_PER_DAY = 86_400
# Balance points of the occupancy regression, °F, fixed by the reference.
_OCCUPANCY_CDD_BASE_F = 65.0
_OCCUPANCY_HDD_BASE_F = 50.0
_NEIGHBOUR_WEIGHT = 0.5
# Smallest eigenvalue ratio of a Gram matrix solved directly (singular value ratio 1e-4).
_GRAM_SAFE_RATIO = 1e-8
# Column norm, relative to the largest, below which a column is rounding noise around zero.
_ZERO_COLUMN_RATIO = 1e-10


# --------------------------------------------------------------------------------------------
# time of week


def _invalid(field: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {problem}")


def _epoch_seconds(timestamps: Any, field: str = "timestamps") -> np.ndarray:
    arr = np.asarray(timestamps)
    if arr.ndim != 1:
        raise _invalid(field, "must be a 1-d sequence")
    if arr.dtype.kind == "M":
        if np.isnat(arr).any():
            raise _invalid(field, "contains NaT")
        return arr.astype("datetime64[s]").astype(np.int64)
    if arr.dtype == object or arr.size == 0:
        out = np.empty(arr.size, dtype=np.int64)
        for i, t in enumerate(arr.tolist()):
            if not isinstance(t, datetime) or t.utcoffset() is None:
                raise _invalid(field, "must be numpy datetime64 (UTC) or timezone-aware datetimes")
            out[i] = math.floor(t.timestamp())
        return out
    raise _invalid(field, "must be numpy datetime64 (UTC) or timezone-aware datetimes")


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _invalid("timezone", f"unknown IANA timezone {timezone!r}") from None


def _utc_offsets(seconds: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    def offset(s: int) -> int:
        return int(datetime.fromtimestamp(s, zone).utcoffset().total_seconds())

    # Offsets change at most once per UTC day in every real zone, so asking the zone twice per
    # day (first and last second) and only per hour on the rare transition days keeps a year of
    # hours at a few hundred zoneinfo calls instead of 8,760.
    days = np.floor_divide(seconds, _SECONDS_PER_DAY)
    unique_days, inverse = np.unique(days, return_inverse=True)
    first = np.array([offset(int(d) * _SECONDS_PER_DAY) for d in unique_days], dtype=np.int64)
    last = np.array(
        [offset((int(d) + 1) * _SECONDS_PER_DAY - 1) for d in unique_days], dtype=np.int64
    )
    offsets = first[inverse]
    changing = (first != last)[inverse]
    for i in np.flatnonzero(changing):
        offsets[i] = offset(int(seconds[i]))
    return offsets


def _local_calendar(seconds: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    if seconds.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    local = seconds + _utc_offsets(seconds, zone)
    local_days = np.floor_divide(local, _SECONDS_PER_DAY)
    weekday = (local_days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    hour = np.floor_divide(local - local_days * _SECONDS_PER_DAY, 3600)
    month = local.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    return weekday * 24 + hour, month


def hour_of_week(timestamps: Any, timezone: str = "Asia/Shanghai") -> np.ndarray:
    """Local hour of the week (0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00) per instant.

    ``timestamps``: numpy ``datetime64`` (read as UTC) or timezone-aware ``datetime`` objects;
    ``timezone``: IANA name of the site's zone.

    Raises:
        InvalidInputError: bad timestamps or unknown timezone.
    """
    seconds = _epoch_seconds(timestamps)
    how, _ = _local_calendar(seconds, _zone(timezone))
    return how


# --------------------------------------------------------------------------------------------
# features


def _bin_features(temp_f: np.ndarray, endpoints_f: Sequence[float]) -> np.ndarray:
    """Piecewise-linear bin features whose row sum is the temperature (``nan`` propagates)."""
    e = list(endpoints_f)
    out = np.empty((temp_f.size, len(e) + 1))
    if not e:
        out[:, 0] = temp_f
        return out
    out[:, 0] = np.minimum(temp_f, e[0])
    for i in range(1, len(e)):
        out[:, i] = np.clip(temp_f - e[i - 1], 0.0, e[i] - e[i - 1])
    out[:, len(e)] = np.maximum(temp_f - e[-1], 0.0)
    return out


def _fit_bin_endpoints(
    temp_f: np.ndarray, candidates: Sequence[float], min_count: int
) -> tuple[float, ...]:
    # The reference's loop: bins are right-closed intervals; drop the endpoint of a thin outer
    # bin first (data are sparse at the extremes), and only then thin inner bins.
    kept = set(candidates)
    while True:
        endpoints = sorted(kept)
        if not endpoints:
            break
        counts = np.bincount(
            np.searchsorted(endpoints, temp_f, side="left"), minlength=len(endpoints) + 1
        )
        thin = counts < min_count
        remove: set[float] = set()
        if thin[0]:
            remove.add(endpoints[0])
        if thin[-1]:
            remove.add(endpoints[-1])
        if not remove:
            remove = {endpoints[i] for i in range(1, len(endpoints)) if thin[i]}
        if not remove:
            break
        kept -= remove
    return tuple(sorted(kept))


def _occupancy(
    how: np.ndarray, temp_f: np.ndarray, y: np.ndarray, sqrt_w: np.ndarray, threshold: float
) -> np.ndarray:
    x = np.column_stack(
        [
            np.ones_like(temp_f),
            np.maximum(temp_f - _OCCUPANCY_CDD_BASE_F, 0.0),
            np.maximum(_OCCUPANCY_HDD_BASE_F - temp_f, 0.0),
        ]
    )
    coef, _, _ = _min_norm_lstsq(x * sqrt_w[:, None], y * sqrt_w)
    positive = (y - x @ coef) > 0
    n_pos = np.bincount(how, weights=positive, minlength=_HOURS_PER_WEEK)
    n_all = np.bincount(how, minlength=_HOURS_PER_WEEK)
    share = np.divide(n_pos, n_all, out=np.zeros(_HOURS_PER_WEEK), where=n_all > 0)
    return share > threshold


# --------------------------------------------------------------------------------------------
# model objects


@dataclass(frozen=True)
class HourlySegment:
    """The fitted model for one calendar month (predicts only that month's hours).

    ``hour_of_week_coefficients`` are in usage units per hour; ``None`` for an hour of week
    without data in the three-month window (its predictions are ``nan``).
    ``occupied_slopes`` / ``unoccupied_slopes`` are per °F of each temperature bin, one per
    bin (``len(bin_endpoints_f) + 1``); they are equal when the month has one occupancy kind.
    ``n_hours`` counts the weighted hours used; ``n_parameters`` the fitted coefficients;
    ``statistics`` is the fit on the month's own hours (weight 1), ``None`` if too few.
    """

    month: int
    bin_endpoints_f: tuple[float, ...]
    occupied: tuple[bool, ...]
    hour_of_week_coefficients: tuple[float | None, ...]
    occupied_slopes: tuple[float, ...]
    unoccupied_slopes: tuple[float, ...]
    n_hours: int
    n_parameters: int
    minimum_norm: bool
    statistics: FitStatistics | None = None

    def _predict(self, how: np.ndarray, temp_f: np.ndarray) -> np.ndarray:
        alpha = np.array(
            [math.nan if c is None else c for c in self.hour_of_week_coefficients], dtype=float
        )
        occ = np.asarray(self.occupied, dtype=bool)[how]
        slopes = np.where(
            occ[:, None],
            np.asarray(self.occupied_slopes, dtype=float)[None, :],
            np.asarray(self.unoccupied_slopes, dtype=float)[None, :],
        )
        return alpha[how] + np.sum(_bin_features(temp_f, self.bin_endpoints_f) * slopes, axis=1)

    def to_dict(self) -> dict:
        """JSON-safe dict (``None`` for missing coefficients and undefined statistics)."""
        return {
            "month": self.month,
            "bin_endpoints_f": list(self.bin_endpoints_f),
            "occupied": list(self.occupied),
            "hour_of_week_coefficients": list(self.hour_of_week_coefficients),
            "occupied_slopes": list(self.occupied_slopes),
            "unoccupied_slopes": list(self.unoccupied_slopes),
            "n_hours": self.n_hours,
            "n_parameters": self.n_parameters,
            "minimum_norm": self.minimum_norm,
            "statistics": None if self.statistics is None else self.statistics.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> HourlySegment:
        """Inverse of :meth:`to_dict`.

        Raises:
            ModelFormatError: a key is missing or a list has the wrong length.
        """
        try:
            seg = cls(
                month=int(data["month"]),
                bin_endpoints_f=tuple(float(v) for v in data["bin_endpoints_f"]),
                occupied=tuple(bool(v) for v in data["occupied"]),
                hour_of_week_coefficients=tuple(
                    None if v is None else float(v) for v in data["hour_of_week_coefficients"]
                ),
                occupied_slopes=tuple(float(v) for v in data["occupied_slopes"]),
                unoccupied_slopes=tuple(float(v) for v in data["unoccupied_slopes"]),
                n_hours=int(data["n_hours"]),
                n_parameters=int(data["n_parameters"]),
                minimum_norm=bool(data["minimum_norm"]),
                statistics=(
                    None
                    if data.get("statistics") is None
                    else FitStatistics.from_dict(data["statistics"])
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"bad hourly segment: {exc!r}") from None
        n_bins = len(seg.bin_endpoints_f) + 1
        if (
            len(seg.occupied) != _HOURS_PER_WEEK
            or len(seg.hour_of_week_coefficients) != _HOURS_PER_WEEK
            or len(seg.occupied_slopes) != n_bins
            or len(seg.unoccupied_slopes) != n_bins
        ):
            raise ModelFormatError(f"bad hourly segment for month {seg.month}: wrong lengths")
        return seg


@dataclass(frozen=True)
class HourlyModel:
    """A fitted CalTRACK hourly TOWT baseline: twelve monthly segments and fit statistics.

    ``segments[m - 1]`` is the model of month *m* or ``None`` when the three-month window had
    no data (that month predicts ``nan``). ``statistics`` compares every fitted hour with the
    prediction of its own month's model, with ``p`` the largest monthly parameter count.
    """

    timezone: str
    temperature_unit: str
    segments: tuple[HourlySegment | None, ...]
    statistics: FitStatistics | None
    warnings: tuple[MVWarning, ...] = ()
    occupancy_threshold: float = OCCUPANCY_THRESHOLD
    min_hours_per_bin: int = MIN_HOURS_PER_BIN
    candidate_bin_endpoints_f: tuple[float, ...] = DEFAULT_BIN_ENDPOINTS_F

    def predict(self, timestamps: Any, temperature: Any) -> np.ndarray:
        """Predicted usage per hour (same units as the fitted usage) for each timestamp.

        ``timestamps`` as for :func:`fit_hourly`; ``temperature`` the hour's mean outdoor
        temperature in the model's ``temperature_unit``. Hours with ``nan`` temperature, in a
        month without a model, or at an hour of week unseen in fitting predict ``nan``.

        Raises:
            InvalidInputError: bad timestamps, or temperature of a different length.
        """
        seconds = _epoch_seconds(timestamps)
        temp = _float_array(temperature, "temperature", seconds.size)
        how, month = _local_calendar(seconds, _zone(self.timezone))
        return self._predict(how, month, _to_fahrenheit(temp, self.temperature_unit))

    def _predict(self, how: np.ndarray, month: np.ndarray, temp_f: np.ndarray) -> np.ndarray:
        out = np.full(how.size, math.nan)
        for m in range(1, 13):
            seg = self.segments[m - 1]
            rows = np.flatnonzero(month == m)
            if seg is None or rows.size == 0:
                continue
            out[rows] = seg._predict(how[rows], temp_f[rows])
        return out

    def to_dict(self) -> dict:
        """Versioned JSON-safe dict; :meth:`from_dict` restores an identical model."""
        return {
            "schema": HOURLY_MODEL_SCHEMA,
            "version": HOURLY_MODEL_VERSION,
            "timezone": self.timezone,
            "temperature_unit": self.temperature_unit,
            "occupancy_threshold": self.occupancy_threshold,
            "min_hours_per_bin": self.min_hours_per_bin,
            "candidate_bin_endpoints_f": list(self.candidate_bin_endpoints_f),
            "segments": [None if s is None else s.to_dict() for s in self.segments],
            "statistics": None if self.statistics is None else self.statistics.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> HourlyModel:
        """Rebuild a model from :meth:`to_dict` output.

        Raises:
            ModelFormatError: wrong schema or version, or malformed content.
        """
        if not isinstance(data, dict) or data.get("schema") != HOURLY_MODEL_SCHEMA:
            raise ModelFormatError(f"not an hourly TOWT model (schema {HOURLY_MODEL_SCHEMA!r})")
        if data.get("version") != HOURLY_MODEL_VERSION:
            raise ModelFormatError(
                f"unsupported hourly model version {data.get('version')!r}; "
                f"this code reads version {HOURLY_MODEL_VERSION}"
            )
        try:
            segments = tuple(
                None if s is None else HourlySegment.from_dict(s) for s in data["segments"]
            )
            stats = data.get("statistics")
            model = cls(
                timezone=str(data["timezone"]),
                temperature_unit=str(data["temperature_unit"]),
                segments=segments,
                statistics=None if stats is None else FitStatistics.from_dict(stats),
                warnings=tuple(MVWarning.from_dict(w) for w in data.get("warnings", [])),
                occupancy_threshold=float(data["occupancy_threshold"]),
                min_hours_per_bin=int(data["min_hours_per_bin"]),
                candidate_bin_endpoints_f=tuple(
                    float(v) for v in data["candidate_bin_endpoints_f"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"bad hourly model: {exc!r}") from None
        if len(model.segments) != 12:
            raise ModelFormatError("hourly model must have 12 monthly segments")
        _unit(model.temperature_unit)
        _zone(model.timezone)
        return model


# --------------------------------------------------------------------------------------------
# fitting


def _float_array(values: Any, field: str, n: int) -> np.ndarray:
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise _invalid(field, "must be numeric") from None
    if arr.ndim != 1:
        raise _invalid(field, "must be a 1-d sequence")
    if arr.size != n:
        raise _invalid(field, f"has {arr.size} values but there are {n} timestamps")
    if np.isinf(arr).any():
        raise _invalid(field, "contains infinite values (use nan for missing hours)")
    return arr


def _unit(unit: str) -> str:
    if unit not in ("C", "F"):
        raise _invalid("temperature_unit", f"must be 'C' or 'F', got {unit!r}")
    return unit


def _to_fahrenheit(temp: np.ndarray, unit: str) -> np.ndarray:
    return temp * 1.8 + 32.0 if _unit(unit) == "C" else temp


def _fit_segment(
    month: int,
    how: np.ndarray,
    temp_f: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    candidates: Sequence[float],
    threshold: float,
    min_count: int,
) -> tuple[HourlySegment, list[MVWarning]]:
    warnings: list[MVWarning] = []
    sqrt_w = np.sqrt(w)
    occupied = _occupancy(how, temp_f, y, sqrt_w, threshold)
    endpoints = _fit_bin_endpoints(temp_f, candidates, min_count)
    bins = _bin_features(temp_f, endpoints)
    k = bins.shape[1]
    occ_row = occupied[how]
    mixed = bool(occ_row.any() and not occ_row.all())
    design = np.hstack([bins * occ_row[:, None], bins * ~occ_row[:, None]]) if mixed else bins

    alpha, beta, present, minimum_norm = _solve_with_hour_effects(how, design, y, w)
    if minimum_norm:
        warnings.append(
            MVWarning(
                "rank_deficient_month",
                f"month {month}: collinear temperature terms; minimum-norm solution used",
                {"month": month},
            )
        )
    if mixed:
        occ_slopes, unocc_slopes = beta[:k], beta[k:]
    else:
        occ_slopes = unocc_slopes = beta
    missing_hours = np.flatnonzero(~present)
    if missing_hours.size:
        warnings.append(
            MVWarning(
                "hours_of_week_missing",
                f"month {month}: {missing_hours.size} hours of the week have no data and "
                "predict nan",
                {"month": month, "hours_of_week": missing_hours.tolist()},
            )
        )
    segment = HourlySegment(
        month=month,
        bin_endpoints_f=tuple(float(e) for e in endpoints),
        occupied=tuple(bool(v) for v in (occupied & present)),
        hour_of_week_coefficients=tuple(
            float(a) if p else None for a, p in zip(alpha, present, strict=True)
        ),
        occupied_slopes=tuple(float(v) for v in occ_slopes),
        unoccupied_slopes=tuple(float(v) for v in unocc_slopes),
        n_hours=int(how.size),
        n_parameters=int(present.sum()) + design.shape[1],
        minimum_norm=minimum_norm,
    )
    return segment, warnings


def _min_norm_lstsq(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Minimum-norm least-squares solution of ``a x ≈ b``, its rank and a null-space basis.

    The same solution and rank decision as ``numpy.linalg.lstsq`` (singular values below
    ``max(a.shape) · eps · s_max`` count as zero), except that a column whose norm is below
    1e-10 of the largest column's is taken as exactly zero.
    """
    # LAPACK's SVD, and even QR, of a tall thin matrix can run a hundred times slower under
    # multithreaded OpenBLAS on a busy machine, while the k × k Gram matrix costs microseconds.
    # The Gram route squares the condition number, so it is taken only when every eigenvalue is
    # clearly away from zero (singular values above 1e-4 of the largest); anything closer to
    # singular is decided on the triangular factor of [a | b], whose SVD is that of ``a``.
    m, k = a.shape
    norms = np.sqrt(np.einsum("ij,ij->j", a, a))
    # A column that is zero but for rounding (a bin constant within every hour of the week, once
    # the hour means are removed) is its own null direction; the rest may still be well posed.
    zero = norms <= _ZERO_COLUMN_RATIO * norms.max() if k else norms.astype(bool)
    if zero.all():
        return np.zeros(k), 0, np.eye(k)
    kept = np.flatnonzero(~zero)
    sub = a[:, kept]
    lam, vec = np.linalg.eigh(sub.T @ sub)
    if lam[0] > _GRAM_SAFE_RATIO * lam[-1]:
        x = np.zeros(k)
        xs = vec @ ((vec.T @ (sub.T @ b)) / lam)
        xs += vec @ ((vec.T @ (sub.T @ (b - sub @ xs))) / lam)  # one step of refinement
        x[kept] = xs
        return x, kept.size, np.eye(k)[:, zero]
    if m > k + 1:
        r_aug = np.linalg.qr(np.column_stack([a, b]), mode="r")
        small, rhs = r_aug[:k, :k], r_aug[:k, k]
    else:
        small, rhs = a, b
    u, sv, vt = np.linalg.svd(small, full_matrices=True)
    cutoff = sv[0] * max(m, k) * np.finfo(float).eps if sv.size else 0.0
    rank = int(np.sum(sv > cutoff)) if sv.size and sv[0] > 0 else 0
    x = vt[:rank].T @ ((u[:, :rank].T @ rhs) / sv[:rank])
    return x, rank, vt[rank:].T


def _solve_with_hour_effects(
    how: np.ndarray, design: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Minimum-norm WLS of ``y`` on 168 hour-of-week indicators plus ``design``.

    Returns (hour coefficients, design coefficients, hours present, whether rank-deficient).
    """
    # Frisch–Waugh–Lovell: demeaning within each hour of week absorbs the indicators, leaving a
    # problem of a dozen columns instead of 180; the hour coefficients follow as weighted means.
    w_sum = np.bincount(how, weights=w, minlength=_HOURS_PER_WEEK)
    present = w_sum > 0
    safe = np.where(present, w_sum, 1.0)
    y_mean = np.bincount(how, weights=w * y, minlength=_HOURS_PER_WEEK) / safe
    x_mean = np.column_stack(
        [
            np.bincount(how, weights=w * design[:, j], minlength=_HOURS_PER_WEEK) / safe
            for j in range(design.shape[1])
        ]
    )
    beta = np.zeros(design.shape[1])
    # An all-zero column (a bin no hour of that occupancy reaches) gets 0, as in a pseudo-inverse.
    live = np.flatnonzero(np.any(design != 0.0, axis=0))
    if live.size == 0:
        return y_mean, beta, present, False
    sqrt_w = np.sqrt(w)
    a = (design[:, live] - x_mean[how][:, live]) * sqrt_w[:, None]
    b0, rank, null = _min_norm_lstsq(a, (y - y_mean[how]) * sqrt_w)
    hours = np.flatnonzero(present)
    xm = x_mean[hours][:, live]
    if rank == live.size:
        beta[live] = b0
        return y_mean - x_mean @ beta, beta, present, False
    # Collinear bin columns (a bin constant within each hour of week, common when every cold hour
    # is unoccupied): the reference's pseudo-inverse returns the minimum-norm solution of the
    # full design. Every least-squares solution is beta = b0 + N z (N the null space) with hour
    # coefficients ybar - xbar·beta, so the minimum norm over [alpha; beta] is a small lstsq in z.
    theta0 = np.concatenate([y_mean[hours] - xm @ b0, b0])
    m = np.vstack([-xm @ null, null])
    z, _, _ = _min_norm_lstsq(m, -theta0)
    beta[live] = b0 + null @ z
    alpha = y_mean - x_mean @ beta
    return alpha, beta, present, True


def _statistics_or_none(y: np.ndarray, yhat: np.ndarray, p: int) -> FitStatistics | None:
    ok = np.isfinite(yhat)
    if int(ok.sum()) <= p:
        return None
    return fit_statistics(y[ok], yhat[ok], p)


def fit_hourly(
    timestamps: Any,
    usage: Any,
    temperature: Any,
    *,
    timezone: str = "Asia/Shanghai",
    temperature_unit: str = "C",
    bin_endpoints: Sequence[float] | None = None,
    occupancy_threshold: float = OCCUPANCY_THRESHOLD,
    min_hours_per_bin: int = MIN_HOURS_PER_BIN,
) -> HourlyModel:
    """Fit a CalTRACK 2.0 hourly TOWT baseline.

    Args:
        timestamps: start of each hour, numpy ``datetime64`` (UTC) or aware ``datetime``s;
            unique, any order, gaps allowed.
        usage: energy used in each hour (e.g. kWh); ``nan`` for a missing hour.
        temperature: mean outdoor temperature in each hour, in ``temperature_unit``; ``nan``
            for a missing hour.
        timezone: the site's IANA zone, which defines the local hour of week and month.
        temperature_unit: ``"C"`` or ``"F"``.
        bin_endpoints: candidate temperature bin endpoints in ``temperature_unit``; default
            the CalTRACK endpoints 30, 45, 55, 65, 75, 90 °F (about −1.1 … 32.2 °C).
        occupancy_threshold: share of positive residuals above which an hour of week is
            occupied.
        min_hours_per_bin: fewest hours a temperature bin must hold to keep its endpoint.

    Returns:
        :class:`HourlyModel`, with data-quality warnings (months without a model, hours of the
        week without data, rank-deficient months) carried as data.

    Raises:
        InvalidInputError: malformed arrays, duplicate or naive timestamps, infinite values, bad
            settings or timezone (the error names the field).
        InsufficientDataError: no hour has both usage and temperature.
    """
    unit = _unit(temperature_unit)
    zone = _zone(timezone)
    seconds = _epoch_seconds(timestamps)
    y_all = _float_array(usage, "usage", seconds.size)
    t_all = _float_array(temperature, "temperature", seconds.size)
    if has_repeats(seconds):
        raise _invalid("timestamps", "contains duplicate instants")
    if not 0.0 < occupancy_threshold < 1.0:
        raise _invalid("occupancy_threshold", "must be between 0 and 1")
    if int(min_hours_per_bin) < 1:
        raise _invalid("min_hours_per_bin", "must be at least 1")
    if bin_endpoints is None:
        candidates = DEFAULT_BIN_ENDPOINTS_F
    else:
        ends = np.asarray(bin_endpoints, dtype=float)
        if ends.ndim != 1 or not np.all(np.isfinite(ends)) or np.any(np.diff(ends) <= 0):
            raise _invalid("bin_endpoints", "must be finite and strictly increasing")
        candidates = tuple(float(v) for v in _to_fahrenheit(ends, unit))

    how_all, month_all = _local_calendar(seconds, zone)
    tf_all = _to_fahrenheit(t_all, unit)
    valid = np.isfinite(y_all) & np.isfinite(tf_all)
    if not valid.any():
        raise InsufficientDataError(msg("mv.engine.no_hour_with_data"))
    how, month, tf, y = how_all[valid], month_all[valid], tf_all[valid], y_all[valid]

    segments: list[HourlySegment | None] = []
    warnings: list[MVWarning] = []
    for m in range(1, 13):
        prev_m, next_m = (m - 2) % 12 + 1, m % 12 + 1
        w = np.where(
            month == m, 1.0, np.where((month == prev_m) | (month == next_m), _NEIGHBOUR_WEIGHT, 0)
        )
        rows = np.flatnonzero(w > 0)
        if rows.size == 0:
            segments.append(None)
            warnings.append(
                MVWarning(
                    "month_without_model",
                    f"month {m}: no data in months {prev_m}, {m}, {next_m}; predicts nan",
                    {"month": m},
                )
            )
            continue
        if not (month == m).any():
            warnings.append(
                MVWarning(
                    "month_fitted_from_neighbours",
                    f"month {m}: no data of its own; fitted on months {prev_m} and {next_m}",
                    {"month": m},
                )
            )
        seg, seg_warnings = _fit_segment(
            m,
            how[rows],
            tf[rows],
            y[rows],
            w[rows],
            candidates,
            occupancy_threshold,
            int(min_hours_per_bin),
        )
        segments.append(seg)
        warnings.extend(seg_warnings)

    model = HourlyModel(
        timezone=timezone,
        temperature_unit=unit,
        segments=tuple(segments),
        statistics=None,
        occupancy_threshold=float(occupancy_threshold),
        min_hours_per_bin=int(min_hours_per_bin),
        candidate_bin_endpoints_f=tuple(candidates),
    )
    yhat = model._predict(how, month, tf)
    for m, seg in enumerate(segments, start=1):
        if seg is not None:
            own = month == m
            segments[m - 1] = replace(
                seg, statistics=_statistics_or_none(y[own], yhat[own], seg.n_parameters)
            )
    p = max(s.n_parameters for s in segments if s is not None)
    statistics = _statistics_or_none(y, yhat, p)
    if statistics is None:
        warnings.append(
            MVWarning(
                "statistics_undefined",
                f"fewer predicted hours than the {p} parameters of a monthly model",
                {"n_parameters": p},
            )
        )
    return HourlyModel(
        timezone=timezone,
        temperature_unit=unit,
        segments=tuple(segments),
        statistics=statistics,
        warnings=tuple(warnings),
        occupancy_threshold=float(occupancy_threshold),
        min_hours_per_bin=int(min_hours_per_bin),
        candidate_bin_endpoints_f=tuple(candidates),
    )
