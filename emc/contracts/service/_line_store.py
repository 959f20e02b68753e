"""Bulk insert of new payment lines in the driver's native form.

Generating a portfolio's schedules inserts hundreds of thousands of lines. Through a Core
``insert(table)`` executemany, SQLAlchemy converts every value of every row on its own (enum
members to strings, dates and timestamps to the driver's form, the basis to JSON, the amount
for the driver), and that per-value type conversion cost more than computing the lines. Here
each column's conversion is looked up once per statement, repeated values (enum members,
month boundaries, the statement's timestamp) are converted once, and the rows go to the
driver ready: tuples for one ``executemany`` on SQLite, ``COPY … FROM STDIN`` text on
PostgreSQL, where :meth:`NewLines.streaming` lets the server ingest rows while the caller
computes the next ones.

The values are produced by the columns' own SQLAlchemy bind processors (and, for COPY,
psycopg's own text dumpers), so a line stored here reads back exactly as one stored through
the ORM or Core (``tests/contracts/test_contracts_line_store.py`` checks every column on both
databases). It runs on the session's connection, inside the session's transaction: the insert
commits or rolls back with the rest of the user's action.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from emc import clock
from emc.contracts import finance
from emc.contracts.models import LineStatus, PaymentLine

# The columns a new line is stored with, in row order. Every other column (id, the review
# fields) is left to the database: NULL, or the id sequence.
_COLUMNS = (
    "project_id",
    "key",
    "source",
    "kind",
    "component",
    "contract_year",
    "period_start",
    "period_end",
    "due_on",
    "payer",
    "payee",
    "amount",
    "basis",
    "status",
    "version",
    "created_at",
    "updated_at",
)


class _BasisText(dict):
    """A basis as stored text (JSON, and for COPY escaped), made once per basis object: lines
    placed from one finance-core template share their basis dict (a 10-year monthly schedule
    has 120 lines and about 10 distinct bases). Keyed by identity, holding the basis so that
    no id is reused while the memo lives; a basis is read-only once it is in a line."""

    def __init__(self, text: Callable[[Any], str]) -> None:
        super().__init__()
        self._text = text

    def of(self, basis: dict[str, Any]) -> str:
        entry = self.get(id(basis))
        if entry is None:
            if len(self) >= _BASIS_MEMO_SIZE:
                # Lines sharing a basis come together (one project's): keep memory bounded.
                self.clear()
            entry = self[id(basis)] = (basis, self._text(basis))
        return entry[1]


class _Memo(dict):
    """Converts each distinct (hashable) value once with ``convert``; ``memo[value]``."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = self._convert(value)
        return converted


def _bind_converter(dialect: Dialect, name: str) -> Callable[[Any], Any]:
    """The bind processor SQLAlchemy itself applies to column ``name`` on ``dialect``."""
    column_type = PaymentLine.__table__.c[name].type
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    return processor or (lambda value: value)


def _copy_text(driver_connection: Any) -> Callable[[Any], str]:
    """A value as psycopg's own text dumper writes it for ``COPY`` (what ``write_row`` sends)."""
    from psycopg.adapt import PyFormat, Transformer  # PostgreSQL only: SQLite never loads it

    transformer = Transformer(driver_connection)

    def text(value: Any) -> str:
        return bytes(transformer.get_dumper(value, PyFormat.TEXT).dump(value)).decode()

    return text


# COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


class NewLines:
    """New payment lines of one action, held in the driver's form until :meth:`insert`.

    Lines are converted as they are added, so a portfolio's computed lines need not stay alive
    as objects until the insert. Status ``scheduled``, version 1 and one ``created_at`` =
    ``updated_at`` for every row, as the ORM defaults would set them. On PostgreSQL (psycopg)
    each row becomes one line of ``COPY`` text, each value written by psycopg's own dumper
    from what the column's bind processor gives; elsewhere a tuple of bind-processed values.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        connection = session.connection()
        dialect = self._dialect = connection.dialect
        self._copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        # What SQLAlchemy's JSON type serialises with (``json.dumps`` unless the engine says else).
        dumps = getattr(dialect, "_json_serializer", None) or json.dumps
        self._basis = _BasisText(
            (lambda basis: _copy_escape(dumps(basis))) if self._copy else dumps
        )
        if self._copy:
            text = _copy_text(connection.connection.driver_connection)

            def converter(name: str) -> Callable[[Any], Any]:
                bind = _bind_converter(dialect, name)
                return lambda value: text(bind(value))
        else:

            def converter(name: str) -> Callable[[Any], Any]:
                return _bind_converter(dialect, name)

        memo = {
            name: _Memo(converter(name))
            for name in (
                "project_id",
                "source",
                "kind",
                "contract_year",
                "period_start",
                "period_end",
                "due_on",
                "payer",
                "amount",
            )
        }
        self._memo = memo
        # payer and payee are the same type: one memo serves both.
        memo["payee"] = memo["payer"]
        if not self._copy:
            # Amounts rarely repeat across projects; the processor itself is cheap here.
            memo["amount"] = converter("amount")  # type: ignore[assignment]
        now = clock.now()
        self._fixed = tuple(
            converter(name)(value)
            for name, value in (
                ("status", LineStatus.SCHEDULED),
                ("version", 1),
                ("created_at", now),
                ("updated_at", now),
            )
        )
        self._rows: list[Any] = []
        self._added = 0
        self._stream: Any = None

    def __len__(self) -> int:
        """Rows added so far (sent or not)."""
        return self._added

    def _sql(self) -> str:
        preparer = self._dialect.identifier_preparer
        table = preparer.format_table(PaymentLine.__table__)
        columns = ", ".join(preparer.quote(name) for name in _COLUMNS)
        if self._copy:
            return f"COPY {table} ({columns}) FROM STDIN"
        marks = ", ".join(_placeholder(self._dialect, i) for i in range(len(_COLUMNS)))
        return f"INSERT INTO {table} ({columns}) VALUES ({marks})"

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Inside this block, rows go to the database as they accumulate instead of waiting
        for :meth:`insert`: on PostgreSQL one ``COPY`` runs on the server while the caller
        computes the next lines (elsewhere nothing changes). Pending session changes are
        flushed first, and the block must not use the session's connection otherwise. If the
        block raises, a savepoint takes back the rows already sent and the transaction stays
        usable, as if nothing had been inserted."""
        if not self._copy:
            yield
            return
        session = self._session
        session.flush()
        savepoint = session.begin_nested()
        try:
            cursor = session.connection().connection.driver_connection.cursor()
            with cursor, cursor.copy(self._sql()) as copy:
                self._stream = copy
                yield
                self._send()
        except BaseException:
            self._stream = None
            savepoint.rollback()
            raise
        self._stream = None
        savepoint.commit()

    def _send(self) -> None:
        rows, self._rows = self._rows, []
        for i in range(0, len(rows), _COPY_BATCH):
            self._stream.write("".join(rows[i : i + _COPY_BATCH]))

    def extend(self, project_id: int, lines: Iterable[finance.ScheduleLine]) -> None:
        """Add ``lines`` of project ``project_id``, in order."""
        memo, basis, fixed = self._memo, self._basis.of, self._fixed
        source, kind, year, party = (
            memo["source"],
            memo["kind"],
            memo["contract_year"],
            memo["payer"],
        )
        starts, ends, dues, amount = (
            memo["period_start"],
            memo["period_end"],
            memo["due_on"],
            memo["amount"],
        )
        rows = self._rows
        start = len(rows)
        if self._copy:
            head = memo["project_id"][project_id]
            tail = "\t".join(fixed)
            rows.extend(
                f"{head}\t{_copy_escape(line.key)}\t{source[line.source]}\t{kind[line.kind]}\t"
                f"{_copy_escape(line.component)}\t{year[line.contract_year]}\t"
                f"{starts[line.period_start]}\t{ends[line.period_end]}\t{dues[line.due_date]}\t"
                f"{party[line.payer]}\t{party[line.payee]}\t{amount[line.amount]}\t"
                f"{basis(line.basis)}\t{tail}\n"
                for line in lines
            )
            self._added += len(rows) - start
            if self._stream is not None and len(rows) >= _COPY_BATCH:
                self._send()
            return
        rows.extend(
            (
                project_id,
                line.key,
                source[line.source],
                kind[line.kind],
                line.component,
                line.contract_year,
                starts[line.period_start],
                ends[line.period_end],
                dues[line.due_date],
                party[line.payer],
                party[line.payee],
                amount(line.amount),
                basis(line.basis),
                *fixed,
            )
            for line in lines
        )
        self._added += len(rows) - start

    def insert(self) -> None:
        """Flush the session (its pending updates and deletes go first), then insert every row
        added and not yet sent, in one statement on the session's connection and transaction."""
        session = self._session
        session.flush()
        if not self._rows:
            return
        connection = session.connection()
        if self._copy:
            # COPY takes the rows as one stream: no per-row statement for the server to run.
            cursor = connection.connection.driver_connection.cursor()
            with cursor, cursor.copy(self._sql()) as copy:
                self._stream = copy
                try:
                    self._send()
                finally:
                    self._stream = None
        else:
            rows, self._rows = self._rows, []
            connection.exec_driver_sql(self._sql(), rows)


# Distinct bases remembered at once by _BasisText.
_BASIS_MEMO_SIZE = 4096

# Rows per write to the COPY stream (a few hundred kilobytes).
_COPY_BATCH = 1000


def _placeholder(dialect: Dialect, index: int) -> str:
    style = dialect.paramstyle
    if style == "qmark":
        return "?"
    if style == "numeric":
        return f":{index + 1}"
    if style in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"positional parameters in paramstyle {style!r}")
