"""Policy rule 5, second layer: rows still shaped like a protected value after redaction are withheld.

A scanner of another family than the redaction engine, so that what the engine misses is not missed
twice: no detector, validator or directory of the engine is used here. It reads every content column of
a promoted row in its detection view (`fold_sql`) and looks for shapes, not for values; high recall,
lower precision:

- `digit_run`: nine or more digits, at most two separators between each two (phones, ids, cards, accounts,
  national numbers however they are spaced);
- `at_sign`: an `@` between word characters (an address the engine did not take);
- `secret_assignment`: a key named like a credential given a value (`db_pass = ...`, `"apiKey": "..."`), or a
  password on a command line (`-pS3cret9`, `--password x`);
- `person_cue`: an honorific or a salutation before a capitalised word (`Dr. Okafor`, `Dear Priya`): a name
  the engine's name finders left;
- `name_pair`: two capitalised words in a row, a given name and a surname of the Census lists (no cue, no
  guard: `Rose Gold` is withheld too), found by a join of the rows' word pairs (`name_pair_rows_sql`);
- `network_address`: a device address in dotted hex quads (`0050.56c0.0001`), or digits around a defanged dot
  (`10[.]0`, `(dot)`): shapes that are written to get past a filter;
- `id_code`: a code of five or more alternating runs of letters and digits, six digits or more, a letter that is
  not a hex digit (`RCCMNL83S18D969H`: codes with check letters; not ticket ids like `INC0012345`);
- `long_token`: a token of 20 or more characters of a key alphabet, letters and digits mixed, whose
  characters carry 3.5 bits of entropy or more (API keys, tokens, hashes).

A flagged row is withheld: excluded under the rule `residual_risk`, counted and audited like every
exclusion, never published. A rate of withheld rows above the manifest's `residual_risk_max_rate` blocks
the day (`sluice.quality.gates.residual_risk`): the engine has regressed, or the day is unlike any before it.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from sluice.privacy.lexicons import census
from sluice.redaction.normalize import fold_sql

NAME = "residual_risk"
POLICY_RULE = 5
CONTENT_COLUMNS = ("app", "url_host", "window_title", "url", "text", "model")
ENTROPY_BITS = 3.5
SIGNALS = {
    "digit_run": r"[0-9](?:[ ./()-]{0,2}[0-9]){8,}",
    "at_sign": r"[\pL\pN_]@[\pL\pN_]",
    "person_cue": r"\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Dear|Patient)\.?\s+[A-Z][a-z]+",
    "network_address": r"(?i)[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9](?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))[0-9]",
    "secret_assignment": r"(?i)[a-z_.-]*(?:pass|pwd|pw|secret|token|api_?key|auth|credential)[a-z_.-]*[\"']?\s*[:=]\s*[\"']?[^\s\"'<,;&]{4,}|\s(?:-p[a-z!@#$%^&*][^\s]*[0-9]|--(?:pass|password|passwd|pwd|token|secret)[= ][^\s<]{4,})",
    "url_credential": r"(?i)[?&#;][a-z0-9_%.-]*(?:token|secret|sig|key|code|auth|session|pass)[a-z0-9_%.-]*=[^&#\s<]{6,}",
}
TOKEN = r"[A-Za-z0-9+_=-]{20,}"  # no "/": a path is not a token (a key written with "/" has long pieces)
ID_CODE = r"[A-Za-z0-9]+"
ID_CODE_RUNS = 5
SIGNAL_NAMES = (*SIGNALS, "long_token", "id_code", "name_pair")
CAPITALISED_RUN = r"[A-Z][a-z]+(?: [A-Z][a-z]+)+"
LEXICON = "residual_names"  # name, role ('given' or 'surname'): the Census lists, as this layer reads them


def _id_code(view: str) -> str:
    codes = f"regexp_extract_all({view}, '{ID_CODE}')"
    return (f"list_bool_or(list_transform({codes}, t -> length(regexp_replace(t, '[^0-9]', '', 'g')) >= 6"
            f" AND regexp_matches(t, '[G-Zg-z]') AND length(regexp_replace(t, '[A-Za-z]+|[0-9]+', 'x', 'g')) >= {ID_CODE_RUNS}))")


def _long_token(view: str) -> str:
    tokens = f"regexp_extract_all({view}, '{TOKEN}')"
    return (f"list_bool_or(list_transform({tokens}, t -> regexp_matches(t, '[0-9]') AND regexp_matches(t, '[A-Za-z]')"
            f" AND list_aggregate(string_split(t, ''), 'entropy') >= {ENTROPY_BITS}))")


def signal_sql(columns: tuple[str, ...] = CONTENT_COLUMNS) -> str:
    """SQL: the first signal any content column of the row raises (NULL: nothing found)."""
    arms = []
    for column in columns:
        # An auth scheme before a placeholder is no value: `Authorization: Basic <SECRET_1>` is redacted.
        view = f"regexp_replace({fold_sql(column)}, '(?i)\\b(?:basic|bearer)\\s+(<[A-Z_]+_[0-9]+>)', '\\1', 'g')"
        arms += [f"WHEN coalesce(regexp_matches({view}, '{pattern.replace(chr(39), chr(39) * 2)}'), false) THEN '{name}'"
                 for name, pattern in SIGNALS.items()]
        arms.append(f"WHEN coalesce({_long_token(view)}, false) THEN 'long_token'")
        arms.append(f"WHEN coalesce({_id_code(view)}, false) THEN 'id_code'")
    return "CASE " + " ".join(arms) + " END"


def load_lexicon(con: duckdb.DuckDBPyConnection) -> None:
    """The Census given names and surnames as a table `residual_names` of the connection."""
    given, surnames = census()
    con.register("residual_incoming", pa.table({"name": [*given, *surnames], "role": ["given"] * len(given) + ["surname"] * len(surnames)}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LEXICON} AS SELECT * FROM residual_incoming")
    con.unregister("residual_incoming")


def name_pair_rows_sql(table: str, key: str, columns: tuple[str, ...] = CONTENT_COLUMNS) -> str:
    """SQL: the `key` of each row of `table` where two capitalised words in a row of a content column are a
    given name and a surname (`load_lexicon` first)."""
    words = " UNION ALL ".join(
        f"SELECT {key} AS k, string_split(unnest(regexp_extract_all({fold_sql(c)}, '{CAPITALISED_RUN}')), ' ') AS w FROM {table}"
        for c in columns)
    return f"""
        SELECT DISTINCT k FROM (SELECT k, lower(w[i]) AS first, lower(w[i + 1]) AS second
                                FROM (SELECT k, w, unnest(range(1, len(w))) AS i FROM ({words})))
        JOIN {LEXICON} g ON g.name = first AND g.role = 'given'
        JOIN {LEXICON} s ON s.name = second AND s.role = 'surname'"""
