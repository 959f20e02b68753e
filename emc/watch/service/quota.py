"""能耗预警: each institution's forecast of the year's energy use against its quota.

The quota of an institution is the sum over its buildings of floor area × the 约束值
(constraint value, kgce/m²·a) of the quota that applies to the building's type and region
(``emc.audit`` quotas: most specific region, latest year not after). Its use is that of its
whole-building meters (meters without a parent), in kgce by the factors in force. No verdict
without a whole quota: when a building has no quota that applies, the institution's quota is
unknown (its use still counts every building), so nothing is forecast against it and nobody
is warned; the page names the buildings that lack one.

Each meter's rest of the year is forecast

* **weather-normalised** when an approved baseline has a daily model of the meter: the model on
  the baseline year's weather for the remaining days, scaled by this year's actual use over the
  model on this year's weather so far (so savings already made carry on);
* otherwise from **last year's same months**: last year's remaining use scaled by this year's
  year-to-date over last year's same days.

The institution is warned (to-do and notification to its admins and energy managers, once a
month) when the forecast exceeds ``share`` × quota (default 95 %) — before the quota is
exceeded. An agency sees how many institutions of its region are at risk this month.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emc.audit.models import QuotaBasis
from emc.audit.service.quotas import find_quota
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Role, User
from emc.auth.permissions import Permission
from emc.auth.policy import load, require, scope_condition
from emc.energy import FactorNotFound, UnitError
from emc.errors import NotFound
from emc.facilities.ingest import MeterKind
from emc.facilities.models import Building, Meter, MeterReading, Site
from emc.facilities.rollup import fixed_offset
from emc.i18n import N_
from emc.messages import msg, record
from emc.mv import data as mv_data
from emc.mv import engine
from emc.mv.models import Baseline, BaselineStatus
from emc.notifications.service import notify
from emc.watch import forecast as fc
from emc.watch.models import QuotaWatchSettings, WarningKind, WatchWarning
from emc.watch.service.common import normal_daily, normal_on
from emc.watch.service.nightly.inputs import (
    DAY,
    EPOCH,
    _epoch,
    daily_temperatures,
    daily_use,
)

DEFAULT_SHARE = 0.95


@dataclass
class QuotaForecast:
    """An institution's forecast for ``year`` in kgce against its quota (kgce)."""

    organization_id: int
    year: int
    as_of: dt.date
    # None unless every building has a quota that applies (``missing_quota`` names the rest).
    quota_kgce: float | None
    share: float
    use_to_date_kgce: float
    forecast: fc.Forecast | None
    method: str  # "model", "last_year", "mixed" or "none"
    buildings: list[dict[str, Any]] = field(default_factory=list)
    meters: list[dict[str, Any]] = field(default_factory=list)
    missing_quota: list[str] = field(default_factory=list)
    # Whole-building meters whose year could not be forecast (no readings this year nor last):
    # while any, the forecast is None, since the quota counts the buildings they measure.
    missing_data: list[str] = field(default_factory=list)

    @property
    def limit_kgce(self) -> float | None:
        return None if self.quota_kgce is None else self.quota_kgce * self.share

    @property
    def at_risk(self) -> bool:
        return (
            self.forecast is not None
            and self.limit_kgce is not None
            and self.forecast.value > self.limit_kgce
        )

    @property
    def probability(self) -> float | None:
        if self.forecast is None or self.limit_kgce is None:
            return None
        return self.forecast.probability_above(self.limit_kgce)


def share_of(session: Session, organization_id: int) -> float:
    row = session.scalar(
        select(QuotaWatchSettings).where(QuotaWatchSettings.organization_id == organization_id)
    )
    return row.share if row is not None else DEFAULT_SHARE


def _models_by_meter(session: Session, meter_ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    if not meter_ids:
        return out
    for b in session.scalars(
        select(Baseline)
        .where(Baseline.status == BaselineStatus.APPROVED)
        .order_by(Baseline.project_id, Baseline.version)
    ):
        for entry in b.models:
            if (entry.get("model") or {}).get("method") == "daily" and int(
                entry["meter_id"]
            ) in meter_ids:
                out[int(entry["meter_id"])] = entry
    return out


def forecast_institution(
    session: Session, organization: Organization, today: dt.date
) -> QuotaForecast:
    """The institution's :class:`QuotaForecast` for ``today``'s year (data up to yesterday)."""
    year = today.year
    jan1, next_jan1 = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    last_jan1 = dt.date(year - 1, 1, 1)
    share = share_of(session, organization.id)
    sites = list(session.scalars(select(Site).where(Site.organization_id == organization.id)))
    site_by_id = {s.id: s for s in sites}
    quota = 0.0
    missing: list[str] = []
    buildings = []
    for b in session.scalars(
        select(Building).where(Building.site_id.in_(list(site_by_id) or [-1])).order_by(Building.id)
    ):
        site = site_by_id[b.site_id]
        q = find_quota(session, site.region_code, b.building_type, QuotaBasis.PER_AREA, year)
        value = float(q.constraint_value) * float(b.floor_area_m2) if q is not None else None
        if value is not None:
            quota += value
        else:
            missing.append(b.name)
        buildings.append(
            {
                "building_id": b.id,
                "name": b.name,
                "floor_area_m2": str(b.floor_area_m2),
                "constraint_value": None if q is None else str(q.constraint_value),
                "quota_kgce": value,
            }
        )
    meters = list(
        session.scalars(
            select(Meter)
            .where(Meter.site_id.in_(list(site_by_id) or [-1]), Meter.parent_meter_id.is_(None))
            .order_by(Meter.id)
        )
    )
    factors = mv_data.factor_set(session)
    models = _models_by_meter(session, [m.id for m in meters])
    use_to_date = 0.0
    value = 0.0
    var = 0.0
    methods = set()
    rows = []
    unforecast: list[str] = []
    n_days = (today - jan1).days
    for meter in meters:
        site = site_by_id[meter.site_id]
        try:
            kgce = float(
                factors.to_tce(
                    Decimal(1), meter.unit, meter.carrier, year=year, region_code=site.region_code
                ).amount
                * 1000
            )
        except (FactorNotFound, UnitError):
            continue
        if kgce == 0:
            continue
        off = fixed_offset(site.timezone, _epoch(last_jan1, 0), _epoch(today, 0)) or 28800
        step = (meter.interval_minutes or 0) * 60
        per_day = DAY // step if meter.kind is MeterKind.INTERVAL and step else 1
        use = daily_use(session, [(meter.id, per_day, 0)], off, last_jan1, today).get(meter.id, {})
        first = (jan1 - EPOCH).days
        ytd = sum(v for d, v in use.items() if d >= first)
        use_to_date += ytd * kgce
        entry = models.get(meter.id)
        f = None
        if entry is not None and site.weather_station_id and n_days > 0:
            temps = daily_temperatures(session, [site.weather_station_id], off, jan1, today).get(
                site.weather_station_id, {}
            )
            model = engine.model_from_dict(entry["model"])
            days = [first + i for i in range(n_days)]
            used = [d for d in days if d in use and d in temps]
            if used:
                pred = model.predict(np.array([temps[d] for d in used]))
                actual = sum(use[d] for d in used)
                ratio = actual / float(pred.sum()) if pred.sum() > 0 else 1.0
                normal = normal_daily(entry)
                rest = [today + dt.timedelta(days=i) for i in range((next_jan1 - today).days)]
                rest_normal = float(np.nansum([normal_on(normal, d) for d in rest])) * ratio
                st = entry["statistics"]
                f = fc.use_forecast_from_model(
                    use_to_date=ytd,
                    predicted_remaining=rest_normal,
                    predicted_year=ytd + rest_normal,
                    cvrmse=float(st.get("cvrmse") or math.nan),
                    n=int(st.get("n") or 0),
                    p=int(st.get("p") or 1),
                    rho=float(st.get("autocorrelation") or 0.0),
                    days_remaining=len(rest),
                )
                methods.add("model")
                kind = "model"
        if f is None:
            kind = "last_year"
            ly_first = (last_jan1 - EPOCH).days
            same_day = (
                (today.replace(year=year - 1) - EPOCH).days
                if not (today.month == 2 and today.day == 29)
                else (dt.date(year - 1, 2, 28) - EPOCH).days
            )
            ly_to_date = sum(v for d, v in use.items() if ly_first <= d < same_day)
            ly_rest = sum(v for d, v in use.items() if same_day <= d < first)
            ratios = []
            for month in range(1, today.month):
                a = dt.date(year, month, 1)
                b = dt.date(year, month + 1, 1)
                now = sum(v for d, v in use.items() if (a - EPOCH).days <= d < (b - EPOCH).days)
                la, lb = a.replace(year=year - 1), b.replace(year=year - 1)
                then = sum(v for d, v in use.items() if (la - EPOCH).days <= d < (lb - EPOCH).days)
                if then > 0:
                    ratios.append(now / then)
            try:
                f = fc.use_forecast_from_last_year(
                    use_to_date=ytd,
                    last_year_to_date=ly_to_date,
                    last_year_rest=ly_rest,
                    monthly_ratios=ratios,
                )
                methods.add("last_year")
            except ValueError:
                f = None
        if f is not None:
            value += f.value * kgce
            var += (f.sigma * kgce) ** 2
        else:
            unforecast.append(meter.name)
        rows.append(
            {
                "meter_id": meter.id,
                "name": meter.name,
                "unit": meter.unit,
                "use_to_date": ytd,
                # Whether any reading of this year is stored: 0 kWh and no data differ.
                "has_data": any(d >= first for d in use),
                "forecast": None if f is None else f.value,
                "method": None if f is None else kind,
            }
        )
    method = "none" if not methods else (next(iter(methods)) if len(methods) == 1 else "mixed")
    # No verdict without data: a year forecast from some of the meters, against the quota of
    # every building, read far below it.
    complete = method != "none" and not unforecast
    result = fc.interval(value, math.sqrt(var)) if complete else None
    return QuotaForecast(
        organization_id=organization.id,
        year=year,
        as_of=today,
        quota_kgce=quota if buildings and not missing else None,
        share=share,
        use_to_date_kgce=use_to_date,
        forecast=result,
        method=method,
        buildings=buildings,
        meters=rows,
        missing_quota=missing,
        missing_data=unforecast,
    )


def run_quota_watch(session: Session, today: dt.date) -> dict[str, Any]:
    """Forecast every institution with buildings and warn those at risk, once a month."""
    orgs = list(
        session.scalars(
            select(Organization)
            .where(
                Organization.kind == OrgKind.INSTITUTION,
                Organization.id.in_(
                    select(Site.organization_id).join(Building, Building.site_id == Site.id)
                ),
            )
            .order_by(Organization.id)
        )
    )
    at_risk = warned = 0
    for org in orgs:
        result = forecast_institution(session, org, today)
        if not result.at_risk:
            continue
        at_risk += 1
        warned += _warn(session, org, result)
    return {"institutions": len(orgs), "quota_at_risk": at_risk, "quota_warned": warned}


def _warn(session: Session, org: Organization, result: QuotaForecast) -> bool:
    month = result.as_of.strftime("%Y-%m")
    key = f"organization:{org.id}"
    exists = session.scalar(
        select(WatchWarning.id).where(
            WatchWarning.kind == WarningKind.QUOTA,
            WatchWarning.subject_key == key,
            WatchWarning.month == month,
        )
    )
    if exists is not None:
        return False
    f = result.forecast
    session.add(
        WatchWarning(
            kind=WarningKind.QUOTA,
            subject_key=key,
            month=month,
            organization_id=org.id,
            project_id=None,
            forecast=f.value,
            low=f.low,
            high=f.high,
            threshold=result.limit_kgce,
            probability=result.probability,
            unit="kgce",
            details={
                "quota_kgce": result.quota_kgce,
                "share": result.share,
                "method": result.method,
            },
        )
    )
    session.flush()
    users = session.scalars(
        select(User).where(
            User.organization_id == org.id,
            User.role.in_([Role.ADMIN, Role.ENERGY_MANAGER]),
            User.is_active,
        )
    )
    notify(
        session,
        users,
        kind="watch_quota",
        dedupe_key=f"watch-quota:{org.id}:{month}",
        subject=N_("Energy quota warning: %(year)s forecast %(forecast)s kgce"),
        body=N_(
            "The energy use of %(year)s is forecast at %(forecast)s kgce (90%% interval "
            "%(low)s to %(high)s), above %(share)s%% of the quota of %(quota)s kgce."
        ),
        link="/watch/quota",
        params={
            "year": result.year,
            "forecast": f"{f.value:,.0f}",
            "low": f"{f.low:,.0f}",
            "high": f"{f.high:,.0f}",
            "share": f"{100 * result.share:.0f}",
            "quota": f"{result.quota_kgce:,.0f}",
        },
    )
    return True


# --- reading -------------------------------------------------------------------------------


def data_until(session: Session, organization_id: int) -> dt.date | None:
    """The day after the institution's latest whole-building reading (its data's "today")."""
    last = session.scalar(
        select(func.max(MeterReading.start_ts))
        .join(Meter, Meter.id == MeterReading.meter_id)
        .join(Site, Site.id == Meter.site_id)
        .where(Site.organization_id == organization_id, Meter.parent_meter_id.is_(None))
    )
    if last is None:
        return None
    return dt.datetime.fromtimestamp(int(last) + 8 * 3600, dt.UTC).date() + dt.timedelta(days=1)


def institution_forecast(
    session: Session, actor: Actor, organization_id: int, today: dt.date, *, as_of=None
) -> tuple[Organization, QuotaForecast]:
    """A visible institution's forecast (its own users, or an agency of its region), as of
    ``as_of`` or, when its data stop before ``today``, as of the day after its last reading."""
    org = load(session, actor, Organization, organization_id)
    if org.kind is not OrgKind.INSTITUTION:
        raise NotFound(msg("not_found", what=record("Organization"), id=organization_id))
    if as_of is None:
        until = data_until(session, org.id)
        as_of = min(today, until) if until is not None else today
        if (as_of.month, as_of.day) == (1, 1):
            # No day of the new year has data yet: show the year just ended.
            as_of -= dt.timedelta(days=1)
    return org, forecast_institution(session, org, as_of)


def region_overview(session: Session, actor: Actor, month: str | None) -> dict[str, Any]:
    """An agency's count of the institutions in its region with a quota warning in ``month``
    (default: the latest month with one, else ``None``), and the list of them (drill-down)."""
    require(actor, Permission.PROGRAMME_READ)
    visible = scope_condition(actor, Organization)
    if month is None:
        month = session.scalar(
            select(func.max(WatchWarning.month))
            .join(Organization, Organization.id == WatchWarning.organization_id)
            .where(WatchWarning.kind == WarningKind.QUOTA, visible)
        )
    stmt = (
        select(WatchWarning, Organization)
        .join(Organization, Organization.id == WatchWarning.organization_id)
        .where(WatchWarning.kind == WarningKind.QUOTA, WatchWarning.month == month)
        .order_by(WatchWarning.probability.desc(), Organization.id)
    )
    stmt = stmt.where(visible)
    rows = session.execute(stmt).all()
    total_stmt = (
        select(func.count())
        .select_from(Organization)
        .where(Organization.kind == OrgKind.INSTITUTION)
    )
    total_stmt = total_stmt.where(visible)
    return {
        "month": month,
        "institutions": session.scalar(total_stmt) or 0,
        "at_risk": len(rows),
        "rows": [{"warning": w, "organization": o} for w, o in rows],
    }
