"""The M&V warnings (the engine's and the M&V services' own) said in the reader's language.

A warning is stored as data (``code``, English ``message``, ``data``): the English message stays
for logs and the API; pages and PDFs say it from its code and data through :func:`say_warning`,
given the reader's gettext (Flask-Babel's on a page, :func:`emc.i18n.translate` in a PDF). No
Flask here. ``tests/mv/test_warning_labels.py`` finds every code the engine and the services
emit and checks that each has a sentence here with a Chinese translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emc.i18n import N_
from emc.labels import period

# The sentences by code; params are the warning's ``data`` keys (numbers rounded for reading,
# day types named, and the derived params of :func:`_params`).
MV_WARNINGS = {
    "too_few_observations": N_(
        "%(n)s observations cannot support statistics of a %(p)s-parameter model."
    ),
    "day_type_merged": N_(
        "Only %(n_days)s baseline days are %(day_type)s (fewer than %(min_days)s): they share the "
        "intercept of %(into)s, the type with the nearest mean use."
    ),
    "reporting_day_type_unseen": N_(
        "The baseline has no %(day_type)s days; reporting %(day_type)s days are predicted as "
        "%(as)s."
    ),
    "rank_deficient_month": N_(
        "Month %(month)s: collinear temperature terms; the minimum-norm solution is used."
    ),
    "hours_of_week_missing": N_(
        "Month %(month)s: some hours of the week have no data and predict nothing."
    ),
    "month_without_model": N_(
        "Month %(month)s: no data in it or its neighbouring months; it predicts nothing."
    ),
    "month_fitted_from_neighbours": N_(
        "Month %(month)s: no data of its own; fitted on its neighbouring months."
    ),
    "statistics_undefined": N_(
        "Fewer predicted hours than the %(n_parameters)s parameters of a monthly model."
    ),
    "negative_slope": N_("Energy falls as the driver rises (slope %(slope)s): check the driver."),
    "reporting_driver_out_of_range": N_(
        "The reporting driver (%(reporting_min)s–%(reporting_max)s) is outside the baseline range "
        "(%(baseline_min)s–%(baseline_max)s): the model extrapolates."
    ),
    "short_calibration_period": N_(
        "Calibrated on %(months)s months; ASHRAE Guideline 14 expects a full year (12)."
    ),
    "simulation_not_calibrated": N_(
        "The simulation is not calibrated: NMBE %(nmbe)s, CV(RMSE) %(cvrmse)s."
    ),
    "reporting_days_without_savings": N_(
        "%(n_days)s reporting days lack usage or a prediction (missing temperature) and count no "
        "routine savings."
    ),
    "reporting_hours_without_savings": N_(
        "%(n_hours)s reporting hours lack usage or a prediction (missing temperature) and count "
        "no routine savings."
    ),
    "incorrect_number_of_total_days": N_(
        "The baseline spans %(n_days_total)s days; CalTRACK requires 365 (366 in a leap year)."
    ),
    "too_many_days_with_missing_data": N_(
        "Only %(n_valid_days)s of %(n_days_total)s baseline days have both usage and temperature; "
        "at most 10 %% may be missing."
    ),
    "too_many_days_with_missing_meter_data": N_(
        "Only %(n_valid_days)s of %(n_days_total)s baseline days have usage; at most 10 %% may be "
        "missing."
    ),
    "too_many_days_with_missing_temperature_data": N_(
        "Only %(n_valid_days)s of %(n_days_total)s baseline days have a temperature; at most 10 %% "
        "may be missing."
    ),
    "negative_meter_values": N_(
        "%(n_negative_meter_values)s negative usage values (net metering with on-site generation?)."
    ),
    "extreme_values_detected": N_(
        "%(n_extreme_values)s usage values exceed median + 3 × IQR (%(extreme_value_limit)s): "
        "review them."
    ),
    "zero_usage_treated_as_missing": N_(
        "%(n_days)s days with zero usage are treated as missing (electricity)."
    ),
    "billing_periods_dropped": N_(
        "Billing periods shorter than %(min_days)s or longer than %(max_days)s days were dropped."
    ),
    "temperature_gaps_interpolated": N_(
        "%(n_hours)s missing hours of temperature were filled by linear interpolation (gaps of at "
        "most %(max_gap_hours)s h)."
    ),
    "missing_temperature_days": N_(
        "%(n_days_missing)s of %(n_days)s days have no daily mean temperature."
    ),
    # The M&V services' own warnings (emc.mv.data, emc.mv.service.compute, emc.mv.cli).
    "no_temperature": N_(
        "The site has no weather station, or its station has no temperatures for %(period)s."
    ),
    "temperature_interpolated": N_(
        "%(n_hours)s missing hours of temperature (gaps of at most 6 hours) were interpolated."
    ),
    "statutory_calendar_unknown": N_(
        "No statutory holiday schedule is entered for %(years)s: the days of those years are"
        " typed by weekday only."
    ),
    "insufficient_hours": N_(
        "%(month)s: only %(n_hours_with_data)s of %(n_hours)s hours have use and temperature"
        " (CalTRACK asks for at least 90 %%)."
    ),
    "too_many_missing_days": N_(
        "%(n_missing)s of %(n_days)s baseline days have no metered use (at most 10 %% may be"
        " missing)."
    ),
    "reporting_days_missing": N_(
        "%(month)s: %(n_missing)s of %(n_days)s days have no metered use; the month's demand is"
        " measured on the other days."
    ),
    "calibration_periods_without_data": N_(
        "%(n_periods)s simulated periods have no complete metered use and are left out of the"
        " calibration."
    ),
    "reporting_periods_without_data": N_(
        "%(n_missing)s of %(n_periods)s reporting periods lack metered use and count no savings."
    ),
}
# What a warning stored before its data carried the numbers says (the sentence without them).
MV_WARNINGS_WITHOUT_DATA = {
    "insufficient_hours": N_(
        "A month has fewer than 90 %% of its hours with use and temperature (CalTRACK)."
    ),
    "too_many_missing_days": N_(
        "More than 10 %% of the baseline days have no metered use (CalTRACK)."
    ),
    "reporting_days_missing": N_(
        "Month %(month)s: some days have no metered use; the month's demand is measured on the"
        " other days."
    ),
    "calibration_periods_without_data": N_(
        "Some simulated periods have no complete metered use and are left out of the calibration."
    ),
    "reporting_periods_without_data": N_(
        "Some reporting periods lack metered use and count no savings."
    ),
}
DAY_TYPES = {
    "workday": N_("Workday"),
    "weekend": N_("Weekend"),
    "holiday": N_("Statutory holiday"),
    "makeup_workday": N_("Make-up workday"),
    "vacation": N_("Vacation"),
}
_PERCENT_PARAMS = {"nmbe", "cvrmse"}


def _params(data: Mapping[str, Any], gettext: Callable[[str], str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("day_type", "into", "as") and value in DAY_TYPES:
            value = gettext(DAY_TYPES[value])
        elif key in _PERCENT_PARAMS and isinstance(value, int | float):
            value = f"{value:.1%}"
        elif isinstance(value, float):
            value = f"{value:,.4g}"
        elif key == "years" and isinstance(value, list | tuple):
            value = "、".join(str(v) for v in value)
        params[key] = value
    if "start" in data and "end" in data:
        params["period"] = period(data["start"], data["end"])
    if "periods" in data and "n_periods" not in data:
        params["n_periods"] = len(data["periods"] or [])
    return params


def say_warning(warning: Any, gettext: Callable[[str], str]) -> str:
    """An M&V warning (``code``, ``message``, ``data``; object or dict) in the reader's language
    (``gettext``: msgid → translated msgid): numbers rounded for reading, day types named,
    a period by its first and last day. A code unknown here is said by its English message."""
    get = warning.get if isinstance(warning, dict) else lambda k, d=None: getattr(warning, k, d)
    code = get("code")
    msgid = MV_WARNINGS.get(code)
    if msgid is None:
        return str(get("message") or "")
    params = _params(get("data") or {}, gettext)
    for candidate in (msgid, MV_WARNINGS_WITHOUT_DATA.get(code)):
        if candidate is None:
            continue
        try:
            return gettext(candidate) % params
        except (KeyError, TypeError, ValueError):
            # Data of an older version without a parameter the sentence names.
            continue
    return str(get("message") or "")
