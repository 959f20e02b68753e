"""Shared pieces of the watch's use cases: loading a project's watch records, the parties'
users, the contract's expected savings and the baseline's "normal weather" year."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import Role, User
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.contracts import finance
from emc.contracts.documents import estimates_from_document, terms_from_document
from emc.contracts.models import Contract, EmcProject
from emc.energy import UnitError, float_factor
from emc.watch.models import WatchSettings

# Model methods the watch evaluates day by day (hourly and option A/D entries are reported on
# by their own M&V computations; their daily watch would need their own predictors).
DAILY_METHODS = ("daily", "billing")


def project_for(session: Session, actor: Actor, project_id: int) -> EmcProject:
    """A visible project whose M&V the actor may read (NotFound / Forbidden otherwise)."""
    project = load(session, actor, EmcProject, project_id)
    require(actor, Permission.MV_READ)
    return project


def settings_of(session: Session, project_id: int) -> WatchSettings:
    """The project's watch settings (defaults when none were saved; not added to the session)."""
    row = session.scalar(select(WatchSettings).where(WatchSettings.project_id == project_id))
    return row or WatchSettings(
        project_id=project_id, shortfall_probability=0.5, missing_days="unpaid"
    )


def party_users(session: Session, project: EmcProject) -> list[User]:
    """Who hears of a project's watch: the ESCO's admins and engineers and the institution's
    admins and energy managers."""
    conditions = [
        (User.organization_id == project.organization_id)
        & User.role.in_([Role.ADMIN, Role.ENERGY_MANAGER])
    ]
    if project.esco_organization_id is not None:
        conditions.append(
            (User.organization_id == project.esco_organization_id)
            & User.role.in_([Role.ADMIN, Role.ENGINEER])
        )
    cond = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    return list(session.scalars(select(User).where(cond, User.is_active).order_by(User.id)))


def contract_terms(contract: Contract | None):
    """``(terms, estimates)`` of a contract document, or ``(None, ())`` when it is missing or
    does not read (the watch then has no expected trajectory)."""
    if contract is None:
        return None, ()
    try:
        return terms_from_document(contract.terms), estimates_from_document(
            contract.savings_estimates
        )
    except (finance.FinanceInputError, KeyError, TypeError, ValueError):
        return None, ()


def expected_annual(
    terms, estimates, carrier: str, unit: str, contract_year: int
) -> tuple[float | None, float | None]:
    """``(expected, guaranteed)`` annual savings of ``carrier`` in ``unit``: the terms'
    estimate for the contract year (or every year), and the guarantee (guaranteed-savings
    components). Either is None when the contract does not say."""

    def in_unit(quantity, from_unit) -> float | None:
        try:
            return float(quantity) * float_factor(from_unit, unit, carrier)
        except (UnitError, ValueError, KeyError):
            return None

    expected = None
    for est in estimates:
        if est.carrier == carrier and est.contract_year in (None, contract_year):
            value = in_unit(est.annual_quantity, est.unit)
            if value is not None and (expected is None or est.contract_year == contract_year):
                expected = value
    guaranteed = None
    if terms is not None:
        for component in terms.components:
            if isinstance(component, finance.GuaranteedSavingsTerms):
                for g in component.guarantees:
                    if g.carrier == carrier:
                        value = in_unit(g.quantity, g.unit)
                        if value is not None:
                            guaranteed = (guaranteed or 0.0) + value
    return expected, guaranteed


def normal_daily(entry: dict[str, Any]) -> dict[tuple[int, int], float]:
    """The baseline model's use per calendar day ``(month, day)`` on the baseline year's
    weather (from the baseline's stored chart series; a monthly series gives each day of a
    month the month's mean per day). 29 February falls back to 28 February."""
    series = entry.get("series") or {}
    out: dict[tuple[int, int], float] = {}
    dates = series.get("dates") or []
    values = series.get("modelled") or []
    monthly = (
        len(dates) >= 2
        and (dt.date.fromisoformat(dates[1]) - dt.date.fromisoformat(dates[0])).days > 1
    )
    for i, (d, v) in enumerate(zip(dates, values, strict=False)):
        if v is None or not math.isfinite(v):
            continue
        day = dt.date.fromisoformat(d)
        if monthly:
            end = (
                dt.date.fromisoformat(dates[i + 1])
                if i + 1 < len(dates)
                else (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            )
            cur = day
            while cur < end:
                out[(cur.month, cur.day)] = float(v)
                cur += dt.timedelta(days=1)
        else:
            out[(day.month, day.day)] = float(v)
    return out


def normal_on(normal: dict[tuple[int, int], float], day: dt.date) -> float:
    key = (day.month, day.day)
    if key in normal:
        return normal[key]
    if key == (2, 29):
        return normal.get((2, 28), math.nan)
    return math.nan


def snapshot_of(session: Session, actor: Actor, project_id: int):
    """The project's latest watch snapshot (None before the first nightly run)."""
    from emc.watch.models import WatchSnapshot

    project = project_for(session, actor, project_id)
    return session.scalar(select(WatchSnapshot).where(WatchSnapshot.project_id == project.id))


def warnings_of(session: Session, actor: Actor, project_id: int):
    """The project's shortfall warnings, newest month first."""
    from emc.watch.models import WatchWarning

    project = project_for(session, actor, project_id)
    return list(
        session.scalars(
            select(WatchWarning)
            .where(WatchWarning.project_id == project.id)
            .order_by(WatchWarning.month.desc())
        )
    )
