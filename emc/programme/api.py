"""JSON API under ``/api/v1/programme``: targets (agencies), dashboard data and project lists
of a region (agencies), annual energy statistics (institutions enter, agencies read), the
snapshot trend, and project-list downloads (CSV, XLSX)."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_login import login_required

from emc import exports as downloads
from emc.auth.permissions import Permission
from emc.auth.policy import require
from emc.errors import Invalid
from emc.journal import jsonable
from emc.messages import msg
from emc.programme import exports, service
from emc.programme.schemas import (
    ProgrammeDashboardOut,
    ProgrammeDashboardQuery,
    ProgrammeProjectPageOut,
    ProgrammeProjectQuery,
    ProgrammeSnapshotOut,
    ProgrammeSnapshotQuery,
    StatImportOut,
    StatIn,
    StatMetersIn,
    StatOut,
    StatQuery,
    TargetIn,
    TargetOut,
    TargetPatch,
    TargetQuery,
)
from emc.web.db import db
from emc.web.extensions import Blueprint
from emc.web.security import current_actor

blp = Blueprint(
    "programme_api",
    __name__,
    url_prefix="/api/v1/programme",
    description="Programme tracking: targets, progress by region, energy statistics",
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(query: dict) -> dict:
    return {
        k: v for k, v in query.items() if k not in ("page", "per_page", "start_year", "end_year")
    }


@blp.route("/targets")
class Targets(MethodView):
    decorators = [login_required]

    @blp.arguments(TargetQuery, location="query")
    @blp.response(200, TargetOut(many=True))
    def get(self, query):
        """Targets of the agency's region subtree and of its ancestors."""
        return service.list_targets(
            db(), current_actor(), region=query.get("region"), metric=query.get("metric")
        )

    @blp.arguments(TargetIn)
    @blp.response(201, TargetOut)
    def post(self, data):
        """Set a target for the agency's region or a sub-region (allocations of sub-regions may
        not exceed the parent's target: 422 naming ``project_count``)."""
        return service.create_target(db(), current_actor(), **data)


@blp.route("/targets/<int:target_id>")
class TargetItem(MethodView):
    decorators = [login_required]

    @blp.response(200, TargetOut)
    def get(self, target_id):
        return service.get_target(db(), current_actor(), target_id)

    @blp.arguments(TargetPatch)
    @blp.response(200, TargetOut)
    def patch(self, data, target_id):
        """Change a target's values (the agency that set it, or one above it)."""
        return service.update_target(db(), current_actor(), target_id, **data)

    @blp.response(204)
    def delete(self, target_id):
        service.delete_target(db(), current_actor(), target_id)


@blp.route("/dashboard")
class Dashboard(MethodView):
    decorators = [login_required]

    @blp.arguments(ProgrammeDashboardQuery, location="query")
    @blp.response(200, ProgrammeDashboardOut)
    def get(self, query):
        """Progress of a region (default: the agency's own) over the target's window."""
        data = service.dashboard(
            db(),
            current_actor(),
            region=query.get("region"),
            start_year=query.get("start_year"),
            end_year=query.get("end_year"),
            locale=current_actor().locale,
        )
        return jsonable(data.as_dict())


@blp.route("/projects")
class Projects(MethodView):
    decorators = [login_required]

    @blp.arguments(ProgrammeProjectQuery, location="query")
    @blp.response(200, ProgrammeProjectPageOut)
    def get(self, query):
        """The region's projects with whether (and in which year) each counts, filterable."""
        return service.project_page(
            db(),
            current_actor(),
            region=query.get("region"),
            page=query["page"],
            per_page=query["per_page"],
            **_filters({k: v for k, v in query.items() if k != "region"}),
        )


def _download(query: dict, fmt: str) -> Response:
    rows = service.iter_projects(
        db(),
        current_actor(),
        region=query.get("region"),
        **_filters({k: v for k, v in query.items() if k != "region"}),
    )
    # Materialised before the response starts, so an access error is a clean 403/404.
    rows = list(rows)
    locale = downloads.request_locale()
    if fmt == "csv":
        body, content_type = exports.projects_csv(rows, locale=locale), downloads.CSV_TYPE
    else:
        body, content_type = exports.projects_xlsx(rows, locale=locale), downloads.XLSX_TYPE
    return downloads.Download(body, content_type, f"programme-projects.{fmt}").response()


@blp.route("/projects.csv")
class ProjectsCsv(MethodView):
    decorators = [login_required]

    @blp.arguments(ProgrammeProjectQuery, location="query")
    @blp.response(200, content_type="text/csv", description="The project list as CSV")
    def get(self, query):
        return _download(query, "csv")


@blp.route("/projects.xlsx")
class ProjectsXlsx(MethodView):
    decorators = [login_required]

    @blp.arguments(ProgrammeProjectQuery, location="query")
    @blp.response(200, content_type=XLSX_TYPE, description="The project list as XLSX")
    def get(self, query):
        return _download(query, "xlsx")


@blp.route("/snapshots")
class Snapshots(MethodView):
    decorators = [login_required]

    @blp.arguments(ProgrammeSnapshotQuery, location="query")
    @blp.response(200, ProgrammeSnapshotOut(many=True))
    def get(self, query):
        """The nightly snapshots of a region, oldest first (for trend charts)."""
        return service.list_snapshots(db(), current_actor(), region=query.get("region"))


@blp.route("/stats")
class Stats(MethodView):
    decorators = [login_required]

    @blp.arguments(StatQuery, location="query")
    @blp.response(200, StatOut(many=True))
    def get(self, query):
        """Annual energy statistics: the institution's own, or those of an agency's region."""
        return service.list_stats(db(), current_actor(), **query)

    @blp.arguments(StatIn)
    @blp.response(201, StatOut)
    def post(self, data):
        """Enter (or replace) the institution's statistics of one year (admin, energy manager)."""
        return service.save_stat(db(), current_actor(), **data)


_IMPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    },
}


@blp.route("/stats/import")
class StatsImport(MethodView):
    decorators = [login_required]

    @blp.doc(requestBody=_IMPORT_BODY)
    @blp.response(201, StatImportOut)
    def post(self):
        """Import statistics from XLSX (one row per year and carrier); all or nothing, problems
        under ``fields`` keyed ``row 3.unit``."""
        upload = request.files.get("file")
        require(current_actor(), Permission.PROGRAMME_STATS_MANAGE)
        if upload is None or not upload.filename:
            raise Invalid(
                msg("audit.no_file"), fields={"file": [msg("programme.choose_xlsx_file")]}
            )
        stats = service.import_stats(db(), current_actor(), upload.stream, filename=upload.filename)
        return {"rows": sum(len(s.carriers) for s in stats), "stats": stats}


@blp.route("/stats/meters")
class StatsFromMeters(MethodView):
    decorators = [login_required]

    @blp.arguments(StatMetersIn)
    @blp.response(201, StatOut)
    def post(self, data):
        """Fill a year's statistics from the institution's main meters and building register."""
        return service.stats_from_meters(db(), current_actor(), year=data["year"])
