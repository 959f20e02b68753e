"""EMC projects, their contracts and amendments, and payment schedule lines.

A project belongs to the institution that commissions it (``organization_id``, the tenant) and
names the contracted ESCO; contracts, amendments and payment lines are scoped through their
project. Contract terms are stored as a versioned JSON document (:data:`TERMS_FORMAT`) that
round-trips exactly to :class:`emc.contracts.finance.ContractTerms` through
:func:`terms_to_document` / :func:`terms_from_document`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emc.auth.models import Organization
from emc.contracts import finance
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
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    institution: Mapped[Organization] = relationship(foreign_keys=[organization_id], lazy="raise")
    esco: Mapped[Organization | None] = relationship(
        foreign_keys=[esco_organization_id], lazy="raise"
    )


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
    created_at: Mapped[CreatedAt]


class PaymentLine(Base):
    """One payment of a project's schedule, keyed by the finance core's deterministic key."""

    __tablename__ = "payment_lines"
    __table_args__ = (
        UniqueConstraint("project_id", "key"),
        Index("ix_payment_lines_status_due_on", "status", "due_on"),
    )

    id: Mapped[bigintpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
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


# --- the terms document --------------------------------------------------------------------

TERMS_FORMAT = 1

_COMPONENT_CLASSES: dict[str, type] = {
    finance.ContractType.SHARED_SAVINGS: finance.SharedSavingsTerms,
    finance.ContractType.GUARANTEED_SAVINGS: finance.GuaranteedSavingsTerms,
    finance.ContractType.ENERGY_COST_CUSTODY: finance.EnergyCostCustodyTerms,
    finance.ContractType.FINANCE_LEASE: finance.FinanceLeaseTerms,
}
_COMPONENT_NAMES = {cls: name for name, cls in _COMPONENT_CLASSES.items()}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        out = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if type(value) in _COMPONENT_NAMES:
            out = {"type": str(_COMPONENT_NAMES[type(value)]), **out}
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def terms_to_document(terms: finance.ContractTerms) -> dict[str, Any]:
    """``terms`` as a JSON-safe document (Decimals as strings, dates ISO, components typed)."""
    return {"format": TERMS_FORMAT, **_encode(terms)}


def _fail(path: str, message: str):
    raise finance.ContractTermsError(path, message)


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None and len(args) < len(typing.get_args(tp)):
            return None
        if tp == finance.Component or set(args) == set(_COMPONENT_NAMES):
            return _decode_component(value, path)
        return _decode(args[0], value, path)
    if origin is tuple:
        if not isinstance(value, list):
            _fail(path, "must be a list")
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            _fail(path, "must be a decimal number written as a string")
        try:
            number = Decimal(value)
        except InvalidOperation:
            _fail(path, f"{value!r} is not a decimal number")
        if not number.is_finite():
            _fail(path, "must be a finite number")
        return number
    if tp is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            _fail(path, "must be a date (YYYY-MM-DD)")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            _fail(path, f"must be one of {', '.join(m.value for m in tp)}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, "must be an integer")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            _fail(path, "must be true or false")
        return value
    if tp is str:
        if not isinstance(value, str):
            _fail(path, "must be text")
        return value
    if dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, value, path)
    raise TypeError(f"cannot decode {tp!r}")  # pragma: no cover - a new finance type


def _decode_dataclass(cls: type, value: Any, path: str, skip: tuple[str, ...] = ()) -> Any:
    prefix = f"{path}." if path else ""
    if not isinstance(value, dict):
        _fail(path or "terms", "must be an object")
    hints = typing.get_type_hints(cls, vars(finance.terms))
    known = {f.name for f in dataclasses.fields(cls)}
    for name in value:
        if name not in known and name not in skip:
            _fail(f"{prefix}{name}", "unknown field")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                _fail(f"{prefix}{f.name}", "is required")
            continue
        kwargs[f.name] = _decode(hints[f.name], value[f.name], f"{prefix}{f.name}")
    return cls(**kwargs)


def _decode_component(value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        _fail(path, "must be an object")
    cls = _COMPONENT_CLASSES.get(value.get("type"))
    if cls is None:
        _fail(f"{path}.type", f"must be one of {', '.join(_COMPONENT_CLASSES)}")
    return _decode_dataclass(cls, value, path, skip=("type",))


def terms_from_document(document: dict[str, Any]) -> finance.ContractTerms:
    """The :class:`~emc.contracts.finance.ContractTerms` of a terms document.

    Raises :class:`~emc.contracts.finance.ContractTermsError` naming the bad field by its path
    (``components[0].shares[1].share``). Only decodes: call ``finance.validate_terms`` to check.
    """
    if not isinstance(document, dict):
        _fail("terms", "must be an object")
    doc = dict(document)
    fmt = doc.pop("format", TERMS_FORMAT)
    if fmt != TERMS_FORMAT:
        _fail("format", f"unsupported terms format {fmt!r}")
    return _decode_dataclass(finance.ContractTerms, doc, "")


def estimates_from_document(items: list[dict[str, Any]]) -> tuple[finance.SavingsEstimate, ...]:
    """Savings estimates from their stored form; raises ``SavingsInputError`` naming the field."""
    out = []
    for i, item in enumerate(items or []):
        try:
            out.append(_decode_dataclass(finance.SavingsEstimate, item, f"estimates[{i}]"))
        except finance.ContractTermsError as error:
            raise finance.SavingsInputError(error.field, error.message) from None
    return tuple(out)


def estimates_to_document(
    estimates: tuple[finance.SavingsEstimate, ...] | list[finance.SavingsEstimate],
) -> list[dict[str, Any]]:
    return [_encode(e) for e in estimates]
