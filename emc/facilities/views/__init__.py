"""The facilities pages (blueprint ``facilities``): sites and buildings (:mod:`.sites`), meters
and their data (:mod:`.meters`), which sites and meters a project covers (:mod:`.projects`),
weather stations and temperatures (:mod:`.weather`), emission factors (:mod:`.factors`)."""

from emc.facilities.views import factors, meters, projects, sites, weather  # noqa: F401
from emc.facilities.views.common import bp

__all__ = ["bp"]
