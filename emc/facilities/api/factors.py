"""Emission factors (reference data): list, add, correct."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required

from emc.facilities.api.common import blp
from emc.facilities.schemas import (
    EmissionFactorCorrectionIn,
    EmissionFactorIn,
    EmissionFactorOut,
    EmissionFactorQuery,
)
from emc.facilities.service import factors as factor_service
from emc.web.db import db
from emc.web.security import current_actor


@blp.route("/emission-factors")
class EmissionFactors(MethodView):
    decorators = [login_required]

    @blp.arguments(EmissionFactorQuery, location="query")
    @blp.response(200, EmissionFactorOut(many=True))
    def get(self, query):
        """Standard-coal and CO2 factors, optionally by ``carrier``, ``kind`` (tce/co2),
        data ``year`` and ``region`` (province code or grid name); ``current`` leaves out the
        rows a correction supersedes."""
        return factor_service.list_factors(db(), current_actor(), **query)

    @blp.arguments(EmissionFactorIn)
    @blp.response(201, EmissionFactorOut)
    def post(self, data):
        """Add a factor (platform admins). Stored factors are never changed: audits and reports
        record the factor they used, so a correction is a new row. A row with the same carrier,
        kind, variant, scope, region and year is 409 (correct that row instead)."""
        return factor_service.create_factor(db(), current_actor(), **data)


@blp.route("/emission-factors/<int:factor_id>/corrections")
class EmissionFactorCorrections(MethodView):
    decorators = [login_required]

    @blp.arguments(EmissionFactorCorrectionIn)
    @blp.response(201, EmissionFactorOut)
    def post(self, data, factor_id):
        """Correct a wrong factor (platform admins): a new row with the same key and the right
        value supersedes it, with the reason. The old row stays listed (``superseded_by_id``)
        for the audits and reports that used it; lookups use the correction. A factor already
        corrected is 409 (correct the current row)."""
        return factor_service.correct_factor(db(), current_actor(), factor_id, **data)
