"""What every template can use: the actor, navigation by role, labels, local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from emc.auth.models import OrgKind, Role, Sector
from emc.auth.permissions import Permission, can
from emc.energy import Carrier
from emc.paging import page_of
from emc.web.args import page_arg
from emc.web.labels import label
from emc.web.security import current_actor


def nav_items() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the navigation bar of the current actor."""
    actor = current_actor()
    if actor is None:
        return []
    items = [("core.home", _l("Home"))]
    if actor.org_kind is not OrgKind.AUDITOR:
        items.append(("facilities.sites", _l("Sites")))
    if can(actor, Permission.CONTRACTS_READ):
        items.append(("contracts.projects", _l("Projects")))
    if can(actor, Permission.AUDITS_READ):
        items.append(("audit.audits", _l("Energy audits")))
    if can(actor, Permission.CONTRACTS_PAYMENT_PREPARE):
        items.append(("contracts.queue", _l("Payment queue")))
    if can(actor, Permission.PROGRAMME_READ):
        items.append(("programme.dashboard", _l("Programme")))
    if can(actor, Permission.PROGRAMME_READ) or (
        actor.org_kind is OrgKind.INSTITUTION and can(actor, Permission.MV_APPROVE)
    ):
        items.append(("watch.quota_home", _l("Energy use warnings")))
    if can(actor, Permission.PROGRAMME_STATS_MANAGE):
        items.append(("programme.stats_page", _l("Energy statistics")))
    if can(actor, Permission.PLATFORM_ORGS_MANAGE):
        items.append(("admin.organizations", _l("Organisations")))
    if can(actor, Permission.PLATFORM_FACTORS_MANAGE):
        items.append(("facilities.emission_factors", _l("Emission factors")))
    if actor.org_kind is not OrgKind.AUDITOR:
        items.append(("calendars.index", _l("Calendars")))
    if can(actor, Permission.ORG_USERS_MANAGE):
        items.append(("admin.users", _l("Users")))
    items.append(("inbox.inbox", _l("Inbox")))
    items.append(("auth.tokens", _l("API tokens")))
    items.append(("api-docs.openapi_swagger_ui", _l("API docs")))
    return items


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.astimezone(tz).strftime(fmt)


def carrier_label(carrier: str) -> str:
    """An energy carrier's name in the page language."""
    return label(carrier, Carrier)


def _unread_count() -> int:
    from emc.notifications.service import unread_count
    from emc.web.db import db

    actor = current_actor()
    return unread_count(db(), actor) if actor is not None else 0


def page_locale() -> str:
    """The page language as emc names it (zh_CN or en). Babel parses zh_CN as zh_Hans_CN."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def history_page(entries: list) -> tuple:
    """lists rows: one page of a journal history, newest first (50 entries a page, page
    ``history_page``), the endpoint and the arguments its pager keeps."""
    number = page_arg("history_page")
    args = {**(request.view_args or {}), **request.args.to_dict()}
    newest_first = list(reversed(entries))
    return page_of(newest_first, number, HISTORY_PER_PAGE), request.endpoint, args


HISTORY_PER_PAGE = 50


def _institutions_today():
    from zoneinfo import ZoneInfo

    from emc import clock

    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def init_app(app: Flask) -> None:
    from emc.web import labels

    labels.init_app(app)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["history_page"] = history_page

    @app.context_processor
    def _globals():
        return {
            "actor": current_actor(),
            "nav_items": nav_items,
            # The one registry (emc.labels), under the names the templates have long used.
            "role_label": lambda r: label(r, Role),
            "kind_label": lambda k: label(k, OrgKind),
            "sector_label": lambda s: label(s, Sector),
            "carrier_label": carrier_label,
            "current_locale": page_locale(),
            "unread_count": _unread_count,
            # The institutions' day (China), against which deadlines are late.
            "institutions_today": _institutions_today,
        }
