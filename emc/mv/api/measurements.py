"""Option A measurements: enter with evidence files, list, download evidence."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required

from emc.mv import service
from emc.mv.api.common import (
    PROJECT,
    blp,
    evidence_response,
    measurement_from_request,
    measurement_payloads,
)
from emc.mv.schemas import (
    MvMeasurementOut,
)
from emc.web.db import db
from emc.web.security import current_actor

# --- option A measurements -----------------------------------------------------------------

_MEASUREMENT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "meter_id": {"type": "integer"},
                    "parameter": {
                        "type": "string",
                        "enum": ["baseline_demand_kw", "reporting_demand_kw"],
                    },
                    "value": {"type": "string"},
                    "unit": {"type": "string"},
                    "measured_at": {"type": "string", "format": "date-time"},
                    "method": {"type": "string"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
                "required": [
                    "meter_id",
                    "parameter",
                    "value",
                    "unit",
                    "measured_at",
                    "method",
                    "files",
                ],
            }
        },
    },
}


@blp.route(f"{PROJECT}/mv-measurements")
class Measurements(MethodView):
    decorators = [login_required]

    @blp.response(200, MvMeasurementOut(many=True))
    def get(self, project_id):
        """The project's option A measurements, newest first, with their evidence files."""
        return measurement_payloads(project_id)

    @blp.doc(requestBody=_MEASUREMENT_BODY)
    @blp.response(201, MvMeasurementOut)
    def post(self, project_id):
        """Enter a measured key parameter of an option A meter with evidence (either party)."""
        data, files = measurement_from_request()
        m = service.add_measurement(db(), current_actor(), project_id, files=files, **data)
        return next(x for x in measurement_payloads(project_id) if x["id"] == m.id)


@blp.route(f"{PROJECT}/mv-measurements/<int:measurement_id>/evidence/<int:file_id>")
class MeasurementEvidence(MethodView):
    decorators = [login_required]

    @blp.response(200, content_type="application/octet-stream")
    def get(self, project_id, measurement_id, file_id):
        """Download one evidence file of a measurement."""
        return evidence_response(
            service.get_measurement_evidence(
                db(), current_actor(), project_id, measurement_id, file_id
            )
        )
