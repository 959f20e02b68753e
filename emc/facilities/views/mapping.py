"""Pages for meter files as they come: mapping the columns of a file whose header is not
recognised, and importing a checked file without choosing it again.

Routes on the facilities blueprint (registered by importing this module from
:mod:`emc.facilities.views`):

- ``GET/POST /meters/<id>/readings/mapping/<sha256>``: the first rows of a kept upload and one
  role per column; saving stores the meter's mapping and checks the file with it.
- ``POST /meters/<id>/readings/checked/<sha256>``: import the kept, checked file.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from emc.auth.policy import load
from emc.errors import EmcError
from emc.facilities import service
from emc.facilities.api.common import max_upload_bytes
from emc.facilities.ingest import formats
from emc.facilities.models import Meter, MeterKind, Site
from emc.facilities.service import mapping as mapping_service
from emc.facilities.service import preview as preview_service
from emc.facilities.views.common import bp
from emc.facilities.views.meters import _meter_page
from emc.labels import msgid
from emc.messages import Text, term
from emc.web.args import int_arg
from emc.web.db import db
from emc.web.forms import localise
from emc.web.messages import field_label, say
from emc.web.security import current_actor
from emc.web.templating import page_locale


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (babel's default ``N_`` keyword); translated when used."""
    return msgid


ROLE_LABELS = {
    "timestamp": N_("Time"),
    "start": N_("Period start"),
    "end": N_("Period end"),
    "value": N_("Consumption"),
    "reading": N_("Register reading"),
    "unit": N_("Unit (per row)"),
    "quality": N_("Reading quality"),
}


@bp.app_template_filter("problem_location")
def _problem_location(key: str) -> str:
    return location_label(key)


@bp.app_template_filter("problem_message")
def _problem_message(message) -> str:
    return say_problem(message)


@bp.app_context_processor
def _keep_minutes() -> dict:
    return {"keep_minutes": mapping_service.KEEP_MINUTES}


def kept_directory() -> Path:
    """Where checked uploads wait for their import: ``<instance>/checked-uploads``."""
    return Path(current_app.instance_path) / "checked-uploads"


def keep_request_file(meter_id: int) -> str | None:
    """Keep the multipart ``file`` of this request (see :func:`mapping_service.keep_upload`);
    returns its SHA-256, or None if the request has no file."""
    upload = request.files.get("file")
    if request.is_json or upload is None or not upload.filename:
        return None
    return mapping_service.keep_upload(
        db(),
        current_actor(),
        meter_id,
        upload.stream,
        filename=upload.filename,
        directory=kept_directory(),
        max_bytes=max_upload_bytes(),
    )


def discard_kept(meter_id: int, sha256: str) -> None:
    """Delete an upload kept by this request once it is imported or refused for good."""
    mapping_service.discard_upload(current_actor(), meter_id, sha256, directory=kept_directory())


def _roles(meter: Meter) -> list[tuple[str, str]]:
    return [(r, _(ROLE_LABELS[r])) for r in mapping_service.ROLES[MeterKind(meter.kind)]]


@bp.route("/meters/<int:meter_id>/readings/mapping/<sha256>", methods=["GET", "POST"])
@login_required
def map_columns(meter_id: int, sha256: str):
    """Show the first rows of the kept file; save the mapping and check the file with it."""
    actor = current_actor()
    session = db()
    meter = load(session, actor, Meter, meter_id)
    errors: dict = {}
    try:
        path, filename = mapping_service.kept_upload(
            session, actor, meter.id, sha256, directory=kept_directory()
        )
        rows = mapping_service.first_rows(path, filename)
    except EmcError as error:
        if error.status in (403, 404):
            raise
        return _meter_page(meter_id, errors={"_": [headline(error)]}, status=error.status)
    width = max((len(r) for r in rows), default=0)
    saved = mapping_service.saved_map(session, meter.id)
    header_row = mapping_service.guess_header_row(rows)
    chosen: dict[int, str] = {}
    unit = saved.unit if saved is not None else ""
    status = 200
    if request.method == "POST":
        header_row = int_arg("header_row", form=True) or 0
        unit = (request.form.get("unit") or "").strip()
        chosen = {i: request.form.get(f"role_{i}", "") for i in range(width)}
        try:
            cells = mapping_service.header_row_cells(rows, header_row)
            columns = {cells[i]: role for i, role in chosen.items() if role and i < len(cells)}
            blank = [i + 1 for i, role in chosen.items() if role and not (cells + [""] * width)[i]]
            if blank:
                errors["columns"] = [
                    _("Column %(n)s has no header text in the header row.", n=blank[0])
                ]
            else:
                mapping_service.save_column_map(session, actor, meter.id, columns, unit=unit)
        except EmcError as error:
            if error.status in (403, 404):
                raise
            errors = {"_": [_("The column mapping was not saved.")], **localise_fields(error)}
        if not errors:
            flash(_("The column mapping was saved for this meter."), "success")
            with path.open("rb") as stream:
                result = preview_service.preview_readings(
                    session,
                    actor,
                    meter.id,
                    stream,
                    filename=filename,
                    unit=None,
                    max_bytes=max_upload_bytes(),
                )
            return _meter_page(meter_id, preview=result)
        status = 422
    else:
        headers = [c.strip() for c in rows[header_row - 1]] if rows else []
        mapped = saved.columns if saved is not None else {}
        folded = {k.casefold(): v for k, v in mapped.items()}
        chosen = {i: folded.get(h.casefold(), "") for i, h in enumerate(headers)}
    return render_template(
        "facilities/mapping.html",
        meter=meter,
        site=session.get(Site, meter.site_id),
        sha256=sha256,
        filename=filename,
        rows=rows,
        width=width,
        header_row=header_row,
        chosen=chosen,
        unit=unit,
        roles=_roles(meter),
        needs="、".join(dict(_roles(meter))[r] for r in mapping_service.NEEDED[meter.kind]),
        errors=errors,
    ), status


@bp.post("/meters/<int:meter_id>/readings/checked/<sha256>")
@login_required
def import_checked(meter_id: int, sha256: str):
    """Import the file checked a moment ago, kept server-side (all or nothing, as any upload)."""
    actor = current_actor()
    session = db()
    directory = kept_directory()
    replace = request.form.get("replace") in ("true", "on", "1")
    unit = (request.form.get("unit") or "").strip() or None
    try:
        path, filename = mapping_service.kept_upload(
            session, actor, meter_id, sha256, directory=directory
        )
        with path.open("rb") as stream:
            result = service.import_readings(
                session,
                actor,
                meter_id,
                stream,
                filename=filename,
                unit=unit,
                replace=replace,
                max_bytes=max_upload_bytes(),
            )
    except EmcError as error:
        if error.status in (403, 404):
            raise
        fields = {} if "overlap" in error.fields else localise_fields(error)
        return _meter_page(meter_id, errors={"_": [headline(error)], **fields}, status=error.status)
    mapping_service.discard_upload(actor, meter_id, sha256, directory=directory)
    if result.status == "unchanged":
        flash(_("This file was already imported for this meter; nothing changed."), "info")
    else:
        flash(
            _(
                "%(rows)s readings imported (%(unit)s), %(replaced)s replaced.",
                rows=f"{result.rows:,}",
                unit=result.unit,
                replaced=f"{result.replaced_count:,}",
            ),
            "success",
        )
    return redirect(url_for("facilities.meter", meter_id=meter_id))


def say_problem(message) -> str:
    """A problem message (a :class:`~emc.facilities.service.uploads.ProblemText` or a plain
    string) in the page's language, from the one catalogue (``ingest.<code>``)."""
    if isinstance(message, Text) and message.params:
        params = dict(message.params)
        if "role" in params:
            params["role"] = term(ROLE_LABELS.get(params["role"], params["role"]))
        if "needs" in params and params.get("kind") in set(MeterKind):
            # The headers a file of this kind needs, in the words a file of this language uses.
            params["needs"] = Text(
                formats.header_words(
                    formats.NEEDS[MeterKind(params["kind"])], chinese=page_locale() != "en"
                )
            )
        for key in ("kind", "given", "looks"):  # meter kinds, said by their labels
            if key in params and (label := msgid(params[key], MeterKind)) is not None:
                params[key] = term(label)
        message = type(message)(str(message), message.code, params)
    return say(message) if isinstance(message, str) else message


def localise_fields(error: EmcError) -> dict:
    """``fields`` with their keys said in the page's language (``row 17, column 时间`` →
    ``第 17 行，“时间”列``) and their messages too (file problems by code, others where the
    catalog has them)."""
    return {location_label(k): _say_all(v) for k, v in error.fields.items() if isinstance(v, list)}


def headline(error: EmcError) -> str:
    """The first line of an error on the page: a file's problems counted, in the page's
    language; other errors as the catalog has them."""
    if error.code in ("invalid_file", "unknown_header") and error.fields:
        count = sum(len(v) if isinstance(v, list) else 1 for v in error.fields.values())
        if error.code == "unknown_header":
            return _("The columns of the file were not recognised; nothing was imported.")
        return _("%(count)s problems in the file; nothing was imported.", count=count)
    return say_problem(error.message)


def _say_all(messages):
    if isinstance(messages, list):
        return [_say_all(m) for m in messages]
    if isinstance(messages, dict):
        return {k: _say_all(v) for k, v in messages.items()}
    if isinstance(messages, str):
        return say_problem(messages)
    return localise(messages)


def location_label(key: str) -> str:
    """A problem's location key (``row 17, column 时间``, ``row 17``, ``column 用量``, ``file``)
    in the page's language (:func:`emc.web.messages.field_label`), else the key itself."""
    return field_label(key) or key
