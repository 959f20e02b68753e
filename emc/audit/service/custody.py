"""Energy-cost custody (能源费用托管型) contracts made from an audit's base-period accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from emc import journal
from emc.audit import indicators as ind
from emc.audit.models import AuditStatus, EcmStatus, EnergyAudit
from emc.audit.service.accounting import figures
from emc.audit.service.ecms import create_proposal, list_ecms
from emc.audit.service.records import _consumption, _invalid, _rows, get_audit
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.contracts import service as contracts
from emc.contracts.finance import (
    BaselineCarrierCost,
    ContractTerms,
    ContractType,
    EnergyCostCustodyTerms,
    PaymentFrequency,
)
from emc.contracts.models import EmcProject, terms_to_document
from emc.errors import Conflict, Invalid
from emc.i18n import N_
from emc.messages import msg


def custody_baseline(session: Session, actor: Actor, audit_id: int) -> list[ind.BaselineLine]:
    """The baseline energy cost a custody contract takes from the audit's accounts (per carrier:
    annual quantity, cost and price = cost / quantity over the base period).

    Raises:
        Invalid: a carrier whose base-period cost is incomplete (``consumption``).
    """
    audit = get_audit(session, actor, audit_id)
    rows = _consumption(session, audit.id)
    years = audit.period_end.year - audit.period_start.year
    accounts = ind.account(
        _rows(rows),
        ind.factor_set_from_snapshot(audit.factor_snapshot),
        region_code=audit.region_code,
        years=years,
    )
    try:
        lines = ind.custody_baseline(_rows(rows), accounts)
    except ind.MissingCost as error:
        raise _invalid(
            "consumption",
            N_("the base-period energy cost is incomplete: record the cost from the bills"),
            text=str(error),
        ) from None
    if not lines:
        raise _invalid("consumption", N_("the base period has no energy cost"))
    return lines


def _custody_field(path: str) -> str:
    for prefix in ("terms.components[0].", "terms."):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def create_custody_contract(
    session: Session,
    actor: Actor,
    audit_id: int,
    *,
    start_date: dt.date,
    term_years: int,
    coefficient: Decimal,
    om_fee_annual: Decimal = Decimal("0.00"),
    payment_frequency: PaymentFrequency = PaymentFrequency.QUARTERLY,
    payment_due_days: int = 30,
    discount_rate: Decimal = Decimal("0.06"),
    ecm_ids: Sequence[int] | None = None,
    name: str | None = None,
    esco_organization_id: int | None = None,
) -> EmcProject:
    """From an accepted audit flagged as a custody candidate, an EMC project proposal with an
    energy-cost custody (能源费用托管型) contract (institution admin, energy manager).

    The contract's baseline energy cost is the audit's (:func:`custody_baseline`), its floor
    area that of the buildings in scope; coefficient, O&M fee and the common terms come from
    the caller; the terms are validated by the finance core through the contracts service.
    The project holds ``ecm_ids`` (by default the free measures recommending custody, else all
    free measures), which become accepted, as in :func:`create_proposal`.

    Raises:
        Conflict: the audit is not accepted or not a custody candidate, or a measure is used.
        Invalid: no measure to carry, no floor area or an incomplete base-period cost, or
            terms the finance core rejects (``terms.components[0].coefficient``).
    """
    audit = load(session, actor, EnergyAudit, audit_id)
    require(actor, Permission.AUDITS_COMMISSION)
    require(actor, Permission.CONTRACTS_PROJECT_MANAGE)
    if audit.status is not AuditStatus.ACCEPTED:
        raise Conflict(
            msg("audit.custody_contracts_made_from_accepted"),
            fields={"status": [msg("audit.not_accepted")]},
        )
    f = figures(session, actor, audit.id)
    if not f.custody_flags:
        raise Conflict(
            msg("audit.audit_does_not_flag_institution"),
            fields={"status": [msg("audit.not_candidate_for_energy_cost")]},
        )
    area = sum((b.floor_area_m2 for b in f.buildings), Decimal(0))
    if area <= 0:
        raise _invalid("floor_area_m2", N_("the buildings in scope have no floor area"))
    lines = custody_baseline(session, actor, audit.id)
    if ecm_ids is None:
        free = [
            e
            for e in list_ecms(session, actor, audit.id)
            if e.project_id is None and e.status in (EcmStatus.PROPOSED, EcmStatus.ACCEPTED)
        ]
        chosen = [
            e for e in free if e.recommended_contract_type is ContractType.ENERGY_COST_CUSTODY
        ]
        ecm_ids = [e.id for e in chosen or free]
    if not ecm_ids:
        raise _invalid("ecm_ids", N_("no measure is left to carry out under the contract"))
    terms = ContractTerms(
        contract_type=ContractType.ENERGY_COST_CUSTODY,
        term_years=term_years,
        start_date=start_date,
        payment_frequency=PaymentFrequency(payment_frequency),
        payment_due_days=payment_due_days,
        discount_rate=discount_rate,
        components=(
            EnergyCostCustodyTerms(
                baseline=tuple(
                    BaselineCarrierCost(
                        carrier=line.carrier,
                        unit=line.unit,
                        annual_quantity=line.annual_quantity,
                        price_per_unit=line.price_per_unit,
                    )
                    for line in lines
                ),
                coefficient=coefficient,
                floor_area_m2=area,
                om_fee_annual=om_fee_annual,
            ),
        ),
    )
    # Checked before anything is written, so bad terms leave no project behind; the finance
    # core's paths are mapped onto the form's fields (coefficient, term_years, ...).
    try:
        contracts.check_terms(terms_to_document(terms), [])
    except Invalid as error:
        raise Invalid(
            error.message,
            fields={
                _custody_field(path): messages for path, messages in (error.fields or {}).items()
            },
        ) from None
    project = create_proposal(
        session,
        actor,
        audit.id,
        ecm_ids=ecm_ids,
        name=name or f"{audit.title}：能源费用托管",
        esco_organization_id=esco_organization_id,
        contract_type=ContractType.ENERGY_COST_CUSTODY,
    )
    contracts.set_contract_terms(session, actor, project.id, terms=terms_to_document(terms))
    journal.record(
        session,
        actor,
        "custody_contract",
        audit,
        organization_id=audit.organization_id,
        after={
            "project_id": project.id,
            "baseline": [
                {
                    "carrier": line.carrier,
                    "unit": line.unit,
                    "annual_quantity": str(line.annual_quantity),
                    "annual_cost": str(line.annual_cost),
                    "price_per_unit": str(line.price_per_unit),
                }
                for line in lines
            ],
        },
        summary=f"project {project.id}",
    )
    return project
