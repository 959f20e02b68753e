"""Pure M&V statistical core: baseline models, statistics, data sufficiency and savings.

Imports only the standard library, numpy and scipy; deterministic; never mutates its inputs.
Dates are ``datetime.date`` (or ``numpy.datetime64[D]``) and periods are half-open
``[start, end)``.
"""

from emc.mv.engine.daily import (
    FORMS,
    BillingDesign,
    DailyModel,
    FitOptions,
    balance_point_grid,
    billing_design,
    fit_billing,
    fit_daily,
)
from emc.mv.engine.errors import (
    InsufficientDataError,
    InvalidInputError,
    ModelFormatError,
    MVError,
    MVWarning,
    Warning,
)
from emc.mv.engine.savings import (
    NonRoutineAdjustment,
    NormalisedSavings,
    SavingsResult,
    billing_savings,
    daily_savings,
    normalised_savings,
)
from emc.mv.engine.serialization import model_from_dict
from emc.mv.engine.stats import (
    FitStatistics,
    adj_r_squared,
    autocorr_lag1,
    cvrmse,
    fit_statistics,
    fsu,
    g14_cvrmse_limit,
    g14_verdict,
    nmbe,
    r_squared,
    sun_balthazar_y,
    t_statistic,
    uncertainty_fraction,
)
from emc.mv.engine.sufficiency import (
    baseline_length_warnings,
    billing_sufficiency,
    clean_billing_periods,
    daily_sufficiency,
    raise_if_insufficient,
)
from emc.mv.engine.temperature import (
    DailyTemperature,
    celsius_to_fahrenheit,
    cooling_degree_days,
    daily_temperature,
    fahrenheit_to_celsius,
    heating_degree_days,
    interpolate_hourly_gaps,
)

__all__ = [
    "FORMS",
    "BillingDesign",
    "DailyModel",
    "FitOptions",
    "balance_point_grid",
    "billing_design",
    "fit_billing",
    "fit_daily",
    "InsufficientDataError",
    "InvalidInputError",
    "ModelFormatError",
    "MVError",
    "MVWarning",
    "Warning",
    "NonRoutineAdjustment",
    "NormalisedSavings",
    "SavingsResult",
    "billing_savings",
    "daily_savings",
    "normalised_savings",
    "model_from_dict",
    "baseline_length_warnings",
    "billing_sufficiency",
    "clean_billing_periods",
    "daily_sufficiency",
    "raise_if_insufficient",
    "DailyTemperature",
    "celsius_to_fahrenheit",
    "cooling_degree_days",
    "daily_temperature",
    "fahrenheit_to_celsius",
    "heating_degree_days",
    "interpolate_hourly_gaps",
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

# --- hourly (TOWT) and IPMVP options A/B/D: re-exports added by their author below this line ---

from emc.mv.engine.hourly import (  # noqa: E402
    DEFAULT_BIN_ENDPOINTS_F,
    HOURLY_MODEL_SCHEMA,
    HourlyModel,
    HourlySegment,
    fit_hourly,
    hour_of_week,
)
from emc.mv.engine.options import (  # noqa: E402
    CALIBRATION_LIMITS,
    CalibrationResult,
    Measured,
    OptionAResult,
    OptionBResult,
    OptionDResult,
    Stipulated,
    calibrate_simulation,
    option_a_savings,
    option_b_savings,
    option_d_savings,
)

__all__ += [
    "DEFAULT_BIN_ENDPOINTS_F",
    "HOURLY_MODEL_SCHEMA",
    "HourlyModel",
    "HourlySegment",
    "fit_hourly",
    "hour_of_week",
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
