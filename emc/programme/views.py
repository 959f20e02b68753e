"""Pages: the agency dashboard (drill-down national → province → city, charts, project list),
its printable PDF, the targets page, and the institution's annual energy statistics page.

Charts are inline SVG drawn here on the server (no script, no CDN), so they print and work
offline; every chart carries a text title for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import select

from emc import exports as downloads
from emc.auth.models import Region
from emc.auth.permissions import Permission, can
from emc.auth.policy import require
from emc.auth.regions import in_subtree
from emc.energy import Carrier, canonical_unit
from emc.errors import EmcError, Forbidden, Invalid, NotFound
from emc.i18n import translate
from emc.messages import msg
from emc.paging import page_of
from emc.programme import service
from emc.programme.models import Metric, StatSource
from emc.programme.schemas import ProgrammeProjectQuery, StatIn, TargetIn, TargetPatch
from emc.web.args import page_arg
from emc.web.db import db
from emc.web.forms import form_data, load_form, localise
from emc.web.labels import label as enum_label
from emc.web.messages import field_sentences, say
from emc.web.security import current_actor
from emc.web.templating import page_locale

bp = Blueprint("programme", __name__)

# The statistics form asks for every energy carrier (water is not one); ``carrier_label`` names
# them (emc.web.templating).
FORM_CARRIERS = [c for c in Carrier if c is not Carrier.WATER]
BRAND, ACCENT, MUTED, GRID = "#0b6e4f", "#d97706", "#94a3b8", "#d9e0e7"
WINDOW_ARGS = frozenset({"start_year", "end_year"})


@bp.app_context_processor
def _labels():
    return {
        # The one registry (emc.labels), under the names the programme templates use.
        "metric_label": lambda m: enum_label(m, Metric),
        "stat_source_label": lambda s: enum_label(s, StatSource),
        "count_reason_label": lambda r: enum_label(r, "CountReason"),
        "investor_label": lambda i: enum_label(i, "Investor"),
        "money_short": lambda v, currency=True: money_short(v, page_locale(), currency=currency),
        "money_wan": money_wan,
    }


# --- charts (inline SVG) ---------------------------------------------------------------------


def money_short(value: Decimal | None, locale: str = "zh_CN", *, currency: bool = True) -> str:
    """The dashboard's one money format: 万元 with one decimal (half up), in every language
    (English reads "× 10k yuan"); the page puts the exact figure in the element's title
    (:func:`money_wan`). ``currency`` is kept for callers; the unit is always shown."""
    if value is None:
        return "–"
    wan = (Decimal(value) / 10000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return _("%(n)s × 10k yuan", n=format(wan, ","))


def money_wan(value: Decimal | None) -> Markup:
    """:func:`money_short` in a span whose title is the exact figure in yuan (to the fen)."""
    if value is None:
        return Markup("–")
    exact = f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    return Markup('<span class="money" title="{} {}">{}</span>').format(
        exact, _("yuan"), money_short(value, page_locale())
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}".rstrip("0").rstrip(".")


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    targets: Sequence[float | None] | None = None,
    width: int = 520,
) -> Markup:
    """Horizontal bars, one per (label, value); an optional target per bar is a dark tick."""
    row, left = 24, 150
    height = max(len(items), 1) * row + 10
    top = max([v for _l2, v in items] + [t or 0 for t in (targets or [])] + [1])
    scale = (width - left - 60) / top
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = max(value * scale, 0)
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(str(label))[:20]}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{BRAND}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="12">{_fmt(value)}</text>'
        )
        target = targets[i] if targets else None
        if target:
            x = left + target * scale
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + row - 3}" '
                f'stroke="#1d2733" stroke-width="2"><title>{_fmt(target)}</title></line>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    title: str,
    width: int = 760,
    height: int = 240,
) -> Markup:
    """Lines over categories (months, dates); the first series solid in the brand colour, the
    others dashed; a legend under the title; about eight labels on the axis."""
    left, right, top, bottom = 48, 12, 26, 28
    n = max(len(labels), 2)
    values = [v for vals in series.values() for v in vals if v is not None]
    vmax = max(values + [1])
    if all(float(v).is_integer() for v in values):
        # Counts (projects): a top the four gridlines divide into whole numbers, never 3.25.
        vmax = math.ceil(vmax / 4) * 4
    sx = (width - left - right) / (n - 1)
    sy = (height - top - bottom) / vmax
    colours = [BRAND, ACCENT, MUTED, "#2563eb"]
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for k in range(5):
        v = vmax * k / 4
        y = height - bottom - v * sy
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{_fmt(v)}</text>"
        )
    # About eight labels at most, never closer than their own width (font-size 11: about 6.5
    # px a character); the last label always shows, so a regular one too close to it yields.
    label_w = max((len(label) for label in labels), default=0) * 6.5
    step = max(1, len(labels) // 8, math.ceil((label_w + 10) / sx))
    last = len(labels) - 1
    for i, label in enumerate(labels):
        # The last label is anchored at its end: a centred one needs 1.5 widths to clear it.
        if i == last or (i % step == 0 and (last - i) * sx >= label_w * 1.5 + 10):
            x = left + i * sx
            # The last label ends at the plot's right edge rather than overflowing it.
            anchor = "end" if i == last and i else "middle"
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="11">'
                f"{escape(label)}</text>"
            )
    for j, (name, vals) in enumerate(series.items()):
        colour = colours[j % len(colours)]
        points = " ".join(
            f"{left + i * sx:.1f},{height - bottom - v * sy:.1f}"
            for i, v in enumerate(vals)
            if v is not None
        )
        dash = "" if j == 0 else ' stroke-dasharray="6 4"'
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"/>'
            f'<rect x="{left + j * 170}" y="6" width="12" height="4" fill="{colour}"/>'
            f'<text x="{left + 16 + j * 170}" y="12" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


# --- the dashboard ---------------------------------------------------------------------------


def _query(schema: ma.Schema, drop: frozenset[str] = frozenset()) -> dict:
    args = {
        k: v for k, v in request.args.items() if v != "" and k != "all_regions" and k not in drop
    }
    try:
        return schema.load(args)
    except ma.ValidationError as error:
        raise Invalid(msg("programme.invalid_filter"), fields=localise(error.messages)) from None


def _type_label(key: str) -> str:
    from emc.contracts.finance import ContractType
    from emc.contracts.views import CONTRACT_TYPE_LABELS

    if key == "none":
        return _("No contract yet")
    return str(CONTRACT_TYPE_LABELS.get(ContractType(key), key))


def _sector_label(key: str) -> str:
    from emc.auth.models import Sector

    return enum_label(key, Sector)


def _charts(data: service.Dashboard) -> dict[str, Markup]:
    months = [m["month"] for m in data.monthly]
    progress = data.progress
    target = progress["target"]
    start, end = data.window["start_year"], data.window["end_year"]
    total_months = (end - start + 1) * 12
    series: dict[str, list[float | None]] = {
        _("Counted (cumulative)"): [m["cumulative"] for m in data.monthly]
    }
    if target:
        series[_("Straight line to the target")] = [
            target * (i + 1) / total_months for i in range(len(months))
        ]
    charts = {
        "cumulative": line_chart(months, series, title=_("Signed projects, cumulative by month")),
        "types": bar_chart(
            [(_type_label(t["key"]), t["counted"]) for t in data.by_type],
            title=_("Counted projects by contract type"),
        ),
        "sectors": bar_chart(
            [(_sector_label(s["key"]), s["counted"]) for s in data.by_sector],
            title=_("Counted projects by sector"),
        ),
        "children": bar_chart(
            [(c["name"], c["counted"]) for c in data.children],
            targets=[c["target"] for c in data.children],
            title=_("Counted projects by sub-region (tick: target)"),
        ),
        "years": bar_chart(
            [(str(y["year"]), y["counted"]) for y in data.by_year],
            title=_("Counted projects by year of signing"),
        ),
    }
    if data.trend:
        charts["trend"] = line_chart(
            [t["date"].isoformat() for t in data.trend],
            {_("Counted (snapshots)"): [t["counted"] for t in data.trend]},
            title=_("Counted projects, nightly snapshots"),
        )
    if data.savings["by_year"]:
        charts["savings"] = bar_chart(
            [(str(r["year"]), float(r["tce"])) for r in data.savings["by_year"]],
            title=_("Verified savings by year (tce)"),
        )
    return charts


def _dashboard_args(drop: frozenset[str] = frozenset()) -> dict:
    query = _query(ProgrammeProjectQuery(), drop)
    return {
        "region": query.get("region"),
        "start_year": query.get("start_year"),
        "end_year": query.get("end_year"),
    }, query


@bp.get("/programme")
@login_required
def dashboard():
    actor = current_actor()
    errors: dict = {}
    try:
        args, query = _dashboard_args()
        data = service.dashboard(db(), actor, locale=page_locale(), **args)
    except Invalid as error:
        # A bad filter (a reversed or out-of-range window, an unknown status …) keeps the
        # dashboard: shown without the bad filters (a bad year: the default window), the error
        # beside the inputs, which keep what was typed.
        errors = localise(error.fields) or {"_": [say(error.message)]}
        drop = frozenset(error.fields)
        if drop & WINDOW_ARGS:
            drop |= WINDOW_ARGS
        args, query = _dashboard_args(drop)
        data = service.dashboard(db(), actor, locale=page_locale(), **args)
    filters = {
        k: v
        for k, v in query.items()
        if k not in ("region", "page", "per_page", "start_year", "end_year")
    }
    page = service.project_page(
        db(),
        actor,
        region=data.region["code"],
        page=query["page"],
        per_page=query["per_page"],
        **filters,
    )
    # The exports and the pager carry the filters that were taken: a refused one (a year
    # typed as "abc") would make the CSV link answer a JSON error.
    export_args = {
        k: v
        for k, v in request.args.items()
        if k not in ("page", "per_page") and v and k not in errors
    }
    export_args["region"] = data.region["code"]
    page_args = dict(export_args)
    if request.args.get("per_page") and "per_page" not in errors:
        page_args["per_page"] = query["per_page"]
    # lists rows: sub-regions with no project and no target are hidden unless asked for
    all_regions = request.args.get("all_regions") == "1"
    children = [c for c in data.children if all_regions or c["counted"] or c["target"]]
    return render_template(
        "programme/dashboard.html",
        d=data,
        children=children,
        all_regions=all_regions,
        charts=_charts(data),
        page=page,
        query=query,
        export_args=export_args,
        page_args=page_args,
        rules=service.stats.COUNTING_RULE,
        type_label=_type_label,
        sector_key_label=_sector_label,
        errors=errors,
        other_errors=field_sentences({k: v for k, v in errors.items() if k not in WINDOW_ARGS}),
    ), (422 if errors else 200)


@bp.get("/programme/summary.pdf")
@login_required
def summary_pdf():
    actor = current_actor()
    args, _query_args = _dashboard_args()
    data = service.dashboard(db(), actor, locale=page_locale(), **args)
    from emc.reports import programme_pdf  # reportlab loads with the first PDF

    body = programme_pdf.build(
        data,
        type_label=_type_label,
        sector_label=_sector_label,
        locale=page_locale(),
        zone=downloads.site_zone(),
    )
    name = translate(page_locale(), "Programme summary: %(region)s", region=data.region["name"])
    return downloads.pdf_download(body, downloads.document_name(name, ext="pdf")).response()


# --- targets ---------------------------------------------------------------------------------


def _subtree_regions(code: str) -> list[Region]:
    return [
        r for r in db().scalars(select(Region).order_by(Region.code)) if in_subtree(r.code, code)
    ]


def _render_targets(errors=None, values=None, status: int = 200):
    actor = current_actor()
    # lists rows: one page of the targets (emc.paging), the region names of that page only.
    targets = page_of(service.list_targets(db(), actor), page_arg())
    names = service.region_names(db(), {t.region_code for t in targets.items}, page_locale())
    return render_template(
        "programme/targets.html",
        targets=targets,
        names=names,
        regions=_subtree_regions(actor.region_code),
        metrics=list(Metric),
        errors=errors or {},
        values=values or {},
        can_manage=can(actor, Permission.PROGRAMME_TARGETS_MANAGE),
        # Change and delete are offered per row by the service's own rule (the agency that set
        # a target, or one above it).
        changeable={t.id for t in targets.items if service.may_change_target(db(), actor, t)}
        if can(actor, Permission.PROGRAMME_TARGETS_MANAGE)
        else set(),
        visible=lambda code: in_subtree(code, actor.region_code),
    ), status


@bp.get("/programme/targets")
@login_required
def targets():
    require(current_actor(), Permission.PROGRAMME_READ)
    return _render_targets()


@bp.post("/programme/targets")
@login_required
def create_target():
    actor = current_actor()
    require(actor, Permission.PROGRAMME_TARGETS_MANAGE)
    values = form_data()
    data, errors = load_form(TargetIn(), dict(values))
    if errors:
        return _render_targets(errors, values, 422)
    try:
        service.create_target(db(), actor, **data)
    except (NotFound, Forbidden):
        raise
    except EmcError as error:
        return _render_targets(
            localise(error.fields) or {"_": [say(error.message)]}, values, error.status
        )
    flash(_("Target saved."), "success")
    return redirect(url_for("programme.targets"))


TARGET_EDIT_FIELDS = ("project_count", "reduction_pct", "base_year", "note")


def _render_target_edit(target, errors=None, values=None, status: int = 200):
    actor = current_actor()
    if not service.may_change_target(db(), actor, target):
        raise Forbidden(msg("programme.target_was_set_by_higher"))
    if values is None:
        values = {k: getattr(target, k) for k in TARGET_EDIT_FIELDS}
        values["version"] = target.version
    names = service.region_names(db(), {target.region_code}, page_locale())
    return render_template(
        "programme/targets_edit.html",
        target=target,
        region_name=names.get(target.region_code, target.region_code),
        errors=errors or {},
        values=values,
    ), status


def _target_errors(fields: dict | None, message) -> dict:
    """A refusal by field; what belongs to no input of the form (the row version) leads."""
    errors = localise(fields or {})
    lead = [m for k, said in errors.items() if k not in TARGET_EDIT_FIELDS for m in said]
    errors = {k: v for k, v in errors.items() if k in TARGET_EDIT_FIELDS}
    if lead or not errors:
        errors["_"] = [said for said in (say(message), *lead) if said]
    return errors


@bp.get("/programme/targets/<int:target_id>/edit")
@login_required
def edit_target(target_id: int):
    target = service.get_target(db(), current_actor(), target_id)
    return _render_target_edit(target)


@bp.post("/programme/targets/<int:target_id>/edit")
@login_required
def update_target(target_id: int):
    actor = current_actor()
    target = service.get_target(db(), actor, target_id)
    values = form_data(keep_blank=TARGET_EDIT_FIELDS)
    # A blank input clears the value (a note, or a figure the metric does not use).
    document = {k: (v.strip() or None) if k in TARGET_EDIT_FIELDS else v for k, v in values.items()}
    data, errors = load_form(TargetPatch(), document)
    if errors:
        return _render_target_edit(target, _target_errors(errors, None), values, 422)
    try:
        service.update_target(db(), actor, target_id, **data)
    except (NotFound, Forbidden):
        raise
    except EmcError as error:
        return _render_target_edit(
            target, _target_errors(error.fields, error.message), values, error.status
        )
    flash(_("Target saved."), "success")
    return redirect(url_for("programme.targets"))


@bp.post("/programme/targets/<int:target_id>/delete")
@login_required
def delete_target(target_id: int):
    actor = current_actor()
    target = service.get_target(db(), actor, target_id)
    if request.form.get("confirm") != "yes":
        errors = {"confirm": [_("Tick the box to confirm the deletion.")]}
        return _render_target_edit(target, errors, None, 422)
    service.delete_target(db(), actor, target_id)
    flash(_("Target deleted."), "success")
    return redirect(url_for("programme.targets"))


# --- annual energy statistics ----------------------------------------------------------------


def _render_stats(errors=None, values=None, status: int = 200, *, form: str = "entry"):
    """The statistics page; ``form`` (entry, import or meters) names the form that was sent,
    the one whose fields show ``errors`` and ``values``."""
    actor = current_actor()
    require(actor, Permission.PROGRAMME_STATS_MANAGE)
    return render_template(
        "programme/stats.html",
        stats=service.list_stats(db(), actor, organization_id=actor.organization_id),
        carriers=[(c, canonical_unit(c).value) for c in FORM_CARRIERS],
        errors=errors or {},
        values=values or {},
        this_year=service.local_today().year,
        form=form,
    ), status


@bp.get("/programme/stats")
@login_required
def stats_page():
    return _render_stats()


def _stat_form() -> tuple[dict | None, dict, dict]:
    """The posted statistics form as the API's ``StatIn`` document (one carrier per filled
    quantity), loaded by the same schema: every bad field is reported at once, each under its
    own input (``carriers.<i>.quantity`` → ``quantity_<carrier>``)."""
    values = form_data()
    document: dict = {k: values[k] for k in ("year", "floor_area_m2", "occupants") if k in values}
    document["carriers"] = [
        {
            "carrier": carrier.value,
            # Thousands separators are a display habit, not part of the number.
            "quantity": values[f"quantity_{carrier.value}"].replace(",", "").strip(),
            "unit": values.get(f"unit_{carrier.value}") or canonical_unit(carrier).value,
        }
        for carrier in FORM_CARRIERS
        if values.get(f"quantity_{carrier.value}")
    ]
    if "floor_area_m2" in document:
        document["floor_area_m2"] = document["floor_area_m2"].replace(",", "").strip()
    data, errors = load_form(StatIn(), document)
    if errors:
        return None, _carrier_field_errors(_flat_fields(errors), document), values
    return data, {}, values


def _flat_fields(errors: dict) -> dict:
    # marshmallow nests a list's errors by index: {"carriers": {0: {"quantity": [...]}}}.
    out: dict = {}
    for key, messages in errors.items():
        if isinstance(messages, dict):
            for inner, said in _flat_fields(messages).items():
                out[f"{key}.{inner}"] = said
        else:
            out[str(key)] = messages
    return out


def _carrier_field_errors(fields: dict, data: dict) -> dict:
    # carriers.<i>.unit → unit_<carrier> so that the form marks the right input.
    out = {}
    for key, messages in fields.items():
        head, _dot, rest = key.partition(".")
        index, _dot2, name = rest.partition(".")
        if head == "carriers" and index.isdigit() and int(index) < len(data["carriers"]):
            carrier = data["carriers"][int(index)]["carrier"]
            out[f"{'unit' if name == 'unit' else 'quantity'}_{carrier}"] = messages
        else:
            out[key] = messages
    return out


@bp.post("/programme/stats")
@login_required
def save_stats():
    actor = current_actor()
    require(actor, Permission.PROGRAMME_STATS_MANAGE)
    data, errors, values = _stat_form()
    if errors:
        return _render_stats(errors, values, 422)
    try:
        stat = service.save_stat(db(), actor, **data)
    except (NotFound, Forbidden):
        raise
    except EmcError as error:
        fields = _carrier_field_errors(localise(error.fields), data)
        return _render_stats(fields or {"_": [say(error.message)]}, values, error.status)
    flash(_("Energy statistics of %(year)s saved.", year=stat.year), "success")
    return redirect(url_for("programme.stats_page"))


@bp.post("/programme/stats/import")
@login_required
def import_stats():
    actor = current_actor()
    require(actor, Permission.PROGRAMME_STATS_MANAGE)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_stats({"file": [_("Choose an XLSX file.")]}, {}, 422, form="import")
    try:
        saved = service.import_stats(db(), actor, upload.stream, filename=upload.filename)
    except (NotFound, Forbidden):
        raise
    except EmcError as error:
        return _render_stats(
            {"file": [say(error.message)], **localise(error.fields)},
            {},
            error.status,
            form="import",
        )
    flash(_("Imported the statistics of %(n)s year(s).", n=len(saved)), "success")
    return redirect(url_for("programme.stats_page"))


@bp.post("/programme/stats/meters")
@login_required
def stats_from_meters():
    actor = current_actor()
    require(actor, Permission.PROGRAMME_STATS_MANAGE)
    values = form_data()
    try:
        year = int(values.get("year", ""))
    except ValueError:
        return _render_stats({"year": [_("Enter a year.")]}, values, 422, form="meters")
    try:
        stat = service.stats_from_meters(db(), actor, year=year)
    except (NotFound, Forbidden):
        raise
    except EmcError as error:
        return _render_stats(
            localise(error.fields) or {"_": [say(error.message)]},
            values,
            error.status,
            form="meters",
        )
    flash(_("Energy statistics of %(year)s filled from meters.", year=stat.year), "success")
    return redirect(url_for("programme.stats_page"))
