"""Meter files as they come: a meter's saved column mapping, and checked uploads kept for a
short time so that "import" after "check" needs no second file choice.

Column mapping
    When a file's header is not one the reader knows, the user maps its columns once on the
    mapping page: header text → role (``timestamp``, ``value`` …) and, optionally, the unit of
    the values. The mapping is saved per meter (:class:`~emc.facilities.models.MeterColumnMap`)
    and every later upload of the meter (page or API) is read with it; files whose header the
    built-in names recognise are still read by those.

Checked uploads
    A checked file is kept under a directory the caller gives (the web app's instance folder),
    named by the user, the meter and the file's SHA-256, for :data:`KEEP_MINUTES`. Only the same
    user may import it into the same meter; expired files are deleted whenever a file is kept.
    Nothing is written to the database until the import, which is all-or-nothing as any other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import journal
from emc.auth.actor import Actor
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.energy import UnitError, unit_for
from emc.errors import Invalid
from emc.facilities.ingest import IngestError, MeterKind, peek_rows
from emc.facilities.models import Meter, MeterColumnMap, Site
from emc.facilities.service.uploads import ProblemText, hashed_stream
from emc.messages import msg

#: How long a checked upload is kept for its "import" button.
KEEP_MINUTES = 30
#: The roles a column can be mapped to, per meter kind (``""`` = ignore the column).
ROLES = {
    MeterKind.INTERVAL: ("timestamp", "value", "unit", "quality"),
    MeterKind.BILLING: ("start", "end", "value", "unit", "quality"),
    MeterKind.REGISTER: ("timestamp", "reading", "unit", "quality"),
}
NEEDED = {
    MeterKind.INTERVAL: ("timestamp", "value"),
    MeterKind.BILLING: ("start", "end", "value"),
    MeterKind.REGISTER: ("timestamp", "reading"),
}
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAP_FIELDS = ("meter_id", "columns", "unit")


# --------------------------------------------------------------------------------------------
# Saved column mappings


def get_column_map(session: Session, actor: Actor, meter_id: int) -> MeterColumnMap | None:
    """The meter's saved mapping, or None.

    Raises:
        NotFound: meter not visible.
    """
    meter = load(session, actor, Meter, meter_id)
    return saved_map(session, meter.id)


def saved_map(session: Session, meter_id: int) -> MeterColumnMap | None:
    """The saved mapping of a meter already loaded through the policy (for the import)."""
    return session.scalar(select(MeterColumnMap).where(MeterColumnMap.meter_id == meter_id))


def save_column_map(
    session: Session,
    actor: Actor,
    meter_id: int,
    columns: dict[str, str],
    *,
    unit: str | None = None,
) -> MeterColumnMap:
    """Save (create or replace) the meter's mapping: ``columns`` header text → role, roles from
    :data:`ROLES` of the meter's kind, each at most once, the needed ones (:data:`NEEDED`)
    present; ``unit`` must fit the meter's carrier. Journalled.

    Raises:
        NotFound: meter not visible. Forbidden: may not import readings. Invalid: a role
            unknown, repeated or missing, an empty header, or a unit that does not fit
            (``fields`` name the column).
    """
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    kind = MeterKind(meter.kind)
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    seen: dict[str, str] = {}
    for header, role in columns.items():
        header = (header or "").strip()
        if not role:
            continue
        key = f"column {header}"
        if not header:
            errors.setdefault("columns", []).append(
                ProblemText("a mapped column has no header text", "mapping_blank_header")
            )
        elif role not in ROLES[kind]:
            errors.setdefault(key, []).append(
                ProblemText(
                    f"{role!r} is not a column role for this meter",
                    "mapping_unknown_role",
                    {"role": role},
                )
            )
        elif role in seen:
            errors.setdefault(key, []).append(
                ProblemText(
                    f'"{seen[role]}" and "{header}" are both mapped to {role}',
                    "mapping_repeated_role",
                    {"role": role, "other": seen[role], "column": header},
                )
            )
        else:
            seen[role] = header
            clean[header] = role
    for role in NEEDED[kind]:
        if role not in seen:
            errors.setdefault("columns", []).append(
                ProblemText(
                    f"no column is mapped to {role}", "mapping_missing_role", {"role": role}
                )
            )
    if unit:
        try:
            unit = unit_for(meter.carrier, unit).value
        except UnitError as exc:
            errors.setdefault("unit", []).append(
                ProblemText(str(exc), "mapping_bad_unit", {"unit": unit, "meter_unit": meter.unit})
            )
    else:
        unit = None
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(msg("facilities.mapping_invalid", problem=first), fields=errors)
    site = session.get(Site, meter.site_id)
    row = saved_map(session, meter.id)
    if row is None:
        row = MeterColumnMap(
            meter_id=meter.id, columns=clean, unit=unit, updated_by_user_id=actor.user_id
        )
        journal.add_created(
            session, actor, row, fields=MAP_FIELDS, organization_id=site.organization_id
        )
        return row
    journal.apply_update(
        session,
        actor,
        row,
        {"columns": clean, "unit": unit, "updated_by_user_id": actor.user_id},
        before=journal.snapshot(row, MAP_FIELDS),
        fields=MAP_FIELDS,
        organization_id=site.organization_id,
    )
    return row


def header_row_cells(rows: list[list[str]], header_row: int) -> list[str]:
    """The cells of row ``header_row`` (1-based) of the first rows, stripped.

    Raises:
        Invalid: no such row among them.
    """
    if not 1 <= header_row <= len(rows):
        message = f"row {header_row} is not among the first {len(rows)} rows"
        raise Invalid(message, fields={"header_row": [message]})
    return [c.strip() for c in rows[header_row - 1]]


def guess_header_row(rows: list[list[str]]) -> int:
    """The first row with at least two non-empty cells (title rows have one), else 1."""
    for i, row in enumerate(rows, 1):
        if sum(1 for c in row if c.strip()) >= 2:
            return i
    return 1


def first_rows(path: Path, filename: str, count: int = 10) -> list[list[str]]:
    """The first rows of a kept upload, as text (see :func:`emc.facilities.ingest.peek_rows`).

    Raises:
        Invalid: the file cannot be opened.
    """
    with path.open("rb") as stream:
        try:
            return peek_rows(stream, filename=filename, rows=count)
        except IngestError as error:
            message = error.problems[0].message if error.problems else filename
            raise Invalid(message, fields={"file": [message]}, code="invalid_file") from None


# --------------------------------------------------------------------------------------------
# Checked uploads kept for the import button


def keep_upload(
    session: Session,
    actor: Actor,
    meter_id: int,
    stream: IO[bytes],
    *,
    filename: str,
    directory: Path,
    max_bytes: int | None = None,
) -> str:
    """Keep an upload for :data:`KEEP_MINUTES` for this user and meter; returns its SHA-256.
    Expired uploads (of anyone) are deleted first.

    Raises:
        NotFound: meter not visible. Forbidden: may not import. UploadTooLarge: over max_bytes.
    """
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    purge_expired(directory)
    stream, sha256 = hashed_stream(stream, filename, max_bytes)
    directory.mkdir(parents=True, exist_ok=True)
    data, info = _paths(directory, actor.user_id, meter.id, sha256)
    partial = data.with_suffix(".part")
    with partial.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    os.replace(partial, data)
    info.write_text(json.dumps({"filename": filename, "kept_at": time.time()}), "utf-8")
    with contextlib.suppress(AttributeError, OSError, ValueError):
        stream.seek(0)
    return sha256


def kept_upload(
    session: Session, actor: Actor, meter_id: int, sha256: str, *, directory: Path
) -> tuple[Path, str]:
    """The path and file name of an upload this user kept for this meter and that has not
    expired.

    Raises:
        NotFound: meter not visible. Invalid (``upload_expired``): no such kept upload (another
            user's or meter's, expired, or already imported).
    """
    meter = load(session, actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    sha256 = (sha256 or "").lower()
    message = ProblemText(
        "the checked file is no longer kept: choose the file again", "upload_expired"
    )
    gone = Invalid(message, fields={"file": [message]}, code="upload_expired")
    if not _SHA256.fullmatch(sha256):
        raise gone
    data, info = _paths(directory, actor.user_id, meter.id, sha256)
    try:
        meta = json.loads(info.read_text("utf-8"))
    except (OSError, ValueError):
        raise gone from None
    if time.time() - meta.get("kept_at", 0) > KEEP_MINUTES * 60 or not data.is_file():
        _remove(data, info)
        raise gone
    # The name is the file's hash: a file changed on disk is not imported as the checked one.
    digest = hashlib.sha256()
    with data.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        _remove(data, info)
        raise gone
    return data, str(meta.get("filename") or "upload.csv")


def discard_upload(actor: Actor, meter_id: int, sha256: str, *, directory: Path) -> None:
    """Delete a kept upload (after its import)."""
    if _SHA256.fullmatch((sha256 or "").lower()):
        _remove(*_paths(directory, actor.user_id, meter_id, sha256.lower()))


def purge_expired(directory: Path, *, now: float | None = None) -> int:
    """Delete kept uploads older than :data:`KEEP_MINUTES`; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    if not directory.is_dir():
        return 0
    for path in directory.iterdir():
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > KEEP_MINUTES * 60:
                path.unlink()
                removed += path.suffix == ".bin"
    return removed


def _paths(directory: Path, user_id: int | None, meter_id: int, sha256: str) -> tuple[Path, Path]:
    stem = f"u{user_id or 0}-m{meter_id}-{sha256}"
    return directory / f"{stem}.bin", directory / f"{stem}.json"


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
