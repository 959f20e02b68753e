"""What every template can use: the actor, navigation by role, labels, local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from emc.auth.models import OrgKind, Role, Sector
from emc.auth.permissions import Permission, can
from emc.web.security import current_actor

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.ENERGY_MANAGER: _l("Energy manager"),
    Role.FINANCE: _l("Finance"),
    Role.VIEWER: _l("Viewer"),
    Role.ENGINEER: _l("Engineer"),
    Role.AUDITOR: _l("Auditor"),
    Role.PROGRAMME_OFFICER: _l("Programme officer"),
}
KIND_LABELS = {
    OrgKind.INSTITUTION: _l("Public institution"),
    OrgKind.ESCO: _l("ESCO"),
    OrgKind.AUDITOR: _l("Audit body"),
    OrgKind.AGENCY: _l("Agency"),
    OrgKind.PLATFORM: _l("Platform"),
}
SECTOR_LABELS = {
    Sector.GOVERNMENT: _l("Government office"),
    Sector.SCHOOL: _l("School"),
    Sector.HOSPITAL: _l("Hospital"),
    Sector.CULTURE_SPORTS: _l("Culture & sports"),
    Sector.OTHER: _l("Other"),
}


def nav_items() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the navigation bar of the current actor."""
    actor = current_actor()
    if actor is None:
        return []
    items = [("core.home", _l("Home"))]
    if can(actor, Permission.PLATFORM_ORGS_MANAGE):
        items.append(("admin.organizations", _l("Organisations")))
    if can(actor, Permission.ORG_USERS_MANAGE):
        items.append(("admin.users", _l("Users")))
    items.append(("auth.tokens", _l("API tokens")))
    items.append(("api-docs.openapi_swagger_ui", _l("API docs")))
    return items


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.astimezone(tz).strftime(fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time

    @app.context_processor
    def _globals():
        return {
            "actor": current_actor(),
            "nav_items": nav_items,
            "role_label": lambda r: ROLE_LABELS.get(Role(r), r),
            "kind_label": lambda k: KIND_LABELS.get(OrgKind(k), k),
            "sector_label": lambda s: SECTOR_LABELS.get(Sector(s), s) if s else "",
            "current_locale": str(get_locale() or "zh_CN"),
        }
