"""Date and time helpers shared by the engine modules (numpy ``datetime64`` based)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from emc.mv.engine.errors import InvalidInputError


def has_repeats(values: np.ndarray) -> bool:
    """Whether a 1-d array holds some value twice. ``np.unique`` would answer too, but in
    numpy 2 it imports ``numpy.ma`` (about 0.1 s, a large part of a whole ``emc mv fit``)."""
    ordered = np.sort(values, kind="stable")
    return bool((ordered[1:] == ordered[:-1]).any())


def as_days(values, name: str = "dates") -> np.ndarray:
    """Any sequence of ``date`` / ISO strings / ``datetime64`` as a ``datetime64[D]`` array.

    Raises:
        InvalidInputError: values cannot be read as dates.
    """
    try:
        arr = np.asarray(values)
        if arr.dtype.kind == "M":
            return arr.astype("datetime64[D]")
        return np.array([np.datetime64(_as_date(v), "D") for v in arr.ravel()], "datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: cannot read as dates ({exc})") from exc


def _as_date(v):
    if isinstance(v, dt.datetime):
        return v.date()
    return v


def as_day(value, name: str = "date") -> np.datetime64:
    """One date (``date``, ISO string or ``datetime64``) as ``datetime64[D]``."""
    return as_days([value], name)[0]


def as_minutes(values, name: str = "timestamps") -> np.ndarray:
    """Timestamps as a ``datetime64[m]`` array (naive, in the series' own local time).

    Raises:
        InvalidInputError: values cannot be read as timestamps.
    """
    try:
        arr = np.asarray(values)
        if arr.dtype.kind == "M":
            return arr.astype("datetime64[m]")
        out = []
        for v in arr.ravel():
            if isinstance(v, dt.datetime) and v.tzinfo is not None:
                # Aware instants are compared on their UTC wall clock, so that a series given
                # in UTC lines up with dates given as UTC calendar days.
                v = v.astimezone(dt.UTC).replace(tzinfo=None)
            out.append(np.datetime64(v, "m"))
        return np.array(out, dtype="datetime64[m]")
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: cannot read as timestamps ({exc})") from exc


def day_range(start, end) -> np.ndarray:
    """Dates of the half-open interval ``[start, end)`` as ``datetime64[D]``."""
    return np.arange(as_day(start), as_day(end), dtype="datetime64[D]")


def is_leap_span(start, end) -> bool:
    """True when ``[start, end)`` contains a 29 February."""
    days = day_range(start, end)
    md = (days - days.astype("datetime64[M]")).astype(int)
    months = days.astype("datetime64[M]").astype(int) % 12
    return bool(np.any((months == 1) & (md == 28)))


def to_date(value: np.datetime64) -> dt.date:
    """``datetime64`` → ``datetime.date``."""
    return np.datetime64(value, "D").astype(dt.date)
