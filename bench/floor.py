"""The floor under the pipeline's design: the encrypted passes it cannot skip, each against the ceiling.

    .venv/bin/python bench/floor.py [--size 5000000] [--repeats 3]

Simulates one day, then per repeat times, on 2 threads with the private zone's own connection
(encrypted file, encrypted spill, `sluice.platform.warehouse.private_zone`):
  ceiling   `read_json` of the gzip batches with the contract's schema -> Parquet (`pipeline.py`'s (a));
  land      the batches' raw lines -> an encrypted table (landing keeps the lines for erasure and the audit);
  type      `read_json` with the same schema -> an encrypted table (the contract's typed events);
  stage     the typed table -> an encrypted copy (one privacy transform or one dbt model, no work in it);
  publish   the typed table -> Parquet (the training export).
A run of the design's stages needs at least land + type + 2 stages + publish; the script prints that sum
as a multiple of the ceiling, before any check, dedupe, session window or Dagster step is added.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from measure import DAY
from pipeline import MAX_EMPLOYEES, MIN_PER_EMPLOYEE, THREADS, json_columns

from sluice.contract.models import TS_FORMAT
from sluice.platform.home import SluiceHome
from sluice.platform.warehouse import private_zone
from sluice.simulate import simulate

KEY = "floor-benchmark-key-" + "0" * 12
DESIGN = {"land": 1, "type": 1, "stage": 2, "publish": 1}  # passes of each kind a day needs at least


def passes(inbox: Path, work: Path) -> dict[str, float]:
    files = sorted(inbox.glob(f"raw/date={DAY.isoformat()}/device=*/*.jsonl.gz"))
    listed = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    typed = (f"read_json({listed}, format='newline_delimited', compression='gzip', columns={json_columns()}, "
             f"timestampformat='{TS_FORMAT}')")
    lines = f"read_csv({listed}, columns={{'line': 'VARCHAR'}}, header=false, delim='\\x01', quote='', escape='', compression='gzip')"
    seconds: dict[str, float] = {}

    def timed(name: str, sql: str, encrypted: bool = True) -> None:
        started = time.perf_counter()
        if encrypted:
            with private_zone(work / "private.duckdb", KEY, work / "spill", threads=THREADS) as con:
                con.execute(sql)
        else:
            with duckdb.connect(config={"threads": THREADS}) as con:
                con.execute(sql)
        seconds[name] = time.perf_counter() - started

    timed("ceiling", f"COPY (SELECT * FROM {typed}) TO '{work / 'ceiling.parquet'}' (FORMAT parquet)", encrypted=False)
    timed("land", f"CREATE OR REPLACE TABLE lines AS SELECT * FROM {lines}")
    timed("type", f"CREATE OR REPLACE TABLE events AS SELECT * FROM {typed}")
    timed("stage", "CREATE OR REPLACE TABLE staged AS SELECT * FROM events")
    timed("publish", f"COPY events TO '{work / 'training.parquet'}' (FORMAT parquet)")
    shutil.rmtree(work / "spill", ignore_errors=True)
    for leftover in ("private.duckdb", "private.duckdb.wal", "ceiling.parquet", "training.parquet"):
        (work / leftover).unlink(missing_ok=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=5_000_000, help="events in the day")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    employees = max(1, min(MAX_EMPLOYEES, args.size // MIN_PER_EMPLOYEE))
    with tempfile.TemporaryDirectory(prefix="sluice-floor-bench-") as tmp:
        work = Path(tmp)
        inbox = SluiceHome(work / "sim").inbox
        events = simulate(DAY, employees, inbox, seed=1, events_per_employee=-(-args.size // employees))["events"]
        print(f"DuckDB {duckdb.__version__}, {THREADS} threads; {events:,} events; {args.repeats} repeats")
        runs = [passes(inbox, work) for _ in range(args.repeats)]
    median = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    ceiling = median["ceiling"]
    print("\n| pass | wall | events/s | x ceiling |\n|---|---|---|---|")
    for name, seconds in median.items():
        spread = f"{min(r[name] for r in runs):.2f}-{max(r[name] for r in runs):.2f}"
        print(f"| {name} | {seconds:.2f} s ({spread}) | {events / seconds / 1e3:.0f}k | {seconds / ceiling:.2f}x |")
    floor = sum(median[name] * count for name, count in DESIGN.items())
    recipe = " + ".join(f"{count} x {name}" if count > 1 else name for name, count in DESIGN.items())
    print(f"\nfloor of the design ({recipe}): {floor:.2f} s = {floor / ceiling:.2f}x the ceiling, "
          f"before any check, dedupe, window or Dagster step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
