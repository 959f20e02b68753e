"""JSON API of the savings watch under ``/api/v1/projects/{project_id}/watch``: the persistence
series and forecast (the chart's data), the suspected events, and their decisions."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import login_required

from emc.errors import NotFound
from emc.messages import msg
from emc.watch import service
from emc.watch.schemas import EventConvertIn, EventDismissIn, EventOut, WatchOut
from emc.watch.service import common
from emc.web.db import db
from emc.web.extensions import Blueprint
from emc.web.security import current_actor

blp = Blueprint(
    "watch_api", __name__, url_prefix="/api/v1", description="Savings watch (persistence, events)"
)
PROJECT = "/projects/<int:project_id>/watch"


@blp.route(PROJECT)
class Watch(MethodView):
    decorators = [login_required]

    @blp.response(200, WatchOut)
    def get(self, project_id):
        """The latest persistence tracking: daily adjusted baseline, use, savings, expected
        savings, cumulative achieved and expected with the FSU band (90 %), the CUSUM, the
        shortfall forecast and the gaps with the savings they cannot verify (404 before the
        first nightly run)."""
        snapshot = common.snapshot_of(db(), current_actor(), project_id)
        if snapshot is None:
            raise NotFound(msg("watch.watch_has_not_run_for"))
        return snapshot


@blp.route(f"{PROJECT}/events")
class Events(MethodView):
    decorators = [login_required]

    @blp.response(200, EventOut(many=True))
    def get(self, project_id):
        """Suspected non-routine events of the project, newest start first."""
        return service.list_events(db(), current_actor(), project_id)


@blp.route(f"{PROJECT}/events/<int:event_id>/dismiss")
class Dismiss(MethodView):
    decorators = [login_required]

    @blp.arguments(EventDismissIn)
    @blp.response(200, EventOut)
    def post(self, data, project_id, event_id):
        """Either party dismisses an open event with a reason."""
        return service.dismiss_event(db(), current_actor(), project_id, event_id, **data)


@blp.route(f"{PROJECT}/events/<int:event_id>/convert")
class Convert(MethodView):
    decorators = [login_required]

    @blp.arguments(EventConvertIn)
    @blp.response(200, EventOut)
    def post(self, data, project_id, event_id):
        """Either party turns an open event into a non-routine adjustment proposal on the
        draft report that holds it (amount: the estimate unless given)."""
        actor = current_actor()
        service.convert_event(db(), actor, project_id, event_id, **data)
        return service.get_event(db(), actor, project_id, event_id)
