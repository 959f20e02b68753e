"""Demo contracts: one of each GB/T 24915 type at 杭州市第一中学, with payment schedules whose
actual lines are in every state of the finance review.

Everything goes through the contracts services as the school's staff would use them: the energy
manager creates the projects, sets the terms, signs, generates the schedules and records the
accepted M&V savings; ``finance@school.demo`` prepares, holds and pays; ``finance2@school.demo``
approves (never the preparer). Dates are relative to today, so whenever the demo is built some
lines are paid, approved, prepared, on hold, overdue and due soon. Built by ``emc demo`` only
(the test demo has no contracts of its own: programme tests count exact totals).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import clock, workflow
from emc.auth.actor import Actor
from emc.auth.models import Organization
from emc.contracts import finance, service
from emc.contracts.finance.periods import add_months
from emc.contracts.models import ProjectStatus, terms_to_document
from emc.demo import actor_for

__all__ = ["DEMO_CONTRACTS", "build_demo_contracts"]

ESCO = "绿能节能服务有限公司"
MONTHS = 15  # contracts started this many months before the current month


@dataclass(frozen=True)
class DemoContract:
    name: str
    investment: D
    investor: str
    terms: finance.ContractTerms
    estimates: tuple[finance.SavingsEstimate, ...] = ()
    # Verified monthly savings (kWh) for the M&V results recorded each month; () for contracts
    # whose lines do not wait for M&V (custody fees, lease rent).
    monthly_kwh: tuple[D, ...] = ()


def _contracts(start: dt.date) -> list[DemoContract]:
    def terms(contract_type, term_years, payment_due_days, discount_rate, components, prices=()):
        # Every demo contract starts on ``start`` and is paid monthly.
        return finance.ContractTerms(
            contract_type=contract_type,
            term_years=term_years,
            start_date=start,
            payment_frequency=finance.PaymentFrequency.MONTHLY,
            payment_due_days=payment_due_days,
            discount_rate=discount_rate,
            components=components,
            prices=prices,
        )

    price = finance.CarrierPrice("electricity", "kWh", D("0.78"), D("0.02"))
    return [
        DemoContract(
            name="一中学生宿舍空气源热泵热水改造（节能效益分享）",
            investment=D("860000.00"),
            investor="esco",
            terms=terms(
                finance.ContractType.SHARED_SAVINGS,
                6,
                30,
                D("0.06"),
                (
                    finance.SharedSavingsTerms(
                        shares=(
                            finance.ShareBand(1, 3, D("0.80")),
                            finance.ShareBand(4, 6, D("0.60")),
                        )
                    ),
                ),
                (price,),
            ),
            estimates=(finance.SavingsEstimate("electricity", "kWh", D("420000")),),
            monthly_kwh=(D("33850"), D("36120"), D("31980"), D("34400")),
        ),
        DemoContract(
            name="一中教学楼LED照明与智能控制改造（节能量保证）",
            investment=D("1180000.00"),
            investor="institution",
            terms=terms(
                finance.ContractType.GUARANTEED_SAVINGS,
                5,
                30,
                D("0.05"),
                (
                    finance.GuaranteedSavingsTerms(
                        guarantees=(finance.EnergyQuantity("electricity", "kWh", D("540000")),),
                        fees=(finance.FeeBand(1, 5, D("264000")),),
                        excess_share=D("0.5"),
                    ),
                ),
                (price,),
            ),
            estimates=(finance.SavingsEstimate("electricity", "kWh", D("560000")),),
            # Around the 45,000 kWh a month guaranteed: some months short, some above.
            monthly_kwh=(D("46210"), D("43380"), D("47950"), D("44620")),
        ),
        DemoContract(
            name="一中校园综合能源费用托管（能源费用托管）",
            investment=D("1650000.00"),
            investor="esco",
            terms=terms(
                finance.ContractType.ENERGY_COST_CUSTODY,
                8,
                20,
                D("0.06"),
                (
                    finance.EnergyCostCustodyTerms(
                        baseline=(
                            finance.BaselineCarrierCost(
                                "electricity", "kWh", D("2350000"), D("0.7650")
                            ),
                            finance.BaselineCarrierCost(
                                "natural_gas", "m3", D("186000"), D("3.45")
                            ),
                        ),
                        coefficient=D("0.93"),
                        floor_area_m2=D("48600"),
                        om_fee_annual=D("180000"),
                    ),
                ),
            ),
        ),
        DemoContract(
            name="一中体育馆光伏与储能系统（融资租赁）",
            investment=D("2400000.00"),
            investor="lessor",
            terms=terms(
                finance.ContractType.FINANCE_LEASE,
                5,
                15,
                D("0.05"),
                (
                    finance.FinanceLeaseTerms(
                        principal=D("2400000.00"),
                        annual_rate=D("0.0435"),
                        residual_value=D("24000.00"),
                    ),
                ),
            ),
        ),
        DemoContract(
            name="一中食堂与图书馆节能改造（混合型：效益分享＋融资租赁）",
            investment=D("980000.00"),
            investor="shared",
            terms=terms(
                finance.ContractType.HYBRID,
                5,
                30,
                D("0.06"),
                (
                    finance.SharedSavingsTerms(
                        shares=(finance.ShareBand(1, 5, D("0.70")),), label="效益分享"
                    ),
                    finance.FinanceLeaseTerms(
                        principal=D("490000.00"), annual_rate=D("0.0475"), label="设备租赁"
                    ),
                ),
                (price,),
            ),
            estimates=(finance.SavingsEstimate("electricity", "kWh", D("310000")),),
            monthly_kwh=(D("25340"), D("27110"), D("24080"), D("26500")),
        ),
    ]


DEMO_CONTRACTS = tuple(c.name for c in _contracts(dt.date(2025, 1, 1)))


# Demo history is replayed, not live: nobody is notified of its steps.
@workflow.muted()
def build_demo_contracts(session: Session, *, today: dt.date | None = None) -> list[int]:
    """Create the five demo contracts of 杭州市第一中学 with their schedules; returns the
    project ids. The contracts start on the first of the month ``MONTHS`` months before
    ``today`` (default: today in UTC)."""
    today = today or clock.now().date()
    start = add_months(today.replace(day=1), -MONTHS)
    energy = actor_for(session, "energy@school.demo")
    preparer = actor_for(session, "finance@school.demo")
    approver = actor_for(session, "finance2@school.demo")
    esco_admin = actor_for(session, "admin@esco.demo")
    esco_id = session.scalar(select(Organization.id).where(Organization.name_zh == ESCO))
    ids = []
    for spec in _contracts(start):
        project = service.create_project(
            session,
            energy,
            name=spec.name,
            esco_organization_id=esco_id,
            investor=spec.investor,
            total_investment=spec.investment,
        )
        service.set_contract_terms(
            session,
            energy,
            project.id,
            terms=terms_to_document(spec.terms),
            savings_estimates=[
                {"carrier": e.carrier, "unit": e.unit, "annual_quantity": str(e.annual_quantity)}
                for e in spec.estimates
            ],
        )
        service.update_project(session, energy, project.id, status=ProjectStatus.PROPOSED)
        service.update_project(
            session,
            energy,
            project.id,
            status=ProjectStatus.CONTRACTED,
            signed_on=add_months(start, -1),
            works_accepted_on=start - dt.timedelta(days=3),
            operation_start_on=start,
        )
        # Both parties sign: the ESCO's signature makes the project contracted.
        service.sign_project(session, esco_admin, project.id, signed_on=add_months(start, -1))
        service.update_project(session, energy, project.id, status=ProjectStatus.IMPLEMENTING)
        service.update_project(session, energy, project.id, status=ProjectStatus.OPERATING)
        service.regenerate_schedule(session, energy, project.id)
        _record_mv_results(session, energy, project.id, spec, start, today)
        _review(session, project.id, preparer, approver, today)
        ids.append(project.id)
    return ids


def _record_mv_results(
    session: Session,
    energy: Actor,
    project_id: int,
    spec: DemoContract,
    start: dt.date,
    today: dt.date,
) -> None:
    """Monthly M&V results accepted 12 days after each month that has ended by then."""
    if not spec.monthly_kwh:
        return
    for k in range(MONTHS):
        begin, end = add_months(start, k), add_months(start, k + 1)
        accepted_on = end + dt.timedelta(days=12)
        if accepted_on > today:
            break
        quantity = spec.monthly_kwh[k % len(spec.monthly_kwh)]
        service.record_actual_savings(
            session,
            energy,
            project_id,
            period_start=begin,
            period_end=end,
            savings=[{"carrier": "electricity", "unit": "kWh", "quantity": quantity}],
            accepted_on=accepted_on,
        )


def _review(
    session: Session, project_id: int, preparer: Actor, approver: Actor, today: dt.date
) -> None:
    """Walk the actual lines due so far through the finance review, oldest first: most are
    paid; then one approved, one prepared, one on hold; the rest stay scheduled (overdue or
    due soon, as their dates fall)."""
    lines = [
        line
        for line in service.list_lines(
            session, preparer, project_id, source=finance.LineSource.ACTUAL
        )
        if line.due_on <= today + dt.timedelta(days=30)
    ]
    lines.sort(key=lambda line: (line.due_on, line.key))
    # The newest five stay open: approved, prepared, on hold, then scheduled (overdue/due).
    to_pay = max(0, len(lines) - 5)
    for i, line in enumerate(lines):
        if i < to_pay or i == to_pay:
            line = service.prepare_line(session, preparer, line.id, version=line.version)
            line = service.approve_line(session, approver, line.id, version=line.version)
            if i < to_pay:
                paid_on = min(line.due_on - dt.timedelta(days=3), today)
                service.pay_line(
                    session,
                    preparer,
                    line.id,
                    version=line.version,
                    paid_on=paid_on,
                    payment_reference=f"HZYZ-{paid_on:%Y%m%d}-{line.id:05d}",
                )
        elif i == to_pay + 1:
            service.prepare_line(session, preparer, line.id, version=line.version)
        elif i == to_pay + 2:
            service.hold_line(
                session,
                preparer,
                line.id,
                version=line.version,
                reason="计量数据待核实：本月分项电表更换，等待第三方核查机构复核节能量",
            )
