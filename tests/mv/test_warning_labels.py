"""Every M&V warning the engine or the M&V services can emit is said in Chinese on the page and
in the PDFs, from its code and data (never its English message, never a ``[code]`` prefix)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.support import Translations

from emc import paths
from emc.i18n import translate
from emc.mv.warning_labels import MV_WARNINGS, MV_WARNINGS_WITHOUT_DATA, say_warning

ROOT = Path(__file__).resolve().parents[2] / "emc"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Call sites whose code is a variable, with the codes it takes (a test fails on a new one).
DYNAMIC_CODES = {
    "mv/engine/sufficiency.py": {
        "too_many_days_with_missing_data",
        "too_many_days_with_missing_meter_data",
        "too_many_days_with_missing_temperature_data",
    },
}


def _emitted_codes() -> tuple[set[str], set[str]]:
    """(codes written as literals, files with a code that is not a literal) across the M&V
    engine, its services and its CLI: ``Warning("code", …)`` calls and ``{"code": "…",
    "message": …}`` dicts."""
    codes: set[str] = set()
    dynamic: set[str] = set()
    for path in sorted((ROOT / "mv").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in ("Warning", "MVWarning") or not node.args:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    codes.add(first.value)
                else:
                    dynamic.add(rel)
            elif isinstance(node, ast.Dict):
                keys = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                }
                if "code" in keys and "message" in keys:
                    value = keys["code"]
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        codes.add(value.value)
                    elif not (
                        # A warning saying itself as a dict (Warning.to_dict) emits nothing new.
                        isinstance(value, ast.Attribute)
                        and isinstance(value.value, ast.Name)
                        and value.value.id == "self"
                    ):
                        dynamic.add(rel)
    return codes, dynamic


@pytest.fixture(scope="module")
def zh() -> Translations:
    return Translations.load(str(paths.TRANSLATIONS_DIR), ["zh_Hans_CN"])


def test_every_warning_code_the_mv_code_emits_has_a_sentence():
    codes, dynamic = _emitted_codes()
    assert dynamic == set(DYNAMIC_CODES), "a warning with a computed code: list it above"
    codes |= set().union(*DYNAMIC_CODES.values())
    assert "no_temperature" in codes and "reporting_days_without_savings" in codes
    missing = sorted(codes - set(MV_WARNINGS))
    assert not missing, f"warning codes without a sentence: {missing}"


@pytest.mark.parametrize(
    "msgid", sorted({*MV_WARNINGS.values(), *MV_WARNINGS_WITHOUT_DATA.values()})
)
def test_every_warning_sentence_has_a_zh_translation_whose_params_format(zh, msgid):
    params = {name: f"<{name}>" for name in PLACEHOLDER.findall(msgid)}
    chinese = zh.gettext(msgid)
    assert zh._catalog.get(msgid), f"no zh_CN translation of {msgid!r}"
    assert set(PLACEHOLDER.findall(chinese)) == set(params)
    said = chinese % params
    assert "%(" not in said
    # Names of standards and statistics stay as they are written; no other English word.
    rest = re.sub(r"CalTRACK|ASHRAE Guideline 14|NMBE|CV\(RMSE\)|IQR|<\w+>", "", said)
    assert not re.search(r"[A-Za-z]{3,}", rest), said


def test_the_warnings_of_report_14_read_in_chinese_without_codes():
    """The demo's report 14 (no weather station): both warnings as the zh PDF says them."""
    stored = [
        {
            "code": "no_temperature",
            "message": "The site has no weather station or the station has no temperatures "
            "between 2025-02-01 and 2025-03-01.",
            "data": {"start": "2025-02-01", "end": "2025-03-01"},
        },
        {
            "code": "reporting_days_without_savings",
            "message": "28 of 28 reporting days lack usage or a prediction …",
            "data": {"n_days": 28, "n_missing_temperature": 28, "n_missing_usage": 28},
        },
    ]
    said = [say_warning(w, lambda m: translate("zh_CN", m)) for w in stored]
    assert said[0] == "场所没有气象站，或其气象站缺少 2025-02-01 – 2025-02-28 的气温数据。"
    assert said[1].startswith("报告期有 28 天缺少用能数据")
    assert all("[" not in s and not re.search(r"[a-z]{3,}", s) for s in said)


def test_a_warning_stored_before_its_data_carried_numbers_is_still_said_in_chinese():
    old = {"code": "insufficient_hours", "message": "2024-03: 10 of 744 hours …", "data": {}}
    said = say_warning(old, lambda m: translate("zh_CN", m))
    assert "CalTRACK" in said and "hours" not in said and "%" in said and "%%" not in said
