"""``emc mv``: M&V commands that work on files, without the database.

``emc mv fit`` fits a CalTRACK baseline (daily, billing or hourly) to CSV files and, given a
reporting period, computes avoided energy. The group is registered on the main ``emc`` command
with ``add_command``; it runs standalone too (``CliRunner().invoke(mv, [...])``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

mv = click.Group("mv", help="Measurement and verification (IPMVP Option C, CalTRACK 2.0).")


class DataFileError(click.ClickException):
    """A CSV file cannot be read; the message names the file, the line and the column."""

    exit_code = 2


# ------------------------------------------------------------------------------------ reading


def _read_csv(path: str, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """Rows of ``path`` as (line number, {column: text}); the header must name ``columns``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in columns if c not in header]
            if missing:
                raise DataFileError(
                    f"{path}: line 1: missing column(s) {', '.join(missing)} "
                    f"(expected a header with {', '.join(columns)})"
                )
            rows = []
            for row in reader:
                clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                if not any(clean.values()):
                    continue
                rows.append((reader.line_num, clean))
            return rows
    except OSError as exc:
        raise DataFileError(f"{path}: cannot open ({exc.strerror})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"{path}: not a readable UTF-8 CSV file ({exc})") from exc


def _cell_error(path, line, column, text, what) -> DataFileError:
    return DataFileError(f"{path}: line {line}, column '{column}': cannot read {text!r} as {what}")


def _number(path, line, column, text) -> float:
    if text == "":
        return math.nan  # an empty cell is a missing reading
    try:
        v = float(text)
    except ValueError:
        raise _cell_error(path, line, column, text, "a number") from None
    if math.isinf(v):
        raise _cell_error(path, line, column, text, "a finite number")
    return v


def _date(path, line, column, text) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            raise _cell_error(path, line, column, text, "a date (YYYY-MM-DD)") from None


def _timestamp(path, line, column, text) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise _cell_error(path, line, column, text, "a timestamp (ISO 8601)") from None


def _read_series(path, time_column, value_column, parse_time):
    import numpy as np

    rows = _read_csv(path, (time_column, value_column))
    times = [parse_time(path, n, time_column, r[time_column]) for n, r in rows]
    values = [_number(path, n, value_column, r[value_column]) for n, r in rows]
    seen: dict = {}
    for (n, _), t in zip(rows, times, strict=True):
        if t in seen:
            raise DataFileError(
                f"{path}: line {n}, column '{time_column}': {t} repeats line {seen[t]}"
            )
        seen[t] = n
    return times, np.array(values, dtype=float)


# ----------------------------------------------------------------------------------- options


class _DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = _DateType()


def _period(option: str, pair) -> tuple[dt.date, dt.date] | None:
    """Inclusive command-line dates → half-open [start, end)."""
    if pair is None:
        return None
    start, end = pair
    if end < start:
        raise click.BadParameter(f"end {end} is before start {start}", param_hint=option)
    return start, end + dt.timedelta(days=1)


def _clean(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# ------------------------------------------------------------------------------------ methods


def _daily_temperature_for(temp_path, unit, span):
    from emc.mv import engine

    times, temps = _read_series(temp_path, "timestamp", "temperature", _timestamp)
    naive = [t.replace(tzinfo=None) if t.tzinfo is None else t for t in times]
    return engine.daily_temperature(naive, temps, span[0], span[1], unit=unit)


def _fit_daily(args) -> dict:
    import numpy as np

    from emc.mv import engine

    baseline, reporting = args["baseline"], args["reporting"]
    span = (
        min(baseline[0], reporting[0]) if reporting else baseline[0],
        max(baseline[1], reporting[1]) if reporting else baseline[1],
    )
    dates, usage = _read_series(args["usage"], "date", "value", _date)
    temp = _daily_temperature_for(args["temperature"], args["unit"], span)
    d = np.array(dates, dtype="datetime64[D]")
    pos = (d - np.datetime64(span[0], "D")).astype(int)
    inside = (pos >= 0) & (pos < temp.dates.size)
    t = np.full(d.size, np.nan)
    t[inside] = temp.temperature[pos[inside]]
    if args.get("calendar"):
        return _fit_daily_calendar(args, d, usage, t, temp.warnings)
    model = engine.fit_daily(
        d,
        usage,
        t,
        start=baseline[0],
        end=baseline[1],
        temperature_unit=args["unit"],
        zeros_are_missing=args["zeros_missing"],
        allow_insufficient=args["allow_insufficient"],
    )
    savings = None
    if reporting:
        rep = (d >= np.datetime64(reporting[0])) & (d < np.datetime64(reporting[1]))
        savings = engine.daily_savings(
            model, d[rep], usage[rep], t[rep], zeros_are_missing=args["zeros_missing"]
        )
    return _result(model, savings, temp.warnings, reporting)


_DAY_TYPE_WORDS = ("workday", "weekend", "holiday", "makeup_workday", "vacation")


def _read_calendar(path: str) -> dict:
    """``date,day_type`` rows → {date: day type}; every bad cell named by line and column."""
    out: dict = {}
    lines: dict = {}
    for n, r in _read_csv(path, ("date", "day_type")):
        day = _date(path, n, "date", r["date"])
        kind = r["day_type"].strip().lower()
        if kind not in _DAY_TYPE_WORDS:
            raise DataFileError(
                f"{path}: line {n}, column 'day_type': {r['day_type']!r} is not one of "
                f"{', '.join(_DAY_TYPE_WORDS)}"
            )
        if day in out:
            raise DataFileError(f"{path}: line {n}, column 'date': {day} repeats line {lines[day]}")
        out[day], lines[day] = kind, n
    return out


def _fit_daily_calendar(args, d, usage, t, temp_warnings) -> dict:
    """The day-type model: the file's days as listed, others by weekday and statutory calendar."""
    # Imported here: only --calendar pays for the day-type module and the holiday package.
    import numpy as np

    from emc.calendars.statutory import statutory_calendar
    from emc.mv import engine
    from emc.mv.engine import daytypes

    baseline, reporting = args["baseline"], args["reporting"]
    listed = _read_calendar(args["calendar"])
    lo = min([baseline[0]] + ([reporting[0]] if reporting else []))
    hi = max([baseline[1]] + ([reporting[1]] if reporting else []))
    cal = statutory_calendar(lo, hi)
    types = daytypes.classify_days(
        d, holidays=cal.holidays, makeup_workdays=cal.makeup_workdays, overrides=listed
    )
    warnings = list(temp_warnings)
    if cal.unknown_years:
        warnings.append(
            engine.Warning(
                "statutory_calendar_unknown",
                "No statutory holiday schedule for "
                + ", ".join(str(y) for y in cal.unknown_years)
                + ": unlisted days of those years are typed by weekday only.",
                {"years": cal.unknown_years},
            )
        )
    model = daytypes.fit_daily_daytypes(
        d,
        usage,
        t,
        types,
        start=baseline[0],
        end=baseline[1],
        temperature_unit=args["unit"],
        zeros_are_missing=args["zeros_missing"],
        allow_insufficient=args["allow_insufficient"],
    )
    savings = None
    if reporting:
        rep = (d >= np.datetime64(reporting[0])) & (d < np.datetime64(reporting[1]))
        savings = daytypes.daytype_savings(
            model, d[rep], usage[rep], t[rep], types[rep], zeros_are_missing=args["zeros_missing"]
        )
    out = _result(model, savings, warnings, reporting)
    out["model"]["day_types"] = model.coefficients()
    return out


def _fit_billing(args) -> dict:
    import numpy as np

    from emc.mv import engine

    baseline, reporting = args["baseline"], args["reporting"]
    path = args["usage"]
    rows = _read_csv(path, ("start", "end", "value"))
    starts = [_date(path, n, "start", r["start"]) for n, r in rows]
    ends = [_date(path, n, "end", r["end"]) for n, r in rows]
    if args["billing_end"] == "inclusive":
        ends = [e + dt.timedelta(days=1) for e in ends]
    for (n, _), s, e in zip(rows, starts, ends, strict=True):
        if e <= s:
            raise DataFileError(f"{path}: line {n}, column 'end': {e} is not after start {s}")
    usage = np.array([_number(path, n, "value", r["value"]) for n, r in rows], dtype=float)
    s, e = np.array(starts, "datetime64[D]"), np.array(ends, "datetime64[D]")
    lo = min([baseline[0]] + ([reporting[0]] if reporting else []) + starts)
    hi = max([baseline[1]] + ([reporting[1]] if reporting else []) + ends)
    temp = _daily_temperature_for(args["temperature"], args["unit"], (lo, hi))
    model = engine.fit_billing(
        s,
        e,
        usage,
        temp.dates,
        temp.temperature,
        start=baseline[0],
        end=baseline[1],
        temperature_unit=args["unit"],
        bimonthly=args["bimonthly"],
        allow_insufficient=args["allow_insufficient"],
    )
    savings = None
    if reporting:
        rep = (s >= np.datetime64(reporting[0])) & (e <= np.datetime64(reporting[1]))
        savings = engine.billing_savings(
            model, s[rep], e[rep], usage[rep], temp.dates, temp.temperature
        )
    return _result(model, savings, temp.warnings, reporting)


def _fit_hourly(args) -> dict:
    import numpy as np

    from emc.mv import engine
    from emc.mv.engine import stats as mv_stats

    try:
        # Imported lazily: the hourly TOWT model lives in its own module.
        from emc.mv.engine.hourly import fit_hourly
    except ImportError as exc:  # pragma: no cover - present in this tree
        raise click.ClickException(f"the hourly method is not available: {exc}") from exc
    try:
        zone = ZoneInfo(args["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            f"unknown timezone {args['timezone']!r}", param_hint="--timezone"
        ) from exc
    baseline, reporting = args["baseline"], args["reporting"]
    u_path, t_path = args["usage"], args["temperature"]
    u_times, usage = _read_series(u_path, "timestamp", "value", _timestamp)
    t_times, temps = _read_series(t_path, "timestamp", "temperature", _timestamp)

    def utc_hours(times):
        aware = [t if t.tzinfo else t.replace(tzinfo=zone) for t in times]
        return np.array(
            [np.datetime64(t.astimezone(dt.UTC).replace(tzinfo=None), "h") for t in aware],
            dtype="datetime64[h]",
        )

    uh = utc_hours(u_times)
    grid, hourly_t, n_filled = engine.interpolate_hourly_gaps(utc_hours(t_times), temps)
    t = np.full(uh.size, np.nan)
    if grid.size:
        pos = (uh - grid[0]).astype(int)
        ok = (pos >= 0) & (pos < grid.size)
        t[ok] = hourly_t[pos[ok]]
    local_dates = np.array(
        [(t if t.tzinfo else t.replace(tzinfo=zone)).astimezone(zone).date() for t in u_times],
        dtype="datetime64[D]",
    )

    def within(period):
        return (local_dates >= np.datetime64(period[0])) & (local_dates < np.datetime64(period[1]))

    base = within(baseline)
    if args["zeros_missing"]:
        usage = np.where(usage == 0, np.nan, usage)
    ts_utc = uh.astype("datetime64[s]")
    model = fit_hourly(
        ts_utc[base],
        usage[base],
        t[base],
        timezone=args["timezone"],
        temperature_unit=args["unit"],
    )
    warnings = list(model.warnings)
    if n_filled:
        warnings.append(
            engine.Warning(
                "temperature_gaps_interpolated",
                f"{n_filled} missing hours of temperature were filled by linear interpolation.",
                {"n_hours": n_filled},
            )
        )
    st = model.statistics
    out = {
        "model": {
            "method": "hourly",
            "form": "towt",
            "temperature_unit": args["unit"],
            "timezone": args["timezone"],
            "heating_balance_point": None,
            "cooling_balance_point": None,
            "intercept": None,
            "beta_hdd": None,
            "beta_cdd": None,
        },
        "fit": _fit_section(st),
        "savings": None,
        "warnings": [w.to_dict() for w in warnings],
    }
    if reporting:
        rep = within(reporting)
        pred = model.predict(ts_utc[rep], t[rep])
        obs = usage[rep]
        used = np.isfinite(pred) & np.isfinite(obs)
        adj, rep_total = float(pred[used].sum()), float(obs[used].sum())
        avoided = adj - rep_total
        fsu = {}
        for conf in (0.68, 0.90):
            ok = st is not None and st.n > st.p and used.any() and adj and math.isfinite(st.cvrmse)
            fsu[conf] = (
                _clean(
                    mv_stats.fsu(
                        cvrmse=st.cvrmse,
                        n=st.n,
                        p=st.p,
                        m=int(used.sum()),
                        savings_fraction=avoided / adj,
                        rho=st.autocorrelation,
                        confidence=conf,
                    )
                )
                if ok
                else None
            )
        out["savings"] = {
            "start": str(reporting[0]),
            "end": str(reporting[1]),
            "adjusted_baseline": adj,
            "reporting": rep_total,
            "avoided": avoided,
            "fsu_68": fsu[0.68],
            "fsu_90": fsu[0.90],
            "n_hours_used": int(used.sum()),
        }
        if st is not None:
            out["savings"]["g14"] = mv_stats.g14_verdict(
                st.cvrmse, st.nmbe, _months(reporting), fsu[0.68]
            )
    return out


def _months(period) -> float:
    return (period[1] - period[0]).days / (365.25 / 12)


def _fit_section(st) -> dict | None:
    if st is None:
        return None
    d = st.to_dict()
    return {k: d[k] for k in ("n", "p", "r_squared", "adj_r_squared", "cvrmse", "nmbe")} | {
        "autocorrelation": d["autocorrelation"]
    }


def _result(model, savings, extra_warnings, reporting) -> dict:
    from emc.mv.engine import stats as mv_stats

    md = model.to_dict()
    warnings = [w.to_dict() for w in extra_warnings] + md["warnings"]
    out = {
        "model": {
            k: md[k]
            for k in (
                "method",
                "form",
                "temperature_unit",
                "heating_balance_point",
                "cooling_balance_point",
                "intercept",
                "beta_hdd",
                "beta_cdd",
            )
        },
        "fit": _fit_section(model.statistics),
        "savings": None,
        "warnings": warnings,
        "baseline_model": md,
    }
    if savings is not None:
        sd = savings.to_dict()
        warnings += sd.pop("warnings")
        out["savings"] = {
            k: sd[k] for k in ("adjusted_baseline", "reporting", "avoided", "fsu_68", "fsu_90")
        } | {
            "start": str(reporting[0]),
            "end": str(reporting[1]),
            "non_routine": sd["non_routine"],
            "n_days": sd["n_days"],
            "n_days_used": sd["n_days_used"],
            "by_month": sd["by_month"],
            "g14": mv_stats.g14_verdict(
                model.statistics.cvrmse, model.statistics.nmbe, _months(reporting), sd["fsu_68"]
            ),
        }
    return out


# ------------------------------------------------------------------------------------ output


def _fmt(v, spec=",.1f", none="—"):
    return none if v is None else format(v, spec)


def _pct(v):
    return "—" if v is None else f"{v:.1%}"


def _human(result: dict) -> str:
    m, f, s = result["model"], result["fit"], result["savings"]
    lines = [f"Baseline model: {m['method']}, {m['form']}"]
    unit = m["temperature_unit"]
    if m.get("day_types"):
        dtp = m["day_types"]
        for name, b0 in dtp["intercepts"].items():
            lines.append(f"  intercept {name:<14} {_fmt(b0, ',.3f')} per day")
        for name, into in dtp["merged"].items():
            if dtp["day_counts"].get(name):
                lines.append(f"  {name} days use the intercept of {into}")
        for key, label in (("vacation_beta_hdd", "heating"), ("vacation_beta_cdd", "cooling")):
            if dtp[key] is not None:
                lines.append(f"  vacation {label:<11} {_fmt(dtp[key], ',.3f')} per degree-day")
    elif m["method"] != "hourly":
        lines.append(f"  intercept            {_fmt(m['intercept'], ',.3f')} per day")
        if m["beta_hdd"] is not None:
            lines.append(
                f"  heating              {_fmt(m['beta_hdd'], ',.3f')} per HDD "
                f"above balance point {m['heating_balance_point']:g} °{unit}"
            )
        if m["beta_cdd"] is not None:
            lines.append(
                f"  cooling              {_fmt(m['beta_cdd'], ',.3f')} per CDD "
                f"above balance point {m['cooling_balance_point']:g} °{unit}"
            )
    else:
        lines.append(f"  time-of-week and temperature, timezone {m['timezone']}")
    if f is not None:
        lines += [
            "Fit (ASHRAE Guideline 14):",
            f"  n = {f['n']}, parameters = {f['p']}",
            f"  R² = {_fmt(f['r_squared'], '.4f')}, adjusted R² = {_fmt(f['adj_r_squared'], '.4f')}",
            f"  CV(RMSE) = {_pct(f['cvrmse'])}, NMBE = {_pct(f['nmbe'])}",
            f"  lag-1 autocorrelation of residuals = {_fmt(f['autocorrelation'], '.3f')}",
        ]
    if s is None:
        lines.append("Savings: no reporting period given.")
    else:
        g = s.get("g14")
        lines += [
            f"Savings {s['start']} to {s['end']} (end exclusive):",
            f"  adjusted baseline    {_fmt(s['adjusted_baseline'])}",
            f"  reporting use        {_fmt(s['reporting'])}",
            f"  avoided energy       {_fmt(s['avoided'])}",
            f"  FSU                  ±{_pct(s['fsu_68'])} at 68 %, ±{_pct(s['fsu_90'])} at 90 %",
        ]
        if g is not None:
            lines.append(f"  G14 baseline check   {'pass' if g['passed'] else 'FAIL'}")
    if result["warnings"]:
        lines.append("Warnings:")
        lines += [f"  [{w['code']}] {w['message']}" for w in result["warnings"]]
    return "\n".join(lines)


@mv.command("fit")
@click.option(
    "--usage",
    "usage_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Usage CSV: date,value (daily); start,end,value (billing); timestamp,value (hourly).",
)
@click.option(
    "--temperature",
    "temperature_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Temperature CSV: timestamp,temperature (hourly readings or daily means).",
)
@click.option("--baseline", nargs=2, type=DATE, required=True, help="START END, inclusive.")
@click.option("--reporting", nargs=2, type=DATE, default=None, help="START END, inclusive.")
@click.option(
    "--method",
    type=click.Choice(["daily", "billing", "hourly"]),
    default="daily",
    show_default=True,
)
@click.option(
    "--temperature-unit",
    "unit",
    type=click.Choice(["C", "F"]),
    default="C",
    show_default=True,
    help="Unit of the temperature file; the model keeps it.",
)
@click.option(
    "--billing-end",
    type=click.Choice(["exclusive", "inclusive"]),
    default="exclusive",
    show_default=True,
    help="Whether a bill's end date is the next bill's start (exclusive) or its last day.",
)
@click.option("--bimonthly", is_flag=True, help="Accept bills of up to 70 days.")
@click.option("--zeros-missing", is_flag=True, help="Treat zero usage as missing (electricity).")
@click.option(
    "--allow-insufficient", is_flag=True, help="Fit even if CalTRACK data sufficiency fails."
)
@click.option(
    "--timezone",
    default="Asia/Shanghai",
    show_default=True,
    help="IANA zone of naive timestamps (hourly method).",
)
@click.option(
    "--calendar",
    "calendar_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Day-type CSV (date,day_type: workday, weekend, holiday, makeup_workday, vacation): "
    "fit the daily model with day types; unlisted days by weekday and China's statutory calendar.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
def fit(
    usage_path,
    temperature_path,
    baseline,
    reporting,
    method,
    unit,
    billing_end,
    bimonthly,
    zeros_missing,
    allow_insufficient,
    timezone,
    calendar_path,
    as_json,
):
    """Fit a baseline model to CSV files and, with --reporting, compute avoided energy."""
    from emc.mv import engine

    if calendar_path is not None and method != "daily":
        raise click.BadParameter("day types need the daily method", param_hint="--calendar")
    for path in (usage_path, temperature_path) + ((calendar_path,) if calendar_path else ()):
        if not Path(path).is_file():
            raise DataFileError(f"{path}: no such file")
    args = {
        "usage": usage_path,
        "temperature": temperature_path,
        "baseline": _period("--baseline", baseline),
        "reporting": _period("--reporting", reporting) if reporting else None,
        "unit": unit,
        "billing_end": billing_end,
        "bimonthly": bimonthly,
        "zeros_missing": zeros_missing,
        "allow_insufficient": allow_insufficient,
        "timezone": timezone,
        "calendar": calendar_path,
    }
    runner = {"daily": _fit_daily, "billing": _fit_billing, "hourly": _fit_hourly}[method]
    try:
        result = runner(args)
    except engine.InsufficientDataError as exc:
        details = "\n".join(f"  [{w.code}] {w.message}" for w in exc.warnings if w.disqualifying)
        raise click.ClickException(
            f"{exc}\n{details}\n(use --allow-insufficient to fit anyway)"
        ) from exc
    except engine.InvalidInputError as exc:
        raise DataFileError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, allow_nan=False, indent=2))
    else:
        click.echo(_human(result))


def _register_events() -> None:
    # The savings watch's change-point scan on the same files (its code lives in emc.watch).
    from emc.watch.cli import events

    mv.add_command(events)


_register_events()
