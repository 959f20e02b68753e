"""The one registry of what every stored enum value is called: enum class → value → English
msgid, translated per reader (pages: the ``label`` Jinja filter of :mod:`emc.web.labels`; PDFs
and exports: :func:`emc.i18n.translate`). A template never prints a raw value.

The domain tables that already existed (contracts, audits, carriers) are reused as they are, so a
value reads the same on the page, in the workbook and on paper. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from emc.audit.models import AuditStatus, ConsumptionSource, EcmCategory, EcmStatus, QuotaBasis
from emc.audit.service import labels as audit_labels
from emc.auth.models import OrgKind, RegionLevel, Role, Sector
from emc.calendars.models import StatutoryKind, TermPeriodKind
from emc.contracts import finance
from emc.contracts import labels as contract_labels
from emc.contracts.models import (
    AmendmentStatus,
    CustodyAdjustmentKind,
    Investor,
    LineStatus,
    ProjectStatus,
)
from emc.energy import Carrier, FactorKind, FactorScope
from emc.energy_labels import CARRIER_LABELS
from emc.facilities.ingest.model import MeterKind, Quality
from emc.facilities.models import BuildingType, ClimateZone, UploadStatus
from emc.i18n import N_
from emc.mv import models as mv
from emc.programme.models import Metric, StatSource
from emc.programme.stats import CountReason
from emc.watch.models import EventScope, EventStatus, MissingDaysPolicy, WarningKind

#: enum class → {stored value: English msgid}. A test checks that every member of every enum
#: here has a label with a Chinese translation.
ENUM_LABELS: dict[type[Enum], Mapping[str, str]] = {
    # auth
    OrgKind: {
        "institution": N_("Public institution"),
        "esco": N_("ESCO"),
        "auditor": N_("Audit body"),
        "agency": N_("Agency"),
        "platform": N_("Platform"),
    },
    Sector: {
        "government": N_("Government office"),
        "school": N_("School"),
        "hospital": N_("Hospital"),
        "culture_sports": N_("Culture & sports"),
        "other": N_("Other"),
    },
    Role: {
        "admin": N_("Administrator"),
        "energy_manager": N_("Energy manager"),
        "finance": N_("Finance"),
        "viewer": N_("Viewer"),
        "engineer": N_("Engineer"),
        "auditor": N_("Auditor"),
        "programme_officer": N_("Programme officer"),
    },
    RegionLevel: {
        "national": N_("National"),
        "province": N_("Province"),
        "city": N_("City"),
        "county": N_("County"),
    },
    # energy
    Carrier: {c.value: m for c, m in CARRIER_LABELS.items()},
    FactorKind: {"tce": N_("Standard coal (tce)"), "co2": N_("CO2")},
    FactorScope: {
        "national": N_("National"),
        "regional": N_("Regional grid"),
        "provincial": N_("Provincial grid"),
        "fuel": N_("Fuel"),
    },
    # facilities
    BuildingType: {k.value: m for k, m in audit_labels.BUILDING_TYPE_LABELS.items()},
    ClimateZone: {
        "severe_cold": N_("Severe cold"),
        "cold": N_("Cold"),
        "hot_summer_cold_winter": N_("Hot summer, cold winter"),
        "hot_summer_warm_winter": N_("Hot summer, warm winter"),
        "mild": N_("Mild"),
    },
    MeterKind: {
        "interval": N_("Interval meter"),
        "billing": N_("Billing periods"),
        "register": N_("Register (cumulative)"),
    },
    Quality: {"measured": N_("Measured"), "estimated": N_("Estimated"), "replaced": N_("Replaced")},
    UploadStatus: {"applied": N_("Applied"), "superseded": N_("Superseded")},
    # audits
    AuditStatus: {k.value: m for k, m in audit_labels.STATUS_LABELS.items()},
    EcmStatus: {k.value: m for k, m in audit_labels.ECM_STATUS_LABELS.items()},
    EcmCategory: audit_labels.CATEGORY_LABELS,
    ConsumptionSource: {"meter": N_("Meter readings"), "bill": N_("Bills")},
    QuotaBasis: {"per_area": N_("Per m² of floor area"), "per_person": N_("Per person")},
    # contracts
    ProjectStatus: contract_labels.PROJECT_STATUS,
    finance.ContractType: contract_labels.CONTRACT_TYPE,
    finance.LineKind: contract_labels.LINE_KIND,
    finance.Party: contract_labels.PARTY,
    finance.LineSource: contract_labels.LINE_SOURCE,
    finance.PaymentFrequency: contract_labels.FREQUENCY,
    LineStatus: contract_labels.LINE_STATUS,
    Investor: contract_labels.INVESTOR,
    AmendmentStatus: {
        "proposed": N_("Awaiting agreement"),
        "agreed": N_("Agreed by both parties"),
        "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"),
    },
    CustodyAdjustmentKind: {"floor_area": N_("Floor area"), "energy_price": N_("Energy price")},
    finance.Reconciliation: {
        "period": N_("Per M&V period"),
        "contract_year": N_("Per contract year"),
    },
    finance.NegativeSavings: {
        "floor": N_("Floored at zero"),
        "carry_contract_year": N_("Carried forward within the contract year"),
        "carry_term": N_("Carried forward over the whole term"),
    },
    finance.CostParty: {"institution": N_("Institution"), "esco": N_("ESCO")},
    finance.CostKind: {
        "operation_maintenance": N_("Operation and maintenance"),
        "mv_fee": N_("M&V fees"),
        "insurance": N_("Insurance"),
        "monitoring": N_("Energy monitoring"),
        "other": N_("Other"),
    },
    # M&V
    mv.IpmvpOption: {
        "A": N_("Option A"),
        "B": N_("Option B"),
        "C": N_("Option C"),
        "D": N_("Option D"),
    },
    mv.MvMethod: {
        "daily": N_("Daily regression"),
        "billing": N_("Billing-period regression"),
        "hourly": N_("Hourly (TOWT)"),
        "stipulated": N_("Stipulated"),
    },
    mv.BaselineModelKind: {"classic": N_("Classic model"), "day_types": N_("Day-type model")},
    mv.ReportingFrequency: {
        "monthly": N_("Monthly"),
        "quarterly": N_("Quarterly"),
        "annual": N_("Annual"),
    },
    mv.BaselineStatus: {
        "proposed": N_("Proposed"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
        "superseded": N_("Superseded"),
    },
    mv.ReportStatus: {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "accepted": N_("Accepted"),
        "disputed": N_("Disputed"),
        "superseded": N_("Superseded"),
    },
    mv.Party: {"esco": N_("ESCO"), "institution": N_("Institution")},
    mv.MeasuredParameter: {
        "baseline_demand_kw": N_("Baseline demand (kW)"),
        "reporting_demand_kw": N_("Reporting-period demand (kW)"),
    },
    # programme
    Metric: {
        "projects": N_("Signed EMC projects"),
        "energy_intensity": N_("Energy per m² reduction"),
        "co2_intensity": N_("CO2 per m² reduction"),
    },
    StatSource: {"entered": N_("Entered"), "imported": N_("Imported"), "meters": N_("From meters")},
    CountReason: {
        "counted": N_("Counted"),
        "not_signed": N_("Not signed"),
        "terminated_before_operation": N_("Terminated before operation"),
    },
    # calendars
    StatutoryKind: {"holiday": N_("Public holiday"), "makeup_workday": N_("Make-up workday")},
    TermPeriodKind: {"term": N_("Term"), "vacation": N_("Vacation"), "exam": N_("Exam weeks")},
    # savings watch
    EventScope: {"baseline": N_("Baseline period"), "reporting": N_("Reporting period")},
    EventStatus: {
        "open": N_("Awaiting a decision"),
        "dismissed": N_("Dismissed"),
        "converted": N_("Converted into an adjustment"),
    },
    WarningKind: {"shortfall": N_("Savings shortfall"), "quota": N_("Energy quota")},
    MissingDaysPolicy: {
        "fill_agreed": N_("Filled by an agreed method"),
        "unpaid": N_("Left unpaid"),
    },
}

# Stored words that are not enum members: how a payment line's savings were valued.
VALUE_LABELS = {
    "segments": N_("Month by month (or day by day) within the period"),
    "year_fraction": N_("By the period's share of the contract year"),
}

# The M&V plan's stipulated values that the engine knows by name (Option A); any other name is
# the user's own and shown as typed.
STIPULATED_LABELS = {
    "operating_hours_per_day": N_("Operating hours per day"),
    "reporting_operating_hours_per_day": N_("Reporting-period operating hours per day"),
    "baseline_demand_kw": N_("Baseline demand (kW)"),
    "reporting_demand_kw": N_("Reporting-period demand (kW)"),
    "interactive_factor": N_("Interactive effects factor"),
    # The month's hours in an Option A breakdown (emc.mv.engine.options.option_a_savings).
    "operating_hours": N_("Operating hours in the month (h)"),
    "reporting_operating_hours": N_("Reporting-period operating hours in the month (h)"),
}

# The baseline model forms the M&V engine chooses among (emc.mv.engine.daily.FORMS, and the
# hourly TOWT form), and the schemas of the models that have no form (options A and D).
MODEL_FORM_LABELS = {
    "intercept_only": N_("Intercept only (no temperature term)"),
    "hdd_only": N_("Heating degree-day regression (HDD)"),
    "cdd_only": N_("Cooling degree-day regression (CDD)"),
    "hdd_cdd": N_("Heating and cooling degree-day regression (HDD + CDD)"),
    "towt": N_("Hourly (TOWT)"),
    "emc.mv.hourly_towt": N_("Hourly (TOWT)"),
    "emc.mv.option_a": N_("Option A (stipulated)"),
    "emc.mv.option_d": N_("Option D (calibrated simulation)"),
}

# The variants of a conversion factor (emc.energy: 当量值/等价值 of electricity's tce, the
# national-average and carbon-market grid CO2 factors).
FACTOR_VARIANT_LABELS = {
    "calorific": N_("Calorific value (当量值)"),
    "generation": N_("Generation equivalent (等价值)"),
    "national_average": N_("National average grid factor"),
    "carbon_market": N_("Carbon-market grid factor"),
}

_BY_NAME = {cls.__name__: table for cls, table in ENUM_LABELS.items()}
_BY_NAME["FactorVariant"] = FACTOR_VARIANT_LABELS
_BY_NAME["StipulatedParameter"] = STIPULATED_LABELS
_BY_NAME["ModelForm"] = MODEL_FORM_LABELS
# A bare stored string (a journal snapshot, a JSON document) is looked up across every table;
# the first table registered wins where two enums share a value.
_BY_VALUE: dict[str, str] = {}
for _table in ENUM_LABELS.values():
    for _value, _msgid in _table.items():
        _BY_VALUE.setdefault(_value, _msgid)
for _value, _msgid in VALUE_LABELS.items():
    _BY_VALUE.setdefault(_value, _msgid)


def msgid(value: object, kind: type[Enum] | str | None = None) -> str | None:
    """The English msgid of an enum ``value`` (a member, or its stored string with ``kind`` the
    enum class or its name to tell apart values two enums share); None when unknown (with a
    ``kind``, unknown to that enum: a contract component's own name is not a type)."""
    if value is None:
        return None
    if isinstance(value, Enum) and kind is None:
        kind = type(value)
    key = str(getattr(value, "value", value))
    if kind is not None:
        table = ENUM_LABELS.get(kind) if isinstance(kind, type) else _BY_NAME.get(kind)
        if table is not None:
            return table.get(key)
    return _BY_VALUE.get(key)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def period(start: Any, end: Any) -> str:
    """A half-open period ``[start, end)`` as people read one: its first and last day
    ("2024-12-01 – 2024-12-31" for December). Stored periods keep the exclusive end."""
    if isinstance(start, str):
        start = dt.date.fromisoformat(start) if _ISO_DATE.match(start) else start
    if isinstance(end, str):
        end = dt.date.fromisoformat(end) if _ISO_DATE.match(end) else end
    is_day = isinstance(end, dt.date) and not isinstance(end, dt.datetime)
    if is_day and (not isinstance(start, dt.date) or end > start):
        end = end - dt.timedelta(days=1)
    return f"{start} – {end}"


def last_day_period(start: dt.date, end: dt.date) -> dict[str, str]:
    """``{"start", "end"}`` of a half-open period ``[start, end)`` for a message that reads
    "%(start)s to %(end)s": its first and last day, as :func:`period` shows it."""
    return {"start": start.isoformat(), "end": (end - dt.timedelta(days=1)).isoformat()}


def percent(value: Any) -> str:
    """A stored fraction ("0.02") as the number people read as a percentage ("2"), exactly."""
    try:
        return f"{Decimal(str(value)).scaleb(2).normalize():f}"
    except InvalidOperation:
        return str(value)


# How Option A derives a demand from its meter (emc.mv.service.compute.option_a writes these
# sentences, in English, into the stored model); :func:`derivation` reads them back in the
# reader's language.
DERIVED_DEMAND = N_(
    "meter %(meter)s: %(kwh)s kWh over %(days)s days / (%(hours)s h/d × %(days)s d)"
)
NO_METERED_DAY = N_("meter %(meter)s: no metered day")
# The savings formula the engine stores with each Option A month (OptionASavings.formula).
OPTION_A_FORMULA = N_(
    "(baseline demand × baseline hours − reporting demand × reporting hours)"
    " × (1 + interactive effects factor)"
)
_DERIVATIONS = (
    (
        re.compile(
            r"^meter (?P<meter>.+): (?P<kwh>\S+) kWh over (?P<days>\d+) days"
            r" / \((?P<hours>\S+) h/d × \d+ d\)$"
        ),
        DERIVED_DEMAND,
    ),
    (re.compile(r"^meter (?P<meter>.+): no metered day$"), NO_METERED_DAY),
    (
        re.compile(
            re.escape("(baseline_kw × baseline_h − reporting_kw × reporting_h) × (1 + interactive)")
            + "$"
        ),
        OPTION_A_FORMULA,
    ),
)


# Where a stored factor's figures were transcribed from (a code repository, at a commit): kept
# in the database for traceability, not shown to readers beside the publisher's own document.
_REPOSITORY_PART = re.compile(r"(^|\s)[\w.-]+/[\w.-]+\s.*\(commit [0-9a-f]{6,40}\)")
_COMMIT = re.compile(r"\s*\(commit [0-9a-f]{6,40}\)")


def factor_source(source: str | None) -> str:
    """A factor's source as readers see it: the publisher and document (and its address), without
    the repository the figures were transcribed from; a source that is only that repository is
    shown without its commit."""
    parts = [p.strip() for p in re.split(r";\s*", source or "") if p.strip()]
    human = [p for p in parts if not _REPOSITORY_PART.search(p)]
    if human:
        return "; ".join(human)
    return "; ".join(_COMMIT.sub("", p) for p in parts)


def model_form(model: Mapping[str, Any], translate: Any) -> str:
    """A stored baseline model's form (``hdd_cdd`` …, or its schema where it has none) in the
    reader's language (``translate``: gettext of the page or the document); "—" if unknown."""
    for key in (model.get("schema"), model.get("form")):
        if key in MODEL_FORM_LABELS:
            return translate(MODEL_FORM_LABELS[key])
    return "—"


def derivation(text: str | None, translate: Any) -> str:
    """An Option A derivation sentence or savings formula in the reader's language
    (``translate``: gettext of the page or the document); any other text (a measurement's own
    method) as it is."""
    for pattern, message in _DERIVATIONS:
        match = pattern.match(text or "")
        if match:
            return translate(message) % match.groupdict()
    return text or ""


# A failed G14 criterion of an M&V report's verdict, with the limit it missed.
_G14_FAILURES = {
    "cvrmse": N_("CV(RMSE) above %(limit)s"),
    "nmbe": N_("NMBE beyond ±%(limit)s"),
    "fsu": N_("savings uncertainty (FSU, 68 %% confidence) not below %(limit)s"),
}


def verdict_failures(verdict: Mapping[str, Any] | None, translate: Any) -> str:
    """The criteria a failed G14 verdict missed, each with its limit, in the reader's language
    ("FSU … not below 50 %"); "" for a pass or a verdict without data. ``translate``: gettext
    or a PDF's ``t`` (msgid → text)."""
    verdict = verdict or {}
    if verdict.get("passed") or verdict.get("status") == "insufficient_data":
        return ""
    # A report's verdict holds each meter's checks and limits; a baseline's, its own.
    entries = [verdict, *(m for m in verdict.get("meters") or [] if isinstance(m, Mapping))]
    limits = {"cvrmse": "cvrmse_limit", "nmbe": "nmbe_limit", "fsu": "fsu_limit"}
    said: list[str] = []
    for key, text in _G14_FAILURES.items():
        for entry in entries:
            if (entry.get("checks") or {}).get(key) is not False:
                continue
            limit = next(
                (e.get(limits[key]) for e in entries if e.get(limits[key]) is not None), None
            )
            line = translate(text) % {"limit": "—" if limit is None else f"{percent(limit)} %"}
            if line not in said:
                said.append(line)
    return translate("; ").join(said)
