"""The one way lists are cut into pages, filtered and sorted (every list page uses it).

* :class:`Page` — one page of a longer list and where it sits in the whole;
  :func:`paginate` cuts it out of a SQL query (one ``count`` and one ``LIMIT/OFFSET``),
  :func:`page_of` out of a list already in memory.
* :class:`ListQuery` — what a list page was asked for: free text ``q``, ``status``, ``year``,
  ``type``, ``sort`` column and direction, ``page``. :func:`list_query` reads it from URL
  arguments (any ``Mapping``, so services and tests can use it without Flask), dropping values
  that are not offered rather than failing; ``ListQuery.args()`` writes it back for links.
* :func:`ordered` and :func:`text_filter` apply a query's sort and free text to a ``Select``.

The Jinja side is ``templates/_macros.html``: ``list_filters``, ``list_count``, ``sort_th``
and ``pager``. No Flask here: services may import this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

PER_PAGE = 50
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class Page:
    """One page of a longer list: ``items`` and where they sit in the whole (``total`` rows)."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when the list is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def _clamp(page: int, total: int, per_page: int) -> int:
    return min(max(1, page), max(1, -(-total // per_page)))


def page_of(items: Sequence[Any], page: int, per_page: int = PER_PAGE) -> Page:
    """Cut one page out of a list already in memory (``page`` clamped to the last page)."""
    total = len(items)
    page = _clamp(page, total, per_page)
    start = (page - 1) * per_page
    return Page(list(items[start : start + per_page]), total, page, per_page)


def count_of(session: Session, stmt: Select) -> int:
    """How many rows ``stmt`` selects (its order dropped): the total of a page, here and in the
    API's pager (``emc.web.extensions.QueryPage``)."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def paginate(
    session: Session, stmt: Select, page: int, per_page: int = PER_PAGE, *, scalars: bool = True
) -> Page:
    """One page of ``stmt`` (already filtered and ordered): its rows (or first column's values
    with ``scalars``) and the total count of the whole selection."""
    total = count_of(session, stmt)
    page = _clamp(page, total, per_page)
    window = stmt.offset((page - 1) * per_page).limit(per_page)
    rows = list(session.scalars(window)) if scalars else list(session.execute(window).all())
    return Page(rows, total, page, per_page)


@dataclass(frozen=True)
class ListQuery:
    """What a list page shows. Empty/None means "no filter"; ``sort`` is a key of the page's
    sort table; ``extra`` holds page-specific arguments kept in every link."""

    q: str = ""
    status: str | None = None
    year: int | None = None
    type: str | None = None
    sort: str = ""
    descending: bool = False
    page: int = 1
    default_sort: str = ""
    default_descending: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=())

    def args(self, **override: Any) -> dict[str, Any]:
        """The query as URL arguments (page left out unless overridden); defaults omitted."""
        args: dict[str, Any] = dict(self.extra)
        args.update(
            {
                "q": self.q or None,
                "status": self.status,
                "year": self.year,
                "type": self.type,
                "sort": self.sort if self.sort != self.default_sort else None,
                "dir": (
                    ("desc" if self.descending else "asc")
                    if self.descending != self.default_descending or self.sort != self.default_sort
                    else None
                ),
            }
        )
        args.update(override)
        return {k: v for k, v in args.items() if v is not None and v != ""}

    def sort_args(self, column: str, **keep: Any) -> dict[str, Any]:
        """Arguments of the link on a sortable header: sort by ``column``, ascending first,
        descending when it is already the ascending sort; back to page 1."""
        descending = self.sort == column and not self.descending
        flipped = replace(self, sort=column, descending=descending)
        return {**keep, **flipped.args()}

    def sort_mark(self, column: str) -> str:
        """▲/▼ on the column the list is sorted by, else nothing."""
        if self.sort != column:
            return ""
        return "▼" if self.descending else "▲"

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.year or self.type)


def _int(value: Any, default: int | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def list_query(
    args: Mapping[str, Any],
    *,
    sorts: Iterable[str],
    default_sort: str,
    default_descending: bool = False,
    statuses: Iterable[str] | None = None,
    types: Iterable[str] | None = None,
    keep: Iterable[str] = (),
) -> ListQuery:
    """Read a :class:`ListQuery` from URL arguments. Values the page does not offer (an unknown
    status, type or sort column, a year that is not a year, a page that is not a number) are
    dropped, so a stale or hand-edited link still shows the list. ``keep`` names page-specific
    arguments carried along in every link."""
    sorts = set(sorts)
    sort = args.get("sort") or default_sort
    if sort not in sorts:
        sort = default_sort
    direction = args.get("dir")
    if direction in ("asc", "desc"):
        descending = direction == "desc"
    else:
        descending = default_descending if sort == default_sort else False
    status = args.get("status") or None
    if statuses is not None and status not in set(statuses):
        status = None
    kind = args.get("type") or None
    if types is not None and kind not in set(types):
        kind = None
    year = _int(args.get("year"), None)
    if year is not None and not 1900 <= year <= 2200:
        year = None
    extra = tuple((k, str(args[k])) for k in keep if args.get(k) not in (None, ""))
    return ListQuery(
        q=str(args.get("q") or "").strip()[:MAX_QUERY_CHARS],
        status=status,
        year=year,
        type=kind,
        sort=sort,
        descending=descending,
        page=max(1, _int(args.get("page"), 1) or 1),
        default_sort=default_sort,
        default_descending=default_descending,
        extra=extra,
    )


def ordered(stmt: Select, sorts: Mapping[str, Sequence[Any]], query: ListQuery) -> Select:
    """``stmt`` ordered by the query's sort columns (each descending when asked)."""
    columns = sorts[query.sort]
    return stmt.order_by(*(c.desc() for c in columns) if query.descending else columns)


def like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern matching ``text`` literally anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_filter(stmt: Select, text: str, *columns: Any) -> Select:
    """Rows where any of ``columns`` contains ``text`` (case-insensitive); unchanged if blank."""
    if not text:
        return stmt
    pattern = like_pattern(text)
    return stmt.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))


def year_between(stmt: Select, year: int | None, column: Any) -> Select:
    """Rows whose date ``column`` falls in ``year`` (a range, so an index can serve it)."""
    if year is None:
        return stmt
    return stmt.where(column >= dt.date(year, 1, 1), column < dt.date(year + 1, 1, 1))


def filter_items(
    items: Iterable[Any], query: ListQuery, *, text: Callable[[Any], str]
) -> list[Any]:
    """In-memory free-text filter for lists that are not a single SQL query."""
    needle = query.q.casefold()
    return [i for i in items if not needle or needle in text(i).casefold()]
