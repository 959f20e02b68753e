"""IPMVP Options A, B and D: retrofit isolation and calibrated simulation calculators.

* **Option A** — retrofit isolation, key parameter measured, the others stipulated with a
  documented source (lighting: measured kW before and after × stipulated operating hours).
* **Option B** — retrofit isolation, all parameters measured: an ordinary least-squares
  regression of sub-metered energy on a measured driver (runtime hours, degree days, output),
  evaluated on reporting-period drivers to give the adjusted baseline.
* **Option D** — calibrated simulation: a simulation is calibrated when its NMBE and CV(RMSE)
  against measured data are within ASHRAE Guideline 14 limits (±5 % / 15 % monthly,
  ±10 % / 30 % hourly); savings are the simulated baseline minus the simulated (or measured)
  reporting-period use.

Energy is in kWh unless an argument's name says otherwise; demand in kW; time in hours. Every
result is a frozen dataclass with ``to_dict()`` returning a JSON-safe dict (non-finite floats
become ``None``). Invalid arguments raise :class:`InvalidInputError` whose message starts with
the offending field's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from emc.mv.engine.errors import InvalidInputError, MVWarning
from emc.mv.engine.stats import FitStatistics, cvrmse, fit_statistics, fsu, nmbe

__all__ = [
    "CALIBRATION_LIMITS",
    "CalibrationResult",
    "Measured",
    "OptionAResult",
    "OptionBResult",
    "OptionDResult",
    "Stipulated",
    "calibrate_simulation",
    "option_a_savings",
    "option_b_savings",
    "option_d_savings",
]

#: ASHRAE Guideline 14 calibration limits per data interval: (|NMBE| max, CV(RMSE) max).
CALIBRATION_LIMITS: dict[str, tuple[float, float]] = {
    "monthly": (0.05, 0.15),
    "hourly": (0.10, 0.30),
}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _ToDict:
    def to_dict(self) -> dict:
        """JSON-safe dict of every field (``nan``/``inf`` become ``None``)."""
        return {f.name: _json_safe(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def _invalid(field: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {problem}")


def _scalar(value: Any, field: str, *, allow_negative: bool = False) -> float:
    if value is None:
        raise _invalid(field, "is missing")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise _invalid(field, f"must be a number, got {value!r}") from None
    if math.isnan(x):
        raise _invalid(field, "is missing")
    if math.isinf(x):
        raise _invalid(field, "must be finite")
    if x < 0 and not allow_negative:
        raise _invalid(field, f"must not be negative, got {x:g}")
    return x


def _series(values: Any, field: str, *, min_length: int = 1) -> np.ndarray:
    if values is None:
        raise _invalid(field, "is missing")
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise _invalid(field, "must be a sequence of numbers") from None
    if arr.ndim != 1:
        raise _invalid(field, "must be a 1-d sequence")
    if arr.size < min_length:
        raise _invalid(field, f"needs at least {min_length} values, got {arr.size}")
    bad = np.flatnonzero(np.isnan(arr))
    if bad.size:
        raise _invalid(field, f"missing value at index {int(bad[0])}")
    if np.isinf(arr).any():
        raise _invalid(field, f"infinite value at index {int(np.flatnonzero(np.isinf(arr))[0])}")
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        i = int(neg[0])
        raise _invalid(field, f"must not be negative (index {i}: {arr[i]:g})")
    return arr


def _same_length(a: np.ndarray, b: np.ndarray, field_a: str, field_b: str) -> None:
    if a.size != b.size:
        raise _invalid(field_b, f"has {b.size} values but {field_a} has {a.size}")


# --------------------------------------------------------------------------------------------
# Option A


@dataclass(frozen=True)
class Measured:
    """A value measured for this project; ``method`` records how (instrument, dates, sample)."""

    value: float
    method: str = ""


@dataclass(frozen=True)
class Stipulated:
    """An agreed (not measured) value; ``source`` is required: the document it comes from."""

    value: float
    source: str


def _parameter(param: Any, field: str, *, allow_negative: bool = False) -> dict:
    if not isinstance(param, Measured | Stipulated):
        raise _invalid(field, "must be Measured(...) or Stipulated(...)")
    value = _scalar(param.value, field, allow_negative=allow_negative)
    if isinstance(param, Stipulated):
        if not isinstance(param.source, str) or not param.source.strip():
            raise _invalid(field, "a stipulated value needs a non-empty source")
        return {"name": field, "value": value, "basis": "stipulated", "source": param.source}
    return {"name": field, "value": value, "basis": "measured", "method": param.method}


@dataclass(frozen=True)
class OptionAResult(_ToDict):
    """Option A savings over one reporting period with its parameter breakdown.

    ``baseline_energy_kwh`` = baseline kW × baseline hours; ``reporting_energy_kwh`` =
    reporting kW × reporting hours; ``savings_kwh`` = (baseline − reporting) × (1 +
    interactive factor). ``parameters`` lists each input with its value, ``basis``
    (measured / stipulated) and ``source`` or ``method``.
    """

    baseline_energy_kwh: float
    reporting_energy_kwh: float
    interactive_factor: float
    savings_kwh: float
    parameters: tuple[dict, ...]
    formula: str = "(baseline_kw × baseline_h − reporting_kw × reporting_h) × (1 + interactive)"


def option_a_savings(
    *,
    baseline_demand_kw: Measured | Stipulated,
    reporting_demand_kw: Measured | Stipulated,
    operating_hours: Measured | Stipulated,
    reporting_operating_hours: Measured | Stipulated | None = None,
    interactive_factor: Measured | Stipulated | None = None,
) -> OptionAResult:
    """IPMVP Option A savings for one retrofit over one reporting period, in kWh.

    Args:
        baseline_demand_kw: connected load before the retrofit, kW.
        reporting_demand_kw: connected load after the retrofit, kW.
        operating_hours: operating hours in the reporting period, h (baseline and reporting
            alike unless ``reporting_operating_hours`` is given).
        reporting_operating_hours: hours after the retrofit when they differ (e.g. controls).
        interactive_factor: fractional change of savings by interactions (0.08 = lighting heat
            no longer removed by cooling, +8 %); may be negative (heating penalty), > −1.

    IPMVP requires the key parameter to be measured: at least one of the demands and hours must
    be :class:`Measured`; every :class:`Stipulated` value needs a ``source``.

    Raises:
        InvalidInputError: a value is missing, not a number, negative (demand, hours), ≤ −1
            (interactive factor), a stipulated value has no source, or nothing is measured.
    """
    params = [
        _parameter(baseline_demand_kw, "baseline_demand_kw"),
        _parameter(reporting_demand_kw, "reporting_demand_kw"),
        _parameter(operating_hours, "operating_hours"),
    ]
    if reporting_operating_hours is not None:
        params.append(_parameter(reporting_operating_hours, "reporting_operating_hours"))
    if not any(p["basis"] == "measured" for p in params):
        raise _invalid(
            "parameters", "Option A needs at least one measured key parameter (demand or hours)"
        )
    factor = 0.0
    if interactive_factor is not None:
        entry = _parameter(interactive_factor, "interactive_factor", allow_negative=True)
        factor = entry["value"]
        if factor <= -1.0:
            raise _invalid("interactive_factor", f"must be greater than -1, got {factor:g}")
        params.append(entry)
    values = {p["name"]: p["value"] for p in params}
    baseline_h = values["operating_hours"]
    reporting_h = values.get("reporting_operating_hours", baseline_h)
    baseline_kwh = values["baseline_demand_kw"] * baseline_h
    reporting_kwh = values["reporting_demand_kw"] * reporting_h
    return OptionAResult(
        baseline_energy_kwh=baseline_kwh,
        reporting_energy_kwh=reporting_kwh,
        interactive_factor=factor,
        savings_kwh=(baseline_kwh - reporting_kwh) * (1.0 + factor),
        parameters=tuple(params),
    )


# --------------------------------------------------------------------------------------------
# Option B


@dataclass(frozen=True)
class OptionBResult(_ToDict):
    """Option B regression and savings.

    Model: energy = ``intercept`` + ``slope`` × driver (``intercept`` is 0 when fitted through
    the origin). ``adjusted_baseline`` holds the model on each reporting period's driver;
    ``savings`` = Σ adjusted baseline − Σ reporting energy (energy units of the input);
    ``savings_fraction`` = savings / Σ adjusted baseline. ``fsu_90`` / ``fsu_68``: fractional
    savings uncertainty at 90 % / 68 % confidence (G14 Annex B with lag-1 autocorrelation of the
    baseline residuals; ``None`` when savings are zero).
    """

    driver_name: str
    intercept: float
    slope: float
    fit_intercept: bool
    statistics: FitStatistics
    adjusted_baseline: tuple[float, ...]
    reporting_energy: tuple[float, ...]
    adjusted_baseline_total: float
    reporting_total: float
    savings: float
    savings_fraction: float
    fsu_90: float
    fsu_68: float
    warnings: tuple[MVWarning, ...] = ()


def option_b_savings(
    baseline_driver: Any,
    baseline_energy: Any,
    reporting_driver: Any,
    reporting_energy: Any,
    *,
    fit_intercept: bool = True,
    driver_name: str = "driver",
) -> OptionBResult:
    """IPMVP Option B: regress sub-metered energy on a measured driver and compute savings.

    Args:
        baseline_driver: driver per baseline period (e.g. runtime h, HDD °C·d), non-negative.
        baseline_energy: sub-metered energy per baseline period (e.g. kWh), non-negative.
        reporting_driver: driver per reporting period, same unit.
        reporting_energy: sub-metered energy per reporting period, same unit.
        fit_intercept: ``False`` fits energy = slope × driver (equipment that uses nothing
            when it does not run).
        driver_name: label carried into the result.

    Periods are in time order (the FSU uses the lag-1 autocorrelation of the residuals).

    Raises:
        InvalidInputError: a series is missing values, negative, of mismatched length, has fewer
            than p + 1 baseline periods, or a baseline driver without variation.
    """
    p = 2 if fit_intercept else 1
    x = _series(baseline_driver, "baseline_driver", min_length=p + 1)
    y = _series(baseline_energy, "baseline_energy")
    _same_length(x, y, "baseline_driver", "baseline_energy")
    xr = _series(reporting_driver, "reporting_driver")
    yr = _series(reporting_energy, "reporting_energy")
    _same_length(xr, yr, "reporting_driver", "reporting_energy")
    if fit_intercept and np.ptp(x) == 0:
        raise _invalid("baseline_driver", "must vary to fit a slope")
    if not fit_intercept and not np.any(x > 0):
        raise _invalid("baseline_driver", "must have a positive value to fit a slope")

    design = np.column_stack([np.ones_like(x), x]) if fit_intercept else x[:, None]
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    intercept, slope = (float(coef[0]), float(coef[1])) if fit_intercept else (0.0, float(coef[0]))
    stats = fit_statistics(y, intercept + slope * x, p)
    adjusted = intercept + slope * xr
    adjusted_total, reporting_total = float(adjusted.sum()), float(yr.sum())
    savings = adjusted_total - reporting_total
    fraction = savings / adjusted_total if adjusted_total != 0 else math.nan

    warnings: list[MVWarning] = []
    if slope < 0:
        warnings.append(
            MVWarning(
                "negative_slope",
                f"energy falls as {driver_name} rises (slope {slope:g}); check the driver",
                {"slope": slope},
            )
        )
    if xr.min() < x.min() or xr.max() > x.max():
        warnings.append(
            MVWarning(
                "reporting_driver_out_of_range",
                f"reporting {driver_name} outside the baseline range: the model extrapolates",
                {
                    "baseline_min": float(x.min()),
                    "baseline_max": float(x.max()),
                    "reporting_min": float(xr.min()),
                    "reporting_max": float(xr.max()),
                },
            )
        )
    # Pearson's ρ of residuals that are pure rounding noise (an exact fit) can land a hair
    # outside [−1, 1], where n′ = n(1 − ρ)/(1 + ρ) has no meaning; such fits have no uncertainty.
    rho = float(np.clip(stats.autocorrelation, -1.0 + 1e-9, 1.0))
    uncertainty = {}
    for conf in (0.90, 0.68):
        if math.isfinite(fraction) and math.isfinite(stats.cvrmse):
            uncertainty[conf] = fsu(
                cvrmse=stats.cvrmse,
                n=stats.n,
                p=p,
                m=int(xr.size),
                savings_fraction=fraction,
                rho=rho,
                confidence=conf,
            )
        else:
            uncertainty[conf] = math.nan
    return OptionBResult(
        driver_name=driver_name,
        intercept=intercept,
        slope=slope,
        fit_intercept=fit_intercept,
        statistics=stats,
        adjusted_baseline=tuple(float(v) for v in adjusted),
        reporting_energy=tuple(float(v) for v in yr),
        adjusted_baseline_total=adjusted_total,
        reporting_total=reporting_total,
        savings=savings,
        savings_fraction=fraction,
        fsu_90=uncertainty[0.90],
        fsu_68=uncertainty[0.68],
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------------------------
# Option D


@dataclass(frozen=True)
class CalibrationResult(_ToDict):
    """G14 calibration verdict of a simulation against measured data.

    ``nmbe`` = Σ(measured − simulated) / ((n − p) · mean measured), positive when the
    simulation under-predicts; ``cvrmse`` = sqrt(Σ(measured − simulated)² / (n − p)) / mean
    measured; both fractions. ``calibrated`` is |NMBE| ≤ ``nmbe_limit`` and CV(RMSE) ≤
    ``cvrmse_limit``.
    """

    interval: str
    n: int
    p: int
    nmbe: float
    cvrmse: float
    nmbe_limit: float
    cvrmse_limit: float
    nmbe_ok: bool
    cvrmse_ok: bool
    calibrated: bool
    warnings: tuple[MVWarning, ...] = ()


def calibrate_simulation(
    simulated: Any,
    measured: Any,
    *,
    interval: Literal["monthly", "hourly"],
    p: int = 1,
) -> CalibrationResult:
    """Judge a simulation's calibration per ASHRAE Guideline 14.

    Args:
        simulated: simulated energy per period (kWh), in time order.
        measured: measured energy for the same periods, same unit.
        interval: ``"monthly"`` (limits NMBE ±5 %, CV(RMSE) 15 %) or ``"hourly"`` (±10 %,
            30 %).
        p: parameters in G14's (n − p) denominators; 1 by default (the simulation is one
            model evaluated as given); 0 gives the population form some tools report.

    Raises:
        InvalidInputError: unknown interval, series of different length, missing or negative
            values, ``p`` < 0, or no more periods than ``p``.
    """
    return _calibrate(simulated, measured, interval, p, ("simulated", "measured"))


def _calibrate(
    simulated: Any, measured: Any, interval: str, p: int, names: tuple[str, str]
) -> CalibrationResult:
    if interval not in CALIBRATION_LIMITS:
        raise _invalid("interval", f"must be 'monthly' or 'hourly', got {interval!r}")
    if not isinstance(p, int) or p < 0:
        raise _invalid("p", f"must be a non-negative integer, got {p!r}")
    sim = _series(simulated, names[0], min_length=p + 1)
    meas = _series(measured, names[1], min_length=p + 1)
    _same_length(sim, meas, names[0], names[1])
    if meas.mean() == 0:
        raise _invalid(names[1], "must not be all zero")
    nmbe_limit, cv_limit = CALIBRATION_LIMITS[interval]
    bias = nmbe(meas, sim, p)
    cv = cvrmse(meas, sim, p)
    warnings = []
    if interval == "monthly" and sim.size < 12:
        warnings.append(
            MVWarning(
                "short_calibration_period",
                f"calibrated on {sim.size} months; Guideline 14 expects a full year (12)",
                {"months": int(sim.size)},
            )
        )
    # A tiny tolerance so that a result printed as exactly the limit (5.0 %) passes.
    nmbe_ok = abs(bias) <= nmbe_limit + 1e-12
    cv_ok = cv <= cv_limit + 1e-12
    return CalibrationResult(
        interval=interval,
        n=int(sim.size),
        p=p,
        nmbe=bias,
        cvrmse=cv,
        nmbe_limit=nmbe_limit,
        cvrmse_limit=cv_limit,
        nmbe_ok=bool(nmbe_ok),
        cvrmse_ok=bool(cv_ok),
        calibrated=bool(nmbe_ok and cv_ok),
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class OptionDResult(_ToDict):
    """Option D savings from a calibrated simulation.

    ``savings_by_period`` = simulated baseline − reporting use per period; ``savings`` their
    sum (kWh); ``reporting_basis`` says whether the reporting use is the simulated as-built
    model or the measured use; ``savings_fraction`` = savings / Σ simulated baseline.
    """

    calibration: CalibrationResult
    reporting_basis: str
    baseline_total: float
    reporting_total: float
    savings: float
    savings_fraction: float
    savings_by_period: tuple[float, ...]
    warnings: tuple[MVWarning, ...] = ()


def option_d_savings(
    *,
    calibration_simulated: Any,
    calibration_measured: Any,
    simulated_baseline: Any,
    reporting: Any,
    reporting_basis: Literal["simulated", "measured"] = "simulated",
    interval: Literal["monthly", "hourly"] = "monthly",
    p: int = 1,
) -> OptionDResult:
    """IPMVP Option D: calibration verdict plus savings = simulated baseline − reporting use.

    Args:
        calibration_simulated: the calibrated model's output for the calibration periods (kWh).
        calibration_measured: measured use for the same periods (kWh).
        simulated_baseline: the calibrated baseline model run on reporting-period conditions,
            per reporting period (kWh).
        reporting: reporting-period use per period (kWh): the simulated as-built model
            (``reporting_basis="simulated"``) or the meter (``"measured"``).
        interval, p: as for :func:`calibrate_simulation`.

    An uncalibrated simulation still yields numbers, with ``calibration.calibrated`` false and
    a ``simulation_not_calibrated`` warning, so that the parties can see why it fails.

    Raises:
        InvalidInputError: as :func:`calibrate_simulation`; unknown ``reporting_basis``;
            baseline and reporting series of different lengths, missing or negative values.
    """
    if reporting_basis not in ("simulated", "measured"):
        raise _invalid(
            "reporting_basis", f"must be 'simulated' or 'measured', got {reporting_basis!r}"
        )
    calibration = _calibrate(
        calibration_simulated,
        calibration_measured,
        interval,
        p,
        ("calibration_simulated", "calibration_measured"),
    )
    baseline = _series(simulated_baseline, "simulated_baseline")
    report = _series(reporting, "reporting")
    _same_length(baseline, report, "simulated_baseline", "reporting")
    by_period = baseline - report
    baseline_total, reporting_total = float(baseline.sum()), float(report.sum())
    savings = baseline_total - reporting_total
    warnings = list(calibration.warnings)
    if not calibration.calibrated:
        warnings.append(
            MVWarning(
                "simulation_not_calibrated",
                f"NMBE {calibration.nmbe:.1%} (limit ±{calibration.nmbe_limit:.0%}), "
                f"CV(RMSE) {calibration.cvrmse:.1%} (limit {calibration.cvrmse_limit:.0%})",
                {"nmbe": calibration.nmbe, "cvrmse": calibration.cvrmse},
                disqualifying=True,
            )
        )
    return OptionDResult(
        calibration=calibration,
        reporting_basis=reporting_basis,
        baseline_total=baseline_total,
        reporting_total=reporting_total,
        savings=savings,
        savings_fraction=savings / baseline_total if baseline_total else math.nan,
        savings_by_period=tuple(float(v) for v in by_period),
        warnings=tuple(warnings),
    )
