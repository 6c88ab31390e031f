"""Policy rule 2, erasure: an employee whose consent is `withdrawn`, or who is named in the
erasure-requests CSV (`SLUICE_ERASURES`: `employee_id,requested_at`), is removed by the next
run from every zone:

- raw: the batches of their devices are rewritten without their lines (deleted when nothing
  is left); other people's lines are kept byte for byte;
- private: their landed lines, events, quarantined lines and eligible events;
- training: every published day that holds their pseudonym is re-published without it;
- analytics and exports: the affected days are recomputed and re-exported by the caller.

`remaining` counts what is left of them anywhere; the erasure check passes only at zero.
Nothing here reports an identifier: counts, and a hash of the erased pseudonym as the request's reference.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from sluice.ingest.batches import inflate
from sluice.ingest.raw_store import RawStore
from sluice.platform.errors import SluiceError
from sluice.platform.home import SluiceHome
from sluice.policy.pseudonyms import pseudonym
from sluice.publish.commit import published_days, rewrite_training
from sluice.quality.candidates import TRAINING_TABLES

LOG_DDL = """
CREATE TABLE IF NOT EXISTS erasure_log (subject VARCHAR, source VARCHAR, requested_at VARCHAR, completed_at VARCHAR,
  run_id VARCHAR);
"""


@dataclass(frozen=True)
class Subject:
    employee_id: str
    source: str  # consent_withdrawn | erasure_request
    requested_at: str | None


def subjects(con: duckdb.DuckDBPyConnection, requests_csv: str) -> list[Subject]:
    """Withdrawn employees of the loaded directory, and the requests CSV's (an unreadable CSV is an error)."""
    found = {r[0]: Subject(r[0], "consent_withdrawn", None)
             for r in con.execute("SELECT employee_id FROM directory WHERE consent = 'withdrawn'").fetchall()}
    if requests_csv:
        path = Path(requests_csv)
        if not path.is_file():
            raise SluiceError("erasures_missing", "the erasure-requests CSV is not a readable file")
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            if "employee_id" not in (reader.fieldnames or []):
                raise SluiceError("erasures_malformed", "the erasure-requests CSV has no employee_id column")
            for row in reader:
                if row.get("employee_id"):
                    found[row["employee_id"]] = Subject(row["employee_id"], "erasure_request", row.get("requested_at") or None)
    return sorted(found.values(), key=lambda s: s.employee_id)


class _Pairs(list):
    """A JSON object as its (key, value) pairs, keys given twice included."""


def _employees(line: bytes) -> set[str]:
    """Every top-level `employee_id` of a line: a key given twice must not hide an erased person
    behind another (the contract quarantines such a line; raw keeps it until erased)."""
    try:
        pairs = json.loads(line, object_pairs_hook=_Pairs)
    except ValueError:
        return set()
    return {v for k, v in pairs if k == "employee_id" and isinstance(v, str)} if isinstance(pairs, _Pairs) else set()


def filter_batch(data: bytes, ids: set[str]) -> tuple[bytes | None, int] | None:
    """The batch without the lines of `ids`: (new bytes, or None when no line is left; lines removed).
    None when nothing is to remove (or it cannot be read within bounds: it stays as it is)."""
    inflated = inflate(data)
    if inflated is None:
        return None
    lines = inflated.split(b"\n")
    kept = [line for line in lines if not _employees(line) & ids]
    removed = len(lines) - len(kept)
    if not removed:
        return None
    if not any(line.strip() for line in kept):
        return None, removed
    return gzip.compress(b"\n".join(kept), mtime=0), removed


def subject_devices(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Devices the private zone has seen the subjects (temp table `erasure_ids`) use."""
    sources = {
        "landed_lines": "SELECT json_extract_string(line, '$.device_id') FROM landed_lines WHERE json_valid(line)"
                        " AND json_extract_string(line, '$.employee_id') IN (SELECT id FROM erasure_ids)",
        "events": "SELECT device_id FROM events WHERE employee_id IN (SELECT id FROM erasure_ids)",
    }
    queries = [query for table, query in sources.items() if table in _present(con)]
    rows = con.execute(" UNION ".join(queries)).fetchall() if queries else []
    return {r[0] for r in rows if r[0]}


def erase_raw(store: RawStore, devices: set[str], ids: set[str]) -> dict[str, int]:
    counts = {"raw_lines_erased": 0, "raw_batches_rewritten": 0, "raw_batches_deleted": 0}
    folders = {f"device={d}" for d in devices}
    for folder_day in store.days():
        for batch in store.folder(folder_day):
            if batch.relative.split("/")[1] not in folders:
                continue
            with batch.open() as stream:
                outcome = filter_batch(stream.read(), ids)
            if outcome is None:
                continue
            data, removed = outcome
            store.replace(batch.relative, data)
            counts["raw_lines_erased"] += removed
            counts["raw_batches_deleted" if data is None else "raw_batches_rewritten"] += 1
    return counts


def raw_remaining(store: RawStore, devices: set[str], ids: set[str]) -> int:
    folders = {f"device={d}" for d in devices}
    left = 0
    for folder_day in store.days():
        for batch in store.folder(folder_day):
            if batch.relative.split("/")[1] in folders:
                with batch.open() as stream:
                    outcome = filter_batch(stream.read(), ids)
                left += outcome[1] if outcome else 0
    return left


_PRIVATE = {  # table -> predicate over the temp tables erasure_ids (id) and erasure_pseudonyms (p)
    "landed_lines": "line IS NOT NULL AND json_valid(line) AND json_extract_string(line, '$.employee_id') IN (SELECT id FROM erasure_ids)",
    "events": "employee_id IN (SELECT id FROM erasure_ids)",
    "quarantine": "line IS NOT NULL AND (CASE WHEN json_valid(line) THEN json_extract_string(line, '$.employee_id') IN (SELECT id FROM erasure_ids)"
                  " ELSE EXISTS (SELECT 1 FROM erasure_ids WHERE contains(line, id)) END)",
    "eligible_events": "actor IN (SELECT p FROM erasure_pseudonyms)",
    "training.interaction_steps": "actor IN (SELECT p FROM erasure_pseudonyms)",
    "training.assistant_turns": "actor IN (SELECT p FROM erasure_pseudonyms)",
}


def register(con: duckdb.DuckDBPyConnection, found: list[Subject], pseudonym_key: str) -> dict[str, str]:
    """Temp tables of the subjects' ids and pseudonyms; returns pseudonym by id."""
    by_id = {s.employee_id: pseudonym(pseudonym_key, "employee", s.employee_id) for s in found}
    con.execute("CREATE OR REPLACE TEMP TABLE erasure_ids (id VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE erasure_pseudonyms (p VARCHAR)")
    if by_id:
        con.executemany("INSERT INTO erasure_ids VALUES (?)", [[i] for i in by_id])
        con.executemany("INSERT INTO erasure_pseudonyms VALUES (?)", [[p] for p in by_id.values()])
    return by_id


def _present(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{s}.{t}" if s != "main" else t for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database()").fetchall()}


def affected_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Days whose eligible events hold a subject: their analytics must be recomputed."""
    if "eligible_events" not in _present(con):
        return []
    return [r[0] for r in con.execute(
        "SELECT DISTINCT partition_date FROM eligible_events WHERE actor IN (SELECT p FROM erasure_pseudonyms) ORDER BY 1").fetchall()]


def erase_private(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    present = _present(con)
    return {f"private_rows_erased:{table}": con.execute(f"DELETE FROM {table} WHERE {predicate}").fetchone()[0]
            for table, predicate in _PRIVATE.items() if table in present}


def erase_training(con: duckdb.DuckDBPyConnection, home: SluiceHome, run_id: str) -> tuple[list[date], int]:
    """Re-publish every published day holding a subject's pseudonym; (days rewritten, rows removed)."""
    rewritten, removed = [], 0
    for day in published_days(home):
        gone = rewrite_training(con, home, day, run_id, "actor NOT IN (SELECT p FROM erasure_pseudonyms)", "erasure")
        if gone:
            rewritten.append(day)
            removed += sum(gone.values())
    return rewritten, removed


def remaining(con: duckdb.DuckDBPyConnection, home: SluiceHome) -> dict[str, int]:
    """What is left of the subjects in the private zone and in every published training file."""
    present = _present(con)
    left = {f"private:{table}": con.execute(f"SELECT count(*) FROM {table} WHERE {predicate}").fetchone()[0]
            for table, predicate in _PRIVATE.items() if table in present}
    for table in TRAINING_TABLES:  # every file on disk, named by a marker or not: a stale version is a leak too
        files = sorted(str(p) for p in (home.training / table).rglob("*.parquet"))
        left[f"training:{table}"] = con.execute(
            "SELECT count(*) FROM read_parquet(?, hive_partitioning = false) WHERE actor IN (SELECT p FROM erasure_pseudonyms)",
            [files]).fetchone()[0] if files else 0
    return left


def reference(subject_pseudonym: str) -> str:
    """An erasure's reference in the logs: a hash of the (erased) pseudonym, so the logs keep nothing that
    links to data, yet HR, holding the key, can recompute it from the employee id."""
    return "x_" + hashlib.sha256(f"erasure\x1f{subject_pseudonym}".encode()).hexdigest()[:24]


def complete_requests(con: duckdb.DuckDBPyConnection, found: list[Subject], by_id: dict[str, str], run_id: str) -> list[dict]:
    """Record the subjects erased for the first time (verified); what the audit log says of each request."""
    con.execute(LOG_DDL)
    done = {r[0] for r in con.execute("SELECT subject FROM erasure_log").fetchall()}
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    new = [(reference(by_id[s.employee_id]), s.source, s.requested_at, now, run_id) for s in found
           if reference(by_id[s.employee_id]) not in done]
    if new:
        con.executemany("INSERT INTO erasure_log VALUES (?, ?, ?, ?, ?)", new)
    return [{"subject": p, "source": src, "requested_at": req, "completed_at": at} for p, src, req, at, _ in new]


REBUILD = "days_to_rebuild"  # the erasure's metadata: the days that runs of their own rebuild without the erased


def days_to_rebuild(days: list[date], partition: date, run_publishes: bool) -> list[date]:
    """The days an erasure touched whose models and publication must be rebuilt by runs of their own: all of them,
    but its own partition's when its run goes on to publish that day (the daily run: validation follows erasure)."""
    return [day for day in days if not (run_publishes and day == partition)]


def rebuild_key(erasure_run_id: str, day: str) -> str:
    """The run key of day D's rebuild after an erasure run: one rebuild per day and erasure, whoever asks."""
    return f"erasure:{erasure_run_id}:{day}"
