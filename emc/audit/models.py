"""Energy audits (GB/T 17166), their scope, energy accounts and ECMs; energy quotas.

Tenancy: an audit belongs to the institution that commissions it (``organization_id``, the
tenant) and names the auditor organisation commissioned to carry it out
(``auditor_organization_id``); scope rows, consumption rows and ECMs are scoped through their
audit. Quotas (能耗定额) are reference data maintained by agencies for their region subtree.
Visibility rules live in ``emc.auth.policy``.

An accepted audit is immutable: a change is a new version (``previous_audit_id``, ``version``,
``revision_reason``). The factor set used for its tce and CO2 figures is stored with it
(``factor_snapshot``), so its figures never change when reference factors are updated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emc.contracts.finance import ContractType
from emc.db import Base, CreatedAt, Energy, Money, UpdatedAt, UTCDateTime, intpk, str_enum
from emc.energy import Carrier
from emc.facilities.models import BuildingType

__all__ = [
    "AuditBuilding",
    "AuditConsumption",
    "AuditEcm",
    "AuditSite",
    "AuditStatus",
    "ConsumptionSource",
    "EcmCategory",
    "EcmStatus",
    "EnergyAudit",
    "EnergyQuota",
    "QuotaBasis",
]


class AuditStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


# The auditor records data only while the audit is in one of these states.
EDITABLE_STATUSES = frozenset({AuditStatus.DRAFT, AuditStatus.RETURNED})


class ConsumptionSource(StrEnum):
    METER = "meter"
    BILL = "bill"


class EcmCategory(StrEnum):
    LIGHTING = "lighting"
    HVAC = "hvac"
    HEAT_PUMP = "heat_pump"
    ENVELOPE = "envelope"
    PV = "pv"
    CONTROLS = "controls"
    KITCHEN_ELECTRIFICATION = "kitchen_electrification"
    DATA_CENTRE = "data_centre"
    OTHER = "other"


class EcmStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IMPLEMENTED = "implemented"
    DISCARDED = "discarded"


class QuotaBasis(StrEnum):
    """What a quota is per: floor area (kgce/m²·a) or person (kgce/人·a)."""

    PER_AREA = "per_area"
    PER_PERSON = "per_person"


class EnergyAudit(Base):
    """One version of an energy audit of an institution by a commissioned auditor.

    The base period is ``[period_start, period_end)``: whole calendar years, one to three.
    """

    __tablename__ = "energy_audits"
    __table_args__ = (
        CheckConstraint("period_end > period_start", name="period_not_empty"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
    )

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    auditor_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # GB/T 17166 depth: 1 walk-through, 2 survey and analysis, 3 detailed.
    level: Mapped[int]
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    # The institution's division code when commissioned: selects provincial factors and quotas.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    status: Mapped[AuditStatus] = mapped_column(
        str_enum(AuditStatus, 12), default=AuditStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(default=1)
    previous_audit_id: Mapped[int | None] = mapped_column(ForeignKey("energy_audits.id"))
    revision_reason: Mapped[str | None] = mapped_column(String(1000))
    review_comment: Mapped[str | None] = mapped_column(String(2000))
    # Recorded by the auditor. Occupants override the sum over the scoped buildings.
    occupants: Mapped[int | None]
    building_type: Mapped[BuildingType | None] = mapped_column(str_enum(BuildingType, 20))
    data_centre_pue: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    # Shares of total energy by end use, percent as text: {"lighting_sockets": "30", ...}.
    end_use_split: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    conclusions: Mapped[str | None] = mapped_column(String(4000))
    # {"taken_at", "region_code", "factors": [{carrier, kind, value, unit, year, scope, ...}]}
    factor_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    accepted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic lock of the workflow (``version`` is the audit's own version number).
    row_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    __mapper_args__ = {"version_id_col": row_version}


class AuditSite(Base):
    __tablename__ = "audit_sites"

    audit_id: Mapped[int] = mapped_column(
        ForeignKey("energy_audits.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True, index=True)


class AuditBuilding(Base):
    """A building in scope. Without any, every building of the scoped sites is in scope."""

    __tablename__ = "audit_buildings"

    audit_id: Mapped[int] = mapped_column(
        ForeignKey("energy_audits.id", ondelete="CASCADE"), primary_key=True
    )
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), primary_key=True)


class AuditConsumption(Base):
    """Use of one carrier in one calendar month (``month`` is its first day), in ``unit``.

    ``source`` meter: a monthly total of a stored meter (``meter_id``); bill: entered or uploaded
    from an energy bill. For a carrier and month with bill rows, the meter rows are not counted.
    """

    __tablename__ = "audit_consumption"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
    )

    id: Mapped[intpk]
    audit_id: Mapped[int] = mapped_column(
        ForeignKey("energy_audits.id", ondelete="CASCADE"), index=True
    )
    carrier: Mapped[Carrier] = mapped_column(str_enum(Carrier, 20))
    unit: Mapped[str] = mapped_column(String(10))
    month: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[Energy]
    cost: Mapped[Money | None]
    source: Mapped[ConsumptionSource] = mapped_column(str_enum(ConsumptionSource, 10))
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(200))


class AuditEcm(Base):
    """An energy conservation measure (节能措施) the audit recommends, with estimated annual
    savings; ``project_id`` is the EMC project proposal it went into."""

    __tablename__ = "audit_ecms"
    __table_args__ = (
        CheckConstraint("investment IS NULL OR investment >= 0", name="investment_not_negative"),
    )

    id: Mapped[intpk]
    audit_id: Mapped[int] = mapped_column(
        ForeignKey("energy_audits.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    category: Mapped[EcmCategory] = mapped_column(str_enum(EcmCategory, 30))
    affected_carriers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    savings_carrier: Mapped[Carrier | None] = mapped_column(str_enum(Carrier, 20))
    savings_quantity: Mapped[Energy | None]
    savings_unit: Mapped[str | None] = mapped_column(String(10))
    savings_tce: Mapped[Energy | None]
    savings_tco2: Mapped[Energy | None]
    savings_money: Mapped[Money | None]
    investment: Mapped[Money | None]
    recommended_contract_type: Mapped[ContractType | None] = mapped_column(
        str_enum(ContractType, 30)
    )
    status: Mapped[EcmStatus] = mapped_column(str_enum(EcmStatus, 12), default=EcmStatus.PROPOSED)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class EnergyQuota(Base):
    """An energy quota (能耗定额) for a building type in a region, from ``year`` on.

    Values are kgce per m² and year (per area) or per person and year; 引导值 (guide) ≤
    基准值 (baseline) ≤ 约束值 (constraint). The most specific region wins (city, province,
    national), then the latest year not after the audit's.
    """

    __tablename__ = "energy_quotas"
    __table_args__ = (
        UniqueConstraint("region_code", "building_type", "basis", "year"),
        CheckConstraint(
            "guide_value <= baseline_value AND baseline_value <= constraint_value",
            name="values_ordered",
        ),
        CheckConstraint("guide_value >= 0", name="guide_not_negative"),
    )

    id: Mapped[intpk]
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    building_type: Mapped[BuildingType] = mapped_column(str_enum(BuildingType, 20))
    basis: Mapped[QuotaBasis] = mapped_column(str_enum(QuotaBasis, 12))
    year: Mapped[int]
    constraint_value: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    baseline_value: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    guide_value: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    source: Mapped[str] = mapped_column(String(500))
    # The agency (or platform) that maintains the row.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[CreatedAt]
