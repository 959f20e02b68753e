"""What a readings file of each meter kind looks like: the columns it needs, the header words
the reader knows for them, and a small CSV template. Pure.

Header words are part of the file format, not of the page's language: a Chinese file is headed
``时间,用量`` whatever language the uploader reads the site in, so the words below are fixed
(the reader's :data:`~emc.facilities.ingest.source.ROLE_NAMES` accepts all of them).
"""

from __future__ import annotations

import codecs
import datetime as dt

from .model import MeterKind
from .source import ROLE_NAMES

__all__ = [
    "EXPORT_VALUE",
    "HEADERS",
    "NEEDS",
    "OPTIONAL",
    "QUALITY_WORDS",
    "header_words",
    "synonyms",
    "template_csv",
]

# The columns each kind of meter needs, in the order a template lists them.
NEEDS: dict[MeterKind, tuple[str, ...]] = {
    MeterKind.INTERVAL: ("timestamp", "value"),
    MeterKind.BILLING: ("start", "end", "value"),
    MeterKind.REGISTER: ("timestamp", "reading"),
}
OPTIONAL = ("quality", "unit")

# The header a template writes for each role: (Chinese, English); both are read back.
HEADERS: dict[str, tuple[str, str]] = {
    "timestamp": ("时间", "timestamp"),
    "start": ("开始日期", "start"),
    "end": ("结束日期", "end"),
    "value": ("用量", "value"),
    "reading": ("读数", "reading"),
    "unit": ("单位", "unit"),
    "quality": ("质量", "quality"),
}

# The value header of the readings export (Chinese, English): consumption with the meter's
# multiplier applied, which the reader does not multiply again (``source.APPLIED_VALUE_NAMES``).
# The templates keep 用量, the value as read off the meter.
EXPORT_VALUE: tuple[str, str] = ("实际用量", "actual consumption")

# The word a Chinese file (a template, the readings export) writes for each data quality: the
# words the upload help lists; the reader takes them and the page's labels (已替换) back.
QUALITY_WORDS: dict[str, str] = {"measured": "实测", "estimated": "估算", "replaced": "替换"}

_EXAMPLES: dict[MeterKind, tuple[tuple[str, ...], ...]] = {
    MeterKind.INTERVAL: (
        ("2026-01-01 00:00", "12.5"),
        ("2026-01-01 01:00", "11.8"),
        ("2026-01-01 02:00", "11.2"),
    ),
    MeterKind.REGISTER: (
        ("2026-01-01 00:00", "10234.5"),
        ("2026-01-02 00:00", "10480.2"),
        ("2026-01-03 00:00", "10725.9"),
    ),
    # End dates inclusive: each bill starts the day after the previous one ends.
    MeterKind.BILLING: (
        ("2026-01-01", "2026-01-31", "24500"),
        ("2026-02-01", "2026-02-28", "21800"),
        ("2026-03-01", "2026-03-31", "23150"),
    ),
}


def header_words(roles: tuple[str, ...] | list[str], *, chinese: bool = True) -> str:
    """The template's headers of ``roles``, quoted and listed (``“时间”、“用量”`` or
    ``"timestamp", "value"``)."""
    if chinese:
        return "、".join(f"“{HEADERS[r][0]}”" for r in roles)
    return ", ".join(f'"{HEADERS[r][1]}"' for r in roles)


def synonyms(role: str, *, chinese: bool = True) -> tuple[str, ...]:
    """Every header the reader takes for ``role`` (Chinese ones, or the others)."""
    return tuple(n for n in ROLE_NAMES[role] if any(ord(c) > 0x2E7F for c in n) == chinese)


def template_csv(kind: MeterKind | str, minutes: int | None = None) -> bytes:
    """A CSV template for a meter of ``kind``: Chinese headers and three example rows, UTF-8
    with a BOM (so that Excel opens it as Chinese text). ``minutes``: an interval meter's
    interval, so that the example rows step as the meter's do (a daily meter's file has a row
    a day; the hourly example on a daily meter gave an error a row)."""
    kind = MeterKind(kind)
    lines = [",".join(HEADERS[r][0] for r in NEEDS[kind])]
    rows = _EXAMPLES[kind]
    if kind is MeterKind.INTERVAL and minutes and minutes > 0:
        start = dt.datetime(2026, 1, 1)
        rows = tuple(
            ((start + dt.timedelta(minutes=minutes * i)).strftime("%Y-%m-%d %H:%M"), value)
            for i, (_stamp, value) in enumerate(rows)
        )
    lines += [",".join(row) for row in rows]
    return codecs.BOM_UTF8 + ("\r\n".join(lines) + "\r\n").encode("utf-8")
