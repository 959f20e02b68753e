"""Demo data: a small but realistic programme — organisations of every kind, users of every role.

Later domains extend :func:`build` with their own data (sites, meters, projects, reports).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from emc import clock
from emc.auth import service
from emc.auth.actor import Actor
from emc.auth.models import Organization, OrgKind, Region, RegionLevel, Role, Sector, User

DEMO_PASSWORD = "emc-demo-2026"
PLATFORM_NAME = "emc 平台运营"

CITIES = [
    ("110101", "东城区", "Dongcheng District"),
    ("330100", "杭州市", "Hangzhou"),
    ("330200", "宁波市", "Ningbo"),
    ("440100", "广州市", "Guangzhou"),
    ("440300", "深圳市", "Shenzhen"),
]

# (key, kind, name_zh, name_en, region, sector)
ORGS = [
    ("platform", OrgKind.PLATFORM, PLATFORM_NAME, "emc platform", "000000", None),
    (
        "national",
        OrgKind.AGENCY,
        "国家机关事务管理局",
        "National Government Offices Administration",
        "000000",
        None,
    ),
    (
        "zhejiang",
        OrgKind.AGENCY,
        "浙江省机关事务管理局",
        "Zhejiang Government Offices Administration",
        "330000",
        None,
    ),
    (
        "hangzhou",
        OrgKind.AGENCY,
        "杭州市机关事务管理局",
        "Hangzhou Government Offices Administration",
        "330100",
        None,
    ),
    (
        "ningbo",
        OrgKind.AGENCY,
        "宁波市机关事务管理局",
        "Ningbo Government Offices Administration",
        "330200",
        None,
    ),
    (
        "school",
        OrgKind.INSTITUTION,
        "杭州市第一中学",
        "Hangzhou No. 1 High School",
        "330100",
        Sector.SCHOOL,
    ),
    (
        "hospital",
        OrgKind.INSTITUTION,
        "杭州市人民医院",
        "Hangzhou People's Hospital",
        "330100",
        Sector.HOSPITAL,
    ),
    (
        "office",
        OrgKind.INSTITUTION,
        "宁波市政府办公大楼",
        "Ningbo Municipal Government Offices",
        "330200",
        Sector.GOVERNMENT,
    ),
    (
        "gym",
        OrgKind.INSTITUTION,
        "广州市体育馆",
        "Guangzhou Gymnasium",
        "440100",
        Sector.CULTURE_SPORTS,
    ),
    ("esco", OrgKind.ESCO, "绿能节能服务有限公司", "GreenEnergy ESCO Ltd.", "330100", None),
    (
        "esco2",
        OrgKind.ESCO,
        "南方综合能源服务有限公司",
        "Southern Energy Services Co.",
        "440300",
        None,
    ),
    (
        "auditor",
        OrgKind.AUDITOR,
        "浙江节能审计中心",
        "Zhejiang Energy Audit Centre",
        "330000",
        None,
    ),
]

# (email, org key, role, display name)
USERS = [
    ("admin@platform.demo", "platform", Role.ADMIN, "平台管理员"),
    ("officer@national.demo", "national", Role.PROGRAMME_OFFICER, "国管局项目专员"),
    ("admin@zhejiang.demo", "zhejiang", Role.ADMIN, "浙江省局管理员"),
    ("officer@zhejiang.demo", "zhejiang", Role.PROGRAMME_OFFICER, "浙江省局项目专员"),
    ("officer@hangzhou.demo", "hangzhou", Role.PROGRAMME_OFFICER, "杭州市局项目专员"),
    ("officer@ningbo.demo", "ningbo", Role.PROGRAMME_OFFICER, "宁波市局项目专员"),
    ("admin@school.demo", "school", Role.ADMIN, "一中管理员"),
    ("energy@school.demo", "school", Role.ENERGY_MANAGER, "一中能源管理员"),
    ("finance@school.demo", "school", Role.FINANCE, "一中财务"),
    ("finance2@school.demo", "school", Role.FINANCE, "一中财务复核"),
    ("viewer@school.demo", "school", Role.VIEWER, "一中查看者"),
    ("admin@hospital.demo", "hospital", Role.ADMIN, "医院管理员"),
    ("energy@hospital.demo", "hospital", Role.ENERGY_MANAGER, "医院能源管理员"),
    ("finance@hospital.demo", "hospital", Role.FINANCE, "医院财务"),
    ("energy@office.demo", "office", Role.ENERGY_MANAGER, "市府能源管理员"),
    ("energy@gym.demo", "gym", Role.ENERGY_MANAGER, "体育馆能源管理员"),
    ("admin@esco.demo", "esco", Role.ADMIN, "绿能管理员"),
    ("engineer@esco.demo", "esco", Role.ENGINEER, "绿能工程师"),
    ("viewer@esco.demo", "esco", Role.VIEWER, "绿能查看者"),
    # The second ESCO's admin agrees when a project's contract moves to it (an ESCO swap).
    ("admin@esco2.demo", "esco2", Role.ADMIN, "南方能源管理员"),
    ("engineer@esco2.demo", "esco2", Role.ENGINEER, "南方能源工程师"),
    ("admin@auditor.demo", "auditor", Role.ADMIN, "审计中心管理员"),
    ("auditor@auditor.demo", "auditor", Role.AUDITOR, "审计师"),
]

_ORG_NAMES = {key: name_zh for key, _k, name_zh, *_ in ORGS}
DEMO_LOGINS = [(email, _ORG_NAMES[key], role.value) for email, key, role, _n in USERS]


def already_built(session: Session) -> bool:
    return (
        session.scalar(select(Organization.id).where(Organization.name_zh == PLATFORM_NAME))
        is not None
    )


def actor_for(session: Session, email: str) -> Actor:
    """The :class:`Actor` of the demo user with this e-mail, as the domain demo builders act."""
    user = session.scalar(select(User).where(User.email == email))
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


def bootstrap_platform_admin(
    session: Session, *, email: str, display_name: str, password: str
) -> User:
    """Create the platform organisation if missing and a platform admin in it (no actor yet exists)."""
    from emc import journal

    org = session.scalar(select(Organization).where(Organization.kind == OrgKind.PLATFORM))
    if org is None:
        org = Organization(
            kind=OrgKind.PLATFORM,
            name_zh=PLATFORM_NAME,
            name_en="emc platform",
            region_code="000000",
        )
        session.add(org)
        session.flush()
        journal.record(session, None, "create", org, organization_id=org.id, summary="bootstrap")
    service._check_password(password)
    user = User(
        email=email.strip().lower(),
        display_name=display_name,
        organization_id=org.id,
        role=Role.ADMIN,
        password_hash=service.hash_password(password),
        password_changed_at=clock.now(),
    )
    session.add(user)
    session.flush()
    journal.record(
        session, None, "create", user, organization_id=org.id, summary="bootstrap platform admin"
    )
    return user


def build(session: Session, *, programme_projects: bool = False) -> list[tuple[str, str, str]]:
    """Create the demo organisations and users; returns (email, organisation, role) for each login.

    ``programme_projects`` adds signed demo projects and a snapshot history for the programme
    dashboard (``emc demo`` does; the test suite does not, its tests assume no projects)."""
    for code, zh, en in CITIES:
        if session.get(Region, code) is None:
            level = RegionLevel.COUNTY if not code.endswith("00") else RegionLevel.CITY
            session.add(Region(code=code, name_zh=zh, name_en=en, level=level))
    session.flush()
    admin = bootstrap_platform_admin(
        session, email="admin@platform.demo", display_name="平台管理员", password=DEMO_PASSWORD
    )
    actor = actor_for(session, admin.email)  # also loads admin.organization
    orgs = {"platform": admin.organization}
    for key, kind, name_zh, name_en, region, sector in ORGS:
        if key == "platform":
            continue
        orgs[key] = service.create_organization(
            session,
            actor,
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            region_code=region,
            sector=sector,
        )
    for email, key, role, name in USERS:
        if email == admin.email:
            continue
        service.create_user(
            session,
            actor,
            email=email,
            display_name=name,
            organization_id=orgs[key].id,
            role=role,
            locale="zh_CN",
            password=DEMO_PASSWORD,
        )
    from emc.facilities.service.demo import build_facilities

    build_facilities(session)
    from emc.audit.service import build_demo_audits

    build_demo_audits(session, custody=programme_projects)
    from emc.programme.service import build_demo as build_programme

    build_programme(session, projects=programme_projects)
    from emc.mv.service.demo import build_mv

    build_mv(session, full=programme_projects)
    if programme_projects:
        # One contract of each type with a reviewed payment schedule (full demo only: the
        # programme tests count exact project totals in the test demo).
        from emc.contracts.demo import build_demo_contracts

        build_demo_contracts(session)
        # The savings watch: a project whose savings fade, one with a step in its baseline year.
        from emc.watch.demo import build_watch_demo

        build_watch_demo(session)
    return DEMO_LOGINS


def reset_database(engine: Engine, url: str) -> None:
    """Drop everything: delete the SQLite file, or empty PostgreSQL's public schema."""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        database = make_url(url).database
        if database and database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
        return
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
