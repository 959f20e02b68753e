"""Facilities use cases: sites, buildings, meters, reading imports, aggregates, weather.

Services never import Flask: they take ``(session, actor, ...)``, check permission and
visibility first, flush but never commit, and journal what they change. The modules:
:mod:`.sites` (sites, buildings, meters),
:mod:`.projects` (which sites a project covers), :mod:`.rights` (who may write which readings),
:mod:`.listing` (the paginated lists), :mod:`.readings` (imports, reading
back, export), :mod:`.uploads` (what the import and :mod:`.preview` share about a file),
:mod:`.analysis` (aggregates and quality in SQL), :mod:`.weather` (stations and temperatures),
:mod:`.factors` (emission and conversion factors), :mod:`.demo` (demo data).
"""

from emc.facilities.service.analysis import (
    bill_days,
    daily_totals,
    monthly_totals,
    quality_report,
)
from emc.facilities.service.projects import link_project, unlink_project
from emc.facilities.service.readings import (
    UploadResult,
    export_csv,
    get_readings,
    import_readings,
    import_rows,
    list_uploads,
)
from emc.facilities.service.sites import (
    create_building,
    create_meter,
    create_site,
    meter_spec,
    retire_meter,
    update_building,
    update_meter,
    update_site,
)
from emc.facilities.service.uploads import MAX_ROWS_PER_UPLOAD, UploadTooLarge
from emc.facilities.service.weather import create_station, find_station, import_weather

__all__ = [
    "MAX_ROWS_PER_UPLOAD",
    "UploadResult",
    "UploadTooLarge",
    "create_building",
    "create_meter",
    "create_site",
    "create_station",
    "bill_days",
    "daily_totals",
    "export_csv",
    "find_station",
    "get_readings",
    "import_readings",
    "import_rows",
    "import_weather",
    "link_project",
    "list_uploads",
    "meter_spec",
    "monthly_totals",
    "quality_report",
    "retire_meter",
    "unlink_project",
    "update_building",
    "update_meter",
    "update_site",
]
