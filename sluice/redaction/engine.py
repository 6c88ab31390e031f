"""The redaction engine: one RE2 pass over a whole column in DuckDB, Python only for candidates.

1. DuckDB extracts every match of the combined pattern from every row (`regexp_extract_all`);
   rows with no match cost one vectorised scan and nothing else.
2. Each *distinct* candidate string is classified and validated in Python (Luhn, mod-97...).
3. DuckDB numbers confirmed values per scope (conversation or session) by first appearance,
   so a value is the same `<TYPE_n>` throughout its scope, and rebuilds the text from
   `regexp_split_to_array` pieces and replacements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import duckdb
import pyarrow as pa

from sluice.redaction.detectors import DETECTORS, Detector
from sluice.redaction.people import name_variants, person_detector

INPUT = "redaction_input"  # columns: rid BIGINT (unique), scope VARCHAR, ord BIGINT, text VARCHAR
OUTPUT = "redaction_output"  # columns: rid, text (redacted), findings (list of struct type, k)


@dataclass(frozen=True)
class Candidate:
    detector: Detector | None
    valid: bool
    prefix: str
    core: str


@dataclass(frozen=True)
class Redactor:
    detectors: tuple[Detector, ...] = DETECTORS
    people: tuple[tuple[str, str], ...] = ()  # name variant -> the full name, both lowercase

    @classmethod
    def for_directory(cls, names: Iterable[str]) -> "Redactor":
        names = list(names)
        person = person_detector(names)
        return cls(DETECTORS + ((person,) if person else ()), tuple(name_variants(names).items()))

    def _identity(self, placeholder: str, core: str) -> str:
        """What makes two findings the same instance: case-folded, and a name's variants are one person."""
        if placeholder == "PERSON":
            return dict(self.people).get(core.lower(), core.lower())
        return core.lower() if placeholder == "EMAIL" else core

    @cached_property
    def pattern(self) -> str:
        return "|".join(f"(?:{d.pattern})" for d in self.detectors)

    @cached_property
    def _compiled(self) -> list[tuple[Detector, re.Pattern[str], re.Pattern[str] | None]]:
        return [(d, d.compiled(), re.compile(d.keep_prefix) if d.keep_prefix else None) for d in self.detectors]

    def classify(self, value: str) -> Candidate:
        for detector, pattern, prefix_pattern in self._compiled:
            if pattern.fullmatch(value):
                prefix_match = prefix_pattern.match(value) if prefix_pattern else None
                prefix = prefix_match.group(0) if prefix_match else ""
                core = value[len(prefix):]
                return Candidate(detector, detector.validate(core), prefix, core)
        return Candidate(None, False, "", value)

    def _sql_pattern(self) -> str:
        return "'" + self.pattern.replace("'", "''") + "'"

    def run(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Redact `redaction_input` into `redaction_output` (changed rows only); counts by type."""
        p = self._sql_pattern()
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE redaction_hits AS
            SELECT rid, scope, ord, unnest(hits) AS value, generate_subscripts(hits, 1) AS k
            FROM (SELECT rid, scope, ord, regexp_extract_all(text, {p}) AS hits FROM {INPUT})
        """)
        values = [r[0] for r in con.execute("SELECT DISTINCT value FROM redaction_hits").fetchall()]
        classes = [self.classify(v) for v in values]
        con.register("redaction_classes", pa.table({
            "value": values,
            "type": [c.detector.placeholder if c.detector and c.valid else None for c in classes],
            "prefix": [c.prefix for c in classes],
            "core": [self._identity(c.detector.placeholder, c.core) if c.detector else c.core for c in classes],
        }, schema=pa.schema([("value", pa.string()), ("type", pa.string()), ("prefix", pa.string()), ("core", pa.string())])))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {OUTPUT} AS
            WITH confirmed AS (
              SELECT h.rid, h.scope, h.k, c.type, c.prefix, c.core,
                     min(h.ord * 1000000 + h.k) OVER (PARTITION BY h.scope, c.type, c.core) AS first_seen
              FROM redaction_hits h JOIN redaction_classes c USING (value) WHERE c.type IS NOT NULL),
            numbered AS (
              SELECT rid, k, type,
                     prefix || '<' || type || '_' || dense_rank() OVER (PARTITION BY scope, type ORDER BY first_seen) || '>' AS replacement
              FROM confirmed),
            per_row AS (
              SELECT h.rid, list(coalesce(n.replacement, h.value) ORDER BY h.k) AS replacements,
                     list({{'type': n.type, 'k': h.k}} ORDER BY h.k) FILTER (WHERE n.type IS NOT NULL) AS findings
              FROM redaction_hits h LEFT JOIN numbered n USING (rid, k)
              GROUP BY h.rid HAVING count(n.type) > 0)
            SELECT i.rid,
                   array_to_string(list_transform(range(1, len(pieces) + 1),
                                                  n -> pieces[n] || coalesce(replacements[n], '')), '') AS text,
                   findings
            FROM (SELECT i.rid, regexp_split_to_array(i.text, {p}) AS pieces FROM {INPUT} i
                  WHERE i.rid IN (SELECT rid FROM per_row)) i
            JOIN per_row USING (rid)
        """)
        counts = dict(con.execute(f"""
            SELECT f.type, count(*) FROM (SELECT unnest(findings) AS f FROM {OUTPUT}) GROUP BY 1
        """).fetchall())
        con.unregister("redaction_classes")
        con.execute("DROP TABLE redaction_hits")
        return counts


def redact_texts(texts: list[str], redactor: Redactor, scopes: list[str] | None = None) -> tuple[list[str], list[list[dict]]]:
    """Redact a list of texts in an in-memory DuckDB; returns texts and findings (type, start, end in the input)."""
    con = duckdb.connect()
    scopes = scopes or ["" for _ in texts]
    con.register("incoming", pa.table({"rid": list(range(len(texts))), "scope": scopes,
                                       "ord": list(range(len(texts))), "text": texts}))
    con.execute(f"CREATE TEMP TABLE {INPUT} AS SELECT * FROM incoming")
    redactor.run(con)
    changed = {rid: (text, findings) for rid, text, findings in con.execute(f"SELECT rid, text, findings FROM {OUTPUT}").fetchall()}
    out_texts, out_findings = [], []
    compiled = re.compile(redactor.pattern)
    for rid, text in enumerate(texts):
        if rid not in changed:
            out_texts.append(text)
            out_findings.append([])
            continue
        redacted, findings = changed[rid]
        spans = [m.span() for m in compiled.finditer(text)]
        out_texts.append(redacted)
        out_findings.append([{"type": f["type"], "start": spans[f["k"] - 1][0], "end": spans[f["k"] - 1][1]} for f in findings])
    con.close()
    return out_texts, out_findings
