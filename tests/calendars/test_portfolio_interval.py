"""Programme savings interval: the aggregation formula on a 3-project example worked by hand."""

import math

import pytest

from emc.programme.uncertainty import (
    Z90,
    ReportSavings,
    aggregate,
    format_interval,
    model_share,
    n_prime,
    period_correlation,
)


def test_three_projects_worked_by_hand():
    # Project 1: one year, 4.0 tce, FSU90 20 %           → 1.645·σ = 0.8
    # Project 2: two years of one baseline (n = 365 days, n′ = 200), 2.0 and 1.0 tce,
    #            FSU90 30 % and 40 %                       → 1.645·σ = 0.6 and 0.4
    #            model share c = (365/200) / (365/200 + 365/200) = 0.5 for both years,
    #            so r = sqrt(0.5 · 0.5) = 0.5
    #            → (1.645·σ_P)² = 0.36 + 0.16 + 2 · 0.5 · 0.6 · 0.4 = 0.76
    # Project 3: stipulated (no FSU), 0.5 tce             → 0
    # Programme: (1.645·σ)² = 0.64 + 0.76 = 1.40, half-width √1.40 = 1.1832
    reports = [
        ReportSavings(1, {"tce": 4.0}, 0.20, 365, 365, 300.0),
        ReportSavings(2, {"tce": 2.0}, 0.30, 365, 365, 200.0),
        ReportSavings(2, {"tce": 1.0}, 0.40, 365, 365, 200.0),
        ReportSavings(3, {"tce": 0.5}, None, 365, None, None),
    ]
    iv = aggregate(reports, "tce")
    assert iv.total == pytest.approx(7.5)
    assert iv.std_error == pytest.approx(math.sqrt(1.40) / Z90)
    assert iv.high - iv.total == pytest.approx(1.18322, abs=1e-5)
    assert format_interval(iv, "tce") == "7.5 tce (90 %: 6.3–8.7)"


def test_periods_of_one_project_are_correlated_through_the_model_share():
    assert n_prime(365, 0.5) == pytest.approx(365 / 3)
    # A short period is dominated by its own noise, a long one by the baseline model's error.
    assert model_share(30, 365, 120.0) == pytest.approx(30 / 395)
    assert model_share(365, 365, 120.0) == pytest.approx(0.5)
    assert model_share(365, None, None) == 1.0
    a = ReportSavings(1, {"tce": 1.0}, 0.5, 30, 365, 100.0)
    b = ReportSavings(1, {"tce": 1.0}, 0.5, 365, 365, 100.0)
    assert period_correlation(a, b) == pytest.approx(math.sqrt(30 / 395 * 0.5))
    # Unknown baselines are fully correlated: the errors add linearly.
    full = [ReportSavings(1, {"tce": 1.0}, 0.5, 365, None, None)] * 2
    assert aggregate(full).std_error == pytest.approx(2 * 0.5 / Z90)
    # Two projects are independent: the variances add.
    two = [
        ReportSavings(1, {"tce": 1.0}, 0.5, 365, 365, 100.0),
        ReportSavings(2, {"tce": 1.0}, 0.5, 365, 365, 100.0),
    ]
    assert aggregate(two).std_error == pytest.approx(math.sqrt(2) * 0.5 / Z90)


def test_money_and_co2_follow_the_same_relative_uncertainty():
    r = [ReportSavings(1, {"tce": 2.0, "tco2": 5.0, "cny": 3000.0}, 0.25, 365, 365, 200.0)]
    for q, v in (("tce", 2.0), ("tco2", 5.0), ("cny", 3000.0)):
        iv = aggregate(r, q)
        assert (iv.high - iv.total) / v == pytest.approx(0.25)


def test_dashboard_cards_help_pdf_and_api_carry_the_interval(login_as):
    import io
    import re

    from pypdf import PdfReader

    officer = login_as("officer@zhejiang.demo")
    page = officer.get("/programme").get_data(as_text=True)
    card = re.search(r'data-testid="savings-interval"[^>]*>([^<]*)<', page).group(1)
    assert re.fullmatch(r"\(90 %: [\d,.]+–[\d,.]+\)", card)
    assert "90 % 区间的计算方法" in page and "方差相加" in page
    assert re.search(r"[\d,.]+ tce \(90 %: [\d,.]+–[\d,.]+\)", page)
    api = officer.get("/api/v1/programme/dashboard").get_json()
    iv = api["savings"]["interval"]
    assert iv["tce"]["low"] <= float(api["savings"]["tce"]) <= iv["tce"]["high"]
    assert iv["text"]["tce"].endswith(")") and "90 %" in iv["text"]["tco2"]
    pdf = officer.get("/programme/summary.pdf").get_data()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "90 %" in text and "tce (90 %:" in text
