"""Importing meter readings (one code path for pages, API and CLI), reading them back, export.

An upload is all or nothing. The file is streamed through the pure reader
(:func:`emc.facilities.ingest.read_readings`) and its batches are bulk-written
(:mod:`emc.facilities.store`) inside a SAVEPOINT of the caller's transaction: a problem anywhere
in the file, an overlap with stored readings, or a concurrent duplicate rolls the SAVEPOINT back,
so nothing of the upload remains, and the error names every problem by row and column.

Rules, in order:

1. The meter is loaded through the policy (another tenant's meter is 404), then the actor needs
   ``facilities:readings:import``.
2. The bytes are hashed first. The same file (same SHA-256) already applied to the same meter
   and not superseded since is not imported again: the result says ``unchanged``.
3. Readings overlapping stored ones are refused with the overlapping stored range, unless
   ``replace``: then every stored reading overlapping ``[first, last)`` of the upload is deleted
   and the upload written, atomically, and the journal records what was replaced (count, range
   and a SHA-256 of the replaced rows).
4. Earlier uploads whose range an applied upload overlaps are marked superseded (also without
   ``replace``, when it lands in their gaps), so re-sending one of them is no longer a no-op.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import clock, journal
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, User
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.errors import Conflict, Invalid
from emc.facilities import rollup, store
from emc.facilities.ingest import IngestError, IngestProblem, MeterKind, formats, read_readings
from emc.facilities.ingest.periods import inclusive_ends
from emc.facilities.models import Meter, ReadingUpload, Site, UploadStatus
from emc.facilities.service import rights
from emc.facilities.service.mapping import saved_map
from emc.facilities.service.sites import meter_spec
from emc.facilities.service.uploads import (
    MAX_ROWS_PER_UPLOAD,
    ProblemText,
    file_problem_key,
    hashed_stream,
    ingest_invalid,
    rows_as_file,
)
from emc.i18n import N_
from emc.messages import msg
from emc.notifications.service import notify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadResult:
    """What an import did. ``status`` is ``applied`` or ``unchanged`` (the same file was already
    applied); instants are aware UTC datetimes; ``replaced_*`` describe overwritten readings."""

    status: str
    upload: ReadingUpload
    meter: Meter
    rows: int
    first: dt.datetime | None
    last: dt.datetime | None
    unit: str
    replaced_count: int = 0
    replaced_first: dt.datetime | None = None
    replaced_last: dt.datetime | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        if self.status == "unchanged":
            return (
                f"{self.upload.filename}: this file was already imported for this meter"
                f" (upload {self.upload.id}); nothing changed"
            )
        text = f"{self.upload.filename}: {self.rows} readings imported ({self.unit})"
        if self.replaced_count:
            text += f", replacing {self.replaced_count} stored readings"
        return text


def _utc(epoch: int | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


def local_text(epoch: int | None, zone: str) -> str:
    """An epoch as local wall-clock text of ``zone`` (``2024-01-01 00:00``)."""
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


class _Overlap(Exception):
    pass


def import_readings(
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
    batch_size: int = 50_000,
    progress: Callable[[int], None] | None = None,
    _problem_key: Callable[[IngestProblem], str] = file_problem_key,
) -> UploadResult:
    """Import a CSV/XLSX file of readings for one meter, all or nothing (see the module).

    Arguments:
        stream: the file's bytes; ``filename`` names it in every message.
        fmt: ``interval``/``billing``/``register`` if the uploader says; must fit the meter.
        unit: the unit of the file's values if the header does not say (converted to the
            meter's unit).
        replace: overwrite stored readings overlapping the upload's range.
        max_rows / max_bytes: limits for one upload (``max_bytes`` from EMC_MAX_UPLOAD_MB).
        progress: called with the number of rows read after each batch.

    Raises:
        NotFound: meter not visible. Forbidden: may not import. Invalid: the file has problems
            (every one under ``fields``) or no readings. UploadTooLarge: over ``max_bytes``.
        Conflict: readings overlap stored ones (and not ``replace``).
    """
    import numpy as np  # the upload is vectorised; the web app starts without numpy

    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    # The meter row stays locked until the transaction ends: a concurrent upload to the same
    # meter waits, and the meter cannot be deleted under the readings (meter_readings has no
    # foreign key). SQLite has no row locks; its writers are serialised by BEGIN IMMEDIATE.
    session.execute(select(Meter.id).where(Meter.id == meter.id).with_for_update())
    rights.check_writer(session, actor, meter)
    site = session.get(Site, meter.site_id)
    if fmt is not None and fmt != MeterKind(meter.kind).value:
        # Checked before the same-file shortcut: a wrong format is wrong even for a known file.
        message = f'format "{fmt}" disagrees with the meter\'s kind "{meter.kind.value}"'
        raise Invalid(
            msg("file.problem_in", file=filename, problem=message),
            fields={"format": [message]},
            code="invalid_file",
        )
    stream, sha256 = hashed_stream(stream, filename, max_bytes)

    already = session.scalar(
        select(ReadingUpload)
        .where(
            ReadingUpload.meter_id == meter.id,
            ReadingUpload.sha256 == sha256,
            ReadingUpload.status == UploadStatus.APPLIED,
        )
        .order_by(ReadingUpload.id.desc())
        .limit(1)
    )
    if already is not None:
        return UploadResult(
            status="unchanged",
            upload=already,
            meter=meter,
            rows=already.rows,
            first=_utc(already.first_ts),
            last=_utc(already.last_ts),
            unit=meter.unit,
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
        batch_size=batch_size,
        progress=progress,
    )
    interval = meter.interval_minutes * 60 if meter.kind is MeterKind.INTERVAL else None
    replaced_digest = hashlib.sha256() if replace else None
    replaced = {"count": 0, "first": None, "last": None}
    days = rollup.DayTotals(site.timezone)
    try:
        with session.begin_nested(), ExitStack() as writing:
            overlap = False
            covered_to: int | None = None
            barrier: int | None = None  # the first stored start the upload may not reach
            writer: store.ReadingsWriter | None = None
            for batch in reader:
                # Ranges are contiguous from the upload's first start, so stored readings in the
                # upload's own gaps count as overlapping too: the upload owns [first, last).
                lo = batch.start[0] if covered_to is None else covered_to
                hi = batch.end[-1] if batch.end is not None else batch.start[-1] + interval
                covered_to = hi
                if overlap:
                    continue  # read on: file problems are reported before the overlap
                if replace:
                    found = store.delete_range(session, meter.id, lo, hi, interval, replaced_digest)
                    if found.count:
                        replaced["count"] += found.count
                        replaced["first"] = _min(replaced["first"], found.first_ts)
                        replaced["last"] = _max(replaced["last"], found.last_ts)
                    store.write_readings(
                        session, meter.id, batch.start, batch.end, batch.value, batch.quality
                    )
                else:
                    # One look-up for the whole upload instead of one per batch: the connection
                    # then stays in one bulk write while the next batch is parsed.
                    if barrier is None:
                        barrier = store.next_stored(session, meter.id, lo, interval)
                    if hi > barrier:
                        overlap = True
                        continue
                    if writer is None:
                        writer = writing.enter_context(store.ReadingsWriter(session, meter.id))
                    starts = np.asarray(batch.start, dtype=np.int64)
                    values = np.asarray(batch.value, dtype=np.float64)
                    writer.write(starts, batch.end, values, batch.quality)
                    days.add(starts, values)
                    continue
                days.add(batch.start, batch.value)
            writing.close()  # the bulk write ends here; the connection is free again
            # Frozen before overlap: replacing would not help, a new baseline/report version would.
            frozen = rights.frozen_conflict(
                session, meter, site, reader.summary.first_start, reader.summary.last_end
            )
            if frozen is not None:
                raise frozen
            if overlap:
                raise _Overlap
            if reader.summary.readings:
                changed = [(replaced["first"], replaced["last"])] if replaced["count"] else []
                rollup.save(
                    session,
                    meter.id,
                    site.timezone,
                    days,
                    reader.summary.first_start,
                    reader.summary.last_end,
                    changed,
                )
    except IngestError as error:
        raise ingest_invalid(error, filename, _problem_key) from None
    except _Overlap:
        summary = reader.summary
        raise _overlap_conflict(
            session, meter, site, summary.first_start, summary.last_end
        ) from None
    except store.DuplicateReading:
        raise Conflict(
            msg("facilities.another_upload_stored_readings_for"),
            fields={"file": [msg("facilities.concurrent_upload")]},
        ) from None

    summary = reader.summary
    if summary.readings == 0:
        message = f"{filename}: the file has a header but no readings"
        raise Invalid(message, fields={"file": [message]}, code="invalid_file")
    upload = ReadingUpload(
        meter_id=meter.id,
        filename=filename[:255],
        sha256=sha256,
        rows=summary.readings,
        first_ts=summary.first_start,
        last_ts=summary.last_end,
        source_unit=summary.source_unit,
        uploaded_by_user_id=actor.user_id,
        uploaded_at=clock.now(),
        replaced_count=replaced["count"],
        replaced_first_ts=replaced["first"],
        replaced_last_ts=replaced["last"],
        replaced_sha256=replaced_digest.hexdigest() if replaced["count"] else None,
        status=UploadStatus.APPLIED,
        warnings=[w.message for w in summary.warnings],
    )
    # Every earlier upload whose range this one writes into is superseded, with or without
    # replace: an upload landing in the gaps of an earlier one changes what that one's range
    # holds, so re-sending the earlier file must not count as "unchanged" any more.
    earlier = session.scalars(
        select(ReadingUpload).where(
            ReadingUpload.meter_id == meter.id,
            ReadingUpload.status == UploadStatus.APPLIED,
            ReadingUpload.first_ts < summary.last_end,
            ReadingUpload.last_ts > summary.first_start,
        )
    )
    for previous in earlier:
        previous.status = UploadStatus.SUPERSEDED
    session.add(upload)
    session.flush()
    after = {
        "upload_id": upload.id,
        "filename": upload.filename,
        "sha256": sha256,
        "rows": upload.rows,
        "unit": meter.unit,
        "first": local_text(upload.first_ts, site.timezone),
        "last": local_text(upload.last_ts, site.timezone),
    }
    before = None
    if replaced["count"]:
        before = {
            "replaced_count": replaced["count"],
            "replaced_first": local_text(replaced["first"], site.timezone),
            "replaced_last": local_text(replaced["last"], site.timezone),
            "replaced_sha256": upload.replaced_sha256,
        }
    journal.record(
        session,
        actor,
        "replace_readings" if replaced["count"] else "import_readings",
        meter,
        organization_id=site.organization_id,
        before=before,
        after=after,
        summary=f"{upload.rows} readings from {upload.filename}"
        + (f", replacing {replaced['count']}" if replaced["count"] else ""),
    )
    if replaced["count"] and actor.org_kind is OrgKind.ESCO:
        _notify_replaced(session, actor, meter, site, upload)
    log.info(
        "meter %s: %s readings imported from %s by %s (replaced %s)",
        meter.id,
        upload.rows,
        filename,
        actor.label,
        replaced["count"],
    )
    return UploadResult(
        status="applied",
        upload=upload,
        meter=meter,
        rows=upload.rows,
        first=_utc(upload.first_ts),
        last=_utc(upload.last_ts),
        unit=meter.unit,
        replaced_count=replaced["count"],
        replaced_first=_utc(replaced["first"]),
        replaced_last=_utc(replaced["last"]),
        # Said in the reader's language by their codes (the record keeps the English text).
        warnings=tuple(ProblemText(w.message, w.code, w.params) for w in summary.warnings),
    )


def _notify_replaced(
    session: Session, actor: Actor, meter: Meter, site: Site, upload: ReadingUpload
) -> None:
    """Tell the institution's energy managers that an ESCO replaced stored readings."""
    esco = session.get(Organization, actor.organization_id)
    user = session.get(User, actor.user_id)
    notify(
        session,
        rights.energy_managers(session, site.organization_id),
        kind="readings_replaced",
        dedupe_key=f"readings_replaced:{upload.id}",
        subject=N_("%(esco)s replaced %(count)s readings of meter %(meter)s"),
        body=N_(
            "%(user)s of %(esco)s uploaded %(file)s to meter %(meter)s (site %(site)s),"
            " replacing %(count)s stored readings from %(first)s to %(last)s."
        ),
        link=f"/meters/{meter.id}/uploads",
        params={
            "esco": esco.name_zh if esco else actor.label,
            "user": user.display_name if user else actor.label,
            "count": upload.replaced_count,
            "meter": meter.name,
            "site": site.name,
            "file": upload.filename,
            "first": local_text(upload.replaced_first_ts, site.timezone),
            "last": local_text(upload.replaced_last_ts, site.timezone),
        },
    )


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _overlap_conflict(
    session: Session, meter: Meter, site: Site, first: int, last: int
) -> Conflict:
    interval = meter.interval_minutes * 60 if meter.kind is MeterKind.INTERVAL else None
    found = store.overlapping(session, meter.id, first, last, interval)
    zone = site.timezone
    message = msg(
        "readings.overlap",
        start=local_text(first, zone),
        end=local_text(last, zone),
        zone=zone,
        count=found.count,
        first=local_text(found.first_ts, zone),
        last=local_text(found.last_ts, zone),
    )
    return Conflict(
        message,
        fields={
            "overlap": {
                "count": found.count,
                "first": _utc(found.first_ts).isoformat() if found.first_ts is not None else None,
                "last": _utc(found.last_ts).isoformat() if found.last_ts is not None else None,
            }
        },
        code="overlap",
    )


# --- JSON rows -----------------------------------------------------------------------------


def import_rows(
    session: Session,
    actor: Actor,
    meter_id: int,
    rows: list[dict[str, Any]],
    *,
    replace: bool = False,
) -> UploadResult:
    """Import readings sent as JSON rows ``{"start", "end", "value", "quality"}`` (aware
    datetimes; ``value`` a Decimal in the meter's unit; ``end`` for billing and register meters;
    for register meters ``value`` is the register reading).

    They go through exactly the file path (as CSV text), so every rule is the same; problems
    are keyed ``rows[3].start``.
    """
    meter = load(session, actor, Meter, meter_id)
    payload, key = rows_as_file(meter, rows)
    return import_readings(
        session,
        actor,
        meter_id,
        payload,
        filename="rows.json",
        replace=replace,
        _problem_key=key,
    )


# --- reading back --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingPage:
    """Readings of one meter in ``[start, end)``: ``rows`` are ``(start_ts, end_ts, value,
    quality)`` with ``end_ts`` filled in for interval meters; ``next_start`` is where the next
    page begins when ``limit`` cut the list short."""

    meter: Meter
    site: Site
    rows: list[tuple[int, int, float, str]]
    next_start: dt.datetime | None


def _epoch(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(
            msg("facilities.naive_datetime"), fields={"start": [msg("field.needs_offset")]}
        )
    return int(value.timestamp())


def get_readings(
    session: Session,
    actor: Actor,
    meter_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 10_000,
) -> ReadingPage:
    """Stored readings whose start lies in ``[start, end)`` (aware datetimes), oldest first."""
    meter = load(session, actor, Meter, meter_id)
    site = session.get(Site, meter.site_id)
    lo, hi = _epoch(start), _epoch(end)
    if lo is not None and hi is not None and hi <= lo:
        raise Invalid(
            msg("facilities.end_before_start"), fields={"end": [msg("field.after_start")]}
        )
    step = (meter.interval_minutes or 0) * 60
    rows = [
        (s, e if e is not None else s + step, v, q)
        for s, e, v, q in store.iter_readings(session, meter.id, lo, hi, limit=limit + 1)
    ]
    next_start = None
    if len(rows) > limit:
        next_start = _utc(rows[limit][0])
        rows = rows[:limit]
    return ReadingPage(meter, site, rows, next_start)


EXPORT_STYLES = ("local", "iso")


def export_csv(
    session: Session,
    actor: Actor,
    meter_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    style: str = "iso",
) -> tuple[Meter, Iterator[str]]:
    """The meter and a generator of CSV text (header first) of its readings; the file reads
    back unchanged into the same meter (an upload, with ``replace`` over the same period) or
    into another of the same kind, whatever its multiplier: the values are consumption with
    the multiplier applied (实际用量, "actual consumption"), which the reader does not multiply
    again. A register meter's readings are written as the consumption of each period between
    reads (``开始日期,结束日期,实际用量``), which a register meter reads back as periods.

    ``style="local"`` is the upload template's format, for people: Chinese headers
    (``时间,实际用量(kWh),质量``; periods ``开始日期,结束日期,实际用量(m³),质量``), the site's
    local times without offset (``2026-01-01 00:00``), the quality as 实测/估算/替换, and a
    bill's end as its last day (inclusive, as the template writes it).

    ``style="iso"`` is the machine format: local times with their offset, ``measured``…, and
    ``timestamp,actual consumption(unit),quality`` or, for the others,
    ``start,end,actual consumption(unit),quality`` with the exclusive end instant."""
    if style not in EXPORT_STYLES:
        raise ValueError(f"unknown export style {style!r}")
    meter = load(session, actor, Meter, meter_id)
    site = session.get(Site, meter.site_id)
    lo, hi = _epoch(start), _epoch(end)
    zone = ZoneInfo(site.timezone)
    interval = MeterKind(meter.kind) is MeterKind.INTERVAL
    unit = meter.unit
    meter_pk = meter.id
    if style == "local":
        return meter, _local_lines(session, meter_pk, lo, hi, zone, unit, interval)

    def lines() -> Iterator[str]:
        value = formats.EXPORT_VALUE[1]
        if interval:
            yield f"timestamp,{value}({unit}),quality\n"
        else:
            yield f"start,end,{value}({unit}),quality\n"
        out: list[str] = []
        for s, e, v, q in store.iter_readings(session, meter_pk, lo, hi):
            stamp = dt.datetime.fromtimestamp(s, zone).isoformat()
            if interval:
                out.append(f"{stamp},{v!r},{q}\n")
            else:
                out.append(f"{stamp},{dt.datetime.fromtimestamp(e, zone).isoformat()},{v!r},{q}\n")
            if len(out) >= 5000:
                yield "".join(out)
                out.clear()
        if out:
            yield "".join(out)

    return meter, lines()


def _wall(moment: dt.datetime) -> str:
    """A local time as the template writes it (seconds only where there are some)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def _local_lines(
    session: Session,
    meter_pk: int,
    lo: int | None,
    hi: int | None,
    zone: ZoneInfo,
    unit: str,
    interval: bool,
) -> Iterator[str]:
    """The export in the upload template's format (see :func:`export_csv`)."""
    word = {role: names[0] for role, names in formats.HEADERS.items()}
    word["value"] = formats.EXPORT_VALUE[0]
    quality = formats.QUALITY_WORDS
    if interval:
        yield f"{word['timestamp']},{word['value']}({unit}),{word['quality']}\n"
        out: list[str] = []
        for s, _e, v, q in store.iter_readings(session, meter_pk, lo, hi):
            out.append(f"{_wall(dt.datetime.fromtimestamp(s, zone))},{v!r},{quality[q]}\n")
            if len(out) >= 5000:
                yield "".join(out)
                out.clear()
        if out:
            yield "".join(out)
        return
    yield f"{word['start']},{word['end']},{word['value']}({unit}),{word['quality']}\n"
    # Periods (a bill a month; a register's reads): few enough to hold. A period between local
    # midnights is written as dates with its last day as the end, as the template does; the
    # reader takes such ends as inclusive only when the file shows it (consecutive periods, or
    # one of a single day), so a file that would not show it keeps the exclusive end instant
    # (with its time, which the reader always takes as exclusive). Other periods are written
    # with their times, end exclusive.
    rows: list[tuple[str, str, str | None, str]] = []  # start, end, exclusive end, value…
    for s, e, v, q in store.iter_readings(session, meter_pk, lo, hi):
        first, after = dt.datetime.fromtimestamp(s, zone), dt.datetime.fromtimestamp(e, zone)
        rest = f"{v!r},{quality[q]}"
        if first.time() == after.time() == dt.time(0) and after.date() > first.date():
            last_day = after.date() - dt.timedelta(days=1)
            rows.append((first.date().isoformat(), last_day.isoformat(), _wall(after), rest))
        else:
            rows.append((_wall(first), _wall(after), None, rest))
    shown = inclusive_ends([(a, b) for a, b, _x, _r in rows], 0, 1)
    out = [f"{a},{b if shown or x is None else x},{r}\n" for a, b, x, r in rows]
    yield "".join(out)


def list_uploads(session: Session, actor: Actor, meter_id: int, limit: int = 20):
    """The meter's most recent uploads, newest first."""
    meter = load(session, actor, Meter, meter_id)
    return list(
        session.scalars(
            select(ReadingUpload)
            .where(ReadingUpload.meter_id == meter.id)
            .order_by(ReadingUpload.id.desc())
            .limit(limit)
        )
    )
