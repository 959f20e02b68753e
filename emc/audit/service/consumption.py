"""The audit's consumption: bills recorded by the auditor and monthly totals of the meters."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emc import journal
from emc.audit import accounts as workbook
from emc.audit.models import AuditBuilding, AuditConsumption, ConsumptionSource, EnergyAudit
from emc.audit.service.records import _consumption, _for_auditor, get_audit, scope_of
from emc.auth.actor import Actor
from emc.energy import Carrier, UnitError, unit_for
from emc.errors import Invalid
from emc.facilities import service as facilities
from emc.facilities.models import Meter
from emc.i18n import N_
from emc.messages import msg

DAY_MINUTES = 24 * 60


def list_consumption(session: Session, actor: Actor, audit_id: int) -> list[AuditConsumption]:
    """The audit's consumption rows, by carrier and month."""
    audit = get_audit(session, actor, audit_id)
    return _consumption(session, audit.id)


def _row_state(row: AuditConsumption) -> dict[str, Any]:
    return journal.snapshot(
        row, ("carrier", "unit", "month", "quantity", "cost", "source", "meter_id", "note")
    )


def add_bills(
    session: Session,
    actor: Actor,
    audit_id: int,
    rows: Sequence[dict[str, Any]],
    *,
    replace: bool = False,
) -> list[AuditConsumption]:
    """Record consumption from bills (the auditor): rows of ``carrier``, ``unit``, ``month``
    (any day of it), ``quantity``, optional ``cost`` and ``note``. ``replace`` drops the
    audit's earlier bill rows first.

    Raises:
        Invalid: naming ``rows[i].field`` for every bad row; nothing is written then.
    """
    audit = _for_auditor(session, actor, audit_id)
    problems: dict[str, list[str]] = {}
    lines = []
    for i, row in enumerate(rows):
        month = dt.date(row["month"].year, row["month"].month, 1)
        if not audit.period_start <= month < audit.period_end:
            problems[f"rows[{i}].month"] = [N_("outside the base period")]
        try:
            unit = unit_for(row["carrier"], row["unit"]).value
        except (UnitError, ValueError) as error:
            problems[f"rows[{i}].unit"] = [str(error)]
            continue
        lines.append(
            workbook.ConsumptionLine(
                Carrier(row["carrier"]).value,
                unit,
                month,
                row["quantity"],
                row.get("cost"),
                "bill",
                row.get("note"),
            )
        )
    if problems:
        raise Invalid(msg("audit.consumption_rows_invalid_nothing_was"), fields=problems)
    return _write_bills(session, actor, audit, lines, replace=replace)


def _write_bills(
    session: Session,
    actor: Actor,
    audit: EnergyAudit,
    lines: Iterable[workbook.ConsumptionLine],
    *,
    replace: bool,
) -> list[AuditConsumption]:
    removed = 0
    if replace:
        removed = session.execute(
            delete(AuditConsumption).where(
                AuditConsumption.audit_id == audit.id,
                AuditConsumption.source == ConsumptionSource.BILL,
            )
        ).rowcount
    created = [
        AuditConsumption(
            audit_id=audit.id,
            carrier=Carrier(line.carrier),
            unit=line.unit,
            month=line.month,
            quantity=line.quantity,
            cost=line.cost,
            source=ConsumptionSource.BILL,
            note=line.note,
        )
        for line in lines
    ]
    session.add_all(created)
    session.flush()
    journal.record(
        session,
        actor,
        "record_bills",
        audit,
        organization_id=audit.organization_id,
        after={"rows": [_row_state(r) for r in created], "replaced_rows": removed},
        summary=f"{len(created)} bill rows" + (f", {removed} replaced" if replace else ""),
    )
    return created


def consumption_from_meters(
    session: Session, actor: Actor, audit_id: int
) -> list[AuditConsumption]:
    """Take monthly totals of the stored meters of the sites in scope (the auditor).

    Main meters only (sub-meters would count their use twice), restricted to the buildings in
    scope when some are listed (meters on no building count with their site). Months are the
    site's local calendar months within the base period. Replaces the audit's earlier meter
    rows; a meter without readings in the period adds nothing. Each row of an interval meter
    carries ``coverage`` (not stored): the share of the month's intervals with a reading.
    """
    audit = _for_auditor(session, actor, audit_id)
    sites, buildings = scope_of(session, audit)
    listed = set(
        session.scalars(select(AuditBuilding.building_id).where(AuditBuilding.audit_id == audit.id))
    )
    meters = session.scalars(
        select(Meter)
        .where(Meter.site_id.in_([s.id for s in sites]), Meter.parent_meter_id.is_(None))
        .order_by(Meter.id)
    )
    zones = {s.id: s.timezone for s in sites}
    removed = session.execute(
        delete(AuditConsumption).where(
            AuditConsumption.audit_id == audit.id,
            AuditConsumption.source == ConsumptionSource.METER,
        )
    ).rowcount
    created = []
    for meter in meters:
        if listed and meter.building_id is not None and meter.building_id not in listed:
            continue
        zone = ZoneInfo(zones[meter.site_id])
        start = dt.datetime.combine(audit.period_start, dt.time(), zone)
        end = dt.datetime.combine(audit.period_end, dt.time(), zone)
        _m, _s, totals = facilities.monthly_totals(session, actor, meter.id, start=start, end=end)
        per_day = (
            DAY_MINUTES // meter.interval_minutes
            if meter.kind == "interval" and meter.interval_minutes
            else None
        )
        for total in totals:
            row = AuditConsumption(
                audit_id=audit.id,
                carrier=meter.carrier,
                unit=meter.unit,
                month=total.period,
                quantity=Decimal(repr(round(total.total, 3))),
                cost=None,
                source=ConsumptionSource.METER,
                meter_id=meter.id,
                note=meter.name[:200],
            )
            # The share of the month's intervals that have a reading (interval meters): a
            # month short of data is taken in as it is, and the page says so.
            row.coverage = None
            if per_day:
                days = calendar.monthrange(total.period.year, total.period.month)[1]
                row.coverage = min(total.readings / (days * per_day), 1.0)
            created.append(row)
    session.add_all(created)
    session.flush()
    journal.record(
        session,
        actor,
        "record_meters",
        audit,
        organization_id=audit.organization_id,
        after={"meter_rows": len(created), "replaced_rows": removed},
        summary=f"{len(created)} monthly meter totals",
    )
    return created
