"""The leak scan: a last look at every text column of a candidate table before it is published.

Runs the redaction engine (every detector, every directory name) over each distinct value
of each text column, and looks for the day's direct identifiers (employee ids, device ids,
emails) as tokens, in the detection view and whatever separators they are written with, spaces included. Any hit blocks the day; what is reported is the table, column, type
and count, never the value (policy rules 3, 5 and 9).
"""

from __future__ import annotations

import duckdb

from sluice.redaction.engine import INPUT, OUTPUT, Redactor
from sluice.redaction.normalize import fold_sql

TOKENS_SQL = r"[\w.@+-]+"
SEPARATORS_SQL = r"[._+-]"
MAX_PIECES = 4  # an identifier written in up to four pieces with spaces or other characters between them


def _text_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'private' AND table_schema = ? "
        "AND table_name = ? AND data_type = 'VARCHAR' ORDER BY ordinal_position", [schema, table]).fetchall()]


def _squashed(sql: str) -> str:
    """SQL: a token without its inner separators, so `E-1234-50001` and `e.123450001` are `e123450001`."""
    return f"regexp_replace({sql}, '{SEPARATORS_SQL}', '', 'g')"


def _grams(tokens: str) -> str:
    """SQL: each token, and each run of up to `MAX_PIECES` tokens joined, so `E 1234 50001` is one."""
    runs = ", ".join(f"list_transform(range(1, len({tokens}) - {n - 2}), i -> array_to_string({tokens}[i:i + {n - 1}], ''))"
                     for n in range(2, MAX_PIECES + 1))
    return f"list_concat({tokens}, {runs})"


def _identifiers(con: duckdb.DuckDBPyConnection, day) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE leak_identifiers AS
        SELECT DISTINCT {_squashed('lower(id)')} AS token, kind FROM (
          SELECT employee_id AS id, 'employee_id' AS kind FROM directory
          UNION ALL SELECT email, 'email' FROM directory
          UNION ALL SELECT device_id, 'device_id' FROM events WHERE partition_date = ?)
        WHERE id IS NOT NULL AND length(id) >= 4
    """, [day])


def scan_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, day) -> dict[str, int]:
    """Hits per `<column>:<type>` in `private.<schema>.<table>` (zero-count entries left out)."""
    redactor = Redactor.for_directory(r[0] for r in con.execute("SELECT name FROM directory").fetchall())
    _identifiers(con, day)
    hits: dict[str, int] = {}
    for column in _text_columns(con, schema, table):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {INPUT} AS
            SELECT row_number() OVER () AS rid, '' AS scope, 0 AS ord, value AS text
            FROM (SELECT DISTINCT "{column}" AS value FROM private.{schema}.{table} WHERE "{column}" IS NOT NULL)
        """)
        for kind, n in redactor.run(con).items():
            hits[f"{column}:{kind.lower()}"] = n
        for kind, n in con.execute(f"""
            SELECT i.kind, count(DISTINCT t.rid) FROM
              (SELECT rid, {_squashed('token')} AS token FROM (SELECT rid, unnest({_grams('tokens')}) AS token
               FROM (SELECT rid, regexp_extract_all(lower({fold_sql('text')}), '{TOKENS_SQL}') AS tokens FROM {INPUT}))) t
            JOIN leak_identifiers i USING (token) GROUP BY 1
        """).fetchall():
            hits[f"{column}:{kind}"] = n
        con.execute(f"DROP TABLE {INPUT}")
        con.execute(f"DROP TABLE {OUTPUT}")
    con.execute("DROP TABLE leak_identifiers")
    return {k: v for k, v in sorted(hits.items()) if v}
