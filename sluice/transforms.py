"""Stage 5, privacy transforms (deterministic part): valid events -> `eligible_events`.

Joins the directory (consent, team), derives the DSS context and URL host, drops what
the ordered exclusion rules drop (counted by rule), replaces employee, device and session
ids with keyed pseudonyms and keys with classes. Free text stays in the private zone:
no training mart selects it until it is redacted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from sluice.errors import SluiceError
from sluice.policy.exclusions import excluded_by_sql, ordered_exclusions
from sluice.policy.keystrokes import KEY_CLASS_SQL
from sluice.policy.pseudonyms import pseudonym_table
from sluice.policy.scope import ScopeManifest
from sluice.policy.sensitivity import DSS_CONTEXT_SQL

URL_HOST_SQL = "lower(regexp_extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)', 1))"

DDL = """
CREATE TABLE IF NOT EXISTS directory (employee_id VARCHAR, name VARCHAR, email VARCHAR, team VARCHAR,
  region VARCHAR, consent VARCHAR);
CREATE TABLE IF NOT EXISTS eligible_events (partition_date DATE, actor VARCHAR, device VARCHAR,
  session VARCHAR, team VARCHAR, ts TIMESTAMP, event_type VARCHAR, app VARCHAR, url_host VARCHAR,
  window_title VARCHAR, url VARCHAR, x BIGINT, y BIGINT, screen_w BIGINT, screen_h BIGINT,
  button VARCHAR, clicks BIGINT, dx BIGINT, dy BIGINT, key_class VARCHAR, conversation_id VARCHAR,
  text VARCHAR, model VARCHAR, channel_kind VARCHAR, direction VARCHAR);
CREATE TABLE IF NOT EXISTS exclusions (partition_date DATE, rule VARCHAR, policy_rule INTEGER, n BIGINT);
"""


def load_directory(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Replace the directory snapshot; rows with an unknown consent value count as not granted."""
    if not path.is_file():
        raise SluiceError("directory_missing", "the directory CSV is not a readable file")
    con.execute(DDL)
    con.execute("DELETE FROM directory")
    con.execute("""
        INSERT INTO directory
        SELECT employee_id, name, email, team, region,
               CASE WHEN consent IN ('granted', 'withdrawn', 'never') THEN consent ELSE 'never' END
        FROM read_csv(?, header = true, all_varchar = true,
                      columns = {'employee_id': 'VARCHAR', 'name': 'VARCHAR', 'email': 'VARCHAR',
                                 'team': 'VARCHAR', 'region': 'VARCHAR', 'consent': 'VARCHAR'})
        QUALIFY row_number() OVER (PARTITION BY employee_id ORDER BY consent <> 'granted' DESC) = 1
    """, [str(path)])
    return con.execute("SELECT count(*) FROM directory").fetchone()[0]


def transform_day(con: duckdb.DuckDBPyConnection, day: date, manifest: ScopeManifest, pseudonym_key: str) -> dict[str, int]:
    con.execute(DDL)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE judged_events AS
        SELECT *, {excluded_by_sql(manifest)} AS excluded_by
        FROM (SELECT e.*, d.consent, d.team, {URL_HOST_SQL} AS url_host, {DSS_CONTEXT_SQL} AS dss_context,
                     {KEY_CLASS_SQL} AS key_class
              FROM events e LEFT JOIN directory d USING (employee_id)
              WHERE e.partition_date = $day)
    """, {"day": day})
    for kind, column in (("employee", "employee_id"), ("device", "device_id"), ("session", "session_id")):
        ids = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM judged_events WHERE excluded_by IS NULL").fetchall()]
        con.register(f"{kind}_pseudonyms", pa.table(pseudonym_table(pseudonym_key, kind, ids)))
    con.execute("DELETE FROM eligible_events WHERE partition_date = ?", [day])
    con.execute("DELETE FROM exclusions WHERE partition_date = ?", [day])
    con.execute(f"""
        INSERT INTO eligible_events
        SELECT $day, pe.pseudonym, pd.pseudonym, ps.pseudonym, j.team, j.ts, j.event_type, j.app, j.url_host,
               j.window_title, j.url, j.x, j.y, j.screen_w, j.screen_h, j.button, j.clicks, j.dx, j.dy,
               j.key_class, j.conversation_id, j.text, j.model, j.channel_kind, j.direction
        FROM judged_events j
        JOIN employee_pseudonyms pe ON pe.id = j.employee_id
        JOIN device_pseudonyms pd ON pd.id = j.device_id
        JOIN session_pseudonyms ps ON ps.id = j.session_id
        WHERE j.excluded_by IS NULL
    """, {"day": day})
    rules = {e.name: e.policy_rule for e in ordered_exclusions(manifest)}
    excluded = dict(con.execute(
        "SELECT excluded_by, count(*) FROM judged_events WHERE excluded_by IS NOT NULL GROUP BY 1").fetchall())
    con.executemany("INSERT INTO exclusions VALUES (?, ?, ?, ?)",
                    [(day, name, rules[name], excluded.get(name, 0)) for name in rules])
    promoted = con.execute("SELECT count(*) FROM eligible_events WHERE partition_date = ?", [day]).fetchone()[0]
    for kind in ("employee", "device", "session"):
        con.unregister(f"{kind}_pseudonyms")
    con.execute("DROP TABLE judged_events")
    return {"promoted": promoted, **{f"excluded:{name}": excluded.get(name, 0) for name in rules}}
