"""The daily model with day types: known answers, the rare-type fallback, the grid search."""

import itertools

import numpy as np
import pytest

from emc.mv.engine import FitOptions, fit_daily, model_from_dict
from emc.mv.engine.daytypes import (
    DAY_TYPES,
    DayTypeModel,
    classify_days,
    daytype_savings,
    fit_daily_daytypes,
)
from emc.mv.engine.errors import InvalidInputError, ModelFormatError


def _six_weeks():
    """42 days from Monday 2024-03-04: 30 workdays and 12 weekend days, heating below 15 °C."""
    d = np.arange(np.datetime64("2024-03-04"), np.datetime64("2024-04-15"))
    temp = np.array([4.0, 6.0, 9.0, 12.0, 14.0, 16.0, 18.0] * 6) + np.repeat(np.arange(6.0), 7)
    types = classify_days(d)
    wobble = np.array([1.5, -1.0, 0.5, -0.5, 2.0, -2.0, 1.0])
    y = np.where(types == "workday", 100.0, 60.0) + 2.0 * np.maximum(15.0 - temp, 0.0)
    y = y + np.tile(wobble, 6) * np.repeat([1.0, -1.0, 0.5, 1.0, -0.5, 1.0], 7)
    return d, temp, types, y


def test_six_week_day_type_model_equals_least_squares_by_hand():
    d, temp, types, y = _six_weeks()
    assert (types == "workday").sum() == 30 and (types == "weekend").sum() == 12
    options = FitOptions(balance_points=(15.0,), forms=("intercept_only", "hdd_only"))
    model = fit_daily_daytypes(d, y, temp, types, options=options, allow_insufficient=True)

    # The least-squares answer from the design written out by hand: workday indicator,
    # weekend indicator, HDD at 15 °C.
    x = np.stack(
        [
            (types == "workday").astype(float),
            (types == "weekend").astype(float),
            np.maximum(15.0 - temp, 0.0),
        ],
        axis=1,
    )
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert model.form == "hdd_only" and model.heating_balance_point == 15.0
    assert model.intercepts["workday"] == pytest.approx(beta[0], abs=1e-9)
    assert model.intercepts["weekend"] == pytest.approx(beta[1], abs=1e-9)
    assert model.beta_hdd == pytest.approx(beta[2], abs=1e-9)
    resid = y - x @ beta
    n, p = 42, 3
    assert model.statistics.p == p
    assert model.statistics.cvrmse == pytest.approx(
        np.sqrt((resid**2).sum() / (n - p)) / y.mean(), rel=1e-9
    )
    # Truth is 100 / 60 / 2 per HDD; the wobble moves the estimates only a little.
    assert beta[0] == pytest.approx(100, abs=1.5) and beta[2] == pytest.approx(2, abs=0.2)
    assert model.predict([10.0], ["workday"])[0] == pytest.approx(beta[0] + 5 * beta[2])


def test_rare_day_type_merges_into_the_nearest_and_says_so():
    d, temp, types, y = _six_weeks()
    types = types.copy()
    # Two make-up workdays (调休 Saturdays): too few for their own intercept; weekends keep 10.
    sat = np.flatnonzero((d.astype(int) + 3) % 7 == 5)[:2]
    types[sat] = "makeup_workday"
    y = y.copy()
    y[sat] = 100.0 + 2.0 * np.maximum(15.0 - temp[sat], 0.0)
    model = fit_daily_daytypes(d, y, temp, types, allow_insufficient=True)
    assert set(model.intercepts) == {"workday", "weekend"}
    assert model.merged["makeup_workday"] == "workday"
    merged = [w for w in model.warnings if w.code == "day_type_merged"]
    assert len(merged) == 1
    assert merged[0].data == {
        "day_type": "makeup_workday",
        "into": "workday",
        "n_days": 2,
        "min_days": 10,
    }
    # Types absent from the baseline follow the fixed affinity, silently.
    assert model.merged["holiday"] == "weekend" and model.merged["vacation"] == "weekend"
    assert model.n_parameters == model.statistics.p


def test_rare_low_use_days_go_to_the_low_use_type():
    d, temp, types, y = _six_weeks()
    types = types.copy()
    idx = np.flatnonzero(types == "workday")[:5]
    types[idx] = "holiday"
    y = y.copy()
    y[idx] = 55.0
    model = fit_daily_daytypes(d, y, temp, types, allow_insufficient=True)
    assert model.merged["holiday"] == "weekend"


def _school_year(rng, start="2024-01-01", days=366, vac=((14, 49), (186, 242))):
    d = np.arange(np.datetime64(start), np.datetime64(start) + days)
    doy = np.arange(days)
    temp = 14.0 - 14.0 * np.cos(2 * np.pi * doy / 365.0) + rng.normal(0, 2.5, days)
    vacation = [day for a, b in vac for day in d[a:b]]
    types = classify_days(d, vacation_days=vacation)
    b0 = {"workday": 200.0, "weekend": 120.0, "holiday": 90.0, "vacation": 80.0}
    base = np.array([b0.get(t, 200.0) for t in types])
    y = base + 6.0 * np.maximum(12.0 - temp, 0) + 9.0 * np.maximum(temp - 22.0, 0)
    return d, temp, types, y


def test_grid_search_picks_the_brute_force_best_adjusted_r2(rng):
    d, temp, types, y = _school_year(rng)
    y = y * (1 + rng.normal(0, 0.08, y.size))
    grid = (8.0, 10.0, 12.0, 14.0, 20.0, 22.0, 24.0)
    model = fit_daily_daytypes(
        d, y, temp, types, options=FitOptions(balance_points=grid), vacation_slopes=False
    )
    kept = list(model.intercepts)
    dummies = [(types == k).astype(float) for k in kept]
    n, sst = y.size, ((y - y.mean()) ** 2).sum()

    def adj(cols):
        x = np.stack(dummies + cols, axis=1)
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        sse = ((y - x @ beta) ** 2).sum()
        ok = all(b > 0 for b in beta[len(kept) :]) and all(b >= 0 for b in beta[: len(kept)])
        return (1 - (sse / (n - x.shape[1])) / (sst / (n - 1))) if ok else -np.inf

    best = max(
        [adj([np.maximum(th - temp, 0)]) for th in grid]
        + [adj([np.maximum(temp - tc, 0)]) for tc in grid]
        + [
            adj([np.maximum(th - temp, 0), np.maximum(temp - tc, 0)])
            for th, tc in itertools.product(grid, grid)
            if th <= tc
        ]
    )
    assert model.statistics.adj_r_squared == pytest.approx(best, abs=1e-10)
    assert (model.heating_balance_point, model.cooling_balance_point) == (12.0, 22.0)


def test_vacation_slopes_kept_only_when_the_data_support_them(rng):
    d, temp, types, y = _school_year(rng)
    noise = 1 + rng.normal(0, 0.05, y.size)
    same = fit_daily_daytypes(d, y * noise, temp, types)
    assert not same.separate_vacation_slopes
    # A closed school: heating at set-back, half the slope, in vacation.
    vac = types == "vacation"
    y2 = y - np.where(vac, 3.0 * np.maximum(12.0 - temp, 0), 0.0)
    split = fit_daily_daytypes(d, y2 * noise, temp, types)
    assert split.separate_vacation_slopes
    assert split.vacation_beta_hdd == pytest.approx(3.0, rel=0.25)
    assert split.beta_hdd == pytest.approx(6.0, rel=0.15)


def test_day_types_beat_classic_on_a_school_and_a_moved_vacation_is_no_saving(rng):
    d, temp, types, y = _school_year(rng)
    y = y * (1 + rng.normal(0, 0.08, y.size))
    model = fit_daily_daytypes(d, y, temp, types)
    classic = fit_daily(d, y, temp)
    assert model.statistics.cvrmse < 0.7 * classic.statistics.cvrmse
    # Next year: the same building, vacations moved and longer, no saving.
    d2, temp2, types2, y2 = _school_year(
        np.random.default_rng(7), start="2025-01-01", days=365, vac=((24, 66), (180, 243))
    )
    res = daytype_savings(model, d2, y2, temp2, types2)
    assert abs(res.total_avoided) / res.total_adjusted_baseline < 0.02
    assert res.fsu_90 is not None


def test_serialised_model_predicts_exactly_what_the_original_did(rng):
    d, temp, types, y = _school_year(rng)
    model = fit_daily_daytypes(d, y * (1 + rng.normal(0, 0.05, y.size)), temp, types)
    data = model.to_dict()
    back = model_from_dict(data)
    assert isinstance(back, DayTypeModel) and back == model
    assert np.array_equal(back.predict(temp, types), model.predict(temp, types))
    assert set(data["day_types"]["intercepts"]) | set(data["day_types"]["merged"]) == set(DAY_TYPES)
    bad = dict(data, day_types=dict(data["day_types"], merged={}))
    with pytest.raises(ModelFormatError):
        model_from_dict(bad)


def test_classify_days_precedence():
    d = np.array(["2025-01-26", "2025-01-28", "2025-02-08", "2025-02-10", "2025-02-15"], "M8[D]")
    types = classify_days(
        d,
        holidays=["2025-01-28"],
        makeup_workdays=["2025-01-26", "2025-02-08"],
        vacation_days=["2025-02-08", "2025-01-28"],
        overrides={"2025-02-10": "holiday"},
    )
    # 调休 Sunday; holiday beats vacation; a make-up day inside the vacation stays vacation;
    # the override wins; a plain Saturday is weekend.
    assert types.tolist() == ["makeup_workday", "holiday", "vacation", "holiday", "weekend"]
    with pytest.raises(InvalidInputError):
        classify_days(d, overrides={"2025-02-10": "half_day"})


def test_unknown_day_type_in_the_data_is_refused():
    d, temp, types, y = _six_weeks()
    types = types.astype(object)
    types[3] = "exam"
    with pytest.raises(InvalidInputError, match="exam"):
        fit_daily_daytypes(d, y, temp, types, allow_insufficient=True)
