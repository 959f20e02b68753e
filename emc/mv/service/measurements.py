"""Option A measured key parameters: entered by either party with their method and evidence.

A measurement replaces the value option A would otherwise derive from the meter (see
:class:`emc.mv.models.MvMeasurement` for which one is used when). Measurements are
append-only: a correction is a newer measurement, and a report computed with an older one is
marked stale once submitted (its fingerprint covers the measurements it used).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy.orm import Session

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.policy import load, scoped
from emc.errors import Conflict, Invalid, NotFound
from emc.messages import msg, record
from emc.mv.models import (
    IpmvpOption,
    MeasuredParameter,
    MvEvidenceFile,
    MvMeasurement,
)
from emc.mv.service import evidence
from emc.mv.service._common import party_of, project_for
from emc.mv.service.plans import plan_of

log = logging.getLogger(__name__)


def list_measurements(session: Session, actor: Actor, project_id: int) -> list[MvMeasurement]:
    """The measurements of a visible project, newest first."""
    project = project_for(session, actor, project_id)
    stmt = scoped(actor, MvMeasurement).where(MvMeasurement.project_id == project.id)
    return list(
        session.scalars(stmt.order_by(MvMeasurement.measured_at.desc(), MvMeasurement.id.desc()))
    )


def evidence_of_measurements(
    session: Session, measurement_ids: list[int]
) -> dict[int, list[MvEvidenceFile]]:
    return evidence.files_of(session, MvEvidenceFile.measurement_id, measurement_ids)


def get_measurement_evidence(
    session: Session, actor: Actor, project_id: int, measurement_id: int, file_id: int
) -> MvEvidenceFile:
    """One evidence file of a measurement of a visible project (NotFound otherwise)."""
    project = project_for(session, actor, project_id)
    measurement = load(session, actor, MvMeasurement, measurement_id)
    found = load(session, actor, MvEvidenceFile, file_id)
    if measurement.project_id != project.id or found.measurement_id != measurement.id:
        raise NotFound(msg("not_found", what=record("EvidenceFile"), id=file_id))
    return found


def add_measurement(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    meter_id: int,
    parameter: MeasuredParameter,
    value: Decimal,
    unit: str,
    measured_at: dt.datetime,
    method: str,
    files: list[evidence.Upload] = (),
) -> MvMeasurement:
    """Either party enters a measured key parameter of an option A meter of the plan, with
    the method (instrument, duration, sample) and at least one evidence file.

    Raises:
        Forbidden: not a party. Conflict: no M&V plan. Invalid: a meter not measured under
            option A in the plan, a unit other than the parameter's, a value not positive, a
            time in the future, no method, no file, a file too large.
    """
    project = project_for(session, actor, project_id)
    party = party_of(actor, project)
    plan = plan_of(session, project.id)
    if plan is None:
        raise Conflict(msg("mv.write_m_v_plan_first"), fields={"plan": [msg("mv.missing")]})
    options = {int(b["meter_id"]): b["option"] for b in plan.boundary}
    if options.get(meter_id) != IpmvpOption.A.value:
        raise Invalid(
            msg("mv.measurements_entered_for_plan_s"),
            fields={"meter_id": [msg("mv.not_option_meter_m_v")]},
        )
    problems: dict[str, list[str]] = {}
    if unit != parameter.unit:
        problems["unit"] = [f"{parameter.value} is in {parameter.unit}"]
    if not value > 0:
        problems["value"] = ["must be greater than zero"]
    elif value != value.quantize(Decimal("0.0001")):
        problems["value"] = ["at most 4 decimal places"]
    if measured_at > clock.now():
        problems["measured_at"] = ["in the future"]
    if not method.strip():
        problems["method"] = ["required: the instrument, duration and sample"]
    if not files:
        problems["files"] = ["attach the measurement record as evidence"]
    if problems:
        raise Invalid(msg("mv.measurement_invalid"), fields=problems)
    evidence.check_files(files)
    measurement = MvMeasurement(
        project_id=project.id,
        meter_id=meter_id,
        parameter=parameter,
        value=value.quantize(Decimal("0.0001")),
        unit=unit,
        measured_at=measured_at,
        method=method.strip(),
        entered_by_user_id=actor.user_id,
        entered_by_party=party,
    )
    session.add(measurement)
    session.flush()
    stored = evidence.store_files(session, actor, project.id, files, measurement_id=measurement.id)
    journal.record(
        session,
        actor,
        "create",
        measurement,
        organization_id=project.organization_id,
        after={
            "meter_id": meter_id,
            "parameter": parameter.value,
            "value": value,
            "unit": unit,
            "measured_at": measured_at,
            "method": measurement.method,
            "files": [{"filename": f.filename, "sha256": f.sha256} for f in stored],
            "party": party.value,
        },
        summary=f"{parameter.value} = {value} {unit} measured",
    )
    log.info("measurement %s entered by %s", measurement.id, actor.label)
    return measurement


def get_measurement(session: Session, actor: Actor, project_id: int, measurement_id: int):
    project = project_for(session, actor, project_id)
    measurement = load(session, actor, MvMeasurement, measurement_id)
    if measurement.project_id != project.id:
        raise NotFound(msg("not_found", what=record("Measurement"), id=measurement_id))
    return measurement


__all__ = [
    "add_measurement",
    "evidence_of_measurements",
    "get_measurement",
    "get_measurement_evidence",
    "list_measurements",
]
