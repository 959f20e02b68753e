"""Term calendars: an institution's terms, vacations and exam weeks (CSV/XLSX upload), shared
with the schools of its city, and the calendar each site follows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import IO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from emc import journal
from emc.auth.actor import Actor
from emc.auth.models import OrgKind
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.calendars.models import (
    SiteTermCalendar,
    TermCalendar,
    TermPeriod,
    TermPeriodKind,
)
from emc.errors import Invalid, NotFound
from emc.facilities.models import Site
from emc.messages import msg, record

TEMPLATE_HEADER = ("kind", "start_date", "end_date", "name")
# The Chinese template's headers and kind words (file format words, read back like the English
# ones): the template a Chinese page offers, and what a school's secretary may type.
TEMPLATE_HEADER_ZH = ("类型", "开始日期", "结束日期", "名称")
# A kind cell that is none of the words (a msgid: the calendar pages translate row problems).
KIND_PROBLEM = "must be 学期, 考试 or 假期 (or term, exam, vacation)"
_KIND_WORDS_ZH = {
    TermPeriodKind.TERM: "学期",
    TermPeriodKind.EXAM: "考试",
    TermPeriodKind.VACATION: "假期",
}


_HEADER_ALIASES = {
    "类型": "kind",
    "开始日期": "start_date",
    "结束日期": "end_date",
    "名称": "name",
    "kind": "kind",
    "start_date": "start_date",
    "end_date": "end_date",
    "name": "name",
}


_KIND_ALIASES = {
    "term": TermPeriodKind.TERM,
    "学期": TermPeriodKind.TERM,
    "vacation": TermPeriodKind.VACATION,
    "假期": TermPeriodKind.VACATION,
    "寒假": TermPeriodKind.VACATION,
    "暑假": TermPeriodKind.VACATION,
    "exam": TermPeriodKind.EXAM,
    "考试": TermPeriodKind.EXAM,
    "考试周": TermPeriodKind.EXAM,
}


MAX_FILE_BYTES = 1_000_000


def city_of(region_code: str) -> str:
    """GB/T 2260 city code of a region code (a province code stays a province)."""
    return region_code[:4] + "00"


def term_calendar_query(actor: Actor):
    """Term calendars ``actor`` may see: its organisation's, the shared ones of its city, and
    (platform, agencies) all or those of its region subtree."""
    q = select(TermCalendar)
    if actor.is_platform_admin:
        return q
    if actor.org_kind is OrgKind.AGENCY:
        return q.where(TermCalendar.city_code.startswith(actor.region_code.rstrip("0")[:4]))
    return q.where(
        or_(
            TermCalendar.organization_id == actor.organization_id,
            (TermCalendar.shared.is_(True))
            & (TermCalendar.city_code == city_of(actor.region_code)),
        )
    )


def load_term_calendar(session: Session, actor: Actor, calendar_id: int) -> TermCalendar:
    """One visible term calendar with its periods, or NotFound."""
    row = session.scalars(
        term_calendar_query(actor)
        .where(TermCalendar.id == calendar_id)
        .options(selectinload(TermCalendar.periods))
    ).one_or_none()
    if row is None:
        raise NotFound(msg("not_found", what=record("TermCalendar"), id=calendar_id))
    return row


def _own_calendar(session: Session, actor: Actor, calendar_id: int) -> TermCalendar:
    require(actor, Permission.CALENDARS_TERMS_MANAGE)
    row = load_term_calendar(session, actor, calendar_id)
    if row.organization_id != actor.organization_id:
        # A shared calendar of another school: usable, not editable.
        raise NotFound(msg("not_found", what=record("TermCalendar"), id=calendar_id))
    return row


def read_periods(
    stream: IO[bytes], filename: str
) -> list[tuple[TermPeriodKind, dt.date, dt.date, str]]:
    """Rows of a term-calendar CSV or XLSX (the template's columns; end date inclusive) as
    ``(kind, start, end_exclusive, name)``.

    Raises:
        Invalid: under ``file``, naming the row and column of every problem.
    """
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise Invalid(
            msg("calendars.file_too_large"), fields={"file": [msg("calendars.at_most_1_mb")]}
        )
    if filename.lower().endswith(".xlsx"):
        import openpyxl  # only XLSX uploads pay for it

        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many types for bad files
            raise Invalid(
                msg("calendars.not_readable_xlsx_file"),
                fields={"file": [msg("calendars.save_again_excel")]},
            ) from None
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(
                msg("calendars.not_utf_8_csv_file"),
                fields={"file": [msg("calendars.save_as_utf_8_csv")]},
            ) from None
        rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        raise Invalid(msg("calendars.file_empty"), fields={"file": [msg("mv.no_rows")]})
    header = [_HEADER_ALIASES.get(str(c or "").strip().lower()) for c in rows[0]]
    missing = [c for c in TEMPLATE_HEADER[:3] if c not in header]
    if missing:
        raise Invalid(
            msg(
                "calendars.header_must_name_columns",
                columns="类型、开始日期、结束日期 (kind, start_date, end_date)",
            ),
            fields={"file": [f"row 1, column {c}: missing column" for c in missing]},
        )
    col = {name: header.index(name) for name in TEMPLATE_HEADER if name in header}
    problems, out, rows_kept = [], [], []

    def cell(r, name):
        i = col.get(name)
        return r[i] if i is not None and i < len(r) else None

    def as_date(v):
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        return dt.date.fromisoformat(str(v).strip())

    for n, r in enumerate(rows[1:], start=2):
        kind = _KIND_ALIASES.get(str(cell(r, "kind") or "").strip().lower())
        if kind is None:
            problems.append(f"row {n}, column kind: {KIND_PROBLEM}")
            continue
        try:
            start = as_date(cell(r, "start_date"))
        except (TypeError, ValueError):
            problems.append(f"row {n}, column start_date: not a date (YYYY-MM-DD)")
            continue
        try:
            last = as_date(cell(r, "end_date"))
        except (TypeError, ValueError):
            problems.append(f"row {n}, column end_date: not a date (YYYY-MM-DD)")
            continue
        if last < start:
            problems.append(f"row {n}, column end_date: before the start date")
            continue
        out.append((kind, start, last + dt.timedelta(days=1), str(cell(r, "name") or "")[:100]))
        rows_kept.append((n, out[-1]))
    vac = sorted((s, e, n) for n, (k, s, e, _) in rows_kept if k is TermPeriodKind.VACATION)
    for (_s1, e1, _n1), (s2, _e2, n2) in zip(vac, vac[1:], strict=False):
        if s2 < e1:
            problems.append(f"row {n2}, column start_date: overlaps another vacation")
    if problems:
        raise Invalid(msg("calendars.calendar_file_has_errors"), fields={"file": problems})
    return out


def create_term_calendar(
    session: Session, actor: Actor, *, name: str, shared: bool = False
) -> TermCalendar:
    """A new, empty term calendar of the actor's institution.

    Raises:
        Forbidden: not an institution's admin or energy manager. Invalid: blank or duplicate
        name (``name``).
    """
    require(actor, Permission.CALENDARS_TERMS_MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid(
            msg("calendars.name_required"), fields={"name": [msg("calendars.1_200_characters")]}
        )
    dup = session.scalar(
        select(TermCalendar.id).where(
            TermCalendar.organization_id == actor.organization_id, TermCalendar.name == name
        )
    )
    if dup:
        raise Invalid(
            msg("calendars.calendar_with_name_exists"),
            fields={"name": [msg("calendars.already_used")]},
        )
    row = TermCalendar(
        organization_id=actor.organization_id,
        name=name,
        shared=bool(shared),
        city_code=city_of(actor.region_code),
    )
    journal.add_created(
        session,
        actor,
        row,
        fields=("name", "shared", "city_code"),
        organization_id=row.organization_id,
    )
    return row


def set_shared(session: Session, actor: Actor, calendar_id: int, shared: bool) -> TermCalendar:
    """Share a calendar with the city's schools, or stop sharing it."""
    row = _own_calendar(session, actor, calendar_id)
    before = {"shared": row.shared}
    row.shared = bool(shared)
    session.flush()
    journal.record(
        session,
        actor,
        "term_calendar.share",
        row,
        organization_id=row.organization_id,
        before=before,
        after={"shared": row.shared},
    )
    return row


def replace_periods(
    session: Session, actor: Actor, calendar_id: int, stream: IO[bytes], filename: str
) -> TermCalendar:
    """Replace a calendar's periods with a file's rows (all or nothing).

    Raises:
        Forbidden / NotFound: not the owner's manager. Invalid: the file's problems (``file``).
    """
    row = _own_calendar(session, actor, calendar_id)
    periods = read_periods(stream, filename)
    before = [(p.kind.value, str(p.start_date), str(p.end_date)) for p in row.periods]
    for p in list(row.periods):
        session.delete(p)
    session.flush()
    for kind, start, end, name in periods:
        session.add(
            TermPeriod(
                term_calendar_id=row.id, kind=kind, start_date=start, end_date=end, name=name
            )
        )
    session.flush()
    session.expire(row, ["periods"])
    journal.record(
        session,
        actor,
        "term_calendar.periods",
        row,
        organization_id=row.organization_id,
        before={"periods": before},
        after={"periods": [(k.value, str(s), str(e)) for k, s, e, _ in periods]},
        summary=f"{len(periods)} periods from {filename}",
    )
    return row


def assign_site(
    session: Session, actor: Actor, site_id: int, calendar_id: int | None
) -> SiteTermCalendar | None:
    """Make a site follow a visible term calendar (``None``: no term calendar).

    Raises:
        Forbidden: may not manage calendars. NotFound: site not the actor's, calendar invisible.
    """
    require(actor, Permission.CALENDARS_TERMS_MANAGE)
    site = load(session, actor, Site, site_id)
    if site.organization_id != actor.organization_id and not actor.is_platform_admin:
        raise NotFound(msg("not_found", what=record("Site"), id=site_id))
    current = session.get(SiteTermCalendar, site.id)
    before = {"term_calendar_id": current.term_calendar_id if current else None}
    if calendar_id is None:
        if current is not None:
            session.delete(current)
        out = None
    else:
        cal = load_term_calendar(session, actor, calendar_id)
        if current is None:
            current = SiteTermCalendar(site_id=site.id, term_calendar_id=cal.id)
            session.add(current)
        else:
            current.term_calendar_id = cal.id
        out = current
    session.flush()
    journal.record(
        session,
        actor,
        "site.term_calendar",
        site,
        organization_id=site.organization_id,
        before=before,
        after={"term_calendar_id": calendar_id},
    )
    return out


def sites_using(session: Session, calendar_id: int) -> list[int]:
    """Ids of the sites that follow a calendar."""
    return list(
        session.scalars(
            select(SiteTermCalendar.site_id).where(SiteTermCalendar.term_calendar_id == calendar_id)
        )
    )


def site_calendar(session: Session, site_id: int) -> TermCalendar | None:
    """The term calendar a site follows, with its periods (the caller has loaded the site)."""
    link = session.get(SiteTermCalendar, site_id)
    if link is None:
        return None
    return session.scalars(
        select(TermCalendar)
        .where(TermCalendar.id == link.term_calendar_id)
        .options(selectinload(TermCalendar.periods))
    ).one()


_TEMPLATE_ROWS = (
    (TermPeriodKind.TERM, "2024-09-01", "2025-01-17", "2024–2025 第一学期"),
    (TermPeriodKind.EXAM, "2025-01-06", "2025-01-17", "期末考试"),
    (TermPeriodKind.VACATION, "2025-01-18", "2025-02-16", "寒假"),
    (TermPeriodKind.TERM, "2025-02-17", "2025-07-04", "2024–2025 第二学期"),
    (TermPeriodKind.VACATION, "2025-07-05", "2025-08-31", "暑假"),
)


def column_title(column: str, *, chinese: bool = True) -> str:
    """A template column's header (``end_date`` → 结束日期, or end_date in English)."""
    if chinese and column in TEMPLATE_HEADER:
        return TEMPLATE_HEADER_ZH[TEMPLATE_HEADER.index(column)]
    return column


def _template_table(chinese: bool):
    # Through the one export helper (emc.exports): BOM, neutralising, typed cells.
    from emc import exports

    def kind(k: TermPeriodKind) -> str:
        return _KIND_WORDS_ZH[k] if chinese else k.value

    return exports.Table(
        columns=[
            exports.Column(title) for title in (TEMPLATE_HEADER_ZH if chinese else TEMPLATE_HEADER)
        ],
        rows=[[kind(k), *rest] for k, *rest in _TEMPLATE_ROWS],
        name="校历" if chinese else "calendar",
        freeze_header=False,
    )


def template_csv(*, chinese: bool = True) -> bytes:
    """The term-calendar template (UTF-8 with BOM so that Excel opens it in Chinese): Chinese
    headers and kind words (学期, 考试, 假期), or the English ones; uploads take either."""
    from emc import exports

    return exports.csv_bytes(_template_table(chinese))


def template_xlsx(*, chinese: bool = True) -> bytes:
    """The same template as an XLSX workbook (sheet 校历, or calendar)."""
    from emc import exports

    return exports.xlsx_bytes([_template_table(chinese)])
