"""Figures for one large simulated day (default 20M events), run as a user runs it: memory and spill.

    .venv/bin/python bench/large_day.py [--events 20000000] [--employees 500]

Simulates the day into a fresh temporary $SLUICE_HOME in its own process (not measured),
then runs `sluice run --date D` in a subprocess and samples, every 0.2 s, the RSS of that
process and of each of its descendants (dbt) and the disk used by the spill directory
($SLUICE_HOME/tmp). Prints the peaks, overall and per Dagster step, and the step times.
`SLUICE_MEMORY_LIMIT`, if set, reaches the run. The simulator has 624 distinct names, so a
large day has many events per employee (40,000 by default: about three hours of capture).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import (
    DAY,
    DISK_PER_EVENT,
    ROOT,
    SAMPLE_S,
    Peaks,
    check_disk,
    disk_bytes,
    gib,
    latest_run_id,
    run_day,
    sluice_env,
    step_spans,
)

from sluice.platform.warehouse import MEMORY_LIMIT_ENV, duckdb_memory_limit


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--employees", type=int, default=500)
    args = parser.parse_args()
    per_employee = -(-args.events // args.employees)
    check_disk(Path(tempfile.gettempdir()), args.events * DISK_PER_EVENT)
    with tempfile.TemporaryDirectory(prefix="sluice-large-day-") as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        simulated = subprocess.run([sys.executable, "-m", "cli.main", "simulate", "--date", DAY.isoformat(), "--employees",
                                    str(args.employees), "--events-per-employee", str(per_employee), "--seed", "1",
                                    "--out", str(home / "inbox")], env=sluice_env(home), cwd=ROOT, check=True,
                                   stdout=subprocess.PIPE, text=True)
        sim_s = time.perf_counter() - started
        events = int(simulated.stdout.split()[1].replace(",", ""))  # "simulated N events in ..."
        print(f"simulate: {events:,} events, {args.employees} employees x {per_employee:,}, in {sim_s:.0f} s "
              f"(own process); inbox {gib(disk_bytes(home / 'inbox'))} on disk")

        print(f"run: {MEMORY_LIMIT_ENV}={duckdb_memory_limit()}, {os.cpu_count()} cores, sampling every {SAMPLE_S} s")
        peaks = Peaks()
        code, wall, high_water, output = run_day(home, DAY, peaks)
        print(output if code else output.split("\nFiles:")[0])  # the stages and the day's counts
        print(f"exit {code}, {wall:.1f} s wall, {events / wall:,.0f} events/s")
        print(f"peak RSS: main {gib(peaks.peak('main'))}, largest child {gib(peaks.peak('child'))} ({peaks.child_name}), "
              f"tree {gib(peaks.peak('tree'))}; kernel high-water of one process {gib(high_water)}")
        print(f"peak spill ({home / 'tmp'}): {gib(peaks.peak('spill'))}; "
              f"private zone {gib(disk_bytes(home / 'warehouse' / 'private.duckdb'))}")
        run_id = latest_run_id(home)
        if run_id:
            print(f"  {'step':<44} {'time':>8} {'main':>10} {'tree':>10} {'spill':>10}")
            for step, (begin, end) in step_spans(run_id).items():
                print(f"  {step:<44} {end - begin:7.1f}s {gib(peaks.peak('main', begin, end)):>10} "
                      f"{gib(peaks.peak('tree', begin, end)):>10} {gib(peaks.peak('spill', begin, end)):>10}")
        print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB peak, not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
