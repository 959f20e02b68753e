"""The stored form of contract terms: a versioned JSON document (:data:`TERMS_FORMAT`) that
round-trips exactly to :class:`emc.contracts.finance.ContractTerms` through
:func:`terms_to_document` / :func:`terms_from_document`, and savings estimates likewise.

Pure: no database; :mod:`emc.contracts.models` re-exports these names (their historical home).
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import enum
import functools
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any

from emc.contracts import finance
from emc.messages import msg

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
            _fail(path, msg("finance.must_list"))
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            _fail(path, msg("finance.decimal_as_string"))
        try:
            number = Decimal(value)
        except InvalidOperation:
            _fail(path, msg("finance.not_decimal"))
        if not number.is_finite():
            _fail(path, msg("finance.not_finite"))
        return number
    if tp is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            _fail(path, msg("finance.date_iso"))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            _fail(path, msg("finance.not_a_choice", choices=", ".join(m.value for m in tp)))
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, msg("finance.not_integer"))
        return value
    if tp is bool:
        if not isinstance(value, bool):
            _fail(path, msg("finance.must_true_false"))
        return value
    if tp is str:
        if not isinstance(value, str):
            _fail(path, msg("finance.must_text"))
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


# While :func:`decode_terms_all` runs: the bad leaves found so far. A bad leaf is then noted
# and left as it was written (None if missing), and decoding goes on with the next field.
_FOUND: contextvars.ContextVar[list[finance.FinanceInputError] | None] = contextvars.ContextVar(
    "emc_terms_decode_found", default=None
)


def _decode_dataclass(cls: type, value: Any, path: str, skip: tuple[str, ...] = ()) -> Any:
    prefix = f"{path}." if path else ""
    if not isinstance(value, dict):
        _fail(path or "terms", msg("finance.must_object"))
    found = _FOUND.get()
    hints, fields, known = _fields_of(cls)
    for name in value:
        if name not in known and name not in skip:
            if found is None:
                _fail(f"{prefix}{name}", msg("finance.unknown_field"))
            found.append(
                finance.ContractTermsError(f"{prefix}{name}", msg("finance.unknown_field"))
            )
    kwargs = {}
    for f in fields:
        if f.name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                if found is None:
                    _fail(f"{prefix}{f.name}", msg("field.required"))
                found.append(finance.ContractTermsError(f"{prefix}{f.name}", msg("field.required")))
                kwargs[f.name] = None
            continue
        try:
            kwargs[f.name] = _decode(hints[f.name], value[f.name], f"{prefix}{f.name}")
        except finance.ContractTermsError as error:
            if found is None:
                raise
            found.extend(finance.each_error(error))
            kwargs[f.name] = value[f.name]
    return cls(**kwargs)


def _decode_component(value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        _fail(path, msg("finance.must_object"))
    cls = _COMPONENT_CLASSES.get(value.get("type"))
    if cls is None:
        _fail(f"{path}.type", msg("finance.not_a_choice", choices=", ".join(_COMPONENT_CLASSES)))
    return _decode_dataclass(cls, value, path, skip=("type",))


def stored_terms(contract: Any) -> finance.ContractTerms | None:
    """The decoded terms of a stored contract (a ``Contract`` row), or None when there is no
    contract or its document does not decode: for pages that show what the terms say."""
    if contract is None:
        return None
    try:
        return terms_from_document(contract.terms)
    except finance.FinanceInputError:
        return None


def terms_from_document(document: dict[str, Any]) -> finance.ContractTerms:
    """The :class:`~emc.contracts.finance.ContractTerms` of a terms document.

    Raises :class:`~emc.contracts.finance.ContractTermsError` naming the bad field by its path
    (``components[0].shares[1].share``). Only decodes: call ``finance.validate_terms`` to check.
    """
    if not isinstance(document, dict):
        _fail("terms", msg("finance.must_object"))
    doc = dict(document)
    fmt = doc.pop("format", TERMS_FORMAT)
    if fmt != TERMS_FORMAT:
        _fail("format", msg("finance.unsupported_format", format=repr(fmt)))
    return _decode_dataclass(finance.ContractTerms, doc, "")


def decode_terms_all(
    document: dict[str, Any],
) -> tuple[finance.ContractTerms | None, tuple[finance.FinanceInputError, ...]]:
    """As :func:`terms_from_document`, but every bad field of the document is found, not only
    the first: (the terms with each bad leaf left as it was written, or None if the document
    is not an object of this format; the errors). The terms are for
    ``finance.validate_terms(terms, tolerant=True)`` only, to find the other bad fields."""
    token = _FOUND.set([])
    try:
        try:
            terms = terms_from_document(document)
        except finance.ContractTermsError as error:
            return None, (*_FOUND.get(), *finance.each_error(error))
        return terms, tuple(_FOUND.get())
    finally:
        _FOUND.reset(token)


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
