"""What the domains' marshmallow schemas share: the strict base (a load refuses unknown keys)
and the required, bounded text field."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def text(max_len: int, **kw) -> fields.String:
    """A string of 1 to ``max_len`` characters (a ``validate`` in ``kw`` replaces that check)."""
    kw.setdefault("validate", validate.Length(min=1, max=max_len))
    return fields.String(**kw)
