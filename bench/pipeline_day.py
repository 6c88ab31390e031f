"""Figures for one simulated day through the whole pipeline: wall time per stage, peak RSS.

    .venv/bin/python bench/pipeline_day.py [--employees 200] [--events-per-employee 5000]

Simulates the day into a temporary $SLUICE_HOME, runs it through Dagster as `sluice run`
does, and prints the simulator's rate, each step's wall time (from the Dagster event
log), the end-to-end rate and the peak RSS of this process and of its children (dbt).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DAY = date(2026, 11, 2)


def step_spans(run_id: str) -> dict[str, tuple[float, float]]:
    """Each step's start and end (Unix time) from the event log of `$DAGSTER_HOME`'s instance, in start order."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id)
    begins = {r.step_key: r.timestamp for r in records if r.dagster_event and r.dagster_event.event_type_value == "STEP_START"}
    ends = {r.step_key: r.timestamp for r in records if r.dagster_event and r.dagster_event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")}
    return {step: (begins[step], ends.get(step, begins[step])) for step in sorted(begins, key=begins.get)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--events-per-employee", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as tmp:
        os.environ["SLUICE_HOME"] = str(Path(tmp) / "home")
        from sluice.settings import configure
        from sluice.simulate import simulate

        layout = configure()
        started = time.perf_counter()
        stats = simulate(DAY, args.employees, layout.inbox, seed=1, events_per_employee=args.events_per_employee)
        sim_s = time.perf_counter() - started
        print(f"simulate: {stats['events']:,} events, {stats['batches']:,} batches in {sim_s:.1f} s "
              f"({stats['events'] / sim_s:,.0f} events/s)")

        from orchestration.runner import run_day

        started = time.perf_counter()
        outcome = run_day(DAY)
        wall = time.perf_counter() - started
        print(f"run: exit {outcome.exit_code}, {wall:.1f} s wall, {stats['events'] / wall:,.0f} events/s end to end")
        for step, (begin, end) in step_spans(outcome.run_id).items():
            print(f"  {step:<40} {end - begin:7.1f} s")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS: {own:,.0f} MiB (this process), {children:,.0f} MiB (largest child: dbt, simulator workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
