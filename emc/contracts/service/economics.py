"""Each party's economics of a project: investment assumptions, NPV / IRR / paybacks, the
sensitivity table and the stored schedule by contract year."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.contracts import finance
from emc.contracts.models import (
    EmcProject,
    Investor,
    LineStatus,
    PaymentLine,
)
from emc.contracts.service._common import finance_error
from emc.contracts.service.adjustments import agreed_adjustments
from emc.contracts.service.projects import get_project
from emc.contracts.service.schedules import contract_inputs, list_lines

HALF = Decimal("0.5")


def economics_assumptions(
    project: EmcProject, terms: finance.ContractTerms
) -> finance.EconomicsAssumptions:
    """Who invests what, from the project: ``total_investment`` falls on the ``investor`` at
    signing (t = 0). ``shared``: half each (an odd fen falls on the institution). ``lessor``: the ESCO builds the measures and sells
    the equipment to the lessor for the lease principal (received at t = 0); the lessor is not
    analysed. No own running costs are known to the platform, so none are assumed."""
    total = project.total_investment or Decimal("0.00")
    investor = project.investor
    esco = institution = Decimal("0.00")
    extra: list[finance.CashFlowItem] = []
    if investor is Investor.ESCO or investor is Investor.LESSOR:
        esco = total
    elif investor is Investor.INSTITUTION:
        institution = total
    else:
        esco = (total * HALF).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        institution = total - esco
    if investor is Investor.LESSOR:
        for component in terms.components:
            if isinstance(component, finance.FinanceLeaseTerms):
                extra.append(
                    finance.CashFlowItem(
                        finance.Party.ESCO, 0, component.principal, "equipment sold to lessor"
                    )
                )
    return finance.EconomicsAssumptions(
        esco_investment=esco, institution_investment=institution, extra=tuple(extra)
    )


@dataclass
class ProjectEconomics:
    """A project's projected economics, sensitivity and projected vs actual by contract year."""

    assumptions: finance.EconomicsAssumptions
    result: finance.ContractEconomics
    cases: tuple[finance.SensitivityCase, ...]
    # [{"contract_year", "projected", "actual", "paid"}]: net paid by the institution under
    # the schedule (projected lines vs actual lines: fixed fees and lines of accepted M&V
    # results, later years' fees included), and of those the lines already paid; sums of the
    # stored fen-rounded lines.
    by_year: list[dict[str, Any]]


def _net_paid_by_institution(line: PaymentLine) -> Decimal:
    if line.payer is finance.Party.INSTITUTION:
        return line.amount
    if line.payee is finance.Party.INSTITUTION:
        return -line.amount
    return Decimal("0.00")


def project_economics(session: Session, actor: Actor, project_id: int) -> ProjectEconomics:
    """NPV, IRR and paybacks of the institution and the ESCO from the contract terms and the
    project's investment, the sensitivity table, and the stored schedule by contract year.
    Conflict if the project has no contract terms; Invalid naming the field for bad terms."""
    project = get_project(session, actor, project_id)
    terms, estimates = contract_inputs(session, project)
    assumptions = economics_assumptions(project, terms)
    adjustments = agreed_adjustments(session, [project.id]).get(project.id, ())
    try:
        result = finance.projected_economics(terms, estimates, assumptions, adjustments)
        cases = finance.sensitivity(terms, estimates, assumptions, adjustments)
    except finance.FinanceInputError as error:
        raise finance_error(error) from None

    def year(contract_year: int) -> dict[str, Any]:
        zero = Decimal("0.00")
        return {"contract_year": contract_year, "projected": zero, "actual": zero, "paid": zero}

    years = {y: year(y) for y in range(1, terms.term_years + 1)}
    for line in list_lines(session, actor, project.id):
        row = years.setdefault(line.contract_year, year(line.contract_year))
        net = _net_paid_by_institution(line)
        row[line.source.value] += net
        if line.status is LineStatus.PAID:
            row["paid"] += net
    return ProjectEconomics(
        assumptions=assumptions,
        result=result,
        cases=cases,
        by_year=[years[y] for y in sorted(years)],
    )
