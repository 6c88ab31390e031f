"""The redaction engine: RE2 passes over a whole column in DuckDB, Python only for candidates.

0. Detectors read each text's detection view (`normalize.py`: format characters dropped, spaces,
   dashes and compatibility forms folded, accents off); an ASCII text is its own view, the
   others are folded in Python and aligned with their original.
1. DuckDB extracts every match of the combined pattern from the rows that have one
   (`regexp_matches` first, then `regexp_extract_all`); a row with nothing in it costs one
   vectorised scan and nothing else.
2. Each distinct candidate is classified in SQL (the first detector that fully matches it);
   only candidates of detectors with a validator (Luhn, mod-97, SSN ranges, phone digits,
   IP syntax) go through Python, once per distinct value.
3. DuckDB numbers confirmed values per scope (a conversation or a session) by first
   appearance, so a value is the same `<TYPE_n>` throughout its scope, and rebuilds the text
   from `regexp_split_to_array` pieces and the replacements, with the findings' offsets.
4. Python finders read the views of the rows that may hold what they find: directory names by token lookup
   (rows holding a piece of one), anyone else's by the name finder, secrets by the detect-secrets rule set
   (rows matching their RE2 prefilters).
5. A folded row is rebuilt from its original text: each finding mapped back to the characters it
   came from, so only the value changes and the rest keeps its accents, spaces and forms.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property

import duckdb
import pyarrow as pa

from sluice.redaction import validators
from sluice.redaction.detectors import DETECTORS, WORD_TYPES, Detector
from sluice.redaction.normalize import Alignment, detection_view, non_ascii_sql
from sluice.redaction.people import PIECES_SQL, PeopleIndex
from sluice.redaction.person_names import NameFinder, name_finder
from sluice.redaction.secret_rules import SecretRules

INPUT = "redaction_input"  # columns: rid BIGINT (unique), scope VARCHAR, ord BIGINT, text VARCHAR
OUTPUT = "redaction_output"  # columns: rid, text (redacted), findings (list of {type, start, end} in the input)
VIEWS = "redaction_views"  # rid, text: the detection view of each input text that is not its own view
DETECT = "redaction_detect"  # what the detectors read: the input with each text's view
REJECTED = "redaction_rejected"  # rid: rows where a failed candidate holds a match of another detector


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


MAX_REGEX_PIECES = 1_000
FINDING = "STRUCT(type VARCHAR, start BIGINT, \"end\" BIGINT, placeholder VARCHAR)"


@dataclass(frozen=True)
class Redactor:
    detectors: tuple[Detector, ...] = DETECTORS
    people: PeopleIndex | None = None
    strangers: NameFinder | None = None  # names of people outside the directory
    secrets: SecretRules | None = None  # the secret rule set's providers and keywords

    @classmethod
    def for_directory(cls, names: Iterable[str], finder: NameFinder | None = None) -> "Redactor":
        """Every detector, the directory's names, anyone else's (`finder`, the lexicon by default), the rule set."""
        return cls(DETECTORS, PeopleIndex.from_names(names), finder or name_finder(), SecretRules())

    @cached_property
    def pattern(self) -> str:
        return _alternation(self.detectors)

    @cached_property
    def parts(self) -> tuple[tuple[Detector, ...], ...]:
        """The detectors in two parts, each scanned as one alternation: those of words, keys and addresses, and those
        of numbers.

        Speed only, the matches are the same: RE2 runs the two over a column in 0.4 times what the whole alternation
        takes (its automaton for both at once has far more states); a text that only one part matches anywhere has
        exactly that part's matches, and the few that both match are scanned with the whole.
        """
        parts = (tuple(d for d in self.detectors if d.placeholder in WORD_TYPES),
                 tuple(d for d in self.detectors if d.placeholder not in WORD_TYPES))
        return tuple(part for part in parts if part)

    def _scan_sql(self, function: str) -> str:
        """`function` (an RE2 list function) over `text` with the part of the pattern that row `hit_<i>` says matches."""
        if len(self.parts) == 1:
            return f"{function}(text, {_literal(self.pattern)})"
        arms = " ".join(f"WHEN hit_{i} THEN {function}(text, {_literal(_alternation(part))})" for i, part in enumerate(self.parts))
        several = " + ".join(f"hit_{i}::INT" for i in range(len(self.parts)))
        return f"CASE WHEN {several} > 1 THEN {function}(text, {_literal(self.pattern)}) {arms} END"

    def _matches_sql(self, value: str, leaving_out: Detector | None = None) -> str:
        """SQL: whether `value` holds a match of any detector but `leaving_out` anywhere (a pass per part)."""
        arms = [_alternation(d for d in part if d is not leaving_out) for part in self.parts]
        return "(" + " OR ".join(f"regexp_matches({value}, {_literal(arm)})" for arm in arms if arm) + ")" if any(arms) else "false"

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
        with collector_paused():
            return self._run(con)

    def _run(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        alignments = self._detection_views(con)
        placeholders = "[" + ", ".join(_literal(d.placeholder) for d in self.detectors) + "]"
        scanned = ", ".join(f"regexp_matches(text, {_literal(_alternation(part))}) AS hit_{i}" for i, part in enumerate(self.parts))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE redaction_matches AS
            SELECT rid, scope, ord, {self._scan_sql("regexp_extract_all")} AS hits, {self._scan_sql("regexp_split_to_array")} AS pieces
            FROM (SELECT *, {scanned} FROM {DETECT}) WHERE {" OR ".join(f"hit_{i}" for i in range(len(self.parts)))}
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
                     CASE {placeholders}[c.detector + 1] WHEN 'EMAIL' THEN lower(c.value)
                       ELSE c.value[length(c.prefix) + 1:] END AS identity
              FROM redaction_classes c
              LEFT JOIN redaction_valid v USING (value)
              WHERE coalesce(v.ok, true)),
            confirmed AS (
              SELECT h.rid, h.scope, h.k, c.type, c.prefix,
                     min(h.ord * 1000000 + h.k) OVER (PARTITION BY h.scope, c.type, c.identity) AS first_seen
              FROM redaction_hits h JOIN classes c USING (value)),
            numbered AS (
              SELECT rid, k, type, prefix, prefix || placeholder AS replacement, placeholder
              FROM (SELECT *, '<' || type || '_' || dense_rank() OVER (PARTITION BY scope, type ORDER BY first_seen) || '>' AS placeholder
                    FROM confirmed)),
            per_row AS (
              SELECT rid, map_from_entries(list({{'key': k, 'value': replacement}})) AS replacement_of,
                     list_sort(list({{'k': k, 'type': type, 'skip': length(prefix), 'placeholder': placeholder}})) AS found
              FROM numbered GROUP BY rid),
            rebuilt AS (
              SELECT r.*, m.hits AS hit_values, m.pieces FROM per_row r JOIN redaction_matches m USING (rid)),
            replaced AS (
              SELECT *, list_transform(range(1, len(hit_values) + 1),
                                       n -> coalesce(replacement_of[n], hit_values[n])) AS replacements
              FROM rebuilt)
            SELECT rid,
                   array_to_string(list_transform(range(1, len(pieces) + 1),
                                                  n -> pieces[n] || coalesce(replacements[n], '')), '') AS text,
                   CAST(list_transform(found, f -> {{
                     'type': f.type,
                     'start': length(array_to_string(pieces[1:f.k], '')) + length(array_to_string(hit_values[1:f.k - 1], '')) + f.skip,
                     'end': length(array_to_string(pieces[1:f.k], '')) + length(array_to_string(hit_values[1:f.k], '')),
                     'placeholder': f.placeholder}}) AS {FINDING}[]) AS findings
            FROM replaced
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {REJECTED} AS
            WITH failed AS (
              SELECT DISTINCT h.value, c.detector FROM redaction_hits h
              LEFT JOIN redaction_classes c USING (value) LEFT JOIN redaction_valid v USING (value)
              WHERE c.detector IS NULL OR NOT coalesce(v.ok, true))
            SELECT DISTINCT rid FROM redaction_hits JOIN (SELECT value FROM failed WHERE {self._hides_sql()}) USING (value)
        """)
        con.unregister("redaction_valid")
        con.execute("DROP TABLE redaction_hits")
        con.execute("DROP TABLE redaction_matches")
        con.execute("DROP TABLE redaction_classes")
        self._python_pass(con)
        con.execute(f"DROP TABLE {REJECTED}")
        self._restore_originals(con, alignments)
        con.execute(f"DROP TABLE {DETECT}")
        con.execute(f"DROP TABLE {VIEWS}")
        return dict(con.execute(f"SELECT f.type, count(*) FROM (SELECT unnest(findings) AS f FROM {OUTPUT}) GROUP BY 1").fetchall())

    def _hides_sql(self) -> str:
        """SQL over a failed candidate `value` (and its `detector`): whether it holds a match of another detector (one
        that may be valid: the span the candidate took hid it); unclassified, whether it does after its first character."""
        others = " ".join(f"WHEN {i} THEN {self._matches_sql('value', leaving_out=d)}" for i, d in enumerate(self.detectors))
        return f"CASE detector {others} ELSE {self._matches_sql('value[2:]')} END"

    @staticmethod
    def _detection_views(con: duckdb.DuckDBPyConnection) -> dict[int, Alignment]:
        """`redaction_views` (the view of every input text that is not ASCII and not its own view) and the
        `redaction_detect` view the detectors read; the alignment of each folded row."""
        views: dict[str, list] = {"rid": [], "text": []}
        alignments: dict[int, Alignment] = {}
        for rid, text in con.execute(f"SELECT rid, text FROM {INPUT} WHERE {non_ascii_sql('text')}").fetchall():
            view, alignment = detection_view(text)
            if alignment is not None:
                views["rid"].append(rid)
                views["text"].append(view)
                alignments[rid] = alignment
        con.register("redaction_incoming_views", pa.table(views, schema=pa.schema([("rid", pa.int64()), ("text", pa.string())])))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {VIEWS} AS SELECT * FROM redaction_incoming_views")
        con.unregister("redaction_incoming_views")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {DETECT} AS
                        SELECT i.rid, i.scope, i.ord, coalesce(v.text, i.text) AS text FROM {INPUT} i LEFT JOIN {VIEWS} v USING (rid)""")
        return alignments

    @staticmethod
    def _restore_originals(con: duckdb.DuckDBPyConnection, alignments: dict[int, Alignment]) -> None:
        """Rebuild each folded row that has findings from its original text, every finding mapped back."""
        if not alignments:
            return
        rows = con.execute(f"""SELECT o.rid, i.text, o.findings FROM {OUTPUT} o JOIN {INPUT} i USING (rid)
                               WHERE o.rid IN (SELECT rid FROM {VIEWS})""").fetchall()
        changed: dict[str, list] = {"rid": [], "text": [], "findings": []}
        for rid, original, findings in rows:
            mapped = []
            for f in sorted(findings, key=lambda f: f["start"]):
                start, end = alignments[rid].span(f["start"], f["end"])
                mapped.append({**f, "start": start, "end": end})
            changed["rid"].append(rid)
            changed["text"].append(_replace(original, mapped))
            changed["findings"].append(mapped)
        _replace_output(con, changed)

    def _finders(self) -> list[tuple[str, str, Finder]]:
        """(type, identity prefix, finder) of the Python pass, in priority order: the detectors again on rows where a
        candidate failed, directory names, anyone else's names, the secret rule set."""
        rescans = [(kind, "", Rescan(tuple(d for d in self.detectors if d.placeholder == kind)))
                   for kind in dict.fromkeys(d.placeholder for d in self.detectors)]
        return rescans + [(kind, prefix, finder) for kind, prefix, finder in (
            ("PERSON", "", self.people), ("PERSON", "~", self.strangers), ("SECRET", "", self.secrets)) if finder is not None]

    def _candidate_sql(self, finder: Finder, text: str) -> str:
        """SQL over the expression `text` (a text as redacted so far): whether `finder` may find something in it.

        Directory names: a small directory is one RE2 pass over a word alternation; past `MAX_REGEX_PIECES`
        words RE2 falls off its fast path (measured: 400 words 0.05 s, 7,600 words 3.5 s
        for 200k texts), so a large one is a lookup of the row's words (0.36 s, flat). Other finders: their
        RE2 prefilter. Rescans: the rows where a failed candidate holds another detector's match.
        """
        if isinstance(finder, Rescan):
            return "rejected IS NOT NULL"
        if not isinstance(finder, PeopleIndex):
            return f"regexp_matches({text}, {_literal(finder.candidate_sql)})"
        if len(finder.pieces) <= MAX_REGEX_PIECES:
            # Letters around a piece end it, not word characters: `renee_dubois_cv.pdf` holds `dubois`.
            words = r"(?:^|[^\pL])(?:" + "|".join(sorted(finder.pieces, key=lambda w: (-len(w), w))) + r")(?:[^\pL]|$)"
            return f"regexp_matches(lower({text}), {_literal(words)})"
        pieces = ", ".join(_literal(p) for p in sorted(finder.pieces))
        return f"list_has_any(regexp_extract_all(lower({text}), '{PIECES_SQL}'), [{pieces}])"

    def _python_pass(self, con: duckdb.DuckDBPyConnection) -> None:
        """Values a failed candidate hid, names and rule-set secrets, on the rows that may hold one, outside what
        is already redacted.

        Runs on the detection view; a value inside a finding already made (a name in an email) is left to it.
        Rows come in scope order, so `<PERSON_n>` numbers by first appearance within a scope, and every other type
        continues the scope's numbering of the RE2 pass (the same value keeps its number).
        """
        finders = self._finders()
        applies = ", ".join(self._candidate_sql(finder, "coalesce(o.text, i.text)") for _, _, finder in finders)
        rows = con.execute(f"""
            SELECT rid, scope, view, findings, applies FROM (
              SELECT i.rid, i.scope, i.ord, i.text AS view, o.findings, [{applies}] AS applies
              FROM {DETECT} i LEFT JOIN {OUTPUT} o USING (rid)
              LEFT JOIN (SELECT rid, true AS rejected FROM {REJECTED}) USING (rid))
            WHERE list_bool_or(applies)
            ORDER BY scope, ord, rid
        """).fetchall()
        numbers: dict[tuple[str, str, str], int] = {}
        per_scope: dict[tuple[str, str], int] = {}
        for scope, kind, placeholder, value in con.execute(f"""
                SELECT i.scope, f.type, f.placeholder, substr(i.text, f.start + 1, f."end" - f.start)
                FROM (SELECT rid, unnest(findings) AS f FROM {OUTPUT}) JOIN {DETECT} i USING (rid)""").fetchall():
            n = int(placeholder.strip("<>").rsplit("_", 1)[1])
            numbers[(scope, kind, identity(kind, value))] = n
            per_scope[(scope, kind)] = max(n, per_scope.get((scope, kind), 0))
        changed = {"rid": [], "text": [], "findings": []}
        for rid, scope, text, findings, applies in rows:
            findings = list(findings or [])
            made = len(findings)
            for (kind, prefix, finder), applied in zip(finders, applies):
                if not applied:
                    continue
                for start, end, who in finder.find(_masked(text, findings)):
                    if any(start < f["end"] and f["start"] < end for f in findings):
                        continue
                    key = (scope, kind, prefix + identity(kind, who))
                    if key not in numbers:
                        per_scope[(scope, kind)] = numbers[key] = per_scope.get((scope, kind), 0) + 1
                    findings.append({"type": kind, "start": start, "end": end, "placeholder": f"<{kind}_{numbers[key]}>"})
            if len(findings) == made:
                continue
            findings.sort(key=lambda f: f["start"])
            changed["rid"].append(rid)
            changed["text"].append(_replace(text, findings))
            changed["findings"].append(findings)
        _replace_output(con, changed)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the engine allocates in bulk (rows, findings, values): none of it
    is cyclic garbage, and every collection would walk the caller's whole heap (on 235k texts beside the objects
    that made them, a seventh of the time went to collections)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _alternation(detectors: Iterable[Detector]) -> str:
    return "|".join(f"(?:{d.pattern})" for d in detectors)


def _masked(text: str, findings: list[dict]) -> str:
    """`text` with what is already found blanked out (same length, so offsets hold): a finder reads only the rest."""
    for f in findings:
        text = text[:f["start"]] + " " * (f["end"] - f["start"]) + text[f["end"]:]
    return text


def identity(kind: str, value: str) -> str:
    """What makes two values one for numbering (as the RE2 pass numbers them): an email in any case is one."""
    return value.lower() if kind == "EMAIL" else value


@dataclass(frozen=True)
class Rescan:
    """The detectors of one type, each on its own, over a row where a candidate failed.

    The RE2 pass takes the leftmost candidate of any detector; when it fails its validator, the span it took
    is never tried by another detector (`AB12 4929 1827 3645 3016`: an IBAN-shaped code that fails mod-97 hides
    the card after it). Here each detector finds its own matches, so a value behind a failed one is found.
    """
    detectors: tuple[Detector, ...]
    candidate_sql: str = ""  # rows are chosen by the rejected candidates, not by a pattern

    def find(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        for d in self.detectors:
            for m in _compiled(d.pattern).finditer(text):
                if d.validate(m.group(0)):
                    skip = len(_compiled(d.keep_prefix).match(m.group(0)).group(0)) if d.keep_prefix else 0
                    found.append((m.start() + skip, m.end(), m.group(0)[skip:]))
        return found


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


Finder = PeopleIndex | NameFinder | SecretRules | Rescan


def _replace(text: str, findings: list[dict]) -> str:
    """`text` with each finding (sorted, not overlapping) replaced by its placeholder."""
    pieces, cursor = [], 0
    for f in findings:
        pieces += [text[cursor:f["start"]], f["placeholder"]]
        cursor = f["end"]
    return "".join(pieces) + text[cursor:]


def _replace_output(con: duckdb.DuckDBPyConnection, changed: dict[str, list]) -> None:
    """Put rows (rid, text, findings) computed in Python in place of theirs in the output."""
    if changed["rid"]:
        con.register("redaction_python_out", pa.table(changed))
        con.execute(f"DELETE FROM {OUTPUT} WHERE rid IN (SELECT rid FROM redaction_python_out)")
        con.execute(f"INSERT INTO {OUTPUT} SELECT rid, text, CAST(findings AS {FINDING}[]) FROM redaction_python_out")
        con.unregister("redaction_python_out")


def redact_texts(texts: list[str], redactor: Redactor, scopes: list[str] | None = None,
                 with_findings: bool = False) -> tuple[list[str], list[list[dict]]]:
    """Redact texts in an in-memory DuckDB: the texts, and (if asked) each one's findings
    as `{type, start, end}` offsets into the input."""
    table = pa.table({"scope": scopes or [""] * len(texts), "text": texts}, schema=pa.schema([("scope", pa.string()), ("text", pa.string())]))
    with duckdb.connect() as con, collector_paused():
        con.register("incoming", table)
        # Numbered by position in DuckDB (a Python range made into an Arrow array costs more than redacting 10k texts);
        # a table of row groups, scanned by every thread.
        con.execute(f"CREATE TEMP TABLE {INPUT} AS SELECT n.range AS rid, i.scope, n.range AS ord, i.text"
                    f" FROM range({len(texts)}) n POSITIONAL JOIN incoming i")
        redactor.run(con)
        changed = con.execute(f"""
            SELECT rid, text, list_transform(findings, f -> {{'type': f.type, 'start': f.start, 'end': f.end}}) AS findings
            FROM {OUTPUT}""").to_arrow_table()
        out_texts, out_findings = list(texts), [[] for _ in texts] if with_findings else []
        rids = changed["rid"].to_pylist()
        for rid, text in zip(rids, changed["text"].to_pylist()):
            out_texts[rid] = text
        if with_findings:
            for rid, found in zip(rids, changed["findings"].to_pylist()):
                out_findings[rid] = found
    return out_texts, out_findings
