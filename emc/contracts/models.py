"""EMC projects, their contracts and amendments, and payment schedule lines.

A project belongs to the institution that commissions it (``organization_id``, the tenant) and
names the contracted ESCO; contracts, amendments and payment lines are scoped through their
project. Contract terms are stored as a versioned JSON document (:data:`TERMS_FORMAT`, see
:mod:`emc.contracts.documents`, whose functions are re-exported here). Agreed custody fee
adjustments belong to the contract and are scoped through the project.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emc.auth.models import Organization
from emc.contracts import finance
from emc.contracts.documents import (  # noqa: F401 - re-exported: the terms document's old home
    TERMS_FORMAT,
    estimates_from_document,
    estimates_to_document,
    terms_from_document,
    terms_to_document,
)
from emc.db import Base, CreatedAt, Money, UpdatedAt, bigintpk, intpk, str_enum

# --- enums ---------------------------------------------------------------------------------


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    CONTRACTED = "contracted"
    IMPLEMENTING = "implementing"
    OPERATING = "operating"
    COMPLETED = "completed"
    TERMINATED = "terminated"


# Forward moves one step at a time; any open project may be terminated (with a reason).
PROJECT_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.PROPOSED, ProjectStatus.TERMINATED}),
    ProjectStatus.PROPOSED: frozenset(
        {ProjectStatus.DRAFT, ProjectStatus.CONTRACTED, ProjectStatus.TERMINATED}
    ),
    ProjectStatus.CONTRACTED: frozenset({ProjectStatus.IMPLEMENTING, ProjectStatus.TERMINATED}),
    ProjectStatus.IMPLEMENTING: frozenset({ProjectStatus.OPERATING, ProjectStatus.TERMINATED}),
    ProjectStatus.OPERATING: frozenset({ProjectStatus.COMPLETED, ProjectStatus.TERMINATED}),
    ProjectStatus.COMPLETED: frozenset(),
    ProjectStatus.TERMINATED: frozenset(),
}
# Once signed, terms change only by an amendment both parties agree to.
SIGNED_STATUSES = frozenset(
    {
        ProjectStatus.CONTRACTED,
        ProjectStatus.IMPLEMENTING,
        ProjectStatus.OPERATING,
        ProjectStatus.COMPLETED,
        ProjectStatus.TERMINATED,
    }
)


class Investor(StrEnum):
    ESCO = "esco"
    INSTITUTION = "institution"
    SHARED = "shared"
    LESSOR = "lessor"


class AmendmentStatus(StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    # The other party refused it, or its proposer withdrew it: it never applies.
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LineStatus(StrEnum):
    """Payment workflow. ``scheduled``: generated, not yet in the payment workflow (projected
    lines stay here: they are the forecast, never paid). Finance prepares an actual line, a
    second finance user approves it, then it is paid. A hold parks a line until released."""

    SCHEDULED = "scheduled"
    PREPARED = "prepared"
    APPROVED = "approved"
    PAID = "paid"
    ON_HOLD = "on_hold"


# Lines in these states are commitments: regeneration never touches them.
LOCKED_STATUSES = frozenset({LineStatus.APPROVED, LineStatus.PAID})


# --- tables --------------------------------------------------------------------------------


class EmcProject(Base):
    """An EMC project of one institution with one contracted ESCO."""

    __tablename__ = "emc_projects"

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    esco_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus, 20), default=ProjectStatus.DRAFT
    )
    termination_reason: Mapped[str | None] = mapped_column(String(500))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    works_accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    operation_start_on: Mapped[dt.date | None] = mapped_column(Date)
    term_end_on: Mapped[dt.date | None] = mapped_column(Date)
    total_investment: Mapped[Money | None]
    investor: Mapped[Investor] = mapped_column(str_enum(Investor, 20), default=Investor.ESCO)
    # Energy conservation measures, a list of {"name", "description", ...} until the audit
    # domain gives them a table of their own.
    ecms: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Both parties sign: the project becomes contracted (signed) once both signatures exist.
    institution_signed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    institution_signed_at: Mapped[dt.datetime | None]
    esco_signed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    esco_signed_at: Mapped[dt.datetime | None]
    # Optimistic lock of the workflow (emc.workflow): every UPDATE is conditional on it.
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    __mapper_args__ = {"version_id_col": row_version}

    institution: Mapped[Organization] = relationship(foreign_keys=[organization_id], lazy="raise")
    esco: Mapped[Organization | None] = relationship(
        foreign_keys=[esco_organization_id], lazy="raise"
    )

    @property
    def contract_signed_on(self) -> dt.date | None:
        """The contract's signing date once both parties have signed (before that, ``signed_on``
        holds the one signature given so far, which is not the contract's date)."""
        return self.signed_on if self.status in SIGNED_STATUSES else None


class Contract(Base):
    """The contract of a project (one per project); ``terms`` is a :data:`TERMS_FORMAT` document."""

    __tablename__ = "contracts"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), unique=True
    )
    contract_type: Mapped[finance.ContractType] = mapped_column(str_enum(finance.ContractType, 30))
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Savings estimates for the projected schedule: [{"carrier", "unit", "annual_quantity",
    # "contract_year"}], quantities as strings.
    savings_estimates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    project: Mapped[EmcProject] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class ContractAmendment(Base):
    """A change to signed terms: proposed with a reason, applied once both parties agree."""

    __tablename__ = "contract_amendments"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[intpk]
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[AmendmentStatus] = mapped_column(
        str_enum(AmendmentStatus, 20), default=AmendmentStatus.PROPOSED
    )
    terms_before: Mapped[dict[str, Any]] = mapped_column(JSON)
    terms_after: Mapped[dict[str, Any]] = mapped_column(JSON)
    estimates_after: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The contract version the amendment was drafted against; a stale one cannot be applied.
    base_version: Mapped[int]
    proposed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    institution_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    institution_agreed_at: Mapped[dt.datetime | None]
    esco_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    esco_agreed_at: Mapped[dt.datetime | None]
    # An amendment that swaps the ESCO names the incoming one, whose consent it also needs: it
    # sees this amendment (not the project's records) and agrees or rejects it.
    incoming_esco_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    incoming_esco_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    incoming_esco_agreed_at: Mapped[dt.datetime | None]
    # Changes of a signed project's own fields (ESCO, dates, investment) that the amendment
    # carries: {"field": value as JSON}; applied with the terms once both parties agree.
    project_changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision_comment: Mapped[str | None] = mapped_column(String(2000))
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]

    __mapper_args__ = {"version_id_col": row_version}


class CustodyAdjustmentKind(StrEnum):
    """What an agreed custody fee adjustment changes (GB/T 24915 托管: agreed changes)."""

    FLOOR_AREA = "floor_area"
    ENERGY_PRICE = "energy_price"


class CustodyFeeAdjustment(Base):
    """An agreed change to the custody fee of a contract with an energy-cost custody component:
    the served floor area, or the unit price of one or more baseline carriers, from
    ``effective_date``. Proposed with a reference and a reason; it applies (schedule
    regeneration passes it to the finance core) once both parties have agreed, on
    ``agreed_on`` (the institutions' date of the second agreement)."""

    __tablename__ = "custody_fee_adjustments"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        UniqueConstraint("contract_id", "reference"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[CustodyAdjustmentKind] = mapped_column(str_enum(CustodyAdjustmentKind, 20))
    reference: Mapped[str] = mapped_column(String(60))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    # Floor area change: the new served area in m².
    new_floor_area_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Energy price change: [{"carrier", "unit", "new_price_per_unit"}], prices as strings.
    prices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The custody component's label; None: every custody component of the contract.
    component: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[AmendmentStatus] = mapped_column(
        str_enum(AmendmentStatus, 20), default=AmendmentStatus.PROPOSED
    )
    agreed_on: Mapped[dt.date | None] = mapped_column(Date)
    proposed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    institution_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    institution_agreed_at: Mapped[dt.datetime | None]
    esco_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    esco_agreed_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]

    # The two parties may agree at the same moment: each UPDATE is conditional on the version
    # read, so one of them sees the other's agreement (and applies it) or gets a conflict.
    __mapper_args__ = {"version_id_col": version}


class PaymentLine(Base):
    """One payment of a project's schedule, keyed by the finance core's deterministic key."""

    __tablename__ = "payment_lines"
    __table_args__ = (
        UniqueConstraint("project_id", "key"),
        Index("ix_payment_lines_status_due_on", "status", "due_on"),
    )

    id: Mapped[bigintpk]
    # No index of its own: the unique (project_id, key) index serves lookups by project, and
    # one index fewer to maintain matters when a whole portfolio's schedules are stored.
    project_id: Mapped[int] = mapped_column(ForeignKey("emc_projects.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    source: Mapped[finance.LineSource] = mapped_column(str_enum(finance.LineSource, 20))
    kind: Mapped[finance.LineKind] = mapped_column(str_enum(finance.LineKind, 30))
    component: Mapped[str] = mapped_column(String(100))
    contract_year: Mapped[int]
    # Half-open [period_start, period_end).
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    payer: Mapped[finance.Party] = mapped_column(str_enum(finance.Party, 20))
    payee: Mapped[finance.Party] = mapped_column(str_enum(finance.Party, 20))
    amount: Mapped[Money]
    basis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[LineStatus] = mapped_column(
        str_enum(LineStatus, 20), default=LineStatus.SCHEDULED
    )
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    prepared_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[dt.datetime | None]
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None]
    paid_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    project: Mapped[EmcProject] = relationship(lazy="raise")

    # Optimistic locking: every UPDATE says WHERE version = <the version read>, so two
    # concurrent approvals (or payments) of one line cannot both succeed.
    __mapper_args__ = {"version_id_col": version}


class VerifiedSavings(Base):
    """An accepted M&V result as the payment schedule settles it: the verified savings of
    ``[period_start, period_end)`` per carrier and, from a report, per month (``segments``).

    Kept so that a contract which carries negative savings forward or reconciles its guarantee
    per contract year can settle each new result together with the earlier ones.
    """

    __tablename__ = "verified_savings"
    __table_args__ = (UniqueConstraint("project_id", "period_start"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("emc_projects.id", ondelete="CASCADE"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    accepted_on: Mapped[dt.date] = mapped_column(Date)
    # [{"carrier", "unit", "quantity"}], quantities as text.
    savings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"start", "end", "carrier", "unit", "quantity"}]; empty: totals split by time.
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
