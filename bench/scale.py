"""Readings at scale on PostgreSQL: do ingest and reads stay flat as meter_readings grows?

    python bench/scale.py [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                          [--rows 1000000,10000000[,100000000]]

In a scratch database (created and dropped here; check ``df -h`` first: 100 M readings take
about 10 GB), meters with a year (2025) of 15-minute readings (35,040 each) are bulk-loaded until
the table holds each ``--rows`` level in turn (3,000 meters ≈ 100 M). At each level it measures,
in this one run:

* **ingest**: one more meter-year, a CSV file through ``service.import_readings`` (parse,
  checks, COPY, daily rollup, upload record, journal), committed;
* **daily aggregate**: a meter's daily totals for the year (``service.daily_totals``, the meter
  chart), and the same from the raw rows (``rollup.raw_day_rows``) for comparison;
* **M&V fetch**: the daily use a fit reads (``emc.mv.data.daily_usage``) for the year.

Each read is the median of 15 (5 meters, 3 times each). Targets: every figure within 2x of the first level.
The machine is shared: wall times move with other people's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import _pg_scratch  # noqa: E402  (bench/ is on the path when run as a script)

YEAR_ROWS = 35_040
T0 = int(dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
STEP = 900


class World:
    def __init__(self, url: str) -> None:
        from sqlalchemy import select

        from emc import demo, migrate
        from emc.auth.actor import Actor
        from emc.auth.models import Organization, User
        from emc.db import make_engine, make_session_factory, unit_of_work
        from emc.facilities import partitions, service

        migrate.upgrade(url)
        self.factory = make_session_factory(make_engine(url))
        with unit_of_work(self.factory) as session:
            demo.build(session)
            user = session.scalar(select(User).where(User.email == "energy@school.demo"))
            user.organization = session.get(Organization, user.organization_id)
            self.actor = Actor.of(user)
            self.site_id = service.create_site(
                session, self.actor, name="规模基准", region_code="330100"
            ).id
            partitions.ensure_partitions(session, dt.date(2025, 1, 1), ahead=12)
        self.meters: list[int] = []
        self.rows = 0
        self.values = (np.arange(YEAR_ROWS) % 97) * 0.25 + 1.0
        self.starts = np.arange(T0, T0 + YEAR_ROWS * STEP, STEP, dtype=np.int64)

    def new_meter(self, session) -> int:
        from emc.facilities import service

        return service.create_meter(
            session,
            self.actor,
            site_id=self.site_id,
            name=f"m{len(self.meters) + 1}-{uuid.uuid4().hex[:6]}",
            carrier="electricity",
            unit="kWh",
            kind="interval",
            interval_minutes=15,
        ).id

    def load_to(self, rows: int) -> float:
        """Bulk-load meter-years (no parsing: the load, not the ingest, is not measured)."""
        from emc.db import unit_of_work
        from emc.facilities import rollup, store

        started = time.perf_counter()
        starts, values = self.starts.tolist(), self.values.tolist()
        quality = ["measured"] * YEAR_ROWS
        while self.rows + YEAR_ROWS <= rows:
            with unit_of_work(self.factory) as session:
                for _ in range(10):
                    if self.rows + YEAR_ROWS > rows:
                        break
                    meter_id = self.new_meter(session)
                    session.flush()
                    with store.ReadingsWriter(session, meter_id) as writer:
                        writer.write(starts, None, values, quality)
                    totals = rollup.DayTotals("Asia/Shanghai")
                    totals.add(starts, values)
                    rollup.save(
                        session,
                        meter_id,
                        "Asia/Shanghai",
                        totals,
                        starts[0],
                        starts[-1] + STEP,
                    )
                    self.meters.append(meter_id)
                    self.rows += YEAR_ROWS
        with self.factory() as session:
            session.execute(__import__("sqlalchemy").text("ANALYZE meter_readings"))
            session.commit()
        return time.perf_counter() - started

    def ingest_one(self) -> float:
        from emc.db import unit_of_work
        from emc.facilities import service

        text = "时间,用量(kWh)\n" + "".join(
            f"{dt.datetime.fromtimestamp(s, dt.timezone(dt.timedelta(hours=8))):%Y-%m-%d %H:%M},"
            f"{v:.2f}\n"
            for s, v in zip(self.starts.tolist(), self.values.tolist(), strict=True)
        )
        with unit_of_work(self.factory) as session:
            meter_id = self.new_meter(session)
        started = time.perf_counter()
        with unit_of_work(self.factory) as session:
            service.import_readings(
                session, self.actor, meter_id, io.BytesIO(text.encode()), filename="y.csv"
            )
        seconds = time.perf_counter() - started
        self.meters.append(meter_id)
        self.rows += YEAR_ROWS
        return seconds

    def reads(self) -> dict[str, float]:
        from emc.facilities import rollup, service
        from emc.facilities.models import Meter, Site
        from emc.mv import data

        picks = [self.meters[i * (len(self.meters) - 1) // 4] for i in range(5)]
        start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        end = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        out: dict[str, list[float]] = {"daily": [], "raw daily": [], "M&V fetch": []}
        with self.factory() as session:
            for meter_id in picks * 3:
                meter = session.get(Meter, meter_id)
                site = session.get(Site, meter.site_id)
                t = time.perf_counter()
                _m, _s, totals = service.daily_totals(
                    session, self.actor, meter_id, start=start, end=end
                )
                out["daily"].append(time.perf_counter() - t)
                assert len(totals) == 365, len(totals)
                t = time.perf_counter()
                rollup.raw_day_rows(
                    session,
                    meter_id,
                    "Asia/Shanghai",
                    int(start.timestamp()),
                    int(end.timestamp()),
                )
                out["raw daily"].append(time.perf_counter() - t)
                t = time.perf_counter()
                data.daily_usage(session, meter, site, dt.date(2025, 1, 1), dt.date(2026, 1, 1))
                out["M&V fetch"].append(time.perf_counter() - t)
            session.rollback()
        return {k: statistics.median(v) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", default="1000000,10000000")
    args = parser.parse_args()
    levels = [int(x) for x in args.rows.split(",")]
    url, drop = _pg_scratch(args.pg)
    try:
        world = World(url)
        print(
            f"{'rows':>12} {'load s':>8} {'ingest 1 meter-year s':>22} {'daily ms':>9}"
            f" {'raw daily ms':>13} {'M&V fetch ms':>13}"
        )
        first = None
        for level in levels:
            load_s = world.load_to(level)
            ingest_s = world.ingest_one()
            r = world.reads()
            figures = (ingest_s, r["daily"], r["raw daily"], r["M&V fetch"])
            first = first or figures
            print(
                f"{world.rows:>12,} {load_s:>8.1f} {ingest_s:>22.2f} {r['daily'] * 1e3:>9.1f}"
                f" {r['raw daily'] * 1e3:>13.1f} {r['M&V fetch'] * 1e3:>13.1f}",
                flush=True,
            )
        ratios = [b / a for a, b in zip(first, figures, strict=True)]
        print(
            "last level / first level: ingest {:.2f}x, daily {:.2f}x, raw daily {:.2f}x,"
            " M&V fetch {:.2f}x (target: within 2x)".format(*ratios)
        )
    finally:
        drop()


if __name__ == "__main__":
    main()
