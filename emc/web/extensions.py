"""Flask extensions, created once and bound to an app in ``emc.app.create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from emc.schemas import ErrorEnvelope, ErrorResponsesPlugin, decimal2properties


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


csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# In-process counters: enough for one server process; a multi-process deployment sets
# RATELIMIT_STORAGE_URI (e.g. redis://) through the app config.
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
api = EmcApi(spec_kwargs={"extra_plugins": [ErrorResponsesPlugin()]})
