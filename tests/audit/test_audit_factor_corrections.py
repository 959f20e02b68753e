"""A corrected emission factor: audits that recorded the old value keep it; audits recording
their factors afterwards (commissioning, submission, revision) take the correction."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select

from emc.audit import service
from emc.facilities.models import EmissionFactor
from emc.facilities.service.factors import correct_factor
from tests.audit.test_audit_service import accepted_audit, actor, bill, commission


def _zhejiang_2023(session) -> EmissionFactor:
    # The school is in 杭州: the 2023 浙江 provincial factor (0017_factors) is the one applied.
    return session.scalar(
        select(EmissionFactor).where(
            EmissionFactor.carrier == "electricity",
            EmissionFactor.kind == "co2",
            EmissionFactor.variant == "national_average",
            EmissionFactor.scope == "provincial",
            EmissionFactor.region == "330000",
            EmissionFactor.year == 2023,
            EmissionFactor.supersedes_id.is_(None),
        )
    )


def _recorded(audit) -> list[str]:
    return [
        f["value"]
        for f in audit.factor_snapshot["factors"]
        if (f["carrier"], f["kind"], f["variant"], f["scope"], f["region"], f["year"])
        == ("electricity", "co2", "national_average", "provincial", "330000", 2023)
    ]


def test_snapshots_keep_their_values_and_new_ones_take_the_correction(db_session):
    school = actor(db_session, "energy@school.demo")
    auditor = actor(db_session, "auditor@auditor.demo")
    platform = actor(db_session, "admin@platform.demo")
    accepted = accepted_audit(db_session)  # 10,000 kWh of 2023 at 0.4974 kgCO2/kWh (浙江)
    assert _recorded(accepted) == ["0.49740000"]
    draft = commission(db_session)
    correct_factor(
        db_session, platform, _zhejiang_2023(db_session).id, value=D("0.5974"), reason="更正"
    )
    # Recorded snapshots keep their values (exactly one 2023 浙江 value in each): 10,000 kWh ×
    # 0.4974 kgCO2/kWh = 4.974 tCO2.
    accounts = service.figures(db_session, school, accepted.id).accounts
    assert accounts.by_carrier["electricity"].tco2 == D("4.974")
    assert _recorded(draft) == ["0.49740000"]
    # A new audit, a submission and a revision record the factors of their day: 10,000 kWh ×
    # 0.5974 = 5.974 tCO2.
    assert _recorded(commission(db_session)) == ["0.59740000"]
    service.add_bills(db_session, auditor, draft.id, [bill("electricity", "kWh", "10000")])
    service.submit_audit(db_session, auditor, draft.id)
    assert _recorded(draft) == ["0.59740000"]
    assert service.figures(db_session, school, draft.id).accounts.by_carrier[
        "electricity"
    ].tco2 == D("5.974")
    revised = service.revise_audit(db_session, school, accepted.id, reason="因子更正")
    assert service.figures(db_session, school, revised.id).accounts.by_carrier[
        "electricity"
    ].tco2 == D("5.974")
