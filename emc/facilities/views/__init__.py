"""The facilities pages (blueprint ``facilities``): sites and buildings (:mod:`.sites`), meters
and their data (:mod:`.meters`), which sites and meters a project covers (:mod:`.projects`),
weather stations and temperatures (:mod:`.weather`), emission factors (:mod:`.factors`)."""

# After meters: the column-mapping and checked-import routes (meter files as they come).
from emc.facilities.views import (  # noqa: F401
    factors,
    mapping,  # noqa: F401, I001
    meters,
    projects,
    sites,
    weather,
)
from emc.facilities.views.common import bp

__all__ = ["bp"]
