"""The meter form asks for the rated capacity per hour (``max_per_hour``, the API's field that
bounds readings as plausible), explains its unit, saves and clears it on create and edit, and the
meter page shows it in the meter's unit."""

from __future__ import annotations

import re

from sqlalchemy import select

from emc.auth.models import User
from emc.facilities.models import Meter, Site


def _school_site(session) -> Site:
    org = session.scalar(select(User).where(User.email == "energy@school.demo")).organization_id
    return session.scalar(select(Site).where(Site.organization_id == org).order_by(Site.id))


def test_rated_capacity_is_entered_shown_and_cleared_on_pages(login_as, db_session):
    site = _school_site(db_session)
    energy = login_as("energy@school.demo")
    form = energy.get(f"/sites/{site.id}/meters/new").get_data(as_text=True)
    assert 'name="max_per_hour"' in form and "每小时额定容量" in form
    assert "单位为本表单位/小时" in form
    created = energy.post(
        f"/sites/{site.id}/meters/new",
        data={
            "name": "容量表",
            "carrier": "electricity",
            "unit": "kWh",
            "kind": "interval",
            "interval_minutes": "60",
            "max_per_hour": "500",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    meter = db_session.scalar(select(Meter).where(Meter.name == "容量表"))
    assert meter.max_per_hour == 500
    page = energy.get(f"/meters/{meter.id}").get_data(as_text=True)
    shown = re.search(r'data-testid="max-per-hour">([^<]*)<', page).group(1)
    assert shown == "额定容量 500 kWh/小时"
    edit = energy.get(f"/meters/{meter.id}/edit").get_data(as_text=True)
    assert re.search(r'name="max_per_hour" value="500(\.0+)?"', edit)
    bad = energy.post(f"/meters/{meter.id}/edit", data={"name": "容量表", "max_per_hour": "-1"})
    assert bad.status_code == 422
    assert 'data-field="max_per_hour"' in bad.get_data(as_text=True)
    changed = energy.post(
        f"/meters/{meter.id}/edit", data={"name": "容量表", "max_per_hour": "12.5"}
    )
    assert changed.status_code == 302
    db_session.refresh(meter)
    assert str(meter.max_per_hour) == "12.500"
    assert "额定容量 12.5 kWh/小时" in energy.get(f"/meters/{meter.id}").get_data(as_text=True)
    cleared = energy.post(f"/meters/{meter.id}/edit", data={"name": "容量表", "max_per_hour": ""})
    assert cleared.status_code == 302
    db_session.refresh(meter)
    assert meter.max_per_hour is None
    assert 'data-testid="max-per-hour"' not in energy.get(f"/meters/{meter.id}").get_data(
        as_text=True
    )
