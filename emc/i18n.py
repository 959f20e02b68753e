"""Translations outside a request: messages for a given user's language (notifications, e-mail,
jobs). Pages use Flask-Babel; this reads the same compiled catalog without Flask."""

from __future__ import annotations

from functools import cache

from babel.support import NullTranslations, Translations

from emc import paths

SUPPORTED = ("zh_CN", "en")


@cache
def _catalog(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    # Babel names zh_CN "zh_Hans_CN"; the catalog folder follows Flask-Babel's lookup.
    return Translations.load(str(paths.TRANSLATIONS_DIR), [locale, "zh_Hans_CN", "zh"])


def N_(message: str) -> str:  # noqa: N802 — the marker name message extractors look for
    """Mark an English msgid for extraction where it is translated later (per recipient)."""
    return message


def translate(locale: str, message: str, **params: object) -> str:
    """``message`` (an English msgid with %(name)s placeholders) in ``locale``, params filled in."""
    text = _catalog(locale if locale in SUPPORTED else "zh_CN").gettext(message)
    return text % params if params else text
