"""What the readings import and its preview share about an uploaded file: the size limits,
hashing the bytes (the same-file check), naming and wording the reader's problems, and JSON rows
sent as the CSV file the import reads.

Used by :mod:`.readings` (the import) and :mod:`.preview` (the check that writes nothing), so
both report a file exactly alike.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import tempfile
from collections.abc import Callable
from typing import IO, Any

from emc.errors import Invalid
from emc.facilities.ingest import IngestError, IngestProblem, MeterKind
from emc.facilities.models import Meter
from emc.messages import Text, msg

# 15-minute data for about 140 years: anything larger is a mistake or should be split.
MAX_ROWS_PER_UPLOAD = 5_000_000
_HASH_CHUNK = 1 << 20
#: Problems that mean the columns were not recognised (the mapping page can fix them).
UNKNOWN_HEADER_CODES = frozenset({"no_header", "missing_column"})


class UploadTooLarge(Invalid):
    status = 413
    code = "too_large"


def hashed_stream(stream: IO[bytes], filename: str, max_bytes: int | None) -> tuple[IO[bytes], str]:
    """SHA-256 of the stream's bytes, and a stream positioned at its start to read them again.

    Seekable streams are read twice; others are spooled to a temporary file.

    Raises:
        UploadTooLarge: more than ``max_bytes``.
    """
    digest = hashlib.sha256()
    size = 0

    def too_large() -> UploadTooLarge:
        mb = max_bytes / (1024 * 1024)
        message = (
            f"{filename} is larger than the {mb:g} MB limit for one upload (EMC_MAX_UPLOAD_MB);"
            " split it into several files"
        )
        return UploadTooLarge(message, fields={"file": [message]})

    seekable = False
    with contextlib.suppress(AttributeError, ValueError):
        seekable = stream.seekable()
    if seekable:
        origin = stream.tell()
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise too_large()
        stream.seek(origin)
        return stream, digest.hexdigest()
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    while chunk := stream.read(_HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            spool.close()
            raise too_large()
        spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest()


def file_problem_key(problem: IngestProblem) -> str:
    """Where a problem is in a file, as an ``Invalid`` field key: ``row 17, column 时间``,
    ``row 17``, ``column 用量`` or ``file``."""
    if problem.row is not None and problem.column is not None:
        return f"row {problem.row}, column {problem.column}"
    if problem.row is not None:
        return f"row {problem.row}"
    if problem.column is not None:
        return f"column {problem.column}"
    return "file"


class ProblemText(Text):
    """A meter file problem's English message with the reader's ``code`` and ``params``: the
    catalogue says it as ``ingest.<code>`` (:mod:`emc.messages`) in the page's language."""

    prefix = "ingest."


def problem_text(problem: IngestProblem, filename: str) -> str:
    """A problem's message without the file, row and column it starts with (the field key
    already says where), as a :class:`ProblemText`."""
    return ProblemText(_problem_text(problem, filename), problem.code, problem.params)


def _problem_text(problem: IngestProblem, filename: str) -> str:
    where = filename
    if problem.row is not None:
        where += f" row {problem.row}"
    if problem.column is not None:
        where += f', column "{problem.column}"'
    prefix = where + ": "
    if problem.message.startswith(prefix):
        return problem.message[len(prefix) :]
    if problem.message.startswith(filename + ": "):
        return problem.message[len(filename) + 2 :]
    return problem.message


def ingest_invalid(
    error: IngestError, filename: str, key: Callable[[IngestProblem], str] = file_problem_key
) -> Invalid:
    """The shared ``Invalid`` for a file with problems: every problem under ``fields``, keyed
    ``row 17, column 时间`` (or ``row 17``, ``column 用量``, ``file``)."""
    fields: dict[str, list[str]] = {}
    for problem in error.problems:
        fields.setdefault(key(problem), []).append(problem_text(problem, filename))
    count = len(error.problems)
    first = error.problems[0].message if error.problems else ""
    # A header the reader does not know: the page offers to map the columns.
    unknown = any(p.code in UNKNOWN_HEADER_CODES for p in error.problems)
    return Invalid(
        msg(
            "file.problem_nothing_imported" if count == 1 else "file.problems_nothing_imported",
            file=filename,
            count=count,
            first=first,
        ),
        fields=fields,
        code="unknown_header" if unknown else "invalid_file",
    )


_JSON_FIELD = {
    "timestamp": "start",
    "start": "start",
    "end": "end",
    "value": "value",
    "reading": "value",
    "quality": "quality",
}


def rows_as_file(
    meter: Meter, rows: list[dict[str, Any]]
) -> tuple[IO[bytes], Callable[[IngestProblem], str]]:
    """JSON rows as the CSV file the import reads, and the key naming a problem ``rows[3].start``
    (shared by :func:`~.readings.import_rows` and the preview)."""
    kind = MeterKind(meter.kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    value_header = "reading" if kind is MeterKind.REGISTER else "value"
    if kind is MeterKind.BILLING:
        writer.writerow(["start", "end", value_header, "quality"])
    else:
        writer.writerow(["timestamp", value_header, "quality"])
    for row in rows:
        cells = [row["start"].isoformat()]
        if kind is MeterKind.BILLING:
            cells.append(row["end"].isoformat() if row.get("end") is not None else "")
        cells += [str(row["value"]), row.get("quality") or ""]
        writer.writerow(cells)

    def key(problem: IngestProblem) -> str:
        if problem.row is None:
            return "rows"
        index = problem.row - 2  # row 1 is the header
        name = _JSON_FIELD.get(problem.column or "")
        return f"rows[{index}]" + (f".{name}" if name else "")

    return io.BytesIO(buffer.getvalue().encode()), key
