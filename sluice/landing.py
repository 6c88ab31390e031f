"""Stage 1, landing: the day's batches from the raw root (a folder or S3) into the private zone.

A batch lives under `date=<its first event's day>`, so day D reads the folders of D and
D-1 (a batch may cross midnight). Each line gets a `home_day`: its own UTC day when its
`ts` parses and lies on the folder's day or the next, otherwise the folder's day. Day D
keeps every line of folder D (those whose home is D+1 are counted as other-day) and the
lines of folder D-1 whose home is D (carried in).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from sluice.batches import BatchReport, read_batch
from sluice.contract.models import TS_FORMAT
from sluice.raw_store import RawStore

FLUSH_LINES = 200_000
LINE_SCHEMA = pa.schema([
    ("batch_path", pa.string()), ("line_no", pa.int64()), ("line", pa.string()), ("unreadable", pa.string()),
])

DDL = """
CREATE TABLE IF NOT EXISTS batches (
  partition_date DATE, batch_path VARCHAR, batch_id VARCHAR, date_dir DATE, lines BIGINT,
  unreadable BIGINT, truncated BOOLEAN, error VARCHAR);
CREATE TABLE IF NOT EXISTS landed_content (partition_date DATE, content_key VARCHAR);
CREATE TABLE IF NOT EXISTS landed_lines (
  partition_date DATE, batch_path VARCHAR, batch_id VARCHAR, date_dir DATE, line_no BIGINT,
  home_day DATE, line VARCHAR, unreadable VARCHAR);
"""


def _flush(con: duckdb.DuckDBPyConnection, rows: dict[str, list]) -> None:
    if not rows["line_no"]:
        return
    table = pa.Table.from_pydict(rows, schema=LINE_SCHEMA)
    con.register("incoming_lines", table)
    con.execute("INSERT INTO staged_lines SELECT * FROM incoming_lines")
    con.unregister("incoming_lines")
    for column in rows.values():
        column.clear()


def land_day(con: duckdb.DuckDBPyConnection, store: RawStore, day: date) -> dict[str, int]:
    """Replace day D's landed lines and batch records; return the landing counts."""
    con.execute(DDL)
    con.execute("CREATE OR REPLACE TEMP TABLE staged_lines (batch_path VARCHAR, line_no BIGINT, line VARCHAR, unreadable VARCHAR)")
    batches = store.batches(day)
    rows: dict[str, list] = {name: [] for name in LINE_SCHEMA.names}
    reports = []
    for batch in batches:
        report = BatchReport()
        with batch.open() as stream:
            for line in read_batch(stream, report):
                rows["batch_path"].append(batch.relative)
                rows["line_no"].append(line.number)
                rows["line"].append(line.text)
                rows["unreadable"].append(line.reason)
                if len(rows["line_no"]) >= FLUSH_LINES:
                    _flush(con, rows)
        reports.append((batch, report))
    _flush(con, rows)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE staged_batches (batch_path VARCHAR, batch_id VARCHAR, date_dir DATE,"
        " lines BIGINT, unreadable BIGINT, truncated BOOLEAN, error VARCHAR)"
    )
    if reports:
        con.executemany(
            "INSERT INTO staged_batches VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(b.relative, b.batch_id, b.date_dir, r.lines, r.unreadable, r.truncated, r.error) for b, r in reports],
        )
    con.execute("DELETE FROM landed_lines WHERE partition_date = ?", [day])
    con.execute("DELETE FROM batches WHERE partition_date = ?", [day])
    con.execute(f"""
        INSERT INTO landed_lines
        WITH dated AS (
          SELECT s.batch_path, b.batch_id, b.date_dir, s.line_no, s.line, s.unreadable,
                 CAST(CASE WHEN s.line IS NOT NULL AND json_valid(s.line)
                      THEN try_strptime(json_extract_string(s.line, '$.ts'), '{TS_FORMAT}') END AS DATE) AS ts_day
          FROM staged_lines s JOIN staged_batches b USING (batch_path))
        SELECT ?, batch_path, batch_id, date_dir, line_no,
               CASE WHEN ts_day IN (date_dir, date_dir + 1) THEN ts_day ELSE date_dir END AS home_day,
               line, unreadable
        FROM dated
        WHERE date_dir = ? OR (CASE WHEN ts_day IN (date_dir, date_dir + 1) THEN ts_day ELSE date_dir END) = ?
    """, [day, day, day])
    con.execute("INSERT INTO batches SELECT ?, * FROM staged_batches WHERE date_dir = ?", [day, day])
    con.execute("DROP TABLE staged_lines")
    con.execute("DROP TABLE staged_batches")
    return landing_counts(con, day)


def landing_counts(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    counts = con.execute("""
        SELECT count(*) FILTER (date_dir = ?) AS lines_in_folder,
               count(*) FILTER (date_dir <> ?) AS carried_in,
               count(*) FILTER (unreadable IS NOT NULL) AS unreadable_at_landing
        FROM landed_lines WHERE partition_date = ?""", [day, day, day]).fetchone()
    batch_counts = con.execute("""
        SELECT count(*), count(*) FILTER (truncated), count(*) FILTER (error IS NOT NULL)
        FROM batches WHERE partition_date = ?""", [day]).fetchone()
    return {
        "batches": batch_counts[0],
        "batches_truncated": batch_counts[1],
        "batches_unreadable": batch_counts[2],
        "lines_in_folder": counts[0],
        "carried_in": counts[1],
        "unreadable_at_landing": counts[2],
    }


def record_content(con: duckdb.DuckDBPyConnection, day: date, key: str) -> None:
    """What the day's run read (`sluice.arrivals.content_key`), for publish to name in its marker."""
    con.execute(DDL)
    con.execute("DELETE FROM landed_content WHERE partition_date = ?", [day])
    con.execute("INSERT INTO landed_content VALUES (?, ?)", [day, key])


def landed_content(con: duckdb.DuckDBPyConnection, day: date) -> str | None:
    con.execute(DDL)
    row = con.execute("SELECT content_key FROM landed_content WHERE partition_date = ?", [day]).fetchone()
    return row[0] if row else None
