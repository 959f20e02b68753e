"""Who is making the request: session login (Flask-Login), bearer API tokens, CSRF, locale."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import UserMixin, current_user
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, ValidationError

from emc import clock
from emc.auth.actor import Actor
from emc.auth.models import Organization, User
from emc.auth.service import (
    Principal,
    TokenRejected,
    authenticate_token,
    record_token_use,
    session_principal,
    token_use_due,
)
from emc.schemas import INT_MAX
from emc.web.db import SAFE_METHODS, after_session, db
from emc.web.extensions import babel, csrf, login_manager

SUPPORTED_LOCALES = ("zh_CN", "en")


class LoginUser(UserMixin):
    """What Flask-Login keeps for the request: the actor, plus a session id that names the
    user's session version, so that logging out or changing the password (which move the
    version on, server side) kills every earlier cookie, replayed copies included."""

    def __init__(self, principal: Principal):
        self.actor = principal.actor
        self.display_name = principal.display_name
        self._session_id = f"{principal.actor.user_id}.{principal.session_version}"

    @classmethod
    def of(cls, user: User, org: Organization) -> LoginUser:
        """At login: from the user and organisation just loaded."""
        return cls(Principal.of(user, org))

    def get_id(self) -> str:
        return self._session_id


def _load(session: Session, user_id: int) -> LoginUser | None:
    principal = session_principal(session, user_id)
    return None if principal is None else LoginUser(principal)


def _record_token_use(factory, token_id: int, now) -> None:
    """Note the token's use in a short transaction of its own, so a read-only request stays
    read-only. Best effort: a token that cannot be stamped this minute still authenticates.
    It runs after the request's session has been released (``after_session``)."""
    from sqlalchemy.exc import SQLAlchemyError

    from emc.db import unit_of_work

    try:
        with unit_of_work(factory) as session:
            record_token_use(session, token_id, now)
    except SQLAlchemyError:
        import logging

        logging.getLogger(__name__).warning("could not record the use of token %s", token_id)


def current_actor() -> Actor | None:
    """The acting user for services, or None for an anonymous request."""
    if current_user and current_user.is_authenticated:
        return current_user.actor
    return None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def safe_next(target: str | None) -> str:
    """Only same-site relative targets: an open redirect would make our pages a phishing aid.

    A target with a control character (CR/LF would split the Location header), a backslash
    (browsers read ``/\\evil.example`` as ``//evil.example``), a scheme or a host falls back to
    the home page.
    """
    from urllib.parse import urlsplit

    from flask import url_for

    if (
        target
        and len(target) <= 2000
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("core.home")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def select_locale() -> str:
    actor = current_actor()
    if actor is not None and actor.locale in SUPPORTED_LOCALES:
        return actor.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best == "en":
        return "en"
    if best in ("zh", "zh_CN"):
        return "zh_CN"
    from flask import current_app

    return current_app.config["BABEL_DEFAULT_LOCALE"]


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a non-negative integer inside the INTEGER column range.

    Anything else (2**31, a 5,000-digit number) matches no route, so it is a 404 like any id
    that does not exist, and never reaches the database, where it would overflow.
    """

    def __init__(self, map, fixed_digits=0, min=0, max=INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str):
        if len(value.lstrip("-")) > len(str(INT_MAX)):
            raise ValidationError()
        return super().to_python(value)


class YearConverter(IdConverter):
    """``<year:...>``: a calendar year emc can hold (1900–2199); any other number is a 404.

    Python's dates end at 9999, and no schedule, calendar or target reaches past 2199.
    """

    def __init__(self, map):  # noqa: A002
        super().__init__(map, min=1900, max=2199)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without the work a request that has no session cookie
    does not need: Flask built a new cookie serializer (its key list, signer settings) on every
    open and save, and an API request with a bearer token carries no cookie at all. The
    serializer is now built once per set of keys, and a request without the cookie opens an
    empty session without one."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {keys: serializer}  # the keys changed: only the new set is kept
        return serializer

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    # Before any blueprint is registered: rules bind their converters when they are added.
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["year"] = YearConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _user_loader(session_id: str):
        # A request that presents a bearer token is judged by the token alone: a session cookie
        # riding along must not authenticate it, or the CSRF exemption below would apply to it.
        if bearer_token() is not None:
            return None
        user_id, _, fingerprint = session_id.partition(".")
        if not user_id.isdigit():
            return None
        loaded = _load(db(), int(user_id))
        if loaded is None or loaded.get_id() != session_id:
            return None
        return loaded

    @login_manager.request_loader
    def _token_loader(_request):
        secret = bearer_token()
        if secret is None:
            return None
        try:
            principal = authenticate_token(db(), secret)
        except TokenRejected as rejected:
            g.token_rejected = rejected.reason
            return None
        g.token_auth = True
        now = clock.now()
        token_id = principal.token_id
        if token_use_due(principal.token_last_used_at, now):
            if request.method in SAFE_METHODS:
                factory = current_app.extensions["emc.session_factory"]
                after_session(lambda: _record_token_use(factory, token_id, now))
            else:
                # A writing request holds the write lock already (SQLite): a second
                # transaction would wait for it until the busy timeout. Stamp it in this one.
                record_token_use(db(), token_id, now)
        return LoginUser(principal)

    @login_manager.unauthorized_handler
    def _unauthorized():
        from emc.web.errors import unauthorized_response

        return unauthorized_response()

    # CSRF is checked by hand so that bearer-token API calls (no cookies, so no CSRF risk)
    # are exempt while every cookie-authenticated write, page or API, must carry the token.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def _csrf_unless_token():
        if request.method in SAFE_METHODS:
            return
        if bearer_token() is not None or not app.config.get("WTF_CSRF_ENABLED", True):
            return
        csrf.protect()

    babel.init_app(app, locale_selector=select_locale)
