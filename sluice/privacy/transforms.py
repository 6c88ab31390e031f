"""Stage 5, privacy transforms: valid events -> `eligible_events`.

Joins the directory (consent, team), derives the DSS context and URL host, drops what the
ordered exclusion rules drop (counted by rule), replaces employee, device, session and
conversation ids with keyed pseudonyms, apps and models it cannot vouch for with `<APP_OTHER>` and
`<MODEL_OTHER>`, URLs with their scheme, host and path (`sluice/policy/identifiers.py`), keys with classes, and free text (assistant and
chat text, window titles, URLs) with its redacted form; then withholds the rows the second
layer still finds shaped like a protected value (`sluice/policy/residual_risk.py`). `eligible_events` holds no raw
text and no direct identifier: it is all dbt ever reads.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from sluice.platform.errors import SluiceError
from sluice.policy import residual_risk
from sluice.policy.aliases import URL_HOST_SQL, host_view_sql, register_host_view
from sluice.policy.exclusions import excluded_by_sql, ordered_exclusions
from sluice.policy.identifiers import published_values_sql, url_sql
from sluice.policy.keystrokes import KEY_CLASS_SQL
from sluice.policy.pseudonyms import pseudonym_table
from sluice.policy.scope import ScopeManifest
from sluice.policy.sensitivity import dss_context_sql
from sluice.redaction.detectors import PLACEHOLDERS
from sluice.redaction.engine import INPUT, OUTPUT, Redactor

PSEUDONYMISED = {"employee": "employee_id", "device": "device_id", "session": "session_id", "conversation": "conversation_id"}
REDACTED_COLUMNS = ("text", "window_title", "url")  # stored as text_redacted, title_redacted, url_redacted

DDL = """
CREATE TABLE IF NOT EXISTS directory (employee_id VARCHAR, name VARCHAR, email VARCHAR, team VARCHAR,
  region VARCHAR, consent VARCHAR);
CREATE TABLE IF NOT EXISTS eligible_events (partition_date DATE, actor VARCHAR, device VARCHAR,
  session VARCHAR, team VARCHAR, ts TIMESTAMP, event_type VARCHAR, app VARCHAR, url_host VARCHAR,
  title_redacted VARCHAR, url_redacted VARCHAR, x BIGINT, y BIGINT, screen_w BIGINT, screen_h BIGINT,
  button VARCHAR, clicks BIGINT, dx BIGINT, dy BIGINT, key_class VARCHAR, conversation VARCHAR,
  text_redacted VARCHAR, model VARCHAR, channel_kind VARCHAR, direction VARCHAR);
CREATE TABLE IF NOT EXISTS exclusions (partition_date DATE, rule VARCHAR, policy_rule INTEGER, n BIGINT);
CREATE TABLE IF NOT EXISTS redactions (partition_date DATE, placeholder VARCHAR, n BIGINT);
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


def _pseudonym_tables(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Temp tables `<kind>_pseudonyms` (id, pseudonym). Tables, not registered Arrow: DuckDB knows
    their size, so it builds its joins on them, not on the day's events (beyond memory on a large day)."""
    for kind, column in PSEUDONYMISED.items():
        ids = [r[0] for r in con.execute(
            f"SELECT DISTINCT {column} FROM judged_events WHERE excluded_by IS NULL AND {column} IS NOT NULL").fetchall()]
        con.register("incoming_pseudonyms", pa.table(pseudonym_table(key, kind, ids)))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {kind}_pseudonyms AS SELECT id::VARCHAR AS id, pseudonym::VARCHAR AS pseudonym"
                    " FROM incoming_pseudonyms")  # typed: no ids (an empty day) would make them INTEGER
        con.unregister("incoming_pseudonyms")


def _redact_column(con: duckdb.DuckDBPyConnection, redactor: Redactor, column: str) -> dict[str, int]:
    """Redact one text column of `promoted` in place; each distinct text of a scope is redacted once."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {INPUT} AS
        SELECT row_number() OVER () AS rid, scope, min(seq) AS ord, {column} AS text
        FROM promoted WHERE {column} IS NOT NULL GROUP BY scope, {column}
    """)
    counts = redactor.run(con)
    con.execute(f"""
        UPDATE promoted SET {column} = r.text
        FROM (SELECT i.scope, i.text AS original, o.text FROM {INPUT} i JOIN {OUTPUT} o USING (rid)) r
        WHERE promoted.scope = r.scope AND promoted.{column} = r.original
    """)
    con.execute(f"DROP TABLE {INPUT}")
    con.execute(f"DROP TABLE {OUTPUT}")
    return counts


def judge_events(con: duckdb.DuckDBPyConnection, day: date, manifest: ScopeManifest) -> None:
    """Temp table `judged_events`: day D's valid events with the directory, derived columns and
    `excluded_by`, the first rule that drops each (NULL: promoted)."""
    register_host_view(con)  # what host_view_sql calls on punycode hosts
    # The DSS context is a window over each session (and the previous day's tail): computed on the columns it
    # reads and joined back (event_id is unique within a day's events), so the window does not carry every column.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE judged_events AS
        SELECT *, {excluded_by_sql(manifest)} AS excluded_by
        FROM (SELECT * EXCLUDE (host), {host_view_sql('host')} AS url_host
              FROM (SELECT e.*, d.consent, d.team, {URL_HOST_SQL} AS host, c.dss_context, {KEY_CLASS_SQL} AS key_class
                    FROM events e LEFT JOIN directory d USING (employee_id)
                    JOIN ({dss_context_sql()}) c
                      USING (event_id)
                    WHERE e.partition_date = $day))
    """, {"day": day})


def transform_day(con: duckdb.DuckDBPyConnection, day: date, manifest: ScopeManifest, pseudonym_key: str) -> dict[str, int]:
    con.execute(DDL)
    judge_events(con, day, manifest)
    _pseudonym_tables(con, pseudonym_key)
    # `seq` orders the promoted events by session, time and id: numbered on the columns it reads and
    # joined back by event_id, so the sort does not carry every column of the day.
    for kind in ("app", "model"):  # identifier-like fields: default-deny, judged once per distinct value
        con.execute(f"CREATE OR REPLACE TEMP TABLE {kind}_values AS {published_values_sql(kind, 'judged_events')}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE promoted AS
        SELECT o.seq, coalesce(pc.pseudonym, ps.pseudonym) AS scope,
               pe.pseudonym AS actor, pd.pseudonym AS device, ps.pseudonym AS session, pc.pseudonym AS conversation,
               j.team, j.ts, j.event_type, av.published AS app, j.url_host, j.window_title, {url_sql('j.url')} AS url,
               j.x, j.y, j.screen_w, j.screen_h, j.button, j.clicks, j.dx, j.dy, j.key_class, j.text,
               mv.published AS model, j.channel_kind, j.direction
        FROM judged_events j
        JOIN employee_pseudonyms pe ON pe.id = j.employee_id
        JOIN device_pseudonyms pd ON pd.id = j.device_id
        JOIN session_pseudonyms ps ON ps.id = j.session_id
        LEFT JOIN conversation_pseudonyms pc ON pc.id = j.conversation_id
        LEFT JOIN app_values av ON av.value = j.app
        LEFT JOIN model_values mv ON mv.value = j.model
        JOIN (SELECT j.event_id, row_number() OVER (ORDER BY ps.pseudonym, j.ts, j.event_id) AS seq
              FROM judged_events j JOIN session_pseudonyms ps ON ps.id = j.session_id
              WHERE j.excluded_by IS NULL) o ON o.event_id = j.event_id
        WHERE j.excluded_by IS NULL
    """)
    redactor = Redactor.for_directory(r[0] for r in con.execute("SELECT name FROM directory").fetchall())
    redacted = dict.fromkeys(PLACEHOLDERS, 0)
    for column in REDACTED_COLUMNS:
        for placeholder, n in _redact_column(con, redactor, column).items():
            redacted[placeholder] += n
    signals = _withhold_residual_risk(con)
    for table in ("eligible_events", "exclusions", "redactions"):
        con.execute(f"DELETE FROM {table} WHERE partition_date = ?", [day])
    con.execute("""
        INSERT INTO eligible_events
        SELECT $day, actor, device, session, team, ts, event_type, app, url_host, window_title, url,
               x, y, screen_w, screen_h, button, clicks, dx, dy, key_class, conversation, text, model,
               channel_kind, direction
        FROM promoted ORDER BY seq
    """, {"day": day})
    rules = {**{e.name: e.policy_rule for e in ordered_exclusions(manifest)}, residual_risk.NAME: residual_risk.POLICY_RULE}
    excluded = dict(con.execute(
        "SELECT excluded_by, count(*) FROM judged_events WHERE excluded_by IS NOT NULL GROUP BY 1").fetchall())
    excluded[residual_risk.NAME] = sum(signals.values())
    con.executemany("INSERT INTO exclusions VALUES (?, ?, ?, ?)",
                    [(day, name, rules[name], excluded.get(name, 0)) for name in rules])
    con.executemany("INSERT INTO redactions VALUES (?, ?, ?)", [(day, p, n) for p, n in sorted(redacted.items())])
    promoted = con.execute("SELECT count(*) FROM promoted").fetchone()[0]
    for kind in PSEUDONYMISED:
        con.execute(f"DROP TABLE {kind}_pseudonyms")
    con.execute("DROP TABLE app_values")
    con.execute("DROP TABLE model_values")
    con.execute("DROP TABLE judged_events")
    con.execute("DROP TABLE promoted")
    return {"promoted": promoted, **{f"excluded:{name}": excluded.get(name, 0) for name in rules},
            **{f"redacted:{p.lower()}": n for p, n in sorted(redacted.items())},
            **{f"withheld:{signal}": n for signal, n in sorted(signals.items())}}


def _withhold_residual_risk(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Take the promoted rows the second layer flags out of `promoted` (policy rule 5): rows per signal."""
    residual_risk.load_lexicon(con)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE withheld AS
                    SELECT seq, coalesce(signal, CASE WHEN seq IN ({residual_risk.name_pair_rows_sql('promoted', 'seq')})
                                                      THEN 'name_pair' END) AS signal
                    FROM (SELECT seq, {residual_risk.signal_sql()} AS signal FROM promoted)""")
    con.execute("DELETE FROM withheld WHERE signal IS NULL")
    con.execute("DELETE FROM promoted WHERE seq IN (SELECT seq FROM withheld)")
    signals = dict(con.execute("SELECT signal, count(*) FROM withheld GROUP BY 1").fetchall())
    con.execute("DROP TABLE withheld")
    con.execute(f"DROP TABLE {residual_risk.LEXICON}")
    return {signal: signals.get(signal, 0) for signal in residual_risk.SIGNAL_NAMES}
