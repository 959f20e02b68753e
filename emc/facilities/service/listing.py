"""The paginated lists of the facilities pages: sites, buildings, meters, a meter's uploads.

Every list starts from the policy's scoped query (another tenant's rows never appear), filters,
searches names (and addresses, serial numbers) case-insensitively, counts, and returns one page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.models import User
from emc.auth.policy import load, scoped
from emc.energy import Carrier
from emc.facilities.models import Building, Meter, MeterReading, ReadingUpload, Site
from emc.paging import Page, paginate

T = TypeVar("T")

__all__ = [
    "Page",
    "building_page",
    "meter_counts",
    "meter_page",
    "reading_stats",
    "site_names",
    "site_page",
    "upload_page",
]

PER_PAGE = 25


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _search(q: str | None, *columns) -> Any:
    text = (q or "").strip()
    if not text:
        return None
    pattern = _like(text)
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


def _paginate(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    # The one pagination of every list page (emc.paging), bounded per page.
    per_page = min(max(1, int(per_page or PER_PAGE)), 200)
    return paginate(session, stmt, int(page or 1), per_page)


def site_page(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    organization_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    sort: str = "institution",
    descending: bool = False,
) -> Page:
    """The sites the actor sees, by institution and name (or by ``sort`` = ``name``, in
    ``descending`` order when asked); ``q`` searches name and address."""
    stmt = scoped(actor, Site)
    if (cond := _search(q, Site.name, Site.address)) is not None:
        stmt = stmt.where(cond)
    if organization_id is not None:
        stmt = stmt.where(Site.organization_id == organization_id)
    keys = (Site.name, Site.id) if sort == "name" else (Site.organization_id, Site.name, Site.id)
    order = [k.desc() for k in keys] if descending else list(keys)
    return _paginate(session, stmt.order_by(*order), page, per_page)


def building_page(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    site_id: int | None = None,
    building_type: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """The buildings the actor sees, by site and name; ``q`` searches the name."""
    stmt = scoped(actor, Building)
    if (cond := _search(q, Building.name)) is not None:
        stmt = stmt.where(cond)
    if site_id is not None:
        stmt = stmt.where(Building.site_id == site_id)
    if building_type:
        stmt = stmt.where(Building.building_type == building_type)
    return _paginate(session, stmt.order_by(Building.site_id, Building.name), page, per_page)


_CARRIERS = frozenset(c.value for c in Carrier)


def meter_page(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    site_id: int | None = None,
    carrier: str | None = None,
    status: str = "active",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """The meters the actor sees, by site and name; ``q`` searches name and serial number;
    ``status`` ``active`` (default), ``retired`` or ``all``. A carrier emc does not know (a
    hand-edited link) filters nothing, as the other list pages drop values they do not offer."""
    stmt = scoped(actor, Meter)
    if (cond := _search(q, Meter.name, Meter.serial_number)) is not None:
        stmt = stmt.where(cond)
    if site_id is not None:
        stmt = stmt.where(Meter.site_id == site_id)
    if carrier in _CARRIERS:
        stmt = stmt.where(Meter.carrier == carrier)
    if status == "active":
        stmt = stmt.where(Meter.retired_at.is_(None))
    elif status == "retired":
        stmt = stmt.where(Meter.retired_at.is_not(None))
    return _paginate(session, stmt.order_by(Meter.site_id, Meter.name), page, per_page)


def reading_stats(session: Session, meter_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """``meter_id → (count, first start, last start)`` of stored readings (callers pass ids of
    meters they loaded through the policy)."""
    if not meter_ids:
        return {}
    return {
        meter_id: (n, first, last)
        for meter_id, n, first, last in session.execute(
            select(
                MeterReading.meter_id,
                func.count(),
                func.min(MeterReading.start_ts),
                func.max(MeterReading.start_ts),
            )
            .where(MeterReading.meter_id.in_(meter_ids))
            .group_by(MeterReading.meter_id)
        )
    }


@dataclass(frozen=True)
class UploadRow:
    """An upload with the name of the user who sent it (None: a job or a deleted user)."""

    upload: ReadingUpload
    uploader: str | None
    uploader_email: str | None


def upload_page(
    session: Session, actor: Actor, meter_id: int, *, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """A visible meter's uploads, newest first, each with who sent it (NotFound otherwise)."""
    meter = load(session, actor, Meter, meter_id)
    base = (
        select(ReadingUpload)
        .where(ReadingUpload.meter_id == meter.id)
        .order_by(ReadingUpload.id.desc())
    )
    found = _paginate(session, base, page, per_page)
    user_ids = {u.uploaded_by_user_id for u in found.items if u.uploaded_by_user_id}
    users = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    rows = [
        UploadRow(
            u,
            users[u.uploaded_by_user_id].display_name if u.uploaded_by_user_id in users else None,
            users[u.uploaded_by_user_id].email if u.uploaded_by_user_id in users else None,
        )
        for u in found.items
    ]
    return Page(rows, found.total, found.page, found.per_page)


def meter_counts(session: Session, site_ids: list[int]) -> dict[int, int]:
    """``site_id → number of meters in service`` (callers pass ids of sites they loaded)."""
    if not site_ids:
        return {}
    return dict(
        session.execute(
            select(Meter.site_id, func.count())
            .where(Meter.site_id.in_(site_ids), Meter.retired_at.is_(None))
            .group_by(Meter.site_id)
        ).all()
    )


def site_names(session: Session, actor: Actor) -> dict[int, str]:
    """``site_id → name`` of every site the actor sees (the site filter of the lists)."""
    return {s.id: s.name for s in session.scalars(scoped(actor, Site).order_by(Site.name))}
