"""Programme savings interval: the aggregation formula on a 3-project example worked by hand."""

import math

import pytest

from emc.programme.uncertainty import (
    Z90,
    ReportSavings,
    aggregate,
    format_interval,
    n_prime,
    period_correlation,
)


def test_three_projects_worked_by_hand():
    # Project 1: one report, 4.0 tce, FSU90 20 %   → σ = 0.8 / 1.645
    # Project 2: two periods, 2.0 and 1.0 tce, FSU90 30 % and 40 %, baseline n′ = 18
    #            → σ = 0.6/1.645 and 0.4/1.645; r = (2/18) / (1 + 2/18) = 0.1
    #            → σ²_P = (0.36 + 0.16 + 2·0.1·0.6·0.4) / 1.645² = 0.568 / 1.645²
    # Project 3: stipulated (no FSU), 0.5 tce      → σ = 0
    reports = [
        ReportSavings(1, {"tce": 4.0}, 0.20, 300.0),
        ReportSavings(2, {"tce": 2.0}, 0.30, 18.0),
        ReportSavings(2, {"tce": 1.0}, 0.40, 18.0),
        ReportSavings(3, {"tce": 0.5}, None, None),
    ]
    iv = aggregate(reports, "tce")
    assert iv.total == pytest.approx(7.5)
    var = (0.64 + 0.568) / Z90**2
    assert iv.std_error == pytest.approx(math.sqrt(var))
    # Half-width = 1.645 σ = sqrt(0.64 + 0.568) = 1.0991
    assert iv.high - iv.total == pytest.approx(math.sqrt(1.208))
    assert format_interval(iv, "tce") == "7.5 tce (90 %: 6.4–8.6)"


def test_periods_of_one_project_are_correlated_through_n_prime():
    assert period_correlation(18.0) == pytest.approx(0.1)
    assert period_correlation(None) == 1.0
    assert n_prime(365, 0.5) == pytest.approx(365 / 3)
    one = [ReportSavings(1, {"tce": 1.0}, 0.5, 1e9), ReportSavings(1, {"tce": 1.0}, 0.5, 1e9)]
    two = [ReportSavings(1, {"tce": 1.0}, 0.5, 1e9), ReportSavings(2, {"tce": 1.0}, 0.5, 1e9)]
    # With a huge n′ the periods are (almost) independent, as two projects would be;
    # with unknown n′ they are fully correlated and the errors add linearly.
    assert aggregate(one).std_error == pytest.approx(aggregate(two).std_error, rel=1e-6)
    full = [ReportSavings(1, {"tce": 1.0}, 0.5, None), ReportSavings(1, {"tce": 1.0}, 0.5, None)]
    assert aggregate(full).std_error == pytest.approx(2 * 0.5 / Z90)


def test_money_and_co2_follow_the_same_relative_uncertainty():
    r = [ReportSavings(1, {"tce": 2.0, "tco2": 5.0, "cny": 3000.0}, 0.25, 200.0)]
    for q, v in (("tce", 2.0), ("tco2", 5.0), ("cny", 3000.0)):
        iv = aggregate(r, q)
        assert (iv.high - iv.total) / v == pytest.approx(0.25)
