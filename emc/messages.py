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
    "dismiss": N_("dismiss"),
    "confirm": N_("confirm"),
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
}


CATALOGUE: dict[str, str] = {
    # Records that are missing or hidden (the two are never told apart), and refusals.
    "not_found": N_("The %(what)s does not exist or you may not see it."),
    "not_found.page": N_("This page does not exist."),
    "forbidden": N_("You do not have the right to do this."),
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
        "This %(what)s has changed since you opened it (you saw version %(seen)s; it is now"
        " version %(version)s, %(state)s). Reload the page and check it before you %(action)s"
        " it."
    ),
    "workflow.lost_race": N_(
        "This %(what)s was changed by someone else at the same moment (it is now %(state)s,"
        " version %(version)s). Reload the page and check it before you %(action)s it."
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
    "finance.fraction": N_("must be a share between 0 and 1 (0 % to 100 %)"),
    "finance.not_integer": N_("must be a whole number"),
    "finance.empty_text": N_("must not be empty"),
    "finance.empty_list": N_("must list at least one entry"),
    "finance.beyond_term": N_("is beyond the contract term of %(years)s years"),
    "finance.year_repeated": N_("contract year %(year)s is already covered by another band"),
    "finance.year_uncovered": N_("contract year %(year)s has no band"),
    "finance.no_price": N_("the contract has no price for %(carrier)s"),
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
}
