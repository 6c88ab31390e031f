"""Stages 2 and 3, contract and scope: sort day D's landed lines into valid events and
quarantine, with a counted reason for every line that is not a valid event.

Conservation: lines read = valid + quarantined + duplicates + unreadable + other-day.
Duplicates are later copies of an `event_id` (first by batch path and line number wins) with the same
line; a copy with other content is judged like any line (`conflicting_duplicate` when nothing else).
Scope creep (`scope:*`) is judged before the contract (`contract:*`); the SQL derived
from the models finds contract failures in bulk and pydantic names them, row by row.
A line dated outside its batch folder's day and the next is quarantined too.
"""

from __future__ import annotations

from datetime import date

import duckdb

from sluice.contract.models import TS_FORMAT
from sluice.contract.reasons import contract_reason
from sluice.contract.vectorised import column_sql, columns, parsed_sql, transform_type, violation_sql
from sluice.policy.scope import ScopeManifest, scope_reason_sql

# A valid line whose `ts` is neither its folder's day nor the next: the agent's clock or
# folder is wrong, and publishing it under this day would misdate it.
OFF_DAY = "contract:ts_outside_batch_days"
# A later copy of an event_id with other content than the first: never taken for a duplicate (it could hide
# anything behind a valid event's id); judged for scope and contract like any line, else quarantined so.
CONFLICTING = "contract:conflicting_duplicate"

DDL = f"""
CREATE TABLE IF NOT EXISTS events (partition_date DATE, batch_id VARCHAR, line_no BIGINT,
  {", ".join(f"{name} {sql_type}" for name, sql_type in columns().items())});
CREATE TABLE IF NOT EXISTS quarantine (partition_date DATE, batch_path VARCHAR, batch_id VARCHAR,
  line_no BIGINT, reason VARCHAR, line VARCHAR);
CREATE TABLE IF NOT EXISTS line_outcomes (partition_date DATE, outcome VARCHAR, reason VARCHAR, n BIGINT);
"""


def validate_day(con: duckdb.DuckDBPyConnection, day: date, manifest: ScopeManifest) -> dict[str, int]:
    con.execute(DDL)
    # Later copies of an event_id; a copy whose line differs from the first is `conflicting` (judged like any line).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE duplicates AS
        WITH ids AS (
          SELECT batch_path, line_no, event_id
          FROM (SELECT batch_path, line_no, CASE WHEN left(id, 1) = '"' THEN id ->> '$' END AS event_id
                FROM (SELECT batch_path, line_no, try(json_extract(line, '$.event_id')) AS id
                      FROM landed_lines WHERE partition_date = $day AND home_day = $day AND unreadable IS NULL))
          WHERE event_id IS NOT NULL),
        repeated AS (SELECT i.* FROM ids i SEMI JOIN (SELECT event_id FROM ids GROUP BY 1 HAVING count(*) > 1) r USING (event_id))
        SELECT batch_path, line_no, conflicting FROM (
          SELECT r.batch_path, r.line_no,
                 md5(l.line) <> first_value(md5(l.line)) OVER copies AS conflicting, row_number() OVER copies AS copy
          FROM repeated r JOIN landed_lines l USING (batch_path, line_no)
          WHERE l.partition_date = $day
          WINDOW copies AS (PARTITION BY r.event_id ORDER BY r.batch_path, r.line_no))
        WHERE copy > 1
    """, {"day": day})
    # Every line of the day once, parsed once per JSON function, with its outcome and its text: the
    # inserts below read this alone, never joining the day's lines back (a join as large as the day,
    # beyond memory).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE judged AS
        SELECT batch_path, batch_id, line_no, line,
          CASE
            WHEN home_day <> $day THEN 'other_day'
            WHEN unreadable IS NOT NULL OR j IS NULL THEN 'unreadable'
            WHEN duplicate AND NOT conflicting THEN 'duplicate'
            WHEN scope_reason IS NOT NULL OR contract_violation OR off_day OR conflicting THEN 'quarantined'
            ELSE 'valid'
          END AS outcome,
          CASE
            WHEN home_day <> $day THEN NULL
            WHEN unreadable IS NOT NULL THEN unreadable
            WHEN j IS NULL THEN 'unreadable:not_json'
            WHEN duplicate AND NOT conflicting THEN NULL
            ELSE coalesce(scope_reason, CASE WHEN contract_violation THEN 'contract:pending' END,
                          CASE WHEN off_day THEN '{OFF_DAY}' END, CASE WHEN conflicting THEN '{CONFLICTING}' END)
          END AS reason
        FROM (
          SELECT *, CASE WHEN t0 = 'OBJECT' THEN {scope_reason_sql(manifest)} END AS scope_reason,
                 CASE WHEN j IS NOT NULL THEN {violation_sql()} END AS contract_violation,
                 coalesce(CAST(try_strptime(s.ts, '{TS_FORMAT}') AS DATE) <> $day, false) AS off_day
          FROM (SELECT *, {parsed_sql("j")}
                FROM (SELECT l.*, d.line_no IS NOT NULL AS duplicate, coalesce(d.conflicting, false) AS conflicting,
                             CASE WHEN l.unreadable IS NULL AND json_valid(l.line) THEN l.line END AS j
                      FROM landed_lines l LEFT JOIN duplicates d USING (batch_path, line_no)
                      WHERE l.partition_date = $day)))
    """, {"day": day})
    _name_contract_reasons(con)
    con.execute("DELETE FROM events WHERE partition_date = ?", [day])
    con.execute("DELETE FROM quarantine WHERE partition_date = ?", [day])
    con.execute("DELETE FROM line_outcomes WHERE partition_date = ?", [day])
    con.execute(f"""INSERT INTO events SELECT $day, batch_id, line_no, {column_sql()}
                    FROM (SELECT batch_id, line_no, json_transform(line, '{transform_type()}') AS s
                          FROM judged WHERE outcome = 'valid')""",
                {"day": day})
    con.execute("""INSERT INTO quarantine SELECT $day, batch_path, batch_id, line_no, reason, line
                   FROM judged WHERE outcome = 'quarantined'""", {"day": day})
    con.execute("INSERT INTO line_outcomes SELECT ?, outcome, reason, count(*) FROM judged GROUP BY ALL", [day])
    con.execute("DROP TABLE judged")
    con.execute("DROP TABLE duplicates")
    return outcome_counts(con, day)


def _name_contract_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """Pydantic, only on the rows the bulk SQL rejected, to name each reason."""
    rejected = con.execute("SELECT batch_path, line_no, line FROM judged WHERE reason = 'contract:pending'").fetchall()
    if not rejected:
        return
    named = [(contract_reason(line), path, no) for path, no, line in rejected]
    con.executemany("UPDATE judged SET reason = ? WHERE batch_path = ? AND line_no = ?", named)


def outcome_counts(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    """`lines_read` and one count per outcome, plus one per reason (`reason:<code>`)."""
    rows = con.execute(
        "SELECT outcome, reason, n FROM line_outcomes WHERE partition_date = ? ORDER BY ALL", [day]
    ).fetchall()
    counts: dict[str, int] = {k: 0 for k in ("lines_read", "valid", "quarantined", "duplicate", "unreadable", "other_day")}
    for outcome, reason, n in rows:
        counts["lines_read"] += n
        counts[outcome] += n
        if reason:
            counts[f"reason:{reason}"] = counts.get(f"reason:{reason}", 0) + n
    return counts
