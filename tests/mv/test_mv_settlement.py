"""An M&V report across a contract-year boundary: the report and the payment lines value the
same kWh identically, day by day, to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from test_mv_support import make_project

from emc.contracts import finance
from emc.contracts.models import PaymentLine
from emc.mv.service import baselines, reports

D = Decimal


def mid_month_terms() -> finance.ContractTerms:
    """Signed from 2023-02-15: contract year 2 starts on 15 February 2024, in the middle of the
    first quarter's reports; the ESCO's share drops from 70 % to 50 % and the price rises 5 %."""
    return finance.ContractTerms(
        contract_type=finance.ContractType.SHARED_SAVINGS,
        term_years=5,
        start_date=dt.date(2023, 2, 15),
        payment_frequency=finance.PaymentFrequency.QUARTERLY,
        payment_due_days=30,
        discount_rate=D("0.06"),
        components=(
            finance.SharedSavingsTerms(
                shares=(finance.ShareBand(1, 1, D("0.70")), finance.ShareBand(2, 5, D("0.50")))
            ),
        ),
        prices=(finance.CarrierPrice("electricity", "kWh", D("0.80"), D("0.05")),),
    )


def test_a_quarter_across_the_contract_year_pays_what_the_report_values(db_session):
    ids = make_project(db_session, months=3, terms=mid_month_terms())
    esco, inst = ids["engineer"], ids["energy"]
    b = baselines.propose_baseline(db_session, esco, ids["project"])
    baselines.approve_baseline(db_session, ids["institution_admin"], b.id)
    report = reports.draft_report(
        db_session,
        esco,
        ids["project"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 4, 1),
    )
    # February is cut on the 15th by the model's daily savings: two segments for that month.
    cuts = [s for s in report.segments if s["start"] == "2024-02-15" or s["end"] == "2024-02-15"]
    assert len(cuts) == 2
    feb = next(m for m in report.months if m["month"] == "2024-02")
    assert [p["contract_year"] for p in feb["parts"]] == [1, 2]
    parts = report.valuation["parts"]
    assert [(p["contract_year"], p["start"], p["end"]) for p in parts] == [
        (1, "2024-01-01", "2024-02-15"),
        (2, "2024-02-15", "2024-04-01"),
    ]
    # The months add up to the parts, the parts to the report's savings value.
    assert sum(D(m["value"]) for m in report.months) == report.savings_value
    assert sum(D(p["savings_value"]) for p in parts) == report.savings_value

    reports.submit_report(db_session, esco, report.id)
    reports.accept_report(db_session, inst, report.id)
    lines = db_session.scalars(
        select(PaymentLine)
        .where(PaymentLine.project_id == ids["project"], PaymentLine.kind == "shared_savings")
        .where(PaymentLine.source == "actual")
        .order_by(PaymentLine.period_start)
    ).all()
    assert [(x.period_start, x.period_end) for x in lines] == [
        (dt.date(2024, 1, 1), dt.date(2024, 2, 15)),
        (dt.date(2024, 2, 15), dt.date(2024, 4, 1)),
    ]
    # Report = payment, to the fen: the same value per contract year, the same amounts.
    assert [x.basis["savings_value_fen"] for x in lines] == [p["savings_value"] for p in parts]
    assert [str(x.amount) for x in lines] == [
        x["amount"] for x in report.valuation["lines"] if x["kind"] == "shared_savings"
    ]
    # And each is value × share of its year: 70 % in year 1, 50 % in year 2.
    for line, share in zip(lines, (D("0.70"), D("0.50")), strict=True):
        value = D(line.basis["savings_value"])
        assert line.amount == (value * share).quantize(D("0.01"))
