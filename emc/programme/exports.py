"""The programme's project list as CSV and XLSX, for agencies: every value a label in the
reader's language (never a stored enum value), the region by name, and each project's verified
savings (tce, tCO2, yuan) from its accepted M&V reports. Written through :mod:`emc.exports`
(typed cells, BOM, CSV-injection rule: institutions name their projects, agencies open them).

Data in, bytes out: rows from :func:`emc.programme.service.iter_projects`, text through
:func:`emc.i18n.translate`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from emc import exports
from emc.contracts import labels as contract_labels
from emc.exports import Column, Kind, Table
from emc.i18n import N_, translate

SECTORS = {
    "government": N_("Government office"),
    "school": N_("School"),
    "hospital": N_("Hospital"),
    "culture_sports": N_("Culture & sports"),
    "other": N_("Other"),
}
COUNT_REASONS = {
    "counted": N_("Counted"),
    "not_signed": N_("Not signed"),
    "terminated_before_operation": N_("Terminated before operation"),
}

# (msgid of the title, row key, kind, width)
COLUMNS = [
    (N_("Project no."), "id", Kind.INTEGER, 10),
    (N_("Project name"), "name", Kind.TEXT, 32),
    (N_("Institution"), "institution", Kind.TEXT, 28),
    (N_("Region"), "region_name", Kind.TEXT, 14),
    (N_("Region code"), "region_code", Kind.TEXT, 10),
    (N_("Sector"), "sector", Kind.TEXT, 14),
    (N_("ESCO"), "esco", Kind.TEXT, 28),
    (N_("Project status"), "status", Kind.TEXT, 12),
    (N_("Contract type"), "contract_type", Kind.TEXT, 16),
    (N_("Signed on"), "signed_on", Kind.DATE, 12),
    (N_("Counts toward the target"), "counted", Kind.TEXT, 10),
    (N_("Year counted"), "count_year", Kind.INTEGER, 10),
    (N_("Counting"), "reason", Kind.TEXT, 18),
    (N_("Total investment (yuan)"), "total_investment", Kind.MONEY, 16),
    (N_("Investor"), "investor", Kind.TEXT, 12),
    (N_("Verified savings (tce)"), "verified_tce", Kind.DECIMAL, 14),
    (N_("Verified CO2 reduction (tCO2)"), "verified_tco2", Kind.DECIMAL, 16),
    (N_("Verified savings value (yuan)"), "verified_value", Kind.MONEY, 16),
]


def _labelled(row: dict[str, Any], t: Callable[[str], str], locale: str) -> list[Any]:
    def lab(table: dict[str, str], value: Any) -> str | None:
        return t(contract_labels.label(table, value)) if value is not None else None

    values = {
        **row,
        "region_name": (row.get("region_name_en") if locale == "en" else None)
        or row.get("region_name_zh"),
        "sector": lab(SECTORS, row.get("sector")),
        "status": lab(contract_labels.PROJECT_STATUS, row.get("status")),
        "contract_type": lab(contract_labels.CONTRACT_TYPE, row.get("contract_type")),
        "counted": t(N_("Yes")) if row.get("counted") else t(N_("No")),
        "reason": lab(COUNT_REASONS, row.get("reason")),
        "investor": lab(contract_labels.INVESTOR, row.get("investor")),
    }
    return [values.get(key) for _t, key, _k, _w in COLUMNS]


def projects_table(rows: Iterable[dict[str, Any]], *, locale: str = "zh_CN") -> Table:
    """The project list as a typed table (rows stay a stream)."""

    def t(message: str) -> str:
        return translate(locale, message)

    def body() -> Iterator[list[Any]]:
        for row in rows:
            yield _labelled(row, t, locale)

    columns = [Column(t(title), kind, width, places=3) for title, _k, kind, width in COLUMNS]
    return Table(columns, body(), name=t(N_("Projects")))


def projects_csv(rows: Iterable[dict[str, Any]], *, locale: str = "zh_CN") -> bytes:
    """The project list as CSV (UTF-8 with a BOM)."""
    return exports.csv_bytes(projects_table(rows, locale=locale))


def projects_xlsx(rows: Iterable[dict[str, Any]], *, locale: str = "zh_CN") -> bytes:
    """The project list as an XLSX workbook (write-only: constant memory for a country)."""
    return exports.xlsx_bytes([projects_table(rows, locale=locale)], write_only=True)
