"""Local wall-clock times of a site to UTC epoch seconds, and timestamp text to datetimes. Pure.

Most days in most zones (every day in China since 1991) have a single UTC offset, so the epoch of
a local time is the epoch of that day's local midnight plus the seconds since midnight; those
midnights are cached per day, which is what lets the interval reader handle a million rows a
second. Days with a DST transition go through :mod:`zoneinfo` row by row.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

__all__ = ["AMBIGUOUS", "Clock", "NonexistentTime", "parse_timestamp_text"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86400
AMBIGUOUS = "ambiguous"


class NonexistentTime(ValueError):
    """A local time skipped by a DST transition (clocks set forward)."""


def _utc_epoch(dt: datetime) -> int:
    """Seconds since 1970-01-01 of a naive datetime read as UTC (sub-seconds dropped)."""
    return (dt.toordinal() - _EPOCH_ORDINAL) * _DAY + dt.hour * 3600 + dt.minute * 60 + dt.second


class Clock:
    """Converts the site's local wall-clock times to UTC epoch seconds."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name = zone_name
        self.zone = ZoneInfo(zone_name)
        self._midnights: dict[int, int | None] = {}

    def midnight(self, day: date) -> int | None:
        """Epoch of local midnight of ``day`` if the whole day has one UTC offset, else None."""
        ordinal = day.toordinal()
        try:
            return self._midnights[ordinal]
        except KeyError:
            pass
        zone = self.zone
        start = datetime.combine(day, datetime.min.time())
        last = start + timedelta(seconds=_DAY - 1)
        offsets = {
            zone.utcoffset(start),
            zone.utcoffset(start.replace(fold=1)),
            zone.utcoffset(last),
            zone.utcoffset(last.replace(fold=1)),
        }
        if len(offsets) == 1:
            (offset,) = offsets
            result = (ordinal - _EPOCH_ORDINAL) * _DAY - int(offset.total_seconds())
        else:
            result = None
        self._midnights[ordinal] = result
        return result

    def epoch(self, local: datetime, after: int | None = None) -> tuple[int, str | None]:
        """UTC epoch seconds of naive local time ``local``, and ``"ambiguous"`` or None.

        An ambiguous time (clocks set back, the hour happens twice) takes its first occurrence
        (fold=0) — unless that would not come after ``after`` (the previous row's epoch) while
        the second occurrence would: a sorted file that repeats the hour means the second one.

        Raises:
            NonexistentTime: the time was skipped (clocks set forward).
        """
        base = self.midnight(local.date())
        if base is not None:
            return base + local.hour * 3600 + local.minute * 60 + local.second, None
        zone = self.zone
        naive = local.replace(microsecond=0, tzinfo=None)
        first = int(naive.replace(tzinfo=zone, fold=0).timestamp())
        second = int(naive.replace(tzinfo=zone, fold=1).timestamp())

        def lands(epoch: int) -> bool:
            return datetime.fromtimestamp(epoch, zone).replace(tzinfo=None) == naive

        if first == second:
            return first, None
        if not (lands(first) and lands(second)):
            raise NonexistentTime(f"does not exist in {self.zone_name} (clocks were set forward)")
        if after is not None and first <= after < second:
            return second, AMBIGUOUS
        return first, AMBIGUOUS

    def local_seconds_of_day(self, epoch: int) -> int:
        """Seconds since local midnight of the local time at ``epoch``."""
        local = datetime.fromtimestamp(epoch, self.zone)
        return local.hour * 3600 + local.minute * 60 + local.second

    def local_text(self, epoch: int) -> str:
        return datetime.fromtimestamp(epoch, self.zone).strftime("%Y-%m-%d %H:%M")


# Dates the way spreadsheets and Chinese systems print them: 2024/1/1 0:15, 2024.01.01,
# 2024年1月1日 0时15分, optionally with seconds and an offset.
_GENERAL = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s+|T|(?<=日))\s*(?P<h>\d{1,2})\s*[:时]\s*(?P<mi>\d{1,2})\s*分?"
    r"(?:\s*[:]?\s*(?P<s>\d{1,2})(?:\.(?P<f>\d+))?\s*秒?)?)?"
    r"\s*(?P<tz>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_timestamp_text(text: str) -> tuple[datetime, bool]:
    """Parse timestamp text; returns ``(datetime, has_time)``.

    The datetime is naive (local time) unless the text carries an offset (``Z``, ``+08:00``),
    in which case it is aware. ``has_time`` is False for a bare date. Sub-second parts must be
    zero.

    Raises:
        ValueError: not a timestamp this reader understands.
    """
    text = text.strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        dt = None
    if dt is not None:
        has_time = len(text) > 10
    else:
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        m = _GENERAL.fullmatch(text)
        if m is None:
            raise ValueError("not a timestamp")
        g = m.groupdict()
        has_time = g["h"] is not None
        tz = None
        if g["tz"]:
            if g["tz"] in ("Z", "z", "UTC"):
                tz = UTC
            else:
                sign = -1 if g["tz"][0] == "-" else 1
                digits = g["tz"][1:].replace(":", "")
                minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
                tz = timezone(sign * timedelta(minutes=minutes))
        fraction = g["f"] or ""
        if fraction.strip("0"):
            raise ValueError("fractions of a second are not supported")
        dt = datetime(
            int(g["y"]),
            int(g["mo"]),
            int(g["d"]),
            int(g["h"] or 0),
            int(g["mi"] or 0),
            int(g["s"] or 0),
            tzinfo=tz,
        )
    if dt.microsecond:
        raise ValueError("fractions of a second are not supported")
    return dt, has_time
