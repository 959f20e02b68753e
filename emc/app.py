"""The application factory.

Initialisation order matters and is fixed here: settings → response headers and access log
(first, so their hooks run last and see the final response) → database → security (login,
CSRF, locale) → rate limiter → error handlers → blueprints (pages, then the JSON API) → static
assets.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, send_from_directory
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import Rule

from emc import paths
from emc.config import Settings
from emc.db import make_engine, make_session_factory
from emc.migrate import assert_at_head
from emc.web import db as web_db
from emc.web import errors, headers, security
from emc.web.extensions import api, limiter

log = logging.getLogger(__name__)


class _Rule(Rule):
    """Werkzeug's URL rule, whose two URL builders are compiled when first used. Werkzeug
    writes and compiles Python code for both as each rule is added; most of emc's 219 rules are
    never built (an API route is called, not linked), and compiling them all was a tenth of
    starting ``emc serve``. The first build compiles Werkzeug's own builder and keeps it."""

    def _compile_builder(self, append_unknown: bool = True):
        compile_builder = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, /, **values):
            builder = compile_builder(append_unknown).__get__(rule, None)
            setattr(rule, name, builder)
            return builder(**values)

        return build


class _Flask(Flask):
    url_rule_class = _Rule


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    check_migrations: bool = True,
) -> Flask:
    """Build the Flask app.

    Args:
        settings: defaults to ``Settings.from_env()``.
        session_factory: sessions for requests; tests pass one bound to a rolled-back connection.
        check_migrations: refuse to start unless the database is at the Alembic head.
    """
    settings = settings or Settings.from_env()
    app = _Flask(
        "emc",
        template_folder=str(paths.TEMPLATES_DIR),
        static_folder=str(paths.STATIC_DIR),
        instance_path=str(settings.instance_path.resolve()),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        EMC_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(paths.TRANSLATIONS_DIR),
        RATELIMIT_HEADERS_ENABLED=True,
        API_TITLE="emc",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {"description": "emc: energy performance contracting for public institutions"},
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    )

    if session_factory is None:
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        if check_migrations:
            try:
                assert_at_head(engine)
            except Exception:
                engine.dispose()
                raise
        session_factory = make_session_factory(engine)
    app.extensions["emc.session_factory"] = session_factory

    headers.init_app(app)
    web_db.init_app(app)
    security.init_app(app)
    limiter.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    _register_assets(app)
    _register_template_helpers(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from emc.audit import api as audit_api
    from emc.audit import views as audit_views
    from emc.auth import api as auth_api
    from emc.auth import views as auth_views
    from emc.contracts import api as contracts_api
    from emc.contracts import views as contracts_views
    from emc.facilities import api as facilities_api
    from emc.facilities import views as facilities_views
    from emc.mv import api as mv_api
    from emc.mv import views as mv_views
    from emc.notifications import views as notification_views
    from emc.programme import api as programme_api
    from emc.programme import views as programme_views
    from emc.watch import api as watch_api
    from emc.watch import views as watch_views
    from emc.web import views as core_views

    for blueprint in (
        core_views.bp,
        auth_views.bp,
        auth_views.admin_bp,
        contracts_views.bp,
        notification_views.bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(facilities_views.bp)
    app.register_blueprint(mv_views.bp)
    app.register_blueprint(programme_views.bp)
    app.register_blueprint(audit_views.bp)
    from emc.calendars import views as calendar_views

    app.register_blueprint(calendar_views.bp)
    app.register_blueprint(watch_views.bp)

    api.init_app(app)
    for blueprint in (auth_api.blp, contracts_api.blp, notification_views.blp):
        api.register_blueprint(blueprint)
    api.register_blueprint(facilities_api.blp)
    api.register_blueprint(mv_api.blp)
    api.register_blueprint(programme_api.blp)
    api.register_blueprint(audit_api.blp)
    from emc.calendars import api as calendars_api

    api.register_blueprint(calendars_api.blp)
    api.register_blueprint(watch_api.blp)


def _register_assets(app: Flask) -> None:
    import swagger_ui_bundle

    # Swagger UI is served from the installed package: no CDN at run time.
    @app.route("/static/swagger-ui/<path:filename>", endpoint="swagger_ui_asset")
    def _swagger_asset(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _register_template_helpers(app: Flask) -> None:
    from emc.web import templating

    templating.init_app(app)
