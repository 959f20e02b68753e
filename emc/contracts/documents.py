"""The stored form of contract terms: a versioned JSON document (:data:`TERMS_FORMAT`) that
round-trips exactly to :class:`emc.contracts.finance.ContractTerms` through
:func:`terms_to_document` / :func:`terms_from_document`, and savings estimates likewise.

Pure: no database; :mod:`emc.contracts.models` re-exports these names (their historical home).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any

from emc.contracts import finance

# --- the terms document --------------------------------------------------------------------

TERMS_FORMAT = 1

_COMPONENT_CLASSES: dict[str, type] = {
    finance.ContractType.SHARED_SAVINGS: finance.SharedSavingsTerms,
    finance.ContractType.GUARANTEED_SAVINGS: finance.GuaranteedSavingsTerms,
    finance.ContractType.ENERGY_COST_CUSTODY: finance.EnergyCostCustodyTerms,
    finance.ContractType.FINANCE_LEASE: finance.FinanceLeaseTerms,
}
_COMPONENT_NAMES = {cls: name for name, cls in _COMPONENT_CLASSES.items()}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        out = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if type(value) in _COMPONENT_NAMES:
            out = {"type": str(_COMPONENT_NAMES[type(value)]), **out}
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def terms_to_document(terms: finance.ContractTerms) -> dict[str, Any]:
    """``terms`` as a JSON-safe document (Decimals as strings, dates ISO, components typed)."""
    return {"format": TERMS_FORMAT, **_encode(terms)}


def _fail(path: str, message: str):
    raise finance.ContractTermsError(path, message)


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None and len(args) < len(typing.get_args(tp)):
            return None
        if tp == finance.Component or set(args) == set(_COMPONENT_NAMES):
            return _decode_component(value, path)
        return _decode(args[0], value, path)
    if origin is tuple:
        if not isinstance(value, list):
            _fail(path, "must be a list")
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            _fail(path, "must be a decimal number written as a string")
        try:
            number = Decimal(value)
        except InvalidOperation:
            _fail(path, f"{value!r} is not a decimal number")
        if not number.is_finite():
            _fail(path, "must be a finite number")
        return number
    if tp is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            _fail(path, "must be a date (YYYY-MM-DD)")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            _fail(path, f"must be one of {', '.join(m.value for m in tp)}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, "must be an integer")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            _fail(path, "must be true or false")
        return value
    if tp is str:
        if not isinstance(value, str):
            _fail(path, "must be text")
        return value
    if dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, value, path)
    raise TypeError(f"cannot decode {tp!r}")  # pragma: no cover - a new finance type


@functools.cache
def _fields_of(cls: type) -> tuple[dict[str, Any], tuple[dataclasses.Field, ...], frozenset[str]]:
    """Resolved type hints, fields and field names of a finance dataclass (resolving the
    hints is slow and they never change; a portfolio's schedules decode thousands of terms)."""
    fields = dataclasses.fields(cls)
    return (
        typing.get_type_hints(cls, vars(finance.terms)),
        fields,
        frozenset(f.name for f in fields),
    )


def _decode_dataclass(cls: type, value: Any, path: str, skip: tuple[str, ...] = ()) -> Any:
    prefix = f"{path}." if path else ""
    if not isinstance(value, dict):
        _fail(path or "terms", "must be an object")
    hints, fields, known = _fields_of(cls)
    for name in value:
        if name not in known and name not in skip:
            _fail(f"{prefix}{name}", "unknown field")
    kwargs = {}
    for f in fields:
        if f.name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                _fail(f"{prefix}{f.name}", "is required")
            continue
        kwargs[f.name] = _decode(hints[f.name], value[f.name], f"{prefix}{f.name}")
    return cls(**kwargs)


def _decode_component(value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        _fail(path, "must be an object")
    cls = _COMPONENT_CLASSES.get(value.get("type"))
    if cls is None:
        _fail(f"{path}.type", f"must be one of {', '.join(_COMPONENT_CLASSES)}")
    return _decode_dataclass(cls, value, path, skip=("type",))


def terms_from_document(document: dict[str, Any]) -> finance.ContractTerms:
    """The :class:`~emc.contracts.finance.ContractTerms` of a terms document.

    Raises :class:`~emc.contracts.finance.ContractTermsError` naming the bad field by its path
    (``components[0].shares[1].share``). Only decodes: call ``finance.validate_terms`` to check.
    """
    if not isinstance(document, dict):
        _fail("terms", "must be an object")
    doc = dict(document)
    fmt = doc.pop("format", TERMS_FORMAT)
    if fmt != TERMS_FORMAT:
        _fail("format", f"unsupported terms format {fmt!r}")
    return _decode_dataclass(finance.ContractTerms, doc, "")


def terms_description() -> str:
    """The terms document's fields, per component type, for the OpenAPI document (read from
    the finance dataclasses, so a new term is listed the moment it exists). Optional fields
    are marked with ``?``; Decimals are strings, dates ISO."""

    def names(cls: type) -> str:
        return ", ".join(
            f.name
            + (
                "?"
                if f.default is not dataclasses.MISSING
                or f.default_factory is not dataclasses.MISSING
                else ""
            )
            for f in dataclasses.fields(cls)
        )

    parts = [
        f"Contract terms document (format {TERMS_FORMAT}): {names(finance.ContractTerms)}.",
        "components[] carry a type and the fields of that type:",
        *(f"{name}: {names(cls)}." for name, cls in _COMPONENT_CLASSES.items()),
        "shared_savings annual_minimum / annual_cap: yuan per contract year bounding the ESCO's "
        "share (absent: no bound); reconciliation: contract_year (year-end true-up) or period.",
    ]
    return " ".join(parts)


def estimates_from_document(items: list[dict[str, Any]]) -> tuple[finance.SavingsEstimate, ...]:
    """Savings estimates from their stored form; raises ``SavingsInputError`` naming the field."""
    out = []
    for i, item in enumerate(items or []):
        try:
            out.append(_decode_dataclass(finance.SavingsEstimate, item, f"estimates[{i}]"))
        except finance.ContractTermsError as error:
            raise finance.SavingsInputError(error.field, error.message) from None
    return tuple(out)


def estimates_to_document(
    estimates: tuple[finance.SavingsEstimate, ...] | list[finance.SavingsEstimate],
) -> list[dict[str, Any]]:
    return [_encode(e) for e in estimates]
