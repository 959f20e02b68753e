"""The savings watch's nightly job (registered with the one scheduler registry).

Keyed by the local date: the scheduler skips a date that already succeeded, and the work itself
is idempotent per project and day (see :mod:`emc.watch.service.nightly`), so a forced re-run
stores the same snapshots and raises no second warning or notification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from emc.config import Settings
from emc.i18n import N_
from emc.scheduler import job


@job(
    "watch_nightly",
    cron={"hour": 4, "minute": 10},
    description=N_("Savings watch: persistence, suspected events, shortfall and quota warnings"),
)
def watch_nightly(session: Session, settings: Settings, key: str) -> dict[str, Any]:
    """For the local date ``key``: track every project with an approved baseline on the data
    up to the day before, scan proposed baselines for events, and forecast the institutions'
    use against their quotas."""
    from emc.watch.service.nightly import run_nightly
    from emc.watch.service.quota import run_quota_watch

    today = dt.date.fromisoformat(key)
    return {**run_nightly(session, today), **run_quota_watch(session, today)}
