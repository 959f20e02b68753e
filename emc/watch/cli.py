"""``emc mv events``: suspected non-routine events in CSV files, without the database.

Registered on the ``mv`` group (``emc/mv/cli.py``). It reads the files of ``emc mv fit``,
fits the CalTRACK daily baseline on the baseline period, then scans the residuals of the
baseline period and of ``--period``, each on its own, with the watch's CUSUM
(:mod:`emc.mv.engine.events`): the ECM's own saving from the period's first day is that
period's level, not an event. Heavy imports happen inside the command.
"""

from __future__ import annotations

import datetime as dt
import json

import click


def _date(ctx, param, value):
    if value is None:
        return None
    out = []
    for text in value:
        try:
            out.append(dt.date.fromisoformat(text))
        except ValueError:
            raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if out[1] < out[0]:
        raise click.BadParameter(f"end {out[1]} is before start {out[0]}")
    # Inclusive on the command line, half-open inside.
    return out[0], out[1] + dt.timedelta(days=1)


@click.command("events")
@click.option(
    "--usage",
    "usage_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Usage CSV: date,value (daily use).",
)
@click.option(
    "--temperature",
    "temperature_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Temperature CSV: timestamp,temperature (hourly readings or daily means).",
)
@click.option("--baseline", nargs=2, required=True, callback=_date, help="START END, inclusive.")
@click.option("--period", nargs=2, default=None, callback=_date, help="START END, inclusive.")
@click.option(
    "--temperature-unit",
    "unit",
    type=click.Choice(["C", "F"]),
    default="C",
    show_default=True,
    help="Unit of the temperature file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def events(usage_path, temperature_path, baseline, period, unit, as_json):
    """Suspected non-routine events (疑似非常规事件) in the baseline period and --period."""
    from pathlib import Path

    import numpy as np

    from emc.mv import engine
    from emc.mv.cli import DataFileError, _daily_temperature_for, _read_series
    from emc.mv.engine.events import cusum_events

    for path in (usage_path, temperature_path):
        if not Path(path).is_file():
            raise DataFileError(f"{path}: no such file")
    span = (
        min(baseline[0], period[0]) if period else baseline[0],
        max(baseline[1], period[1]) if period else baseline[1],
    )
    try:
        dates, usage = _read_series(usage_path, "date", "value", _date_cell)
        temp = _daily_temperature_for(temperature_path, unit, span)
        d = np.array(dates, dtype="datetime64[D]")
        pos = (d - np.datetime64(span[0], "D")).astype(int)
        inside = (pos >= 0) & (pos < temp.dates.size)
        t = np.full(d.size, np.nan)
        t[inside] = temp.temperature[pos[inside]]
        model = engine.fit_daily(
            d, usage, t, start=baseline[0], end=baseline[1], temperature_unit=unit
        )
    except engine.InsufficientDataError as exc:
        details = "\n".join(f"  [{w.code}] {w.message}" for w in exc.warnings if w.disqualifying)
        raise click.ClickException(f"{exc}\n{details}") from exc
    except engine.InvalidInputError as exc:
        raise DataFileError(str(exc)) from exc
    st = model.statistics
    found = []
    for start, end in [baseline] + ([period] if period else []):
        days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
        by_day = dict(zip(d.tolist(), range(d.size), strict=True))
        idx = [by_day.get(day) for day in days.astype(dt.date).tolist()]
        u = np.array([usage[i] if i is not None else np.nan for i in idx])
        tt = np.array([t[i] if i is not None else np.nan for i in idx])
        pred = model.predict(tt)
        if not np.isfinite(pred).any() or not st.cvrmse or not np.isfinite(st.cvrmse):
            continue
        level = float(np.nanmean(pred))
        result, _trace = cusum_events(
            days,
            u - pred,
            sigma=st.cvrmse * level,
            rho=st.autocorrelation,
            predicted=pred,
        )
        found += result
    rows = [
        {
            "start": e.start.isoformat(),
            "change_per_day": round(e.change_per_day, 3),
            "change_percent": None if e.change_percent is None else round(e.change_percent, 2),
            "confidence": round(e.confidence, 3),
        }
        for e in found
    ]
    if as_json:
        click.echo(json.dumps({"events": rows}, ensure_ascii=False, allow_nan=False, indent=2))
        return
    if not rows:
        click.echo("No suspected non-routine event.")
        return
    click.echo(f"{'start':<12}{'change/day':>14}{'change %':>10}{'confidence':>12}")
    for r in rows:
        pct = "—" if r["change_percent"] is None else f"{r['change_percent']:+.1f}"
        click.echo(
            f"{r['start']:<12}{r['change_per_day']:>+14,.1f}{pct:>10}{r['confidence']:>12.3f}"
        )


def _date_cell(path, line, column, text):
    from emc.mv.cli import _date

    return _date(path, line, column, text)
