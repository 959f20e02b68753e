"""M&V plans, baselines, M&V reports, their non-routine adjustments and evidence files.

Everything is scoped through its project (``project_id``; visibility is the project's, see
``emc.auth.policy``). A baseline is proposed by the project's ESCO and approved by the
institution; once approved it is **frozen**. An M&V report is drafted and submitted by the ESCO
and accepted or disputed by the institution; once accepted it is **immutable**. Both rules are
enforced by the service and, as a second line, by :func:`_refuse_frozen_changes`, which refuses
an UPDATE of a frozen row's figures whatever code path tries it (only the staleness marker of a
report may still be set: it describes the meter data, not the figures).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column

from emc.db import Base, BigId, CreatedAt, Money, UpdatedAt, intpk, str_enum
from emc.errors import Conflict
from emc.messages import msg


class IpmvpOption(StrEnum):
    A = "A"  # retrofit isolation, key parameter measured
    B = "B"  # retrofit isolation, all parameters measured
    C = "C"  # whole facility
    D = "D"  # calibrated simulation


class MvMethod(StrEnum):
    DAILY = "daily"
    BILLING = "billing"
    HOURLY = "hourly"
    STIPULATED = "stipulated"


class BaselineModelKind(StrEnum):
    """Which daily model the plan agrees on: classic CalTRACK, or day types from China's
    calendar (emc.mv.engine.daytypes). Recorded in the plan so existing plans never move."""

    CLASSIC = "classic"
    DAY_TYPES = "day_types"


class ReportingFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.value]


class BaselineStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A later version replaced it (a proposal withdrawn by a newer one, or an approved baseline
    # replaced by a newly approved version). Still readable.
    SUPERSEDED = "superseded"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DISPUTED = "disputed"
    # A draft recomputed as a new version.
    SUPERSEDED = "superseded"


class Party(StrEnum):
    ESCO = "esco"
    INSTITUTION = "institution"


# G14 whole-building defaults (DESIGN.md §4); editable per plan by agreement of the parties.
# A plan stores the criteria it was agreed with, so a change of these defaults never moves an
# existing plan's (or a frozen baseline's) criteria.
DEFAULT_ACCEPTANCE: dict[str, float] = {
    "cvrmse_limit_under_12_months": 0.20,
    "cvrmse_limit_12_to_60_months": 0.25,
    "cvrmse_limit_over_60_months": 0.30,
    "nmbe_limit": 0.00005,
    "fsu_limit": 0.5,
}
# NMBE limit by method. ASHRAE Guideline 14-2014's whole-building regression path asks for a
# net determination bias of at most 0.005 %: a least-squares fit on its own data with an
# intercept (the daily OLS and billing WLS models) meets it by construction, so anything
# larger flags a broken fit. The CalTRACK hourly TOWT model is not such a fit: each month's
# model is weighted over three months (neighbours 0.5) and predicts only its own month, so
# its in-sample residuals do not sum to zero (typically 0.001-0.1 % of use; with own-month
# weights only it is 1e-18) and 0.005 % would fail sound hourly baselines by noise. For
# hourly data G14 states one bias criterion, NMBE within ±10 % (with CV(RMSE) 30 %), for
# calibrated models; that is the hourly default. The parties may agree a tighter limit.
NMBE_LIMIT_BY_METHOD: dict[str, float] = {
    "daily": 0.00005,
    "billing": 0.00005,
    "stipulated": 0.00005,
    "hourly": 0.10,
}


def default_acceptance(method: str) -> dict[str, float]:
    """The G14 default criteria for a plan of ``method`` (see :data:`NMBE_LIMIT_BY_METHOD`)."""
    return {**DEFAULT_ACCEPTANCE, "nmbe_limit": NMBE_LIMIT_BY_METHOD[str(method)]}


class MvPlan(Base):
    """The M&V plan of a project (one per project; every change bumps ``version``).

    ``boundary``: ``[{"meter_id": int, "option": "A".."D"}]`` — meters of the project's sites.
    ``price_basis``: the contract's carrier prices when the plan was saved
    (``[{"carrier", "unit", "base_price", "escalation"}]``, Decimals as text).
    ``stipulated``: ``[{"name", "value", "unit", "source"}]``. ``acceptance``: the criteria of
    :data:`DEFAULT_ACCEPTANCE` (fractions). The baseline period is ``[baseline_start,
    baseline_end)``.
    """

    __tablename__ = "mv_plans"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), unique=True
    )
    boundary: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    method: Mapped[MvMethod] = mapped_column(str_enum(MvMethod, 20))
    baseline_start: Mapped[dt.date] = mapped_column(Date)
    baseline_end: Mapped[dt.date] = mapped_column(Date)
    reporting_frequency: Mapped[ReportingFrequency] = mapped_column(
        str_enum(ReportingFrequency, 20)
    )
    price_basis: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    stipulated: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    acceptance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Plans made before day types existed stay classic (the server default).
    baseline_model: Mapped[BaselineModelKind] = mapped_column(
        str_enum(BaselineModelKind, 20), default=BaselineModelKind.CLASSIC, server_default="classic"
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Baseline(Base):
    """One version of a project's baseline: per-meter fitted models and their statistics.

    ``models``: ``[{"meter_id", "meter_name", "carrier", "unit", "option", "model" (the engine's
    ``to_dict()``), "statistics", "verdict", "warnings", "series" (the daily observed and
    modelled values, for the chart)}]``. ``inputs_sha256`` fingerprints the exact input series.
    """

    __tablename__ = "baselines"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    status: Mapped[BaselineStatus] = mapped_column(str_enum(BaselineStatus, 20))
    reason: Mapped[str | None] = mapped_column(String(1000))
    plan_version: Mapped[int]
    method: Mapped[MvMethod] = mapped_column(str_enum(MvMethod, 20))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    acceptance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    models: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    verdict_passed: Mapped[bool]
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # CalTRACK data sufficiency of the baseline period (emc.mv.sufficiency); None on
    # baselines fitted before it was recorded.
    sufficiency: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Why the institution approved a baseline that fails G14 (required for that; shown on the
    # baseline, its PDF and every report built on it).
    override_reason: Mapped[str | None] = mapped_column(String(2000))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    proposed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(String(2000))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("baselines.id"))
    # Optimistic lock of the workflow (``version`` is the baseline's own version number).
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]

    __mapper_args__ = {"version_id_col": row_version}


class MvReport(Base):
    """One version of the M&V report of a project for ``[period_start, period_end)``.

    ``results``: per meter, the engine's ``SavingsResult.to_dict()`` plus meter facts.
    ``carriers``: ``[{"carrier", "unit", "avoided" (in the contract price unit), "price",
    "value", "tce", "tco2"}]`` (Decimals as text); ``months``: the monthly table;
    ``factors``: the tce and CO2 factors used, with their sources; ``rolling``: twelve-month
    windows ending in this report's months, from accepted reports before it plus this one.
    """

    __tablename__ = "mv_reports"
    __table_args__ = (
        UniqueConstraint("project_id", "period_start", "version"),
        Index("ix_mv_reports_status", "status"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
    baseline_id: Mapped[int] = mapped_column(ForeignKey("baselines.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int]
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, 20))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("mv_reports.id"))
    revision_reason: Mapped[str | None] = mapped_column(String(1000))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    months: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    carriers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rolling: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The savings per month (or part of a month) and carrier that value the report and, on
    # acceptance, the payment lines: [{"start", "end", "carrier", "unit", "quantity"}]. None on
    # reports computed before segments existed (their payment splits the totals by time).
    segments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # {"parts": [{"contract_year", "start", "end", "savings_value"}], "lines": [the payment
    # lines these savings give on their own]}; None on older reports.
    valuation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    savings_value: Mapped[Money]
    tce_avoided: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    tco2_avoided: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    fsu_68: Mapped[float | None] = mapped_column(Float)
    fsu_90: Mapped[float | None] = mapped_column(Float)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    stale_since: Mapped[dt.datetime | None]
    stale_message: Mapped[str | None] = mapped_column(String(1000))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(String(2000))
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    # Optimistic lock of the workflow (``version`` is the report's own version number).
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    __mapper_args__ = {"version_id_col": row_version}


class MvReportAdjustment(Base):
    """A non-routine adjustment of one meter's savings in one report version.

    Energy in the meter's ``unit`` over the reporting period: ``amount`` (spread evenly over its
    days) or ``series`` (one value per reporting day). Both parties must agree before the report
    can be accepted; the proposing party agrees by proposing.
    """

    __tablename__ = "mv_report_adjustments"

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(
        ForeignKey("mv_reports.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("emc_projects.id", ondelete="CASCADE"))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    reason: Mapped[str] = mapped_column(String(1000))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    series: Mapped[list[float] | None] = mapped_column(JSON)
    unit: Mapped[str] = mapped_column(String(10))
    proposed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_party: Mapped[Party] = mapped_column(str_enum(Party, 20))
    esco_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    esco_agreed_at: Mapped[dt.datetime | None]
    institution_agreed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    institution_agreed_at: Mapped[dt.datetime | None]
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[CreatedAt]

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def agreed(self) -> bool:
        return (
            self.esco_agreed_by_user_id is not None
            and self.institution_agreed_by_user_id is not None
        )


class MeasuredParameter(StrEnum):
    """Option A key parameters that may be measured (in place of the meter-derived value)."""

    BASELINE_DEMAND_KW = "baseline_demand_kw"
    REPORTING_DEMAND_KW = "reporting_demand_kw"

    @property
    def unit(self) -> str:
        return "kW"


class MvMeasurement(Base):
    """A measured key parameter of an option A meter (a spot or short-term measurement of the
    retrofitted equipment's demand, say), entered with its method and evidence files.

    Append-only: a correction is a newer measurement. Option A uses the newest
    ``baseline_demand_kw`` measurement when a baseline is fitted, and for each reporting month
    the newest ``reporting_demand_kw`` measured from the baseline end up to the month's end;
    either replaces the value derived from the meter (a value the plan stipulates still wins).
    """

    __tablename__ = "mv_measurements"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(
        ForeignKey("emc_projects.id", ondelete="CASCADE"), index=True
    )
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    parameter: Mapped[MeasuredParameter] = mapped_column(str_enum(MeasuredParameter, 40))
    value: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    unit: Mapped[str] = mapped_column(String(10))
    measured_at: Mapped[dt.datetime]
    method: Mapped[str] = mapped_column(String(1000))
    entered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_by_party: Mapped[Party] = mapped_column(str_enum(Party, 20))
    created_at: Mapped[CreatedAt]


class MvEvidenceFile(Base):
    """A file kept as evidence, as bytes with its SHA-256: supporting an adjustment (meeting
    minutes, floor-area change, photos), a baseline (option D simulation results as uploaded)
    or a measurement (option A: logger exports, test sheets). Exactly one owner."""

    __tablename__ = "mv_evidence_files"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN adjustment_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN baseline_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN measurement_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("mv_report_adjustments.id", ondelete="CASCADE"), index=True
    )
    baseline_id: Mapped[int | None] = mapped_column(
        ForeignKey("baselines.id", ondelete="CASCADE"), index=True
    )
    measurement_id: Mapped[int | None] = mapped_column(
        ForeignKey("mv_measurements.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("emc_projects.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime]
    note: Mapped[str | None] = mapped_column(Text)


# --- immutability --------------------------------------------------------------------------

# What may still change on a frozen row: nothing on an approved baseline but its replacement
# by a newer approved version; on an accepted report only the staleness marker.
_BASELINE_MUTABLE_WHEN_APPROVED = frozenset({"status"})
_REPORT_MUTABLE_WHEN_ACCEPTED = frozenset({"stale_since", "stale_message", "updated_at"})


def _changed(target) -> set[str]:
    state = inspect(target)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Baseline, "before_update")
def _refuse_frozen_baseline(_mapper, _connection, target: Baseline) -> None:
    history = inspect(target).attrs.status.history
    was = history.deleted[0] if history.deleted else target.status
    if was is not BaselineStatus.APPROVED and was != BaselineStatus.APPROVED.value:
        return
    changed = _changed(target) - _BASELINE_MUTABLE_WHEN_APPROVED
    if changed or target.status not in (BaselineStatus.APPROVED, BaselineStatus.SUPERSEDED):
        raise Conflict(
            msg("mv.baseline_frozen"),
            fields={name: [msg("mv.frozen")] for name in sorted(changed)}
            or {"status": [msg("mv.frozen")]},
            code="frozen",
        )


@event.listens_for(MvReport, "before_update")
def _refuse_frozen_report(_mapper, _connection, target: MvReport) -> None:
    history = inspect(target).attrs.status.history
    was = history.deleted[0] if history.deleted else target.status
    if was is not ReportStatus.ACCEPTED and was != ReportStatus.ACCEPTED.value:
        return
    changed = _changed(target) - _REPORT_MUTABLE_WHEN_ACCEPTED
    if changed:
        raise Conflict(
            msg("mv.report_immutable"),
            fields={name: [msg("mv.immutable")] for name in sorted(changed)},
            code="immutable",
        )


@event.listens_for(MvReportAdjustment, "before_update")
@event.listens_for(MvReportAdjustment, "before_delete")
def _refuse_accepted_adjustment(_mapper, connection, target: MvReportAdjustment) -> None:
    status = connection.scalar(
        MvReport.__table__.select()
        .with_only_columns(MvReport.__table__.c.status)
        .where(MvReport.__table__.c.id == target.report_id)
    )
    if status == ReportStatus.ACCEPTED.value:
        raise Conflict(
            msg("mv.adjustment_immutable"),
            code="immutable",
        )
