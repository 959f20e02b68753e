"""Database plumbing: the declarative base, shared column types, engines and sessions.

One metadata for the whole application (Alembic's target), a naming convention so every
constraint has a stable name that migrations can refer to, and column aliases written once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from emc import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp that refuses naive datetimes and always comes back aware, in UTC.

    PostgreSQL stores ``timestamptz``; SQLite stores the UTC wall time, and this type restores
    the zone on the way out, so both databases give the same Python values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: pass a timezone-aware value")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: UTCDateTime()}


# Column shapes used across domains, written once.
intpk = Annotated[int, mapped_column(primary_key=True)]
# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY auto-increments.
BigId = BigInteger().with_variant(Integer, "sqlite")
bigintpk = Annotated[int, mapped_column(BigId, primary_key=True)]
Money = Annotated[Decimal, mapped_column(Numeric(14, 2))]
Energy = Annotated[Decimal, mapped_column(Numeric(16, 3))]
Ratio = Annotated[Decimal, mapped_column(Numeric(9, 6))]
Name = Annotated[str, mapped_column(String(200))]
CreatedAt = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=clock.now, nullable=False)]
UpdatedAt = Annotated[
    dt.datetime,
    mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now, nullable=False),
]


class StrEnumType(TypeDecorator):
    """A StrEnum column stored as its lowercase value in a VARCHAR (no database enum type and
    no CHECK constraint, so adding a member never needs a type migration); rows come back as
    enum members, and a string that is no member is refused before it reaches the database.

    A plain ``TypeDecorator`` over ``String`` rather than SQLAlchemy's non-native ``Enum``: the
    stored values and the DDL are the same, but ``Enum`` is a schema type that subscribes to
    its table's create and drop events, about a millisecond of start-up per column, and emc has
    about 60 such columns, all mapped before a server answers its first request.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type, length: int = 30):
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        # LookupError for a string that is no member, as SQLAlchemy's Enum with
        # validate_strings=True raises.
        try:
            return self.enum_cls(value).value
        except ValueError:
            raise LookupError(
                f"{value!r} is not among the defined values of {self.enum_cls.__name__}"
            ) from None

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_cls(value)

    @property
    def python_type(self) -> type:
        return self.enum_cls


def str_enum(enum_cls: type, length: int = 30) -> StrEnumType:
    """The column type of a StrEnum (see ``StrEnumType``)."""
    return StrEnumType(enum_cls, length)


# Seconds a SQLite connection waits for the write lock before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30

# Whether the current unit of work only reads. Only then does SQLite start a plain (deferred)
# BEGIN; everything else takes the write lock up front with BEGIN IMMEDIATE, so two writers queue
# on the busy timeout instead of one failing when it upgrades its read lock ("database is
# locked" at once, which no timeout helps). Web requests set it from the HTTP method.
_read_only: ContextVar[bool] = ContextVar("emc_read_only_transactions", default=False)


def set_read_only(read_only: bool):
    """Mark the current context's transactions as read-only (or not); returns a token for
    ``reset_read_only``. Only SQLite looks at it: PostgreSQL needs no hint."""
    return _read_only.set(read_only)


def reset_read_only(token) -> None:
    _read_only.reset(token)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    token = set_read_only(True)
    try:
        yield
    finally:
        reset_read_only(token)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine. SQLite gets foreign keys on, WAL, a busy timeout, and BEGIN IMMEDIATE
    for every transaction outside ``read_only_transactions()``."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINT and never takes the write lock
        # early; let SQLAlchemy emit BEGIN itself (the recipe from SQLAlchemy's SQLite dialect
        # documentation, "Serializable isolation / Savepoints / Transactional DDL").
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    if not _is_memory(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _is_memory(dbapi_connection) -> bool:
    row = dbapi_connection.execute("PRAGMA database_list").fetchone()
    return not row or not row[2]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction for a job or CLI command: commit on success, roll back on any error.

    It writes, so on SQLite it takes the write lock at its first statement (BEGIN IMMEDIATE),
    even when opened inside a read-only web request.
    """
    token = set_read_only(False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        reset_read_only(token)
