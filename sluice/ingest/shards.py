"""Scale-out: a day's landing and validation split by device shard, merged by the day's run.

A shard run (day D, shard S of N) lands and validates the batches of the devices whose
folder hashes to S, in an in-memory DuckDB of its own, and writes its tables as Parquet
under `<shards root>/date=D/shards=N/shard=S/`, encrypted with Parquet modular encryption
under a key derived from the private-zone key, and with SSE-KMS when the root is on S3. No
DuckDB file is shared, so shards run in parallel on any executor; `_done.parquet`, written
last, says a shard is complete. The day's run then merges the N shards into the private
zone (the one writer) and goes on exactly as an unsharded day.

Dedupe is on `event_id` within a shard (a device's events stay in one shard), and again
across shards at the merge, so an event sent under two devices is promoted once.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from sluice.contract.validation import DDL as VALIDATION_DDL
from sluice.contract.validation import outcome_counts, validate_day
from sluice.ingest.landing import DDL as LANDING_DDL
from sluice.ingest.landing import land_day, landing_counts
from sluice.ingest.raw_store import Batch, RawStore
from sluice.platform.errors import SluiceError
from sluice.platform.s3 import is_s3
from sluice.policy.scope import ScopeManifest

LANDING_TABLES = ("batches", "landed_lines")
VALIDATION_TABLES = ("events", "quarantine", "line_outcomes")
DONE = "_done"
PARQUET_KEY = "sluice_shards"


def shard_of(relative: str, shards: int) -> int:
    """The shard of a batch, by its `device=X` folder (stable across processes and machines)."""
    return zlib.crc32(relative.split("/")[1].encode()) % shards


class ShardOfStore:
    """The batches of one shard of another store."""

    def __init__(self, store: RawStore, shard: int, shards: int) -> None:
        if not 0 <= shard < shards:
            raise SluiceError("configuration", "the shard is outside 0..shards-1")
        self.store, self.shard, self.shards = store, shard, shards

    def batches(self, day: date) -> list[Batch]:
        return [b for b in self.store.batches(day) if shard_of(b.relative, self.shards) == self.shard]


def use_parquet_key(con: duckdb.DuckDBPyConnection, encryption_key: str) -> None:
    """Register the shards' Parquet key (AES-256, derived from the private-zone key; hex only)."""
    derived = hashlib.sha256(f"sluice-shards\x1f{encryption_key}".encode()).hexdigest()[:32]
    con.execute(f"PRAGMA add_parquet_key('{PARQUET_KEY}', '{derived}')")


def shard_dir(root: str, day: date, shard: int, shards: int) -> str:
    return f"{root.rstrip('/')}/date={day.isoformat()}/shards={shards}/shard={shard}"


def _write(con: duckdb.DuckDBPyConnection, query: str, path: str, params: list | None = None) -> None:
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, ENCRYPTION_CONFIG {{footer_key: '{PARQUET_KEY}'}})", params or [])


def _read(paths: list[str]) -> str:
    listed = ", ".join(f"'{p}'" for p in paths)
    return f"read_parquet([{listed}], hive_partitioning = false, encryption_config = {{footer_key: '{PARQUET_KEY}'}})"


def land_shard(con: duckdb.DuckDBPyConnection, store: RawStore, day: date, shard: int, shards: int,
               manifest: ScopeManifest, root: str, prune: Callable[[duckdb.DuckDBPyConnection], object] | None = None) -> dict[str, int]:
    """Land and validate one shard of day D in `con` (in-memory, Parquet key registered), write it under `root`.
    `prune` runs between the two (the erasure of withdrawn people, as the day's run does before validating)."""
    landing = land_day(con, ShardOfStore(store, shard, shards), day)
    if prune is not None:
        prune(con)
    outcomes = validate_day(con, day, manifest)
    out = shard_dir(root, day, shard, shards)
    if not is_s3(out):
        Path(out).mkdir(parents=True, exist_ok=True)
        Path(out, f"{DONE}.parquet").unlink(missing_ok=True)
    for table in LANDING_TABLES + VALIDATION_TABLES:
        _write(con, f"SELECT * FROM {table} WHERE partition_date = ?", f"{out}/{table}.parquet", [day])
    _write(con, "SELECT ? AS shard, ? AS shards, ? AS lines_read", f"{out}/{DONE}.parquet", [shard, shards, outcomes["lines_read"]])
    return {**landing, **outcomes}


def _shard_paths(con: duckdb.DuckDBPyConnection, root: str, day: date, shards: int, table: str) -> list[str]:
    dirs = [shard_dir(root, day, s, shards) for s in range(shards)]
    done = 0
    for directory in dirs:
        try:
            done += con.execute(f"SELECT count(*) FROM {_read([f'{directory}/{DONE}.parquet'])}").fetchone()[0]
        except duckdb.IOException:
            pass
    if done != shards:
        raise SluiceError("shards_incomplete", f"{shards - done} of {shards} shards of the day are not done")
    return [f"{d}/{table}.parquet" for d in dirs]


def merge_landing(con: duckdb.DuckDBPyConnection, root: str, day: date, shards: int) -> dict[str, int]:
    """Day D's batches and landed lines from its N shards; the same counts as landing it whole."""
    con.execute(LANDING_DDL)
    for table in LANDING_TABLES:
        paths = _shard_paths(con, root, day, shards, table)
        con.execute(f"DELETE FROM {table} WHERE partition_date = ?", [day])
        con.execute(f"INSERT INTO {table} SELECT * FROM {_read(paths)}")
    return landing_counts(con, day)


def merge_validation(con: duckdb.DuckDBPyConnection, root: str, day: date, shards: int) -> dict[str, int]:
    """Day D's events, quarantine and outcomes from its N shards, deduplicated across shards."""
    con.execute(VALIDATION_DDL)
    for table in VALIDATION_TABLES:
        con.execute(f"DELETE FROM {table} WHERE partition_date = ?", [day])
    events = _read(_shard_paths(con, root, day, shards, "events"))
    con.execute(f"INSERT INTO events SELECT * FROM {events} QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY batch_id, line_no) = 1")
    cross_shard = con.execute(f"SELECT count(*) FROM {events}").fetchone()[0] - \
        con.execute("SELECT count(*) FROM events WHERE partition_date = ?", [day]).fetchone()[0]
    con.execute(f"INSERT INTO quarantine SELECT * FROM {_read(_shard_paths(con, root, day, shards, 'quarantine'))}")
    con.execute(f"""
        INSERT INTO line_outcomes
        SELECT partition_date, outcome, reason,
               sum(n) + CASE outcome WHEN 'duplicate' THEN $moved WHEN 'valid' THEN -$moved ELSE 0 END
        FROM (SELECT * FROM {_read(_shard_paths(con, root, day, shards, 'line_outcomes'))}
              UNION ALL SELECT $day, 'duplicate', NULL, 0 WHERE $moved > 0)
        GROUP BY partition_date, outcome, reason""", {"moved": cross_shard, "day": day})
    return outcome_counts(con, day)
