"""Evidence files of the M&V workflow, kept as bytes with their SHA-256, uploader and time.

One place checks and stores them, whatever they support: a non-routine adjustment, a baseline
(option D: the simulation results as uploaded) or an option A measurement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from emc import clock
from emc.auth.actor import Actor
from emc.errors import Invalid
from emc.messages import msg
from emc.mv.models import MvEvidenceFile

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_FILES = 10

# (filename, content type, bytes)
Upload = tuple[str, str, bytes]


def check_files(files: Sequence[Upload], *, field: str = "files") -> None:
    """Refuse too many files or a file too large (``field`` names the form field).

    Raises:
        Invalid: more than :data:`MAX_EVIDENCE_FILES`, or a file over
            :data:`MAX_EVIDENCE_BYTES` (code ``too_large``).
    """
    if len(files) > MAX_EVIDENCE_FILES:
        raise Invalid(
            msg("mv.too_many_files"),
            fields={field: [msg("file.at_most_files", count=MAX_EVIDENCE_FILES)]},
        )
    for name, _type, content in files:
        if len(content) > MAX_EVIDENCE_BYTES:
            raise Invalid(
                msg("file.too_large", file=name, mb=MAX_EVIDENCE_BYTES // (1024 * 1024)),
                fields={
                    field: [
                        msg("file.too_large", file=name, mb=MAX_EVIDENCE_BYTES // (1024 * 1024))
                    ]
                },
                code="too_large",
            )


def store_files(
    session: Session,
    actor: Actor,
    project_id: int,
    files: Sequence[Upload],
    *,
    adjustment_id: int | None = None,
    baseline_id: int | None = None,
    measurement_id: int | None = None,
) -> list[MvEvidenceFile]:
    """Store ``files`` as evidence of exactly one owner (flushes; the caller checked them with
    :func:`check_files` and the actor's right to add them)."""
    now = clock.now()
    out = []
    for name, content_type, content in files:
        f = MvEvidenceFile(
            adjustment_id=adjustment_id,
            baseline_id=baseline_id,
            measurement_id=measurement_id,
            project_id=project_id,
            filename=name[:255],
            content_type=(content_type or "application/octet-stream")[:100],
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
            data=content,
            uploaded_by_user_id=actor.user_id,
            uploaded_at=now,
        )
        session.add(f)
        out.append(f)
    session.flush()
    return out


def files_of(session: Session, column, owner_ids: list[int]) -> dict[int, list[MvEvidenceFile]]:
    """Evidence files by owner id, ``column`` being the owner column
    (``MvEvidenceFile.baseline_id`` …)."""
    out: dict[int, list[MvEvidenceFile]] = {i: [] for i in owner_ids}
    if owner_ids:
        for f in session.scalars(
            select(MvEvidenceFile).where(column.in_(owner_ids)).order_by(MvEvidenceFile.id)
        ):
            out[getattr(f, column.key)].append(f)
    return out
