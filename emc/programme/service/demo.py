"""Demo programme data: targets, statistics and (for the full demo) projects and snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.models import Organization
from emc.contracts.finance import ContractType
from emc.contracts.models import Contract, EmcProject, Investor, ProjectStatus
from emc.demo import actor_for
from emc.programme.models import (
    Metric,
)
from emc.programme.service._common import (
    local_today,
)
from emc.programme.service.snapshots import (
    take_snapshot,
)
from emc.programme.service.statistics import (
    save_stat,
)
from emc.programme.service.stats_import import (
    stats_from_meters,
)
from emc.programme.service.targets import (
    create_target,
)


def build_demo(session: Session, *, projects: bool = False) -> None:
    """Demo programme data: the national 3,000-project target for 2021–2025 with Zhejiang's and
    Hangzhou's allocations and the intensity targets, the school's and the hospital's annual
    statistics (2020 base year entered, 2024 from meters), and — with ``projects`` — a small set
    of signed projects across Hangzhou, Ningbo and Guangzhou with a monthly snapshot history.

    Tests build the demo without projects: other domains' tests assume the demo has none.
    """
    national, zhejiang = (
        actor_for(session, "officer@national.demo"),
        actor_for(session, "officer@zhejiang.demo"),
    )
    create_target(
        session,
        national,
        region_code="000000",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=3000,
        note="“十四五”公共机构节约能源资源工作规划",
    )
    for metric, pct in ((Metric.ENERGY_INTENSITY, "5"), (Metric.CO2_INTENSITY, "7")):
        create_target(
            session,
            national,
            region_code="000000",
            metric=metric,
            start_year=2021,
            end_year=2025,
            reduction_pct=Decimal(pct),
            base_year=2020,
        )
    create_target(
        session,
        national,
        region_code="330000",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=180,
    )
    create_target(
        session,
        zhejiang,
        region_code="330100",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=40,
    )
    create_target(
        session,
        zhejiang,
        region_code="330200",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=30,
    )
    for email, area, occupants, kwh, gas in (
        ("energy@school.demo", "22700", 2700, "2150000", "36000"),
        ("energy@hospital.demo", "42000", 1800, "9800000", "238000"),
    ):
        save_stat(
            session,
            actor_for(session, email),
            year=2020,
            floor_area_m2=Decimal(area),
            occupants=occupants,
            carriers=[
                {"carrier": "electricity", "quantity": Decimal(kwh), "unit": "kWh"},
                {"carrier": "natural_gas", "quantity": Decimal(gas), "unit": "m³"},
            ],
        )
        stats_from_meters(session, actor_for(session, email), year=2024)
    if projects:
        _demo_projects(session)


def _demo_projects(session: Session) -> None:
    from emc.contracts import finance
    from emc.contracts.models import terms_to_document

    def terms(kind: ContractType, start: dt.date) -> dict[str, Any]:
        price = (finance.CarrierPrice("electricity", "kWh", Decimal("0.80")),)
        if kind is ContractType.ENERGY_COST_CUSTODY:
            component = finance.EnergyCostCustodyTerms(
                baseline=(
                    finance.BaselineCarrierCost(
                        "electricity", "kWh", Decimal(1_500_000), Decimal("0.80")
                    ),
                ),
                coefficient=Decimal("0.92"),
                floor_area_m2=Decimal(20000),
            )
        else:
            component = finance.SharedSavingsTerms(
                shares=(finance.ShareBand(1, 5, Decimal("0.80")),)
            )
            kind = ContractType.SHARED_SAVINGS
        return terms_to_document(
            finance.ContractTerms(
                contract_type=kind,
                term_years=5,
                start_date=start,
                payment_frequency=finance.PaymentFrequency.ANNUAL,
                payment_due_days=30,
                discount_rate=Decimal("0.05"),
                components=(component,),
                prices=price,
            )
        )

    esco = session.scalar(
        select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
    )
    plan = [
        (
            "energy@school.demo",
            "一中照明与空调改造",
            dt.date(2022, 3, 15),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "1850000",
        ),
        (
            "energy@school.demo",
            "一中能源费用托管",
            dt.date(2024, 9, 1),
            ProjectStatus.IMPLEMENTING,
            ContractType.ENERGY_COST_CUSTODY,
            "2600000",
        ),
        (
            "energy@hospital.demo",
            "人民医院锅炉与热泵改造",
            dt.date(2023, 5, 20),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "6200000",
        ),
        (
            "energy@hospital.demo",
            "人民医院光伏屋顶",
            dt.date(2023, 11, 2),
            ProjectStatus.TERMINATED,
            ContractType.SHARED_SAVINGS,
            "3100000",
        ),
        (
            "energy@hospital.demo",
            "人民医院能源托管",
            dt.date(2025, 2, 10),
            ProjectStatus.CONTRACTED,
            ContractType.ENERGY_COST_CUSTODY,
            "4800000",
        ),
        (
            "energy@office.demo",
            "宁波市府大楼节能改造",
            dt.date(2022, 8, 8),
            ProjectStatus.COMPLETED,
            ContractType.SHARED_SAVINGS,
            "2900000",
        ),
        (
            "energy@office.demo",
            "宁波市府数据机房改造",
            dt.date(2024, 4, 18),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "1250000",
        ),
        (
            "energy@gym.demo",
            "天河体育馆照明改造",
            dt.date(2023, 7, 1),
            ProjectStatus.OPERATING,
            ContractType.SHARED_SAVINGS,
            "980000",
        ),
    ]
    for email, name, signed, status, kind, investment in plan:
        who = actor_for(session, email)
        project = EmcProject(
            organization_id=who.organization_id,
            esco_organization_id=esco,
            name=name,
            status=status,
            signed_on=signed,
            total_investment=Decimal(investment),
            investor=Investor.ESCO,
            ecms=[],
            operation_start_on=(
                signed + dt.timedelta(days=150)
                if status in (ProjectStatus.OPERATING, ProjectStatus.COMPLETED)
                else None
            ),
            termination_reason="屋顶结构评估未通过" if status is ProjectStatus.TERMINATED else None,
        )
        session.add(project)
        session.flush()
        session.add(
            Contract(
                project_id=project.id,
                contract_type=kind,
                terms=terms(kind, signed),
                savings_estimates=[],
            )
        )
        journal.record(
            session,
            None,
            "create",
            project,
            organization_id=project.organization_id,
            summary="demo",
        )
    session.flush()
    today = local_today()
    month = dt.date(today.year - 1, today.month, 1)
    while month <= today:
        take_snapshot(session, month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    take_snapshot(session, today)
