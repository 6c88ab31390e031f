"""Figures for one simulated day run whole and run in device shards, several processes at once.

    .venv/bin/python bench/sharded_day.py [--employees 200] [--events-per-employee 5000] [--shards 2]

Both runs read the same inbox with the same keys, each in a fresh $SLUICE_HOME and process
(SLUICE_SHARDS is read when the definitions load). Prints wall times, the shard runs' and
the day run's spans from the Dagster instance, and whether both published the same rows.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = date(2026, 11, 2)


def _run(home: Path, inbox: Path, shards: int, keys: dict[str, str]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME"))}
    env.update(keys, SLUICE_HOME=str(home), SLUICE_SHARDS=str(shards))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli.main", "run", "--date", DAY.isoformat(), "--raw", str(inbox / "raw"),
                           "--directory", str(inbox / "directory.csv")], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"run with {shards} shard(s) exited {done.returncode}: {done.stderr[-1500:]}")
    return wall


def _spans(home: Path) -> dict[str, list[float]]:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with dg.DagsterInstance.get() as instance:
        spans: dict[str, list[float]] = {}
        for record in instance.get_run_records():
            spans.setdefault(record.dagster_run.job_name, []).append(record.end_time - record.start_time)
    return spans


def _rows(home: Path) -> list:
    import duckdb

    return [duckdb.sql(f"SELECT * FROM read_parquet('{home}/warehouse/training/{t}/date=*/v=*/*.parquet', hive_partitioning = false)"
                       " ORDER BY ALL").fetchall() for t in ("interaction_steps", "assistant_turns")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--events-per-employee", type=int, default=5_000)
    parser.add_argument("--shards", type=int, default=2)
    args = parser.parse_args()
    from sluice.simulate import simulate

    with tempfile.TemporaryDirectory(prefix="sluice-shards-bench-") as tmp:
        inbox = Path(tmp) / "inbox"
        stats = simulate(DAY, args.employees, inbox, seed=1, events_per_employee=args.events_per_employee)
        keys = {"SLUICE_ENCRYPTION_KEY": secrets.token_hex(32), "SLUICE_PSEUDONYM_KEY": secrets.token_hex(32)}
        print(f"day: {stats['events']:,} events in {stats['batches']:,} batches, {os.cpu_count()} cores")
        whole = _run(Path(tmp) / "whole", inbox, 1, keys)
        print(f"whole day, one process:   {whole:6.1f} s wall ({stats['events'] / whole:,.0f} events/s)")
        sharded = _run(Path(tmp) / "sharded", inbox, args.shards, keys)
        print(f"{args.shards} shards, {args.shards} processes: {sharded:6.1f} s wall ({stats['events'] / sharded:,.0f} events/s)")
        spans = _spans(Path(tmp) / "sharded")
        shard_spans = ", ".join(f"{s:.1f}" for s in sorted(spans.get("day_shards", [])))
        print(f"  shard runs (land + validate, in parallel): {shard_spans} s")
        print(f"  day run (merge, transforms, dbt, gates, publish): {max(spans.get('daily_publish', [0])):.1f} s")
        whole_spans = _spans(Path(tmp) / "whole")
        print(f"  whole day's run for comparison: {max(whole_spans['daily_publish']):.1f} s")
        print(f"same published rows: {_rows(Path(tmp) / 'whole') == _rows(Path(tmp) / 'sharded')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
