"""Parse-only throughput of meter-reading ingestion (emc.facilities.ingest).

Writes plain ``timestamp,value`` CSV files of 15-minute data — one year of one meter (35,040
rows) and a hundred meter-years (3.5 M rows) — into a temporary directory, parses them with
``read_readings`` (batches are counted and dropped, as a database writer would after COPY), and
prints rows per second and peak memory. For comparison it also times the bare
``csv.reader + datetime.fromisoformat + float`` loop, the general (non-ISO) timestamp path and
a 35,040-row XLSX.

    python bench/parse.py [--big-rows N]
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emc.facilities.ingest import MeterSpec, read_readings  # noqa: E402

SPEC = MeterSpec(carrier="electricity", unit="kWh", kind="interval", interval_minutes=15)


def write_csv(path: Path, rows: int, layout: str = "iso") -> None:
    """15-minute rows from 2020-01-01 local time; ``layout`` "iso" (2020-01-01 00:15) or
    "slashes" (2020/1/1 0:15, as Chinese Excel writes CSV)."""
    day, written = datetime(2020, 1, 1), 0
    times = [(h, m) for h in range(24) for m in (0, 15, 30, 45)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("timestamp,value\n")
        while written < rows:
            if layout == "iso":
                prefix = day.strftime("%Y-%m-%d")
                stamps = [f"{prefix} {h:02d}:{m:02d}" for h, m in times]
            else:
                prefix = f"{day.year}/{day.month}/{day.day}"
                stamps = [f"{prefix} {h}:{m:02d}" for h, m in times]
            take = min(len(stamps), rows - written)
            out.write(
                "".join(
                    f"{stamps[i]},{((written + i) * 7919) % 10000 / 100}\n" for i in range(take)
                )
            )
            written += take
            day += timedelta(days=1)


def write_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("数据")
    sheet.append(["时间", "用量(kWh)"])
    start = datetime(2020, 1, 1)
    for i in range(rows):
        sheet.append([start + timedelta(minutes=15 * i), (i * 7919) % 10000 / 100])
    book.save(path)


def best_of(repeats: int):
    """Time the decorated function's best of ``repeats`` runs (the machine may be shared)."""

    def wrap(run):
        def timed(path: Path, repeats: int = repeats) -> tuple[int, float]:
            best, count = float("inf"), 0
            for _ in range(repeats):
                began = time.perf_counter()
                count = run(path)
                best = min(best, time.perf_counter() - began)
            return count, best

        return timed

    return wrap


@best_of(5)
def parse(path: Path) -> int:
    with path.open("rb") as stream:
        reader = read_readings(stream, filename=path.name, spec=SPEC)
        return sum(len(batch) for batch in reader)


@best_of(5)
def bare(path: Path) -> int:
    count = 0
    with path.open(encoding="utf-8", newline="") as text:
        rows = csv.reader(text)
        next(rows)
        for ts, value in rows:
            datetime.fromisoformat(ts)
            float(value)
            count += 1
    return count


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def report(label: str, count: int, seconds: float) -> None:
    print(f"{label:<44} {count:>10,} rows {seconds:8.2f} s {count / seconds:>12,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-rows", type=int, default=3_504_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp, "year.csv"), Path(tmp, "hundred_years.csv")
        general, book = Path(tmp, "year_slashes.csv"), Path(tmp, "year.xlsx")
        write_csv(small, 35_040)
        write_csv(big, args.big_rows)
        write_csv(general, 35_040, layout="slashes")
        write_xlsx(book, 35_040)
        print(f"files: {big.stat().st_size / 2**20:.0f} MiB for {args.big_rows:,} rows")
        rss_before = peak_rss_mb()

        report("bare csv + fromisoformat + float (35,040)", *bare(small))
        report("read_readings, ISO CSV (35,040)", *parse(small))
        report("read_readings, 2024/1/1 0:15 CSV (35,040)", *parse(general))
        report("read_readings, XLSX (35,040)", *parse(book, 1))
        report(f"bare csv + fromisoformat + float ({args.big_rows:,})", *bare(big, 2))
        report(f"read_readings, ISO CSV ({args.big_rows:,})", *parse(big, 2))
        print(f"peak RSS of the process: {peak_rss_mb():.0f} MiB (before parsing {rss_before:.0f})")

        # Python-level allocations while parsing the big file, without the interpreter itself.
        tracemalloc.start()
        parse(big, 1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"tracemalloc peak while parsing {args.big_rows:,} rows: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
