"""CalTRACK hourly TOWT model: known answers, reference agreement, weighting, time zones."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from emc.mv.engine.errors import InsufficientDataError, InvalidInputError, ModelFormatError
from emc.mv.engine.hourly import (
    DEFAULT_BIN_ENDPOINTS_F,
    HourlyModel,
    fit_hourly,
    hour_of_week,
)

YEAR_HOURS = 8760


def _hours(start_utc: str, n: int = YEAR_HOURS) -> np.ndarray:
    return np.datetime64(start_utc, "s") + np.arange(n) * np.timedelta64(3600, "s")


def _bin_features(temp_f: np.ndarray) -> np.ndarray:
    # Written out independently of the module: bin 0 is min(T, 30), the last max(T − 90, 0),
    # the others the part of T inside (e[i−1], e[i]].
    e = DEFAULT_BIN_ENDPOINTS_F
    cols = [np.minimum(temp_f, e[0])]
    cols += [np.clip(temp_f - lo, 0.0, hi - lo) for lo, hi in zip(e[:-1], e[1:], strict=True)]
    cols.append(np.maximum(temp_f - e[-1], 0.0))
    return np.column_stack(cols)


OCC_SLOPES = np.array([-1.5, -1.2, -0.8, 0.0, 2.0, 3.5, 5.0])  # kWh per °F in each bin
UNOCC_SLOPES = np.array([-0.6, -0.5, -0.3, 0.0, 0.8, 1.2, 2.0])


def _truth(timestamps, temp_f, timezone="Asia/Shanghai"):
    """A TOWT building: weekday 08–18 local occupied, piecewise-linear in the CalTRACK bins."""
    how = hour_of_week(timestamps, timezone)
    occupied = (how // 24 < 5) & (how % 24 >= 8) & (how % 24 < 18)
    base = 100.0 + 10.0 * np.sin(2 * np.pi * how / 168.0) + 120.0 * occupied
    feats = _bin_features(temp_f)
    slope = feats @ OCC_SLOPES
    slope_unocc = feats @ UNOCC_SLOPES
    return base + np.where(occupied, slope, slope_unocc), occupied


def _temperatures_f(n: int, phase: float = 0.0) -> np.ndarray:
    # Swings of 17–103 °F within every month (a 7.3-day cycle) so every CalTRACK bin holds
    # well over 20 hours in every three-month window, on top of a seasonal drift.
    h = np.arange(n)
    return (
        60.0
        + 40.0 * np.sin(2 * np.pi * h / (24 * 7.3) + phase)
        + 3.0 * np.sin(2 * np.pi * h / YEAR_HOURS)
    )


@pytest.fixture(scope="module")
def clean_year():
    ts = _hours("2022-12-31T16:00")  # 2023-01-01 00:00 in Shanghai
    temp_f = _temperatures_f(YEAR_HOURS)
    usage, occupied = _truth(ts, temp_f)
    return ts, temp_f, usage, occupied


@pytest.fixture(scope="module")
def clean_model(clean_year):
    ts, temp_f, usage, _ = clean_year
    return fit_hourly(ts, usage, temp_f, temperature_unit="F")


def test_noise_free_towt_building_is_recovered_exactly(clean_year, clean_model):
    ts, temp_f, usage, _ = clean_year
    np.testing.assert_allclose(clean_model.predict(ts, temp_f), usage, rtol=0, atol=1e-6)
    assert clean_model.statistics.cvrmse < 1e-9
    assert clean_model.statistics.n == YEAR_HOURS


def test_noise_free_model_predicts_new_weather_exactly(clean_year, clean_model):
    ts = _hours("2023-12-31T16:00")
    temp_f = _temperatures_f(YEAR_HOURS, phase=1.3)
    expected, _ = _truth(ts, temp_f)
    np.testing.assert_allclose(clean_model.predict(ts, temp_f), expected, rtol=0, atol=1e-6)


def test_obvious_schedule_is_detected_as_occupancy(clean_year, clean_model):
    ts, _, _, occupied = clean_year
    how = hour_of_week(ts)
    truth = np.zeros(168, dtype=bool)
    truth[how[occupied]] = True
    assert truth.sum() == 50
    for seg in clean_model.segments:
        assert np.array_equal(np.array(seg.occupied), truth), seg.month


def test_celsius_input_gives_the_same_predictions(clean_year, clean_model):
    ts, temp_f, usage, _ = clean_year
    temp_c = (temp_f - 32.0) / 1.8
    model_c = fit_hourly(ts, usage, temp_c)  # default unit °C
    np.testing.assert_allclose(model_c.predict(ts, temp_c), clean_model.predict(ts, temp_f))
    assert model_c.segments[0].bin_endpoints_f == pytest.approx(DEFAULT_BIN_ENDPOINTS_F)


def test_seeded_noise_gives_cvrmse_near_the_noise_level(clean_year):
    ts, temp_f, usage, _ = clean_year
    sigma = 12.0
    noisy = usage + np.random.default_rng(7).normal(0.0, sigma, usage.size)
    model = fit_hourly(ts, noisy, temp_f, temperature_unit="F")
    noise_level = sigma / float(np.mean(noisy))
    # In-sample residuals are a little smaller than the noise: each hour's monthly model spends
    # about 180 parameters on roughly 730 own-month hours.
    assert 0.85 * noise_level < model.statistics.cvrmse < 1.02 * noise_level
    assert abs(model.statistics.nmbe) < 1e-3
    assert abs(model.statistics.autocorrelation) < 0.1
    assert model.statistics.p == max(s.n_parameters for s in model.segments)


def test_change_in_one_month_moves_its_neighbours_but_not_distant_months(clean_year):
    ts, temp_f, usage, _ = clean_year
    noisy = usage + np.random.default_rng(3).normal(0.0, 5.0, usage.size)
    base = fit_hourly(ts, noisy, temp_f, temperature_unit="F")
    months = (ts + np.timedelta64(8, "h")).astype("datetime64[M]").astype(int) % 12 + 1
    changed = noisy.copy()
    changed[months == 6] *= 1.3
    moved = fit_hourly(ts, changed, temp_f, temperature_unit="F")
    for m in range(1, 13):
        before, after = base.segments[m - 1], moved.segments[m - 1]
        if m in (5, 6, 7):
            assert before.hour_of_week_coefficients != after.hour_of_week_coefficients, m
        else:
            assert before.to_dict() == after.to_dict(), m


def test_round_trip_through_json_predicts_identically(clean_year):
    ts, temp_f, usage, _ = clean_year
    noisy = usage + np.random.default_rng(11).normal(0.0, 8.0, usage.size)
    noisy[::50] = np.nan
    model = fit_hourly(ts, noisy, (temp_f - 32) / 1.8, timezone="Asia/Shanghai")
    text = json.dumps(model.to_dict(), allow_nan=False)
    again = HourlyModel.from_dict(json.loads(text))
    new_temp_c = (_temperatures_f(YEAR_HOURS, phase=0.4) - 32) / 1.8
    assert np.array_equal(again.predict(ts, new_temp_c), model.predict(ts, new_temp_c))
    assert again.to_dict() == model.to_dict()
    assert again.statistics == model.statistics


def test_missing_hours_are_left_out_and_predict_nan(clean_year):
    ts, temp_f, usage, _ = clean_year
    usage_gappy, temp_gappy = usage.copy(), temp_f.copy()
    usage_gappy[::37] = np.nan
    temp_gappy[5::101] = np.nan
    model = fit_hourly(ts, usage_gappy, temp_gappy, temperature_unit="F")
    pred = model.predict(ts, temp_gappy)
    assert np.array_equal(np.isnan(pred), np.isnan(temp_gappy))
    ok = ~np.isnan(temp_gappy)
    np.testing.assert_allclose(pred[ok], usage[ok], rtol=0, atol=1e-6)
    assert model.statistics.n == int(np.sum(~np.isnan(usage_gappy) & ok))


def test_inputs_are_not_mutated(clean_year):
    ts, temp_f, usage, _ = clean_year
    copies = [ts.copy(), usage.copy(), temp_f.copy()]
    fit_hourly(ts, usage, temp_f, temperature_unit="F").predict(ts, temp_f)
    for before, after in zip(copies, [ts, usage, temp_f], strict=True):
        assert np.array_equal(before, after)


def test_month_without_data_has_no_model_and_predicts_nan(clean_year):
    ts, temp_f, usage, _ = clean_year
    months = (ts + np.timedelta64(8, "h")).astype("datetime64[M]").astype(int) % 12 + 1
    keep = ~np.isin(months, (5, 6, 7))
    model = fit_hourly(ts[keep], usage[keep], temp_f[keep], temperature_unit="F")
    assert model.segments[5] is None  # June: no data in May, June or July
    assert model.segments[4] is not None  # May borrows April at weight 0.5
    codes = [(w.code, w.data.get("month")) for w in model.warnings]
    assert ("month_without_model", 6) in codes
    assert ("month_fitted_from_neighbours", 5) in codes
    pred = model.predict(ts, temp_f)
    assert np.isnan(pred[months == 6]).all()
    np.testing.assert_allclose(pred[months == 1], usage[months == 1], rtol=0, atol=1e-6)


# --- agreement with the reference implementation --------------------------------------------


def _reference_case():
    # Integer-hash noise rather than a random generator, so that exactly the same data were fed
    # to eemeter 2.10.11 (numpy 1.26) to obtain the constants below.
    i = np.arange(YEAR_HOURS, dtype=np.int64)
    seconds = 1672502400 + 3600 * i  # 2023-01-01 00:00 Asia/Shanghai, a Sunday
    u1 = ((i * 2654435761 + 12345) % 4294967296) / 4294967296.0
    u2 = ((i * 40503 + 7) % 65536) / 65536.0
    temp_f = (
        62.0
        + 25.0 * np.sin(2 * np.pi * (i / 8760 - 0.3))
        + 8.0 * np.sin(2 * np.pi * ((i % 24) - 9) / 24)
        + 10.0 * (u1 - 0.5)
    )
    weekday = (6 + i // 24) % 7
    hour = i % 24
    occ = (weekday < 5) & (hour >= 8) & (hour < 19)
    usage = (
        80.0
        + 60.0 * occ
        + 3.0 * np.maximum(temp_f - 65.0, 0.0) * (1 + occ)
        + 2.0 * np.maximum(50.0 - temp_f, 0.0)
        + 20.0 * (u2 - 0.5)
    )
    usage[i % 97 == 5] = np.nan
    temp_f[i % 211 == 17] = np.nan
    return seconds.astype("datetime64[s]"), usage, temp_f


# eemeter 2.10.11: create_caltrack_hourly_preliminary_design_matrix, segment_time_series
# ("three_month_weighted"), estimate_hour_of_week_occupancy, fit_temperature_bins,
# fit_caltrack_hourly_model on the series above indexed in Asia/Shanghai, then predict.
EEMETER_MONTHLY_SUMS = [
    91065.88744965752,
    79992.17391399508,
    80334.32457314235,
    74911.42959068602,
    101902.79179478009,
    125471.22584330951,
    140403.70851590112,
    135251.4880449748,
    104794.45233099506,
    82064.76673134362,
    75555.25868223375,
    86053.2497090829,
]
EEMETER_POINTS = {
    0: 117.37003225104868,
    1000: 93.11551772606295,
    2000: 88.98086779082274,
    3333: 120.03397634738313,
    4444: 122.77293465835857,
    5555: 137.54441348471613,
    6666: 211.83981062679152,
    7777: 95.57652759857622,
    8759: 113.95126730552462,
}


def test_predictions_match_eemeter_2_caltrack_hourly():
    ts, usage, temp_f = _reference_case()
    model = fit_hourly(ts, usage, temp_f, temperature_unit="F")
    pred = model.predict(ts, temp_f)
    assert np.array_equal(np.isnan(pred), np.isnan(temp_f))
    months = (ts + np.timedelta64(8, "h")).astype("datetime64[M]").astype(int) % 12
    sums = [float(np.nansum(pred[months == k])) for k in range(12)]
    assert sums == pytest.approx(EEMETER_MONTHLY_SUMS, rel=1e-10)
    for k, value in EEMETER_POINTS.items():
        assert pred[k] == pytest.approx(value, rel=1e-10), k
    # This data set has months whose coldest bin holds only unoccupied hours; the reference's
    # pseudo-inverse then picks the minimum-norm solution, and so must we.
    assert any(s.minimum_norm for s in model.segments)


# --- time of week ------------------------------------------------------------------------------


def test_hour_of_week_in_shanghai_is_utc_plus_eight_all_year():
    ts = np.array(["2024-01-01T00:00", "2024-07-01T00:00", "2024-06-30T16:00"], "datetime64[s]")
    # 2024-01-01 is a Monday: 08:00 local; 2024-07-01 (Monday) 08:00; 2024-07-01 00:00 local.
    assert hour_of_week(ts, "Asia/Shanghai").tolist() == [8, 8, 0]


def test_hour_of_week_in_berlin_follows_daylight_saving():
    # Spring forward on Sunday 2024-03-31 at 01:00 UTC; fall back on Sunday 2024-10-27 at 01:00.
    ts = np.array(
        ["2024-03-31T00:30", "2024-03-31T01:30", "2024-10-27T00:30", "2024-10-27T01:30"],
        "datetime64[s]",
    )
    sunday = 6 * 24
    assert hour_of_week(ts, "Europe/Berlin").tolist() == [
        sunday + 1,  # 01:30 CET
        sunday + 3,  # 03:30 CEST: 02:xx does not exist that day
        sunday + 2,  # 02:30 CEST
        sunday + 2,  # 02:30 CET, the repeated hour
    ]


def test_aware_datetimes_and_datetime64_agree():
    start = datetime(2024, 3, 30, tzinfo=UTC)
    aware = [start + timedelta(hours=k) for k in range(72)]
    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in aware]
    as64 = np.array([t.replace(tzinfo=None) for t in aware], dtype="datetime64[s]")
    expected = hour_of_week(as64, "Europe/Berlin")
    assert hour_of_week(aware, "Europe/Berlin").tolist() == expected.tolist()
    assert hour_of_week(local, "Europe/Berlin").tolist() == expected.tolist()


def test_berlin_schedule_is_fitted_in_local_time_across_dst():
    ts = _hours("2022-12-31T23:00")  # 2023-01-01 00:00 CET
    temp_f = _temperatures_f(YEAR_HOURS)
    usage, occupied = _truth(ts, temp_f, "Europe/Berlin")
    model = fit_hourly(ts, usage, temp_f, timezone="Europe/Berlin", temperature_unit="F")
    np.testing.assert_allclose(model.predict(ts, temp_f), usage, rtol=0, atol=1e-6)
    july = model.segments[6]
    assert july.occupied[8] and not july.occupied[7] and july.occupied[17]
    assert not july.occupied[18]
    # Read in UTC the same building would look occupied from 06:00 in summer: it does not.
    shifted = fit_hourly(ts, usage, temp_f, timezone="UTC", temperature_unit="F")
    assert shifted.segments[6].occupied[6]


# --- bad input -----------------------------------------------------------------------------------


def test_bad_inputs_raise_errors_naming_the_field():
    ts = _hours("2023-01-01T00:00", 48)
    ok = np.ones(48)
    cases = [
        (lambda: fit_hourly(ts, ok[:47], ok), "usage: has 47 values but there are 48 timestamps"),
        (
            lambda: fit_hourly(ts, ok, ok, temperature_unit="K"),
            "temperature_unit: must be 'C' or 'F', got 'K'",
        ),
        (
            lambda: fit_hourly(ts, ok, ok, timezone="Mars/Olympus"),
            "timezone: unknown IANA timezone 'Mars/Olympus'",
        ),
        (
            lambda: fit_hourly(np.concatenate([ts[:1], ts[:47]]), ok, ok),
            "timestamps: contains duplicate instants",
        ),
        (
            lambda: fit_hourly([datetime(2023, 1, 1, h) for h in range(24)], ok[:24], ok[:24]),
            "timestamps: must be numpy datetime64 (UTC) or timezone-aware datetimes",
        ),
        (
            lambda: fit_hourly(ts, np.where(np.arange(48) == 3, np.inf, 1.0), ok),
            "usage: contains infinite values (use nan for missing hours)",
        ),
        (
            lambda: fit_hourly(ts, ok, ok, bin_endpoints=[10, 5]),
            "bin_endpoints: must be finite and strictly increasing",
        ),
        (
            lambda: fit_hourly(ts, ok, ok, occupancy_threshold=1.5),
            "occupancy_threshold: must be between 0 and 1",
        ),
        (lambda: fit_hourly(ts, ["a"] * 48, ok), "usage: must be numeric"),
    ]
    for call, message in cases:
        with pytest.raises(InvalidInputError) as info:
            call()
        assert str(info.value) == message


def test_no_usable_hour_raises_insufficient_data():
    ts = _hours("2023-01-01T00:00", 24)
    with pytest.raises(InsufficientDataError, match="no hour has both usage and temperature"):
        fit_hourly(ts, np.full(24, np.nan), np.ones(24))


def test_from_dict_rejects_other_schemas_and_versions(clean_model):
    data = clean_model.to_dict()
    with pytest.raises(ModelFormatError, match="not an hourly TOWT model"):
        HourlyModel.from_dict({**data, "schema": "emc.mv.daily"})
    with pytest.raises(ModelFormatError, match="unsupported hourly model version 99"):
        HourlyModel.from_dict({**data, "version": 99})
    broken = {**data, "segments": data["segments"][:11]}
    with pytest.raises(ModelFormatError, match="12 monthly segments"):
        HourlyModel.from_dict(broken)


def test_segment_statistics_describe_each_months_own_hours(clean_year):
    ts, temp_f, usage, _ = clean_year
    noisy = usage + np.random.default_rng(5).normal(0.0, 6.0, usage.size)
    model = fit_hourly(ts, noisy, temp_f, temperature_unit="F")
    jan = model.segments[0]
    assert jan.statistics.n == 31 * 24
    assert jan.statistics.p == jan.n_parameters == 168 + 2 * 7
    assert not math.isnan(jan.statistics.cvrmse)
