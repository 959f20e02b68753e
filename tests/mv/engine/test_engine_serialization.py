import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emc.mv.engine import (
    FORMS,
    DailyModel,
    FitStatistics,
    ModelFormatError,
    fit_billing,
    fit_daily,
    model_from_dict,
)

STATS = FitStatistics(365, 3, 0.9, 0.89, 0.1, 0.0, 0.2)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def models(draw):
    form = draw(st.sampled_from(FORMS))
    th = draw(st.floats(-1.0, 32.0)) if form in ("hdd_only", "hdd_cdd") else None
    tc = draw(st.floats(-1.0, 32.0)) if form in ("cdd_only", "hdd_cdd") else None
    return DailyModel(
        method=draw(st.sampled_from(["daily", "billing"])),
        form=form,
        temperature_unit="C",
        heating_balance_point=th,
        cooling_balance_point=tc,
        intercept=draw(finite),
        beta_hdd=None if th is None else draw(finite),
        beta_cdd=None if tc is None else draw(finite),
        statistics=STATS,
    )


@settings(max_examples=60, deadline=None)
@given(models(), st.lists(st.floats(-40, 45) | st.just(float("nan")), min_size=1, max_size=30))
def test_predictions_identical_after_json_round_trip(model, temps):
    again = model_from_dict(json.loads(json.dumps(model.to_dict(), allow_nan=False)))
    assert again == model
    a, b = model.predict(temps), again.predict(temps)
    assert np.array_equal(a, b, equal_nan=True)


def test_fitted_models_round_trip(year, rng):
    d, t = year
    y = 300 + 12 * np.maximum(15 - t, 0) + 20 * np.maximum(t - 22, 0) + rng.normal(0, 10, t.size)
    y[:3] = np.nan
    m = fit_daily(d, y, t)
    data = json.loads(json.dumps(m.to_dict(), allow_nan=False))
    assert data["version"] == 1 and data["method"] == "daily"
    again = model_from_dict(data)
    assert again == m and again.warnings == m.warnings
    s = np.arange("2023-01", "2024-01", dtype="datetime64[M]").astype("datetime64[D]")
    e = np.arange("2023-02", "2024-02", dtype="datetime64[M]").astype("datetime64[D]")
    tot = np.array([np.nansum(y[(d >= a) & (d < b)]) for a, b in zip(s, e, strict=True)])
    mb = fit_billing(s, e, tot, d, t)
    again = model_from_dict(json.loads(json.dumps(mb.to_dict())))
    assert np.array_equal(again.predict_periods(s, e, d, t), mb.predict_periods(s, e, d, t))


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"version": 1, "method": "weekly"},
        {"version": 2, "method": "daily"},
        {"version": 1, "method": "daily", "form": "hdd_only"},
    ],
)
def test_bad_dicts_raise_model_format_error(bad):
    with pytest.raises(ModelFormatError):
        model_from_dict(bad)


def test_inconsistent_terms_are_rejected():
    m = DailyModel("daily", "hdd_only", "C", 15.0, None, 100.0, 5.0, None, STATS)
    data = m.to_dict() | {"beta_hdd": None}
    with pytest.raises(ModelFormatError):
        model_from_dict(data)
