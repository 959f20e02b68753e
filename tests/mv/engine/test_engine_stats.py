import math

import numpy as np
import pytest
from scipy import stats as sps

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
    uncertainty_fraction,
)

Y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
YHAT = np.array([1.1, 1.9, 3.2, 3.8, 5.0])


def test_g14_statistics_match_hand_computation():
    # residuals −0.1, 0.1, −0.2, 0.2, 0: SSE = 0.1, Σe = 0, ȳ = 3, SST = 10
    assert r_squared(Y, YHAT) == pytest.approx(1 - 0.1 / 10)
    assert adj_r_squared(Y, YHAT, 2) == pytest.approx(1 - (0.1 / 10) * 4 / 3)
    assert cvrmse(Y, YHAT, 2) == pytest.approx(math.sqrt(0.1 / 3) / 3)
    assert nmbe(Y, YHAT, 2) == pytest.approx(0.0, abs=1e-15)
    assert nmbe(Y, Y - 0.3, 1) == pytest.approx(1.5 / (4 * 3))


def test_r_squared_is_nan_for_constant_series():
    assert math.isnan(r_squared([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]))


def test_dof_and_shape_errors():
    with pytest.raises(ValueError):
        cvrmse([1.0, 2.0], [1.0, 2.0], 2)
    with pytest.raises(ValueError):
        nmbe([1.0, 2.0, 3.0], [1.0, 2.0], 1)


def test_autocorrelation_is_lagged_pearson():
    assert autocorr_lag1([1.0, -1.0, 1.0, -1.0, 1.0]) == pytest.approx(-1.0)
    e = np.array([0.5, 1.0, 0.2, -0.3, -1.0, 0.4, 0.9])
    assert autocorr_lag1(e) == pytest.approx(np.corrcoef(e[:-1], e[1:])[0, 1])
    assert autocorr_lag1([1.0, 2.0]) == 0.0
    assert autocorr_lag1([3.0, 3.0, 3.0, 3.0]) == 0.0


def test_sun_balthazar_polynomials():
    assert sun_balthazar_y(12, "daily") == pytest.approx(-0.00024 * 144 + 0.03535 * 12 + 1.00286)
    assert sun_balthazar_y(12, "billing") == pytest.approx(-0.00022 * 144 + 0.03306 * 12 + 0.94054)
    with pytest.raises(ValueError):
        sun_balthazar_y(12, "hourly")


def test_fsu_matches_hand_computation():
    # n' = 365 · 0.5 / 1.5 = 121.67; Y = 1.26; t(0.95, 362) ≈ 1.6490
    n, p, m, rho, cv, frac = 365, 3, 365, 0.5, 0.10, 0.10
    n_prime = n * (1 - rho) / (1 + rho)
    t = sps.t.ppf(0.95, n - p)
    assert t == pytest.approx(1.6490, abs=1e-4)
    expected = t * 1.26 * cv * math.sqrt((n / n_prime) * (1 + 2 / n_prime) / m) / frac
    got = fsu(cvrmse=cv, n=n, p=p, m=m, rho=rho, savings_fraction=frac)
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(0.18987, abs=1e-4)


def test_fsu_daily_polynomial_uses_reporting_length():
    base = dict(cvrmse=0.1, n=365, p=2, m=180, rho=0.2, savings_fraction=0.2)
    y = sun_balthazar_y(6.0, "daily")
    assert fsu(**base, interval="daily") == pytest.approx(fsu(**base) * y / 1.26)
    assert fsu(**base | {"m": 6}, interval="billing") == pytest.approx(
        fsu(**base | {"m": 6}) * sun_balthazar_y(6.0, "billing") / 1.26
    )


def test_fsu_edge_cases():
    assert fsu(cvrmse=0.1, n=30, p=2, m=30, savings_fraction=0.0) == math.inf
    assert uncertainty_fraction(cvrmse=0.1, n=30, p=2, m=30, rho=1.0) == math.inf
    with pytest.raises(ValueError):
        fsu(cvrmse=0.1, n=2, p=2, m=30, savings_fraction=0.1)
    with pytest.raises(ValueError):
        fsu(cvrmse=0.1, n=30, p=2, m=30, savings_fraction=0.1, confidence=1.0)
    # 68 % is narrower than 90 %
    a = fsu(cvrmse=0.1, n=30, p=2, m=30, savings_fraction=0.1, confidence=0.68)
    b = fsu(cvrmse=0.1, n=30, p=2, m=30, savings_fraction=0.1, confidence=0.90)
    assert a < b


@pytest.mark.parametrize(
    ("months", "limit"), [(0, 0.20), (11.9, 0.20), (12, 0.25), (60, 0.25), (61, 0.30)]
)
def test_g14_cvrmse_limit_by_reporting_months(months, limit):
    assert g14_cvrmse_limit(months) == limit


def test_g14_verdict():
    ok = g14_verdict(0.19, 0.0, 6, fsu_68=0.3)
    assert ok["passed"] and ok["checks"] == {"cvrmse": True, "nmbe": True, "fsu": True}
    bad = g14_verdict(0.21, 0.0, 6)
    assert not bad["passed"] and bad["checks"]["fsu"] is None
    assert g14_verdict(0.21, 0.0, 12)["passed"]
    assert not g14_verdict(0.1, 0.01, 12)["passed"]
    assert not g14_verdict(0.1, 0.0, 12, fsu_68=0.5)["passed"]
    assert not g14_verdict(math.nan, 0.0, 12)["passed"]


def test_fit_statistics_round_trip_and_json_safety():
    st = fit_statistics(Y, YHAT, 2)
    assert st.n == 5 and st.p == 2
    assert FitStatistics.from_dict(st.to_dict()) == st
    const = fit_statistics([2.0, 2.0, 2.0], [2.0, 2.0, 2.0], 1)
    d = const.to_dict()
    assert d["r_squared"] is None and d["cvrmse"] == 0.0
    assert math.isnan(FitStatistics.from_dict(d).r_squared)


def test_uncertainty_is_finite_for_extreme_or_undefined_autocorrelation():
    from emc.mv.engine.stats import uncertainty_fraction

    base = uncertainty_fraction(cvrmse=0.1, n=365, p=2, m=365, rho=0.0)
    assert uncertainty_fraction(cvrmse=0.1, n=365, p=2, m=365, rho=float("nan")) == base
    at_minus_one = uncertainty_fraction(cvrmse=0.1, n=365, p=2, m=365, rho=-1.0)
    assert 0.0 <= at_minus_one < base
    assert uncertainty_fraction(cvrmse=0.1, n=365, p=2, m=365, rho=-1.0000000001) == at_minus_one
