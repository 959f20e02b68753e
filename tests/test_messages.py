"""The one message catalogue (emc.messages): every code is said in zh_CN with its params, no
sentence is raised outside it, and the named pages and flashes of issue 15 read as Chinese."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.support import Translations
from flask_babel import force_locale

from emc import messages, paths
from emc.errors import Conflict, Invalid
from emc.messages import CATALOGUE, Text, msg
from emc.web.messages import describe, field_sentences, say

ROOT = Path(__file__).resolve().parent.parent / "emc"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Errors whose first argument is the sentence a user reads.
USER_ERRORS = {"EmcError", "NotFound", "Forbidden", "Conflict", "Invalid", "StaleConflict"}
# The finance core's errors (and its ``_fail`` helper) take (field, message).
FINANCE_ERRORS = {"ContractTermsError", "SavingsInputError", "FinanceInputError", "_fail", "error"}


@pytest.fixture(scope="module")
def zh() -> Translations:
    return Translations.load(str(paths.TRANSLATIONS_DIR), ["zh_Hans_CN"])


def _sample(template: str) -> dict[str, str]:
    return {name: f"<{name}>" for name in PLACEHOLDER.findall(template)}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_has_a_zh_translation_whose_params_format(zh, code):
    template = CATALOGUE[code]
    params = _sample(template)
    english = template % params
    chinese = zh.gettext(template)
    assert zh._catalog.get(template), f"{code}: no zh_CN translation of {template!r}"
    assert set(PLACEHOLDER.findall(chinese)) == set(params), code
    said = chinese % params
    assert all(f"<{name}>" in said for name in params) and "%(" not in said
    assert all(f"<{name}>" in english for name in params)


def test_every_word_a_sentence_takes_is_translated(zh):
    from emc.workflow import tables

    words = [
        *messages.RECORD.values(),
        *messages.MACHINE.values(),
        *messages.STATE.values(),
        *messages.ACTION.values(),
        *messages.FIELD.values(),
    ]
    machines = [v for v in vars(tables).values() if isinstance(v, tables.Machine)]
    words += [t.rule for m in machines for t in m.transitions if t.rule]
    missing = sorted({w for w in words if not zh._catalog.get(w)})
    assert not missing, f"words with no zh_CN translation: {missing}"


def test_a_message_is_its_english_sentence_and_carries_code_and_params():
    text = msg(
        "workflow.wrong_state",
        what=messages.machine("payment_line"),
        state="paid",
        action=messages.action("hold"),
    )
    assert isinstance(text, str) and isinstance(text, Text)
    assert text.code == "workflow.wrong_state" and text.params["state"] == "paid"
    assert "payment line" in text and "paid" in text
    with pytest.raises(KeyError):
        msg("no.such.code")


def _user_sentence(node: ast.AST) -> bool:
    """A sentence written in place: a str literal, an f-string, or text glued with +."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and (_user_sentence(node.left) or _user_sentence(node.right))


def _offenders() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "translations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        finance = "finance" in path.parts
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            if name in USER_ERRORS and node.args and _user_sentence(node.args[0]):
                found.append(f"{where} {name}({ast.unparse(node.args[0])[:60]})")
            finance_call = finance and name in FINANCE_ERRORS and len(node.args) >= 2
            if finance_call and _user_sentence(node.args[1]):
                found.append(f"{where} {name}(…, {ast.unparse(node.args[1])[:60]})")
            for keyword in node.keywords if name in USER_ERRORS else ():
                if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                    for value in keyword.value.values:
                        for item in value.elts if isinstance(value, ast.List) else ():
                            if isinstance(item, ast.JoinedStr):
                                found.append(f"{where} fields=[{ast.unparse(item)[:60]}]")
    return found


def test_no_sentence_is_raised_outside_the_catalogue():
    """Services, cores and views raise ``msg("code", **params)``: a sentence written in place
    (``raise Conflict(f"a {state} report …")``) reaches a Chinese page in English."""
    offenders = _offenders()
    assert not offenders, (
        "sentences raised outside emc/messages.py (add a code to CATALOGUE, raise "
        "msg(code, **params), translate it):\n" + "\n".join(offenders)
    )


def test_the_meta_test_sees_an_f_string_raise(tmp_path):
    tree = ast.parse('raise Conflict(f"a {state} report cannot be {action}d")')
    call = tree.body[0].exc
    assert _user_sentence(call.args[0])
    assert not _user_sentence(ast.parse('msg("x")').body[0].value)


def test_a_percent_field_says_percent_in_both_languages(app):
    from emc.contracts.finance import ContractTermsError
    from emc.contracts.finance.validation import _check_fraction

    with pytest.raises(ContractTermsError) as error:
        _check_fraction(__import__("decimal").Decimal("1.5"), "components[0].excess_share")
    assert error.value.message.code == "finance.fraction"
    with app.test_request_context(), force_locale("zh_CN"):
        assert say(error.value.message) == "必须是 0 % 到 100 % 之间的比例"
    with app.test_request_context(), force_locale("en"):
        assert "100 %" in say(error.value.message)


def test_the_baseline_reason_error_is_a_sentence_not_a_dict(app):
    error = Invalid(
        msg("mv.new_version_approved_baseline_needs"),
        fields={"reason": [msg("mv.required_baseline_has_approved_version")]},
    )
    with app.test_request_context(), force_locale("zh_CN"):
        line = describe(error)
    assert line == "已批准基准的新版本必须填写原因（理由：必填：该基准已有批准的版本）"
    assert "{" not in line and "reason" not in line


def test_field_sentences_use_labels_and_never_internal_names(app):
    fields = {
        "row 17, column 时间": [Text("x", "ingest.bad_timestamp", {"cell": "“2026-13-01”"})],
        "terms.internal_key": ["must be positive"],
        "version": [msg("workflow.stale_field", version=3)],
    }
    with app.test_request_context(), force_locale("zh_CN"):
        sentences = field_sentences(fields)
    assert sentences[0].startswith("第 17 行") and "时间" in sentences[0]
    assert sentences[1] == "必须大于零"  # no label for an internal name: the message alone
    assert sentences[2] == "版本：已过期：当前为第 3 版"


def test_a_stale_decision_reads_as_one_sentence_without_row_versions(app):
    """A race loser's flash said "…您看到的是第 1 版，现在是第 2 版…（版本：已过期：当前为第 2 版）"
    beside a baseline the page calls v1: row counters are not the versions users know."""
    from emc.workflow.machine import StaleConflict

    error = StaleConflict(
        msg(
            "workflow.stale", what="baseline", seen=1, version=2, state="approved", action="approve"
        ),
        state="approved",
        version=2,
        what="baseline",
    )
    with app.test_request_context(), force_locale("zh_CN"):
        line = describe(error)
    assert "版" not in line and "（" in line and line.count("（") == 1
    assert error.fields == {"version": [msg("workflow.stale_field", version=2)]}  # the API's


def test_the_404_page_names_no_class(login_as, db_session):
    response = login_as("energy@school.demo").get("/projects/987654")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "项目不存在或无权查看" in html and "EmcProject" not in html


def test_the_403_page_names_no_permission(login_as, db_session):
    response = login_as("energy@school.demo").get("/programme")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "您无权执行此操作" in html and "programme:read" not in html
    assert "not permitted" not in html


def test_the_api_envelope_keeps_code_and_adds_message_code_and_params(login_as, db_session):
    body = login_as("energy@school.demo").get("/api/v1/projects/987654").get_json()["error"]
    assert body["code"] == "not_found" and body["message_code"] == "not_found"
    assert body["params"] == {"what": "project", "id": 987654}
    assert body["message"] == "项目不存在或无权查看。"


def test_a_conflict_keeps_its_kind_and_its_message_code():
    error = Conflict(msg("mv.baseline_frozen"), code="frozen")
    assert error.code == "frozen" and error.message_code == "mv.baseline_frozen"
    assert error.params == {} and error.status == 409


def test_every_meter_file_problem_and_warning_code_is_in_the_catalogue():
    """The reader's codes are said from ``ingest.<code>``: a new code needs its sentence."""
    from emc.facilities.ingest.model import Code

    assert [c.value for c in Code if f"ingest.{c.value}" not in CATALOGUE] == []


def test_meter_file_warnings_are_said_in_chinese(app):
    """Gaps and notes on rows (warnings; the import goes ahead) carry params for the catalogue."""
    import io

    from emc.facilities.ingest import MeterSpec, read_readings
    from emc.facilities.service.uploads import ProblemText
    from emc.facilities.views.mapping import say_problem

    lines = ["时间,用电量(kWh)"] + [
        f"2026-03-{d:02d} {h:02d}:00,1.5" for d in (1, 2, 4) for h in range(24)
    ]
    reader = read_readings(
        io.BytesIO("\n".join(lines).encode()),
        filename="gap.csv",
        spec=MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=60),
    )
    for _batch in reader:
        pass
    summary = reader.summary
    (gap,) = [w for w in summary.warnings if w.code == "gaps"]
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        text = say_problem(ProblemText(gap.message, gap.code, gap.params))
    assert text.startswith("缺少 24 个时段数据，共 1 段空缺") and "missing" not in text


def test_engine_insufficient_data_is_said_in_chinese(app):
    """The engine's sufficiency refusal and its disqualifying warnings reach a zh page in
    Chinese: the refusal by its code, each warning by the engine warnings' own sentences."""
    from emc.messages import EngineWarningText
    from emc.mv import engine
    from emc.web.messages import say

    warning = EngineWarningText(
        "3 observations cannot support statistics of a 2-parameter model.",
        "too_few_observations",
        {"n": 3, "p": 2},
    )
    with pytest.raises(engine.InsufficientDataError) as error:
        engine.fit_daily(["2024-01-01", "2024-01-02"], [1.0, float("nan")], [float("nan"), 5.0])
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert "observations" not in say(warning) and "3" in say(warning)
        assert say(msg("mv.insufficient_data", meter="电表", problem=error.value.args[0])) != (
            str(msg("mv.insufficient_data", meter="电表", problem=error.value.args[0]))
        )
