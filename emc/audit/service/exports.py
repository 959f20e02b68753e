"""An audit leaving or entering the platform as files: the XLSX workbook and the PDF report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import IO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from emc import clock, journal
from emc.audit import accounts as workbook
from emc.audit import indicators as ind
from emc.audit.models import AuditEcm, EcmStatus
from emc.audit.service.accounting import AuditFigures, figures, has_data
from emc.audit.service.consumption import _write_bills
from emc.audit.service.ecms import _complete_savings, list_ecms
from emc.audit.service.labels import (
    BUILDING_TYPE_LABELS,
    CATEGORY_LABELS,
    CONTRACT_LABELS,
    ECM_STATUS_LABELS,
    END_USE_LABELS,
    FLAG_LABELS,
    LEVEL_LABELS,
    QUOTA_LEVEL_LABELS,
    STATUS_LABELS,
)
from emc.audit.service.records import _for_auditor
from emc.auth.actor import Actor
from emc.auth.models import Organization
from emc.contracts.finance import ContractType
from emc.energy import Carrier, FactorNotFound
from emc.energy_labels import CARRIER_LABELS
from emc.errors import Invalid
from emc.i18n import N_
from emc.messages import msg


def workbook_lines(
    figures_: AuditFigures, ecms: Sequence[AuditEcm]
) -> tuple[list[workbook.ConsumptionLine], list[workbook.EcmLine]]:
    """The audit's rows for the workbook, with each row's tce and tCO2 (recorded factors)."""
    audit = figures_.audit
    factors = ind.factor_set_from_snapshot(audit.factor_snapshot)
    lines = []
    for r in figures_.rows:
        tce = co2 = None
        try:
            tce = factors.to_tce(
                r.quantity, r.unit, r.carrier, year=r.month.year, region_code=audit.region_code
            ).amount
            co2 = factors.to_co2(
                r.quantity, r.unit, r.carrier, year=r.month.year, region_code=audit.region_code
            ).amount
        except FactorNotFound:
            pass
        lines.append(
            workbook.ConsumptionLine(
                r.carrier.value,
                r.unit,
                r.month,
                r.quantity,
                r.cost,
                r.source.value,
                r.note,
                ind.rounded(tce, 3),
                ind.rounded(co2, 3),
            )
        )
    ecm_lines = [
        workbook.EcmLine(
            name=e.name,
            category=e.category.value,
            description=e.description,
            affected_carriers=tuple(e.affected_carriers or ()),
            savings_carrier=e.savings_carrier.value if e.savings_carrier else None,
            savings_quantity=e.savings_quantity,
            savings_unit=e.savings_unit,
            savings_tce=e.savings_tce,
            savings_tco2=e.savings_tco2,
            savings_money=e.savings_money,
            investment=e.investment,
            recommended_contract_type=(
                e.recommended_contract_type.value if e.recommended_contract_type else None
            ),
            payback_years=ind.rounded(ind.simple_payback(e.investment, e.savings_money), 1),
        )
        for e in ecms
    ]
    return lines, ecm_lines


def export_workbook(session: Session, actor: Actor, audit_id: int) -> bytes:
    """The audit's consumption and ECMs as the XLSX template (filled in), for anyone who may
    read the audit; the auditor fills it in and uploads it with :func:`import_workbook`."""
    data = figures(session, actor, audit_id)
    lines, ecm_lines = workbook_lines(data, list_ecms(session, actor, audit_id))
    return workbook.write_workbook(lines, ecm_lines, title=data.audit.title)


def import_workbook(session: Session, actor: Actor, audit_id: int, stream: IO[bytes]) -> dict:
    """Import a filled-in template (the auditor): it replaces the audit's bill rows and ECMs.

    Every row is validated first; if any problem is found nothing is written and Invalid lists
    each one under ``fields`` keyed ``"<sheet>!<column><row>"``.
    """
    audit = _for_auditor(session, actor, audit_id)
    result = workbook.read_workbook(
        stream, period_start=audit.period_start, period_end=audit.period_end
    )
    if result.problems:
        fields: dict[str, list[str]] = {}
        for problem in result.problems:
            fields.setdefault(problem.key, []).append(problem.text)
        raise Invalid(
            msg("file.problems", count=len(result.problems)),
            fields=fields,
        )
    ecms = []
    for line in result.ecms:
        values = {
            "name": line.name,
            "category": line.category,
            "description": line.description,
            "affected_carriers": list(line.affected_carriers),
            "savings_carrier": Carrier(line.savings_carrier) if line.savings_carrier else None,
            "savings_quantity": line.savings_quantity,
            "savings_unit": line.savings_unit,
            "savings_tce": line.savings_tce,
            "savings_tco2": line.savings_tco2,
            "savings_money": line.savings_money,
            "investment": line.investment,
            "recommended_contract_type": (
                ContractType(line.recommended_contract_type)
                if line.recommended_contract_type
                else None
            ),
        }
        ecms.append(_complete_savings(audit, values))
    bills = _write_bills(session, actor, audit, result.consumption, replace=True)
    removed = session.execute(delete(AuditEcm).where(AuditEcm.audit_id == audit.id)).rowcount
    for position, values in enumerate(ecms, start=1):
        session.add(
            AuditEcm(audit_id=audit.id, position=position, status=EcmStatus.PROPOSED, **values)
        )
    session.flush()
    journal.record(
        session,
        actor,
        "import_ecms",
        audit,
        organization_id=audit.organization_id,
        after={"ecms": len(ecms), "replaced_ecms": removed},
        summary=f"{len(ecms)} ECMs from the workbook",
    )
    return {"bill_rows": len(bills), "ecms": len(ecms), "replaced_ecms": removed}


def indicator_rows(f: AuditFigures, tr) -> list[tuple[str, str, str, str]]:
    """(label, value, unit, against quota) rows of the indicator table; ``tr`` translates."""
    i = f.indicators

    def q(value, places):
        return "" if value is None else f"{ind.rounded(value, places):,}"

    def pct(value):
        return "" if value is None else f"{ind.rounded(value * 100, 1)}%"

    quota_text = {"per_area": "", "per_person": ""}
    if f.building_type is not None and not has_data(f.rows):
        quota_text["per_area"] = tr(N_("Not compared: no consumption is recorded yet"))
    elif f.building_type is not None and f.missing_months:
        months = [m.strftime("%Y-%m") for m in f.missing_months]
        shown = "、".join(months[:6]) + ("…" if len(months) > 6 else "")
        quota_text["per_area"] = tr(
            N_("Not compared: the base period lacks the consumption of %(n)s months (%(months)s)")
        ) % {"n": len(months), "months": shown}
    if f.comparison is not None:
        quota = f.comparison.quota
        quota_text[quota.basis] = (
            f"{tr(QUOTA_LEVEL_LABELS[f.comparison.level])} "
            f"({quota.guide_value} / {quota.baseline_value} / {quota.constraint_value})"
        )
    rows = [
        (tr(N_("Annual energy use")), q(i.annual_tce, 3), "tce/a", ""),
        (tr(N_("Annual CO2 emissions")), q(i.annual_tco2, 3), "tCO2/a", ""),
        (tr(N_("Energy per floor area")), q(i.kgce_per_m2, 2), "kgce/m²·a", quota_text["per_area"]),
        (
            tr(N_("Energy per person")),
            q(i.kgce_per_person, 2),
            "kgce/人·a",
            quota_text["per_person"],
        ),
        (tr(N_("CO2 per floor area")), q(i.kgco2_per_m2, 2), "kgCO2/m²·a", ""),
        (tr(N_("Electricity share")), pct(i.electricity_share), "", ""),
        (tr(N_("Coal share")), pct(i.coal_share), "", ""),
    ]
    for use, tce in i.end_use_tce.items():
        rows.append((tr(END_USE_LABELS[use]), q(tce, 3), "tce/a", ""))
    return rows


def _factor_rows(session: Session, used: list[dict], tr, locale: str) -> list[list[str]]:
    """The factors the accounts used, as the report's table (header first): no figure
    without its source."""
    from emc import labels
    from emc.auth.models import Region
    from emc.energy_labels import CARRIER_LABELS

    if not used:
        return []
    codes = {u["region"] for u in used if u["region"]}
    names = {
        r.code: (r.name_en if locale == "en" and r.name_en else r.name_zh)
        for r in session.scalars(select(Region).where(Region.code.in_(codes or {""})))
    }
    rows = [
        [
            tr(N_("Carrier")),
            tr(N_("Kind")),
            tr(N_("Value")),
            tr(N_("Factor of")),
            tr(N_("Converts the years")),
            tr(N_("Source")),
        ]
    ]
    for u in used:
        kind = labels.msgid(u["kind"], "FactorKind")
        of = " ".join(
            part
            for part in (
                str(u["year"] or ""),
                names.get(u["region"], u["region"] or ""),
                f"({tr(N_('latest published'))})" if u["stale"] else "",
            )
            if part
        )
        rows.append(
            [
                tr(CARRIER_LABELS.get(u["carrier"], u["carrier"])),
                tr(kind) if kind else u["kind"],
                f"{u['value']} {u['unit']}",
                of,
                "、".join(str(y) for y in u["years"]),
                labels.factor_source(u["source"]),
            ]
        )
    return rows


def report_pdf(
    session: Session,
    actor: Actor,
    audit_id: int,
    *,
    locale: str = "zh_CN",
    zone: str = "Asia/Shanghai",
) -> bytes:
    """The audit report as PDF (Chinese by default), for anyone who may read the audit; times
    on the wall clock of ``zone`` (the site's configured timezone)."""
    from emc.i18n import translate
    from emc.reports import audit_pdf

    def tr(message: str) -> str:
        return translate(locale, message)

    f = figures(session, actor, audit_id)
    uncosted = {str(r.carrier) for r in ind.counted_rows(f.rows) if r.cost is None}
    audit = f.audit
    ecms = list_ecms(session, actor, audit.id)
    orgs = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(
                Organization.id.in_([audit.organization_id, audit.auditor_organization_id])
            )
        )
    }
    sites = {s.id: s.name for s in f.sites}
    last = audit.period_end - dt.timedelta(days=1)
    report = audit_pdf.AuditReport(
        title=audit.title,
        institution=orgs[audit.organization_id].display_name(locale),
        auditor=orgs[audit.auditor_organization_id].display_name(locale),
        level=tr(LEVEL_LABELS[audit.level]),
        period=f"{audit.period_start:%Y-%m} – {last:%Y-%m}",
        status=tr(STATUS_LABELS[audit.status]),
        version=audit.version,
        generated_at=clock.now(),
        scope=[
            (
                sites.get(b.site_id, ""),
                b.name,
                tr(BUILDING_TYPE_LABELS[b.building_type]),
                f"{b.floor_area_m2:,}",
            )
            for b in f.buildings
        ],
        structure=[
            (tr(CARRIER_LABELS[Carrier(c.carrier)]), c.tce)
            for c in f.accounts.by_carrier.values()
            if c.tce > 0
        ],
        carriers=[
            (
                tr(CARRIER_LABELS[Carrier(c.carrier)]),
                f"{ind.rounded(c.quantity, 1):,} {c.unit}",
                c.tce,
                c.tco2,
                # A carrier with a counted month without cost has no known cost: "—", not 0.00.
                None if c.carrier in uncosted else c.cost,
            )
            for c in f.accounts.by_carrier.values()
        ],
        months=[(f"{m:%Y-%m}", tce) for m, (tce, _co2) in f.accounts.by_month.items()],
        indicators=indicator_rows(f, tr),
        flags=[tr(FLAG_LABELS[flag]) for flag in f.custody_flags],
        ecms=[
            audit_pdf.EcmRow(
                name=e.name,
                category=tr(CATEGORY_LABELS[e.category.value]),
                savings_tce=e.savings_tce,
                savings_tco2=e.savings_tco2,
                savings_money=e.savings_money,
                investment=e.investment,
                payback_years=ind.simple_payback(e.investment, e.savings_money),
                contract_type=(
                    tr(CONTRACT_LABELS[e.recommended_contract_type])
                    if e.recommended_contract_type
                    else ""
                ),
                status=tr(ECM_STATUS_LABELS[e.status]),
            )
            for e in ecms
        ],
        conclusions=audit.conclusions or "",
        factor_note=tr(N_("Factors recorded in the audit on %(date)s (tce: calorific value)."))
        % {"date": _local_day(audit.factor_snapshot.get("taken_at"), zone)},
        zone=zone,
        factors=_factor_rows(session, f.factors_used, tr, locale),
        factors_title=tr(N_("Conversion factors used")),
    )
    return audit_pdf.build(report, locale)


def _local_day(taken_at: str | None, zone: str) -> str:
    """The day a snapshot was taken on the site's wall clock (stored as an aware UTC time:
    its first ten characters were the UTC day, a day early for eight hours every night)."""
    if not taken_at:
        return ""
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(taken_at)
    if moment.tzinfo is None:
        return taken_at[:10]
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()
