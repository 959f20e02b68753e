"""IPMVP Options A, B and D: worked examples computed by hand, and input validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from emc.mv.engine.errors import InvalidInputError
from emc.mv.engine.options import (
    Measured,
    Stipulated,
    calibrate_simulation,
    option_a_savings,
    option_b_savings,
    option_d_savings,
)

TIMETABLE = "School timetable 2023: 12 h × 250 teaching days, signed by both parties"


# --- Option A ------------------------------------------------------------------------------------


def test_option_a_lighting_retrofit_measured_kw_times_stipulated_hours():
    # 200 T8 fittings measured at 72 W each → 14.4 kW; LED replacements measured at 36 W → 7.2 kW.
    result = option_a_savings(
        baseline_demand_kw=Measured(14.4, "power analyser, 2024-03-04, all circuits"),
        reporting_demand_kw=Measured(7.2, "power analyser, 2024-09-02, all circuits"),
        operating_hours=Stipulated(3000, TIMETABLE),
    )
    assert result.baseline_energy_kwh == pytest.approx(43_200)
    assert result.reporting_energy_kwh == pytest.approx(21_600)
    assert result.savings_kwh == pytest.approx(21_600)  # (14.4 − 7.2) × 3000
    basis = {p["name"]: p["basis"] for p in result.parameters}
    assert basis == {
        "baseline_demand_kw": "measured",
        "reporting_demand_kw": "measured",
        "operating_hours": "stipulated",
    }
    assert result.parameters[2]["source"] == TIMETABLE


def test_option_a_interactive_effect_and_changed_hours():
    # Occupancy sensors cut hours to 2,400; lighting heat no longer cooled: +5 % (stipulated).
    result = option_a_savings(
        baseline_demand_kw=Measured(14.4),
        reporting_demand_kw=Measured(7.2),
        operating_hours=Stipulated(3000, TIMETABLE),
        reporting_operating_hours=Measured(2400, "hour loggers, 8 weeks"),
        interactive_factor=Stipulated(0.05, "GB 50189 cooling COP 3.0, 1/3 of heat to cooling"),
    )
    # (14.4 × 3000 − 7.2 × 2400) × 1.05 = (43,200 − 17,280) × 1.05 = 27,216
    assert result.savings_kwh == pytest.approx(27_216)
    assert result.interactive_factor == 0.05
    doc = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert doc["savings_kwh"] == pytest.approx(27_216)
    assert [p["name"] for p in doc["parameters"]][-1] == "interactive_factor"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"baseline_demand_kw": Measured(-1.0)},
            "baseline_demand_kw: must not be negative, got -1",
        ),
        ({"baseline_demand_kw": Measured(None)}, "baseline_demand_kw: is missing"),
        ({"reporting_demand_kw": Measured(float("nan"))}, "reporting_demand_kw: is missing"),
        (
            {"operating_hours": Stipulated(3000, "  ")},
            "operating_hours: a stipulated value needs a non-empty source",
        ),
        ({"operating_hours": 3000}, "operating_hours: must be Measured(...) or Stipulated(...)"),
        (
            {"operating_hours": Stipulated("lots", TIMETABLE)},
            "operating_hours: must be a number, got 'lots'",
        ),
        (
            {"interactive_factor": Stipulated(-1.2, "guess")},
            "interactive_factor: must be greater than -1, got -1.2",
        ),
        (
            {
                "baseline_demand_kw": Stipulated(14.4, "nameplate"),
                "reporting_demand_kw": Stipulated(7.2, "nameplate"),
            },
            "parameters: Option A needs at least one measured key parameter (demand or hours)",
        ),
    ],
)
def test_option_a_rejects_bad_parameters_naming_the_field(kwargs, message):
    args = {
        "baseline_demand_kw": Measured(14.4),
        "reporting_demand_kw": Measured(7.2),
        "operating_hours": Stipulated(3000, TIMETABLE),
        **kwargs,
    }
    with pytest.raises(InvalidInputError) as info:
        option_a_savings(**args)
    assert str(info.value) == message


# --- Option B ------------------------------------------------------------------------------------

# Chilled-water pump, sub-metered: runtime hours per month and kWh per month.
RUNTIME_H = [100, 200, 300, 400]
PUMP_KWH = [1500, 2600, 3400, 4500]


def test_option_b_pump_regression_by_hand():
    result = option_b_savings(
        RUNTIME_H, PUMP_KWH, [150, 250], [1700, 2500], driver_name="runtime_h"
    )
    # x̄ = 250, ȳ = 3000, Sxx = 50,000, Sxy = 490,000 → slope 9.8 kWh/h, intercept 550 kWh.
    assert result.slope == pytest.approx(9.8)
    assert result.intercept == pytest.approx(550.0)
    # Fitted 1530, 2510, 3490, 4470 → residuals −30, 90, −90, 30; SSE 18,000; n − p = 2.
    assert result.statistics.cvrmse == pytest.approx(math.sqrt(18_000 / 2) / 3000)
    assert result.statistics.nmbe == pytest.approx(0.0, abs=1e-12)
    # SST = 1500² + 400² + 400² + 1500² = 4,820,000
    assert result.statistics.r_squared == pytest.approx(1 - 18_000 / 4_820_000)
    # Adjusted baseline 550 + 9.8 × 150 = 2020 and 550 + 9.8 × 250 = 3000.
    assert result.adjusted_baseline == pytest.approx((2020.0, 3000.0))
    assert result.savings == pytest.approx(5020 - 4200)
    assert result.savings_fraction == pytest.approx(820 / 5020)
    # FSU (G14 Annex B): ρ of the residuals (−30, 90, −90, 30) is −13,200 / 16,800.
    rho = -13_200 / 16_800
    n, m, cv = 4, 2, math.sqrt(9000) / 3000
    n_eff = n * (1 - rho) / (1 + rho)
    expected = (sps.t.ppf(0.95, n - 2) * 1.26 * cv * math.sqrt(n / n_eff * (1 + 2 / n_eff) / m)) / (
        820 / 5020
    )
    assert result.fsu_90 == pytest.approx(expected)
    assert result.fsu_68 < result.fsu_90
    assert result.warnings == ()


def test_option_b_through_the_origin_and_warnings_as_data():
    # energy = slope × runtime: slope = Σxy / Σx² = (1100 + 3800 + 9000) / (100 + 400 + 900)
    result = option_b_savings([10, 20, 30], [110, 190, 300], [50], [400], fit_intercept=False)
    assert (result.intercept, result.slope) == (0.0, pytest.approx(13_900 / 1_400))
    assert result.statistics.p == 1
    assert result.savings == pytest.approx(50 * 13_900 / 1_400 - 400)
    # the reporting runtime (50 h) lies beyond the baseline's 10–30 h
    assert [w.code for w in result.warnings] == ["reporting_driver_out_of_range"]
    assert result.warnings[0].data["reporting_max"] == 50.0
    assert 0 < result.fsu_68 < result.fsu_90 < math.inf
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ([100, 200, 300, 400], [1500, 2600, np.nan, 4500], [150], [1700]),
            "baseline_energy: missing value at index 2",
        ),
        (
            ([100, 200, 300, 400], [1500, -5, 3400, 4500], [150], [1700]),
            "baseline_energy: must not be negative (index 1: -5)",
        ),
        (
            ([100, 200, 300, 400], [1500, 2600, 3400], [150], [1700]),
            "baseline_energy: has 3 values but baseline_driver has 4",
        ),
        (
            ([100, 200], [1500, 2600], [150], [1700]),
            "baseline_driver: needs at least 3 values, got 2",
        ),
        (
            ([100, 100, 100], [1500, 2600, 3400], [150], [1700]),
            "baseline_driver: must vary to fit a slope",
        ),
        (
            ([100, 200, 300], [1500, 2600, 3400], [150, 160], [1700]),
            "reporting_energy: has 1 values but reporting_driver has 2",
        ),
        (([100, 200, 300], [1, 2, 3], None, [1]), "reporting_driver: is missing"),
    ],
)
def test_option_b_rejects_bad_series_naming_the_field(args, message):
    with pytest.raises(InvalidInputError) as info:
        option_b_savings(*args)
    assert str(info.value) == message


@settings(max_examples=40, deadline=None)
@given(
    intercept=st.floats(0, 1000),
    slope=st.floats(0.01, 50),
    drivers=st.lists(st.integers(0, 1000), min_size=3, max_size=30, unique=True),
)
def test_option_b_recovers_an_exact_line_and_zero_savings_without_change(intercept, slope, drivers):
    x = np.array(drivers, dtype=float)  # e.g. whole runtime hours per month
    y = intercept + slope * x
    result = option_b_savings(x, y, x, y)
    assert result.slope == pytest.approx(slope, rel=1e-6, abs=1e-6)
    assert result.savings == pytest.approx(0.0, abs=1e-6 * (1 + float(y.sum())))


# --- Option D ------------------------------------------------------------------------------------

MEASURED_MONTHS = [1000.0] * 12


def test_calibration_within_monthly_limits():
    simulated = [1050.0, 950.0] * 6  # errors ±50 kWh: no bias
    result = calibrate_simulation(simulated, MEASURED_MONTHS, interval="monthly")
    assert result.nmbe == pytest.approx(0.0, abs=1e-15)
    # CV(RMSE) = sqrt(12 × 50² / (12 − 1)) / 1000
    assert result.cvrmse == pytest.approx(math.sqrt(12 * 2500 / 11) / 1000)
    assert (result.nmbe_limit, result.cvrmse_limit) == (0.05, 0.15)
    assert result.calibrated


def test_biased_simulation_fails_monthly_but_passes_hourly_limits():
    simulated = [940.0] * 12  # under-predicts by 60 kWh every month
    monthly = calibrate_simulation(simulated, MEASURED_MONTHS, interval="monthly")
    # NMBE = 12 × 60 / ((12 − 1) × 1000) = 6.55 % > 5 %
    assert monthly.nmbe == pytest.approx(720 / 11_000)
    assert monthly.cvrmse == pytest.approx(math.sqrt(12 * 3600 / 11) / 1000)
    assert not monthly.nmbe_ok and monthly.cvrmse_ok and not monthly.calibrated
    hourly = calibrate_simulation(simulated, MEASURED_MONTHS, interval="hourly")
    assert hourly.calibrated  # ±10 % / 30 %


def test_option_d_savings_simulated_baseline_minus_reporting():
    result = option_d_savings(
        calibration_simulated=[1050.0, 950.0] * 6,
        calibration_measured=MEASURED_MONTHS,
        simulated_baseline=[1200.0, 1100.0, 1000.0],
        reporting=[1000.0, 950.0, 900.0],
    )
    assert result.savings_by_period == pytest.approx((200.0, 150.0, 100.0))
    assert result.savings == pytest.approx(450.0)
    assert result.savings_fraction == pytest.approx(450 / 3300)
    assert result.reporting_basis == "simulated"
    assert result.calibration.calibrated and result.warnings == ()
    doc = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert doc["calibration"]["calibrated"] is True


def test_option_d_uncalibrated_model_is_reported_not_hidden():
    result = option_d_savings(
        calibration_simulated=[940.0] * 6,
        calibration_measured=[1000.0] * 6,
        simulated_baseline=[1200.0],
        reporting=[1000.0],
        reporting_basis="measured",
    )
    assert result.savings == pytest.approx(200.0)
    codes = [w.code for w in result.warnings]
    assert codes == ["short_calibration_period", "simulation_not_calibrated"]
    assert result.warnings[1].disqualifying


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval": "daily"}, "interval: must be 'monthly' or 'hourly', got 'daily'"),
        (
            {"reporting_basis": "guessed"},
            "reporting_basis: must be 'simulated' or 'measured', got 'guessed'",
        ),
        (
            {"calibration_measured": [1000.0] * 11},
            "calibration_measured: has 11 values but calibration_simulated has 12",
        ),
        ({"reporting": [1.0, -2.0, 3.0]}, "reporting: must not be negative (index 1: -2)"),
        (
            {"simulated_baseline": [1.0, 2.0]},
            "reporting: has 3 values but simulated_baseline has 2",
        ),
    ],
)
def test_option_d_rejects_bad_input_naming_the_field(kwargs, message):
    args = {
        "calibration_simulated": [1000.0] * 12,
        "calibration_measured": [1000.0] * 12,
        "simulated_baseline": [3.0, 2.0, 1.0],
        "reporting": [1.0, 1.0, 1.0],
        **kwargs,
    }
    with pytest.raises(InvalidInputError) as info:
        option_d_savings(**args)
    assert str(info.value) == message
