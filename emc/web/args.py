"""The one way a page reads an integer from its query string or form.

Every integer a request carries lies inside the database's integer range (``emc.schemas``):
anything else — not ASCII digits, a sign, a superscript "²" (``str.isdigit`` accepts it and
``int`` refuses it), a number beyond ``INT_MAX`` — reads as absent, so it can neither raise nor
overflow a key or an OFFSET. Pages treat an absent id as "none chosen" and an absent page number
as the first page.
"""

from __future__ import annotations

import re

from flask import request

from emc.schemas import INT_MAX

_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_int(value: object) -> int | None:
    """``value`` as a non-negative integer within the database's range, else None."""
    text = str(value).strip() if value is not None else ""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= INT_MAX else None


def int_arg(name: str, *, form: bool = False) -> int | None:
    """The query-string (or, with ``form``, the posted) integer ``name``, or None."""
    return parse_int((request.form if form else request.args).get(name))


def page_arg(name: str = "page") -> int:
    """A page number from the query string: 1 unless a positive integer in range is given."""
    return max(1, int_arg(name) or 1)
