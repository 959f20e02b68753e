"""Checking an upload of readings without importing it (the meter page's "check" button and the
API's ``dry_run=true``).

A preview runs exactly what an import runs before it writes: the same access checks, the same
pure reader (:func:`emc.facilities.ingest.read_readings`, so every parse and validation rule and
unit conversion is the import's), the same same-file lookup and the same overlap query over the
upload's ``[first, last)``. It writes nothing — no readings, no upload record, no journal entry —
because it never calls the store's writers: the reader is pure and the two queries are SELECTs.
What would be refused is reported as data (``problems``, ``overlap``), not raised, so the user
sees every problem at once and then uploads for real.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.facilities import store
from emc.facilities.ingest import Code, IngestError, MeterKind, read_readings
from emc.facilities.models import Meter, ReadingUpload, Site, UploadStatus
from emc.facilities.service import rights
from emc.facilities.service.mapping import saved_map
from emc.facilities.service.sites import meter_spec
from emc.facilities.service.uploads import (
    MAX_ROWS_PER_UPLOAD,
    UNKNOWN_HEADER_CODES,
    ProblemText,
    file_problem_key,
    hashed_stream,
    problem_text,
    rows_as_file,
)

#: How many parsed rows a preview shows.
SAMPLE_ROWS = 20


@dataclass(frozen=True)
class PreviewRow:
    """One parsed reading: ``[start, end)`` aware, in the site's zone; ``value`` in the meter's
    unit (converted, multiplier applied)."""

    start: dt.datetime
    end: dt.datetime
    value: float
    quality: str


@dataclass(frozen=True)
class Gap:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class UploadPreview:
    """What an import of the file would do.

    ``ok``: it would be applied (no problems, and no overlap or ``replace``). ``rows``: readings
    parsed; ``first``/``last`` bound them (half-open; instants aware in the site's zone). ``source_unit`` is the unit found
    in the file (or given), converted to the meter's ``unit``. ``sample`` the first
    :data:`SAMPLE_ROWS` readings. ``problems`` every problem keyed ``row 17, column 时间`` (or
    ``rows[3].start`` for JSON rows), as the import would report them. ``overlap`` the stored
    readings overlapping the upload (count, first, last) or None; ``already_imported`` the id of
    the applied upload of the same file (the import would change nothing).
    """

    meter: Meter
    site: Site
    filename: str
    sha256: str
    replace: bool
    rows: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    unit: str = ""
    source_unit: str | None = None
    sample: tuple[PreviewRow, ...] = ()
    gaps: tuple[Gap, ...] = ()
    gap_count: int = 0
    warnings: tuple[str, ...] = ()
    problems: dict[str, list[str]] = field(default_factory=dict)
    overlap: dict[str, Any] | None = None
    already_imported: int | None = None
    #: Why the upload would be refused although the file is fine: it reaches into a period an
    #: approved baseline or accepted report froze (:mod:`.rights`); a ``FrozenReadings``.
    frozen: Any = None
    codes: frozenset[str] = frozenset()

    @property
    def needs_mapping(self) -> bool:
        """The columns were not recognised: the user should map them (the mapping page)."""
        return bool(self.codes & UNKNOWN_HEADER_CODES)

    @property
    def converted(self) -> bool:
        """Whether values were converted from another unit to the meter's."""
        return self.source_unit not in (None, "", self.unit)

    @property
    def ok(self) -> bool:
        return not self.problems and self.frozen is None and (self.overlap is None or self.replace)

    @property
    def status(self) -> str:
        """``unchanged`` (same file already applied), ``ok``, ``overlap``, ``frozen`` or
        ``invalid``."""
        if self.already_imported is not None:
            return "unchanged"
        if self.problems:
            return "invalid"
        if self.frozen is not None:
            return "frozen"
        return "ok" if self.ok else "overlap"


def preview_readings(
    session: Session,
    actor: Actor,
    meter_id: int,
    stream: IO[bytes],
    *,
    filename: str,
    fmt: str | None = None,
    unit: str | None = None,
    replace: bool = False,
    max_rows: int | None = MAX_ROWS_PER_UPLOAD,
    max_bytes: int | None = None,
    _problem_key=file_problem_key,
) -> UploadPreview:
    """Parse and check a readings file as :func:`~.readings.import_readings` would, writing
    nothing (see the module). Arguments as for the import.

    Raises:
        NotFound: meter not visible. Forbidden: may not import. UploadTooLarge: over
            ``max_bytes``. (File problems and overlaps are returned, not raised.)
    """
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    rights.check_writer(session, actor, meter)
    site = session.get(Site, meter.site_id)
    zone = ZoneInfo(site.timezone)

    def _at(epoch: int | None) -> dt.datetime | None:
        return None if epoch is None else dt.datetime.fromtimestamp(epoch, zone)

    stream, sha256 = hashed_stream(stream, filename, max_bytes)
    base = {
        "meter": meter,
        "site": site,
        "filename": filename,
        "sha256": sha256,
        "replace": replace,
        "unit": meter.unit,
    }
    if fmt is not None and fmt != MeterKind(meter.kind).value:
        message = f'format "{fmt}" disagrees with the meter\'s kind "{meter.kind.value}"'
        return UploadPreview(**base, problems={"format": [message]})
    already = session.scalar(
        select(ReadingUpload.id)
        .where(
            ReadingUpload.meter_id == meter.id,
            ReadingUpload.sha256 == sha256,
            ReadingUpload.status == UploadStatus.APPLIED,
        )
        .order_by(ReadingUpload.id.desc())
        .limit(1)
    )
    saved = saved_map(session, meter.id)  # the meter's column mapping, if the user saved one
    reader = read_readings(
        stream,
        filename=filename,
        spec=meter_spec(meter, site),
        fmt=fmt,
        unit=unit,
        column_map=saved.columns if saved is not None else None,
        column_map_unit=saved.unit if saved is not None else None,
        max_rows=max_rows,
    )
    step = meter.interval_minutes * 60 if meter.kind is MeterKind.INTERVAL else None
    sample: list[PreviewRow] = []
    problems: dict[str, list[str]] = {}
    codes: set[str] = set()
    try:
        for batch in reader:
            for i in range(min(len(batch), SAMPLE_ROWS - len(sample))):
                start = batch.start[i]
                end = batch.end[i] if batch.end is not None else start + step
                sample.append(PreviewRow(_at(start), _at(end), batch.value[i], batch.quality[i]))
        summary = reader.summary
    except IngestError as error:
        for problem in error.problems:
            codes.add(problem.code)
            problems.setdefault(_problem_key(problem), []).append(problem_text(problem, filename))
        summary = error.summary
    if summary is None:  # a problem before any row was read (no header, unreadable file …)
        return UploadPreview(
            **base, problems=problems, already_imported=already, codes=frozenset(codes)
        )
    if not problems and summary.readings == 0:
        problems["file"] = [f"{filename}: the file has a header but no readings"]
    gaps: list[Gap] = []
    gap_count = 0
    for warning in summary.warnings:
        if warning.code == Code.GAPS.value:
            gap_count += warning.count
            gaps.extend(Gap(_at(lo), _at(hi)) for lo, hi in warning.ranges)
    overlap = frozen = None
    if not problems:
        frozen = rights.frozen_conflict(session, meter, site, summary.first_start, summary.last_end)
    if not problems and summary.first_start is not None and summary.last_end is not None:
        found = store.overlapping(session, meter.id, summary.first_start, summary.last_end, step)
        if found.count:
            overlap = {
                "count": found.count,
                "first": _at(found.first_ts),
                "last": _at(found.last_ts),
            }
    return UploadPreview(
        **base,
        rows=summary.readings,
        first=_at(summary.first_start),
        last=_at(summary.last_end),
        source_unit=summary.source_unit,
        sample=tuple(sample),
        gaps=tuple(gaps),
        gap_count=gap_count,
        warnings=tuple(ProblemText(w.message, w.code, w.params) for w in summary.warnings),
        problems=problems,
        overlap=overlap,
        already_imported=already,
        frozen=frozen,
        codes=frozenset(codes),
    )


def preview_rows(
    session: Session,
    actor: Actor,
    meter_id: int,
    rows: list[dict[str, Any]],
    *,
    replace: bool = False,
) -> UploadPreview:
    """:func:`preview_readings` for JSON rows (as :func:`~.readings.import_rows` takes them);
    problems keyed ``rows[3].start``."""
    meter = load(session, actor, Meter, meter_id)
    payload, key = rows_as_file(meter, rows)
    return preview_readings(
        session, actor, meter_id, payload, filename="rows.json", replace=replace, _problem_key=key
    )
