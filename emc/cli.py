"""The ``emc`` command: database, organisations, users, demo data, and the production server."""

from __future__ import annotations

import json
import logging
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from emc.config import Settings, SettingsError
from emc.mv.cli import mv


def _create_app():
    from emc.app import create_app

    # Commands run against databases at any revision (db upgrade must work on an empty one);
    # `emc serve` checks the revision itself before it starts.
    return create_app(check_migrations=False)


class _Group(FlaskGroup):
    """Flask's command group (app context, ``ScriptInfo``) with emc's own commands only.

    FlaskGroup also looks for third-party plugin commands (``flask.commands`` entry points:
    a scan of every installed distribution, and flask-limiter's imports ``limits`` and
    ``rich``) and builds the whole application to list the app's commands. emc registers
    every command here and none on the app, so neither is needed: without them ``emc --help``
    no longer builds the application (3 s of CPU) and ``emc mv fit`` skips a tenth of a second.
    """

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super(FlaskGroup, self).get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return super(FlaskGroup, self).list_commands(ctx)


@click.group(
    cls=_Group, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def cli():
    """emc — energy performance contracting for public institutions."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def _settings() -> Settings:
    return current_app.config["EMC_SETTINGS"]


def _factory():
    from emc.db import make_engine, make_session_factory

    return make_session_factory(make_engine(_settings().database_url))


def _platform_actor(session):
    """The CLI acts as the first active platform admin, so its changes are journaled as theirs."""
    from sqlalchemy import select

    from emc.auth.actor import Actor
    from emc.auth.models import Organization, OrgKind, Role, User

    user = session.scalar(
        select(User)
        .join(Organization, Organization.id == User.organization_id)
        .where(Organization.kind == OrgKind.PLATFORM, User.role == Role.ADMIN, User.is_active)
        .order_by(User.id)
    )
    if user is None:
        raise click.ClickException(
            "no platform admin exists yet: run `emc demo` or `emc users create-admin` first"
        )
    user.organization = session.get(Organization, user.organization_id)
    return Actor.of(user)


# --- db --------------------------------------------------------------------------------------


@cli.group()
def db():
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Upgrade the database to REVISION (default: head)."""
    from emc import migrate

    _settings().instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(_settings().database_url, revision)
    _echo_revision()


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Downgrade the database to REVISION (e.g. -1 or base)."""
    from emc import migrate

    migrate.downgrade(_settings().database_url, revision)
    _echo_revision()


def _echo_revision() -> None:
    from emc import migrate
    from emc.db import make_engine

    engine = make_engine(_settings().database_url)
    click.echo(f"database at {migrate.describe(migrate.current_revisions(engine))}")
    engine.dispose()


@db.command("current")
@with_appcontext
def db_current():
    """Show the database revision and the head."""
    from emc import migrate
    from emc.db import make_engine

    current = migrate.current_revisions(make_engine(_settings().database_url))
    heads = migrate.head_revisions()
    suffix = "" if current == heads else "  (run `emc db upgrade`)"
    click.echo(f"current: {migrate.describe(current)}; head: {migrate.describe(heads)}{suffix}")


# --- organisations and users ----------------------------------------------------------------


def _invalid_to_click(error) -> click.ClickException:
    details = "; ".join(
        f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in error.fields.items()
    )
    return click.ClickException(f"{error.message}" + (f" ({details})" if details else ""))


@cli.group()
def orgs():
    """Organisations."""


@orgs.command("create")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["institution", "esco", "auditor", "agency", "platform"]),
)
@click.option("--name-zh", required=True)
@click.option("--name-en")
@click.option("--region", "region_code", required=True, help="6-digit GB/T 2260 code")
@click.option(
    "--sector", type=click.Choice(["government", "school", "hospital", "culture_sports", "other"])
)
@click.option("--credit-code")
@with_appcontext
def orgs_create(**options):
    """Create an organisation."""
    import marshmallow as ma

    from emc.auth import service
    from emc.auth.schemas import OrganizationIn
    from emc.db import unit_of_work
    from emc.errors import EmcError

    raw = {k: v for k, v in options.items() if v is not None}
    try:
        data = OrganizationIn().load(raw)
    except ma.ValidationError as error:
        raise click.ClickException(
            f"invalid: {json.dumps(error.messages, ensure_ascii=False)}"
        ) from None
    try:
        with unit_of_work(_factory()) as session:
            org = service.create_organization(session, _platform_actor(session), **data)
            click.echo(f"organisation {org.id} created: {org.name_zh}")
    except EmcError as error:
        raise _invalid_to_click(error) from None


@orgs.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def orgs_list(as_json):
    """List organisations."""
    from emc.auth.models import Organization
    from emc.auth.policy import scoped
    from emc.auth.schemas import OrganizationOut
    from emc.db import unit_of_work

    with unit_of_work(_factory()) as session:
        rows = list(
            session.scalars(
                scoped(_platform_actor(session), Organization).order_by(Organization.id)
            )
        )
        if as_json:
            click.echo(
                json.dumps(OrganizationOut(many=True).dump(rows), ensure_ascii=False, indent=2)
            )
        else:
            for o in rows:
                click.echo(f"{o.id:>5}  {o.kind:<12} {o.region_code}  {o.name_zh}")


@cli.group()
def users():
    """Users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--org", "organization_id", required=True, type=int)
@click.option("--role", required=True)
@click.option("--locale", default="zh_CN", type=click.Choice(["zh_CN", "en"]))
@click.password_option(
    "--password", prompt="Password", help="at least 12 characters, not a common password"
)
@with_appcontext
def users_create(password, **options):
    """Create a user in an organisation."""
    import marshmallow as ma

    from emc.auth import service
    from emc.auth.schemas import UserIn
    from emc.db import unit_of_work
    from emc.errors import EmcError

    try:
        data = UserIn().load({**options, "password": password})
    except ma.ValidationError as error:
        raise click.ClickException(
            f"invalid: {json.dumps(error.messages, ensure_ascii=False)}"
        ) from None
    try:
        with unit_of_work(_factory()) as session:
            user = service.create_user(session, _platform_actor(session), **data)
            click.echo(f"user {user.id} created: {user.email}")
    except EmcError as error:
        raise _invalid_to_click(error) from None


@users.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="Platform administrator")
@click.password_option("--password", prompt="Password")
@with_appcontext
def users_create_admin(email, display_name, password):
    """Bootstrap: create the platform organisation (if missing) and a platform admin."""
    from emc.db import unit_of_work
    from emc.demo import bootstrap_platform_admin

    with unit_of_work(_factory()) as session:
        user = bootstrap_platform_admin(
            session, email=email, display_name=display_name, password=password
        )
        click.echo(f"platform admin {user.id} created: {user.email}")


# --- demo and serve ------------------------------------------------------------------------


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Drop everything and build the demo from scratch.")
@with_appcontext
def demo(reset):
    """Build the demo database: organisations and users of every kind and role."""
    from emc import demo as demo_data
    from emc import migrate
    from emc.db import make_engine, make_session_factory, unit_of_work

    settings = _settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    if reset:
        demo_data.reset_database(engine, settings.database_url)
    migrate.upgrade(settings.database_url)
    with unit_of_work(make_session_factory(engine)) as session:
        if demo_data.already_built(session):
            click.echo("the demo data is already there (use --reset to rebuild it)")
            logins = demo_data.DEMO_LOGINS
        else:
            logins = demo_data.build(session, programme_projects=True)
    click.echo(f"\nDemo logins (password for all: {demo_data.DEMO_PASSWORD})\n")
    for email, org, role in logins:
        click.echo(f"  {email:<34} {role:<18} {org}")
    click.echo("\nStart the service with `emc serve`, then open http://127.0.0.1:5000")


@cli.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the background-job scheduler (its own process; never inside web workers)."""
    from emc.scheduler import run_scheduler

    click.echo("emc scheduler running (Ctrl+C stops)")
    run_scheduler(_settings())


@cli.group()
def jobs():
    """Background jobs: list them, or run one now."""


@jobs.command("list")
@with_appcontext
def jobs_list():
    import emc.jobs  # noqa: F401
    from emc.scheduler import JOBS

    for entry in JOBS.values():
        click.echo(f"{entry.name:<20} {entry.cron}  {entry.description}")


@jobs.command("run")
@click.argument("name")
@click.option("--key", help="what the run processes (default: today's date)")
@click.option("--force", is_flag=True, help="run even if this key already succeeded")
@with_appcontext
def jobs_run(name, key, force):
    """Run job NAME once now (idempotent for its key unless --force)."""
    import emc.jobs  # noqa: F401
    from emc.scheduler import run_job

    try:
        run = run_job(_factory(), _settings(), name, key, force=force)
    except KeyError as error:
        raise click.ClickException(str(error.args[0])) from None
    click.echo(f"{run.job_name} [{run.key}]: {run.status} {run.summary or ''}")
    if run.status == "failed":
        click.echo(run.error, err=True)
        sys.exit(1)


@cli.group()
def programme():
    """Programme tracking: maintenance of the dashboard's summary table."""


@programme.command("rebuild-summary")
@with_appcontext
def programme_rebuild_summary():
    """Recompute the dashboard's per-region summary from projects and M&V reports (writes keep
    it in step and the nightly snapshot rebuilds it; run this after a bulk load)."""
    from emc.db import unit_of_work
    from emc.programme import summary

    with unit_of_work(_factory()) as session:
        counts = summary.rebuild(session)
    click.echo(f"programme summary rebuilt: {counts['rows']} rows, {counts['regions']} regions")


@cli.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="worker processes (gunicorn); default one per core, 2 to 8; 1 serves with waitress",
)
@click.option("--threads", default=8, show_default=True, type=int, help="threads per worker")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="run background jobs in this process (only one scheduler runs them at a time)",
)
def serve(host, port, workers, threads, scheduler):
    """Run the production WSGI server, with the job scheduler unless --no-scheduler.

    On Linux: gunicorn with several worker processes (one Python process uses one core).
    Where there is no fork (Windows), or with --workers 1: waitress, one process."""
    from emc import server

    # No app context for this command: it builds the one application it serves, once.
    settings = Settings.from_env()
    if "EMC_DB_POOL_SIZE" not in os.environ:
        # A connection for every thread, and one for the scheduler's jobs.
        settings = settings.replace(db_pool_size=threads + 1)
    with server.long_lived():
        from emc.app import create_app
        from emc.migrate import NotAtHead

        try:
            app = create_app(settings)
        except NotAtHead as error:
            raise click.ClickException(str(error)) from None
    if workers is None:
        workers = server.default_workers() if server.gunicorn_available() else 1

    def start_scheduler():
        from emc.scheduler import start_in_process

        start_in_process(settings)

    click.echo(f"emc serving on http://{host}:{port}  (Ctrl+C stops)")
    if workers > 1 and server.gunicorn_available():
        # Every worker starts a scheduler; the database lease lets one run jobs at a time.
        server.run_gunicorn(
            app,
            host,
            port,
            workers=workers,
            threads=threads,
            in_worker=start_scheduler if scheduler else None,
        )
        return
    from waitress import serve as waitress_serve

    if scheduler:
        start_scheduler()
    waitress_serve(app, host=host, port=port, threads=threads)


# --- meters and weather --------------------------------------------------------------------


def _print_problems(error) -> None:
    click.echo(f"Error: {error.message}", err=True)
    for key, messages in error.fields.items():
        for message in messages if isinstance(messages, list) else [messages]:
            click.echo(f"  {key}: {message}", err=True)


@cli.group()
def meters():
    """Meters and their readings."""


@meters.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def meters_list(as_json):
    """List meters with their site, carrier, unit and number of readings."""
    from sqlalchemy import func, select

    from emc.auth.policy import scoped
    from emc.db import unit_of_work
    from emc.facilities.models import Meter, MeterReading
    from emc.facilities.schemas import MeterOut

    with unit_of_work(_factory()) as session:
        rows = list(session.scalars(scoped(_platform_actor(session), Meter).order_by(Meter.id)))
        counts = dict(
            session.execute(
                select(MeterReading.meter_id, func.count()).group_by(MeterReading.meter_id)
            ).all()
        )
        if as_json:
            out = MeterOut(many=True).dump(rows)
            for item in out:
                item["readings"] = counts.get(item["id"], 0)
            click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            for m in rows:
                interval = f" {m.interval_minutes}min" if m.interval_minutes else ""
                click.echo(
                    f"{m.id:>5}  site {m.site_id:<4} {m.carrier.value:<14} {m.unit:<5}"
                    f" {m.kind.value}{interval:<7} {counts.get(m.id, 0):>9} readings  {m.name}"
                )


@meters.command("import")
@click.argument("meter_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["interval", "billing", "register"]), help="file layout"
)
@click.option("--unit", help="unit of the values if the header does not say (e.g. MWh, 度)")
@click.option("--replace", is_flag=True, help="overwrite stored readings in the same period")
@with_appcontext
def meters_import(meter_id, file, fmt, unit, replace):
    """Import a CSV/XLSX FILE of readings into meter METER_ID, all or nothing.

    Exits with status 2 if the file has problems (each printed with its row and column).
    """
    from pathlib import Path

    from emc.db import unit_of_work
    from emc.errors import Conflict, EmcError, Invalid
    from emc.facilities import service

    file = Path(file)
    max_bytes = _settings().max_upload_mb * 1024 * 1024
    try:
        with (
            unit_of_work(_factory()) as session,
            file.open("rb") as stream,
            click.progressbar(length=file.stat().st_size, label=file.name, file=sys.stderr) as bar,
        ):

            def progress(_rows: int) -> None:
                bar.update(stream.tell() - bar.pos)

            result = service.import_readings(
                session,
                _platform_actor(session),
                meter_id,
                stream,
                filename=file.name,
                fmt=fmt,
                unit=unit,
                replace=replace,
                max_bytes=max_bytes,
                progress=progress,
            )
            bar.update(bar.length - bar.pos)
    except Invalid as error:
        _print_problems(error)
        sys.exit(2)
    except Conflict as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    except EmcError as error:
        raise _invalid_to_click(error) from None
    click.echo(result.message)
    for warning in result.warnings:
        click.echo(f"warning: {warning}")


@cli.group()
def weather():
    """Weather stations and their temperatures."""


@weather.command("import")
@click.argument("station")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="create the station STATION (a new code) with this name first")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--replace", is_flag=True, help="overwrite stored temperatures in the same period")
@with_appcontext
def weather_import(station, file, name, timezone, replace):
    """Import temperatures (time, °C) from FILE for STATION (its code or id)."""
    from pathlib import Path

    from emc.db import unit_of_work
    from emc.errors import Conflict, EmcError, Invalid, NotFound
    from emc.facilities import service

    file = Path(file)
    try:
        with unit_of_work(_factory()) as session, file.open("rb") as stream:
            actor = _platform_actor(session)
            if name:
                try:
                    service.find_station(session, station)
                except NotFound:
                    service.create_station(
                        session, actor, code=station, name=name, timezone=timezone
                    )
            result = service.import_weather(
                session, actor, station, stream, filename=file.name, replace=replace
            )
    except Invalid as error:
        _print_problems(error)
        sys.exit(2)
    except Conflict as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    except EmcError as error:
        raise _invalid_to_click(error) from None
    click.echo(
        f"station {result.station.code}: {result.rows} temperatures imported"
        + (f", {result.replaced} replaced" if result.replaced else "")
    )


cli.add_command(mv)


def main() -> None:
    try:
        cli.main(prog_name="emc")
    except SettingsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # python -m emc.cli …, as the emc command
    main()
