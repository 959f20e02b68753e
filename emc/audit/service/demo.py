"""Demo audits and quotas, built by ``emc.demo.build`` after the facilities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from emc import clock
from emc.audit.models import QuotaBasis
from emc.audit.service.consumption import add_bills, consumption_from_meters
from emc.audit.service.custody import create_custody_contract
from emc.audit.service.ecms import add_ecm
from emc.audit.service.quotas import create_quota
from emc.audit.service.workflow import accept_audit, create_audit, submit_audit, update_audit
from emc.auth.models import Organization
from emc.contracts.finance import ContractType
from emc.demo import actor_for
from emc.energy import Carrier
from emc.facilities.models import BuildingType, Site
from emc.notifications.models import Notification

# Demo tariffs (yuan per canonical unit) of the hospital's energy bills.
DEMO_TARIFFS = {
    Carrier.ELECTRICITY: Decimal("0.72"),
    Carrier.NATURAL_GAS: Decimal("3.85"),
    Carrier.WATER: Decimal("4.10"),
}


def build_demo_audits(session: Session, *, custody: bool = False) -> None:
    """Accepted 2024 audits of the demo school and hospital (their meters, ECMs; the hospital
    also its energy bills), and Zhejiang energy quotas; called by ``emc.demo.build`` after the
    facilities. With ``custody`` the hospital's audit, flagged as a custody candidate, leads
    to a project proposal with an energy-cost custody contract (``emc demo`` only: the test
    suite assumes no projects)."""

    agency = actor_for(session, "officer@zhejiang.demo")
    source = "浙江省公共机构能耗定额（演示数据）"
    for building_type, guide, baseline, constraint in (
        (BuildingType.SCHOOL, "8", "12", "13"),
        (BuildingType.HOSPITAL, "28", "35", "48"),
        (BuildingType.OFFICE, "12", "16", "22"),
        (BuildingType.SPORTS, "9", "12", "15"),
    ):
        create_quota(
            session,
            agency,
            region_code="330000",
            building_type=building_type,
            basis=QuotaBasis.PER_AREA,
            year=2022,
            guide_value=Decimal(guide),
            baseline_value=Decimal(baseline),
            constraint_value=Decimal(constraint),
            source=source,
        )
    auditor = actor_for(session, "auditor@auditor.demo")
    auditor_org = auditor.organization_id
    plans = {
        "energy@school.demo": (
            "杭州市第一中学 2024 年度能源审计",
            [
                (
                    "教学楼 LED 照明改造",
                    "lighting",
                    "electricity",
                    "180000",
                    "115000.00",
                    "260000.00",
                    ContractType.SHARED_SAVINGS,
                ),
                (
                    "空调群控与变频改造",
                    "hvac",
                    "electricity",
                    "240000",
                    "150000.00",
                    "620000.00",
                    ContractType.GUARANTEED_SAVINGS,
                ),
                (
                    "食堂燃气灶电气化",
                    "kitchen_electrification",
                    "natural_gas",
                    "12000",
                    "42000.00",
                    "180000.00",
                    ContractType.SHARED_SAVINGS,
                ),
            ],
        ),
        "energy@hospital.demo": (
            "杭州市人民医院 2024 年度能源审计",
            [
                (
                    "锅炉改空气源热泵",
                    "heat_pump",
                    "natural_gas",
                    "90000",
                    "310000.00",
                    "2400000.00",
                    ContractType.ENERGY_COST_CUSTODY,
                ),
                (
                    "屋顶光伏 300 kWp",
                    "pv",
                    "electricity",
                    "300000",
                    "240000.00",
                    "1050000.00",
                    ContractType.ENERGY_COST_CUSTODY,
                ),
            ],
        ),
    }
    for email, (title, ecms) in plans.items():
        institution = actor_for(session, email)
        site_ids = list(
            session.scalars(
                select(Site.id).where(Site.organization_id == institution.organization_id)
            )
        )
        audit = create_audit(
            session,
            institution,
            title=title,
            auditor_organization_id=auditor_org,
            level=2,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2025, 1, 1),
            site_ids=site_ids,
        )
        meter_rows = consumption_from_meters(session, auditor, audit.id)
        if email == "energy@hospital.demo":
            # The hospital's bills: the metered use at the tariffs paid, so the accounts carry
            # the base-period energy cost that a custody contract takes as its baseline.
            add_bills(
                session,
                auditor,
                audit.id,
                [
                    {
                        "carrier": r.carrier,
                        "unit": r.unit,
                        "month": r.month,
                        "quantity": r.quantity,
                        "cost": (r.quantity * DEMO_TARIFFS[r.carrier]).quantize(Decimal("0.01")),
                        "note": "能源费账单",
                    }
                    for r in meter_rows
                    if r.carrier in DEMO_TARIFFS
                ],
            )
        for name, category, carrier, quantity, money, investment, contract in ecms:
            unit = "kWh" if carrier == "electricity" else "m³"
            add_ecm(
                session,
                auditor,
                audit.id,
                name=name,
                category=category,
                description="",
                affected_carriers=[carrier],
                savings_carrier=Carrier(carrier),
                savings_quantity=Decimal(quantity),
                savings_unit=unit,
                savings_money=Decimal(money),
                investment=Decimal(investment),
                recommended_contract_type=contract,
            )
        update_audit(
            session,
            auditor,
            audit.id,
            conclusions="基准期能耗数据取自计量表逐月汇总；建议优先实施回收期短的措施。",
        )
        submit_audit(session, auditor, audit.id)
        accept_audit(session, institution, audit.id)
        if custody and email == "energy@hospital.demo":
            esco = session.scalar(
                select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
            )
            create_custody_contract(
                session,
                actor_for(session, "admin@hospital.demo"),
                audit.id,
                start_date=dt.date(2025, 7, 1),
                term_years=8,
                coefficient=Decimal("0.95"),
                om_fee_annual=Decimal("180000.00"),
                esco_organization_id=esco,
            )
    # The demo's workflow notifications are history already read about: never e-mailed.
    session.execute(
        update(Notification)
        .where(Notification.kind.like("audit_%"), Notification.emailed_at.is_(None))
        .values(emailed_at=clock.now())
    )
