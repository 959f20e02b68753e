"""The inbox (every user) and the background-job page (platform admins)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema, fields, validate

from emc import clock, scheduler
from emc.notifications import service
from emc.schemas import INT_MAX
from emc.web.args import page_arg
from emc.web.db import db
from emc.web.extensions import Blueprint as ApiBlueprint
from emc.web.security import current_actor
from emc.web.templating import page_locale

bp = Blueprint("inbox", __name__)


PER_PAGE = 50


@bp.get("/inbox")
@login_required
def inbox():
    """The actor's messages in the page language, newest first; ``?unread=1`` keeps the unread."""
    unread_only = request.args.get("unread") == "1"
    page = service.inbox(
        db(),
        current_actor(),
        locale=page_locale(),
        unread_only=unread_only,
        page=page_arg(),
        per_page=PER_PAGE,
    )
    return render_template("notifications/inbox.html", page=page, unread_only=unread_only)


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    note = service.mark_read(db(), current_actor(), notification_id)
    return redirect(
        note.link if note.link and note.link.startswith("/") else url_for("inbox.inbox")
    )


@bp.post("/inbox/read-all")
@login_required
def read_all():
    service.mark_all_read(db(), current_actor())
    flash(_("All messages marked as read."), "success")
    return redirect(url_for("inbox.inbox"))


@bp.get("/admin/jobs")
@login_required
def jobs():
    if not current_actor().is_platform_admin:
        abort(403)
    import emc.jobs  # noqa: F401  (registers the jobs)

    lease = scheduler.lease_holder(db())
    return render_template(
        "notifications/jobs.html",
        jobs=scheduler.JOBS.values(),
        runs=scheduler.recent_runs(db()),
        lease=lease,
        lease_live=lease is not None and lease.expires_at > clock.now(),
    )


@bp.post("/admin/jobs/<name>/run")
@login_required
def run(name: str):
    """Run a job now for today's key (a platform admin's manual run; idempotent like any other)."""
    actor = current_actor()
    if not actor.is_platform_admin:
        abort(403)
    import emc.jobs  # noqa: F401

    if name not in scheduler.JOBS:
        abort(404)
    # The job runs in its own transactions on the application's session factory.
    result = scheduler.run_job(
        current_app.extensions["emc.session_factory"],
        current_app.config["EMC_SETTINGS"],
        name,
        user_id=actor.user_id,
    )
    flash(_("Job %(name)s: %(status)s", name=name, status=result.status), "info")
    return redirect(url_for("inbox.jobs"))


# --- API -------------------------------------------------------------------------------------

blp = ApiBlueprint(
    "notifications_api", __name__, url_prefix="/api/v1", description="The caller's inbox"
)


class NotificationQuery(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread messages"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=INT_MAX))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


@blp.route("/notifications")
class Notifications(MethodView):
    decorators = [login_required]

    @blp.arguments(NotificationQuery, location="query")
    @blp.response(200, NotificationOut(many=True))
    def get(self, query):
        """The caller's messages, newest first, in the caller's language (the request's
        locale): one page (``page``, ``per_page``; the total is in ``X-Total-Count``)."""
        page = service.inbox(
            db(),
            current_actor(),
            locale=page_locale(),
            unread_only=query["unread"],
            page=query["page"],
            per_page=query["per_page"],
        )
        return page.items, 200, {"X-Total-Count": str(page.total)}


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    decorators = [login_required]

    @blp.response(200, NotificationOut)
    def post(self, notification_id):
        """Mark one of the caller's messages as read."""
        note = service.mark_read(db(), current_actor(), notification_id)
        return service.render(note, page_locale())
