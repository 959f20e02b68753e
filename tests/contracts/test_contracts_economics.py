"""A project's economics (API and project page) against hand-derived cash flows checked with
numpy-financial: NPV (first flow at t = 0), IRR, simple and discounted payback of both
parties, the sensitivity table, projected vs actual by contract year, the inline SVG chart;
another tenant's project is 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import numpy_financial as npf
import pytest
from signing_support import sign_by_esco
from test_contracts_service import actor_for, actual_lines, make_project

from emc.contracts import economics_view, finance, service
from emc.contracts.models import EmcProject, Investor, ProjectStatus

# The guaranteed-savings contract of the service tests: 3 years from 2025-01-01, 720,000 kWh a
# year saved at 0.80 yuan/kWh (576,000 yuan), guarantee 600,000 kWh, fee 120,000 yuan a year,
# excess shared 50 %: (720,000 − 600,000) × 0.80 × 0.5 = 48,000 yuan a year to the ESCO.
# The ESCO invests 300,000 yuan at signing.
INSTITUTION = [0, 576000 - 120000 - 48000] + [408000] * 2
ESCO = [-300000, 168000, 168000, 168000]


def _money(x: float) -> str:
    return str(D(repr(float(x))).quantize(D("0.01")))


def _project(session, investment=D("300000.00"), investor="esco"):
    project = make_project(session, sign=False, generate=False)
    energy = actor_for(session, "energy@school.demo")
    service.update_project(
        session, energy, project.id, total_investment=investment, investor=investor
    )
    service.update_project(session, energy, project.id, status=ProjectStatus.PROPOSED)
    service.update_project(
        session, energy, project.id, status=ProjectStatus.CONTRACTED, signed_on=date(2024, 12, 20)
    )
    sign_by_esco(session, project.id)
    service.regenerate_schedule(session, energy, project.id)
    return project


def test_measures_match_numpy_financial(login_as, db_session):
    project = _project(db_session)
    response = login_as("energy@school.demo").get(f"/api/v1/projects/{project.id}/economics")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert "t = 0" in data["time_convention"]
    assert data["discount_rate"] == "0.05"
    assert data["assumptions"]["esco_investment"] == "300000.00"
    esco, inst = data["esco"], data["institution"]
    assert [D(v) for v in esco["cash_flows"]] == [D(v) for v in ESCO]
    assert [D(v) for v in inst["cash_flows"]] == [D(v) for v in INSTITUTION]
    # npf.npv puts the first flow at t = 0: −300,000 + 168,000 × (1/1.05 + 1/1.05² + 1/1.05³).
    assert esco["npv"] == _money(npf.npv(0.05, ESCO)) == "157505.67"
    assert inst["npv"] == _money(npf.npv(0.05, INSTITUTION)) == "1111085.20"
    assert D(esco["irr"]) == D(repr(float(npf.irr(ESCO)))).quantize(D("0.000001")) == D("0.312086")
    assert inst["irr"] is None  # no investment: no sign change
    # Simple: 1 + 132,000 / 168,000 = 1.7857 → 1.79. Discounted: after year 1 the ESCO is at
    # −300,000 + 160,000 = −140,000; year 2 brings 168,000 / 1.05² = 152,380.95 → 1 + 0.9188.
    assert esco["simple_payback_years"] == "1.79"
    assert esco["discounted_payback_years"] == "1.92"
    assert inst["simple_payback_years"] == "0.00"
    assert [D(v) for v in esco["cumulative"]] == [-300000, -132000, 36000, 204000]


def test_sensitivity_table(login_as, db_session):
    project = _project(db_session)
    data = login_as("energy@school.demo").get(f"/api/v1/projects/{project.id}/economics")
    cases = {c["name"]: c for c in data.get_json()["sensitivity"]}
    assert list(cases) == [
        "base",
        "savings -20%",
        "savings -10%",
        "savings +10%",
        "savings +20%",
        "price -10%",
        "price +10%",
    ]

    def flows(savings: float, price: float) -> tuple[list, list]:
        kwh, p = 720000 * savings, 0.80 * price
        excess = max(kwh - 600000, 0) * p * 0.5
        shortfall = max(600000 - kwh, 0) * p  # the ESCO makes good the missed guarantee
        inst = kwh * p - 120000 - excess + shortfall
        esco = 120000 + excess - shortfall
        return [0] + [inst] * 3, [-300000] + [esco] * 3

    for name, savings, price in (
        ("base", 1, 1),
        ("savings -20%", 0.8, 1),
        ("savings -10%", 0.9, 1),
        ("savings +10%", 1.1, 1),
        ("savings +20%", 1.2, 1),
        ("price -10%", 1, 0.9),
        ("price +10%", 1, 1.1),
    ):
        inst, esco = flows(savings, price)
        assert cases[name]["institution_npv"] == _money(npf.npv(0.05, inst)), name
        assert cases[name]["esco_npv"] == _money(npf.npv(0.05, esco)), name
    # Savings −20 %: 576,000 kWh, 24,000 kWh short of the guarantee: the ESCO pays 19,200 a year.
    assert cases["savings -20%"]["esco_npv"] == _money(npf.npv(0.05, [-300000] + [100800] * 3))


def test_projected_vs_actual_by_year_and_page(login_as, db_session):
    project = _project(db_session)
    line = actual_lines(db_session, project)[0]
    line.amount = D("9000.00")  # an actual line that differs from the contract
    db_session.flush()
    client = login_as("energy@school.demo")
    rows = client.get(f"/api/v1/projects/{project.id}/economics").get_json()["by_year"]
    assert [r["contract_year"] for r in rows] == [1, 2, 3]
    # Projected: fee 120,000 + excess 48,000 a year; actual: the fee lines (one is 9,000).
    assert rows[0] == {
        "contract_year": 1,
        "projected": "168000.00",
        "actual": "119000.00",
        "difference": "-49000.00",
        "paid": "0.00",
    }
    assert rows[2]["actual"] == "120000.00"

    page = client.get(f"/projects/{project.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="economics"' in html and "157,505.67" in html
    assert "31.21 %" in html  # the ESCO's IRR
    assert "<svg" in html and 'data-series="ESCO"' not in html  # Chinese labels by default
    assert html.count("<polyline") == 2
    assert 'data-case="savings -20%"' in html


def test_investor_assumptions():
    terms = finance.ContractTerms(
        contract_type=finance.ContractType.FINANCE_LEASE,
        term_years=3,
        start_date=date(2025, 1, 1),
        payment_frequency=finance.PaymentFrequency.ANNUAL,
        payment_due_days=30,
        discount_rate=D("0.05"),
        components=(finance.FinanceLeaseTerms(principal=D("500000"), annual_rate=D("0.06")),),
    )
    for investor, esco, inst in (
        (Investor.ESCO, "1000.01", "0.00"),
        (Investor.INSTITUTION, "0.00", "1000.01"),
        (Investor.SHARED, "500.00", "500.01"),
        (Investor.LESSOR, "1000.01", "0.00"),
    ):
        project = EmcProject(total_investment=D("1000.01"), investor=investor)
        a = service.economics_assumptions(project, terms)
        assert (str(a.esco_investment), str(a.institution_investment)) == (esco, inst)
        assert sum((x.amount for x in a.extra), D(0)) == (
            D("500000") if investor is Investor.LESSOR else 0
        )


def test_svg_chart_is_scaled_and_escaped():
    svg = economics_view.cumulative_svg(
        [("A<b>", [D(-100), D(0), D(100)]), ("B", [D(0), D(50), D(100)])], title="t&t"
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "A&lt;b&gt;" in svg and "t&amp;t" in svg and "<b>" not in svg
    assert svg.count("<polyline") == 2
    # x from 70 to 624, y from 28 (100) to 230 (−100): the first series ends top right.
    assert 'points="70.0,230.0 347.0,129.0 624.0,28.0"' in svg
    assert "data-axis" not in svg  # no axis titles unless given
    titled = economics_view.cumulative_svg(
        [("A", [D(-100), D(100)])], x_label="合同年度", y_label="元<"
    )
    assert 'data-axis="x">合同年度<' in titled and 'data-axis="y">元&lt;<' in titled


@pytest.mark.parametrize("email", ["energy@hospital.demo", "engineer@esco2.demo"])
def test_other_tenant_gets_404(login_as, db_session, email):
    project = _project(db_session)
    assert login_as(email).get(f"/api/v1/projects/{project.id}/economics").status_code == 404


def test_no_contract_is_a_conflict(login_as, db_session):
    energy = actor_for(db_session, "energy@school.demo")
    project = service.create_project(db_session, energy, name="无合同项目", investor="esco")
    response = login_as("energy@school.demo").get(f"/api/v1/projects/{project.id}/economics")
    assert response.status_code == 409


def test_paid_by_year_counts_only_paid_lines_and_forecasts_are_never_overdue(login_as, db_session):
    """ "Settled" holds the fixed fees of every year of the term, so it cannot say what was
    paid: a paid column does. Projected lines are a forecast, not payables: the schedule never
    marks them overdue (a user read the forecast of an already paid period as 已逾期)."""
    from emc.contracts.models import LineStatus

    project = _project(db_session)
    line = actual_lines(db_session, project)[0]
    line.status, line.paid_on, line.payment_reference = LineStatus.PAID, date(2025, 2, 1), "P-1"
    db_session.flush()
    client = login_as("energy@school.demo")
    rows = client.get(f"/api/v1/projects/{project.id}/economics").get_json()["by_year"]
    assert [r["paid"] for r in rows] == [str(line.amount), "0.00", "0.00"]
    assert rows[2]["actual"] == "120000.00"  # a later year's fees are settled, not paid

    html = client.get(f"/projects/{project.id}?lang=zh").get_data(as_text=True)
    assert f'data-testid="paid-1">{line.amount:,.2f}<' in html
    projected = html.split('data-testid="projected-lines"', 1)[1].split("</table>", 1)[0]
    assert 'class="overdue"' not in projected and "badge-overdue" not in projected
    assert "已逾期" in html.split('data-testid="actual-lines"', 1)[1].split("</table>", 1)[0]


def test_the_term_end_is_shown_from_the_terms_until_the_project_completes(login_as, db_session):
    """合同期满日期 read "—" on every running project: until completion records the real end,
    the page shows the last day of the term by the contract terms, marked as such."""
    project = _project(db_session)
    energy = actor_for(db_session, "energy@school.demo")
    terms = service.get_contract(db_session, energy, project.id).terms
    start = date.fromisoformat(terms["start_date"])  # a 3-year term from 2025-01-01
    assert (start, terms["term_years"]) == (date(2025, 1, 1), 3)
    client = login_as("energy@school.demo")
    html = client.get(f"/projects/{project.id}?lang=zh").get_data(as_text=True)
    shown = html.split('data-testid="term-end">', 1)[1].split("</dd>", 1)[0]
    assert "2027-12-31" in shown and "按合同条款" in shown, shown
