"""Use cases of programme tracking: targets, annual energy statistics, the dashboard, project
lists, and the nightly snapshot.

Each user action takes ``(session, actor, *, ...)``, checks the permission first (agencies only
for targets and dashboards: 403 for everyone else), loads through the scoped loader (another
region's target is 404), flushes but never commits, and journals what it changed.

Aggregates are grouped in the database. The counting rule is written once in words and as a
pure function in :mod:`emc.programme.stats`, and once as the SQL condition :func:`counted`;
the tests check that both agree. Verified savings are the figures of **accepted** M&V reports
(``mv_reports``: the latest accepted version of each project and period). Dashboards read
those aggregates from ``programme_summaries``, which :mod:`emc.programme.summary` keeps exact
in the same transaction as every write (and rebuilds nightly with the snapshot).

The modules: :mod:`._common` (calendar, regions, an agency's region), :mod:`.targets`,
:mod:`.statistics` and :mod:`.stats_import` (annual energy statistics), :mod:`.dashboard` and
:mod:`.intensity`, :mod:`.projects` (list and exports), :mod:`.snapshots`, :mod:`.demo`; the
counting rule in SQL is :mod:`emc.programme.counting`.
"""

from emc.programme import stats
from emc.programme.counting import counted
from emc.programme.service._common import (
    DEFAULT_BASE_YEAR,
    DEFAULT_WINDOW,
    LOCAL_ZONE,
    PRIVATE_INVESTORS,
    STAT_FIELDS,
    TARGET_FIELDS,
    breadcrumb,
    local_today,
    region_names,
)
from emc.programme.service.dashboard import (
    Dashboard,
    dashboard,
)
from emc.programme.service.demo import (
    build_demo,
)
from emc.programme.service.projects import (
    iter_projects,
    project_page,
)
from emc.programme.service.snapshots import (
    list_snapshots,
    take_snapshot,
)
from emc.programme.service.statistics import (
    CarrierFigure,
    factor_set,
    list_stats,
    save_stat,
)
from emc.programme.service.stats_import import (
    CARRIER_NAMES,
    import_stats,
    stats_from_meters,
)
from emc.programme.service.targets import (
    create_target,
    delete_target,
    get_target,
    list_targets,
    may_change_target,
    update_target,
)

__all__ = [
    "CARRIER_NAMES",
    "CarrierFigure",
    "DEFAULT_BASE_YEAR",
    "DEFAULT_WINDOW",
    "Dashboard",
    "LOCAL_ZONE",
    "PRIVATE_INVESTORS",
    "STAT_FIELDS",
    "TARGET_FIELDS",
    "breadcrumb",
    "build_demo",
    "counted",
    "create_target",
    "dashboard",
    "delete_target",
    "factor_set",
    "get_target",
    "import_stats",
    "iter_projects",
    "list_snapshots",
    "list_stats",
    "list_targets",
    "may_change_target",
    "local_today",
    "project_page",
    "region_names",
    "save_stat",
    "stats",
    "stats_from_meters",
    "take_snapshot",
    "update_target",
]
