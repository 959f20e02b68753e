"""Meter readings: upload (file or JSON, with a dry run), list, aggregates, quality, CSV
export; and :func:`upload_from_request`, which the meter page shares."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from zoneinfo import ZoneInfo

from flask import Response, request
from flask.views import MethodView
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from emc import exports as downloads
from emc.auth.permissions import Permission
from emc.auth.policy import load, require
from emc.errors import Conflict, EmcError
from emc.facilities import service
from emc.facilities.api.common import blp, form_upload, load_or_invalid, max_upload_bytes
from emc.facilities.models import Meter
from emc.facilities.schemas import (
    AggregateQuery,
    AggregatesOut,
    DryRunQuery,
    ExportQuery,
    PreviewOut,
    QualityOut,
    ReadingsJsonIn,
    ReadingsOut,
    ReadingsQuery,
    ReadingsUploadForm,
    UploadOut,
)
from emc.facilities.service import preview
from emc.facilities.service.rights import LOCALISABLE_CODES, FrozenReadings
from emc.web.db import db
from emc.web.forms import localise
from emc.web.messages import say
from emc.web.security import current_actor


def upload_from_request(meter_id: int, *, dry_run: bool = False):
    try:
        return _upload_from_request(meter_id, dry_run=dry_run)
    except FrozenReadings as error:
        # The service says it in English; the API and the page say it in the reader's language.
        raise Conflict(
            _(error.msgid, **error.params), fields=error.fields, code=error.code
        ) from None
    except EmcError as error:
        if error.code not in LOCALISABLE_CODES:
            raise
        raise type(error)(
            say(error.message), fields=localise(error.fields), code=error.code
        ) from None


def _upload_from_request(meter_id: int, *, dry_run: bool = False):
    """Run an upload from a multipart form (``file``, ``format``, ``unit``, ``replace``) or a
    JSON body (``rows``, ``replace``); shared by the API and the meter page. With ``dry_run``
    the same input is only checked (:mod:`emc.facilities.service.preview`): nothing is written
    and the :class:`~emc.facilities.service.preview.UploadPreview` is returned."""
    actor = current_actor()
    # Load first, so that another tenant's meter is 404 whatever was sent; then the permission,
    # so that a reader without it is 403 whatever was sent.
    load(db(), actor, Meter, meter_id)
    require(actor, Permission.FACILITIES_READINGS_IMPORT)
    if request.is_json:
        data = load_or_invalid(
            ReadingsJsonIn(), request.get_json(silent=True) or {}, "the readings are invalid"
        )
        if dry_run:
            return preview.preview_rows(
                db(), actor, meter_id, data["rows"], replace=data["replace"]
            )
        return service.import_rows(db(), actor, meter_id, data["rows"], replace=data["replace"])
    form, upload = form_upload(ReadingsUploadForm())
    run = preview.preview_readings if dry_run else service.import_readings
    return run(
        db(),
        actor,
        meter_id,
        upload.stream,
        filename=upload.filename,
        fmt=form["format"],
        unit=form["unit"],
        replace=form["replace"],
        max_bytes=max_upload_bytes(),
    )


def _number(value: float) -> str:
    return repr(round(value, 9))


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "format": {"type": "string", "enum": ["interval", "billing", "register"]},
                    "unit": {"type": "string"},
                    "replace": {"type": "boolean"},
                },
                "required": ["file"],
            }
        },
        "application/json": {"schema": ReadingsJsonIn},
    },
}


@blp.route("/meters/<int:meter_id>/readings")
class MeterReadings(MethodView):
    decorators = [login_required]

    @blp.arguments(ReadingsQuery, location="query")
    @blp.response(200, ReadingsOut)
    def get(self, query, meter_id):
        """Stored readings starting in ``[start, end)``, oldest first, at most ``limit``;
        ``next_start`` continues the list."""
        page = service.get_readings(
            db(),
            current_actor(),
            meter_id,
            start=query["start"],
            end=query["end"],
            limit=query["limit"],
        )
        zone = ZoneInfo(page.site.timezone)
        return {
            "meter_id": page.meter.id,
            "unit": page.meter.unit,
            "timezone": page.site.timezone,
            "readings": [
                {
                    "start": dt.datetime.fromtimestamp(s, zone),
                    "end": dt.datetime.fromtimestamp(e, zone),
                    "value": repr(v),
                    "quality": q,
                }
                for s, e, v, q in page.rows
            ],
            "next_start": page.next_start.astimezone(zone) if page.next_start else None,
        }

    @blp.doc(requestBody=_UPLOAD_BODY)
    @blp.arguments(DryRunQuery, location="query", as_kwargs=True)
    @blp.response(201, UploadOut)
    @blp.alt_response(
        200, schema=PreviewOut, description="dry_run=true: the check, nothing written"
    )
    def post(self, meter_id, dry_run=False):
        """Upload readings: a CSV/XLSX file (multipart ``file``) or JSON ``rows``; all or
        nothing. Problems come back under ``fields`` keyed ``row 17, column 时间`` (files) or
        ``rows[3].start`` (JSON); an overlap with stored readings is 409 unless ``replace``.
        Re-sending an already applied file answers 201 with status ``unchanged``.

        With ``?dry_run=true`` the same input is parsed and checked but nothing is written: 200
        with the summary (rows, first/last, unit conversion, gaps, the first 20 readings), every
        problem under ``problems`` and the overlap with stored readings (``ok`` false when the
        upload would be refused)."""
        if dry_run:
            checked = upload_from_request(meter_id, dry_run=True)
            return Response(
                json.dumps(PreviewOut().dump(checked), ensure_ascii=False),
                status=200,
                mimetype="application/json",
            )
        return upload_from_request(meter_id)


@blp.route("/meters/<int:meter_id>/aggregates")
class MeterAggregates(MethodView):
    decorators = [login_required]

    @blp.arguments(AggregateQuery, location="query")
    @blp.response(200, AggregatesOut)
    def get(self, query, meter_id):
        """Totals per local day or month of the site, in the meter's unit."""
        fn = service.daily_totals if query["period"] == "day" else service.monthly_totals
        meter, site, totals = fn(
            db(), current_actor(), meter_id, start=query["start"], end=query["end"]
        )
        return {
            "meter_id": meter.id,
            "unit": meter.unit,
            "timezone": site.timezone,
            "period": query["period"],
            "totals": [
                {"period": t.period, "total": _number(t.total), "readings": t.readings}
                for t in totals
            ],
        }


@blp.route("/meters/<int:meter_id>/quality")
class MeterQuality(MethodView):
    decorators = [login_required]

    @blp.response(200, QualityOut)
    def get(self, meter_id):
        """Coverage by month, gaps, runs of zeros and robust outliers."""
        report = service.quality_report(db(), current_actor(), meter_id)
        zone = ZoneInfo(report.site.timezone)

        def span(s):
            return {
                "start": s.start.astimezone(zone),
                "end": s.end.astimezone(zone),
                "readings": s.readings,
            }

        return {
            "meter_id": report.meter.id,
            "unit": report.meter.unit,
            "timezone": report.site.timezone,
            "readings": report.readings,
            "first": report.first.astimezone(zone) if report.first else None,
            "last": report.last.astimezone(zone) if report.last else None,
            "by_quality": report.by_quality,
            "coverage": [
                {"month": m.month, "readings": m.readings, "fraction": round(m.fraction, 4)}
                for m in report.coverage
            ],
            "gaps": [span(g) for g in report.gaps],
            "gap_seconds": report.gap_seconds,
            "zero_runs": [span(z) for z in report.zero_runs],
            "outliers": [
                {"period": o.period, "value": _number(o.value), "z": o.z} for o in report.outliers
            ],
        }


@blp.route("/meters/<int:meter_id>/readings.csv")
class MeterReadingsCsv(MethodView):
    decorators = [login_required]

    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, content_type="text/csv", description="CSV that reads back unchanged")
    def get(self, query, meter_id):
        """The readings as CSV, in the language of the request.

        Chinese (the default, and ``?format=local``): the upload template's format, headers
        ``时间,实际用量(kWh),质量`` (billing and register meters
        ``开始日期,结束日期,实际用量(m³),质量``, the end date inclusive), local times without
        offset, qualities 实测/估算/替换. English, or ``?format=iso`` for API clients:
        ``timestamp,actual consumption(kWh),quality`` (others
        ``start,end,actual consumption(unit),quality`` with the exclusive end), local times with
        their UTC offset, qualities measured/estimated/replaced. Values are consumption with the
        meter's multiplier applied (实际用量), which an upload does not multiply again; a
        register meter's file holds the consumption between reads. Either file uploaded to the
        meter (with ``replace``) or to another of its kind gives the same readings."""
        style = query["format"] or ("iso" if str(get_locale()) == "en" else "local")
        meter, lines = service.export_csv(
            db(), current_actor(), meter_id, start=query["start"], end=query["end"], style=style
        )
        # Through the one export helper: BOM (the unit may be m³), charset once, file name.
        body = itertools.chain(["\ufeff"], lines)
        return downloads.Download(
            body, downloads.CSV_TYPE, f"meter-{meter.id}-readings.csv"
        ).response()
