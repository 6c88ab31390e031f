"""Policy rule 10, retention: raw batches, private-zone rows and run logs of days older than the scope
manifest's `retention_days` are deleted. Day D is kept while D >= today - retention_days.

The training and analytics zones are not purged here: they hold no direct identifier and
are what the policy allows to keep; erasure (rule 2) is what removes a person from them.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from sluice.ingest.raw_store import RawStore
from sluice.quality import profiles

PRIVATE_TABLES = ("batches", "landed_lines", "events", "quarantine", "line_outcomes", "eligible_events",
                  "exclusions", "redactions", profiles.TABLE)


def cutoff(today: date, retention_days: int) -> date:
    """The oldest day kept."""
    return today - timedelta(days=retention_days)


def purge_raw(store: RawStore, keep_from: date) -> dict[str, int]:
    old = [day for day in store.days() if day < keep_from]
    return {"raw_days_purged": len(old), "raw_batches_purged": sum(store.delete_day(day) for day in old)}


def purge_logs(logs: Path, keep_from: date) -> dict[str, int]:
    """The run logs folders last written before `keep_from` (UTC), as old as the data they describe."""
    old = [folder for folder in (logs.iterdir() if logs.is_dir() else [])
           if folder.is_dir() and datetime.fromtimestamp(folder.stat().st_mtime, timezone.utc).date() < keep_from]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return {"run_logs_purged": len(old)}


def purge_private(con: duckdb.DuckDBPyConnection, keep_from: date) -> dict[str, int]:
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    counts = {}
    for table in PRIVATE_TABLES:
        if table in present:
            counts[f"private_rows_purged:{table}"] = con.execute(
                f"DELETE FROM {table} WHERE partition_date < ?", [keep_from]).fetchone()[0]
    return counts
