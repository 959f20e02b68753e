"""JSON API of the facilities under ``/api/v1``: sites, buildings, meters, reading uploads,
readings, aggregates, quality, CSV export, emission factors and weather stations.

:mod:`.common` holds the blueprint and the helpers the routes share; the routes are in
:mod:`.sites` (sites, buildings, meters), :mod:`.readings` (uploads, readings, aggregates,
quality, export), :mod:`.factors` and :mod:`.weather` (imported here, in that order, to
register them). :func:`upload_from_request` is shared with the meter page.
"""

# Imported to register the routes, in the order they appear in the OpenAPI document.
# isort: off
from emc.facilities.api import sites  # noqa: F401
from emc.facilities.api import readings  # noqa: F401
from emc.facilities.api import factors  # noqa: F401
from emc.facilities.api import weather  # noqa: F401

# isort: on
from emc.facilities.api.common import blp, flatten_messages, max_upload_bytes
from emc.facilities.api.readings import upload_from_request

__all__ = ["blp", "flatten_messages", "max_upload_bytes", "upload_from_request"]
