"""The access matrix: every role × every route × own / other organisation → expected status.

Rows are written out by hand (not derived from the policy), so a change in who may do what shows
up here as a failing row. ``test_every_route_has_a_row`` walks ``app.url_map``: a new route
without a row fails the suite.
"""

from __future__ import annotations

import itertools
import json

import pytest
from signing_support import sign_by_esco
from sqlalchemy import select

from emc.auth.models import ApiToken, Organization, User

ROLES = {
    "anon": None,
    "platform": "admin@platform.demo",
    "agency": "officer@zhejiang.demo",
    "agency_admin": "admin@zhejiang.demo",
    "inst_admin": "admin@school.demo",
    "energy": "energy@school.demo",
    "finance": "finance@school.demo",
    "viewer": "viewer@school.demo",
    "esco_admin": "admin@esco.demo",
    "engineer": "engineer@esco.demo",
    "auditor_admin": "admin@auditor.demo",
    "auditor": "auditor@auditor.demo",
}
ADMINS = {"platform", "agency_admin", "inst_admin", "esco_admin", "auditor_admin"}
SIGNED_IN = [r for r in ROLES if r != "anon"]


def expect(default: int, anon: int | None = None, **by_role: int) -> dict[str, int]:
    table = {role: default for role in SIGNED_IN}
    table.update(by_role)
    if anon is not None:
        table["anon"] = anon
    return table


def only(roles, yes: int, no: int, anon: int) -> dict[str, int]:
    table = {role: (yes if role in roles else no) for role in SIGNED_IN}
    table["anon"] = anon
    return table


_seq = itertools.count()


def _org_body():
    n = next(_seq)
    return {
        "kind": "institution",
        "name_zh": f"矩阵测试学校{n}",
        "region_code": "330100",
        "sector": "school",
    }


def _user_body(ctx):
    n = next(_seq)
    role = "admin"
    return {
        "email": f"matrix{n}@example.org",
        "display_name": f"矩阵{n}",
        "organization_id": ctx["own_org"],
        "role": role,
        "password": "a-long-password-1",
    }


# Contracts: who reads projects at all (auditors do not), and write expectations on a visible
# object (yes / 403 for readers without the permission / 404 for auditors, who see nothing).
_CT_READERS = set(SIGNED_IN) - {"auditor_admin", "auditor"}
_CT_LINE_FORM = "/payment-lines/<int:line_id>/<any(prepare, approve, pay, hold, release):action>"
_CT_CONTRACT = "/api/v1/projects/<int:project_id>/contract"
_CT_AGREE = "/api/v1/projects/<int:project_id>/contract/amendments/<int:amendment_id>/agree"
_CT_SCHEDULE = "/api/v1/projects/<int:project_id>/schedule"
_CT_CUSTODY_FORM = "/projects/<int:project_id>/custody-adjustments"
_CT_CUSTODY_API = "/api/v1" + _CT_CUSTODY_FORM
_WF_TRANSITION = "/api/v1/projects/<int:project_id>/transitions/<action>"
_WF_AMENDMENT = "/api/v1/projects/<int:project_id>/contract/amendments/<int:amendment_id>"
_WF_STEP = (
    "/projects/<int:project_id>/life/"
    "<any(propose, withdraw, sign, start_works, start_operation, complete, terminate):action>"
)
_WF_DECISION = (
    "/projects/<int:project_id>/life/amendments/<int:amendment_id>/"
    "<any(agree, reject, withdraw):decision>"
)
_CT_CUSTODY_BODY = {
    "kind": "floor_area",
    "reference": "矩阵-2",
    "effective_date": "2025-07-01",
    "new_floor_area_m2": "11000",
    "reason": "矩阵",
}


def _ct_write(roles, yes: int, anon: int = 401) -> dict[str, int]:
    table = {
        role: (yes if role in roles else 403 if role in _CT_READERS else 404) for role in SIGNED_IN
    }
    table["anon"] = anon
    return table


def _ct_line_write(roles, yes: int, anon: int = 302) -> dict[str, int]:
    return _ct_write(roles, yes, anon)


# The project of the contract rows is signed: either party proposes an amendment of its terms
# (the institution's project managers, the contracted ESCO's admin).
_CT_TERMS_WRITERS = {"inst_admin", "energy", "esco_admin"}


def _ct_other_write(anon: int) -> dict[str, int]:
    # Another tenant's object: 404 for everyone but the platform admin, who sees it read-only.
    return only({"platform"}, 403, 404, anon)


# M&V (see the rows and _mv_context).
_MV_ESCO = {"esco_admin", "engineer"}
_MV_INST = {"inst_admin", "energy"}
_MV_BOTH = _MV_ESCO | _MV_INST
_MV_API = "/api/v1/projects/<int:project_id>"
_MV_API_BASELINE = _MV_API + "/baselines/<int:baseline_id>"
_MV_API_REPORT = _MV_API + "/mv-reports/<int:report_id>"
_MV_PAGE_BASELINE = "/projects/<int:project_id>/mv/baselines/<int:baseline_id>"
_MV_PAGE_REPORT = "/projects/<int:project_id>/mv/reports/<int:report_id>"
_MV_APRIL = {"period_start": "2024-04-01", "period_end": "2024-05-01"}
# The page's draft form asks for the last day.
_MV_APRIL_FORM = {"period_start": "2024-04-01", "period_last": "2024-04-30"}


def _mv_measurement(c) -> dict:
    import io

    return {
        "meter_id": str(c.get("mv_meter")),
        "parameter": "reporting_demand_kw",
        "value": "5.5",
        "unit": "kW",
        "measured_at": "2024-01-12T09:00:00+08:00",
        "method": "矩阵",
        "files": (io.BytesIO(b"matrix"), "m.txt"),
    }


# Facilities: sites, buildings and meters are read by the institution, the ESCO of a project
# covering the site, the agencies of its region and the platform; auditors see none. Managers
# change them; importers (managers and the project's ESCO) upload readings. A visible object
# without the permission is 403; an invisible one 404.
_F_READERS = set(SIGNED_IN) - {"auditor_admin", "auditor"}
_F_MANAGERS = {"platform", "inst_admin", "energy"}
_F_IMPORTERS = _F_MANAGERS | {"esco_admin", "engineer"}
_F_METER = "/api/v1/meters/<int:meter_id>"


def _f_write(roles, yes: int, anon: int) -> dict[str, int]:
    table = {r: (yes if r in roles else 403 if r in _F_READERS else 404) for r in SIGNED_IN}
    table["anon"] = anon
    return table


def _f_file() -> dict:
    import io

    return {"file": (io.BytesIO("时间,用量\n2024-02-01 00:00,1\n".encode()), "matrix.csv")}


_F_FACTOR = {
    "carrier": "electricity",
    "kind": "co2",
    "unit": "kgCO2/kWh",
    "value": "0.5",
    "year": 2030,
    "scope": "provincial",
    "region": "330000",
    "source": "矩阵测试来源",
}
_F_CORRECTION = {"value": "0.61", "reason": "矩阵测试更正"}


def _w_file() -> dict:
    import io

    return {"file": (io.BytesIO("时间,气温\n2024-02-01 00:00,1.5\n".encode()), "w.csv")}


def _f_rows(c) -> dict:
    return {"rows": [{"start": "2024-02-01T00:00:00+08:00", "value": "1.5"}]}


# Programme: agencies read and set targets; institution admins and energy managers enter their
# statistics. Another region (Guangdong) is 404 for the agencies, 403 for everyone else.
_PG_AGENCY = {"agency", "agency_admin"}
_PG_STATS = {"inst_admin", "energy"}
_PG_TARGET = "/api/v1/programme/targets/<int:target_id>"


def _pg_other(anon: int) -> dict[str, int]:
    return only(_PG_AGENCY, 404, 403, anon)


# Platform admins read the programme nationally (issue 15): every region, no targets to manage.
_PG_READ = _PG_AGENCY | {"platform"}


def _pg_other_read(anon: int) -> dict[str, int]:
    return {**_pg_other(anon), "platform": 200}


def _pg_target_body(c) -> dict:
    # Each case is rolled back, so the same window never overlaps an earlier case's target.
    return {
        "region_code": "330100",
        "metric": "projects",
        "start_year": "2031",
        "end_year": "2031",
        "project_count": "1",
    }


def _pg_xlsx() -> dict:
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["年份", "建筑面积", "能源品种", "消费量", "单位"])
    book.active.append([2022, 1000, "电力", 1000, "kWh"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return {"file": (buffer, "stats.xlsx")}


# (method, rule, url-builder, body-builder or None, kind 'form'|'json'|None, expectations)
# Energy audits: readers (everyone but ESCOs), the institution's commissioners, the auditor's
# recorders and the quota maintainers (agencies and the platform).
_A_READERS = set(SIGNED_IN) - {"esco_admin", "engineer"}
_A_COMMISSION = {"inst_admin", "energy"}
_A_RECORD = {"auditor_admin", "auditor"}
_A_QUOTA = {"platform", "agency", "agency_admin"}
_A_ITEM = "/api/v1/audits/<int:audit_id>"
_A_ACTION = "/audits/<int:audit_id>/<any(submit, accept, return, revise, 'from-meters'):action>"


def _a_write(roles, yes: int, anon: int) -> dict[str, int]:
    table = {r: (yes if r in roles else 403 if r in _A_READERS else 404) for r in SIGNED_IN}
    table["anon"] = anon
    return table


def _a_other(anon: int) -> dict[str, int]:
    # Another institution's audit by another audit body: the platform sees it, read only.
    return only({"platform"}, 403, 404, anon)


def _a_body(c) -> dict:
    return {
        "title": f"矩阵审计{next(_seq)}",
        "auditor_organization_id": c["a_auditor_org"],
        "level": 1,
        "period_start": "2023-01-01",
        "period_end": "2024-01-01",
        "site_ids": [c["a_site"]],
    }


def _a_form(c) -> dict:
    return {**_a_body(c), "site_ids": str(c["a_site"]), "level": "1"}


def _a_file() -> dict:
    import io

    from emc.audit.accounts import write_workbook

    return {"file": (io.BytesIO(write_workbook([], [])), "matrix.xlsx")}


def _a_quota() -> dict:
    return {
        "region_code": "330100",
        "building_type": "office",
        "basis": "per_area",
        "year": 2030,
        "guide_value": "10",
        "baseline_value": "14",
        "constraint_value": "20",
        "source": "矩阵定额",
    }


# Calendars: institutions' admins and energy managers keep term calendars; the school's
# calendar is seen by its users, the platform and the Zhejiang agencies; the Guangzhou gym's
# unshared calendar only by the platform.
_CAL_MANAGERS = {"inst_admin", "energy"}
_CAL_SCHOOL = {"inst_admin", "energy", "finance", "viewer"}


def _cal_file() -> dict:
    import io

    body = "kind,start_date,end_date,name\nvacation,2025-01-18,2025-02-16,寒假\n"
    return {"file": (io.BytesIO(body.encode()), "calendar.csv")}


ROWS = [
    ("GET", "/", lambda c: "/", None, None, expect(200, anon=302)),
    (
        "POST",
        "/locale",
        lambda c: "/locale",
        lambda c: {"locale": "en"},
        "form",
        expect(302, anon=302),
    ),
    ("GET", "/healthz", lambda c: "/healthz", None, None, expect(200, anon=200)),
    ("GET", "/login", lambda c: "/login", None, None, expect(200, anon=200)),
    (
        "POST",
        "/login",
        lambda c: "/login",
        lambda c: {"email": "nobody@x.org", "password": "wrong"},
        "form",
        expect(401, anon=401),
    ),
    ("POST", "/logout", lambda c: "/logout", lambda c: {}, "form", expect(302, anon=302)),
    ("GET", "/account/password", lambda c: "/account/password", None, None, expect(200, anon=302)),
    (
        "POST",
        "/account/password",
        lambda c: "/account/password",
        lambda c: {
            "current_password": "wrong-one-xx",
            "new_password": "n" * 12,
            "confirm_password": "n" * 12,
        },
        "form",
        expect(422, anon=302),
    ),
    ("GET", "/account/tokens", lambda c: "/account/tokens", None, None, expect(200, anon=302)),
    (
        "POST",
        "/account/tokens",
        lambda c: "/account/tokens",
        lambda c: {"name": "ci"},
        "form",
        expect(201, anon=302),
    ),
    (
        "POST",
        "/account/tokens/<int:token_id>/revoke",
        lambda c: f"/account/tokens/{c['own_token']}/revoke",
        lambda c: {},
        "form",
        expect(302, anon=302),
    ),
    (
        "POST",
        "/account/tokens/<int:token_id>/revoke",
        lambda c: f"/account/tokens/{c['other_token']}/revoke",
        lambda c: {},
        "form",
        expect(404, anon=302),
    ),
    (
        "GET",
        "/admin/organizations",
        lambda c: "/admin/organizations",
        None,
        None,
        only({"platform"}, 200, 403, 302),
    ),
    (
        "POST",
        "/admin/organizations",
        lambda c: "/admin/organizations",
        lambda c: _org_body(),
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "GET",
        "/admin/organizations/<int:org_id>",
        lambda c: f"/admin/organizations/{c['own_org']}",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "GET",
        "/admin/organizations/<int:org_id>",
        lambda c: f"/admin/organizations/{c['other_org']}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    # An agency reads the institutions of its region subtree.
    (
        "GET",
        "/admin/organizations/<int:org_id>",
        lambda c: f"/admin/organizations/{c['region_org']}",
        None,
        None,
        only({"platform", "agency", "agency_admin"}, 200, 404, 302),
    ),
    (
        "POST",
        "/admin/organizations/<int:org_id>",
        lambda c: f"/admin/organizations/{c['own_org']}",
        lambda c: {
            "name_zh": f"改名{next(_seq)}",
            "region_code": c["own_region"],
            "is_active": "on",
        },
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "POST",
        "/admin/organizations/<int:org_id>",
        lambda c: f"/admin/organizations/{c['other_org']}",
        lambda c: {"name_zh": f"改名{next(_seq)}", "region_code": "330100"},
        "form",
        only({"platform"}, 302, 404, 302),
    ),
    ("GET", "/admin/users", lambda c: "/admin/users", None, None, only(ADMINS, 200, 403, 302)),
    (
        "POST",
        "/admin/users",
        lambda c: "/admin/users",
        _user_body,
        "form",
        only(ADMINS, 302, 403, 302),
    ),
    (
        "GET",
        "/admin/users/<int:user_id>",
        lambda c: f"/admin/users/{c['own_user']}",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "GET",
        "/admin/users/<int:user_id>",
        lambda c: f"/admin/users/{c['colleague']}",
        None,
        None,
        only(ADMINS, 200, 404, 302),
    ),
    (
        "GET",
        "/admin/users/<int:user_id>",
        lambda c: f"/admin/users/{c['other_user']}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        "/admin/users/<int:user_id>",
        lambda c: f"/admin/users/{c['colleague']}",
        lambda c: {
            "display_name": "新名字",
            "role": c["colleague_role"],
            "locale": "en",
            "is_active": "on",
        },
        "form",
        only(ADMINS, 302, 404, 302),
    ),
    (
        "POST",
        "/admin/users/<int:user_id>",
        lambda c: f"/admin/users/{c['other_user']}",
        lambda c: {"display_name": "新名字", "role": "engineer", "is_active": "on"},
        "form",
        only({"platform"}, 302, 404, 302),
    ),
    ("GET", "/api/v1/me", lambda c: "/api/v1/me", None, None, expect(200, anon=401)),
    (
        "GET",
        "/api/v1/organizations",
        lambda c: "/api/v1/organizations",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/organizations",
        lambda c: "/api/v1/organizations",
        lambda c: _org_body(),
        "json",
        only({"platform"}, 201, 403, 401),
    ),
    (
        "GET",
        "/api/v1/organizations/<int:org_id>",
        lambda c: f"/api/v1/organizations/{c['own_org']}",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "GET",
        "/api/v1/organizations/<int:org_id>",
        lambda c: f"/api/v1/organizations/{c['other_org']}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/organizations/<int:org_id>",
        lambda c: f"/api/v1/organizations/{c['region_org']}",
        None,
        None,
        only({"platform", "agency", "agency_admin"}, 200, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/organizations/<int:org_id>",
        lambda c: f"/api/v1/organizations/{c['own_org']}",
        lambda c: {"name_en": "Renamed"},
        "json",
        only({"platform"}, 200, 403, 401),
    ),
    (
        "PATCH",
        "/api/v1/organizations/<int:org_id>",
        lambda c: f"/api/v1/organizations/{c['other_org']}",
        lambda c: {"name_en": "Renamed"},
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    ("GET", "/api/v1/users", lambda c: "/api/v1/users", None, None, expect(200, anon=401)),
    (
        "POST",
        "/api/v1/users",
        lambda c: "/api/v1/users",
        _user_body,
        "json",
        only(ADMINS, 201, 403, 401),
    ),
    (
        "GET",
        "/api/v1/users/<int:user_id>",
        lambda c: f"/api/v1/users/{c['own_user']}",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "GET",
        "/api/v1/users/<int:user_id>",
        lambda c: f"/api/v1/users/{c['other_user']}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/users/<int:user_id>",
        lambda c: f"/api/v1/users/{c['colleague']}",
        lambda c: {"display_name": "改"},
        "json",
        only(ADMINS, 200, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/users/<int:user_id>",
        lambda c: f"/api/v1/users/{c['other_user']}",
        lambda c: {"display_name": "改"},
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    ("GET", "/api/v1/regions", lambda c: "/api/v1/regions", None, None, expect(200, anon=401)),
    (
        "POST",
        "/api/v1/regions",
        lambda c: "/api/v1/regions",
        lambda c: {"code": f"3301{next(_seq) % 90 + 10:02d}", "name_zh": "测试区"},
        "json",
        only({"platform"}, 201, 403, 401),
    ),
    (
        "GET",
        "/admin/regions",
        lambda c: "/admin/regions",
        None,
        None,
        only({"platform"}, 200, 403, 302),
    ),
    (
        "POST",
        "/admin/regions",
        lambda c: "/admin/regions",
        lambda c: {"code": f"3301{next(_seq) % 90 + 10:02d}", "name_zh": "测试区"},
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "GET",
        "/api/v1/journal",
        lambda c: f"/api/v1/journal?object_type=organizations&object_id={c['own_org']}",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "GET",
        "/api/v1/journal",
        lambda c: f"/api/v1/journal?object_type=organizations&object_id={c['other_org']}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        lambda c: "/api/v1/openapi.json",
        None,
        None,
        expect(200, anon=200),
    ),
    ("GET", "/api/docs", lambda c: "/api/docs", None, None, expect(200, anon=200)),
    (
        "GET",
        "/static/<path:filename>",
        lambda c: "/static/emc.css",
        None,
        None,
        expect(200, anon=200),
    ),
    (
        "GET",
        "/static/swagger-ui/<path:filename>",
        lambda c: "/static/swagger-ui/swagger-ui.css",
        None,
        None,
        expect(200, anon=200),
    ),
    # --- contracts: "project" is the school's, contracted with the demo ESCO (seen by the school,
    # that ESCO, the Zhejiang agency and the platform); "other_project" is the Guangzhou gym's
    # with the other ESCO (the platform only). Auditors hold no contracts permission at all.
    ("GET", "/projects", lambda c: "/projects", None, None, only(_CT_READERS, 200, 403, 302)),
    (
        "GET",
        "/projects/<int:project_id>",
        lambda c: f"/projects/{c.get('project')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>",
        lambda c: f"/projects/{c.get('other_project')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "GET",
        "/finance/queue",
        lambda c: "/finance/queue",
        None,
        None,
        only({"finance"}, 200, 403, 302),
    ),
    # Project and contract-terms pages mirror POST /api/v1/projects, PUT .../contract and
    # .../agree: managers write, other readers 403, non-readers and other tenants 404.
    (
        "GET",
        "/projects/new",
        lambda c: "/projects/new",
        None,
        None,
        only({"inst_admin", "energy"}, 200, 403, 302),
    ),
    (
        "POST",
        "/projects/new",
        lambda c: "/projects/new",
        lambda c: {"name": f"矩阵页面项目{next(_seq)}"},
        "form",
        only({"inst_admin", "energy"}, 302, 403, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/terms",
        lambda c: f"/projects/{c.get('project')}/terms",
        None,
        None,
        _ct_write(_CT_TERMS_WRITERS, 200, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/terms",
        lambda c: f"/projects/{c.get('other_project')}/terms",
        None,
        None,
        _ct_other_write(302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/terms",
        lambda c: f"/projects/{c.get('project')}/terms",
        lambda c: {"terms": json.dumps(c.get("terms_doc")), "reason": "矩阵页面修订"},
        "form",
        _ct_write(_CT_TERMS_WRITERS, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/terms",
        lambda c: f"/projects/{c.get('other_project')}/terms",
        lambda c: {"terms": json.dumps(c.get("terms_doc")), "reason": "矩阵页面修订"},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/amendments/<int:amendment_id>/agree",
        lambda c: f"/projects/{c.get('project')}/amendments/{c.get('amendment')}/agree",
        lambda c: {"row_version": c["rv"]["amendment"]},
        "form",
        _ct_write({"inst_admin", "esco_admin"}, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/amendments/<int:amendment_id>/agree",
        lambda c: f"/projects/{c.get('other_project')}/amendments/{c.get('other_amendment')}/agree",
        lambda c: {"row_version": c["rv"]["other_amendment"]},
        "form",
        _ct_other_write(302),
    ),
    # Custody fee adjustments ("custody_project": the school's signed custody contract with the
    # demo ESCO; "other_custody_project": the gym's): managers propose, both parties' admins agree.
    (
        "POST",
        _CT_CUSTODY_FORM,
        lambda c: f"/projects/{c.get('custody_project')}/custody-adjustments",
        lambda c: _CT_CUSTODY_BODY,
        "form",
        _ct_write({"inst_admin", "energy"}, 302, 302),
    ),
    (
        "POST",
        _CT_CUSTODY_FORM,
        lambda c: f"/projects/{c.get('other_custody_project')}/custody-adjustments",
        lambda c: _CT_CUSTODY_BODY,
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        _CT_CUSTODY_FORM + "/<int:adjustment_id>/agree",
        lambda c: (
            f"/projects/{c.get('custody_project')}/custody-adjustments/"
            f"{c.get('custody_adjustment')}/agree"
        ),
        lambda c: {"version": c["rv"]["custody_adjustment"]},
        "form",
        _ct_write({"inst_admin", "esco_admin"}, 302, 302),
    ),
    (
        "POST",
        _CT_CUSTODY_FORM + "/<int:adjustment_id>/agree",
        lambda c: (
            f"/projects/{c.get('other_custody_project')}/custody-adjustments/"
            f"{c.get('other_custody_adjustment')}/agree"
        ),
        lambda c: {"version": c["rv"]["other_custody_adjustment"]},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/schedule/regenerate",
        lambda c: f"/projects/{c.get('project')}/schedule/regenerate",
        lambda c: {},
        "form",
        _ct_write({"inst_admin", "energy"}, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/schedule/regenerate",
        lambda c: f"/projects/{c.get('other_project')}/schedule/regenerate",
        lambda c: {},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        _CT_LINE_FORM,
        lambda c: f"/payment-lines/{c.get('line')}/prepare",
        lambda c: {"version": "1"},
        "form",
        _ct_line_write({"finance"}, 302),
    ),
    (
        "POST",
        _CT_LINE_FORM,
        lambda c: f"/payment-lines/{c.get('other_line')}/prepare",
        lambda c: {"version": "1"},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        _CT_LINE_FORM,
        lambda c: f"/payment-lines/{c.get('prepared_line')}/approve",
        lambda c: {"version": "2"},
        "form",
        _ct_line_write({"finance"}, 302),
    ),
    (
        "POST",
        _CT_LINE_FORM,
        lambda c: f"/payment-lines/{c.get('approved_line')}/pay",
        lambda c: {"version": "3", "paid_on": "2025-03-01", "payment_reference": "M-1"},
        "form",
        _ct_line_write({"finance"}, 302),
    ),
    (
        "POST",
        _CT_LINE_FORM,
        lambda c: f"/payment-lines/{c.get('line')}/hold",
        lambda c: {"version": "1", "reason": "矩阵"},
        "form",
        _ct_line_write({"finance"}, 302),
    ),
    (
        "POST",
        _CT_LINE_FORM,
        lambda c: f"/payment-lines/{c.get('held_line')}/release",
        lambda c: {"version": "2"},
        "form",
        _ct_line_write({"finance"}, 302),
    ),
    (
        "GET",
        "/api/v1/projects",
        lambda c: "/api/v1/projects",
        None,
        None,
        only(_CT_READERS, 200, 403, 401),
    ),
    (
        "POST",
        "/api/v1/projects",
        lambda c: "/api/v1/projects",
        lambda c: {"name": f"矩阵项目{next(_seq)}"},
        "json",
        only({"inst_admin", "energy"}, 201, 403, 401),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>",
        lambda c: f"/api/v1/projects/{c.get('project')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>",
        lambda c: f"/api/v1/projects/{c.get('other_project')}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/projects/<int:project_id>",
        lambda c: f"/api/v1/projects/{c.get('project')}",
        lambda c: {**{"name": "矩阵改名"}, "row_version": c["rv"]["project"]},
        "json",
        _ct_write({"inst_admin", "energy"}, 200),
    ),
    (
        "PATCH",
        "/api/v1/projects/<int:project_id>",
        lambda c: f"/api/v1/projects/{c.get('other_project')}",
        lambda c: {**{"name": "矩阵改名"}, "row_version": c["rv"]["other_project"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _CT_CONTRACT,
        lambda c: f"/api/v1/projects/{c.get('project')}/contract",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _CT_CONTRACT,
        lambda c: f"/api/v1/projects/{c.get('other_project')}/contract",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    # The harness sends every non-GET/PATCH row as POST; the contract's POST is the same view as
    # its PUT, and tests/contracts/test_contracts_access.py sends a real PUT for every role.
    (
        "PUT",
        _CT_CONTRACT,
        lambda c: f"/api/v1/projects/{c.get('project')}/contract",
        lambda c: {"terms": c.get("terms_doc"), "reason": "矩阵修订"},
        "json",
        _ct_write(_CT_TERMS_WRITERS, 200),
    ),
    (
        "POST",
        _CT_CONTRACT,
        lambda c: f"/api/v1/projects/{c.get('project')}/contract",
        lambda c: {"terms": c.get("terms_doc"), "reason": "矩阵修订"},
        "json",
        _ct_write(_CT_TERMS_WRITERS, 200),
    ),
    (
        "POST",
        _CT_CONTRACT,
        lambda c: f"/api/v1/projects/{c.get('other_project')}/contract",
        lambda c: {"terms": c.get("terms_doc"), "reason": "矩阵修订"},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _CT_AGREE,
        lambda c: (
            f"/api/v1/projects/{c.get('project')}/contract/amendments/{c.get('amendment')}/agree"
        ),
        lambda c: {"row_version": c["rv"]["amendment"]},
        "json",
        _ct_write({"inst_admin", "esco_admin"}, 200),
    ),
    (
        "POST",
        _CT_AGREE,
        lambda c: (
            f"/api/v1/projects/{c.get('other_project')}/contract/amendments/{c.get('other_amendment')}/agree"
        ),
        lambda c: {"row_version": c["rv"]["other_amendment"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _CT_CUSTODY_API,
        lambda c: f"/api/v1/projects/{c.get('custody_project')}/custody-adjustments",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _CT_CUSTODY_API,
        lambda c: f"/api/v1/projects/{c.get('other_custody_project')}/custody-adjustments",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _CT_CUSTODY_API,
        lambda c: f"/api/v1/projects/{c.get('custody_project')}/custody-adjustments",
        lambda c: _CT_CUSTODY_BODY,
        "json",
        _ct_write({"inst_admin", "energy"}, 201),
    ),
    (
        "POST",
        _CT_CUSTODY_API,
        lambda c: f"/api/v1/projects/{c.get('other_custody_project')}/custody-adjustments",
        lambda c: _CT_CUSTODY_BODY,
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _CT_CUSTODY_API + "/<int:adjustment_id>/agree",
        lambda c: (
            f"/api/v1/projects/{c.get('custody_project')}/custody-adjustments/"
            f"{c.get('custody_adjustment')}/agree"
        ),
        lambda c: {"version": c["rv"]["custody_adjustment"]},
        "json",
        _ct_write({"inst_admin", "esco_admin"}, 200),
    ),
    (
        "POST",
        _CT_CUSTODY_API + "/<int:adjustment_id>/agree",
        lambda c: (
            f"/api/v1/projects/{c.get('other_custody_project')}/custody-adjustments/"
            f"{c.get('other_custody_adjustment')}/agree"
        ),
        lambda c: {"version": c["rv"]["other_custody_adjustment"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _CT_SCHEDULE,
        lambda c: f"/api/v1/projects/{c.get('project')}/schedule",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _CT_SCHEDULE,
        lambda c: f"/api/v1/projects/{c.get('other_project')}/schedule",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _CT_SCHEDULE,
        lambda c: f"/api/v1/projects/{c.get('project')}/schedule",
        lambda c: {},
        "json",
        _ct_write({"inst_admin", "energy"}, 200),
    ),
    (
        "POST",
        _CT_SCHEDULE,
        lambda c: f"/api/v1/projects/{c.get('other_project')}/schedule",
        lambda c: {},
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _CT_SCHEDULE + ".csv",
        lambda c: f"/api/v1/projects/{c.get('project')}/schedule.csv",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _CT_SCHEDULE + ".csv",
        lambda c: f"/api/v1/projects/{c.get('other_project')}/schedule.csv",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _CT_SCHEDULE + ".xlsx",
        lambda c: f"/api/v1/projects/{c.get('project')}/schedule.xlsx",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _CT_SCHEDULE + ".xlsx",
        lambda c: f"/api/v1/projects/{c.get('other_project')}/schedule.xlsx",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _CT_SCHEDULE + ".pdf",
        lambda c: f"/api/v1/projects/{c.get('project')}/schedule.pdf",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _CT_SCHEDULE + ".pdf",
        lambda c: f"/api/v1/projects/{c.get('other_project')}/schedule.pdf",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>/economics",
        lambda c: f"/api/v1/projects/{c.get('project')}/economics",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>/economics",
        lambda c: f"/api/v1/projects/{c.get('other_project')}/economics",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/prepare",
        lambda c: f"/api/v1/payment-lines/{c.get('line')}/prepare",
        lambda c: {"version": 1},
        "json",
        _ct_line_write({"finance"}, 200, anon=401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/prepare",
        lambda c: f"/api/v1/payment-lines/{c.get('other_line')}/prepare",
        lambda c: {"version": 1},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/approve",
        lambda c: f"/api/v1/payment-lines/{c.get('prepared_line')}/approve",
        lambda c: {"version": 2},
        "json",
        _ct_line_write({"finance"}, 200, anon=401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/approve",
        lambda c: f"/api/v1/payment-lines/{c.get('other_line')}/approve",
        lambda c: {"version": 1},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/pay",
        lambda c: f"/api/v1/payment-lines/{c.get('approved_line')}/pay",
        lambda c: {"version": 3, "paid_on": "2025-03-01", "payment_reference": "M-1"},
        "json",
        _ct_line_write({"finance"}, 200, anon=401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/pay",
        lambda c: f"/api/v1/payment-lines/{c.get('other_line')}/pay",
        lambda c: {"version": 1, "paid_on": "2025-03-01", "payment_reference": "M-1"},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/hold",
        lambda c: f"/api/v1/payment-lines/{c.get('line')}/hold",
        lambda c: {"version": 1, "reason": "矩阵"},
        "json",
        _ct_line_write({"finance"}, 200, anon=401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/hold",
        lambda c: f"/api/v1/payment-lines/{c.get('other_line')}/hold",
        lambda c: {"version": 1, "reason": "矩阵"},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/release",
        lambda c: f"/api/v1/payment-lines/{c.get('held_line')}/release",
        lambda c: {"version": 2},
        "json",
        _ct_line_write({"finance"}, 200, anon=401),
    ),
    (
        "POST",
        "/api/v1/payment-lines/<int:line_id>/release",
        lambda c: f"/api/v1/payment-lines/{c.get('other_line')}/release",
        lambda c: {"version": 1},
        "json",
        _ct_other_write(401),
    ),
    # --- facilities: "f_*" are the school's (its site covered by a project of the demo ESCO),
    # "f_other_*" the Guangzhou gym's (the platform only).
    ("GET", "/sites", lambda c: "/sites", None, None, expect(200, anon=302)),
    (
        "GET",
        "/sites/<int:site_id>",
        lambda c: f"/sites/{c.get('f_site')}",
        None,
        None,
        only(_F_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/sites/<int:site_id>",
        lambda c: f"/sites/{c.get('f_other_site')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "GET",
        "/meters/<int:meter_id>",
        lambda c: f"/meters/{c.get('f_meter')}",
        None,
        None,
        only(_F_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/meters/<int:meter_id>",
        lambda c: f"/meters/{c.get('f_other_meter')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        "/meters/<int:meter_id>/readings",
        lambda c: f"/meters/{c.get('f_meter')}/readings",
        lambda c: _f_file(),
        "form",
        _f_write(_F_IMPORTERS, 302, 302),
    ),
    (
        "POST",
        "/meters/<int:meter_id>/readings",
        lambda c: f"/meters/{c.get('f_other_meter')}/readings",
        lambda c: _f_file(),
        "form",
        only({"platform"}, 302, 404, 302),
    ),
    ("GET", "/api/v1/sites", lambda c: "/api/v1/sites", None, None, expect(200, anon=401)),
    # A platform admin must name the institution: without organization_id the body is invalid.
    (
        "POST",
        "/api/v1/sites",
        lambda c: "/api/v1/sites",
        lambda c: {"name": f"矩阵新场地{next(_seq)}", "region_code": "330100"},
        "json",
        {**only({"inst_admin", "energy"}, 201, 403, 401), "platform": 422},
    ),
    (
        "GET",
        "/api/v1/sites/<int:site_id>",
        lambda c: f"/api/v1/sites/{c.get('f_site')}",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/sites/<int:site_id>",
        lambda c: f"/api/v1/sites/{c.get('f_other_site')}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/sites/<int:site_id>",
        lambda c: f"/api/v1/sites/{c.get('f_site')}",
        lambda c: {"address": "矩阵路 1 号"},
        "json",
        _f_write(_F_MANAGERS, 200, 401),
    ),
    (
        "PATCH",
        "/api/v1/sites/<int:site_id>",
        lambda c: f"/api/v1/sites/{c.get('f_other_site')}",
        lambda c: {"address": "矩阵路 1 号"},
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/sites/<int:site_id>/projects",
        lambda c: f"/api/v1/sites/{c.get('f_site')}/projects",
        lambda c: {"project_id": c.get("f_spare_project")},
        "json",
        _f_write(_F_MANAGERS, 201, 401),
    ),
    # The spare project is the school's: linking it to the gym's site is invalid.
    (
        "POST",
        "/api/v1/sites/<int:site_id>/projects",
        lambda c: f"/api/v1/sites/{c.get('f_other_site')}/projects",
        lambda c: {"project_id": c.get("f_spare_project")},
        "json",
        only({"platform"}, 422, 404, 401),
    ),
    ("GET", "/api/v1/buildings", lambda c: "/api/v1/buildings", None, None, expect(200, anon=401)),
    (
        "POST",
        "/api/v1/buildings",
        lambda c: "/api/v1/buildings",
        lambda c: {
            "site_id": c.get("f_site"),
            "name": f"矩阵楼{next(_seq)}",
            "floor_area_m2": "1200",
            "building_type": "school",
            "climate_zone": "hot_summer_cold_winter",
        },
        "json",
        only(_F_MANAGERS, 201, 403, 401),
    ),
    (
        "GET",
        "/api/v1/buildings/<int:building_id>",
        lambda c: f"/api/v1/buildings/{c.get('f_building')}",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/buildings/<int:building_id>",
        lambda c: f"/api/v1/buildings/{c.get('f_other_building')}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/buildings/<int:building_id>",
        lambda c: f"/api/v1/buildings/{c.get('f_building')}",
        lambda c: {"occupants": 12},
        "json",
        _f_write(_F_MANAGERS, 200, 401),
    ),
    (
        "PATCH",
        "/api/v1/buildings/<int:building_id>",
        lambda c: f"/api/v1/buildings/{c.get('f_other_building')}",
        lambda c: {"occupants": 12},
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    ("GET", "/api/v1/meters", lambda c: "/api/v1/meters", None, None, expect(200, anon=401)),
    (
        "POST",
        "/api/v1/meters",
        lambda c: "/api/v1/meters",
        lambda c: {
            "site_id": c.get("f_site"),
            "name": f"矩阵表{next(_seq)}",
            "carrier": "electricity",
            "unit": "度",
            "kind": "billing",
        },
        "json",
        only(_F_MANAGERS, 201, 403, 401),
    ),
    (
        "GET",
        _F_METER,
        lambda c: f"/api/v1/meters/{c.get('f_meter')}",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER,
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "PATCH",
        _F_METER,
        lambda c: f"/api/v1/meters/{c.get('f_meter')}",
        lambda c: {"serial_number": "M-1"},
        "json",
        _f_write(_F_MANAGERS, 200, 401),
    ),
    (
        "PATCH",
        _F_METER,
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}",
        lambda c: {"serial_number": "M-1"},
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/readings",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/readings",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/readings",
        _f_rows,
        "json",
        _f_write(_F_IMPORTERS, 201, 401),
    ),
    (
        "POST",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/readings",
        _f_rows,
        "json",
        only({"platform"}, 201, 404, 401),
    ),
    # A dry run checks without writing: the same access as the upload, 200 instead of 201.
    (
        "POST",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/readings?dry_run=true",
        _f_rows,
        "json",
        _f_write(_F_IMPORTERS, 200, 401),
    ),
    (
        "POST",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/readings?dry_run=true",
        _f_rows,
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/aggregates",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/aggregates?period=day",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/aggregates",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/aggregates?period=month",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/quality",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/quality",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/quality",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/quality",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/readings.csv",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/readings.csv",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _F_METER + "/readings.csv",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/readings.csv",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    # --- emission factors: platform reference data, no tenant (no own/other split); everyone
    # signed in reads, platform admins add rows.
    ("GET", "/emission-factors", lambda c: "/emission-factors", None, None, expect(200, anon=302)),
    (
        "POST",
        "/emission-factors",
        lambda c: "/emission-factors",
        lambda c: dict(_F_FACTOR),
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "GET",
        "/api/v1/emission-factors",
        lambda c: "/api/v1/emission-factors?kind=co2",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/emission-factors",
        lambda c: "/api/v1/emission-factors",
        lambda c: dict(_F_FACTOR),
        "json",
        only({"platform"}, 201, 403, 401),
    ),
    # Corrections of a stored factor (a new row supersedes it): platform admins only.
    (
        "GET",
        "/emission-factors/<int:factor_id>/correct",
        lambda c: f"/emission-factors/{c.get('f_factor')}/correct",
        None,
        None,
        only({"platform"}, 200, 403, 302),
    ),
    (
        "POST",
        "/emission-factors/<int:factor_id>/correct",
        lambda c: f"/emission-factors/{c.get('f_factor')}/correct",
        lambda c: dict(_F_CORRECTION),
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "POST",
        "/api/v1/emission-factors/<int:factor_id>/corrections",
        lambda c: f"/api/v1/emission-factors/{c.get('f_factor')}/corrections",
        lambda c: dict(_F_CORRECTION),
        "json",
        only({"platform"}, 201, 403, 401),
    ),
    # --- weather: "w_station" is platform reference data (one day of June): everyone signed in
    # reads, platform admins write its temperatures; institution managers add their own stations.
    (
        "GET",
        "/api/v1/weather-stations",
        lambda c: "/api/v1/weather-stations",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/weather-stations",
        lambda c: "/api/v1/weather-stations",
        lambda c: {"code": "MATRIX2", "name": "矩阵站二"},
        "json",
        only(_F_MANAGERS, 201, 403, 401),
    ),
    (
        "GET",
        "/api/v1/weather-stations/<int:station_id>/temperatures",
        lambda c: f"/api/v1/weather-stations/{c.get('w_station')}/temperatures",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/weather-stations/<int:station_id>/temperatures",
        lambda c: f"/api/v1/weather-stations/{c.get('w_station')}/temperatures",
        lambda c: _w_file(),
        "form",
        only({"platform"}, 201, 403, 401),
    ),
    # --- programme: the Zhejiang agency reads its subtree and sets targets in it ("pg_target" is
    # Hangzhou's, which Zhejiang set); "pg_other_target" is Guangdong's (not visible: 404).
    # Institution admins and energy managers enter their annual statistics. Everyone else 403.
    ("GET", "/programme", lambda c: "/programme", None, None, only(_PG_READ, 200, 403, 302)),
    ("GET", "/programme", lambda c: "/programme?region=440000", None, None, _pg_other_read(302)),
    (
        "GET",
        "/programme/summary.pdf",
        lambda c: "/programme/summary.pdf?region=330100",
        None,
        None,
        only(_PG_READ, 200, 403, 302),
    ),
    (
        "GET",
        "/programme/targets",
        lambda c: "/programme/targets",
        None,
        None,
        only(_PG_READ, 200, 403, 302),
    ),
    (
        "POST",
        "/programme/targets",
        lambda c: "/programme/targets",
        _pg_target_body,
        "form",
        only(_PG_AGENCY, 302, 403, 302),
    ),
    (
        "GET",
        "/programme/targets/<int:target_id>/edit",
        lambda c: f"/programme/targets/{c.get('pg_target')}/edit",
        None,
        None,
        only(_PG_AGENCY, 200, 403, 302),
    ),
    (
        "GET",
        "/programme/targets/<int:target_id>/edit",
        lambda c: f"/programme/targets/{c.get('pg_other_target')}/edit",
        None,
        None,
        _pg_other(302),
    ),
    (
        "POST",
        "/programme/targets/<int:target_id>/edit",
        lambda c: f"/programme/targets/{c.get('pg_target')}/edit",
        lambda c: {"note": "矩阵"},
        "form",
        only(_PG_AGENCY, 302, 403, 302),
    ),
    (
        "POST",
        "/programme/targets/<int:target_id>/edit",
        lambda c: f"/programme/targets/{c.get('pg_other_target')}/edit",
        lambda c: {"note": "矩阵"},
        "form",
        _pg_other(302),
    ),
    (
        "POST",
        "/programme/targets/<int:target_id>/delete",
        lambda c: f"/programme/targets/{c.get('pg_target')}/delete",
        lambda c: {"confirm": "yes"},
        "form",
        only(_PG_AGENCY, 302, 403, 302),
    ),
    (
        "POST",
        "/programme/targets/<int:target_id>/delete",
        lambda c: f"/programme/targets/{c.get('pg_other_target')}/delete",
        lambda c: {"confirm": "yes"},
        "form",
        _pg_other(302),
    ),
    (
        "GET",
        "/programme/stats",
        lambda c: "/programme/stats",
        None,
        None,
        only(_PG_STATS, 200, 403, 302),
    ),
    (
        "POST",
        "/programme/stats",
        lambda c: "/programme/stats",
        lambda c: {
            "year": "2023",
            "floor_area_m2": "1000",
            "quantity_electricity": "100",
            "unit_electricity": "kWh",
        },
        "form",
        only(_PG_STATS, 302, 403, 302),
    ),
    (
        "POST",
        "/programme/stats/import",
        lambda c: "/programme/stats/import",
        lambda c: _pg_xlsx(),
        "form",
        only(_PG_STATS, 302, 403, 302),
    ),
    (
        "POST",
        "/programme/stats/meters",
        lambda c: "/programme/stats/meters",
        lambda c: {"year": "2024"},
        "form",
        only(_PG_STATS, 302, 403, 302),
    ),
    (
        "GET",
        "/api/v1/programme/targets",
        lambda c: "/api/v1/programme/targets",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "POST",
        "/api/v1/programme/targets",
        lambda c: "/api/v1/programme/targets",
        _pg_target_body,
        "json",
        only(_PG_AGENCY, 201, 403, 401),
    ),
    (
        "GET",
        _PG_TARGET,
        lambda c: f"/api/v1/programme/targets/{c.get('pg_target')}",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        _PG_TARGET,
        lambda c: f"/api/v1/programme/targets/{c.get('pg_other_target')}",
        None,
        None,
        _pg_other_read(401),
    ),
    (
        "PATCH",
        _PG_TARGET,
        lambda c: f"/api/v1/programme/targets/{c.get('pg_target')}",
        lambda c: {"note": "矩阵"},
        "json",
        only(_PG_AGENCY, 200, 403, 401),
    ),
    (
        "PATCH",
        _PG_TARGET,
        lambda c: f"/api/v1/programme/targets/{c.get('pg_other_target')}",
        lambda c: {"note": "矩阵"},
        "json",
        _pg_other(401),
    ),
    (
        "DELETE",
        _PG_TARGET,
        lambda c: f"/api/v1/programme/targets/{c.get('pg_target')}",
        None,
        None,
        only(_PG_AGENCY, 204, 403, 401),
    ),
    (
        "DELETE",
        _PG_TARGET,
        lambda c: f"/api/v1/programme/targets/{c.get('pg_other_target')}",
        None,
        None,
        _pg_other(401),
    ),
    (
        "GET",
        "/api/v1/programme/dashboard",
        lambda c: "/api/v1/programme/dashboard",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/programme/dashboard",
        lambda c: "/api/v1/programme/dashboard?region=440000",
        None,
        None,
        _pg_other_read(401),
    ),
    (
        "GET",
        "/api/v1/programme/projects",
        lambda c: "/api/v1/programme/projects?region=330100",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/programme/projects",
        lambda c: "/api/v1/programme/projects?region=330000",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/programme/projects.csv",
        lambda c: "/api/v1/programme/projects.csv",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/programme/projects.xlsx",
        lambda c: "/api/v1/programme/projects.xlsx?region=440000",
        None,
        None,
        _pg_other_read(401),
    ),
    (
        "GET",
        "/api/v1/programme/projects.xlsx",
        lambda c: "/api/v1/programme/projects.xlsx",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/programme/snapshots",
        lambda c: "/api/v1/programme/snapshots",
        None,
        None,
        only(_PG_READ, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/programme/stats",
        lambda c: "/api/v1/programme/stats",
        None,
        None,
        only(_PG_READ | _PG_STATS, 200, 403, 401),
    ),
    (
        "POST",
        "/api/v1/programme/stats",
        lambda c: "/api/v1/programme/stats",
        lambda c: {
            "year": 2023,
            "floor_area_m2": "1000",
            "carriers": [{"carrier": "electricity", "quantity": "100", "unit": "kWh"}],
        },
        "json",
        only(_PG_STATS, 201, 403, 401),
    ),
    (
        "POST",
        "/api/v1/programme/stats/import",
        lambda c: "/api/v1/programme/stats/import",
        lambda c: _pg_xlsx(),
        "form",
        only(_PG_STATS, 201, 403, 401),
    ),
    (
        "POST",
        "/api/v1/programme/stats/meters",
        lambda c: "/api/v1/programme/stats/meters",
        lambda c: {"year": 2024},
        "json",
        only(_PG_STATS, 201, 403, 401),
    ),
    # --- energy audits: "a_*" are the school's (commissioned to the demo auditor; seen by the
    # school, that auditor, the Zhejiang agency and the platform), "a_other" the Guangzhou gym's
    # (commissioned to another audit body: the platform only). Writes on a visible audit are 403
    # for readers without the permission; ESCOs see no audits at all (404, or 403 on lists).
    ("GET", "/audits", lambda c: "/audits", None, None, only(_A_READERS, 200, 403, 302)),
    (
        "POST",
        "/audits",
        lambda c: "/audits",
        lambda c: _a_form(c),
        "form",
        only(_A_COMMISSION, 302, 403, 302),
    ),
    (
        "GET",
        "/audits/<int:audit_id>",
        lambda c: f"/audits/{c.get('a_draft')}",
        None,
        None,
        only(_A_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/audits/<int:audit_id>",
        lambda c: f"/audits/{c.get('a_other')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        _A_ACTION,
        lambda c: f"/audits/{c.get('a_draft')}/submit",
        lambda c: {"row_version": c["rv"]["a_draft"]},
        "form",
        _a_write(_A_RECORD, 302, 302),
    ),
    (
        "POST",
        _A_ACTION,
        lambda c: f"/audits/{c.get('a_submitted')}/return",
        lambda c: {**{"comment": "补充"}, "row_version": c["rv"]["a_submitted"]},
        "form",
        _a_write(_A_COMMISSION, 302, 302),
    ),
    (
        "POST",
        _A_ACTION,
        lambda c: f"/audits/{c.get('a_other')}/submit",
        lambda c: {"row_version": c["rv"]["a_other"]},
        "form",
        _a_other(302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/details",
        lambda c: f"/audits/{c.get('a_draft')}/details",
        lambda c: {"occupants": "120"},
        "form",
        _a_write(_A_RECORD, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/workbook",
        lambda c: f"/audits/{c.get('a_draft')}/workbook",
        lambda c: _a_file(),
        "form",
        _a_write(_A_RECORD, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/ecms",
        lambda c: f"/audits/{c.get('a_draft')}/ecms",
        lambda c: {"name": "矩阵措施", "category": "lighting"},
        "form",
        _a_write(_A_RECORD, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/ecms/<int:ecm_id>",
        lambda c: f"/audits/{c.get('a_draft')}/ecms/{c.get('a_draft_ecm')}",
        lambda c: {"name": "矩阵改名", "category": "lighting"},
        "form",
        _a_write(_A_RECORD, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/ecms/<int:ecm_id>",
        lambda c: f"/audits/{c.get('a_other')}/ecms/{c.get('a_draft_ecm')}",
        lambda c: {"name": "矩阵改名", "category": "lighting"},
        "form",
        _a_other(302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/ecms/<int:ecm_id>/status",
        lambda c: f"/audits/{c.get('a_accepted')}/ecms/{c.get('a_accepted_ecm')}/status",
        lambda c: {"status": "discarded"},
        "form",
        _a_write(_A_COMMISSION, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/ecms/<int:ecm_id>/status",
        lambda c: f"/audits/{c.get('a_other')}/ecms/{c.get('a_draft_ecm')}/status",
        lambda c: {"status": "discarded"},
        "form",
        _a_other(302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/commission",
        lambda c: f"/audits/{c.get('a_draft')}/commission",
        lambda c: {**_a_form(c), "title": "矩阵改名审计"},
        "form",
        _a_write(_A_COMMISSION, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/commission",
        lambda c: f"/audits/{c.get('a_other')}/commission",
        lambda c: {**_a_form(c), "title": "矩阵改名审计"},
        "form",
        _a_other(302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/proposal",
        lambda c: f"/audits/{c.get('a_accepted')}/proposal",
        lambda c: {"ecm_ids": str(c["a_accepted_ecm"])},
        "form",
        _a_write(_A_COMMISSION, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/custody-contract",
        lambda c: f"/audits/{c.get('a_custody')}/custody-contract",
        lambda c: {"start_date": "2025-01-01", "term_years": "8", "coefficient": "0.95"},
        "form",
        _a_write(_A_COMMISSION, 302, 302),
    ),
    (
        "POST",
        "/audits/<int:audit_id>/custody-contract",
        lambda c: f"/audits/{c.get('a_other')}/custody-contract",
        lambda c: {"start_date": "2025-01-01", "term_years": "8", "coefficient": "0.95"},
        "form",
        _a_other(302),
    ),
    ("GET", "/quotas", lambda c: "/quotas", None, None, expect(200, anon=302)),
    (
        "POST",
        "/quotas",
        lambda c: "/quotas",
        lambda c: _a_quota(),
        "form",
        only(_A_QUOTA, 302, 403, 302),
    ),
    (
        "GET",
        "/api/v1/audits",
        lambda c: "/api/v1/audits",
        None,
        None,
        only(_A_READERS, 200, 403, 401),
    ),
    (
        "POST",
        "/api/v1/audits",
        lambda c: "/api/v1/audits",
        lambda c: _a_body(c),
        "json",
        only(_A_COMMISSION, 201, 403, 401),
    ),
    (
        "GET",
        _A_ITEM,
        lambda c: f"/api/v1/audits/{c.get('a_draft')}",
        None,
        None,
        only(_A_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _A_ITEM,
        lambda c: f"/api/v1/audits/{c.get('a_other')}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "PATCH",
        _A_ITEM,
        lambda c: f"/api/v1/audits/{c.get('a_draft')}",
        lambda c: {"occupants": 120},
        "json",
        _a_write(_A_RECORD, 200, 401),
    ),
    (
        "PATCH",
        _A_ITEM,
        lambda c: f"/api/v1/audits/{c.get('a_draft')}",
        lambda c: {"title": "矩阵改名"},
        "json",
        _a_write(_A_COMMISSION, 200, 401),
    ),
    (
        "PATCH",
        _A_ITEM,
        lambda c: f"/api/v1/audits/{c.get('a_other')}",
        lambda c: {"occupants": 1},
        "json",
        _a_other(401),
    ),
    (
        "POST",
        _A_ITEM + "/submit",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/submit",
        lambda c: {"row_version": c["rv"]["a_draft"]},
        "json",
        _a_write(_A_RECORD, 200, 401),
    ),
    (
        "POST",
        _A_ITEM + "/submit",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/submit",
        lambda c: {"row_version": c["rv"]["a_other"]},
        "json",
        _a_other(401),
    ),
    (
        "POST",
        _A_ITEM + "/accept",
        lambda c: f"/api/v1/audits/{c.get('a_submitted')}/accept",
        lambda c: {"row_version": c["rv"]["a_submitted"]},
        "json",
        _a_write(_A_COMMISSION, 200, 401),
    ),
    (
        "POST",
        _A_ITEM + "/return",
        lambda c: f"/api/v1/audits/{c.get('a_submitted')}/return",
        lambda c: {**{"comment": "补充燃气账单"}, "row_version": c["rv"]["a_submitted"]},
        "json",
        _a_write(_A_COMMISSION, 200, 401),
    ),
    (
        "POST",
        _A_ITEM + "/revise",
        lambda c: f"/api/v1/audits/{c.get('a_accepted')}/revise",
        lambda c: {**{"reason": "矩阵修订"}, "row_version": c["rv"]["a_accepted"]},
        "json",
        _a_write(_A_COMMISSION | _A_RECORD, 201, 401),
    ),
    (
        "GET",
        _A_ITEM + "/consumption",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/consumption",
        None,
        None,
        only(_A_READERS, 200, 404, 401),
    ),
    (
        "POST",
        _A_ITEM + "/consumption",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/consumption",
        lambda c: {
            "rows": [
                {"carrier": "electricity", "unit": "kWh", "month": "2023-02-01", "quantity": "5"}
            ]
        },
        "json",
        _a_write(_A_RECORD, 201, 401),
    ),
    (
        "POST",
        _A_ITEM + "/consumption",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/consumption",
        lambda c: {
            "rows": [
                {"carrier": "electricity", "unit": "kWh", "month": "2023-02-01", "quantity": "5"}
            ]
        },
        "json",
        _a_other(401),
    ),
    (
        "POST",
        _A_ITEM + "/consumption/from-meters",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/consumption/from-meters",
        lambda c: {},
        "json",
        _a_write(_A_RECORD, 201, 401),
    ),
    (
        "GET",
        _A_ITEM + "/figures",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/figures",
        None,
        None,
        only(_A_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _A_ITEM + "/figures",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/figures",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _A_ITEM + "/ecms",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/ecms",
        None,
        None,
        only(_A_READERS, 200, 404, 401),
    ),
    (
        "POST",
        _A_ITEM + "/ecms",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/ecms",
        lambda c: {"name": "矩阵措施", "category": "hvac"},
        "json",
        _a_write(_A_RECORD, 201, 401),
    ),
    (
        "PATCH",
        _A_ITEM + "/ecms/<int:ecm_id>",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/ecms/{c.get('a_draft_ecm')}",
        lambda c: {"name": "矩阵改名"},
        "json",
        _a_write(_A_RECORD, 200, 401),
    ),
    (
        "PATCH",
        _A_ITEM + "/ecms/<int:ecm_id>",
        lambda c: f"/api/v1/audits/{c.get('a_accepted')}/ecms/{c.get('a_accepted_ecm')}",
        lambda c: {"status": "discarded"},
        "json",
        _a_write(_A_COMMISSION, 200, 401),
    ),
    (
        "POST",
        _A_ITEM + "/proposal",
        lambda c: f"/api/v1/audits/{c.get('a_accepted')}/proposal",
        lambda c: {"ecm_ids": [c["a_accepted_ecm"]]},
        "json",
        _a_write(_A_COMMISSION, 201, 401),
    ),
    (
        "POST",
        _A_ITEM + "/custody-contract",
        lambda c: f"/api/v1/audits/{c.get('a_custody')}/custody-contract",
        lambda c: {"start_date": "2025-01-01", "term_years": 8, "coefficient": "0.95"},
        "json",
        _a_write(_A_COMMISSION, 201, 401),
    ),
    (
        "POST",
        _A_ITEM + "/custody-contract",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/custody-contract",
        lambda c: {"start_date": "2025-01-01", "term_years": 8, "coefficient": "0.95"},
        "json",
        _a_other(401),
    ),
    (
        "GET",
        _A_ITEM + "/workbook.xlsx",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/workbook.xlsx",
        None,
        None,
        only(_A_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _A_ITEM + "/workbook.xlsx",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/workbook.xlsx",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _A_ITEM + "/workbook",
        lambda c: f"/api/v1/audits/{c.get('a_draft')}/workbook",
        lambda c: _a_file(),
        "form",
        _a_write(_A_RECORD, 200, 401),
    ),
    (
        "POST",
        _A_ITEM + "/workbook",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/workbook",
        lambda c: _a_file(),
        "form",
        _a_other(401),
    ),
    (
        "GET",
        _A_ITEM + "/report.pdf",
        lambda c: f"/api/v1/audits/{c.get('a_accepted')}/report.pdf",
        None,
        None,
        only(_A_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _A_ITEM + "/report.pdf",
        lambda c: f"/api/v1/audits/{c.get('a_other')}/report.pdf",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    ("GET", "/api/v1/quotas", lambda c: "/api/v1/quotas", None, None, expect(200, anon=401)),
    (
        "POST",
        "/api/v1/quotas",
        lambda c: "/api/v1/quotas",
        lambda c: _a_quota(),
        "json",
        only(_A_QUOTA, 201, 403, 401),
    ),
    # --- M&V: "mv_project" is the demo school project (approved baseline, accepted reports) with
    # one copy per workflow state; "mv_other_*" belong to the Guangzhou gym (the platform only).
    # The ESCO's admin and engineer propose, draft, submit and revise; the school's admin and
    # energy manager approve, accept and dispute; both sides edit the plan and adjustments.
    (
        "GET",
        "/projects/<int:project_id>/mv",
        lambda c: f"/projects/{c.get('mv_project')}/mv",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/mv",
        lambda c: f"/projects/{c.get('mv_other_project')}/mv",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/mv/plan",
        lambda c: f"/projects/{c.get('mv_project')}/mv/plan",
        lambda c: c.get("mv_plan_form"),
        "form",
        _ct_write(_MV_BOTH, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/mv/baselines",
        lambda c: f"/projects/{c.get('mv_project')}/mv/baselines",
        lambda c: {"reason": "矩阵"},
        "form",
        _ct_write(_MV_ESCO, 302, 302),
    ),
    (
        "GET",
        _MV_PAGE_BASELINE,
        lambda c: f"/projects/{c.get('mv_project')}/mv/baselines/{c.get('mv_approved')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        _MV_PAGE_BASELINE,
        lambda c: (
            f"/projects/{c.get('mv_other_project')}/mv/baselines/{c.get('mv_other_baseline')}"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        _MV_PAGE_BASELINE + "/<any(approve, reject):action>",
        lambda c: f"/projects/{c.get('mv_project')}/mv/baselines/{c.get('mv_proposed')}/approve",
        lambda c: {"row_version": c["rv"]["mv_proposed"]},
        "form",
        _ct_write(_MV_INST, 302, 302),
    ),
    (
        "POST",
        _MV_PAGE_BASELINE + "/<any(approve, reject):action>",
        lambda c: (
            f"/projects/{c.get('mv_other_project')}/mv/baselines/{c.get('mv_other_baseline')}/approve"
        ),
        lambda c: {"row_version": c["rv"]["mv_other_baseline"]},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/mv/reports",
        lambda c: f"/projects/{c.get('mv_project')}/mv/reports",
        lambda c: _MV_APRIL_FORM,
        "form",
        _ct_write(_MV_ESCO, 302, 302),
    ),
    (
        "GET",
        _MV_PAGE_REPORT,
        lambda c: f"/projects/{c.get('mv_project')}/mv/reports/{c.get('mv_accepted')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        _MV_PAGE_REPORT,
        lambda c: f"/projects/{c.get('mv_other_project')}/mv/reports/{c.get('mv_other_report')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        _MV_PAGE_REPORT + "/<any(submit, accept, dispute, revise):action>",
        lambda c: f"/projects/{c.get('mv_project')}/mv/reports/{c.get('mv_draft')}/submit",
        lambda c: {"row_version": c["rv"]["mv_draft"]},
        "form",
        _ct_write(_MV_ESCO, 302, 302),
    ),
    (
        "POST",
        _MV_PAGE_REPORT + "/<any(submit, accept, dispute, revise):action>",
        lambda c: f"/projects/{c.get('mv_project')}/mv/reports/{c.get('mv_submitted')}/dispute",
        lambda c: {**{"comment": "矩阵"}, "row_version": c["rv"]["mv_submitted"]},
        "form",
        _ct_write(_MV_INST, 302, 302),
    ),
    (
        "POST",
        _MV_PAGE_REPORT + "/<any(submit, accept, dispute, revise):action>",
        lambda c: (
            f"/projects/{c.get('mv_other_project')}/mv/reports/{c.get('mv_other_report')}/submit"
        ),
        lambda c: {"row_version": c["rv"]["mv_other_report"]},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        _MV_PAGE_REPORT + "/adjustments",
        lambda c: f"/projects/{c.get('mv_project')}/mv/reports/{c.get('mv_draft')}/adjustments",
        lambda c: {"meter_id": str(c.get("mv_meter")), "reason": "矩阵", "amount": "5"},
        "form",
        _ct_write(_MV_BOTH, 302, 302),
    ),
    (
        "POST",
        _MV_PAGE_REPORT + "/adjustments/<int:adjustment_id>/agree",
        lambda c: (
            f"/projects/{c.get('mv_project')}/mv/reports/{c.get('mv_draft')}/adjustments/{c.get('mv_adjustment')}/agree"
        ),
        lambda c: {"row_version": c["rv"]["mv_adjustment"]},
        "form",
        {**_ct_write(_MV_INST, 302, 302), "esco_admin": 409, "engineer": 409},
    ),
    (
        "GET",
        _MV_API + "/mv-plan",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-plan",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/mv-plan",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/mv-plan",
        None,
        None,
        only(set(), 200, 404, 401),
    ),
    # The harness sends PUT rows as POST: the plan's POST is the same view as its PUT, and
    # tests/mv/test_mv_workflow.py sends real PUTs.
    (
        "PUT",
        _MV_API + "/mv-plan",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-plan",
        lambda c: c.get("mv_plan_json"),
        "json",
        _ct_write(_MV_BOTH, 200),
    ),
    (
        "POST",
        _MV_API + "/mv-plan",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-plan",
        lambda c: c.get("mv_plan_json"),
        "json",
        _ct_write(_MV_BOTH, 200),
    ),
    (
        "POST",
        _MV_API + "/mv-plan",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/mv-plan",
        lambda c: c.get("mv_plan_json"),
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _MV_API + "/baselines",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/baselines",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/baselines",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/baselines",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _MV_API + "/baselines",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/baselines",
        lambda c: {"reason": "矩阵"},
        "json",
        _ct_write(_MV_ESCO, 201),
    ),
    (
        "POST",
        _MV_API + "/baselines",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/baselines",
        lambda c: {"reason": "矩阵"},
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _MV_API_BASELINE,
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/baselines/{c.get('mv_approved')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_BASELINE,
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/baselines/{c.get('mv_other_baseline')}"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _MV_API_BASELINE + "/approve",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/baselines/{c.get('mv_proposed')}/approve"
        ),
        lambda c: {"row_version": c["rv"]["mv_proposed"]},
        "json",
        _ct_write(_MV_INST, 200),
    ),
    (
        "POST",
        _MV_API_BASELINE + "/approve",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/baselines/{c.get('mv_other_baseline')}/approve"
        ),
        lambda c: {"row_version": c["rv"]["mv_other_baseline"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _MV_API_BASELINE + "/reject",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/baselines/{c.get('mv_proposed')}/reject",
        lambda c: {**{"comment": "矩阵"}, "row_version": c["rv"]["mv_proposed"]},
        "json",
        _ct_write(_MV_INST, 200),
    ),
    (
        "GET",
        _MV_API_BASELINE + ".pdf",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/baselines/{c.get('mv_approved')}.pdf",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_BASELINE + ".pdf",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/baselines/{c.get('mv_other_baseline')}.pdf"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/mv-reports",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-reports",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/mv-reports",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _MV_API + "/mv-reports",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-reports",
        lambda c: _MV_APRIL,
        "json",
        _ct_write(_MV_ESCO, 201),
    ),
    (
        "POST",
        _MV_API + "/mv-reports",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports",
        lambda c: _MV_APRIL,
        "json",
        _ct_other_write(401),
    ),
    (
        "GET",
        _MV_API_REPORT,
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_accepted')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_REPORT,
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports/{c.get('mv_other_report')}"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _MV_API_REPORT + "/submit",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_draft')}/submit",
        lambda c: {"row_version": c["rv"]["mv_draft"]},
        "json",
        _ct_write(_MV_ESCO, 200),
    ),
    (
        "POST",
        _MV_API_REPORT + "/submit",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports/{c.get('mv_other_report')}/submit"
        ),
        lambda c: {"row_version": c["rv"]["mv_other_report"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _MV_API_REPORT + "/accept",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_submitted')}/accept"
        ),
        lambda c: {"row_version": c["rv"]["mv_submitted"]},
        "json",
        _ct_write(_MV_INST, 200),
    ),
    (
        "POST",
        _MV_API_REPORT + "/dispute",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_submitted')}/dispute"
        ),
        lambda c: {**{"comment": "矩阵"}, "row_version": c["rv"]["mv_submitted"]},
        "json",
        _ct_write(_MV_INST, 200),
    ),
    (
        "POST",
        _MV_API_REPORT + "/revise",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_disputed')}/revise"
        ),
        lambda c: {**{"reason": "矩阵"}, "row_version": c["rv"]["mv_disputed"]},
        "json",
        _ct_write(_MV_ESCO, 201),
    ),
    (
        "GET",
        _MV_API_REPORT + ".pdf",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_accepted')}.pdf",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_REPORT + ".pdf",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports/{c.get('mv_other_report')}.pdf"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _MV_API_REPORT + "/adjustments",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_draft')}/adjustments"
        ),
        lambda c: {"meter_id": c.get("mv_meter"), "reason": "矩阵", "amount": "5"},
        "json",
        _ct_write(_MV_BOTH, 201),
    ),
    (
        "POST",
        _MV_API_REPORT + "/adjustments",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports/{c.get('mv_other_report')}/adjustments"
        ),
        lambda c: {"meter_id": c.get("mv_meter"), "reason": "矩阵", "amount": "5"},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _MV_API_REPORT + "/adjustments/<int:adjustment_id>/agree",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_draft')}/adjustments/{c.get('mv_adjustment')}/agree"
        ),
        lambda c: {"row_version": c["rv"]["mv_adjustment"]},
        "json",
        {**_ct_write(_MV_INST, 200), "esco_admin": 409, "engineer": 409},
    ),
    (
        "GET",
        _MV_API_REPORT + "/evidence/<int:file_id>",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/mv-reports/{c.get('mv_draft')}/evidence/{c.get('mv_evidence')}"
        ),
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_REPORT + "/evidence/<int:file_id>",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/mv-reports/{c.get('mv_other_report')}/evidence/{c.get('mv_evidence')}"
        ),
        None,
        None,
        only(set(), 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_BASELINE + "/evidence/<int:file_id>",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/baselines/{c.get('mv_approved')}/evidence/{c.get('mv_baseline_evidence')}"
        ),
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API_BASELINE + "/evidence/<int:file_id>",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/baselines/{c.get('mv_other_baseline')}/evidence/{c.get('mv_other_baseline_evidence')}"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/mv-measurements",
        lambda c: f"/api/v1/projects/{c.get('mv_a_project')}/mv-measurements",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/mv-measurements",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/mv-measurements",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        _MV_API + "/mv-measurements",
        lambda c: f"/api/v1/projects/{c.get('mv_a_project')}/mv-measurements",
        lambda c: _mv_measurement(c),
        "form",
        _ct_write(_MV_BOTH, 201),
    ),
    (
        "POST",
        _MV_API + "/mv-measurements",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/mv-measurements",
        lambda c: _mv_measurement(c),
        "form",
        _ct_other_write(401),
    ),
    (
        "GET",
        _MV_API + "/mv-measurements/<int:measurement_id>/evidence/<int:file_id>",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_a_project')}/mv-measurements/{c.get('mv_measurement')}/evidence/{c.get('mv_measurement_evidence')}"
        ),
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        _MV_API + "/mv-measurements/<int:measurement_id>/evidence/<int:file_id>",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_other_project')}/mv-measurements/{c.get('mv_measurement')}/evidence/{c.get('mv_measurement_evidence')}"
        ),
        None,
        None,
        only(set(), 200, 404, 401),
    ),
    (
        "POST",
        "/projects/<int:project_id>/mv/measurements",
        lambda c: f"/projects/{c.get('mv_a_project')}/mv/measurements",
        lambda c: _mv_measurement(c),
        "form",
        _ct_write(_MV_BOTH, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/mv/measurements",
        lambda c: f"/projects/{c.get('mv_other_project')}/mv/measurements",
        lambda c: _mv_measurement(c),
        "form",
        _ct_other_write(302),
    ),
    # --- inbox and background jobs --------------------------------------------------------------
    ("GET", "/inbox", lambda c: "/inbox", None, None, expect(200, anon=302)),
    (
        "POST",
        "/inbox/<int:notification_id>/read",
        lambda c: f"/inbox/{c.get('own_note')}/read",
        lambda c: {},
        "form",
        expect(302, anon=302),
    ),
    (
        "POST",
        "/inbox/<int:notification_id>/read",
        lambda c: f"/inbox/{c.get('other_note')}/read",
        lambda c: {},
        "form",
        expect(404, anon=302),
    ),
    (
        "POST",
        "/inbox/read-all",
        lambda c: "/inbox/read-all",
        lambda c: {},
        "form",
        expect(302, anon=302),
    ),
    ("GET", "/admin/jobs", lambda c: "/admin/jobs", None, None, only({"platform"}, 200, 403, 302)),
    (
        "POST",
        "/admin/jobs/<name>/run",
        lambda c: "/admin/jobs/send_email/run",
        lambda c: {},
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "GET",
        "/api/v1/notifications",
        lambda c: "/api/v1/notifications",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/notifications/<int:notification_id>/read",
        lambda c: f"/api/v1/notifications/{c.get('own_note')}/read",
        lambda c: {},
        "json",
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/notifications/<int:notification_id>/read",
        lambda c: f"/api/v1/notifications/{c.get('other_note')}/read",
        lambda c: {},
        "json",
        expect(404, anon=401),
    ),
    # --- todo rows ---
    # 待办: every signed-in user has a to-do page (their own actions only).
    ("GET", "/todo", lambda c: "/todo", None, None, expect(200, anon=302)),
    # The finance work list's export: finance of institutions only, like the queue page.
    (
        "GET",
        "/finance/queue.<any(csv, xlsx):fmt>",
        lambda c: "/finance/queue.csv",
        None,
        None,
        only({"finance"}, 200, 403, 302),
    ),
    (
        "GET",
        "/finance/queue.<any(csv, xlsx):fmt>",
        lambda c: "/finance/queue.xlsx",
        None,
        None,
        only({"finance"}, 200, 403, 302),
    ),
    # --- pages rows ---
    # Facilities pages (issue 12): forms of sites, buildings and meters are the managers'
    # (platform, the school's admin and energy manager); readers who see the object get 403,
    # auditors (who see no facilities here) 404. "f_project" covers the school site and its M&V
    # boundary holds "f_meter", so unlinking it is 409; "w_own_station" is the school's own.
    ("GET", "/sites/new", lambda c: "/sites/new", None, None, only(_F_MANAGERS, 200, 403, 302)),
    (
        "POST",
        "/sites/new",
        lambda c: "/sites/new",
        lambda c: {"name": "矩阵新场地", "region_code": "330100"},
        "form",
        {**only(_F_MANAGERS, 302, 403, 302), "platform": 422},
    ),
    (
        "GET",
        "/sites/<int:site_id>/edit",
        lambda c: f"/sites/{c.get('f_site')}/edit",
        None,
        None,
        _f_write(_F_MANAGERS, 200, 302),
    ),
    (
        "POST",
        "/sites/<int:site_id>/edit",
        lambda c: f"/sites/{c.get('f_site')}/edit",
        lambda c: {"name": "矩阵场地改"},
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "POST",
        "/sites/<int:site_id>/edit",
        lambda c: f"/sites/{c.get('f_other_site')}/edit",
        lambda c: {"name": "矩阵场地改"},
        "form",
        only({"platform"}, 302, 404, 302),
    ),
    ("GET", "/buildings", lambda c: "/buildings", None, None, expect(200, anon=302)),
    (
        "GET",
        "/sites/<int:site_id>/buildings/new",
        lambda c: f"/sites/{c.get('f_site')}/buildings/new",
        None,
        None,
        _f_write(_F_MANAGERS, 200, 302),
    ),
    (
        "POST",
        "/sites/<int:site_id>/buildings/new",
        lambda c: f"/sites/{c.get('f_site')}/buildings/new",
        lambda c: {
            "name": "矩阵新楼",
            "floor_area_m2": "500",
            "building_type": "school",
            "climate_zone": "cold",
        },
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "GET",
        "/buildings/<int:building_id>/edit",
        lambda c: f"/buildings/{c.get('f_building')}/edit",
        None,
        None,
        _f_write(_F_MANAGERS, 200, 302),
    ),
    (
        "POST",
        "/buildings/<int:building_id>/edit",
        lambda c: f"/buildings/{c.get('f_building')}/edit",
        lambda c: {"name": "矩阵楼改"},
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "POST",
        "/buildings/<int:building_id>/edit",
        lambda c: f"/buildings/{c.get('f_other_building')}/edit",
        lambda c: {"name": "矩阵楼改"},
        "form",
        only({"platform"}, 302, 404, 302),
    ),
    ("GET", "/meters", lambda c: "/meters", None, None, expect(200, anon=302)),
    (
        "GET",
        "/sites/<int:site_id>/meters/new",
        lambda c: f"/sites/{c.get('f_site')}/meters/new",
        None,
        None,
        _f_write(_F_MANAGERS, 200, 302),
    ),
    (
        "POST",
        "/sites/<int:site_id>/meters/new",
        lambda c: f"/sites/{c.get('f_site')}/meters/new",
        lambda c: {"name": "矩阵新表", "carrier": "water", "unit": "m3", "kind": "billing"},
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "GET",
        "/meters/<int:meter_id>/edit",
        lambda c: f"/meters/{c.get('f_meter')}/edit",
        None,
        None,
        _f_write(_F_MANAGERS, 200, 302),
    ),
    (
        "POST",
        "/meters/<int:meter_id>/edit",
        lambda c: f"/meters/{c.get('f_meter')}/edit",
        lambda c: {"name": "矩阵表改"},
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "POST",
        "/meters/<int:meter_id>/retire",
        lambda c: f"/meters/{c.get('f_meter')}/retire",
        lambda c: {"reason": "矩阵停用"},
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "POST",
        "/meters/<int:meter_id>/retire",
        lambda c: f"/meters/{c.get('f_other_meter')}/retire",
        lambda c: {"reason": "矩阵停用"},
        "form",
        only({"platform"}, 302, 404, 302),
    ),
    (
        "GET",
        "/meters/<int:meter_id>/uploads",
        lambda c: f"/meters/{c.get('f_meter')}/uploads",
        None,
        None,
        only(_F_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/meters/<int:meter_id>/uploads",
        lambda c: f"/meters/{c.get('f_other_meter')}/uploads",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/sites",
        lambda c: f"/projects/{c.get('f_project')}/sites",
        None,
        None,
        only(_F_READERS, 200, 404, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/sites",
        lambda c: f"/projects/{c.get('f_spare_project')}/sites",
        lambda c: {"site_id": str(c.get("f_site"))},
        "form",
        {
            **_f_write(_F_MANAGERS, 302, 302),
            "esco_admin": 404,
            "engineer": 404,
        },
    ),
    (
        "POST",
        "/projects/<int:project_id>/sites/<int:site_id>/unlink",
        lambda c: f"/projects/{c.get('f_project')}/sites/{c.get('f_site')}/unlink",
        lambda c: {},
        "form",
        _f_write(_F_MANAGERS, 409, 302),
    ),
    (
        "POST",
        "/sites/<int:site_id>/projects",
        lambda c: f"/sites/{c.get('f_site')}/projects",
        lambda c: {"project_id": str(c.get("f_spare_project"))},
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "DELETE",
        "/api/v1/sites/<int:site_id>/projects/<int:project_id>",
        lambda c: f"/api/v1/sites/{c.get('f_site')}/projects/{c.get('f_project')}",
        None,
        None,
        _f_write(_F_MANAGERS, 409, 401),
    ),
    (
        "POST",
        _F_METER + "/retirement",
        lambda c: f"/api/v1/meters/{c.get('f_meter')}/retirement",
        lambda c: {"reason": "矩阵停用"},
        "json",
        _f_write(_F_MANAGERS, 200, 401),
    ),
    (
        "POST",
        _F_METER + "/retirement",
        lambda c: f"/api/v1/meters/{c.get('f_other_meter')}/retirement",
        lambda c: {"reason": "矩阵停用"},
        "json",
        only({"platform"}, 200, 404, 401),
    ),
    # An ESCO writes only to meters inside its projects' M&V boundary: "f_meter2" is on the
    # same linked site but outside the boundary (403 for the ESCO, as for any reader).
    (
        "POST",
        _F_METER + "/readings",
        lambda c: f"/api/v1/meters/{c.get('f_meter2')}/readings",
        _f_rows,
        "json",
        _f_write(_F_MANAGERS, 201, 401),
    ),
    ("GET", "/weather-stations", lambda c: "/weather-stations", None, None, expect(200, anon=302)),
    (
        "POST",
        "/weather-stations",
        lambda c: "/weather-stations",
        lambda c: {"code": "MATRIX3", "name": "矩阵站三"},
        "form",
        only(_F_MANAGERS, 302, 403, 302),
    ),
    (
        "GET",
        "/weather-stations/<int:station_id>",
        lambda c: f"/weather-stations/{c.get('w_station')}",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "GET",
        "/weather-stations/<int:station_id>",
        lambda c: f"/weather-stations/{c.get('w_own_station')}",
        None,
        None,
        only(_F_READERS, 200, 404, 302),
    ),
    (
        "POST",
        "/weather-stations/<int:station_id>/temperatures",
        lambda c: f"/weather-stations/{c.get('w_station')}/temperatures",
        lambda c: _w_file(),
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "POST",
        "/weather-stations/<int:station_id>/temperatures",
        lambda c: f"/weather-stations/{c.get('w_own_station')}/temperatures",
        lambda c: _w_file(),
        "form",
        _f_write(_F_MANAGERS, 302, 302),
    ),
    (
        "POST",
        "/api/v1/weather-stations/<int:station_id>/temperatures",
        lambda c: f"/api/v1/weather-stations/{c.get('w_own_station')}/temperatures",
        lambda c: _w_file(),
        "form",
        _f_write(_F_MANAGERS, 201, 401),
    ),
    # --- cal rows ---
    ("GET", "/calendars", lambda c: "/calendars", None, None, expect(200, anon=302)),
    (
        "GET",
        "/calendars/statutory/<year:year>",
        lambda c: "/calendars/statutory/2025",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "POST",
        "/calendars/statutory/<year:year>",
        lambda c: "/calendars/statutory/2031",
        lambda c: {"source": "矩阵通知", "days": "2031-01-01,holiday,元旦"},
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "POST",
        "/calendars/statutory",
        lambda c: "/calendars/statutory",
        lambda c: {"year": "2031"},
        "form",
        expect(302, anon=302),
    ),
    (
        "POST",
        "/calendars/statutory/<year:year>/delete",
        lambda c: "/calendars/statutory/2030/delete",
        lambda c: {},
        "form",
        only({"platform"}, 302, 403, 302),
    ),
    (
        "POST",
        "/calendars/terms",
        lambda c: "/calendars/terms",
        lambda c: {"name": "矩阵校历-新"},
        "form",
        only(_CAL_MANAGERS, 302, 403, 302),
    ),
    (
        "GET",
        "/calendars/terms/<int:calendar_id>",
        lambda c: f"/calendars/terms/{c.get('cal_own')}",
        None,
        None,
        only(_CAL_SCHOOL | {"platform", "agency", "agency_admin"}, 200, 404, 302),
    ),
    (
        "GET",
        "/calendars/terms/<int:calendar_id>",
        lambda c: f"/calendars/terms/{c.get('cal_other')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        "/calendars/terms/<int:calendar_id>/periods",
        lambda c: f"/calendars/terms/{c.get('cal_own')}/periods",
        lambda c: _cal_file(),
        "form",
        only(_CAL_MANAGERS, 302, 403, 302),
    ),
    (
        "POST",
        "/calendars/terms/<int:calendar_id>/periods",
        lambda c: f"/calendars/terms/{c.get('cal_other')}/periods",
        lambda c: _cal_file(),
        "form",
        only(_CAL_MANAGERS, 404, 403, 302),
    ),
    (
        "POST",
        "/calendars/terms/<int:calendar_id>/share",
        lambda c: f"/calendars/terms/{c.get('cal_own')}/share",
        lambda c: {"shared": "on"},
        "form",
        only(_CAL_MANAGERS, 302, 403, 302),
    ),
    (
        "POST",
        "/calendars/terms/<int:calendar_id>/sites",
        lambda c: f"/calendars/terms/{c.get('cal_own')}/sites",
        lambda c: {"site_id": str(c.get("f_site")), "follow": "on"},
        "form",
        only(_CAL_MANAGERS, 302, 403, 302),
    ),
    (
        "POST",
        "/calendars/terms/<int:calendar_id>/sites",
        lambda c: f"/calendars/terms/{c.get('cal_own')}/sites",
        lambda c: {"site_id": str(c.get("f_other_site")), "follow": "on"},
        "form",
        only(_CAL_MANAGERS, 404, 403, 302),
    ),
    (
        "GET",
        "/calendars/template.<any(csv, xlsx):fmt>",
        lambda c: "/calendars/template.xlsx",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "GET",
        "/readings/template-<any(interval, register, billing):kind>.csv",
        lambda c: "/readings/template-interval.csv",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "GET",
        "/api/v1/calendars/statutory/<year:year>",
        lambda c: "/api/v1/calendars/statutory/2025",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "POST",
        "/api/v1/calendars/statutory/<year:year>",
        lambda c: "/api/v1/calendars/statutory/2031",
        lambda c: {"source": "矩阵", "days": [{"date": "2031-01-01", "kind": "holiday"}]},
        "json",
        only({"platform"}, 200, 403, 401),
    ),
    (
        "GET",
        "/api/v1/calendars/terms",
        lambda c: "/api/v1/calendars/terms",
        None,
        None,
        expect(200, anon=401),
    ),
    (
        "GET",
        "/api/v1/calendars/terms/<int:calendar_id>",
        lambda c: f"/api/v1/calendars/terms/{c.get('cal_own')}",
        None,
        None,
        only(_CAL_SCHOOL | {"platform", "agency", "agency_admin"}, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/calendars/terms/<int:calendar_id>",
        lambda c: f"/api/v1/calendars/terms/{c.get('cal_other')}",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/sites/<int:site_id>/day-types",
        lambda c: f"/api/v1/sites/{c.get('f_site')}/day-types?start=2025-01-01&end=2025-03-01",
        None,
        None,
        only(_F_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/sites/<int:site_id>/day-types",
        lambda c: (
            f"/api/v1/sites/{c.get('f_other_site')}/day-types?start=2025-01-01&end=2025-03-01"
        ),
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    # --- watch rows ---
    # The savings watch of the demo M&V project ("mv_project"): its page and API read like the
    # M&V tab; either party decides on events and acknowledges warnings; the institution's
    # contract managers record the contract's watch terms. Quota pages: the institution's own,
    # an agency's region overview and drill-down.
    (
        "GET",
        "/projects/<int:project_id>/watch",
        lambda c: f"/projects/{c.get('mv_project')}/watch",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/watch",
        lambda c: f"/projects/{c.get('mv_other_project')}/watch",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/watch/events/<int:event_id>/dismiss",
        lambda c: f"/projects/{c.get('mv_project')}/watch/events/{c.get('watch_event')}/dismiss",
        lambda c: {"reason": "矩阵"},
        "form",
        _ct_write(_MV_BOTH, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/watch/events/<int:event_id>/dismiss",
        lambda c: (
            f"/projects/{c.get('mv_other_project')}/watch/events/{c.get('watch_other_event')}"
            "/dismiss"
        ),
        lambda c: {"reason": "矩阵"},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/watch/events/<int:event_id>/convert",
        lambda c: f"/projects/{c.get('mv_project')}/watch/events/{c.get('watch_event')}/convert",
        lambda c: {"amount": "10"},
        "form",
        _ct_write(_MV_BOTH, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/watch/warnings/<int:warning_id>/acknowledge",
        lambda c: (
            f"/projects/{c.get('mv_project')}/watch/warnings/{c.get('watch_warning')}/acknowledge"
        ),
        lambda c: {},
        "form",
        _ct_write(_MV_BOTH, 302, 302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/watch/settings",
        lambda c: f"/projects/{c.get('mv_project')}/watch/settings",
        lambda c: {"shortfall_probability": "0.6", "missing_days": "fill_agreed"},
        "form",
        _ct_write(_MV_INST, 302, 302),
    ),
    (
        "GET",
        "/watch/quota",
        lambda c: "/watch/quota",
        None,
        None,
        expect(
            403,
            anon=302,
            # Platform admins read the programme (issue 15), and with it the region's quota view.
            platform=200,
            agency=200,
            agency_admin=200,
            inst_admin=302,
            energy=302,
            finance=302,
            viewer=302,
        ),
    ),
    (
        "GET",
        "/watch/quota/<int:organization_id>",
        lambda c: f"/watch/quota/{c.get('watch_school')}",
        None,
        None,
        expect(
            404,
            anon=302,
            platform=200,
            agency=200,
            agency_admin=200,
            inst_admin=200,
            energy=200,
            finance=200,
            viewer=200,
        ),
    ),
    (
        "POST",
        "/watch/quota/<int:organization_id>/share",
        lambda c: f"/watch/quota/{c.get('watch_school')}/share",
        lambda c: {"share": "0.9"},
        "form",
        expect(
            404,
            anon=302,
            platform=403,
            agency=403,
            agency_admin=403,
            inst_admin=302,
            energy=302,
            finance=403,
            viewer=403,
        ),
    ),
    (
        "POST",
        "/watch/quota/<int:organization_id>/warnings/<int:warning_id>/acknowledge",
        lambda c: (
            f"/watch/quota/{c.get('watch_school')}/warnings/{c.get('watch_quota_warning')}/acknowledge"
        ),
        lambda c: {},
        "form",
        expect(
            404,
            anon=302,
            platform=403,
            agency=403,
            agency_admin=403,
            inst_admin=302,
            energy=302,
            finance=403,
            viewer=403,
        ),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>/watch",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/watch",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>/watch/events",
        lambda c: f"/api/v1/projects/{c.get('mv_project')}/watch/events",
        None,
        None,
        only(_CT_READERS, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/projects/<int:project_id>/watch/events",
        lambda c: f"/api/v1/projects/{c.get('mv_other_project')}/watch/events",
        None,
        None,
        only({"platform"}, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/projects/<int:project_id>/watch/events/<int:event_id>/dismiss",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/watch/events/{c.get('watch_event')}/dismiss"
        ),
        lambda c: {"reason": "矩阵"},
        "json",
        _ct_write(_MV_BOTH, 200, 401),
    ),
    (
        "POST",
        "/api/v1/projects/<int:project_id>/watch/events/<int:event_id>/convert",
        lambda c: (
            f"/api/v1/projects/{c.get('mv_project')}/watch/events/{c.get('watch_event')}/convert"
        ),
        lambda c: {"amount": "10"},
        "json",
        _ct_write(_MV_BOTH, 200, 401),
    ),
    # --- wf rows ---
    # The project's life: transitions, project amendments, amendment and custody adjustment
    # decisions (API), and the project life pages. "project" is the school's signed project of
    # the demo ESCO with an amendment proposed by the institution; bodies carry the row version.
    (
        "POST",
        _WF_TRANSITION,
        lambda c: f"/api/v1/projects/{c.get('project')}/transitions/start_works",
        lambda c: {"row_version": c["rv"]["project"]},
        "json",
        _ct_write({"inst_admin", "energy"}, 200),
    ),
    (
        "POST",
        _WF_TRANSITION,
        lambda c: f"/api/v1/projects/{c.get('other_project')}/transitions/start_works",
        lambda c: {"row_version": c["rv"]["other_project"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        "/api/v1/projects/<int:project_id>/amendments",
        lambda c: f"/api/v1/projects/{c.get('project')}/amendments",
        lambda c: {"row_version": c["rv"]["project"], "reason": "矩阵", "total_investment": "1.00"},
        "json",
        # Either party proposes: the institution's project managers, the ESCO's admins.
        _ct_write({"inst_admin", "energy", "esco_admin"}, 201),
    ),
    (
        "POST",
        "/api/v1/projects/<int:project_id>/amendments",
        lambda c: f"/api/v1/projects/{c.get('other_project')}/amendments",
        lambda c: {
            "row_version": c["rv"]["other_project"],
            "reason": "矩阵",
            "total_investment": "1.00",
        },
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _WF_AMENDMENT + "/reject",
        lambda c: (
            f"/api/v1/projects/{c.get('project')}/contract/amendments/{c.get('amendment')}/reject"
        ),
        lambda c: {"row_version": c["rv"]["amendment"], "comment": "不同意"},
        "json",
        _ct_write({"esco_admin"}, 200),
    ),
    (
        "POST",
        _WF_AMENDMENT + "/reject",
        lambda c: (
            f"/api/v1/projects/{c.get('other_project')}/contract/amendments/"
            f"{c.get('other_amendment')}/reject"
        ),
        lambda c: {"row_version": c["rv"]["other_amendment"], "comment": "不同意"},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _WF_AMENDMENT + "/withdraw",
        lambda c: (
            f"/api/v1/projects/{c.get('project')}/contract/amendments/{c.get('amendment')}/withdraw"
        ),
        lambda c: {"row_version": c["rv"]["amendment"]},
        "json",
        _ct_write({"inst_admin", "energy"}, 200),
    ),
    (
        "POST",
        _WF_AMENDMENT + "/withdraw",
        lambda c: (
            f"/api/v1/projects/{c.get('other_project')}/contract/amendments/"
            f"{c.get('other_amendment')}/withdraw"
        ),
        lambda c: {"row_version": c["rv"]["other_amendment"]},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _CT_CUSTODY_API + "/<int:adjustment_id>/reject",
        lambda c: (
            f"/api/v1/projects/{c.get('custody_project')}/custody-adjustments/"
            f"{c.get('custody_adjustment')}/reject"
        ),
        lambda c: {"version": c["rv"]["custody_adjustment"], "comment": "不同意"},
        "json",
        _ct_write({"esco_admin"}, 200),
    ),
    (
        "POST",
        _CT_CUSTODY_API + "/<int:adjustment_id>/reject",
        lambda c: (
            f"/api/v1/projects/{c.get('other_custody_project')}/custody-adjustments/"
            f"{c.get('other_custody_adjustment')}/reject"
        ),
        lambda c: {"version": c["rv"]["other_custody_adjustment"], "comment": "不同意"},
        "json",
        _ct_other_write(401),
    ),
    (
        "POST",
        _CT_CUSTODY_API + "/<int:adjustment_id>/withdraw",
        lambda c: (
            f"/api/v1/projects/{c.get('custody_project')}/custody-adjustments/"
            f"{c.get('custody_adjustment')}/withdraw"
        ),
        lambda c: {"version": c["rv"]["custody_adjustment"]},
        "json",
        _ct_write({"inst_admin", "energy"}, 200),
    ),
    (
        "POST",
        _CT_CUSTODY_API + "/<int:adjustment_id>/withdraw",
        lambda c: (
            f"/api/v1/projects/{c.get('other_custody_project')}/custody-adjustments/"
            f"{c.get('other_custody_adjustment')}/withdraw"
        ),
        lambda c: {"version": c["rv"]["other_custody_adjustment"]},
        "json",
        _ct_other_write(401),
    ),
    # The same reject and withdraw as buttons on the project page (a form, 302 on success).
    (
        "POST",
        _CT_CUSTODY_FORM + "/<int:adjustment_id>/<any(reject, withdraw):decision>",
        lambda c: (
            f"/projects/{c.get('custody_project')}/custody-adjustments/"
            f"{c.get('custody_adjustment')}/reject"
        ),
        lambda c: {"version": c["rv"]["custody_adjustment"], "comment": "不同意"},
        "form",
        _ct_write({"esco_admin"}, 302, 302),
    ),
    (
        "POST",
        _CT_CUSTODY_FORM + "/<int:adjustment_id>/<any(reject, withdraw):decision>",
        lambda c: (
            f"/projects/{c.get('custody_project')}/custody-adjustments/"
            f"{c.get('custody_adjustment')}/withdraw"
        ),
        lambda c: {"version": c["rv"]["custody_adjustment"]},
        "form",
        _ct_write({"inst_admin", "energy"}, 302, 302),
    ),
    (
        "POST",
        _CT_CUSTODY_FORM + "/<int:adjustment_id>/<any(reject, withdraw):decision>",
        lambda c: (
            f"/projects/{c.get('other_custody_project')}/custody-adjustments/"
            f"{c.get('other_custody_adjustment')}/withdraw"
        ),
        lambda c: {"version": c["rv"]["other_custody_adjustment"]},
        "form",
        _ct_other_write(302),
    ),
    # One amendment's page (an incoming ESCO's way in): visible with its project.
    (
        "GET",
        "/amendments/<int:amendment_id>",
        lambda c: f"/amendments/{c.get('amendment')}",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/amendments/<int:amendment_id>",
        lambda c: f"/amendments/{c.get('other_amendment')}",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/life",
        lambda c: f"/projects/{c.get('project')}/life",
        None,
        None,
        only(_CT_READERS, 200, 404, 302),
    ),
    (
        "GET",
        "/projects/<int:project_id>/life",
        lambda c: f"/projects/{c.get('other_project')}/life",
        None,
        None,
        only({"platform"}, 200, 404, 302),
    ),
    (
        "POST",
        _WF_STEP,
        lambda c: f"/projects/{c.get('project')}/life/start_works",
        lambda c: {"row_version": c["rv"]["project"]},
        "form",
        _ct_write({"inst_admin", "energy"}, 302, anon=302),
    ),
    (
        "POST",
        _WF_STEP,
        lambda c: f"/projects/{c.get('other_project')}/life/start_works",
        lambda c: {"row_version": c["rv"]["other_project"]},
        "form",
        _ct_other_write(302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/life/edit",
        lambda c: f"/projects/{c.get('project')}/life/edit",
        lambda c: {"row_version": c["rv"]["project"], "name": "矩阵改名"},
        "form",
        _ct_write({"inst_admin", "energy"}, 302, anon=302),
    ),
    (
        "POST",
        "/projects/<int:project_id>/life/amend",
        lambda c: f"/projects/{c.get('project')}/life/amend",
        lambda c: {"row_version": c["rv"]["project"], "reason": "矩阵", "total_investment": "1"},
        "form",
        _ct_write({"inst_admin", "energy", "esco_admin"}, 302, anon=302),
    ),
    (
        "POST",
        _WF_DECISION,
        lambda c: f"/projects/{c.get('project')}/life/amendments/{c.get('amendment')}/agree",
        lambda c: {"row_version": c["rv"]["amendment"]},
        "form",
        _ct_write({"inst_admin", "esco_admin"}, 302, anon=302),
    ),
    (
        "POST",
        _WF_DECISION,
        lambda c: (
            f"/projects/{c.get('other_project')}/life/amendments/{c.get('other_amendment')}/agree"
        ),
        lambda c: {"row_version": c["rv"]["other_amendment"]},
        "form",
        _ct_other_write(302),
    ),
    # --- todo rows ---
    # 待办: every signed-in user has a to-do page (their own actions only).
    ("GET", "/todo", lambda c: "/todo", None, None, expect(200, anon=302)),
    # The finance work list's export: finance of institutions only, like the queue page.
    (
        "GET",
        "/finance/queue.<any(csv, xlsx):fmt>",
        lambda c: "/finance/queue.csv",
        None,
        None,
        only({"finance"}, 200, 403, 302),
    ),
    (
        "GET",
        "/finance/queue.<any(csv, xlsx):fmt>",
        lambda c: "/finance/queue.xlsx",
        None,
        None,
        only({"finance"}, 200, 403, 302),
    ),
    # --- lists rows ---
    # Filtered, sorted and paged lists keep their page's rule; unknown filter values are ignored.
    (
        "GET",
        "/projects",
        lambda c: (
            "/projects?q=项目&status=operating&year=2024&type=shared_savings&sort=name&page=2"
        ),
        None,
        None,
        only(_CT_READERS, 200, 403, 302),
    ),
    (
        "GET",
        "/audits",
        lambda c: "/audits?status=bogus&type=9&sort=title&dir=desc&page=x",
        None,
        None,
        only(_A_READERS, 200, 403, 302),
    ),
    (
        "GET",
        "/sites",
        lambda c: "/sites?q=楼&sort=name&dir=desc",
        None,
        None,
        expect(200, anon=302),
    ),
    (
        "GET",
        "/admin/users",
        lambda c: "/admin/users?q=demo&status=active&type=finance&sort=role",
        None,
        None,
        only(ADMINS, 200, 403, 302),
    ),
    (
        "GET",
        "/admin/organizations",
        lambda c: "/admin/organizations?q=杭州&type=institution&status=active&sort=region",
        None,
        None,
        only({"platform"}, 200, 403, 302),
    ),
    # A region code that names no region: 404 for every reader of the programme.
    (
        "GET",
        "/programme",
        lambda c: "/programme?region=999999",
        None,
        None,
        only(_PG_READ, 404, 403, 302),
    ),
    (
        "GET",
        "/api/v1/programme/dashboard",
        lambda c: "/api/v1/programme/dashboard?region=999999",
        None,
        None,
        only(_PG_READ, 404, 403, 401),
    ),
    (
        "GET",
        "/programme",
        lambda c: "/programme?all_regions=1",
        None,
        None,
        only(_PG_READ, 200, 403, 302),
    ),
    # --- meterfiles rows ---
    # The column mapping and the checked import read a file kept for the same user and meter:
    # importers of a visible meter without such a file get 422 (choose it again), readers 403.
    *[
        (
            method,
            route,
            lambda c, meter=meter, tail=tail: f"/meters/{c.get(meter)}/readings/{tail}/{'0' * 64}",
            (lambda c: {}) if method == "POST" else None,
            "form" if method == "POST" else None,
            _f_write(_F_IMPORTERS, 422, 302)
            if meter == "f_meter"
            else only({"platform"}, 422, 404, 302),
        )
        for method, route, tail in (
            ("GET", "/meters/<int:meter_id>/readings/mapping/<sha256>", "mapping"),
            ("POST", "/meters/<int:meter_id>/readings/mapping/<sha256>", "mapping"),
            ("POST", "/meters/<int:meter_id>/readings/checked/<sha256>", "checked"),
        )
        for meter in ("f_meter", "f_other_meter")
    ],
]

# Routes that exist but are not user actions (none yet).
NOT_IN_MATRIX: set[tuple[str, str]] = set()


def _actor(session, email: str):
    """The demo user ``email`` as an Actor, for the world builders."""
    from emc.auth.actor import Actor

    user = session.scalar(select(User).where(User.email == email))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


def _contracts_context(session) -> dict:
    """Contracts objects for the matrix: two signed, scheduled projects and lines in each state."""
    from datetime import date
    from decimal import Decimal

    from emc.contracts import finance
    from emc.contracts import service as contracts
    from emc.contracts.models import PaymentLine, ProjectStatus, terms_to_document

    def actor(email):
        return _actor(session, email)

    terms = terms_to_document(
        finance.ContractTerms(
            contract_type=finance.ContractType.GUARANTEED_SAVINGS,
            term_years=1,
            start_date=date(2025, 1, 1),
            payment_frequency=finance.PaymentFrequency.MONTHLY,
            payment_due_days=30,
            discount_rate=Decimal("0.05"),
            components=(
                finance.GuaranteedSavingsTerms(
                    guarantees=(finance.EnergyQuantity("electricity", "kWh", Decimal(600000)),),
                    fees=(finance.FeeBand(1, 1, Decimal(120000)),),
                ),
            ),
            prices=(finance.CarrierPrice("electricity", "kWh", Decimal("0.80")),),
        )
    )

    def project(energy_email, esco_name, name):
        energy = actor(energy_email)
        esco = session.scalar(select(Organization.id).where(Organization.name_zh == esco_name))
        p = contracts.create_project(
            session, energy, name=name, esco_organization_id=esco, investor="esco"
        )
        contracts.set_contract_terms(session, energy, p.id, terms=terms)
        contracts.update_project(session, energy, p.id, status=ProjectStatus.PROPOSED)
        contracts.update_project(
            session, energy, p.id, status=ProjectStatus.CONTRACTED, signed_on=date(2024, 12, 1)
        )
        sign_by_esco(session, p.id)
        contracts.regenerate_schedule(session, energy, p.id)
        _, amendment = contracts.set_contract_terms(
            session, energy, p.id, terms=terms, reason="矩阵"
        )
        lines = list(
            session.scalars(
                select(PaymentLine)
                .where(PaymentLine.project_id == p.id, PaymentLine.source == "actual")
                .order_by(PaymentLine.period_start)
            )
        )
        return p, amendment, lines

    own, amendment, lines = project("energy@school.demo", "绿能节能服务有限公司", "矩阵一中项目")
    other, other_amendment, other_lines = project(
        "energy@gym.demo", "南方综合能源服务有限公司", "矩阵体育馆项目"
    )
    finance1, finance2 = actor("finance@school.demo"), actor("finance2@school.demo")
    contracts.prepare_line(session, finance2, lines[1].id, version=1)
    contracts.prepare_line(session, finance2, lines[2].id, version=1)
    contracts.approve_line(session, finance1, lines[2].id, version=2)
    contracts.hold_line(session, finance1, lines[3].id, version=1, reason="矩阵")
    return {
        "project": own.id,
        "other_project": other.id,
        "amendment": amendment.id,
        "other_amendment": other_amendment.id,
        "line": lines[0].id,
        "prepared_line": lines[1].id,
        "approved_line": lines[2].id,
        "held_line": lines[3].id,
        "other_line": other_lines[0].id,
        "terms_doc": terms,
    }


def _custody_context(session) -> dict:
    """A signed custody contract of the school (demo ESCO) and of the gym (other ESCO), each with
    a proposed custody fee adjustment."""
    from datetime import date
    from decimal import Decimal

    from emc.contracts import finance
    from emc.contracts import service as contracts
    from emc.contracts.models import ProjectStatus, terms_to_document

    terms = terms_to_document(
        finance.ContractTerms(
            contract_type=finance.ContractType.ENERGY_COST_CUSTODY,
            term_years=3,
            start_date=date(2025, 1, 1),
            payment_frequency=finance.PaymentFrequency.MONTHLY,
            payment_due_days=10,
            discount_rate=Decimal("0.05"),
            components=(
                finance.EnergyCostCustodyTerms(
                    baseline=(
                        finance.BaselineCarrierCost(
                            "electricity", "kWh", Decimal(1000000), Decimal("0.80")
                        ),
                    ),
                    coefficient=Decimal("0.90"),
                    floor_area_m2=Decimal(10000),
                ),
            ),
        )
    )

    def project(energy_email, esco_name, name):
        energy = _actor(session, energy_email)
        esco = session.scalar(select(Organization.id).where(Organization.name_zh == esco_name))
        p = contracts.create_project(
            session, energy, name=name, esco_organization_id=esco, investor="esco"
        )
        contracts.set_contract_terms(session, energy, p.id, terms=terms)
        contracts.update_project(session, energy, p.id, status=ProjectStatus.PROPOSED)
        contracts.update_project(
            session, energy, p.id, status=ProjectStatus.CONTRACTED, signed_on=date(2024, 12, 1)
        )
        sign_by_esco(session, p.id)
        adjustment = contracts.propose_custody_adjustment(
            session,
            energy,
            p.id,
            kind="floor_area",
            reference="矩阵-1",
            effective_date=date(2025, 7, 1),
            new_floor_area_m2=Decimal(11000),
            reason="矩阵",
        )
        return p, adjustment

    own, adjustment = project("energy@school.demo", "绿能节能服务有限公司", "矩阵一中托管项目")
    other, other_adjustment = project(
        "energy@gym.demo", "南方综合能源服务有限公司", "矩阵体育馆托管项目"
    )
    return {
        "custody_project": own.id,
        "custody_adjustment": adjustment.id,
        "other_custody_project": other.id,
        "other_custody_adjustment": other_adjustment.id,
    }


def _facilities_context(session) -> dict:
    """Facilities objects for the matrix: the school's site (covered by a project of the demo ESCO)
    with a building and an hourly meter holding a day of readings, and the Guangzhou gym's."""
    import datetime as dt
    import io

    from emc.contracts.models import EmcProject
    from emc.facilities import service as facilities
    from emc.facilities.models import EmissionFactor, ProjectSite
    from emc.mv.models import MvPlan

    def actor(email):
        return _actor(session, email)

    def build(email):
        who = actor(email)
        site = facilities.create_site(session, who, name="矩阵场地", region_code=who.region_code)
        building = facilities.create_building(
            session,
            who,
            site_id=site.id,
            name="矩阵楼",
            floor_area_m2=1000,
            building_type="office",
            climate_zone="hot_summer_cold_winter",
        )
        meter = facilities.create_meter(
            session,
            who,
            site_id=site.id,
            building_id=building.id,
            name="矩阵表",
            carrier="electricity",
            unit="kWh",
            kind="interval",
            interval_minutes=60,
        )
        day = "时间,用量\n" + "".join(f"2024-01-01 {h:02d}:00,{h}\n" for h in range(24))
        facilities.import_readings(
            session, who, meter.id, io.BytesIO(day.encode()), filename="d.csv"
        )
        return who, site, building, meter

    school, site, building, meter = build("energy@school.demo")
    _gym, other_site, other_building, other_meter = build("energy@gym.demo")
    esco = session.scalar(
        select(Organization.id).where(Organization.name_zh == "绿能节能服务有限公司")
    )
    project = EmcProject(
        organization_id=school.organization_id, esco_organization_id=esco, name="矩阵设施项目"
    )
    spare = EmcProject(organization_id=school.organization_id, name="矩阵备用项目")
    session.add_all([project, spare])
    session.flush()
    session.add(ProjectSite(project_id=project.id, site_id=site.id))
    session.flush()
    # The project's M&V boundary holds the school meter: its ESCO writes readings to it only.
    session.add(
        MvPlan(
            project_id=project.id,
            boundary=[{"meter_id": meter.id, "option": "C"}],
            method="daily",
            baseline_start=dt.date(2023, 1, 1),
            baseline_end=dt.date(2024, 1, 1),
            reporting_frequency="monthly",
        )
    )
    outside = facilities.create_meter(
        session,
        school,
        site_id=site.id,
        name="矩阵表二",
        carrier="electricity",
        unit="kWh",
        kind="interval",
        interval_minutes=60,
    )
    session.flush()
    return {
        "f_project": project.id,
        "f_meter2": outside.id,
        "f_site": site.id,
        "f_building": building.id,
        "f_meter": meter.id,
        "f_other_site": other_site.id,
        "f_other_building": other_building.id,
        "f_other_meter": other_meter.id,
        "f_spare_project": spare.id,
        "f_factor": session.scalar(
            select(EmissionFactor.id)
            .where(EmissionFactor.carrier == "electricity", EmissionFactor.kind == "co2")
            .order_by(EmissionFactor.id)
            .limit(1)
        ),
    }


def _weather_context(session) -> dict:
    """A weather station with one day of June temperatures (uploads in the rows use February)."""
    from emc.facilities.models import TemperatureReading, WeatherStation

    station = WeatherStation(code="MATRIX1", name="矩阵站", timezone="Asia/Shanghai")
    session.add(station)
    session.flush()
    start = 1717171200  # 2024-06-01T00:00:00+08:00
    session.add_all(
        TemperatureReading(station_id=station.id, start_ts=start + h * 3600, temperature_c=25.0)
        for h in range(24)
    )
    school = session.scalar(select(User).where(User.email == "energy@school.demo"))
    own = WeatherStation(
        code="MATRIXOWN",
        name="矩阵自有站",
        timezone="Asia/Shanghai",
        organization_id=school.organization_id,
    )
    session.add(own)
    session.flush()
    return {"w_station": station.id, "w_own_station": own.id}


def _programme_context(session) -> dict:
    """Programme objects for the matrix: Hangzhou's demo target (set by Zhejiang) and a Guangdong
    target set by the national agency, which Zhejiang cannot see."""
    from emc.programme.models import Metric, ProgrammeTarget

    own = session.scalar(
        select(ProgrammeTarget.id).where(
            ProgrammeTarget.region_code == "330100", ProgrammeTarget.metric == Metric.PROJECTS
        )
    )
    national = session.scalar(
        select(Organization.id).where(Organization.name_zh == "国家机关事务管理局")
    )
    other = ProgrammeTarget(
        region_code="440000",
        metric=Metric.PROJECTS,
        start_year=2021,
        end_year=2025,
        project_count=200,
        set_by_organization_id=national,
    )
    session.add(other)
    session.flush()
    return {"pg_target": own, "pg_other_target": other.id}


def _audit_context(session) -> dict:
    """Audit objects for the matrix: school audits (commissioned to the demo auditor) in each
    state, with a bill row and an ECM, and the Guangzhou gym's draft audit by another audit body."""
    import datetime as dt
    from decimal import Decimal

    from emc.audit import service as audits
    from emc.audit.models import AuditEcm, EnergyAudit
    from emc.auth.models import OrgKind
    from emc.facilities.models import Site

    def actor(email):
        return _actor(session, email)

    school, auditor = actor("energy@school.demo"), actor("auditor@auditor.demo")
    site = session.scalar(
        select(Site.id).where(
            Site.organization_id == school.organization_id, Site.name == "一中本部校区"
        )
    )
    row = {
        "carrier": "electricity",
        "unit": "kWh",
        "month": dt.date(2023, 1, 1),
        "quantity": Decimal(10),
    }

    def audit(title):
        a = audits.create_audit(
            session,
            school,
            title=title,
            auditor_organization_id=auditor.organization_id,
            level=1,
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2024, 1, 1),
            site_ids=[site],
        )
        audits.add_bills(session, auditor, a.id, [row])
        ecm = audits.add_ecm(session, auditor, a.id, name="矩阵措施", category="lighting")
        return a, ecm

    draft, draft_ecm = audit("矩阵草稿审计")
    submitted, _ = audit("矩阵已提交审计")
    audits.submit_audit(session, auditor, submitted.id)
    accepted, accepted_ecm = audit("矩阵已接受审计")
    audits.submit_audit(session, auditor, accepted.id)
    audits.accept_audit(session, school, accepted.id)
    gym = actor("energy@gym.demo")
    other_body = Organization(
        kind=OrgKind.AUDITOR, name_zh="矩阵另一审计机构", region_code="440100"
    )
    session.add(other_body)
    session.flush()
    gym_site = session.scalar(select(Site.id).where(Site.organization_id == gym.organization_id))
    other = audits.create_audit(
        session,
        gym,
        title="矩阵体育馆审计",
        auditor_organization_id=other_body.id,
        level=1,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2024, 1, 1),
        site_ids=[gym_site],
    )
    # An accepted audit flagged as a custody candidate (over 500 tce, above the school quota),
    # its bill costed: the source of an energy-cost custody contract.
    custody = audits.create_audit(
        session,
        school,
        title="矩阵托管审计",
        auditor_organization_id=auditor.organization_id,
        level=1,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2024, 1, 1),
        site_ids=[site],
    )
    big = {**row, "quantity": Decimal(6_000_000), "cost": Decimal("4320000.00")}
    # A verdict (and so the custody flag) needs every month of the base period recorded.
    rest = [
        {**row, "month": dt.date(2023, m, 1), "quantity": Decimal(0), "cost": Decimal(0)}
        for m in range(1, 13)
        if dt.date(2023, m, 1) != row["month"]
    ]
    audits.add_bills(session, auditor, custody.id, [big, *rest])
    audits.add_ecm(session, auditor, custody.id, name="矩阵托管措施", category="hvac")
    audits.submit_audit(session, auditor, custody.id)
    audits.accept_audit(session, school, custody.id)
    assert isinstance(other, EnergyAudit) and isinstance(accepted_ecm, AuditEcm)
    return {
        "a_custody": custody.id,
        "a_draft": draft.id,
        "a_draft_ecm": draft_ecm.id,
        "a_submitted": submitted.id,
        "a_accepted": accepted.id,
        "a_accepted_ecm": accepted_ecm.id,
        "a_other": other.id,
        "a_site": site,
        "a_auditor_org": auditor.organization_id,
    }


def _context(session, role: str) -> dict:
    email = ROLES[role] or "viewer@school.demo"
    me = session.scalar(select(User).where(User.email == email))
    own_org = session.get(Organization, me.organization_id)
    colleague = session.scalar(
        select(User)
        .where(User.organization_id == me.organization_id, User.id != me.id)
        .order_by(User.id)
    ) or session.scalar(select(User).where(User.email == "viewer@esco.demo"))
    other_user = session.scalar(select(User).where(User.email == "engineer@esco2.demo"))
    other_org = session.get(Organization, other_user.organization_id)
    region_org = session.scalar(
        select(Organization).where(Organization.name_zh == "杭州市第一中学")
    )
    if own_org.id == region_org.id:
        region_org = session.scalar(
            select(Organization).where(Organization.name_zh == "杭州市人民医院")
        )
    own_token = ApiToken(user_id=me.id, name="mine", prefix="emc_mine", token_hash=f"{me.id:064d}")
    other_token = ApiToken(
        user_id=other_user.id, name="theirs", prefix="emc_theirs", token_hash="f" * 64
    )
    session.add_all([own_token, other_token])
    session.flush()
    return {
        "own_org": own_org.id,
        "own_region": own_org.region_code,
        "other_org": other_org.id,
        "region_org": region_org.id,
        "own_user": me.id,
        "colleague": colleague.id,
        "colleague_role": colleague.role.value,
        "other_user": other_user.id,
        "own_token": own_token.id,
        "other_token": other_token.id,
        "own_note": _WORLD["notes"][email],
        "other_note": _WORLD["notes"]["engineer@esco2.demo"],
        **_WORLD,
    }


def _mv_context(session) -> dict:
    """M&V objects for the matrix: the demo school project (approved baseline, accepted reports
    of January to March 2024) with a copy per workflow state — a proposed baseline; a draft with
    an ESCO adjustment and its evidence; a submitted and a disputed report — and a proposed
    baseline and a draft report on a project of the Guangzhou gym with the other ESCO."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from emc.contracts.models import EmcProject
    from emc.mv.models import (
        Baseline,
        BaselineStatus,
        MvEvidenceFile,
        MvPlan,
        MvReport,
        MvReportAdjustment,
        Party,
        ReportStatus,
    )
    from emc.mv.service.demo import PROJECT_NAME

    pid = session.scalar(select(EmcProject.id).where(EmcProject.name == PROJECT_NAME))
    plan = session.scalar(select(MvPlan).where(MvPlan.project_id == pid))
    approved = session.scalar(
        select(Baseline).where(Baseline.project_id == pid).order_by(Baseline.version)
    )
    accepted = session.scalars(
        select(MvReport).where(MvReport.project_id == pid).order_by(MvReport.period_start)
    ).all()
    engineer = session.scalar(select(User).where(User.email == "engineer@esco.demo"))
    gym = session.scalar(select(User).where(User.email == "energy@gym.demo"))
    esco2 = session.scalar(select(User).where(User.email == "engineer@esco2.demo"))
    other = EmcProject(
        organization_id=gym.organization_id,
        esco_organization_id=esco2.organization_id,
        name="矩阵 M&V 他方项目",
    )
    session.add(other)
    session.flush()
    undecided = {"decided_by_user_id": None, "decided_at": None, "decision_comment": None}

    def copy(model, row, **changes):
        columns = {
            c.key: getattr(row, c.key)
            for c in model.__table__.columns
            if c.key not in ("id", "created_at", "updated_at")
        }
        obj = model(**{**columns, **undecided, **changes})
        session.add(obj)
        session.flush()
        return obj

    proposed = copy(Baseline, approved, version=2, status=BaselineStatus.PROPOSED)
    other_baseline = copy(Baseline, approved, project_id=other.id, status=BaselineStatus.PROPOSED)
    fresh = {"version": 2, "accepted_on": None, "stale_since": None, "stale_message": None}
    draft = copy(MvReport, accepted[0], status=ReportStatus.DRAFT, **fresh)
    submitted = copy(MvReport, accepted[1], status=ReportStatus.SUBMITTED, **fresh)
    disputed = copy(MvReport, accepted[2], status=ReportStatus.DISPUTED, **fresh)
    other_report = copy(
        MvReport,
        accepted[0],
        project_id=other.id,
        baseline_id=other_baseline.id,
        status=ReportStatus.DRAFT,
        **{**fresh, "version": 1},
    )
    meter = plan.boundary[0]["meter_id"]
    adjustment = MvReportAdjustment(
        report_id=draft.id,
        project_id=pid,
        meter_id=meter,
        reason="矩阵",
        amount=Decimal("10"),
        unit="kWh",
        proposed_by_user_id=engineer.id,
        proposed_by_party=Party.ESCO,
        esco_agreed_by_user_id=engineer.id,
        esco_agreed_at=datetime.now(UTC),
    )
    session.add(adjustment)
    session.flush()
    evidence = MvEvidenceFile(
        adjustment_id=adjustment.id,
        project_id=pid,
        filename="矩阵.txt",
        content_type="text/plain",
        sha256="0" * 64,
        size_bytes=6,
        data=b"matrix",
        uploaded_by_user_id=engineer.id,
        uploaded_at=datetime.now(UTC),
    )
    session.add(evidence)
    session.flush()
    # Option A: a project of the same parties whose plan measures the demo meter under option
    # A, with a measurement and its evidence; option D evidence on the approved baseline and on
    # the other project's baseline.
    from emc.mv.models import MeasuredParameter, MvMeasurement, MvMethod

    demo_project = session.get(EmcProject, pid)
    a_project = EmcProject(
        organization_id=demo_project.organization_id,
        esco_organization_id=demo_project.esco_organization_id,
        name="矩阵 M&V 选项 A 项目",
    )
    session.add(a_project)
    session.flush()
    session.add(
        MvPlan(
            project_id=a_project.id,
            boundary=[{"meter_id": meter, "option": "A"}],
            method=MvMethod.STIPULATED,
            baseline_start=plan.baseline_start,
            baseline_end=plan.baseline_end,
            reporting_frequency=plan.reporting_frequency,
        )
    )
    measurement = MvMeasurement(
        project_id=a_project.id,
        meter_id=meter,
        parameter=MeasuredParameter.REPORTING_DEMAND_KW,
        value=Decimal("5"),
        unit="kW",
        measured_at=datetime(2024, 1, 10, 1, tzinfo=UTC),
        method="矩阵",
        entered_by_user_id=engineer.id,
        entered_by_party=Party.ESCO,
    )
    session.add(measurement)
    session.flush()

    def file_of(**owner):
        f = MvEvidenceFile(
            **owner,
            filename="矩阵.csv",
            content_type="text/csv",
            sha256="0" * 64,
            size_bytes=6,
            data=b"matrix",
            uploaded_by_user_id=engineer.id,
            uploaded_at=datetime.now(UTC),
        )
        session.add(f)
        session.flush()
        return f

    measurement_evidence = file_of(measurement_id=measurement.id, project_id=a_project.id)
    baseline_evidence = file_of(baseline_id=approved.id, project_id=pid)
    other_baseline_evidence = file_of(baseline_id=other_baseline.id, project_id=other.id)
    plan_json = {
        "boundary": plan.boundary,
        "method": "daily",
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": "monthly",
    }
    plan_form = {
        f"meter_{meter}": "on",
        f"option_{meter}": "B",
        "method": "daily",
        "baseline_start": "2023-01-01",
        "baseline_end": "2024-01-01",
        "reporting_frequency": "monthly",
    }
    return {
        "mv_project": pid,
        "mv_other_project": other.id,
        "mv_approved": approved.id,
        "mv_proposed": proposed.id,
        "mv_other_baseline": other_baseline.id,
        "mv_accepted": accepted[0].id,
        "mv_draft": draft.id,
        "mv_submitted": submitted.id,
        "mv_disputed": disputed.id,
        "mv_other_report": other_report.id,
        "mv_meter": meter,
        "mv_adjustment": adjustment.id,
        "mv_evidence": evidence.id,
        "mv_a_project": a_project.id,
        "mv_measurement": measurement.id,
        "mv_measurement_evidence": measurement_evidence.id,
        "mv_baseline_evidence": baseline_evidence.id,
        "mv_other_baseline_evidence": other_baseline_evidence.id,
        "mv_plan_json": plan_json,
        "mv_plan_form": plan_form,
    }


# The domain objects every row may point at are built once per database, in a transaction that
# spans this module; each case runs inside a SAVEPOINT rolled back at its end (see `connection`).
# Builders take a session and return the ids they made; add a domain's builder here.
def _notifications_context(session) -> dict:
    """One inbox message for every demo user."""
    from emc.notifications.service import notify

    notes = {}
    for user in session.scalars(select(User).order_by(User.id)):
        (note,) = notify(
            session, [user], kind="matrix", dedupe_key="matrix", subject="Inbox", link="/"
        )
        notes[user.email] = note.id
    return {"notes": notes}


def _calendar_context(session) -> dict:
    """A term calendar of the school, an unshared one of the Guangzhou gym, and an entered
    statutory year (2030) for the delete row."""
    from emc.calendars import service as calendars

    own = calendars.create_term_calendar(
        session, _actor(session, "admin@school.demo"), name="矩阵校历"
    )
    other = calendars.create_term_calendar(
        session, _actor(session, "energy@gym.demo"), name="矩阵场馆日历"
    )
    calendars.set_statutory_year(
        session,
        _actor(session, "admin@platform.demo"),
        year=2030,
        source="矩阵",
        lines="2030-01-01,holiday,元旦",
    )
    return {"cal_own": own.id, "cal_other": other.id}


# --- watch rows --- (the world of the savings watch's rows)
def _watch_context(session) -> dict:
    """A snapshot, two open events (the demo project's, in its draft report's period, and the
    other project's), a shortfall warning of the demo project and a quota warning of the
    school."""
    import datetime as dt
    from decimal import Decimal

    from emc.mv.models import MvReport
    from emc.watch.models import (
        EventScope,
        EventStatus,
        SuspectedEvent,
        WarningKind,
        WatchSnapshot,
        WatchWarning,
    )

    pid, other = _WORLD["mv_project"], _WORLD["mv_other_project"]
    draft = session.get(MvReport, _WORLD["mv_draft"])
    meter = _WORLD["mv_meter"]
    school = session.scalar(select(Organization).where(Organization.name_zh == "杭州市第一中学"))
    days = [(draft.period_start + dt.timedelta(days=i)).isoformat() for i in range(3)]
    session.add(
        WatchSnapshot(
            project_id=pid,
            baseline_id=draft.baseline_id,
            as_of=draft.period_end,
            period_start=draft.period_start,
            unit="kWh",
            series={
                "dates": days,
                "cumulative_savings": [1.0, 2.0, 3.0],
                "cumulative_expected": [1.0, 2.5, 4.0],
                "band_low": [0.5, 1.0, 1.5],
                "band_high": [1.5, 3.0, 4.5],
                "cusum": [0.0, -0.5, -1.0],
            },
            forecast={},
            gaps=[],
        )
    )

    def event(project_id, baseline_id):
        row = SuspectedEvent(
            project_id=project_id,
            baseline_id=baseline_id,
            meter_id=meter,
            scope=EventScope.REPORTING,
            start_date=draft.period_start + dt.timedelta(days=3),
            detected_on=draft.period_start + dt.timedelta(days=9),
            change_per_day=Decimal("12.500"),
            change_percent=14.0,
            confidence=0.99,
            unit="kWh",
            status=EventStatus.OPEN,
        )
        session.add(row)
        return row

    mine = event(pid, draft.baseline_id)
    theirs = event(other, _WORLD["mv_other_baseline"])
    warning = WatchWarning(
        kind=WarningKind.SHORTFALL,
        subject_key=f"project:{pid}",
        month="2024-07",
        organization_id=school.id,
        project_id=pid,
        forecast=1.0,
        low=0.5,
        high=1.5,
        threshold=2.0,
        probability=0.9,
        unit="kWh",
        details={},
    )
    quota_warning = WatchWarning(
        kind=WarningKind.QUOTA,
        subject_key=f"organization:{school.id}",
        month="2024-07",
        organization_id=school.id,
        forecast=1.0,
        low=0.5,
        high=1.5,
        threshold=2.0,
        probability=0.9,
        unit="kgce",
        details={},
    )
    session.add_all([warning, quota_warning])
    session.flush()
    return {
        "watch_event": mine.id,
        "watch_other_event": theirs.id,
        "watch_warning": warning.id,
        "watch_school": school.id,
        "watch_quota_warning": quota_warning.id,
    }


def _wf_versions_context(session) -> dict:
    """The row version of every object a workflow row acts on, as the world leaves it (each
    case starts from it): workflow requests send the version the user saw."""
    from emc.audit.models import EnergyAudit
    from emc.contracts.models import ContractAmendment, CustodyFeeAdjustment, EmcProject
    from emc.mv.models import Baseline, MvReport, MvReportAdjustment

    objects = {
        "project": EmcProject,
        "other_project": EmcProject,
        "custody_project": EmcProject,
        "other_custody_project": EmcProject,
        "amendment": ContractAmendment,
        "other_amendment": ContractAmendment,
        "mv_proposed": Baseline,
        "mv_approved": Baseline,
        "mv_other_baseline": Baseline,
        "mv_accepted": MvReport,
        "mv_draft": MvReport,
        "mv_submitted": MvReport,
        "mv_disputed": MvReport,
        "mv_other_report": MvReport,
        "mv_adjustment": MvReportAdjustment,
        "a_draft": EnergyAudit,
        "a_submitted": EnergyAudit,
        "a_accepted": EnergyAudit,
        "a_other": EnergyAudit,
        "a_custody": EnergyAudit,
    }
    rv = {key: session.get(model, _WORLD[key]).row_version for key, model in objects.items()}
    for key in ("custody_adjustment", "other_custody_adjustment"):
        rv[key] = session.get(CustodyFeeAdjustment, _WORLD[key]).version
    return {"rv": rv}


WORLD_BUILDERS = [
    _facilities_context,
    _weather_context,
    _contracts_context,
    _custody_context,
    _programme_context,
    _audit_context,
    _mv_context,
    _notifications_context,
    _calendar_context,
    _watch_context,
    _wf_versions_context,
]
_WORLD: dict = {}


@pytest.fixture(scope="module")
def _matrix_world(engine):
    from sqlalchemy.orm import Session

    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        for build in WORLD_BUILDERS:
            _WORLD.update(build(session))
        session.commit()  # releases the builders' SAVEPOINT into the module's transaction
        session.close()
        yield conn
        _WORLD.clear()
        _LOGINS.clear()
        outer.rollback()


@pytest.fixture(scope="module")
def _matrix_app(database_url, tmp_path_factory):
    """One app for the whole matrix (building one per case costs more than the case itself);
    each case points it at that case's sessions."""
    from emc.app import create_app
    from emc.config import Settings

    current: dict = {}
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        instance_path=tmp_path_factory.mktemp("matrix"),
        testing=True,
    )
    app = create_app(settings, session_factory=lambda: current["factory"]())
    return app, current


@pytest.fixture
def app(_matrix_app, session_factory):
    """This module's override of conftest's `app`."""
    from emc.web.extensions import limiter

    app, current = _matrix_app
    current["factory"] = session_factory
    limiter.reset()
    yield app
    current.clear()


@pytest.fixture
def connection(_matrix_world):
    """This module's override of conftest's `connection`: a SAVEPOINT inside the world's transaction."""
    case = _matrix_world.begin_nested()
    yield _matrix_world
    # A session a case left open (a streamed download's, say) still holds a SAVEPOINT inside
    # ours: unwind those first so the case's changes are rolled back whatever it did.
    while (inner := _matrix_world.get_nested_transaction()) is not None and inner is not case:
        inner.rollback()
    if case.is_active:
        case.rollback()


CASES = [
    pytest.param(
        row,
        role,
        id=f"{row[0]} {row[2]({k: 'X' for k in ('own_org', 'other_org', 'region_org', 'own_user', 'colleague', 'other_user', 'own_token', 'other_token')})} {role}",
    )
    for row in ROWS
    for role in ROLES
]


# Session cookies are signed and stateless (no server-side session rows), so one login per role
# serves every case of the module: it saves three requests and a password hash per case.
_LOGINS: dict[str, tuple[str, str]] = {}


def _log_in(client, role: str) -> None:
    cached = _LOGINS.get(role)
    if cached is not None:
        client.http.set_cookie("session", cached[0], domain="localhost")
        client.csrf = cached[1]
        return
    assert client.login(ROLES[role]).status_code == 302
    _LOGINS[role] = (client.http.get_cookie("session", domain="localhost").value, client.csrf)


@pytest.mark.parametrize(("row", "role"), CASES)
def test_access(row, role, app, demo, db_session, client):
    method, _rule, url_of, body_of, kind, expected = row
    ctx = _context(db_session, role)
    if ROLES[role]:
        _log_in(client, role)
    url = url_of(ctx)
    body = body_of(ctx) if body_of else None
    if method == "GET":
        response = client.get(url)
    elif method == "PATCH":
        response = client.patch(url, json=body)
    elif method == "DELETE":
        response = client.http.delete(
            url, headers={"X-CSRFToken": client.csrf or client._refresh_csrf()}
        )
    elif kind == "json":
        response = client.post(url, json=body)
    else:
        response = client.post(url, data=body)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]


def test_every_route_has_a_row(app):
    covered = {(m, rule) for m, rule, *_ in ROWS} | NOT_IN_MATRIX
    missing = []
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, rule.rule) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], f"routes without an access-matrix row: {missing}"


def test_every_role_has_an_expectation_in_every_row():
    for row in ROWS:
        assert set(row[5]) == set(ROLES), row[:2]
