"""The redaction engine: RE2 passes over a whole column in DuckDB, Python only for candidates.

1. DuckDB extracts every match of the combined pattern from the rows that have one
   (`regexp_matches` first, then `regexp_extract_all`); a row with nothing in it costs one
   vectorised scan and nothing else.
2. Each distinct candidate is classified in SQL (the first detector that fully matches it);
   only candidates of detectors with a validator (Luhn, mod-97, SSN ranges, phone digits,
   IP syntax) go through Python, once per distinct value.
3. DuckDB numbers confirmed values per scope (a conversation or a session) by first
   appearance, so a value is the same `<TYPE_n>` throughout its scope, and rebuilds the text
   from `regexp_split_to_array` pieces and the replacements, with the findings' offsets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import duckdb
import pyarrow as pa

from sluice.redaction.detectors import DETECTORS, Detector, validators
from sluice.redaction.people import name_variants, person_detector

INPUT = "redaction_input"  # columns: rid BIGINT (unique), scope VARCHAR, ord BIGINT, text VARCHAR
OUTPUT = "redaction_output"  # columns: rid, text (redacted), findings (list of {type, start, end} in the input)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Redactor:
    detectors: tuple[Detector, ...] = DETECTORS
    people: tuple[tuple[str, str], ...] = ()  # name variant -> the full name, both lowercase

    @classmethod
    def for_directory(cls, names: Iterable[str]) -> "Redactor":
        names = list(names)
        person = person_detector(names)
        return cls(DETECTORS + ((person,) if person else ()), tuple(name_variants(names).items()))

    @cached_property
    def pattern(self) -> str:
        return "|".join(f"(?:{d.pattern})" for d in self.detectors)

    def classify_sql(self) -> str:
        """SQL over `value`: the index of the first detector that fully matches it."""
        arms = " ".join(f"WHEN regexp_full_match(value, {_literal(d.pattern)}) THEN {i}" for i, d in enumerate(self.detectors))
        return f"CASE {arms} END"

    def _prefix_sql(self) -> str:
        arms = " ".join(f"WHEN {i} THEN regexp_extract(value, {_literal(d.keep_prefix)})"
                        for i, d in enumerate(self.detectors) if d.keep_prefix)
        return f"CASE detector {arms} ELSE '' END" if arms else "''"

    def _validate(self, con: duckdb.DuckDBPyConnection) -> None:
        """`redaction_valid(value, ok)` for candidates whose detector has a validator: Python, once per value."""
        checked = [i for i, d in enumerate(self.detectors) if d.validate is not validators.always]
        rows = con.execute(
            f"SELECT value, detector FROM redaction_classes WHERE detector IN ({', '.join(map(str, checked))})"
        ).fetchall() if checked else []
        con.register("redaction_valid", pa.table(
            {"value": [v for v, _ in rows], "ok": [self.detectors[d].validate(v) for v, d in rows]},
            schema=pa.schema([("value", pa.string()), ("ok", pa.bool_())])))

    def run(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Redact `redaction_input` into `redaction_output` (changed rows only); counts by type."""
        p = _literal(self.pattern)
        placeholders = "[" + ", ".join(_literal(d.placeholder) for d in self.detectors) + "]"
        con.register("redaction_people", pa.table({"variant": [v for v, _ in self.people], "person": [p for _, p in self.people]},
                                                  schema=pa.schema([("variant", pa.string()), ("person", pa.string())])))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE redaction_matches AS
            SELECT rid, scope, ord, regexp_extract_all(text, {p}) AS hits FROM {INPUT} WHERE regexp_matches(text, {p})
        """)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE redaction_hits AS
            SELECT rid, scope, ord, unnest(hits) AS value, generate_subscripts(hits, 1) AS k FROM redaction_matches
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE redaction_classes AS
            SELECT value, detector, {self._prefix_sql()} AS prefix
            FROM (SELECT value, {self.classify_sql()} AS detector FROM (SELECT DISTINCT value FROM redaction_hits))
            WHERE detector IS NOT NULL
        """)
        self._validate(con)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {OUTPUT} AS
            WITH classes AS (
              SELECT c.value, c.prefix, {placeholders}[c.detector + 1] AS type,
                     CASE {placeholders}[c.detector + 1]
                       WHEN 'PERSON' THEN coalesce(pp.person, lower(c.value))
                       WHEN 'EMAIL' THEN lower(c.value)
                       ELSE c.value[length(c.prefix) + 1:] END AS identity
              FROM redaction_classes c
              LEFT JOIN redaction_valid v USING (value)
              LEFT JOIN redaction_people pp ON pp.variant = lower(c.value)
              WHERE coalesce(v.ok, true)),
            confirmed AS (
              SELECT h.rid, h.scope, h.k, c.type, c.prefix,
                     min(h.ord * 1000000 + h.k) OVER (PARTITION BY h.scope, c.type, c.identity) AS first_seen
              FROM redaction_hits h JOIN classes c USING (value)),
            numbered AS (
              SELECT rid, k, type, prefix,
                     prefix || '<' || type || '_' || dense_rank() OVER (PARTITION BY scope, type ORDER BY first_seen) || '>' AS replacement
              FROM confirmed),
            per_row AS (
              SELECT rid, map_from_entries(list({{'key': k, 'value': replacement}})) AS replacement_of,
                     list_sort(list({{'k': k, 'type': type, 'skip': length(prefix)}})) AS found
              FROM numbered GROUP BY rid),
            rebuilt AS (
              SELECT r.*, m.hits AS hit_values, regexp_split_to_array(i.text, {p}) AS pieces
              FROM per_row r JOIN redaction_matches m USING (rid) JOIN {INPUT} i USING (rid)),
            replaced AS (
              SELECT *, list_transform(range(1, len(hit_values) + 1),
                                       n -> coalesce(replacement_of[n], hit_values[n])) AS replacements
              FROM rebuilt)
            SELECT rid,
                   array_to_string(list_transform(range(1, len(pieces) + 1),
                                                  n -> pieces[n] || coalesce(replacements[n], '')), '') AS text,
                   list_transform(found, f -> {{
                     'type': f.type,
                     'start': length(array_to_string(pieces[1:f.k], '')) + length(array_to_string(hit_values[1:f.k - 1], '')) + f.skip,
                     'end': length(array_to_string(pieces[1:f.k], '')) + length(array_to_string(hit_values[1:f.k], ''))}}) AS findings
            FROM replaced
        """)
        counts = dict(con.execute(f"SELECT f.type, count(*) FROM (SELECT unnest(findings) AS f FROM {OUTPUT}) GROUP BY 1").fetchall())
        for view in ("redaction_people", "redaction_valid"):
            con.unregister(view)
        con.execute("DROP TABLE redaction_hits")
        con.execute("DROP TABLE redaction_matches")
        con.execute("DROP TABLE redaction_classes")
        return counts


def redact_texts(texts: list[str], redactor: Redactor, scopes: list[str] | None = None,
                 with_findings: bool = False) -> tuple[list[str], list[list[dict]]]:
    """Redact texts in an in-memory DuckDB: the texts, and (if asked) each one's findings
    as `{type, start, end}` offsets into the input."""
    with duckdb.connect() as con:
        con.register(INPUT, pa.table({"rid": range(len(texts)), "scope": scopes or ["" for _ in texts],
                                      "ord": range(len(texts)), "text": texts},
                                     schema=pa.schema([("rid", pa.int64()), ("scope", pa.string()),
                                                       ("ord", pa.int64()), ("text", pa.string())])))
        redactor.run(con)
        columns = "coalesce(o.text, i.text) AS text" + (", coalesce(o.findings, []) AS findings" if with_findings else "")
        out = con.execute(f"SELECT {columns} FROM {INPUT} i LEFT JOIN {OUTPUT} o USING (rid) ORDER BY rid").fetch_arrow_table()
    return out["text"].to_pylist(), (out["findings"].to_pylist() if with_findings else [])
