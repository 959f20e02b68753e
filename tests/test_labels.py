"""Every enum a page shows has a label in both languages (issue 15): the one registry."""

from __future__ import annotations

from emc import labels
from emc.i18n import translate
from emc.labels import ENUM_LABELS


def test_every_member_of_every_registered_enum_has_a_label_translated_to_chinese():
    missing = []
    for enum_cls, table in ENUM_LABELS.items():
        for member in enum_cls:
            msgid = table.get(member.value)
            if msgid is None:
                missing.append(f"{enum_cls.__name__}.{member.name}: no label")
            elif translate("zh_CN", msgid) == msgid:
                missing.append(f"{enum_cls.__name__}.{member.name}: {msgid!r} not translated")
    assert not missing, "\n".join(missing)


def test_a_member_is_labelled_by_its_own_enum_and_a_bare_value_by_the_kind_given():
    from emc.contracts.finance import ContractType, LineKind

    assert labels.msgid(LineKind.SHARED_SAVINGS) == "Savings share"
    assert labels.msgid("shared_savings", ContractType) == "Shared savings"
    assert labels.msgid("shared_savings", "LineKind") == "Savings share"
    assert labels.msgid("not-a-value") is None


def test_a_journal_entry_reads_as_a_chinese_sentence_with_field_labels(app, db_session):
    import datetime as dt

    from sqlalchemy import select

    from emc.auth.models import User
    from emc.journal import JournalEntry
    from emc.web.labels import journal_rows

    finance = db_session.scalar(select(User).where(User.email == "finance@school.demo"))
    entry = JournalEntry(
        at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
        actor_user_id=finance.id,
        actor_label=finance.email,
        action="hold",
        object_type="payment_lines",
        object_id="930",
        summary="actual:shared_savings:shared_savings:2026-08-01:2026-09-01 21465.60",
        before={"hold_reason": None, "status": "scheduled", "version": 1},
        after={"hold_reason": "计量数据待核实", "status": "on_hold", "version": 2},
    )
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        (row,) = journal_rows([entry])
    assert row["sentence"] == "财务人员 一中财务 将付款明细（2026-08-01 – 2026-08-31）置为暂缓"
    assert row["changes"] == [("理由", "—", "计量数据待核实"), ("状态", "计划中", "已暂缓")]
    assert all(field != "version" for field, _old, _new in row["changes"])


def test_an_mv_engine_warning_is_said_from_its_code_and_data(app):
    from emc.web.labels import mv_warning

    warning = {
        "code": "day_type_merged",
        "message": "Only 5 baseline days are makeup_workday (fewer than 10): …",
        "data": {"day_type": "makeup_workday", "into": "weekend", "n_days": 5, "min_days": 10},
    }
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        said = mv_warning(warning)
        unknown = mv_warning({"code": "new_in_the_engine", "message": "as the engine says"})
    assert "5" in said and "10" in said and "makeup_workday" not in said and "weekend" not in said
    assert unknown == "as the engine says"


def test_stored_factor_notes_are_said_in_the_page_language_and_others_kept(app):
    from emc.web.labels import factor_note

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        used = factor_note(
            "electricity co2: 2021 factor used for 2020 (before the first published year)"
        )
        stale = factor_note("no co2 factor for electricity in 2024: the 2023 value is used")
        ref = factor_note("natural_gas tce: natural_gas/tce/-/fuel/-/-")
        other = factor_note("something else entirely")
    assert used == "电力二氧化碳：2020 年采用 2021 年因子（早于首个发布年份）"
    assert stale == "电力在 2024 年没有二氧化碳因子：采用 2023 年的数值"
    assert "natural_gas" not in ref and "天然气" in ref
    assert other == "something else entirely"


def test_a_stored_fraction_reads_as_a_percentage_exactly():
    from emc.labels import percent

    assert percent("0.02") == "2"
    assert percent("0.035") == "3.5"
    assert percent(0.1) == "10"
    assert percent("not a number") == "not a number"


def test_the_project_page_shows_the_price_escalation_as_a_percentage(app, demo, client, db_session):
    from sqlalchemy import select

    from emc.contracts.models import Contract, EmcProject
    from emc.demo import actor_for

    school = actor_for(db_session, "energy@school.demo").organization_id
    contract, project_id = next(
        (c, pid)
        for c, pid, org in db_session.execute(
            select(Contract, EmcProject.id, EmcProject.organization_id).join(
                EmcProject, EmcProject.id == Contract.project_id
            )
        )
        if org == school and c.terms.get("prices")
    )
    escalation = contract.terms["prices"][0]["escalation"]
    client.login("energy@school.demo")
    page = client.http.get(f"/projects/{project_id}").get_data(as_text=True)
    assert f">{labels.percent(escalation)} %</td>" in page
    assert f">{escalation}</td>" not in page


def test_a_journal_period_reads_as_its_first_and_last_day(app, db_session):
    """计费期间：2025-02-01 – 2025-03-01 read as if March 1st were billed: a stored half-open
    period is shown as the report page shows it."""
    import datetime as dt

    from emc.journal import JournalEntry
    from emc.web.labels import journal_rows

    entry = JournalEntry(
        at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
        actor_user_id=None,
        actor_label="job",
        action="draft",
        object_type="mv_reports",
        object_id="1",
        summary="M&V report 2025-02-01 – 2025-03-01 version 1",
        before=None,
        after={"period": "2025-02-01 – 2025-03-01"},
    )
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        (row,) = journal_rows([entry])
    (change,) = [c for c in row["changes"] if c[2].startswith("2025-02-01")]
    assert change[2] == "2025-02-01 – 2025-02-28"


def test_journal_money_reads_with_thousands_separators(app):
    """变更记录 showed 总投资（元）：1650000.00 beside 1,650,000.00 on the same page."""
    from emc.web.labels import _value

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert _value("total_investment", "1650000.00", {}, {}) == "1,650,000.00"
        assert _value("amount", "-607980.15", {}, {}) == "-607,980.15"
        assert _value("name", "1650000.00", {}, {}) == "1650000.00"  # not money by its name


def test_a_plans_method_in_the_history_is_the_method_not_the_meter_kind(app):
    """ "方法：日数据回归 → 按账单期计量": "billing" is also a meter kind, whose label won."""
    from flask_babel import force_locale

    from emc.web.labels import _value

    with app.test_request_context(), force_locale("zh_CN"):
        assert _value("method", "billing", {}, {}) == "账单周期回归"
        assert _value("method", "daily", {}, {}) == "日数据回归"
        assert _value("kind", "billing", {}, {}) != "账单周期回归"


def test_a_journal_period_end_reads_as_the_periods_last_day(app):
    """期间结束：2025-01-01 under a line the pages show as 2024-12-01 – 2024-12-31: a stored
    exclusive end is shown as the period's last day."""
    from emc.web.labels import _value

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert _value("period_end", "2025-01-01", {}, {}) == "2024-12-31"
        assert _value("period_start", "2024-12-01", {}, {}) == "2024-12-01"


def test_an_audits_depth_in_the_history_is_its_gbt_17166_level(app):
    """审计深度：2 said nothing; the audit page says 二级：调查与分析."""
    from flask_babel import force_locale

    from emc.web.labels import _value

    with app.test_request_context(), force_locale("zh_CN"):
        assert _value("level", 2, {}, {}) == "二级：调查与分析"
        assert _value("level", "province", {}, {}) != "2"
