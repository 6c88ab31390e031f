"""Stage 1, landing: the day's batches from the raw root (a folder or S3) into the private zone.

A batch lives under `date=<its first event's day>`, so day D reads the folders of D and
D-1 (a batch may cross midnight). Each line gets a `home_day`: its own UTC day when its
`ts` parses and lies on the folder's day or the next, otherwise the folder's day. Day D
keeps every line of folder D (those whose home is D+1 are counted as other-day) and the
lines of folder D-1 whose home is D (carried in).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

import duckdb
import pyarrow as pa

from sluice.contract.models import TS_FORMAT
from sluice.ingest.batches import BatchReport, Line, read_batch, read_batch_text
from sluice.ingest.raw_store import Batch, RawStore

FLUSH_LINES = 200_000
FLUSH_TEXT = 64 << 20  # characters of clean batches split in one statement
READERS = 4  # batches read (decompressed, decoded) at once: zlib and decoding release the GIL
LINE_SCHEMA = pa.schema([
    ("batch_path", pa.string()), ("line_no", pa.int64()), ("line", pa.string()), ("unreadable", pa.string()),
])
TEXT_SCHEMA = pa.schema([("batch_path", pa.string()), ("text", pa.large_string())])

DDL = """
CREATE TABLE IF NOT EXISTS batches (
  partition_date DATE, batch_path VARCHAR, batch_id VARCHAR, date_dir DATE, lines BIGINT,
  unreadable BIGINT, truncated BOOLEAN, error VARCHAR);
CREATE TABLE IF NOT EXISTS landed_content (partition_date DATE, content_key VARCHAR);
CREATE TABLE IF NOT EXISTS landed_lines (
  partition_date DATE, batch_path VARCHAR, batch_id VARCHAR, date_dir DATE, line_no BIGINT,
  home_day DATE, line VARCHAR, unreadable VARCHAR);
"""


class _Staging:
    """Lines on their way into the temp table `staged_lines`: clean batches as whole texts, split by
    DuckDB; other batches line by line, as the reader yields them with their reasons."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rows: dict[str, list] = {name: [] for name in LINE_SCHEMA.names}
        self.texts: dict[str, list] = {name: [] for name in TEXT_SCHEMA.names}
        self.text_size = 0

    def add_text(self, relative: str, text: str) -> None:
        if text:
            self.texts["batch_path"].append(relative)
            self.texts["text"].append(text)
            self.text_size += len(text)
            if self.text_size >= FLUSH_TEXT:
                self.flush()

    def add_lines(self, relative: str, lines: Iterator[Line]) -> None:
        for line in lines:
            self.rows["batch_path"].append(relative)
            self.rows["line_no"].append(line.number)
            self.rows["line"].append(line.text)
            self.rows["unreadable"].append(line.reason)
            if len(self.rows["line_no"]) >= FLUSH_LINES:
                self.flush()

    def flush(self) -> None:
        if self.texts["text"]:
            self.con.register("incoming_texts", pa.Table.from_pydict(self.texts, schema=TEXT_SCHEMA))
            self.con.execute("""
                INSERT INTO staged_lines
                SELECT batch_path, generate_subscripts(lines, 1), unnest(lines), NULL
                FROM (SELECT batch_path, string_split(text, chr(10)) AS lines FROM incoming_texts)""")
            self.con.unregister("incoming_texts")
        if self.rows["line_no"]:
            self.con.register("incoming_lines", pa.Table.from_pydict(self.rows, schema=LINE_SCHEMA))
            self.con.execute("INSERT INTO staged_lines SELECT * FROM incoming_lines")
            self.con.unregister("incoming_lines")
        for column in (*self.rows.values(), *self.texts.values()):
            column.clear()
        self.text_size = 0


def _read_text(batch: Batch) -> tuple[BatchReport, str | None]:
    report = BatchReport()
    with batch.open() as stream:
        return report, read_batch_text(stream, report)


def _read_all(batches: list[Batch]) -> Iterator[tuple[Batch, BatchReport, str | None]]:
    """Every batch's text (None: not clean), in order, READERS at a time (a bounded window)."""
    with ThreadPoolExecutor(READERS) as pool:
        window: deque[tuple[Batch, Future]] = deque()
        for batch in batches:
            window.append((batch, pool.submit(_read_text, batch)))
            if len(window) >= READERS * 2:
                batch_done, future = window.popleft()
                yield batch_done, *future.result()
        while window:
            batch_done, future = window.popleft()
            yield batch_done, *future.result()


def land_day(con: duckdb.DuckDBPyConnection, store: RawStore, day: date,
             on_batch: Callable[[int, int, int], None] | None = None) -> dict[str, int]:
    """Replace day D's landed lines and batch records; return the landing counts. `on_batch(batches read,
    batches in all, lines read)` is called after each batch (the run's progress)."""
    con.execute(DDL)
    con.execute("CREATE OR REPLACE TEMP TABLE staged_lines (batch_path VARCHAR, line_no BIGINT, line VARCHAR, unreadable VARCHAR)")
    staging = _Staging(con)
    reports = []
    batches, lines = store.batches(day), 0
    for batch, report, text in _read_all(batches):
        if text is None:  # not clean: read again, line by line, each line read or given its reason
            report = BatchReport()
            with batch.open() as stream:
                staging.add_lines(batch.relative, read_batch(stream, report))
        else:
            staging.add_text(batch.relative, text)
        reports.append((batch, report))
        lines += report.lines
        if on_batch is not None:
            on_batch(len(reports), len(batches), lines)
    staging.flush()
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
                 CAST(try_strptime(try(json_extract_string(s.line, '$.ts')), '{TS_FORMAT}') AS DATE) AS ts_day
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
    """What the day's run read (`sluice.ingest.arrivals.content_key`), for publish to name in its marker."""
    con.execute(DDL)
    con.execute("DELETE FROM landed_content WHERE partition_date = ?", [day])
    con.execute("INSERT INTO landed_content VALUES (?, ?)", [day, key])


def landed_content(con: duckdb.DuckDBPyConnection, day: date) -> str | None:
    con.execute(DDL)
    row = con.execute("SELECT content_key FROM landed_content WHERE partition_date = ?", [day]).fetchone()
    return row[0] if row else None
