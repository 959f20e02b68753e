"""Flask extensions, created once and bound to an app in ``emc.app.create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect


class EmcApi(Api):
    """flask-smorest's Api, minus its own error handler: ``emc.web.errors`` handles all errors
    so pages and the JSON API share one mapping and one error shape."""

    def _register_error_handlers(self):
        pass


csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# In-process counters: enough for one server process; a multi-process deployment sets
# RATELIMIT_STORAGE_URI (e.g. redis://) through the app config.
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
api = EmcApi()
