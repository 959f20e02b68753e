"""Flask extensions, created once and bound to an app in ``emc.app.create_app``."""

from __future__ import annotations

import enum
import functools
import threading
from decimal import Decimal

import flask_smorest
import marshmallow as ma
from flask import Flask
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_smorest import Api
from flask_smorest.pagination import PaginationParameters
from flask_wtf.csrf import CSRFProtect
from marshmallow import validate
from webargs.flaskparser import FlaskParser

from emc.schemas import INT_MAX, ErrorEnvelope, ErrorResponsesPlugin, decimal2properties


class EmcApi(Api):
    """flask-smorest's Api, minus its own error handler: ``emc.web.errors`` handles all errors
    so pages and the JSON API share one mapping and one error shape."""

    # The one error shape, documented as every operation's default response.
    ERROR_SCHEMA = ErrorEnvelope

    def _register_error_handlers(self):
        pass

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        # Decimals are typed as the strings they are sent as (emc.schemas.decimal2properties).
        self.ma_plugin.converter.add_attribute_function(decimal2properties)

    # The OpenAPI document is written when it is first read, not when the app starts:
    # documenting every operation (flask-smorest deep-copies each one's doc and converts its
    # schemas) was a third of ``create_app``, paid by every process that never serves the
    # document. The routes themselves are registered at once, as before.
    # Threads that read the document while it is being written wait for the whole of it.
    _pending_docs: list[tuple] = []
    _docs_lock = threading.RLock()
    _documenting = False

    @property
    def spec(self):
        if self._pending_docs:
            with self._docs_lock:
                if self._pending_docs and not self._documenting:
                    self._documenting = True  # a read from within the writing sees it as is
                    try:
                        for app, blueprint, name, parameters in self._pending_docs:
                            blueprint.register_views_in_doc(
                                self, app, self._spec, name=name, parameters=parameters
                            )
                            self._spec.tag({"name": name, "description": blueprint.description})
                        self._pending_docs = []
                    finally:
                        self._documenting = False
        return self._spec

    @spec.setter
    def spec(self, value):
        # A new spec (``init_app``) starts a new document: nothing pending is carried over.
        self._spec = value
        self._pending_docs = []

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending_docs = [*self._pending_docs, (self._app, blp, name, parameters)]


# API lists are cut into pages of at most this many items (flask-smorest's ``page`` and
# ``page_size`` arguments, the whole in the ``X-Pagination`` header). The default page is the
# largest, so a client that reads only the body gets every item of any list a tenant holds
# today, while no request can make the server load and send an unbounded list (an agency's
# national project list).
API_PAGE_SIZE = 10_000


class QueryPage(flask_smorest.Page):
    """flask-smorest's pager for a SQLAlchemy ``Select`` of ORM entities, run on the request's
    session: one ``LIMIT/OFFSET`` query, and a ``count`` only when the page cannot tell the
    total (a full page, or a page after the first). The view returns the filtered, ordered
    statement. Web pages cut theirs with ``emc.paging.paginate``, which shows the last page
    for a page past the end; an API page past the end is empty, as flask-smorest documents."""

    def __init__(self, collection, page_params):
        from emc.auth.policy import derived
        from emc.paging import count_of
        from emc.web.db import db

        self.collection = collection
        self.page_params = page_params
        session = db()
        first, size = page_params.first_item, page_params.page_size
        window = derived(
            collection,
            ("page", first, size),
            lambda c: c.limit(size).offset(first) if first else c.limit(size),
        )
        self._items = self._fetch(session, window)
        if first == 0 and len(self._items) < size:
            page_params.item_count = len(self._items)
        else:
            page_params.item_count = count_of(session, collection)

    @property
    def items(self):
        return self._items

    def _fetch(self, session, window) -> list:
        return list(session.scalars(window))


class RowPage(QueryPage):
    """``QueryPage`` for a list whose answer names only its entity's own columns (a test holds
    every view that uses it to that): the page comes back as plain column mappings, read on the
    request's connection, instead of an ORM object per row through the session's execution
    machinery, which was a tenth of a short API request. The columns are read through the same
    types, so every value is what the entity would hold."""

    def _fetch(self, session, window) -> list:
        from emc.auth.policy import derived

        rows = derived(window, "rows", _own_columns)
        return session.connection().execute(rows).mappings().all()


def _own_columns(stmt):
    """``stmt``, a ``select(Model)``, selecting the model's column attributes by their names."""
    model = stmt.column_descriptions[0]["entity"]
    return stmt.with_only_columns(
        *(getattr(model, attr.key).label(attr.key) for attr in model.__mapper__.column_attrs)
    )


class _PagingParser(FlaskParser):
    """webargs' Flask parser for flask-smorest's pagination arguments: one schema instance per
    schema class instead of one per request, and no parsing at all when the request names
    neither ``page`` nor ``page_size`` (most requests): the defaults, as loading would give."""

    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type, ma.Schema] = {}
        self._defaults: dict[type, tuple[int, int]] = {}

    def remember_defaults(self, schema: type[ma.Schema]) -> None:
        fields = schema._declared_fields
        self._defaults[schema] = (fields["page"].load_default, fields["page_size"].load_default)

    def parse(self, argmap, req=None, **kwargs):
        defaults = self._defaults.get(argmap)
        if defaults is not None and req is not None:
            args = req.args
            if "page" not in args and "page_size" not in args:
                return PaginationParameters(*defaults)
        return super().parse(argmap, req, **kwargs)

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)


class _ArgumentsParser(FlaskParser):
    """webargs' Flask parser for operations' arguments, remembering what a query-string schema
    loads from an empty query string (most list requests send none): loading and validating
    nothing cost a twentieth of a short API request. Only schemas whose defaults are constants
    are remembered (a default such as ``list`` or today's date is built afresh), and each
    request gets its own copy of the result."""

    def __init__(self) -> None:
        super().__init__()
        self._empty_query: dict[int, tuple[ma.Schema, dict]] = {}

    def parse(self, argmap, req=None, *, location=None, validate=None, **kwargs):
        if location != "query" or validate is not None or req is None or req.args:
            return super().parse(argmap, req, location=location, validate=validate, **kwargs)
        remembered = self._empty_query.get(id(argmap))
        if remembered is not None and remembered[0] is argmap:
            return dict(remembered[1])
        result = super().parse(argmap, req, location=location, **kwargs)
        if (
            isinstance(argmap, ma.Schema)
            and isinstance(result, dict)
            and _constant(argmap)
            and all(isinstance(value, _IMMUTABLE) for value in result.values())
        ):
            self._empty_query[id(argmap)] = (argmap, dict(result))
        return result


def _constant(schema: ma.Schema) -> bool:
    """Whether loading ``{}`` into ``schema`` gives the same dict every time."""
    return all(
        not callable(field.load_default) and isinstance(field.load_default, _IMMUTABLE)
        for field in schema.fields.values()
    )


_IMMUTABLE = (type(ma.missing), type(None), bool, int, float, str, Decimal, enum.Enum)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, whose ``arguments`` parse with one schema instance per
    operation: given a class, webargs builds (and deep-copies the fields of) a new instance on
    every request, which cost a fifth of a short API request. Its pages hold up to
    ``API_PAGE_SIZE`` items, all of them by default."""

    DEFAULT_PAGINATION_PARAMETERS = {
        "page": 1,
        "page_size": API_PAGE_SIZE,
        "max_page_size": API_PAGE_SIZE,
    }
    ARGUMENTS_PARSER = _ArgumentsParser()
    PAGINATION_ARGUMENTS_PARSER = _PagingParser()

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        """flask-smorest's pagination metadata (the same keys and values), without building a
        marshmallow schema on every request to dump seven integers."""
        meta = {"total": item_count, "total_pages": -(-item_count // page_size)}
        if item_count:
            last = meta["total_pages"]
            meta.update(first_page=1, last_page=last)
            if page <= last:
                meta["page"] = page
                if page > 1:
                    meta["previous_page"] = page - 1
                if page < last:
                    meta["next_page"] = page + 1
        return meta

    def arguments(self, schema, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    # flask-smorest deep-copies each operation's doc (schema instances included) as its route
    # is registered, which was a tenth of starting ``emc serve``. The document is written only
    # when it is first read (``EmcApi.spec``), so these copies wait until then as well, and are
    # taken in the order the routes were registered.
    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        self.__dict__.setdefault("_unstored_docs", []).append(
            (endpoint, obj, parameters, tags, options)
        )

    def register_views_in_doc(self, *args, **kwargs):
        for endpoint, obj, parameters, tags, options in self.__dict__.pop("_unstored_docs", ()):
            super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        return super().register_views_in_doc(*args, **kwargs)

    def paginate(self, pager=None, **kwargs):
        """flask-smorest's pagination, with ``page`` bounded above as every integer a request
        carries is (``emc.schemas.INT_MAX``): an unbounded page number overflowed the OFFSET."""
        decorate = super().paginate(pager, **kwargs)

        def decorator(func):
            wrapper = decorate(func)
            schema = wrapper._apidoc["pagination"]["parameters"]["schema"]
            schema._declared_fields["page"].validators = [validate.Range(min=1, max=INT_MAX)]
            self.PAGINATION_ARGUMENTS_PARSER.remember_defaults(schema)
            wrapper._emc_pager = pager  # for the test that holds RowPage views to their columns
            return wrapper

        return decorator


csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


# In-process counters: enough for one server process; a multi-process deployment sets
# RATELIMIT_STORAGE_URI (e.g. redis://) through the app config.
class EmcLimiter(Limiter):
    """flask-limiter without its check before every request: emc sets no default, application
    or blueprint limits, only limits on the views that need them (login), and a decorated view
    checks its limits itself when called. The middleware check found nothing to limit on any
    other request and cost a tenth of a short API request."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=False)

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        # Its after-request hook (the conditional deduction, the limit headers) and its
        # teardown (the reset) work on a per-request context that only a limited view creates.
        # Every other request has none, and the two hooks cost it about 3 % of a short API
        # request while doing nothing: they now run only where a limit was met.
        for hooks in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
            hooks[:] = [self._when_limited(hook) if self._owns(hook) else hook for hook in hooks]

    def _owns(self, hook) -> bool:
        if isinstance(hook, functools.partial):
            return bool(hook.args) and hook.args[0] is self
        return getattr(hook, "__self__", None) is self

    @staticmethod
    def _when_limited(hook):
        def guarded(value):
            if hasattr(request_ctx, "_limiter_request_context"):
                return hook(value)
            return value

        return guarded


limiter = EmcLimiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
api = EmcApi(spec_kwargs={"extra_plugins": [ErrorResponsesPlugin()]})
