"""Read any serialised baseline model back (the inverse of each model's ``to_dict``)."""

from __future__ import annotations

from emc.mv.engine.daily import DailyModel
from emc.mv.engine.errors import ModelFormatError

__all__ = ["model_from_dict"]

_HOURLY_SCHEMA = "emc.mv.hourly_towt"


def model_from_dict(data: dict):
    """Rebuild a fitted model from its versioned dict.

    ``{"version": 1, "method": "daily" | "billing", ...}`` gives a
    :class:`~emc.mv.engine.daily.DailyModel`; ``"daily_daytype"`` a
    :class:`~emc.mv.engine.daytypes.DayTypeModel`; an hourly TOWT dict (``"schema":
    "emc.mv.hourly_towt"``) gives an :class:`~emc.mv.engine.hourly.HourlyModel`. The rebuilt
    model predicts exactly what the original did.

    Raises:
        ModelFormatError: not a dict, unknown method or schema, unsupported version, bad keys.
    """
    if not isinstance(data, dict):
        raise ModelFormatError("a serialised model must be a dict")
    if data.get("schema") == _HOURLY_SCHEMA or data.get("method") == "hourly":
        # Imported here so that daily users never pay for (or depend on) the hourly module.
        from emc.mv.engine.hourly import HourlyModel

        return HourlyModel.from_dict(data)
    if data.get("method") == "daily_daytype":
        from emc.mv.engine.daytypes import DayTypeModel

        return DayTypeModel.from_dict(data)
    if data.get("method") in ("daily", "billing"):
        return DailyModel.from_dict(data)
    raise ModelFormatError(f"unknown model method {data.get('method')!r}")
