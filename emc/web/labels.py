"""What templates print instead of stored values: the ``label`` filter (an enum value in the page
language, through the one registry :mod:`emc.labels`), the ``region_name`` filter (a GB/T 2260
code as its name), and journal entries as sentences (:func:`journal_rows`)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from flask import Flask, g
from flask_babel import gettext
from sqlalchemy import select

from emc import labels
from emc.i18n import N_
from emc.labels import period
from emc.mv.warning_labels import say_warning

# What each kind of change reads as: "<who> <did> <what>". Unknown actions read as a change.
VERBS = {
    "create": N_("%(actor)s created %(object)s"),
    "update": N_("%(actor)s changed %(object)s"),
    "delete": N_("%(actor)s deleted %(object)s"),
    "propose": N_("%(actor)s proposed %(object)s"),
    "withdraw": N_("%(actor)s took back %(object)s"),
    "sign": N_("%(actor)s signed %(object)s"),
    "approve": N_("%(actor)s approved %(object)s"),
    "reject": N_("%(actor)s rejected %(object)s"),
    "accept": N_("%(actor)s accepted %(object)s"),
    "dispute": N_("%(actor)s disputed %(object)s"),
    "submit": N_("%(actor)s submitted %(object)s"),
    "return": N_("%(actor)s returned %(object)s"),
    "revise": N_("%(actor)s revised %(object)s"),
    "draft": N_("%(actor)s drafted %(object)s"),
    "recompute": N_("%(actor)s recomputed %(object)s"),
    "supersede": N_("%(actor)s superseded %(object)s"),
    "mark_stale": N_("%(actor)s marked %(object)s as out of date"),
    "prepare": N_("%(actor)s prepared %(object)s"),
    "pay": N_("%(actor)s recorded the payment of %(object)s"),
    "hold": N_("%(actor)s put %(object)s on hold"),
    "release": N_("%(actor)s released %(object)s from hold"),
    "amend": N_("%(actor)s amended %(object)s"),
    "agree": N_("%(actor)s agreed to %(object)s"),
    "correct": N_("%(actor)s corrected %(object)s"),
    "revoke": N_("%(actor)s revoked %(object)s"),
    "acknowledge": N_("%(actor)s acknowledged %(object)s"),
    "dismiss": N_("%(actor)s dismissed %(object)s"),
    "convert": N_("%(actor)s converted %(object)s into an adjustment"),
    "start_works": N_("%(actor)s started the works of %(object)s"),
    "start_operation": N_("%(actor)s started the operation of %(object)s"),
    "complete": N_("%(actor)s completed %(object)s"),
    "terminate": N_("%(actor)s terminated %(object)s"),
    "set_terms": N_("%(actor)s set the terms of %(object)s"),
    "record_actual": N_("%(actor)s recorded verified savings for %(object)s"),
    "regenerate_schedule": N_("%(actor)s regenerated the payment schedule of %(object)s"),
    "custody_contract": N_("%(actor)s made an energy-cost custody contract from %(object)s"),
    "import_ecms": N_("%(actor)s imported the measures of %(object)s"),
    "record_meters": N_("%(actor)s recorded the meter totals of %(object)s"),
    "record_bills": N_("%(actor)s recorded the bills of %(object)s"),
    "import_readings": N_("%(actor)s imported readings into %(object)s"),
    "import_temperatures": N_("%(actor)s imported temperatures into %(object)s"),
    "retire_meter": N_("%(actor)s retired %(object)s"),
    "link_project": N_("%(actor)s linked %(object)s to a project"),
    "unlink_project": N_("%(actor)s unlinked %(object)s from its project"),
    "site.term_calendar": N_("%(actor)s chose the term calendar of %(object)s"),
    "term_calendar.periods": N_("%(actor)s replaced the periods of %(object)s"),
    "term_calendar.share": N_("%(actor)s changed the sharing of %(object)s"),
    "statutory_year.set": N_("%(actor)s set the public holidays of %(object)s"),
    "statutory_year.delete": N_("%(actor)s deleted the public holidays of %(object)s"),
    "change_password": N_("%(actor)s changed the password of %(object)s"),
    "logout": N_("%(actor)s signed out %(object)s"),
}
OTHER_VERB = N_("%(actor)s changed %(object)s")

# The objects, by table name.
OBJECTS = {
    "organizations": N_("the organisation"),
    "users": N_("the user"),
    "api_tokens": N_("the API token"),
    "sites": N_("the site"),
    "buildings": N_("the building"),
    "meters": N_("the meter"),
    "weather_stations": N_("the weather station"),
    "emission_factors": N_("the emission factor"),
    "energy_audits": N_("the energy audit"),
    "audit_ecms": N_("the energy-saving measure"),
    "energy_quotas": N_("the energy quota"),
    "emc_projects": N_("the project"),
    "contracts": N_("the contract"),
    "contract_amendments": N_("the contract amendment"),
    "custody_fee_adjustments": N_("the custody fee adjustment"),
    "payment_lines": N_("the payment line"),
    "mv_plans": N_("the M&V plan"),
    "baselines": N_("the baseline"),
    "mv_reports": N_("the M&V report"),
    "mv_report_adjustments": N_("the non-routine adjustment"),
    "programme_targets": N_("the programme target"),
    "institution_energy_stats": N_("the energy statistics"),
    "term_calendars": N_("the term calendar"),
    "statutory_years": N_("the public-holiday year"),
    "watch_events": N_("the suspected non-routine event"),
    "watch_settings": N_("the savings watch settings"),
    "watch_quota_settings": N_("the quota warning settings"),
}
OTHER_OBJECT = N_("a record")

# Field names of the snapshots. Fields that only the machine reads are left out of the changes.
FIELDS = {
    "name": N_("Name"),
    "name_zh": N_("Chinese name"),
    "name_en": N_("English name"),
    "display_name": N_("Name"),
    "email": N_("E-mail"),
    "role": N_("Role"),
    "locale": N_("Language"),
    "is_active": N_("Active"),
    "kind": N_("Kind"),
    "sector": N_("Sector"),
    "credit_code": N_("Unified social credit code"),
    "region_code": N_("Region"),
    "city_code": N_("City"),
    "organization_id": N_("Organisation"),
    "esco_organization_id": N_("ESCO"),
    "auditor_organization_id": N_("Audit body"),
    "set_by_organization_id": N_("Set by"),
    "address": N_("Address"),
    "timezone": N_("Time zone"),
    "code": N_("Code"),
    "status": N_("Status"),
    "reason": N_("Reason"),
    "hold_reason": N_("Reason"),
    "termination_reason": N_("Reason for the termination"),
    "revision_reason": N_("Reason for the revision"),
    "review_comment": N_("Comment"),
    "decision_comment": N_("Comment"),
    "comment": N_("Comment"),
    "note": N_("Note"),
    "prepared_by_user_id": N_("Prepared by"),
    "approved_by_user_id": N_("Approved by"),
    "paid_by_user_id": N_("Paid by"),
    "decided_by_user_id": N_("Decided by"),
    "accepted_by_user_id": N_("Accepted by"),
    "institution_signed_by_user_id": N_("Signed for the institution by"),
    "esco_signed_by_user_id": N_("Signed for the ESCO by"),
    "paid_on": N_("Paid on"),
    "payment_reference": N_("Voucher number"),
    "signed_on": N_("Signed on"),
    "works_accepted_on": N_("Works accepted on"),
    "operation_start_on": N_("Operation starts on"),
    "term_end_on": N_("Term ends on"),
    "accepted_on": N_("Accepted on"),
    "accepted_at": N_("Accepted at"),
    "submitted_at": N_("Submitted at"),
    "total_investment": N_("Total investment (yuan)"),
    "investment": N_("Investment (yuan)"),
    "investor": N_("Investor"),
    "ecms": N_("Energy-saving measures"),
    "terms": N_("Contract terms"),
    "savings_estimates": N_("Savings estimates"),
    "lines": N_("Payment lines"),
    "period": N_("Period"),
    "period_start": N_("Period start"),
    "period_end": N_("Period end"),
    "valued_by": N_("Valued by"),
    "created": N_("Lines created"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "removed": N_("Removed"),
    "conflicts": N_("Conflicts"),
    "method": N_("Method"),
    "baseline_model": N_("Baseline model"),
    "baseline_start": N_("Baseline start"),
    "baseline_end": N_("Baseline end"),
    "reporting_frequency": N_("Reporting frequency"),
    "boundary": N_("Measurement boundary"),
    "acceptance": N_("Acceptance criteria"),
    "price_basis": N_("Energy prices"),
    "stipulated": N_("Stipulated values"),
    "evidence": N_("Evidence"),
    "verdict_passed": N_("ASHRAE G14 passed"),
    "savings_value": N_("Savings value (yuan)"),
    "tce_avoided": N_("Avoided tce"),
    "tco2_avoided": N_("Avoided tCO2"),
    "stale_message": N_("Why it is out of date"),
    "stale_since": N_("Out of date since"),
    "title": N_("Title"),
    "level": N_("Level"),
    "period_start_on": N_("Period start"),
    "conclusions": N_("Conclusions"),
    "occupants": N_("Occupants"),
    "building_type": N_("Building type"),
    "climate_zone": N_("Climate zone"),
    "floor_area_m2": N_("Floor area (m²)"),
    "year_built": N_("Year built"),
    "data_centre_pue": N_("Data centre PUE"),
    "end_use_split": N_("End-use split"),
    "site_ids": N_("Sites"),
    "building_ids": N_("Buildings"),
    "rows": N_("Rows"),
    "meter_rows": N_("Meter rows"),
    "replaced_rows": N_("Replaced rows"),
    "baseline": N_("Baseline"),
    "category": N_("Category"),
    "description": N_("Description"),
    "affected_carriers": N_("Energy carriers"),
    "recommended_contract_type": N_("Recommended contract type"),
    "savings_carrier": N_("Energy carrier saved"),
    "savings_quantity": N_("Quantity saved"),
    "savings_unit": N_("Unit"),
    "savings_tce": N_("tce saved"),
    "savings_tco2": N_("tCO2 saved"),
    "savings_money": N_("Money saved (yuan)"),
    "basis": N_("Basis"),
    "year": N_("Year"),
    "constraint_value": N_("Constraint value"),
    "baseline_value": N_("Baseline value"),
    "guide_value": N_("Guide value"),
    "source": N_("Source"),
    "carriers": N_("Energy carriers"),
    "co2_t": N_("CO2 (t)"),
    "energy_tce": N_("Energy (tce)"),
    "floor_area_source": N_("Floor area source"),
    "occupants_source": N_("Occupants source"),
    "carrier": N_("Energy carrier"),
    "unit": N_("Unit"),
    "interval_minutes": N_("Interval (minutes)"),
    "multiplier": N_("Multiplier"),
    "rollover": N_("Rollover"),
    "max_per_hour": N_("Maximum per hour"),
    "serial_number": N_("Serial number"),
    "filename": N_("File"),
    "first": N_("First reading"),
    "last": N_("Last reading"),
    "metric": N_("Metric"),
    "start_year": N_("First year"),
    "end_year": N_("Last year"),
    "base_year": N_("Base year"),
    "project_count": N_("Projects"),
    "reduction_pct": N_("Reduction (%)"),
    "periods": N_("Periods"),
    "shared": N_("Shared"),
    "project_id": N_("Project"),
    "term_calendar_id": N_("Term calendar"),
    "weather_station_id": N_("Weather station"),
    "site_id": N_("Site"),
    "building_id": N_("Building"),
    "parent_meter_id": N_("Parent meter"),
    "previous_audit_id": N_("Previous audit"),
    "baseline_id": N_("Baseline"),
    "value": N_("Value"),
}
# What the machine alone reads (hashes, row versions, internal ids): never shown as a change.
HIDDEN_FIELDS = {"version", "inputs_sha256", "sha256", "upload_id", "row_version", "format"}
_USER_FIELD = re.compile(r".*_by_user_id$")
_ORG_FIELD = re.compile(r"(.*_)?organization_id$")
_DATE_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\D{1,5}(\d{4}-\d{2}-\d{2})")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Stored money (yuan, two places) in a snapshot: total_investment, amount, the fees…
_MONEY_FIELD = re.compile(r"(^|_)(amount|investment|fee|cost|capital)(_|$)")
_MONEY = re.compile(r"-?\d+\.\d{2}")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def label(value: Any, kind: Any = None) -> str:
    """An enum value in the page language (``kind``: the enum class or its name where two enums
    share a value); empty for None, the value itself only if no table knows it."""
    if value is None or value == "":
        return ""
    msgid = labels.msgid(value, kind)
    return gettext(msgid) if msgid is not None else str(getattr(value, "value", value))


def _regions() -> dict[str, Any]:
    if "emc_regions" not in g:
        from emc.auth.models import Region
        from emc.web.db import db

        g.emc_regions = {r.code: r for r in db().scalars(select(Region))}
    return g.emc_regions


def region_name(code: str | None) -> str:
    """A GB/T 2260 code as its name in the page language (the code where the tree lacks it)."""
    from emc.web.templating import page_locale

    if not code:
        return ""
    region = _regions().get(code)
    if region is None:
        return code
    return region.name_en if page_locale() == "en" and region.name_en else region.name_zh


def _names(entries: list) -> tuple[dict[int, Any], dict[int, str]]:
    """Users (for actor and *_by_user_id fields) and organisation names, in two queries."""
    from emc.auth.models import Organization, User
    from emc.web.db import db
    from emc.web.templating import page_locale

    user_ids, org_ids = set(), set()
    for e in entries:
        if e.actor_user_id:
            user_ids.add(e.actor_user_id)
        for snap in (e.before or {}, e.after or {}):
            for key, value in snap.items():
                if isinstance(value, int) and _USER_FIELD.match(key):
                    user_ids.add(value)
                elif isinstance(value, int) and _ORG_FIELD.match(key):
                    org_ids.add(value)
    users = (
        {u.id: u for u in db().scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    locale = page_locale()
    orgs = (
        {
            o.id: o.display_name(locale)
            for o in db().scalars(select(Organization).where(Organization.id.in_(org_ids)))
        }
        if org_ids
        else {}
    )
    return users, orgs


def _person(user) -> str:
    return f"{label(user.role)} {user.display_name}"


def _baseline_versions(entries: list) -> dict[int, int]:
    """The version number of each baseline a snapshot names (``baseline_id``), in one query:
    a change says "v2", never the row id."""
    from emc.mv.models import Baseline
    from emc.web.db import db

    ids = {
        value
        for e in entries
        for snap in (e.before or {}, e.after or {})
        if isinstance(value := snap.get("baseline_id"), int)
    }
    if not ids:
        return {}
    rows = db().execute(select(Baseline.id, Baseline.version).where(Baseline.id.in_(ids)))
    return {row.id: row.version for row in rows}


# Date fields stored as the exclusive end of a half-open period (payment lines, M&V reports).
_EXCLUSIVE_ENDS = {"period_end"}

# Fields whose stored value is a member of one enum, where a bare value could name another's.
_FIELD_KINDS = {"method": "MvMethod"}


def _value(
    key: str, value: Any, users: dict, orgs: dict, baselines: dict[int, int] | None = None
) -> str:
    from emc.web.templating import local_time

    if value is None or value == "" or value == []:
        return "—"
    if key == "baseline_id" and isinstance(value, int):
        version = (baselines or {}).get(value)
        return f"v{version}" if version is not None else "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int) and _USER_FIELD.match(key):
        return _person(users[value]) if value in users else "—"
    if isinstance(value, int) and _ORG_FIELD.match(key):
        return orgs.get(value, "—")
    if key in ("region_code", "city_code"):
        return region_name(value)
    if _MONEY_FIELD.search(key) and isinstance(value, str) and _MONEY.fullmatch(value):
        return f"{Decimal(value):,.2f}"  # yuan, as the pages show money
    if key == "period" and isinstance(value, str) and (match := _DATE_RANGE.fullmatch(value)):
        return period(match[1], match[2])  # a half-open period: its first and last day
    if key == "level" and isinstance(value, int):
        # An audit's GB/T 17166 depth ("2" said nothing); a region's level is a word.
        from emc.audit.service.labels import LEVEL_LABELS

        if value in LEVEL_LABELS:
            return gettext(LEVEL_LABELS[value])
    if key in _EXCLUSIVE_ENDS and isinstance(value, str) and _DATE.fullmatch(value):
        # Stored as the exclusive end of [start, end); the pages show a period's last day.
        return (dt.date.fromisoformat(value) - dt.timedelta(days=1)).isoformat()
    if key == "locale":
        return {"zh_CN": "中文", "en": "English"}.get(value, value)
    if isinstance(value, str) and (kind := _FIELD_KINDS.get(key)) and labels.msgid(value, kind):
        # "billing" is a meter kind and an M&V method: the field says which it is.
        return label(value, kind)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value) and all(labels.msgid(v) for v in value):
            return "、".join(label(v) for v in value)
        return gettext("%(n)s entries", n=len(value))
    if isinstance(value, dict):
        return gettext("%(n)s entries", n=len(value))
    if isinstance(value, str):
        if _DATETIME.match(value):
            try:
                return local_time(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        if _DATE.match(value):
            return value
        if labels.msgid(value) is not None:
            return label(value)
    return str(value)


# Objects whose entries name them (an audit's history lists several measures).
_NAMED_OBJECTS = {"audit_ecms"}


def _object(e) -> str:
    """The object of the sentence: its kind, its name where several share a history, and the
    period it covers where its summary says."""
    noun = gettext(OBJECTS.get(e.object_type, OTHER_OBJECT))
    name = (e.after or {}).get("name") or (e.before or {}).get("name") or e.summary
    if e.object_type in _NAMED_OBJECTS and isinstance(name, str) and name:
        noun = gettext("%(object)s “%(name)s”", object=noun, name=name)
    match = _DATE_RANGE.search(e.summary or "")
    if match:
        return gettext("%(object)s (%(period)s)", object=noun, period=period(match[1], match[2]))
    return noun


def journal_rows(entries: list) -> list[dict[str, Any]]:
    """Each entry as ``{"at", "sentence", "changes": [(field label, before, after)]}``: who did
    what to which object, in the page language, with the fields that changed named."""
    users, orgs = _names(entries)
    baselines = _baseline_versions(entries)
    rows = []
    for e in entries:
        user = users.get(e.actor_user_id)
        actor = _person(user) if user else gettext("The system")
        verb = VERBS.get(e.action, OTHER_VERB)
        sentence = gettext(verb, actor=actor, object=_object(e))
        changes = []
        before, after = e.before or {}, e.after or {}
        for key in dict.fromkeys([*after, *before]):
            if key in HIDDEN_FIELDS or key not in FIELDS:
                continue
            # A new record lists what it was created with, not the fields it left empty.
            if e.before is None and after.get(key) in (None, "", []):
                continue
            old = (
                _value(key, before.get(key), users, orgs, baselines)
                if e.before is not None
                else None
            )
            new = _value(key, after.get(key), users, orgs, baselines)
            changes.append((gettext(FIELDS[key]), old, new))
        rows.append({"at": e.at, "sentence": sentence, "changes": changes})
    return rows


def init_app(app: Flask) -> None:
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["percent"] = lambda value: f"{labels.percent(value)} %"
    app.jinja_env.filters["percent_number"] = labels.percent
    app.jinja_env.filters["derivation"] = lambda text: labels.derivation(text, gettext)
    app.jinja_env.globals["period"] = period
    app.jinja_env.globals["verdict_failures"] = lambda v: labels.verdict_failures(v, gettext)
    app.jinja_env.filters["region_name"] = region_name
    app.jinja_env.globals["journal_rows"] = journal_rows
    app.jinja_env.filters["mv_warning"] = mv_warning
    app.jinja_env.filters["factor_note"] = factor_note
    app.jinja_env.filters["factor_source"] = labels.factor_source


def mv_warning(warning: Any) -> str:
    """An M&V warning (``code``, ``message``, ``data``; object or dict) in the page language
    (the sentences live in :mod:`emc.mv.warning_labels`, shared with the PDFs)."""
    return say_warning(warning, gettext)


# Factor notes and warnings that services store as English text (emc.programme.stats,
# emc.audit.indicators), read back into their parts and said in the page language. A note of
# another shape is shown as it is.
_FACTOR_USED = re.compile(
    r"^(?P<carrier>\w+) (?P<kind>tce|co2): (?P<used>\d{4}) factor used for (?P<year>\d{4})"
    r"(?P<first> \(before the first published year\))?$"
)
_FACTOR_REF = re.compile(
    r"^(?P<carrier>\w+) (?P<kind>tce|co2): \w+/(?:tce|co2)/[^/]+/(?P<scope>[^/]+)/"
    r"(?P<region>[^/]+)/(?P<year>[^/]+)$"
)
_FACTOR_STALE = re.compile(
    r"^no (?P<kind>tce|co2) factor for (?P<carrier>\w+) in (?P<year>\d{4}): "
    r"the (?P<used>\d{4}) value is used$"
)


def factor_note(note: str) -> str:
    """A stored factor note or warning in the page language (as stored when not recognised)."""
    from emc.energy import Carrier, FactorKind, FactorScope

    def named(m: re.Match) -> dict[str, str]:
        return {"carrier": label(m["carrier"], Carrier), "kind": label(m["kind"], FactorKind)}

    if m := _FACTOR_USED.match(note):
        msgid = (
            N_(
                "%(carrier)s %(kind)s: the %(used)s factor is used for %(year)s (before the first "
                "published year)"
            )
            if m["first"]
            else N_("%(carrier)s %(kind)s: the %(used)s factor is used for %(year)s")
        )
        return gettext(msgid, used=m["used"], year=m["year"], **named(m))
    if m := _FACTOR_STALE.match(note):
        return gettext(
            N_("No %(kind)s factor for %(carrier)s in %(year)s: the %(used)s value is used"),
            used=m["used"],
            year=m["year"],
            **named(m),
        )
    if m := _FACTOR_REF.match(note):
        where = label(m["scope"], FactorScope)
        if m["region"] != "-":
            where = f"{where} {region_name(m['region']) if m['region'].isdigit() else m['region']}"
        year = m["year"] if m["year"] != "-" else gettext(N_("any year"))
        return gettext(
            N_("%(carrier)s %(kind)s: factor of %(where)s, %(year)s"),
            where=where,
            year=year,
            **named(m),
        )
    return note
