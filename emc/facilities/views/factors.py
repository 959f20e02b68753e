"""Pages: reference emission factors (platform admins add and correct rows)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from emc.auth.permissions import Permission, can
from emc.auth.policy import require
from emc.energy import Carrier
from emc.errors import EmcError, NotFound
from emc.facilities.models import EmissionFactor
from emc.facilities.schemas import EmissionFactorCorrectionIn, EmissionFactorIn
from emc.facilities.service import factors as factor_service
from emc.facilities.views.common import bp
from emc.messages import msg, record
from emc.paging import page_of
from emc.web.args import int_arg, page_arg
from emc.web.db import db
from emc.web.forms import load_form, localise
from emc.web.messages import say
from emc.web.security import current_actor

FACTORS_PER_PAGE = 200


@bp.route("/emission-factors", methods=["GET", "POST"])
@login_required
def emission_factors():
    """The reference factors; platform admins add rows (never edit them: see the service)."""
    actor = current_actor()
    session = db()
    errors: dict = {}
    status = 200
    if request.method == "POST":
        require(actor, Permission.PLATFORM_FACTORS_MANAGE)
        data, errors = load_form(EmissionFactorIn())
        status = 422
        if not errors:
            try:
                row = factor_service.create_factor(session, actor, **data)
                flash(_("Factor #%(id)s added.", id=row.id), "success")
                return redirect(url_for("facilities.emission_factors"))
            except EmcError as error:
                errors = {**localise(error.fields), "_": [say(error.message)]}
                status = error.status
    filters = {k: request.args.get(k) or None for k in ("carrier", "kind", "region")}
    rows = factor_service.list_factors(session, actor, **filters, year=int_arg("year"))
    return render_template(
        "facilities/emission_factors.html",
        # Reference data read as one table (about 130 rows today): long pages.
        page=page_of(rows, page_arg(), FACTORS_PER_PAGE),
        args={**filters, "year": int_arg("year")},
        errors=errors,
        form=request.form,
        carriers=[c.value for c in Carrier],
        may_add=can(actor, Permission.PLATFORM_FACTORS_MANAGE),
    ), status


@bp.route("/emission-factors/<int:factor_id>/correct", methods=["GET", "POST"])
@login_required
def correct_emission_factor(factor_id: int):
    """Platform admins correct a wrong factor: a new row supersedes it (see the service)."""
    actor = current_actor()
    session = db()
    require(actor, Permission.PLATFORM_FACTORS_MANAGE)
    factor = session.get(EmissionFactor, factor_id)
    if factor is None:
        raise NotFound(msg("not_found", what=record("EmissionFactor"), id=factor_id))
    errors: dict = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(EmissionFactorCorrectionIn())
        status = 422
        if not errors:
            try:
                row = factor_service.correct_factor(session, actor, factor_id, **data)
                flash(
                    _("Factor #%(old)s corrected by #%(new)s.", old=factor_id, new=row.id),
                    "success",
                )
                return redirect(url_for("facilities.emission_factors"))
            except EmcError as error:
                errors = {**localise(error.fields), "_": [say(error.message)]}
                status = error.status
    return render_template(
        "facilities/emission_factor_correct.html", factor=factor, errors=errors, form=request.form
    ), status
