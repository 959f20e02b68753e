"""Snapshots of the nightly watch, written per batch of projects: one multi-row insert for the
projects seen for the first time and one executemany update (by primary key) for the others,
instead of an ORM object and a flush per project. A project has one snapshot, replaced each
night with the figures of that night, so a re-run for the same day stores the same series.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from emc import clock
from emc.watch.models import WatchSnapshot


class Snapshots:
    """The snapshots of a run, gathered per project and written by :meth:`write`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[int, dict[str, Any]] = {}
        self.written: set[int] = set()

    def add(
        self,
        project_id: int,
        *,
        baseline_id: int,
        today: dt.date,
        start: dt.date,
        unit: str,
        series: dict[str, list],
        forecast: dict[str, Any],
        gaps: list[dict[str, Any]],
    ) -> None:
        self._rows[project_id] = {
            "project_id": project_id,
            "baseline_id": baseline_id,
            "as_of": today,
            "period_start": start,
            "unit": unit,
            "series": series,
            "forecast": forecast,
            "gaps": gaps,
        }

    def write(self, existing: dict[int, int]) -> None:
        """Insert or update the gathered rows; ``existing`` maps project id → snapshot id."""
        now = clock.now()
        new, old = [], []
        for pid, row in self._rows.items():
            row["updated_at"] = now
            if pid in existing:
                old.append({"id": existing[pid], **row})
            else:
                new.append(row)
        if new:
            self.session.execute(insert(WatchSnapshot), new)
        if old:
            self.session.execute(update(WatchSnapshot), old)
        self.written.update(self._rows)
        self._rows = {}

    def refresh_loaded(self) -> None:
        """Expire snapshot objects the session already holds for the projects written, so
        they read the new figures (the writes above bypass the identity map)."""
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, WatchSnapshot) and obj.project_id in self.written:
                self.session.expire(obj)
