"""Finance lease: annuity rent split into interest and principal."""

from __future__ import annotations

from datetime import timedelta

from emc.messages import msg

from .lines import LeaseInstalment, LineKind, LineSource, ScheduleLine, make_line
from .money import decimal_from_float, exact, money_context, round_fen
from .periods import payment_periods
from .terms import ContractTerms, ContractTermsError, FinanceLeaseTerms
from .validation import validate_terms

__all__ = [
    "lease_instalments",
    "lease_lines",
]


def _lease_component(terms: ContractTerms, label: str | None) -> FinanceLeaseTerms:
    leases = [c for c in terms.components if isinstance(c, FinanceLeaseTerms)]
    if label is not None:
        leases = [c for c in leases if c.label == label]
    if len(leases) != 1:
        raise ContractTermsError("components", msg("finance.expected_exactly_one_finance_lease"))
    return leases[0]


@money_context
def lease_instalments(
    terms: ContractTerms, label: str | None = None
) -> tuple[LeaseInstalment, ...]:
    """Rent schedule of the finance lease component (the one labelled ``label``, if several).

    Rent is the level annuity in arrears, ``numpy_financial.pmt(r, n, −principal, residual)``
    with ``r = annual_rate / periods_per_year``, rounded to the fen. Each instalment's interest
    is the opening balance × r rounded to the fen, its principal the rest of the rent. The last
    instalment repays the balance down to the residual exactly (its rent absorbs the rounding),
    so principal parts sum to ``principal − residual_value``. Due ``payment_due_days`` after the
    period end. Raises :class:`ContractTermsError`.
    """
    validate_terms(terms)
    lease = _lease_component(terms, label)
    frequency = lease.payment_frequency or terms.payment_frequency
    years = lease.term_years or terms.term_years
    periods = payment_periods(terms.start_date, years, frequency)
    n = len(periods)
    rate = exact(lease.annual_rate) / frequency.periods_per_year
    principal, residual = lease.principal, lease.residual_value
    # Imported here, as in .economics: numpy is not needed until a lease is priced.
    import numpy_financial as npf

    rent = round_fen(
        decimal_from_float(npf.pmt(float(rate), n, -float(principal), float(residual)))
    )
    due_days = timedelta(days=terms.payment_due_days)
    balance = round_fen(principal)
    instalments = []
    for i, p in enumerate(periods):
        interest = round_fen(exact(balance) * rate)
        if i == n - 1:
            repaid = balance - residual
            payment = repaid + interest
        else:
            repaid = rent - interest
            payment = rent
        instalments.append(
            LeaseInstalment(
                number=i + 1,
                period_start=p.start,
                period_end=p.end,
                due_date=p.end + due_days,
                opening_balance=balance,
                rent=payment,
                interest=interest,
                principal=repaid,
                closing_balance=balance - repaid,
            )
        )
        balance -= repaid
    return tuple(instalments)


def lease_lines(
    terms: ContractTerms, lease: FinanceLeaseTerms, source: LineSource
) -> list[ScheduleLine]:
    """One ``lease_rent`` line per instalment, interest and principal recorded in the basis."""
    frequency = lease.payment_frequency or terms.payment_frequency
    lines = []
    for inst in lease_instalments(terms, lease.label):
        year = (inst.number - 1) // frequency.periods_per_year + 1
        lines.append(
            make_line(
                source=source,
                component=lease.label,
                kind=LineKind.LEASE_RENT,
                year=year,
                start=inst.period_start,
                end=inst.period_end,
                due=inst.due_date,
                amount=inst.rent,
                basis={
                    "contract_year": year,
                    "number": inst.number,
                    "annual_rate": str(lease.annual_rate),
                    "periods_per_year": frequency.periods_per_year,
                    "opening_balance": str(inst.opening_balance),
                    "interest": str(inst.interest),
                    "principal": str(inst.principal),
                    "closing_balance": str(inst.closing_balance),
                    "residual_value": str(lease.residual_value),
                },
            )
        )
    if lease.purchase_option and lease.residual_value > 0 and lines:
        # The purchase option (留购价) closes the lease: the institution buys the equipment for
        # the residual value at the end of the last rent period, the balance the rents left.
        last = lines[-1]
        lines.append(
            make_line(
                source=source,
                component=lease.label,
                kind=LineKind.LEASE_RESIDUAL,
                year=last.contract_year,
                start=last.period_start,
                end=last.period_end,
                due=last.due_date,
                amount=round_fen(lease.residual_value),
                basis={
                    "contract_year": last.contract_year,
                    "residual_value": str(lease.residual_value),
                    "purchase_option": True,
                },
            )
        )
    return lines
