"""The one message catalogue: every sentence a user can meet on an error path, by stable code.

Cores and services never format a user-facing sentence themselves: they build a :class:`Text`
with :func:`msg` (a catalogue code and named params) and raise it inside an ``emc.errors``
exception, or put it in ``fields``. A :class:`Text` *is* the English sentence (a ``str``, so
logs, the CLI and ``str(error)`` read as before), and also carries ``code`` and ``params`` so
that the web layer (``emc.web.messages.say``) says it again in the reader's language from the
catalogue's msgid. Params that are themselves words to translate (a state, an action, a field)
are :func:`term` values, said recursively.

This module is pure (standard library only): the finance core, the M&V engine and the meter
file reader import it. ``tests/test_messages.py`` walks the catalogue (every code has a zh_CN
translation whose params format) and greps the code base for sentences raised outside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def N_(msgid: str) -> str:  # noqa: N802 — the marker name message extractors look for
    """Mark an English msgid for extraction; it is translated where it is shown."""
    return msgid


class Text(str):
    """An English sentence (or word) that also carries its catalogue ``code`` and ``params``.

    ``code`` is a key of :data:`CATALOGUE` (prefixed by ``prefix`` for families such as the
    meter file reader's problems), or ``""`` for a bare msgid made by :func:`term`.
    """

    code: str
    params: dict[str, Any]
    prefix: str = ""

    def __new__(cls, text: str, code: str = "", params: Mapping[str, Any] | None = None):
        obj = super().__new__(cls, text)
        obj.code = code
        obj.params = dict(params or {})
        return obj

    @property
    def key(self) -> str:
        """The catalogue key (``prefix + code``)."""
        return self.prefix + self.code if self.code else ""

    def __reduce__(self):  # keep code and params through pickling (job payloads, caches)
        return (type(self), (str(self), self.code, self.params))


class EngineWarningText(Text):
    """An M&V engine warning (its ``code`` and ``data`` as params): the web layer says it with
    the engine warnings' own sentences (``emc.web.labels.mv_warning``)."""

    prefix = "mv.warning."


class Joined(Text):
    """Several messages said one after the other (``"; "`` in English; the page language's
    separator where said): a param that lists what is missing, each part in its own words."""

    parts: list[Any]

    def __new__(cls, parts: Any):
        parts = list(parts)
        obj = super().__new__(cls, "; ".join(str(p) for p in parts))
        obj.parts = parts
        return obj

    def __reduce__(self):
        return (type(self), (self.parts,))


def msg(code: str, /, **params: Any) -> Text:
    """The catalogue sentence ``code`` with ``params``, as an English :class:`Text`.

    Raises KeyError for an unknown code (a typo must fail in tests, not on a user's page).
    """
    return Text(CATALOGUE[code] % _english(params), code, params)


def term(msgid: str) -> Text:
    """A word or phrase (an English msgid) to be translated where it is shown."""
    return Text(msgid)


def _english(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Text) else v) for k, v in params.items()}


def params_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as JSON-able values (for the API's error envelope): numbers and text as they
    are, anything else as its string."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, bool | int | float) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out


# Words the sentences below take as params: kinds of record, workflow states and actions.
RECORD = {
    "EmcProject": N_("project"),
    "Contract": N_("contract"),
    "ContractAmendment": N_("contract amendment"),
    "CustodyAdjustment": N_("custody fee adjustment"),
    "PaymentLine": N_("payment line"),
    "Baseline": N_("baseline"),
    "MVReport": N_("M&V report"),
    "MVPlan": N_("M&V plan"),
    "EnergyAudit": N_("energy audit"),
    "Audit": N_("energy audit"),
    "Site": N_("site"),
    "Building": N_("building"),
    "Meter": N_("meter"),
    "WeatherStation": N_("weather station"),
    "Organization": N_("organisation"),
    "User": N_("user"),
    "ApiToken": N_("API token"),
    "Region": N_("region"),
    "EmissionFactor": N_("emission factor"),
    "TermCalendar": N_("term calendar"),
    "EvidenceFile": N_("evidence file"),
    "Measurement": N_("measurement"),
    "Notification": N_("message"),
}

MACHINE = {
    "project": N_("project"),
    "amendment": N_("contract amendment"),
    "custody_adjustment": N_("custody fee adjustment"),
    "baseline": N_("baseline"),
    "report": N_("M&V report"),
    "mv_plan": N_("M&V plan"),
    "adjustment": N_("adjustment"),
    "mv_adjustment": N_("non-routine adjustment"),
    "payment_line": N_("payment line"),
    "audit": N_("energy audit"),
    "event": N_("suspected event"),
}

STATE = {
    "draft": N_("draft"),
    "proposed": N_("proposed"),
    "contracted": N_("contracted"),
    "implementing": N_("implementing"),
    "operating": N_("operating"),
    "completed": N_("completed"),
    "terminated": N_("terminated"),
    "agreed": N_("agreed"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
    "approved": N_("approved"),
    "superseded": N_("superseded"),
    "submitted": N_("submitted"),
    "accepted": N_("accepted"),
    "disputed": N_("disputed"),
    "returned": N_("returned"),
    "scheduled": N_("scheduled"),
    "prepared": N_("prepared"),
    "paid": N_("paid"),
    "on_hold": N_("on hold"),
    "open": N_("open"),
    "dismissed": N_("dismissed"),
    "confirmed": N_("confirmed"),
    # An audit measure's states (emc.audit.models.EcmStatus) that no other machine has.
    "implemented": N_("implemented"),
    "discarded": N_("discarded"),
}

ACTION = {
    "propose": N_("propose"),
    "withdraw": N_("withdraw"),
    "sign": N_("sign"),
    "start": N_("start"),
    "start_works": N_("start the works"),
    "start_operation": N_("start operation"),
    "operate": N_("start operation"),
    "complete": N_("complete"),
    "terminate": N_("terminate"),
    "agree": N_("agree to"),
    "reject": N_("reject"),
    "approve": N_("approve"),
    "submit": N_("submit"),
    "accept": N_("accept"),
    "dispute": N_("dispute"),
    "revise": N_("revise"),
    "prepare": N_("prepare"),
    "pay": N_("pay"),
    "hold": N_("put on hold"),
    "release": N_("release"),
    "return": N_("return"),
    "decide": N_("decide"),
    "adjust": N_("adjust"),
    "edit": N_("edit"),
    "dismiss": N_("dismiss"),
    "confirm": N_("confirm"),
    # The M&V plan, its reports' drafts and suspected events.
    "change": N_("change"),
    "recompute": N_("recompute"),
    "convert": N_("convert into an adjustment"),
}


def record(name: str) -> Text:
    """The kind of record a model class name stands for (``EmcProject`` → project)."""
    return term(RECORD.get(name, N_("record")))


def state(value: object) -> Text:
    """A workflow state's word (``on_hold`` → on hold)."""
    if value is None:
        return Text("?")
    raw = str(getattr(value, "value", value))
    return term(STATE[raw]) if raw in STATE else Text(raw)


def action(value: str) -> Text:
    """A workflow action's verb (``hold`` → put on hold)."""
    return term(ACTION[value]) if value in ACTION else Text(value)


def machine(name: str) -> Text:
    """The kind of object a state machine runs (``payment_line`` → payment line)."""
    return term(MACHINE.get(name, N_("record")))


# The energy carriers' names (``emc.energy.Carrier`` values; ``emc.energy_labels`` shows them).
CARRIER = {
    "electricity": N_("Electricity"),
    "natural_gas": N_("Natural gas"),
    "district_heat": N_("District heat"),
    "coal": N_("Raw coal"),
    "diesel": N_("Diesel"),
    "gasoline": N_("Gasoline"),
    "lpg": N_("LPG"),
    "fuel_oil": N_("Fuel oil"),
    "water": N_("Water"),
    "pv_generation": N_("On-site PV generation"),
}


def carrier(value: object) -> Text:
    """An energy carrier's name (``natural_gas`` → Natural gas)."""
    raw = str(getattr(value, "value", value))
    return term(CARRIER[raw]) if raw in CARRIER else Text(raw)


# Field names as the forms label them; a message under a field is shown "label: message".
# A field without a label here is shown by its message alone (never its internal name).
FIELD = {
    "reason": N_("Reason"),
    "comment": N_("Comment"),
    "version": N_("Version"),
    "status": N_("Status"),
    "file": N_("File"),
    "name": N_("Name"),
    "code": N_("Code"),
    "start": N_("Start"),
    "end": N_("End"),
    "period_start": N_("Period start"),
    "period_end": N_("Period end"),
    "year": N_("Year"),
    "amount": N_("Amount"),
    "password": N_("Password"),
    "current_password": N_("Current password"),
    "locale": N_("Language"),
    "region_code": N_("Region"),
    "unit": N_("Unit"),
    "meter_id": N_("Meter"),
    "voucher": N_("Voucher number"),
    "paid_on": N_("Paid on"),
    "plan": N_("M&V plan"),
    "contract": N_("Contract"),
    "boundary": N_("Measurement boundary"),
    "data": N_("Data"),
    "adjustments": N_("Adjustments"),
    "days": N_("Days"),
    "source": N_("Source"),
    "email": N_("E-mail"),
    "header_row": N_("Header row"),
    "columns": N_("Columns"),
    "action": N_("Action"),
    "share": N_("Share"),
    "term_years": N_("Term (years)"),
    "discount_rate": N_("Discount rate"),
    "start_date": N_("Start date"),
    "end_date": N_("End date"),
    "signed_on": N_("Signed on"),
    "works_accepted_on": N_("Works accepted on"),
    "operation_start_on": N_("Operation starts on"),
    "term_end_on": N_("Term ends on"),
    "esco_organization_id": N_("ESCO"),
    "investment": N_("Investment"),
    "reference": N_("Reference"),
    "series": N_("Series"),
    "method": N_("Method"),
    "factor_id": N_("Emission factor"),
    "payment_reference": N_("Payment reference"),
}


def field(name: str) -> Text:
    """A field's label (``signed_on`` → Signed on); a field without one by its name."""
    return term(FIELD[name]) if name in FIELD else Text(name)


CATALOGUE: dict[str, str] = {
    # Records that are missing or hidden (the two are never told apart), and refusals.
    "not_found": N_("The %(what)s does not exist or you may not see it."),
    "mv.no_plan_yet": N_("The project has no M&V plan yet."),
    "contracts.no_contract_yet": N_("The project has no contract yet."),
    "calendars.no_statutory_year": N_("No statutory holidays are entered for %(year)s."),
    "not_found.page": N_("This page does not exist."),
    "forbidden": N_("You do not have the right to do this."),
    "facilities.meter_delete_has_readings": N_(
        "Meter %(meter)s holds readings: retire it instead of deleting it."
    ),
    "facilities.meter_retire_not_delete": N_("a meter with readings is retired, never deleted"),
    "mv.engine.no_day_with_data": N_("no day has both usage and temperature"),
    "mv.engine.no_period_with_data": N_("no billing period has both usage and temperature"),
    "mv.engine.no_hour_with_data": N_("no hour has both usage and temperature"),
    "mv.engine.insufficient": N_("insufficient baseline data: %(problems)s"),
    "forbidden.amendment_proposer": N_(
        "Amendments are proposed by the institution's project managers or the ESCO's admins."
    ),
    "forbidden.sign_in": N_("Sign in to read reference data."),
    "forbidden.station_writer": N_(
        "Only the platform or the institution that owns a weather station may change it."
    ),
    # The state machine (emc.workflow): one sentence per kind of refusal.
    "workflow.separation_of_duties": N_(
        "Separation of duties: %(rule)s. Another person or the other party must do this."
    ),
    "workflow.wrong_state": N_(
        "This %(what)s is %(state)s and cannot be given the action “%(action)s” now."
    ),
    "workflow.stale": N_(
        "This %(what)s has changed since you opened it (it is now %(state)s). Reload the page"
        " and check it before you %(action)s it."
    ),
    "workflow.lost_race": N_(
        "This %(what)s was changed by someone else at the same moment (it is now %(state)s)."
        " Reload the page and check it before you %(action)s it."
    ),
    "workflow.busy": N_(
        "This %(what)s is being changed by someone else at the same moment. Reload the page"
        " and check it before you %(action)s it."
    ),
    "workflow.stale_field": N_("stale: the current version is %(version)s"),
    "workflow.already_agreed": N_("Your side has already agreed to this."),
    "workflow.already_recorded": N_("already recorded"),
    "workflow.must_be_one_of": N_("must be one of: %(states)s"),
    # Field messages shared by many forms.
    "field.required": N_("required"),
    "field.after_start": N_("must be after the start"),
    "field.needs_offset": N_("must carry a UTC offset"),
    "field.already_exists": N_("already exists"),
    "field.unknown": N_("unknown"),
    # Revisions, reasons and comments.
    "reason.required": N_("A reason is required."),
    "comment.required": N_("A comment is required."),
    "baseline.revision_reason": N_("A new version of an approved baseline needs a reason."),
    "baseline.rejection_comment": N_("A rejection needs a comment."),
    "baseline.plan_first": N_("Write the M&V plan first."),
    "report.dispute_comment": N_("A dispute needs a comment."),
    "report.revision_reason": N_("A revision needs a reason."),
    "report.adjustment_reason": N_("An adjustment needs a reason."),
    "report.period_order": N_("The period ends before it starts."),
    "contract.rejection_comment": N_("A rejection needs a comment."),
    "payment.projected_not_paid": N_(
        "Projected lines are the forecast: only actual lines are prepared, approved and paid."
    ),
    # The finance core's checks of contract terms, by field.
    "finance.field": N_("%(field)s: %(problem)s"),
    "finance.not_decimal": N_("must be a number"),
    "finance.not_finite": N_("must be a finite number"),
    "finance.negative": N_("must not be negative"),
    "finance.at_most": N_("must be at most %(maximum)s"),
    "finance.at_least": N_("must be at least %(minimum)s"),
    "finance.fraction": N_("must be a share between 0 and 1 (0 %% to 100 %%)"),
    "finance.not_integer": N_("must be a whole number"),
    "finance.empty_text": N_("must not be empty"),
    "finance.empty_list": N_("must list at least one entry"),
    "finance.beyond_term": N_("is beyond the contract term of %(years)s years"),
    "finance.year_repeated": N_("contract year %(year)s is already covered by another band"),
    "finance.year_uncovered": N_("contract year %(year)s has no band"),
    "finance.no_price": N_("the contract has no price for %(carrier)s"),
    "finance.date_between": N_("must be a date between %(first)s and %(last)s"),
    "finance.currency": N_("only %(currency)s is supported"),
    "finance.unknown_kind": N_("is not a known kind of entry"),
    "finance.label_used": N_("this label is already used by component %(other)s"),
    "finance.escalation_range": N_("must be greater than -1 and at most %(maximum)s"),
    "finance.carrier_twice": N_("%(carrier)s appears twice"),
    "finance.no_component": N_("the contract has no custody component labelled %(label)s"),
    "finance.one_component": N_("this kind of contract has exactly one component of its kind"),
    "finance.reference_used": N_("this reference is already used by adjustment %(other)s"),
    "finance.carrier_not_in_baseline": N_("%(carrier)s is not in the baseline of %(label)s"),
    "finance.unit_mismatch_baseline": N_(
        "the unit %(unit)s does not match the baseline unit %(baseline_unit)s"
    ),
    "finance.overlapping_results": N_("overlaps the period of result %(other)s"),
    "finance.segments_sum": N_(
        "the segments of %(carrier)s add up to %(total)s, not to the period's %(verified)s"
    ),
    "finance.unit_mismatch": N_(
        "the unit %(unit)s does not match the contract price unit %(price_unit)s"
    ),
    # Meter readings.
    "readings.frozen_baseline": N_(
        "Baseline v%(version)s (approved) of project %(project)s covers %(start)s to %(end)s:"
        " the readings of this meter in that period are frozen and cannot be replaced or added to."
        " A new baseline version may use new data."
    ),
    "readings.frozen_report": N_(
        "M&V report v%(version)s (accepted) of project %(project)s covers %(start)s to %(end)s:"
        " the readings of this meter in that period are frozen and cannot be replaced or added to."
        " A new report version may use new data."
    ),
    # Converted from the services' sentences.
    "audit.accepted_audit_immutable_start_revision": N_(
        "an accepted audit is immutable: start a revision (a new version with a reason)"
    ),
    "audit.accepted_audits_cannot_changed": N_("accepted audits cannot be changed"),
    "audit.already_has_quota": N_("already has a quota"),
    "audit.period_not_begun": N_(
        "the base period cannot begin after today (%(today)s): it has no consumption yet"
    ),
    "audit.end_use_unknown": N_("%(use)s is not an end use of the split"),
    "audit.end_use_share_range": N_("the share of %(use)s must be a percentage from 0 to 100"),
    "audit.end_use_shares_sum": N_(
        "the end-use shares must add up to 100 (they add up to %(total)s)"
    ),
    "audit.already_used_not_selectable": N_("already used or not selectable"),
    "audit.audit_does_not_flag_institution": N_(
        "the audit does not flag the institution as a custody candidate"
    ),
    "audit.auditor_changed_only_before_first": N_(
        "the auditor is changed only before the first submission"
    ),
    "audit.choose_filled_xlsx_template": N_("choose the filled-in XLSX template"),
    "audit.consumption_rows_invalid_nothing_was": N_(
        "the consumption rows are invalid; nothing was recorded"
    ),
    "audit.custody_contracts_made_from_accepted": N_(
        "custody contracts are made from accepted audits"
    ),
    "audit.newer_version_exists": N_("a newer version exists"),
    "audit.no_file": N_("no file"),
    "audit.not_accepted": N_("not accepted"),
    "audit.not_allowed_from_current_status": N_("not allowed from the current status"),
    "audit.not_candidate_for_energy_cost": N_("not a candidate for energy-cost custody"),
    "audit.not_editable_state": N_("not editable in this state"),
    "audit.not_submitted": N_("not submitted"),
    "audit.only_accepted_audit_revised": N_("only an accepted audit is revised"),
    "audit.proposals_made_from_accepted_audits": N_("proposals are made from accepted audits"),
    "audit.quota_for_region_building_type": N_(
        "a quota for this region, building type, basis and year exists"
    ),
    "auth.cannot_changed": N_("cannot be changed"),
    "auth.current_password_wrong": N_("current password is wrong"),
    "auth.expiry_must_future": N_("expiry must be in the future"),
    "auth.must_6_digits": N_("must be 6 digits"),
    "auth.must_differ_from_current_password": N_("must differ from the current password"),
    "auth.must_future": N_("must be in the future"),
    "auth.must_zh_cn_en": N_("must be zh_CN or en"),
    "auth.new_password_equals_current_one": N_("new password equals the current one"),
    "auth.not_for_yourself": N_("not for yourself"),
    "auth.organisation_has_invalid_fields": N_("the organisation has invalid fields"),
    "auth.password_not_acceptable": N_("the password is not acceptable"),
    "auth.region_code_must_6_digits": N_("region code must be 6 digits"),
    "auth.token_already_revoked": N_("token already revoked"),
    "auth.unsupported_language": N_("unsupported language"),
    "auth.user_cannot_move_another_organisation": N_("a user cannot move to another organisation"),
    "auth.user_has_invalid_fields": N_("the user has invalid fields"),
    "auth.wrong": N_("is wrong"),
    "auth.you_cannot_deactivate_yourself_change": N_(
        "you cannot deactivate yourself or change your own role"
    ),
    "calendars.1990_2100": N_("1990–2100"),
    "calendars.1_200_characters": N_("1–200 characters"),
    "calendars.after_start_at_most_30": N_("after start, at most 30 years"),
    "calendars.already_used": N_("already used"),
    "calendars.at_most_1_mb": N_("at most 1 MB"),
    "calendars.calendar_file_has_errors": N_("the calendar file has errors"),
    "calendars.calendar_with_name_exists": N_("a calendar with this name exists"),
    "calendars.file_empty": N_("the file is empty"),
    "calendars.file_too_large": N_("the file is too large"),
    "calendars.header_must_name_kind_start": N_("the header must name kind, start_date, end_date"),
    "calendars.holiday_schedule_empty": N_("the holiday schedule is empty"),
    "calendars.holiday_schedule_has_errors": N_("the holiday schedule has errors"),
    "calendars.list_days": N_("list the days"),
    "calendars.name_notice": N_("name the notice"),
    "calendars.name_required": N_("a name is required"),
    "calendars.not_readable_xlsx_file": N_("not a readable XLSX file"),
    "calendars.not_utf_8_csv_file": N_("not a UTF-8 CSV file"),
    "calendars.save_again_excel": N_("save it again in Excel"),
    "calendars.save_as_utf_8_csv": N_("save as UTF-8 CSV"),
    "calendars.source_required": N_("a source is required"),
    "calendars.year_out_range": N_("year out of range"),
    "contracts.amendment_changes_nothing": N_("the amendment changes nothing"),
    "contracts.amendment_has_already_been_agreed": N_(
        "this amendment has already been agreed by both parties"
    ),
    "contracts.amendment_needs_reason": N_("an amendment needs a reason"),
    "contracts.amendment_signed_contract_needs_reason": N_(
        "an amendment to a signed contract needs a reason"
    ),
    "contracts.at_least_one_carrier_s": N_("at least one carrier's new price is required"),
    "contracts.at_most_2_decimal_places": N_("at most 2 decimal places"),
    "contracts.cannot_before_earlier_dates_project": N_(
        "cannot be before the earlier dates of the project"
    ),
    "contracts.change_at_least_one_value": N_("change at least one value"),
    "contracts.choose_esco_before_signing": N_("choose the ESCO before signing"),
    "contracts.choose_new_esco": N_("choose the new ESCO"),
    "contracts.contract_has_changed_since_amendment": N_(
        "the contract has changed since this amendment was drafted: propose it again"
    ),
    "contracts.contract_has_no_energy_cost": N_(
        "the contract has no energy-cost custody component"
    ),
    "contracts.contract_not_signed_yet_change": N_(
        "the contract is not signed yet: change its terms instead of proposing an adjustment"
    ),
    "contracts.custody_fee_adjustment_has_already": N_(
        "this custody fee adjustment has already been agreed by both parties"
    ),
    "contracts.custody_fee_adjustment_needs_reason": N_("a custody fee adjustment needs a reason"),
    "contracts.energy_price_change_does_not": N_(
        "an energy price change does not change the floor area"
    ),
    "contracts.energy_price_change_needs_at": N_(
        "an energy price change needs at least one new price"
    ),
    "contracts.floor_area_change_does_not": N_("a floor area change does not change prices"),
    "contracts.floor_area_change_needs_new": N_("a floor area change needs the new floor area"),
    "contracts.floor_area_stored_two_decimal": N_(
        "the floor area is stored to two decimal places (0.01 m²)"
    ),
    "contracts.must_active_esco_organisation": N_("must be an active ESCO organisation"),
    "contracts.no_contract": N_("no contract"),
    "contracts.not_signed_edit_project_instead": N_("not signed: edit the project instead"),
    "contracts.only_for_energy_price_change": N_("only for an energy price change"),
    "contracts.only_for_floor_area_change": N_("only for a floor area change"),
    "contracts.only_project_s_parties_dates": N_(
        "only a project's parties, dates and investment are amended this way"
    ),
    "contracts.project_has_changed_since_amendment": N_(
        "the project has changed since this amendment was proposed: propose it again"
    ),
    "contracts.project_has_no_contract": N_("the project has no contract"),
    "contracts.project_has_no_contract_terms": N_("the project has no contract terms yet"),
    "contracts.project_has_no_contract_yet": N_(
        "the project has no contract yet: a custody fee adjustment changes a contract"
    ),
    "contracts.project_not_signed_yet_edit": N_("the project is not signed yet: edit it directly"),
    "contracts.projected_lines_forecast_only_actual": N_(
        "projected lines are the forecast: only actual lines are paid"
    ),
    "contracts.reference_too_long_for_payment": N_(
        "the reference is too long for the payment lines it names"
    ),
    "contracts.required_for_amendment": N_("required for an amendment"),
    "contracts.required_for_floor_area_change": N_("required for a floor area change"),
    "contracts.required_for_step": N_("required for this step"),
    "contracts.separation_duties_you_prepared_payment": N_(
        "separation of duties: you prepared this payment line, so another finance user must approve it"
    ),
    "contracts.set_contract_terms_before_signing": N_("set the contract terms before signing"),
    "contracts.signed_project_keeps_esco": N_("a signed project keeps an ESCO"),
    "contracts.signed_project_needs_esco": N_("a signed project needs its ESCO"),
    "contracts.unknown_esco": N_("unknown ESCO"),
    "facilities.already_linked": N_("already linked"),
    "facilities.another_upload_stored_readings_for": N_(
        "another upload stored readings for this meter at the same time; try again"
    ),
    "facilities.building_has_invalid_fields": N_("the building has invalid fields"),
    "facilities.choose_csv_xlsx_file_upload": N_("choose a CSV or XLSX file to upload"),
    "facilities.concurrent_upload": N_("concurrent upload"),
    "facilities.end_before_start": N_("end before start"),
    "facilities.end_must_after_start": N_("end must be after start"),
    "facilities.factor_invalid": N_("the factor is invalid"),
    "facilities.m_v_boundary_holds_meters": N_("the M&V boundary holds meters of this site"),
    "facilities.meter_already_retired": N_("the meter is already retired"),
    "facilities.meter_has_invalid_fields": N_("the meter has invalid fields"),
    "facilities.must_date_yyyy_mm_dd": N_("must be a date YYYY-MM-DD"),
    "facilities.naive_datetime": N_("naive datetime"),
    "facilities.needs_utc_offset": N_("needs a UTC offset"),
    "facilities.not_permitted_only_institutions_own": N_(
        "not permitted: only institutions own weather stations"
    ),
    "facilities.project_already_covers_site": N_("the project already covers this site"),
    "facilities.site_has_invalid_fields": N_("the site has invalid fields"),
    "facilities.unknown_institution": N_("unknown institution"),
    "facilities.unknown_organisation": N_("unknown organisation"),
    "facilities.unknown_time_zone": N_("unknown time zone"),
    "facilities.weather_stations_belong_public_institutions": N_(
        "weather stations belong to public institutions"
    ),
    "mv.add_meter": N_("add a meter"),
    "mv.adjustment_invalid": N_("the adjustment is invalid"),
    "mv.adjustment_needs_reason": N_("an adjustment needs a reason"),
    "mv.after_start": N_("must be after the start date"),
    "mv.another_baseline_version_was_proposed": N_(
        "another baseline version was proposed or decided for this project at the same moment: reload"
    ),
    "mv.baseline_fails_ashrae_guideline_14": N_(
        "this baseline fails ASHRAE Guideline 14 (CV(RMSE), NMBE or FSU) or lacks data: approving it needs an override reason"
    ),
    "mv.baseline_period_ends_before_starts": N_(
        "the end of the baseline period must be after its start"
    ),
    "mv.both_parties_must_agree_every": N_(
        "both parties must agree on every non-routine adjustment before acceptance"
    ),
    "mv.daily_billing_hourly_stipulated": N_("daily, billing, hourly or stipulated"),
    "mv.day_types_go_with_daily": N_("day types go with the daily method"),
    "mv.day_types_need_daily_method": N_("day types need the daily method"),
    "mv.decision_invalid": N_("the decision is invalid"),
    "mv.dispute_needs_comment": N_("a dispute needs a comment"),
    "mv.form_invalid": N_("the form is invalid"),
    "mv.future": N_("in the future"),
    "mv.give_amount_series": N_("give an amount or a series"),
    "mv.hourly_needs_whole_hour_timezone": N_("hourly needs a whole-hour timezone"),
    "mv.interval_monthly_hourly": N_("the interval is monthly or hourly"),
    "mv.json_list": N_("a JSON list"),
    "mv.m_v_plan_has_no": N_("the M&V plan has no meters"),
    "mv.measurement_boundary_invalid": N_("the measurement boundary is invalid"),
    "mv.measurement_invalid": N_("the measurement is invalid"),
    "mv.measurement_sent_as_multipart_form": N_(
        "a measurement is sent as multipart/form-data with its evidence files"
    ),
    "mv.measurements_entered_for_plan_s": N_(
        "measurements are entered for the plan's option A meters"
    ),
    "mv.meter_not_baseline": N_("the meter is not in the baseline"),
    "mv.meter_weather_data_changed_since": N_(
        "the meter or weather data changed since this draft was computed: revise it to recompute before submitting"
    ),
    "mv.missing": N_("missing"),
    "mv.monthly_hourly": N_("monthly or hourly"),
    "mv.must_after_baseline_start": N_("must be after baseline_start"),
    "mv.new_version_approved_baseline_needs": N_(
        "a new version of an approved baseline needs a reason"
    ),
    "mv.no_rows": N_("no rows"),
    "mv.none_approved": N_("none approved"),
    "mv.not_baseline": N_("not in baseline"),
    "mv.not_option_d_meter_m": N_("not an option D meter of the M&V plan"),
    "mv.not_option_meter_m_v": N_("not an option A meter of the M&V plan"),
    "mv.only_contracting_parties_act_project": N_(
        "only the contracting parties act on a project's M&V"
    ),
    "mv.operating_hours_per_day_h": N_("operating_hours_per_day (h/d) is required for option A"),
    "mv.option_needs_stipulated_operating_hours": N_(
        "option A needs the stipulated operating hours per day (h/d) with their source"
    ),
    "mv.period_ends_before_starts": N_("the end of the period must be after its start"),
    "mv.period_invalid": N_("the period is invalid"),
    "mv.period_whole_months": N_(
        "A reporting period is whole calendar months, from the first day of a month to the last"
        " day of a month, as the plan's reporting frequency counts them."
    ),
    "mv.month_boundary": N_("must be the first day of a month (the last day: the end of a month)"),
    "mv.project_has_no_approved_baseline": N_("the project has no approved baseline yet"),
    "mv.project_not_signed": N_(
        "the project is %(state)s: M&V reports start once both parties have signed the contract"
    ),
    "mv.project_not_signed_field": N_("the contract is not signed yet"),
    "mv.baseline_open_events": N_(
        "%(n)s suspected non-routine event(s) in the baseline period (the first from "
        "%(first)s) are still open: dismiss them or turn them into adjustments on the savings "
        "watch page, then approve"
    ),
    "mv.decide_open_events": N_("decide on the open events first"),
    "mv.project_has_no_contract_savings": N_(
        "the project has no contract: savings cannot be valued"
    ),
    "mv.proposal_invalid": N_("the proposal is invalid"),
    "mv.rejection_needs_comment": N_("a rejection needs a comment"),
    "mv.report_exists_for_period": N_("a report exists for this period"),
    "mv.reporting_period_has_not_ended": N_("the reporting period has not ended yet"),
    "mv.reporting_period_lies_outside_contract": N_(
        "the reporting period lies outside the contract term"
    ),
    "mv.reporting_period_starts_inside_baseline": N_(
        "the reporting period starts inside the baseline period"
    ),
    "mv.required_baseline_has_approved_version": N_(
        "required: the baseline has an approved version"
    ),
    "mv.revise_disputed_report": N_("revise the disputed report"),
    "mv.revision_needs_reason": N_("a revision needs a reason"),
    "mv.send_multipart_form_data_with": N_("send multipart/form-data with files"),
    "mv.separation_duties_only_project_s": N_(
        "separation of duties: only the project's contracted ESCO proposes baselines and submits M&V reports"
    ),
    "mv.separation_duties_only_project_s_2": N_(
        "separation of duties: only the project's institution approves baselines and accepts M&V reports"
    ),
    "mv.series_not_json_list": N_("series is not a JSON list"),
    "mv.simulation_results_invalid_nothing_was": N_(
        "the simulation results are invalid: nothing was stored"
    ),
    "mv.simulation_results_uploaded_for_plan": N_(
        "simulation results are uploaded for the plan's option D meters"
    ),
    "mv.taken": N_("taken"),
    "mv.too_many_files": N_("too many files"),
    "mv.unknown_meter": N_("unknown meter"),
    "mv.write_m_v_plan_first": N_("write the M&V plan first"),
    "programme.bad_window": N_("bad window"),
    "programme.choose_xlsx_file": N_("choose an XLSX file"),
    "programme.empty_sheet": N_("empty sheet"),
    "programme.enter_at_least_one_carrier": N_("enter at least one carrier"),
    "programme.first_sheet_empty": N_("the first sheet is empty"),
    "programme.invalid_energy_statistics": N_("invalid energy statistics"),
    "programme.invalid_filter": N_("invalid filter"),
    "programme.invalid_target": N_("invalid target"),
    "programme.must_not_before_start_year": N_("must not be before start_year"),
    "programme.no_buildings": N_("no buildings"),
    "programme.no_consumption_given": N_("no consumption given"),
    "programme.no_data_rows": N_("no data rows"),
    "programme.no_meter_readings": N_("no meter readings"),
    "programme.not_permitted_programme_statistics": N_("not permitted: programme statistics"),
    "programme.not_xlsx_file": N_("not an XLSX file"),
    "programme.not_your_region": N_("not in your region"),
    "programme.only_institution_enters_energy_statistics": N_(
        "only an institution enters its energy statistics"
    ),
    "programme.region_outside_your_area": N_("region outside your area"),
    "programme.register_buildings_floor_area_first": N_("register the buildings' floor area first"),
    "programme.sheet_has_no_data_rows": N_("the sheet has no data rows"),
    "programme.sheet_lacks_required_columns": N_("the sheet lacks required columns"),
    "programme.stale_reload_retry": N_("stale: reload and retry"),
    "programme.stat_has_invalid_fields": N_("the statistics have invalid fields"),
    "programme.target_below_what_already_allocates": N_(
        "the target is below what it already allocates"
    ),
    "programme.target_region_metric_already_covers": N_(
        "a target of this region and metric already covers these years"
    ),
    "programme.target_was_changed_meanwhile": N_("the target was changed meanwhile"),
    "programme.target_was_set_by_higher": N_("this target was set by a higher-level agency"),
    "programme.unknown_division_code": N_("unknown division code"),
    "programme.unknown_region": N_("unknown region"),
    "programme.unreadable_workbook": N_("unreadable workbook"),
    "programme.upload_xlsx_workbook": N_("upload an .xlsx workbook"),
    "programme.year_between": N_("must be a year from %(first)s to %(last)s"),
    "schemas.no_such_record": N_("no such record"),
    "watch.already_decided": N_("already decided"),
    "watch.baseline_period_event": N_("baseline-period event"),
    "watch.dismissal_needs_reason": N_("a dismissal needs a reason"),
    "watch.event_baseline_period_not_report": N_(
        "an event in the baseline period is not a report adjustment: propose a new baseline version (for example on a period without it) or dismiss the event"
    ),
    "watch.event_changed_since_you_saw": N_("the event changed since you saw it: reload the page"),
    "watch.no_draft_m_v_report": N_(
        "no draft M&V report covers the event yet: draft the report of its period first"
    ),
    "watch.no_draft_report_covers_event": N_("no draft report covers the event"),
    "watch.no_such_date": N_("no such date"),
    "watch.no_such_month": N_("no such month"),
    "watch.only_institution_sets_own_warning": N_(
        "only the institution sets its own warning share"
    ),
    "watch.only_project_s_institution_records": N_(
        "only the project's institution records its contract's watch terms"
    ),
    "watch.reason_required": N_("a reason is required"),
    "watch.stale": N_("stale"),
    "watch.warning_already_acknowledged": N_("the warning is already acknowledged"),
    "watch.watch_has_not_run_for": N_("the watch has not run for this project yet"),
    # Converted from the services' sentences.
    "finance.beyond_contract_term": N_("is beyond the contract term"),
    "finance.estimate_given_twice_for_carrier": N_(
        "estimate given twice for this carrier and year"
    ),
    "finance.estimate_given_twice_for_carrier_2": N_(
        "estimate given twice for this carrier and period"
    ),
    "finance.expected_exactly_one_finance_lease": N_(
        "expected exactly one finance lease component"
    ),
    "finance.hybrid_contract_needs_at_least": N_("a hybrid contract needs at least two components"),
    "finance.must_after_period_start": N_("must be after the period start"),
    "finance.must_after_segment_start": N_("must be after the segment start"),
    "finance.must_contract_year_term": N_("must be a contract year of the term"),
    "finance.must_contracttype": N_("must be a ContractType"),
    "finance.must_costkind": N_("must be a CostKind"),
    "finance.must_date": N_("must be a date"),
    "finance.must_decimal": N_("must be a Decimal"),
    "finance.must_fall_within_contract_term": N_("must fall within the contract term"),
    "finance.whole_fen": N_("must be in whole fen (at most 2 decimal places)"),
    "finance.minimum_above_cap": N_("must not exceed the annual cap"),
    "finance.must_period_or_contract_year": N_("must be period or contract_year"),
    "finance.must_floor_carry_contract_year": N_(
        "must be floor, carry_contract_year or carry_term"
    ),
    "finance.must_greater_than_0_at": N_("must be greater than 0 and at most 1"),
    "finance.must_greater_than_1": N_("must be greater than -1"),
    "finance.must_institution_esco": N_("must be institution or esco"),
    "finance.must_less_than_principal": N_("must be less than the principal"),
    "finance.must_non_empty_tuple": N_("must be a non-empty tuple"),
    "finance.must_not_contain_part_line": N_("must not contain ':' (it is part of line keys)"),
    "finance.must_not_exceed_contract_term": N_("must not exceed the contract term"),
    "finance.must_paymentfrequency": N_("must be a PaymentFrequency"),
    "finance.must_period_contract_year": N_("must be period or contract_year"),
    "finance.must_positive": N_("must be positive"),
    "finance.must_text_at_most_200": N_("must be text of at most 200 characters"),
    "finance.must_true_false": N_("must be true or false"),
    "finance.must_tuple": N_("must be a tuple"),
    "finance.must_within_0_term_years": N_("must be within 0..term_years"),
    "finance.not_start_payment_period": N_("is not the start of a payment period"),
    "finance.period_must_lie_within_contract": N_("the period must lie within the contract term"),
    "finance.period_start_end_must_dates": N_("period start and end must be dates"),
    "finance.segment_must_lie_within_period": N_("the segment must lie within the period"),
    "finance.shared_savings_needs_contract_price": N_(
        "shared savings needs a contract price for every savings carrier"
    ),
    "finance.start_end_must_dates": N_("start and end must be dates"),
    # Written by hand from the services' f-strings (params named).
    "audit.ecm_not_selectable": N_(
        "Measure %(ecm)s is %(state)s or already in a project and cannot be selected."
    ),
    "audit.ecm_wrong_state": N_("A measure that is %(state)s cannot become %(target)s."),
    "audit.newer_version": N_("This audit already has a newer version (%(version)s)."),
    "audit.not_editable": N_("An audit that is %(state)s cannot be changed."),
    "audit.only_submitted_reviewed": N_(
        "Only a submitted audit is reviewed; this one is %(state)s."
    ),
    "auth.region_exists": N_("Region %(code)s already exists."),
    "auth.unknown_region": N_("Unknown region code %(code)s."),
    "contracts.adjustment_invalid": N_("The custody fee adjustment is invalid."),
    "contracts.adjustment_needs_custody": N_(
        "Custody fee adjustments apply only to contracts with an energy-cost custody component."
    ),
    "contracts.adjustments_no_longer_fit": N_(
        "The agreed custody fee adjustments no longer fit the contract terms: %(problem)s"
    ),
    "contracts.changed_since_adjustment": N_(
        "The contract has changed since this adjustment was proposed (%(problem)s): propose it"
        " again."
    ),
    "contracts.custody_not_adjustable": N_(
        "The custody fee of a project that is %(state)s cannot be adjusted."
    ),
    "contracts.date_order": N_(
        "%(later)s (%(later_date)s) cannot be before %(earlier)s (%(earlier_date)s)."
    ),
    "contracts.mv_result_invalid": N_("The M&V result does not fit the contract."),
    "contracts.not_amendable": N_("The contract of a project that is %(state)s cannot be amended."),
    "contracts.payment_not_recorded": N_("The payment cannot be recorded."),
    "contracts.project_wrong_state": N_("A project that is %(state)s cannot become %(target)s."),
    "contracts.propose_amendment_again": N_("%(problem)s: propose the amendment again."),
    "contracts.proposed_same_moment": N_(
        "Another %(what)s was proposed for this contract at the same moment; nothing was saved."
        " Reload the page and propose again."
    ),
    "contracts.reference_used": N_(
        "Reference %(reference)s is already used by adjustment %(number)s."
    ),
    "contracts.repriced_twice": N_("%(carrier)s is repriced twice."),
    "contracts.results_not_settled": N_(
        "The accepted M&V results cannot be settled together: %(problem)s"
    ),
    "contracts.segments_invalid": N_("The savings segments are invalid."),
    "contracts.step_needs": N_("To %(action)s the project, %(field)s is required."),
    "contracts.terms_no_longer_fit_adjustments": N_(
        "The terms no longer fit the agreed custody fee adjustments."
    ),
    "contracts.terms_stale": N_(
        "The contract terms have changed since you opened them (you saw version %(seen)s; it is"
        " now version %(version)s). Reload the page and make your change again."
    ),
    "contracts.terms_unreadable": N_("The contract terms cannot be read."),
    "contracts.unknown_action": N_("Unknown project action %(action)s."),
    "facilities.correction_invalid": N_(
        "The correction of emission factor #%(factor)s is invalid."
    ),
    "facilities.factor_superseded": N_(
        "Emission factor #%(factor)s was already corrected by #%(later)s: correct #%(later)s instead."
    ),
    "facilities.fixed_once_readings": N_("cannot change once readings are stored"),
    "facilities.mapping_invalid": N_("The column mapping is invalid: %(problem)s"),
    "facilities.meter_has_readings": N_(
        "The meter has %(count)s readings stored in %(unit)s; its unit, kind and interval cannot"
        " change (create a new meter instead)."
    ),
    "facilities.site_in_boundary": N_(
        "The M&V boundary of the project holds meters of this site (%(meters)s); remove them"
        " from the plan first."
    ),
    "facilities.station_exists": N_("Weather station %(code)s already exists."),
    "facilities.temperatures_overlap": N_(
        "%(file)s overlaps %(count)s stored temperatures of station %(station)s; import with"
        " “replace” to overwrite them."
    ),
    "file.problems": N_("The file has %(count)s problems; nothing was imported."),
    "workbook.cell_problem": N_(
        "%(sheet)s row %(row)s, column %(column)s (%(title)s): %(message)s"
    ),
    "workbook.too_long": N_("at most %(n)s characters"),
    "workbook.not_a_number": N_("must be a number, not %(value)s"),
    "workbook.negative": N_("must be a number not below zero"),
    "workbook.unknown_value": N_("unknown value %(value)s"),
    "workbook.header": N_("the header must be %(title)s"),
    "workbook.month_format": N_("must be a month like 2024-01, not %(value)s"),
    "workbook.outside_period": N_("%(month)s is outside the base period %(start)s to %(end)s"),
    "workbook.required_with_saving": N_("required with an annual energy saving"),
    "file.problems_in": N_("%(file)s has %(count)s problems; nothing was imported."),
    "file.too_large": N_("%(file)s is larger than %(mb)s MB."),
    "mv.adjustment_immutable": N_(
        "This adjustment belongs to an accepted report and cannot be changed."
    ),
    "mv.baseline_decided": N_("Baseline version %(version)s is %(state)s."),
    "mv.baseline_frozen": N_(
        "This baseline is approved and frozen: propose a new version with a reason."
    ),
    "mv.baseline_frozen_version": N_(
        "Baseline version %(version)s is %(state)s and frozen: changes are new versions with a"
        " reason."
    ),
    "mv.frozen": N_("frozen"),
    "mv.immutable": N_("cannot be changed"),
    "mv.no_price": N_("The contract has no price for %(carrier)s: savings cannot be valued."),
    "mv.not_proposed": N_("%(state)s, not proposed"),
    "mv.boundary_not_project_meter": N_("not a meter of the project's sites"),
    "mv.boundary_listed_twice": N_("listed twice"),
    "mv.plan_meter_gone": N_("Meter %(meter)s of the M&V plan no longer exists."),
    "mv.plan_stale": N_(
        "The M&V plan has changed since you opened it (you saw version %(seen)s; it is now"
        " version %(version)s). Reload the page."
    ),
    "mv.report_accepted_immutable": N_(
        "An accepted report cannot be changed (%(action)s): changes are new versions."
    ),
    "mv.report_covers_period": N_(
        "A report (%(start)s – %(end)s, %(state)s) already covers this period."
    ),
    "mv.report_disputed_revise": N_("The report of this period is disputed: revise it instead."),
    "mv.report_immutable": N_("This M&V report is accepted and cannot be changed."),
    "mv.report_wrong_state": N_(
        "A report that is %(state)s cannot be given the action “%(action)s”."
    ),
    "mv.series_length": N_("The series needs one value per reporting day (%(days)s values)."),
    "facilities.factor_duplicate": N_(
        "The same emission factor is already stored (#%(factor)s); stored factors are never"
        " changed: correct it instead."
    ),
    "file.problem_in": N_("%(file)s: %(problem)s"),
    "mv.hourly_needs_interval": N_(
        "Meter %(meter)s: the hourly method needs an interval meter whose interval divides an hour."
    ),
    "mv.hourly_whole_hour_zone": N_(
        "The site's time zone %(zone)s changes to an offset that is not a whole hour: hourly M&V"
        " needs whole-hour offsets."
    ),
    "mv.method_not_fitted": N_(
        "Baselines are fitted from stored data for the daily, billing, hourly and stipulated"
        " methods; the plan's method is %(method)s."
    ),
    "mv.option_not_computed": N_(
        "Meter %(meter)s: option %(option)s is not computed from stored data (options B and C are)."
    ),
    "mv.option_d_needs_simulation": N_("Meter %(meter)s: option D needs its simulation results."),
    "mv.option_a_stipulated": N_(
        "Meter %(meter)s: option A goes with the stipulated method, and the stipulated method"
        " with option A."
    ),
    "mv.insufficient_data": N_("Meter %(meter)s: the baseline data are insufficient: %(problem)s"),
    "mv.meter_problem": N_("Meter %(meter)s: %(problem)s"),
    "mv.hourly_insufficient": N_(
        "Meter %(meter)s: the baseline data are insufficient: fewer than 90 %% of the hours of a"
        " month have use and temperature."
    ),
    "mv.option_a_kwh": N_(
        "Meter %(meter)s: option A is computed in kWh; the meter reads %(unit)s."
    ),
    "mv.stipulated_unit": N_("The stipulated %(name)s must be in %(unit)s, not %(given)s."),
    "mv.stipulated_implausible": N_("A stipulated value is not plausible; see the row named."),
    "mv.stipulated_between": N_("must be from %(low)s to %(high)s %(unit)s"),
    "mv.stipulated_positive_hours": N_("must be more than 0 and at most 24 h/d"),
    "mv.stipulated_in_unit": N_("must be in %(unit)s"),
    "mv.stipulated_twice": N_("is stipulated twice"),
    "mv.no_metered_day": N_("Meter %(meter)s: no metered baseline day to measure the demand."),
    "mv.simulation_lacks": N_(
        "The simulated baseline has no value for %(period)s (%(count)s reporting periods lack one)."
    ),
    "mv.line_unit": N_("Line %(line)s: the unit is %(unit)s, the meter reads %(meter_unit)s."),
    "mv.period_repeated": N_("%(period)s is repeated."),
    "mv.line_problem": N_("Line %(line)s: %(problem)s"),
    "mv.simulation_columns": N_(
        "%(file)s, row %(row)s: the header needs the columns period and value (missing:"
        " %(missing)s)."
    ),
    "mv.boundary_meters": N_(
        "Choose at least one meter for the measurement boundary (at most 50)."
    ),
    "mv.missing_usage_days": N_("%(meter)s: no usage data %(first)s to %(last)s"),
    "mv.missing_usage_day": N_("%(meter)s: no usage data on %(day)s"),
    "mv.missing_temperature_days": N_("%(meter)s: no temperature data %(first)s to %(last)s"),
    "mv.missing_temperature_day": N_("%(meter)s: no temperature data on %(day)s"),
    "mv.missing_more": N_("and %(count)s more"),
    "mv.report_insufficient": N_(
        "The report's period has insufficient data (CalTRACK sufficiency): upload the missing"
        " days and recompute before submitting. %(days)s"
    ),
    "programme.allocations_exceed": N_("The allocations of %(parent)s would exceed its target."),
    "watch.event_already": N_("The event is already %(state)s."),
    "contracts.reference_room": N_("too long: at most %(room)s characters here"),
    "contracts.terms_invalid": N_("The contract terms are invalid."),
    "contracts.consent_required": N_(
        "The project is signed: these fields change only through a contract amendment that"
        " both parties agree."
    ),
    "contracts.consent_required_field": N_(
        "a signed project changes this only through an amendment both parties agree"
    ),
    "file.problem_nothing_imported": N_(
        "%(file)s: %(count)s problem, nothing was imported. %(first)s"
    ),
    "file.problems_nothing_imported": N_(
        "%(file)s: %(count)s problems, nothing was imported. %(first)s"
    ),
    "facilities.unknown_time_zone_named": N_("unknown IANA time zone %(zone)s"),
    "file.at_most_files": N_("at most %(count)s files"),
    "field.on_or_after": N_("on or after %(date)s"),
    "field.within": N_("within %(start)s – %(end)s"),
    "file.missing_columns": N_("missing columns: %(columns)s"),
    "programme.no_readings_in": N_("no meter readings in %(year)s"),
    "programme.children_exceed": N_(
        "sub-regions are allocated %(allocated)s in total, more than %(target)s"
    ),
    "programme.overlaps_target": N_("overlaps target %(target)s"),
    # A meter file's problems, by the reader's code (emc.facilities.ingest), from the params it
    # gives (``cell`` as quoted, ``other_row`` …).
    "ingest.missing_timestamp": N_("the time is empty"),
    "ingest.bad_timestamp": N_("%(cell)s is not a valid date and time"),
    "ingest.nonexistent_time": N_("%(cell)s does not exist in the site's time zone"),
    "ingest.missing_value": N_("the value is empty"),
    "ingest.bad_value": N_("%(cell)s is not a number"),
    "ingest.non_finite": N_("%(cell)s is not a finite number"),
    "ingest.negative_value": N_("%(cell)s is negative; consumption cannot be negative"),
    "ingest.bad_quality": N_("%(cell)s is not a reading quality (实测, 估算 or 替换)"),
    "ingest.duplicate": N_("%(cell)s repeats the time of row %(other_row)s"),
    "ingest.out_of_order": N_(
        "%(cell)s is earlier than row %(other_row)s; rows must be in ascending time order"
    ),
    "ingest.register_decrease": N_(
        "reading %(cell)s is lower than the reading in row %(other_row)s; if the meter was"
        " replaced, mark this row as replaced; if the register rolled over, set the meter's"
        " rollover value"
    ),
    "ingest.off_grid": N_("%(cell)s is not on the %(minutes)s-minute grid"),
    "ingest.no_header": N_(
        "no header row with recognised columns in the first %(rows)s rows (first row:"
        " %(first_row)s): map the columns"
    ),
    "ingest.missing_column": N_("no %(role)s column"),
    "ingest.empty_file": N_("the file has no rows"),
    "ingest.encoding": N_("the file is not valid text near row %(near)s; save it as UTF-8 or GBK"),
    "ingest.too_many_errors": N_("stopped after %(count)s problems; fix these and upload again"),
    "ingest.unsupported_file": N_(
        "legacy .xls workbooks are not supported; save the file as .xlsx or CSV"
    ),
    "ingest.unreadable_file": N_("the file cannot be read (%(detail)s)"),
    "ingest.sheet_not_found": N_("there is no sheet %(sheet)s (sheets: %(sheets)s)"),
    "ingest.bad_column_map": N_("the column map gives “%(header)s” an unknown role: %(given)s"),
    "ingest.format_mismatch": N_(
        "the columns are those of a meter of kind “%(looks)s”, but this meter's kind is"
        " “%(kind)s”: it needs the columns %(needs)s"
    ),
    "ingest.bad_unit": N_("%(unit)s is not a unit of this meter's carrier"),
    "ingest.overlap": N_(
        "the period %(start)s to %(end)s overlaps the bill in row %(other_row)s (which ends "
        "%(other_end)s local time, exclusive)"
    ),
    "ingest.implausible_value": N_(
        "%(cell)s is not a plausible reading (the limit is %(limit)s %(unit)s)"
    ),
    "ingest.date_only": N_(
        "%(cell)s has no time of day; a %(minutes)s-minute meter needs the start time of each "
        "interval"
    ),
    # Warnings (the import goes ahead): gaps and notes on rows.
    "ingest.gaps": N_("%(count)s missing %(what)s in %(gaps)s gap(s) (local time: %(ranges)s)"),
    "ingest.ambiguous_time": N_(
        "rows %(rows)s: local times that occur twice (clocks set back) were read as the first "
        "occurrence unless the row order showed the second"
    ),
    "ingest.rollover": N_("rows %(rows)s: the register rolled over"),
    "ingest.meter_replaced": N_(
        "rows %(rows)s: meter replaced; no consumption is attributed across the replacement"
    ),
    "ingest.inclusive_ends": N_(
        "rows %(rows)s: bills follow each other the day after the previous end date, so end "
        "dates were read as inclusive (each bill covers its end date)"
    ),
    "ingest.skipped_rows": N_("rows %(rows)s above the header were skipped"),
    "ingest.ignored_columns": N_("columns %(columns)s were ignored"),
    "ingest.upload_expired": N_("the checked file is no longer kept: choose the file again"),
    "ingest.mapping_blank_header": N_("a mapped column has no header text in the header row"),
    "ingest.mapping_unknown_role": N_("%(role)s is not a column role for this meter"),
    "ingest.mapping_repeated_role": N_("“%(other)s” and “%(column)s” are both mapped to %(role)s"),
    "ingest.mapping_missing_role": N_("no column is mapped to %(role)s"),
    "ingest.mapping_bad_unit": N_("%(unit)s is not a unit of this meter (%(meter_unit)s)"),
    "ingest.bad_period": N_("the end %(end)s is not after the start %(start)s"),
    "ingest.short_period": N_("the period %(start)s to %(end)s is shorter than one day"),
    "ingest.reading_exceeds_rollover": N_(
        "reading %(cell)s is not below the register's rollover value %(rollover)s"
    ),
    "ingest.duplicate_column": N_("“%(other)s” and “%(header)s” both name the %(role)s column"),
    "ingest.unit_conflict": N_(
        "the header says %(found)s but the upload was declared in %(given)s"
    ),
    "ingest.too_many_rows": N_(
        "more than %(rows)s data rows (the limit for one upload); split the file"
    ),
    # Facilities fixes (facfix): sites, units of carriers, money places, readings uploads.
    "facilities.unknown_region_code": N_(
        "Region code %(code)s is not in the platform's list of regions: choose a region from the"
        " list (a platform administrator adds a missing one)."
    ),
    "facilities.not_a_time_zone": N_(
        "%(zone)s is not an IANA time zone name: use a name such as Asia/Shanghai (mainland China)."
    ),
    "energy.unit_not_for_carrier": N_(
        "the unit %(unit)s does not fit %(carrier)s (accepted: %(accepted)s)"
    ),
    "energy.unknown_unit": N_("unknown unit '%(unit)s' (known: %(known)s)"),
    "field.decimal_places": N_("at most %(places)s decimal places"),
    "readings.overlap": N_(
        "The upload (%(start)s to %(end)s, %(zone)s) overlaps %(count)s stored readings from"
        " %(first)s to %(last)s: upload it again with “replace” ticked to overwrite them."
    ),
    "calendars.header_must_name_columns": N_("the header must name the columns %(columns)s"),
    "ingest.binary_file": N_(
        "the file is not a CSV text file or an XLSX workbook: choose the readings saved as CSV"
        " (UTF-8 or GBK) or XLSX"
    ),
    # Form fixes (formfix): refused input of the statistics, names, terms and users forms.
    "programme.negative_consumption": N_("consumption cannot be negative"),
    "programme.floor_area_not_positive": N_("must be more than 0 m²"),
    "programme.not_negative": N_("must not be negative"),
    "schemas.blank": N_("must not be blank"),
    "finance.decimal_as_string": N_("must be a number written as a string"),
    "finance.date_iso": N_("must be a date YYYY-MM-DD"),
    "finance.not_a_choice": N_("not one of the allowed values"),
    "finance.must_text": N_("must be text"),
    "finance.must_object": N_("must be an object"),
    "finance.must_list": N_("must be a list"),
    "finance.unknown_field": N_("unknown field"),
    "finance.unsupported_format": N_("unsupported terms format %(format)s"),
    "auth.role_not_for_kind": N_("this role is not available in this kind of organisation"),
    # marshmallow's built-in validation messages (see VALIDATION_PATTERNS below).
    "validation.range_ge_le": N_(
        "Must be greater than or equal to %(min)s and less than or equal to %(max)s."
    ),
    "validation.range_ge_lt": N_("Must be greater than or equal to %(min)s and less than %(max)s."),
    "validation.range_gt_le": N_("Must be greater than %(min)s and less than or equal to %(max)s."),
    "validation.range_gt_lt": N_("Must be greater than %(min)s and less than %(max)s."),
    "validation.range_ge": N_("Must be greater than or equal to %(min)s."),
    "validation.range_gt": N_("Must be greater than %(min)s."),
    "validation.range_le": N_("Must be less than or equal to %(max)s."),
    "validation.range_lt": N_("Must be less than %(max)s."),
    "validation.length_between": N_("Length must be between %(min)s and %(max)s."),
    "validation.length_equal": N_("Length must be %(equal)s."),
    "validation.length_max": N_("Longer than maximum length %(max)s."),
    "validation.length_min": N_("Shorter than minimum length %(min)s."),
    "validation.equal": N_("Must be equal to %(other)s."),
    # The choices are values (codes such as programme_officer): never shown to a reader.
    "validation.one_of": N_("not one of the allowed values"),
    "validation.contains_only": N_("not one of the allowed values"),
    "validation.contains_none_of": N_("not one of the allowed values"),
    # Web pages for API writes (targets, audit measures, regions).
    "programme.overlaps_target_named": N_(
        "overlaps the target of %(region)s for %(start_year)s–%(end_year)s"
    ),
    "programme.allocations_total_exceed": N_(
        "allocations total %(total)s, more than the parent target %(target)s"
    ),
    # Forms' own checks (the contracts' JSON editor, the programme's region codes).
    "contracts.not_json": N_("not valid JSON: check line %(line)s, column %(column)s"),
    "programme.division_code": N_("must be a 6-digit division code"),
    # M&V fixes (mvfix): bill meters, sufficiency rules said once, adjustments named.
    "mv.insufficient_data_rules": N_(
        "Meter %(meter)s: the baseline data do not meet the CalTRACK data sufficiency rules"
    ),
    "mv.bill_meter_needs_billing_method": N_(
        "Meter %(meter)s is read by bills: its baseline is fitted on its bill periods with the"
        " “%(method)s” method; the daily and hourly methods need daily or interval readings"
    ),
    "mv.bills_need_billing_method": N_("a meter read by bills needs the “%(method)s” method"),
    "mv.adjustment_not_agreed": N_(
        "the adjustment “%(reason)s” of meter %(meter)s is not yet agreed by both parties"
    ),
    # Facilities fixes (fix4): buildings' year, meters' interval.
    "facilities.year_built_range": N_(
        "Year built must be a year from %(first)s to %(last)s, not %(year)s"
    ),
    "facilities.interval_divides_day": N_(
        "Interval (minutes) must divide a day into whole intervals (15, 30, 60 or 1440 for daily"
        " readings…), not %(minutes)s"
    ),
    # Contracts fixes (fix5): signing dates, dates named in their order.
    "contracts.signing_date_after_today": N_(
        "The signing date %(date)s is after today (%(today)s): a contract cannot be signed in"
        " the future."
    ),
    "contracts.not_after_today": N_("cannot be after today (%(today)s)"),
    "contracts.not_before_date": N_("cannot be before %(earlier)s (%(date)s)"),
}

# marshmallow formats its built-in validation messages before they reach us ("Must be greater
# than or equal to 1 and less than or equal to 30."), so no catalog entry can match them. Each
# pattern below is the English marshmallow formats, with its values as %(name)s; a message that
# matches one is the catalogue sentence of that code with the values as params
# (:func:`validation_text`). Longer patterns first: "greater than or equal to" before
# "greater than".
VALIDATION_PATTERNS: dict[str, str] = {
    "validation.range_ge_le": CATALOGUE["validation.range_ge_le"],
    "validation.range_ge_lt": CATALOGUE["validation.range_ge_lt"],
    "validation.range_gt_le": CATALOGUE["validation.range_gt_le"],
    "validation.range_gt_lt": CATALOGUE["validation.range_gt_lt"],
    "validation.range_ge": CATALOGUE["validation.range_ge"],
    "validation.range_gt": CATALOGUE["validation.range_gt"],
    "validation.range_le": CATALOGUE["validation.range_le"],
    "validation.range_lt": CATALOGUE["validation.range_lt"],
    "validation.length_between": CATALOGUE["validation.length_between"],
    "validation.length_equal": CATALOGUE["validation.length_equal"],
    "validation.length_max": CATALOGUE["validation.length_max"],
    "validation.length_min": CATALOGUE["validation.length_min"],
    "validation.equal": CATALOGUE["validation.equal"],
    "validation.one_of": "Must be one of: %(choices)s.",
    "validation.contains_only": "One or more of the choices you made was not in: %(choices)s.",
    "validation.contains_none_of": "One or more of the choices you made was in: %(values)s.",
}
_VALIDATION_STARTS = ("Must be ", "Length must be ", "Longer than ", "Shorter than ", "One or ")
_validation_regexes: list[tuple[str, re.Pattern[str]]] = []


def validation_text(message: str) -> Text | None:
    """A formatted marshmallow validation message as a catalogue :class:`Text` (its values as
    params), or None if ``message`` is not one of :data:`VALIDATION_PATTERNS`."""
    if isinstance(message, Text) and message.code or not message.startswith(_VALIDATION_STARTS):
        return None
    if not _validation_regexes:
        for code, pattern in VALIDATION_PATTERNS.items():
            parts = re.split(r"%\((\w+)\)s", pattern)
            regex = "".join(
                re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                for i, part in enumerate(parts)
            )
            _validation_regexes.append((code, re.compile(regex)))
    for code, regex in _validation_regexes:
        if m := regex.fullmatch(message):
            return Text(str(message), code, m.groupdict())
    return None
