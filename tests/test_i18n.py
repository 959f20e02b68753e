"""The zh_CN catalog: complete, compiled, placeholder-safe, and actually used by the pages.

Chinese is the default interface language (STYLE.md, "Words"); the source strings are English.
How to extract, update and compile after adding strings: docs/i18n.md.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import marshmallow as ma
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from emc.errors import NotFound

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "emc" / "translations"
POT = TRANSLATIONS / "messages.pot"
# Babel names the zh_CN locale "zh_Hans_CN" (Locale.parse("zh_CN") adds the likely script), and
# Flask-Babel looks the catalog up under that name (then "zh"): a "zh_CN" folder is never found.
ZH_PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"

UPDATE_COMMANDS = (
    "pybabel extract -F babel.cfg -k _l -o emc/translations/messages.pot . && "
    "pybabel update -i emc/translations/messages.pot -d emc/translations"
)
COMPILE_COMMAND = "pybabel compile -d emc/translations"


def _read_po(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _key(message) -> str:
    """A message's singular msgid: plural messages (ngettext) have an (id, plural) tuple."""
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _forms(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _translations(catalog) -> dict[str, str]:
    """singular msgid → translation (plural forms joined) of the real messages, without header."""
    return {_key(m): "\x00".join(_forms(m)) for m in catalog if m.id}


def _translated(message) -> bool:
    return all(_forms(message)) and not message.fuzzy


def _extract() -> set[str]:
    """A fresh extraction with the same mapping and keywords as the documented command."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        # Plural calls give (singular, plural); the catalog is keyed by the singular.
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.fixture(scope="module")
def zh():
    return _read_po(ZH_PO)


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return _extract()


# --- the committed files -----------------------------------------------------------------------


def test_committed_mo_is_the_compiled_po(zh):
    buffer = io.BytesIO()
    write_mo(buffer, zh)
    buffer.seek(0)
    compiled = _translations(read_mo(buffer))
    with ZH_MO.open("rb") as f:
        committed = _translations(read_mo(f))
    stale = sorted(
        k for k in compiled.keys() | committed.keys() if compiled.get(k) != committed.get(k)
    )
    assert not stale, (
        f"{ZH_MO.relative_to(ROOT)} is not what {ZH_PO.relative_to(ROOT)} compiles to "
        f"({len(stale)} messages differ, e.g. {stale[:5]}). Run: {COMPILE_COMMAND}"
    )


def test_committed_pot_matches_a_fresh_extraction(extracted):
    in_pot = set(_translations(_read_po(POT)))
    assert in_pot == extracted, (
        f"messages.pot is stale: new {sorted(extracted - in_pot)}, "
        f"gone {sorted(in_pot - extracted)}. Run: {UPDATE_COMMANDS}"
    )


def test_flask_babel_finds_the_catalog_for_the_default_and_no_catalog_for_english():
    import gettext

    from babel import Locale

    # Flask-Babel parses the selected locale and looks up str(Locale), so do the same here.
    zh_cn = str(Locale.parse("zh_CN"))
    assert gettext.find("messages", str(TRANSLATIONS), [zh_cn]) == str(ZH_MO)
    # English is the source language: no catalog, so gettext returns the msgid unchanged.
    assert gettext.find("messages", str(TRANSLATIONS), ["en"]) is None


# --- completeness ------------------------------------------------------------------------------


def test_every_extracted_message_has_a_chinese_translation(zh, extracted):
    translated = {_key(m) for m in zh if m.id and _translated(m)}
    missing = sorted(extracted - translated)
    assert not missing, (
        f"{len(missing)} UI strings have no zh_CN translation (or only a fuzzy one): {missing}. "
        f"Run: {UPDATE_COMMANDS}; translate them in {ZH_PO.relative_to(ROOT)} "
        f'(remove any "#, fuzzy" flag once checked); then run: {COMPILE_COMMAND}'
    )


def test_catalog_has_no_fuzzy_or_obsolete_entries(zh):
    # A fuzzy entry is not compiled and an obsolete one (#~) is not used: both silently show
    # English in the Chinese interface.
    fuzzy = sorted(_key(m) for m in zh if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy translations to check in {ZH_PO.relative_to(ROOT)}: {fuzzy}"
    assert not zh.fuzzy, f'the header of {ZH_PO.relative_to(ROOT)} is marked "#, fuzzy"'
    assert not zh.obsolete, f"obsolete entries (#~) in the catalog: {sorted(zh.obsolete)}"


# --- placeholders ------------------------------------------------------------------------------

# printf style as used by gettext(..., name=value) and by Jinja's new-style gettext, which
# applies "%" to every translated string, so a stray "%" breaks the page.
_PERCENT = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
_BRACES = re.compile(r"\{[^{}]*\}")


def _placeholders(text: str) -> tuple[list[str], list[str], int]:
    """printf placeholders, brace placeholders, and the count of "%" that start neither."""
    stray = _PERCENT.sub("", text).count("%")
    return sorted(_PERCENT.findall(text)), sorted(_BRACES.findall(text)), stray


def test_translations_keep_the_placeholders_of_their_source(zh):
    broken = []
    for message in zh:
        if not message.id:
            continue
        # With one plural form (Chinese) the translation follows the plural msgid.
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        for form in _forms(message):
            if form and _placeholders(source) != _placeholders(form):
                broken.append((source, form))
    assert not broken, f"translations that change or break placeholders: {broken}"


def test_the_placeholder_check_sees_a_dropped_placeholder():
    assert _placeholders("%(count)s sites") != _placeholders("个场所")
    assert _placeholders("%(count)s sites") == _placeholders("%(count)s 个场所")
    assert _placeholders("Savings 15%%") != _placeholders("节能率 15%")
    assert _placeholders("{min} characters") != _placeholders("至少 10 个字符")


# --- messages that reach gettext as variables ---------------------------------------------------

# Bad values for every kind of field a form can send; each schema field gets each of them.
_PROBES = ("", "zzz", "x" * 300, "2026-01-01", "2026-01-01T00:00:00", "-1", None, 10**30, {}, [])


def _form_schemas() -> list[ma.Schema]:
    """The *In schemas that the HTML forms load (emc.web.forms.load_form): add a new form's here."""
    from emc.auth import schemas as auth
    from emc.contracts import schemas as contracts
    from emc.facilities import schemas as facilities

    return [
        # The facilities pages (emc/facilities/views/).
        facilities.SiteIn(),
        facilities.SitePatch(),
        facilities.BuildingIn(),
        facilities.BuildingPatch(),
        facilities.MeterIn(),
        facilities.MeterPatch(),
        facilities.MeterRetireIn(),
        facilities.WeatherStationIn(),
        facilities.TemperatureUploadForm(),
        auth.LoginIn(),
        auth.OrganizationIn(),
        auth.OrganizationPatch(),
        auth.UserIn(),
        auth.UserPatch(),
        auth.PasswordChangeIn(),
        auth.TokenIn(),
        # The payment-line actions (emc/contracts/views.py::_ACTIONS).
        contracts.VersionIn(),
        contracts.PayIn(),
        contracts.HoldIn(),
    ]


def _messages_of(errors) -> set[str]:
    if isinstance(errors, dict):
        return set().union(*(_messages_of(v) for v in errors.values())) if errors else set()
    if isinstance(errors, list):
        return set().union(*(_messages_of(v) for v in errors)) if errors else set()
    from emc.messages import CATALOGUE, Text

    if isinstance(errors, Text) and errors.code in CATALOGUE:
        # A catalogue sentence with its values: the page translates its msgid, then fills it in.
        return {str(CATALOGUE[errors.code])}
    return {errors} if isinstance(errors, str) else set()


def _form_schema_messages() -> set[str]:
    found: set[str] = set()
    for schema in _form_schemas():
        for bad in ({}, {"no_such_field": "1"}, []):
            try:
                schema.load(bad)
            except ma.ValidationError as error:
                found |= _messages_of(error.messages)
        for name in schema.load_fields:
            for value in _PROBES:
                try:
                    schema.load({name: value}, partial=True)
                except ma.ValidationError as error:
                    found |= _messages_of(error.messages)
                except NotFound:  # an id beyond the column range: a 404 page, no field message
                    pass
        if "confirm_password" in schema.load_fields:
            try:
                schema.load({"new_password": "a", "confirm_password": "b"}, partial=True)
            except ma.ValidationError as error:
                found |= _messages_of(error.messages)
    return found


def _localised_service_modules() -> list[Path]:
    """The services of every domain whose views pass service errors through ``localise``."""
    modules: list[Path] = []
    # A domain's views are views.py or a views/ package.
    for domain in sorted(p for p in (ROOT / "emc").iterdir() if p.is_dir()):
        view_files = [domain / "views.py", *sorted((domain / "views").glob("*.py"))]
        if not any(v.exists() and "localise(" in v.read_text(encoding="utf-8") for v in view_files):
            continue
        modules += [domain / n for n in ("service.py", "services.py") if (domain / n).exists()]
        modules += sorted((domain / "services").glob("*.py"))
    return modules


def _service_field_messages() -> set[str]:
    """Literal field messages of those services: fields={"x": ["..."]} and fields["x"] = [...].

    f-strings embed a value and cannot match a catalog entry, so they are skipped here; the one
    whose value is a constant is checked by the test below.
    """
    lists: list[ast.AST] = []
    for module in _localised_service_modules():
        lists += _field_message_lists(ast.parse(module.read_text(encoding="utf-8")))
    return {
        item.value
        for value in lists
        if isinstance(value, ast.List)
        for item in value.elts
        if isinstance(item, ast.Constant) and isinstance(item.value, str)
    }


def _field_message_lists(tree: ast.AST) -> list[ast.AST]:
    lists: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                    lists.extend(keyword.value.values)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript)
            and isinstance(t.value, ast.Name)
            and t.value.id == "fields"
            for t in node.targets
        ):
            lists.append(node.value)
    return lists


def test_form_validation_messages_are_translated(zh):
    messages = _form_schema_messages()
    assert "Missing data for required field." in messages and "Unknown field." in messages
    translations = _translations(zh)
    missing = sorted(m for m in messages if not translations.get(m))
    assert not missing, (
        f"the form schemas produce messages with no zh_CN translation: {missing}. Add them to "
        f"emc/translations/extra_messages.py, then run: {UPDATE_COMMANDS}; translate; "
        f"{COMPILE_COMMAND}"
    )


def test_service_field_messages_are_translated(zh):
    from emc.auth.service import MIN_PASSWORD_LENGTH

    modules = {p.relative_to(ROOT).as_posix() for p in _localised_service_modules()}
    assert "emc/auth/service.py" in modules
    messages = _service_field_messages()
    # Most field messages are catalogue codes now (emc.messages; tests/test_messages.py checks
    # those); the literal ones that remain must be translated too.
    messages.add(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    translations = _translations(zh)
    missing = sorted(m for m in messages if not translations.get(m))
    assert not missing, (
        f"{sorted(modules)} have field messages with no zh_CN translation: {missing}. Add them "
        f"to emc/translations/extra_messages.py, then run: {UPDATE_COMMANDS}; translate; "
        f"{COMPILE_COMMAND}"
    )


# --- the pages ---------------------------------------------------------------------------------


def test_home_page_is_chinese_by_default_and_english_after_switching(login_as):
    c = login_as("energy@school.demo")
    page = c.get("/").get_data(as_text=True)
    assert "首页" in page and "退出登录" in page
    assert "Log out" not in page

    switched = c.post("/locale", data={"locale": "en", "next": "/"})
    assert switched.status_code == 302
    page = c.get("/").get_data(as_text=True)
    assert "Home" in page and "Log out" in page
    assert "退出登录" not in page


def test_platform_admin_home_page_is_chinese(login_as):
    page = login_as("admin@platform.demo").get("/").get_data(as_text=True)
    assert "首页" in page and "退出登录" in page and "组织机构" in page


def test_chinese_page_is_marked_chinese_and_offers_english(login_as):
    page = login_as("energy@school.demo").get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and 'data-testid="lang-en"' in page


@pytest.mark.parametrize(
    ("accept_language", "expected", "absent"),
    [
        ("en", "Log in", "登录"),
        ("en-GB,en;q=0.9", "Log in", "登录"),
        ("zh-CN", "登录", "Log in"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "登录", "Log in"),
        (None, "登录", "Log in"),
    ],
)
def test_anonymous_login_page_follows_accept_language(client, accept_language, expected, absent):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/login", headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert expected in page and absent not in page


def test_form_errors_are_shown_in_chinese(login_as):
    c = login_as("admin@platform.demo")
    response = c.post(
        "/admin/organizations", data={"kind": "institution", "name_zh": "", "region_code": "12"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "此项为必填项。" in page and "必须为 6 位数字" in page
    assert "Missing data for required field." not in page and "must be 6 digits" not in page


def test_no_message_is_translated_twice():
    """A second entry for the same msgid is silently dead (the first wins), however it is
    translated: "Contract year" read 合同年度 and, in a later entry, 合同年."""
    import collections
    import re

    text = ZH_PO.read_text(encoding="utf-8")
    entries = re.findall(r'^(?:msgctxt "(.*)"\n)?msgid "(.+)"$', text, re.M)
    twice = [entry for entry, n in collections.Counter(entries).items() if n > 1]
    assert twice == []
