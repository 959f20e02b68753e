"""The ``emc`` command: database, organisations, users, demo data, and the production server."""

from __future__ import annotations

import json
import logging
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from emc import migrate
from emc.config import Settings, SettingsError
from emc.db import make_engine, make_session_factory, unit_of_work
from emc.mv.cli import mv


def _create_app():
    from emc.app import create_app

    # Commands run against databases at any revision (db upgrade must work on an empty one);
    # `emc serve` checks the revision itself before it starts.
    return create_app(check_migrations=False)


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def cli():
    """emc — energy performance contracting for public institutions."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def _settings() -> Settings:
    return current_app.config["EMC_SETTINGS"]


def _factory():
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
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision):
    """Upgrade the database to REVISION (default: head)."""
    _settings().instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"database at {migrate.current_revision(make_engine(_settings().database_url))}")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Downgrade the database to REVISION (e.g. -1 or base)."""
    migrate.downgrade(_settings().database_url, revision)
    click.echo(
        f"database at {migrate.current_revision(make_engine(_settings().database_url)) or 'base'}"
    )


@db.command("current")
@with_appcontext
def db_current():
    """Show the database revision and the head."""
    current = migrate.current_revision(make_engine(_settings().database_url))
    head = migrate.head_revision()
    click.echo(
        f"current: {current or 'none'}; head: {head}"
        + ("" if current == head else "  (run `emc db upgrade`)")
    )


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
@click.password_option("--password", prompt="Password", help="at least 10 characters")
@with_appcontext
def users_create(password, **options):
    """Create a user in an organisation."""
    import marshmallow as ma

    from emc.auth import service
    from emc.auth.schemas import UserIn
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
            logins = demo_data.build(session)
    click.echo(f"\nDemo logins (password for all: {demo_data.DEMO_PASSWORD})\n")
    for email, org, role in logins:
        click.echo(f"  {email:<34} {role:<18} {org}")
    click.echo("\nStart the service with `emc serve`, then open http://127.0.0.1:5000")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host, port, threads):
    """Run the production WSGI server (waitress)."""
    from waitress import serve as waitress_serve

    from emc.app import create_app
    from emc.migrate import NotAtHead

    try:
        app = create_app()
    except NotAtHead as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"emc serving on http://{host}:{port}  (Ctrl+C stops)")
    waitress_serve(app, host=host, port=port, threads=threads)


cli.add_command(mv)


def main() -> None:
    try:
        cli.main(prog_name="emc")
    except SettingsError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
