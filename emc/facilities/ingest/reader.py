"""read_readings(): the streaming entry point, header planning and the summary."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import IO, Any

from emc.energy import UnitError, float_factor, unit_for
from emc.messages import N_

from .cells import Context, Stop
from .formats import NEEDS, OPTIONAL, header_words
from .interval import read_interval
from .model import (
    Batch,
    Code,
    IngestError,
    IngestProblem,
    IngestSummary,
    IngestWarning,
    MeterKind,
    MeterSpec,
)
from .periods import read_billing, read_register
from .rows import Columns, Limits
from .source import (
    APPLIED_VALUE_NAMES,
    HEADER_SCAN_ROWS,
    ROLE_NAMES,
    Source,
    SourceError,
    open_source,
    role_word,
    split_header,
)
from .source import normalise_header as _normalise

__all__ = ["ReadingsReader", "header_names", "peek_rows", "read_readings"]

_NEEDS = NEEDS
_OPTIONAL = OPTIONAL
_READERS = {
    MeterKind.INTERVAL: read_interval,
    MeterKind.BILLING: read_billing,
    MeterKind.REGISTER: read_register,
}
_GAP_WORDS = {  # msgids: said in the reader's language in the gaps warning
    MeterKind.INTERVAL: N_("intervals"),
    MeterKind.BILLING: N_("periods between bills"),
    MeterKind.REGISTER: "",
}


def read_readings(
    stream: IO[bytes],
    *,
    filename: str,
    spec: MeterSpec,
    fmt: str | None = None,
    unit: str | None = None,
    column_map: dict[str, str] | None = None,
    column_map_unit: str | None = None,
    sheet: str | None = None,
    max_rows: int | None = None,
    batch_size: int = 50_000,
    max_problems: int = 100,
    progress: Callable[[int], None] | None = None,
) -> ReadingsReader:
    """Read meter readings for one meter from a CSV or XLSX upload, streaming.

    Returns a single-use :class:`ReadingsReader`: iterate it for :class:`Batch` objects (columnar
    ``start``/``end``/``value``/``quality`` lists, at most ``batch_size`` readings each), then
    read ``.summary``. Nothing is read until iteration starts.

    Arguments:
        stream: the file's bytes (binary, read forward only; not closed).
        filename: the upload's name, used in every message and to tell CSV from XLSX when the
            magic bytes do not.
        spec: the meter the readings belong to.
        fmt: ``interval``/``billing``/``register`` if the caller knows it; must agree with
            ``spec.kind`` (the meter kind decides; the header must fit it).
        unit: the unit of the file's values when neither the header (``用量(MWh)``) nor a unit
            column says; otherwise the meter's unit is assumed. Must fit the carrier, and must
            agree with a unit written in the header.
        column_map: header text → role (``timestamp``, ``start``, ``end``, ``value``,
            ``reading``, ``unit``, ``quality``) for headers the built-in names do not cover;
            matched trimmed and case-insensitively. Other columns are still recognised. A file
            whose header does not hold every mapped header is read by the built-in names alone.
        column_map_unit: the unit of the values when the header found is the mapped one and
            neither ``unit`` nor the header says (a meter's saved mapping).
        sheet: XLSX sheet name (default: the first sheet).
        max_rows: reject files with more data rows than this (``too_many_rows``).
        max_problems: stop after this many problems, adding one ``too_many_errors`` note.
        progress: called with the number of rows read after each batch and at the end.

    Problems are collected, not raised one by one: once the first problem is found no more
    batches are yielded, reading goes on to find the others, and iteration ends by raising
    :class:`IngestError` with all of them — so a caller writing batches inside one transaction
    rolls it back. Batches yielded before the first problem are valid on their own.

    Raises:
        IngestError: from the iteration, if the file has any problem.
    """
    return ReadingsReader(
        stream,
        filename=filename,
        spec=spec,
        fmt=fmt,
        unit=unit,
        column_map=column_map,
        column_map_unit=column_map_unit,
        sheet=sheet,
        max_rows=max_rows,
        batch_size=batch_size,
        max_problems=max_problems,
        progress=progress,
    )


class ReadingsReader:
    """Iterable of :class:`Batch` over one upload (see :func:`read_readings`).

    ``summary`` (an :class:`IngestSummary`) is available once iteration has ended, with or
    without problems; ``problems`` and ``warnings`` at any time.
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        filename: str,
        spec: MeterSpec,
        fmt: str | None,
        unit: str | None,
        column_map: dict[str, str] | None,
        column_map_unit: str | None,
        sheet: str | None,
        max_rows: int | None,
        batch_size: int,
        max_problems: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        if batch_size < 1 or max_problems < 1 or (max_rows is not None and max_rows < 0):
            raise ValueError("batch_size and max_problems must be positive, max_rows not negative")
        self._stream = stream
        self._filename = filename
        self._spec = spec
        self._fmt = fmt
        self._unit = unit
        self._column_map = column_map
        self._column_map_unit = column_map_unit
        self._by_map = False
        self._sheet = sheet
        self._max_rows = max_rows
        self._batch_size = batch_size
        self._progress = progress
        self._ctx = Context(filename, spec, max_problems)
        self._summary: IngestSummary | None = None
        self._plan_warnings: list[IngestWarning] = []
        self._started = False
        self._columns: dict[str, str] = {}
        self._header_row: int | None = None
        self._source_unit: str | None = None
        self._kind: MeterKind | None = None

    def __iter__(self) -> Iterator[Batch]:
        if self._started:
            raise RuntimeError("a ReadingsReader can be iterated only once")
        self._started = True
        return self._run()

    @property
    def summary(self) -> IngestSummary:
        if self._summary is None:
            raise RuntimeError("the summary is available once iteration has ended")
        return self._summary

    @property
    def problems(self) -> list[IngestProblem]:
        return list(self._ctx.problems)

    @property
    def warnings(self) -> tuple[IngestWarning, ...]:
        return self.summary.warnings

    def read_all(self) -> Batch:
        """Iterate to the end and return every reading in one batch (for small files)."""
        start: list[int] = []
        end: list[int] = []
        value: list[float] = []
        quality: list[str] = []
        for batch in self:
            start += batch.start
            value += batch.value
            quality += batch.quality
            end += batch.end or ()
        return Batch(start, None if self._kind is MeterKind.INTERVAL else end, value, quality)

    # ------------------------------------------------------------------------------------

    def _run(self) -> Iterator[Batch]:
        ctx = self._ctx
        source: Source | None = None
        try:
            try:
                source = open_source(self._stream, self._filename, self._sheet)
            except SourceError as exc:
                ctx.fatal(None, None, Code(exc.code), str(exc), **exc.params)
            rows = source.rows
            try:
                cols, header_row = self._plan(rows)
                limits = Limits(ctx, header_row, self._max_rows, self._batch_size, self._progress)
                for batch in _READERS[self._kind](ctx, rows, cols, limits):
                    if not ctx.problems:
                        yield batch
            except UnicodeDecodeError:
                near = source.csv_reader.line_num if source.csv_reader is not None else 0
                ctx.fatal(
                    None,
                    None,
                    Code.ENCODING,
                    f"the file is not valid {source.encoding} text (near row {near + 1});"
                    " save it as UTF-8 or GBK",
                    near=near + 1,
                )
            except SourceError as exc:
                ctx.fatal(None, None, Code(exc.code), str(exc), **exc.params)
            except csv.Error as exc:
                row = source.csv_reader.line_num if source.csv_reader is not None else None
                ctx.fatal(
                    row,
                    None,
                    Code.UNREADABLE_FILE,
                    f"not a readable CSV file ({exc})",
                    detail=str(exc),
                )
            if not ctx.problems:
                source.drain()
        except Stop:
            pass
        finally:
            if source is not None:
                source.close()
            self._summary = self._summarise(source)
        if ctx.problems:
            raise IngestError(self._filename, ctx.problems, self._summary)

    def _summarise(self, source: Source | None) -> IngestSummary:
        ctx = self._ctx
        kind = self._kind or MeterKind(self._spec.kind)
        return IngestSummary(
            filename=self._filename,
            file_type=source.file_type if source else "unknown",
            encoding=source.encoding if source else None,
            sheet=source.sheet if source else None,
            fmt=self._kind.value if self._kind else None,
            columns=dict(self._columns),
            header_row=self._header_row,
            source_unit=self._source_unit,
            unit=unit_for(self._spec.carrier, self._spec.unit).value,
            rows_read=ctx.rows_read,
            readings=ctx.readings,
            first_start=ctx.first_start,
            last_end=ctx.last_end,
            sha256=source.hasher.hexdigest() if source else "",
            bytes_read=source.bytes_read if source else 0,
            complete=bool(source and source.complete),
            warnings=tuple(self._plan_warnings + ctx.warnings(_GAP_WORDS[kind])),
        )

    def _plan(self, rows: Iterator[Any]) -> tuple[Columns, int]:
        """Find the header, assign roles to columns, check them against the meter, and resolve
        the unit. File-level problems stop reading (``Stop``)."""
        ctx, spec = self._ctx, self._spec
        kind = MeterKind(spec.kind)
        if self._fmt is not None:
            if self._fmt not in MeterKind.__members__.values():
                ctx.fatal(
                    None,
                    None,
                    Code.FORMAT_MISMATCH,
                    f"unknown format {self._fmt!r} (interval, billing or register)",
                    given=str(self._fmt),
                )
            if self._fmt != kind:
                ctx.fatal(
                    None,
                    None,
                    Code.FORMAT_MISMATCH,
                    f'format "{self._fmt}" disagrees with the meter\'s kind "{kind.value}"',
                    given=str(self._fmt),
                    kind=kind.value,
                )
        self._kind = kind
        mapped: dict[str, str] = {}
        for header, role in (self._column_map or {}).items():
            if role not in ROLE_NAMES:
                ctx.fatal(
                    None,
                    None,
                    Code.BAD_COLUMN_MAP,
                    f"column_map gives {header!r} the unknown role {role!r}"
                    f" (roles: {', '.join(ROLE_NAMES)})",
                    header=str(header),
                    given=str(role),
                )
            mapped[_normalise(header)] = role

        header_row, cells, skipped, first_seen = None, None, [], None
        for row_no, row in enumerate(rows, 1):
            texts = [_normalise(c) for c in row]
            if any(texts):
                assigned = self._assign(row, mapped)
                # A saved mapping fits when all its headers are in the row; a file whose header
                # the built-in names recognise is read even if a mapping was saved for others.
                by_map = bool(mapped) and all(m in texts for m in mapped)
                found = by_map or len({role for _, role, _ in assigned.values()}) >= 2
                if found:
                    self._by_map = by_map
                    header_row, cells = row_no, row
                    break
                skipped.append(row_no)
                first_seen = first_seen or row
            if row_no >= HEADER_SCAN_ROWS:
                break
        if cells is None:
            if first_seen is None:
                ctx.fatal(None, None, Code.EMPTY_FILE, "the file has no rows", rows=0)
            seen = ", ".join(f'"{c}"' for c in first_seen if c is not None)
            if mapped:
                wanted = ", ".join(f'"{h}"' for h in self._column_map or {})
                expected = f"with the mapped columns {wanted}"
            else:
                expected = f"; {_a(kind)} meter needs columns {', '.join(_NEEDS[kind])}"
            ctx.fatal(
                None,
                None,
                Code.NO_HEADER,
                f"no header row found in the first {HEADER_SCAN_ROWS} rows"
                f"{' ' if mapped else ''}{expected} (first row: {seen})",
                rows=HEADER_SCAN_ROWS,
                first_row=seen,
            )
        self._header_row = header_row
        if skipped:
            self._plan_warnings.append(
                IngestWarning(
                    Code.SKIPPED_ROWS.value,
                    f"{self._filename}: rows {', '.join(map(str, skipped))} above the header"
                    " were skipped",
                    len(skipped),
                    rows=tuple(skipped),
                    params={"rows": ", ".join(map(str, skipped))},
                )
            )

        assigned = self._assign(cells, mapped)
        index: dict[str, int] = {}
        name: dict[str, str] = {}
        units: dict[str, str | None] = {}
        for i, (header, role, header_unit) in assigned.items():
            if role in index:
                ctx.problem(
                    header_row,
                    header,
                    Code.DUPLICATE_COLUMN,
                    f'"{name[role]}" and "{header}" both name the {role} column',
                    other=name[role],
                    header=header,
                    role=role,
                )
                continue
            index[role], name[role], units[role] = i, header, header_unit
        if (
            kind is MeterKind.REGISTER
            and "reading" not in index
            and all(r in index for r in _NEEDS[MeterKind.BILLING])
        ):
            # A register meter's consumption per period between reads (what its readings
            # export writes), read as a bill file is: no reads to difference.
            kind = self._kind = MeterKind.BILLING
        needs = _NEEDS[kind]
        missing = [r for r in needs if r not in index]
        if missing:
            other = next(
                (k for k, n in _NEEDS.items() if k is not kind and all(r in index for r in n)),
                None,
            )
            if other is not None:
                ctx.problem(
                    header_row,
                    None,
                    Code.FORMAT_MISMATCH,
                    f"the columns look like {other.value} data ({', '.join(_NEEDS[other])}) but"
                    f" the meter is {_a(kind)} meter (needs {', '.join(needs)})",
                    looks=other.value,
                    kind=kind.value,
                    needs=header_words(needs, chinese=False),
                )
            else:
                for role in missing:
                    ctx.problem(
                        header_row,
                        None,
                        Code.MISSING_COLUMN,
                        f"no {role} column (it may be headed "
                        + ", ".join(f'"{n}"' for n in ROLE_NAMES[role][:6])
                        + " …)",
                        role=role,
                    )
        if ctx.problems:
            raise Stop
        used = set(needs) | {r for r in _OPTIONAL if r in index}
        cols = Columns(
            {r: i for r, i in index.items() if r in used},
            {r: n for r, n in name.items() if r in used},
        )
        self._columns = dict(cols.name)
        ignored = [
            str(c).strip()
            for i, c in enumerate(cells)
            if _normalise(c) and i not in cols.index.values()
        ]
        if ignored:
            self._plan_warnings.append(
                IngestWarning(
                    Code.IGNORED_COLUMNS.value,
                    f"{self._filename}: columns "
                    + ", ".join(f'"{c}"' for c in ignored)
                    + " were ignored",
                    len(ignored),
                    params={"columns": "、".join(ignored)},
                )
            )
        value_role = "reading" if kind is MeterKind.REGISTER else "value"
        self._resolve_unit(header_row, name[value_role], units.get(value_role))
        if "unit" in cols.index:
            self._source_unit = "per-row"
        return cols, header_row

    def _assign(self, row: Any, mapped: dict[str, str]) -> dict[int, tuple[str, str, str | None]]:
        """Column index → (header as written, role, unit text in the header) for the columns
        whose header names a role."""
        result = {}
        for i, cell in enumerate(row):
            text = _normalise(cell)
            if not text:
                continue
            header = str(cell).replace("\ufeff", "").strip()
            if text in mapped:
                role = mapped[text]
                _, header_unit = split_header(cell)
                result[i] = (header, role, header_unit)
                continue
            role, header_unit = split_header(cell)
            if role is not None:
                result[i] = (header, role, header_unit)
        return result

    def _resolve_unit(self, header_row: int, column: str, header_unit: str | None) -> None:
        ctx, spec = self._ctx, self._spec
        carrier = ctx.carrier
        given = found = None
        unit = self._unit
        if unit is None and self._by_map:
            unit = self._column_map_unit
        if unit is not None:
            try:
                given = unit_for(carrier, unit)
            except UnitError as exc:
                ctx.problem(
                    None, None, Code.BAD_UNIT, f"the unit given for the upload: {exc}", unit=unit
                )
        if header_unit is not None:
            try:
                found = unit_for(carrier, header_unit)
            except UnitError as exc:
                ctx.problem(header_row, column, Code.BAD_UNIT, str(exc), unit=header_unit)
        if given is not None and found is not None and given is not found:
            ctx.problem(
                header_row,
                column,
                Code.UNIT_CONFLICT,
                f"the header says {found.value} but the upload was declared in {given.value}",
                found=found.value,
                given=given.value,
            )
        if ctx.problems:
            raise Stop
        source_unit = found or given or unit_for(carrier, spec.unit)
        self._source_unit = source_unit.value
        # A column headed 实际用量 (示数差 × 倍率: the multiplier already applied, as the
        # readings export writes it) is not multiplied again.
        applied = role_word(column) in APPLIED_VALUE_NAMES
        ctx.multiplier = multiplier = 1.0 if applied else spec.multiplier
        ctx.scale = float_factor(source_unit, spec.unit, carrier) * multiplier


def _a(kind: MeterKind) -> str:
    return ("an " if kind is MeterKind.INTERVAL else "a ") + kind.value


def peek_rows(
    stream: IO[bytes], *, filename: str, sheet: str | None = None, rows: int = HEADER_SCAN_ROWS
) -> list[list[str]]:
    """The first ``rows`` rows of an upload as text cells (for the column-mapping page), read
    as :func:`read_readings` reads the file (type, encoding, delimiter). Empty cells are ``""``.

    Raises:
        IngestError: the file cannot be opened (empty, legacy .xls, unreadable, not text).
    """
    ctx = Context(filename, MeterSpec("electricity", "kWh", "register"), 1)
    result: list[list[str]] = []
    source: Source | None = None
    try:
        try:
            source = open_source(stream, filename, sheet)
            for row_no, row in enumerate(source.rows, 1):
                result.append(["" if c is None else str(c).replace("\ufeff", "") for c in row])
                if row_no >= rows:
                    break
        except SourceError as exc:
            ctx.fatal(None, None, Code(exc.code), str(exc), **exc.params)
        except (UnicodeDecodeError, csv.Error) as exc:
            ctx.fatal(
                None, None, Code.UNREADABLE_FILE, f"not a readable file ({exc})", detail=str(exc)
            )
    except Stop:
        raise IngestError(filename, ctx.problems, None) from None
    finally:
        if source is not None:
            source.close()
    return result


def header_names() -> dict[str, tuple[str, ...]]:
    """The built-in header names of each column role (``timestamp``, ``value`` …)."""
    return dict(ROLE_NAMES)
