"""Malformed input, fuzzed: capture lines and batches from hypothesis, through the reader, the contract and a whole day.

Each generated line knows what it must become (`Line.fate`); each batch knows how it is packed (complete, split into
gzip members, cut short, followed by garbage, not gzip, a gzip bomb). A model computes, from the bytes written, what the
reader must yield and what the day must count; the pipeline must match it exactly: no crash, every line counted once,
reasons from the vocabulary only, and no planted value (`CANARY...`) in any reason, count, batch error or log record.
The reader's bounds are lowered so that too-long lines and bombs stay small; examples are derandomized for CI.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import logging
import os
import shutil
import traceback
import typing
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core.core_schema import ErrorType

from sluice.contract.models import PAYLOADS, TS_FORMAT, Event
from sluice.contract.reasons import contract_reason
from sluice.contract.validation import validate_day
from sluice.contract.vectorised import parsed_sql, violation_sql
from sluice.ingest import batches as reader
from sluice.ingest.batches import BatchReport, read_batch, read_batch_text
from sluice.ingest.batches import Line as ReadLine
from sluice.ingest.landing import land_day
from sluice.ingest.raw_store import LocalRaw
from sluice.policy.scope import default_manifest, scope_reason_sql

DAY = date(2026, 11, 2)
PREV = DAY - timedelta(days=1)
LINE_BOUND, BATCH_BOUND = 4 << 10, 32 << 10
CHUNKS = (1 << 18, 4096, 61, 7)
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])

# The reason vocabulary: fixed codes, and `contract:<field path>:<pydantic error type>` over the contract's own names.
FIXED_REASONS = {f"unreadable:{r}" for r in ("truncated_line", "corrupt_gzip", "not_utf8", "empty_line", "line_too_long",
                                             "batch_too_large", "not_json")}
FIXED_REASONS |= {f"scope:{r}" for r in ("event_type", "field", "payload_field", "region")}
FIXED_REASONS |= {"contract:not_json", "contract:ts_outside_batch_days"}
OFF_DAY = "contract:ts_outside_batch_days"
ERROR_TYPES = set(typing.get_args(ErrorType)) | {"duplicate_key"}
FIELD_NAMES = set(Event.model_fields) | {name for model in PAYLOADS.values() for name in model.model_fields}


def in_vocabulary(reason: str) -> bool:
    if reason in FIXED_REASONS:
        return True
    family, _, rest = reason.partition(":")
    location, _, error = rest.rpartition(":")
    known = location == "event" or all(part in FIELD_NAMES | {"n", "?"} for part in location.split("."))
    return family == "contract" and error in ERROR_TYPES and known


def echoes(texts) -> bool:
    return any("canary" in text.lower() for text in texts if text)


# --- Lines -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    raw: bytes  # without its newline
    fate: str  # read whole, it must be: "event" (valid, then dated), "scope" or "contract" (quarantined), "not_json"
    key: str | None = None  # the `event_id` string it is deduplicated on
    ts: str | None = None  # the `ts` string it is dated by

    def __repr__(self) -> str:  # a bomb's line is large
        raw = self.raw if len(self.raw) <= 300 else self.raw[:300] + b"...%d bytes" % len(self.raw)
        return f"Line({raw!r}, {self.fate!r}, {self.key!r}, {self.ts!r})"


def json_line(obj, fate: str, text: str | None = None) -> Line:
    """A line of `obj` (or of `text`, which reads as `obj` where the pipeline looks: `event_id`, `ts`)."""
    fields = obj if isinstance(obj, dict) else {}
    key, ts = fields.get("event_id"), fields.get("ts")
    return Line((json.dumps(obj) if text is None else text).encode(), fate,
                key if isinstance(key, str) else None, ts if isinstance(ts, str) else None)


def event_id(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def ts_text(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"  # %Y does not pad year 1


DATING = duckdb.connect()


def ts_day(ts: str | None) -> date | None:
    """The day landing dates a line by: its `ts` read with the contract's format by DuckDB's strptime, which is lenient
    (spaces around, unpadded fields, fewer millisecond digits, year 0000): such a line is refused, but dated so."""
    day = DATING.execute("SELECT CAST(CAST(try_strptime(?, ?) AS DATE) AS VARCHAR)", [ts, TS_FORMAT]).fetchone()[0]
    try:
        return date.fromisoformat(day)
    except (TypeError, ValueError):  # no instant, or one before year 1
        return None


canaries = st.integers(0, 2**32 - 1).map("CANARY{:08x}".format)
PLANTED = ("../../x", "..\\..\\x", "/etc/passwd", "' OR '1'='1", '"; DROP TABLE events; --', "Robert'); DROP TABLE quarantine;--",
           "%s%n%x", "${jndi:ldap://x}", "\x00", "\u202e", "null", "<script>", "a\nb")
planted = st.builds(str.__add__, st.sampled_from(PLANTED), canaries)
ids = st.one_of(st.text(min_size=1, max_size=40), planted)
texts = st.one_of(st.text(max_size=60), planted)
EDGES = [datetime(2026, 11, 1, 23, 59, 59, 999000), datetime(2026, 11, 2), datetime(2026, 11, 2, 23, 59, 59, 999000),
         datetime(2026, 11, 3), datetime(1970, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999000), datetime(1, 1, 1)]
timestamps = st.one_of(st.datetimes(datetime(2026, 10, 31), datetime(2026, 11, 4, 23, 59, 59)), st.sampled_from(EDGES))
timestamps = timestamps.map(ts_text)
PIXEL, SCREEN, DELTA = st.integers(0, 100_000), st.integers(1, 100_000), st.integers(-100_000, 100_000)
PAYLOAD_FIELDS = {
    "mouse_move": {"x": PIXEL, "y": PIXEL, "screen_w": SCREEN, "screen_h": SCREEN},
    "mouse_click": {"x": PIXEL, "y": PIXEL, "screen_w": SCREEN, "screen_h": SCREEN,
                    "button": st.sampled_from(["left", "right", "middle"]), "clicks": st.integers(1, 3)},
    "scroll": {"dx": DELTA, "dy": DELTA},
    "key": {"key": st.one_of(st.text(min_size=1, max_size=1), st.sampled_from(["Enter", "Backspace", "Tab", "F5"])),
            "modifiers": st.lists(st.sampled_from(["ctrl", "alt", "shift", "meta"]), max_size=4),
            "field": st.sampled_from(["text", "password", "search", "unknown"])},
    "window_focus": {},
    "assistant_prompt": {"conversation_id": ids, "text": texts},
    "assistant_response": {"conversation_id": ids, "text": texts, "model": ids},
    "chat_message": {"channel_id": ids, "channel_kind": st.sampled_from(["dm", "group", "channel"]),
                     "direction": st.sampled_from(["sent", "received"]), "text": texts},
}
OPTIONAL = {"window_title": texts, "url": texts, "dss_level": st.integers(1, 4)}
ABSENT = object()


@st.composite
def events(draw, serial: itertools.count) -> dict:
    """A valid event, with a unique `event_id`; its strings may hold quotes, injections, control characters, NUL."""
    event_type = draw(st.sampled_from(sorted(PAYLOAD_FIELDS)))
    event = {"schema_version": "1", "event_id": event_id(next(serial)), "ts": draw(timestamps),
             "employee_id": draw(ids), "device_id": draw(ids), "session_id": draw(ids), "region": "US",
             "event_type": event_type, "app": draw(st.one_of(st.sampled_from(["code.exe", "slack"]), ids)),
             "payload": draw(st.fixed_dictionaries(PAYLOAD_FIELDS[event_type]))}
    for name, values in OPTIONAL.items():
        value = draw(st.one_of(st.just(ABSENT), st.none(), values))
        if value is not ABSENT:
            event[name] = value
    return event


# Values of the wrong JSON type, by the kind of field they replace (`None` only where the field is required).
WRONG = {
    "str": lambda c: [0, 1.5, True, [c], {"k": c}],
    "int": lambda c: [c, "5", 2.0, 1.5, True, float("nan"), float("inf"), [1], {}],
    "list": lambda c: [c, [5], [None], {"k": c}],
    "object": lambda c: [[c], c, 5],
}
KINDS = {"dss_level": "int", "payload": "object", "modifiers": "list",
         **{name: "int" for name in ("x", "y", "screen_w", "screen_h", "clicks", "dx", "dy")}}
REQUIRED = set(Event.model_fields) - set(OPTIONAL)
BAD_TS = ["2026-11-02T09:13:22.123+01:00", "2026-11-02T09:13:22.123-05:00", "2026-11-02T09:13:22.123+00:00",
          "2026-11-02T09:13:22Z", "2026-11-02T09:13:22.123456Z", "2026-11-02T09:13:22.123z", "2026-11-02 09:13:22.123Z",
          "2026-13-02T09:13:22.123Z", "2026-02-30T09:13:22.123Z", "2026-11-02T24:00:00.000Z", "2026-11-02T23:60:00.000Z",
          "2026-11-02T23:59:60.000Z", "0000-01-01T00:00:00.000Z", "+10000-01-01T00:00:00.000Z", "2026-11-02T09:13:22.123Z\n",
          " 2026-11-02T09:13:22.123Z", "2026-11-2T9:13:22.123Z", "2026-11-02T09:13:22.1Z", "2026-11-02", "", "1762074802123",
          "２０２６-11-02T09:13:22.123Z", "2026-11-03T00:00:00.000Z "]


def _fields(event: dict) -> list[tuple[str, ...]]:
    return [(name,) for name in event] + [("payload", name) for name in event["payload"]]


def _with(event: dict, path: tuple[str, ...], value) -> dict:
    changed = {**event, "payload": dict(event["payload"])}
    (changed if len(path) == 1 else changed["payload"])[path[-1]] = value
    return changed


def _without(event: dict, path: tuple[str, ...]) -> dict:
    changed = {**event, "payload": dict(event["payload"])}
    del (changed if len(path) == 1 else changed["payload"])[path[-1]]
    return changed


def wrong_type(draw, event, c) -> Line:
    path = draw(st.sampled_from(_fields(event)))
    values = WRONG[KINDS.get(path[-1], "str")](c) + ([None] if len(path) == 2 or path[0] in REQUIRED else [])
    return json_line(_with(event, path, draw(st.sampled_from(values))), "contract")


def missing(draw, event, c) -> Line:
    path = draw(st.sampled_from([p for p in _fields(event) if len(p) == 2 or p[0] in REQUIRED]))
    return json_line(_without(event, path), "contract")


def bad_value(draw, event, c) -> Line:
    """The right JSON type, a value the contract refuses; an unknown region or event type is scope creep."""
    bad = {
        "schema_version": ["2", "01", "1 ", "", c], "event_id": ["", c, "12345678123456781234567812345678", *PLANTED],
        "employee_id": ["", "e" * 129], "device_id": ["", "../../" * 22], "session_id": ["", c * 10],
        "app": ["", "a" * 257], "url": ["u" * 8193], "window_title": ["w" * 100_001], "dss_level": [0, 5, -1, 2**64, 10**30],
        "x": [-1, 100_001, 2**63], "screen_w": [0, -(2**63) - 1], "clicks": [0, 4], "dy": [100_001, -100_001],
        "button": ["LEFT", c], "modifiers": [["hyper"], ["ctrl", c]], "field": ["", c], "key": ["", "k" * 33],
        "channel_kind": ["DM", c], "direction": [c], "conversation_id": [""], "model": ["m" * 129],
    }
    scope = {"region": ["DE", "us", "USA", "", "US\n", " US", c], "event_type": ["screenshot", "clipboard", "audio", "", c]}
    path = draw(st.sampled_from([p for p in _fields(event) if p[-1] in bad | scope]))
    value = draw(st.sampled_from((bad | scope)[path[-1]]))
    if path[-1] == "event_id" and value != "":
        value += c  # unique: a line is deduplicated on it
    return json_line(_with(event, path, value), "scope" if path[-1] in scope else "contract")


def extra(draw, event, c) -> Line:
    name = draw(st.sampled_from(["", "../../", "'; DROP TABLE events; --", "\x00", "x", "payload "])) + c
    value = draw(st.one_of(st.none(), st.integers(), texts, st.lists(st.integers(), max_size=3)))
    if event["event_type"] == "window_focus" or draw(st.booleans()):
        return json_line({**event, name: value}, "scope")
    return json_line({**event, "payload": {**event["payload"], name: value}}, "scope")


def bad_ts(draw, event, c) -> Line:
    """A `ts` in another zone, at another precision, out of range, unpadded, padded with spaces."""
    return json_line({**event, "ts": draw(st.sampled_from([*BAD_TS, event["ts"] + c]))}, "contract")


def duplicated_key(draw, event, c) -> Line:
    """A key twice, once with a bad value, in either order: each reader keeps a different one."""
    name = draw(st.sampled_from(["app", "employee_id", "device_id", "session_id", "schema_version", "dss_level"]))
    good = event.get(name, 2)
    first, last = draw(st.permutations([good, draw(st.sampled_from([good, 7, [c], None]))]))
    head = _with(event, (name,), first)
    return json_line(head, "contract", json.dumps(head)[:-1] + f", {json.dumps(name)}: {json.dumps(last)}}}")


def deep(draw, event, c) -> Line:
    depth = draw(st.integers(100, 1200))
    nested = "[" * depth + json.dumps(c) + "]" * depth
    where = draw(st.sampled_from(["window_title", "extra", "line", "unbalanced"]))
    if where == "line":
        return Line(nested.encode(), "contract")
    if where == "unbalanced":
        return Line(nested[: depth + len(c)].encode(), "not_json")
    name, fate = ("window_title", "contract") if where == "window_title" else (c, "scope")
    head = {k: v for k, v in event.items() if k != name}
    return json_line(head, fate, json.dumps(head)[:-1] + f", {json.dumps(name)}: {nested}}}")


NOT_JSON = [
    lambda e, c: c,
    lambda e, c: json.dumps(e)[:-1],
    lambda e, c: json.dumps(e) + " " + c,
    lambda e, c: json.dumps(e) * 2,
    lambda e, c: "\ufeff" + json.dumps(e),
    lambda e, c: "{'app': '" + c + "'}",
    lambda e, c: '{"app": "' + c + '\x01"}',
    lambda e, c: '{"app": "\\ud800' + c + '"}',
    lambda e, c: "/* " + c + " */ " + json.dumps(e),
    lambda e, c: '{"app": ' + c + "}",
]


def not_json(draw, event, c) -> Line:
    return Line(draw(st.sampled_from(NOT_JSON))(event, c).encode(), "not_json")


def raw_bytes(draw, event, c) -> Line:
    """Invalid UTF-8, or a raw NUL or control byte, anywhere in an event's line."""
    text = json.dumps({**event, "app": c}, ensure_ascii=False)
    at = draw(st.integers(0, len(text)))
    bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82",
                                b"\x00", b"\x01", b"\x0b", b"\x1f"]))
    return Line(text[:at].encode() + bad + text[at:].encode(), "not_json")


def blank(draw, event, c) -> Line:
    return Line(draw(st.sampled_from([b"", b" ", b"\t", b" \t ", b"\x0b", b"\x0c"])), "not_json")


def too_long(draw, event, c) -> Line:
    return json_line({**event, "window_title": "w" * LINE_BOUND + c}, "event")


def valid(draw, event, c) -> Line:
    """A valid event, however it is spelled: key order, escapes, spacing, whitespace around it."""
    keys = draw(st.permutations(list(event)))
    text = json.dumps({k: event[k] for k in keys}, ensure_ascii=draw(st.booleans()),
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    pad = draw(st.sampled_from(["", " ", "\t"]))
    return json_line(event, "event", pad + text + pad)


MUTATIONS = [valid, valid, valid, wrong_type, missing, bad_value, bad_ts, extra, duplicated_key, deep, not_json, raw_bytes,
             blank, too_long]


@st.composite
def lines(draw, serial: itertools.count) -> Line:
    event, c = draw(events(serial)), draw(canaries)
    return draw(st.sampled_from(MUTATIONS))(draw, event, c)


# --- Batches -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    folder: date
    path: str  # relative to the raw root
    lines: tuple[Line, ...]
    content: bytes  # what the agent meant to write
    data: bytes  # what it wrote
    packing: str

    def __repr__(self) -> str:
        return f"Batch({self.folder}, {self.path!r}, {self.packing}, {len(self.data)} bytes, lines={list(self.lines)!r})"


PACKINGS = ["gzip", "gzip", "gzip", "members", "truncated", "garbage", "plain", "empty_file"]


@st.composite
def packed(draw, lines: tuple[Line, ...], folder: date, path: str) -> Batch:
    sep = draw(st.sampled_from([b"\n", b"\r\n"]))
    content = sep.join(line.raw for line in lines) + (sep if lines and draw(st.booleans()) else b"")
    packing = draw(st.sampled_from(PACKINGS))
    whole = gzip.compress(content, mtime=0)
    if packing == "members":
        cuts = sorted(draw(st.lists(st.integers(0, len(content)), min_size=1, max_size=2)))
        data = b"".join(gzip.compress(content[a:b], mtime=0) for a, b in zip([0, *cuts], [*cuts, len(content)]))
    elif packing == "truncated":
        data = whole[: draw(st.integers(1, len(whole) - 1))]
    elif packing == "garbage":
        data = whole + b"GARBAGE " + draw(canaries).encode()
    else:
        data = {"gzip": whole, "plain": b"PLAIN " + content, "empty_file": b""}[packing]
    return Batch(folder, path, lines, content, data, packing)


@st.composite
def batch_lines(draw, serial: itertools.count) -> tuple[Line, ...]:
    """Several lines, some repeated (an agent re-sending), and sometimes a gzip bomb at the end."""
    made = draw(st.lists(lines(serial), min_size=1, max_size=8))
    for source, target in draw(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 8)), max_size=2)):
        made.insert(target % (len(made) + 1), made[source % len(made)])
    bomb = draw(st.sampled_from([None, None, None, None, "run", "lines"]))
    if bomb == "run":
        made.append(Line(draw(canaries).encode() + b"a" * 2 * BATCH_BOUND, "not_json"))
    elif bomb == "lines":
        filler = valid(draw, draw(events(serial)), "")
        made += [filler] * (BATCH_BOUND // len(filler.raw) + 2)
    return tuple(made)


def _readable(segment: bytes, line: Line | None) -> Line | str:
    """What the reader makes of one complete line: the line itself, or its unreadable reason (`line` is None past the end)."""
    if len(segment) > LINE_BOUND:
        return "unreadable:line_too_long"
    segment = segment.removesuffix(b"\r")
    if not segment.strip():
        return "unreadable:empty_line"
    try:
        segment.decode("utf-8")
    except UnicodeDecodeError:
        return "unreadable:not_utf8"
    assert line is not None and segment == line.raw
    return line


def expected_batch(batch: Batch) -> tuple[list[Line | str], BatchReport]:
    """The reader's lines (a `Line`, or the reason it is unreadable) and report, worked out from the bytes written."""
    if batch.packing in ("plain", "empty_file"):
        return [], BatchReport(error="not_gzip" if batch.packing == "plain" else None)
    out = zlib.decompressobj(31).decompress(batch.data) if batch.packing == "truncated" else batch.content
    cut = {"truncated": "truncated_line", "garbage": "corrupt_gzip"}.get(batch.packing)
    if len(out) > BATCH_BOUND:  # a bomb: the lines within the bound, then the rest as one unreadable line
        out, cut = out[:BATCH_BOUND], "batch_too_large"
    *segments, tail = out.split(b"\n")
    read = [_readable(s, batch.lines[i] if i < len(batch.lines) else None) for i, s in enumerate(segments)]
    if cut == "batch_too_large" or (tail and cut):
        read.append(f"unreadable:{cut}")
    elif tail:
        read.append(_readable(tail, batch.lines[len(segments)]))
    error = cut if cut in ("corrupt_gzip", "batch_too_large") else None
    report = BatchReport(len(read), sum(isinstance(r, str) for r in read), cut == "truncated_line", error)
    return read, report


@st.composite
def single_batches(draw) -> Batch:
    return draw(packed(draw(batch_lines(itertools.count(1))), DAY, "x"))


@settings(FUZZ, max_examples=550)
@given(batch=single_batches(), chunk=st.sampled_from(CHUNKS), fast=st.sampled_from([64, 1 << 20]))
def test_reader_yields_every_line_of_any_batch(batch, chunk, fast):
    with patch.multiple(reader, MAX_LINE_BYTES=LINE_BOUND, MAX_BATCH_BYTES=BATCH_BOUND, READ_CHUNK=chunk):
        report = BatchReport()
        got = list(read_batch(io.BytesIO(batch.data), report))
    want, want_report = expected_batch(batch)
    assert [line.number for line in got] == list(range(1, len(got) + 1))
    got_reasons, want_reasons = [line.reason for line in got], [r if isinstance(r, str) else None for r in want]
    assert got_reasons == want_reasons, f"{batch.packing}: {len(got)} lines read, {len(want)} expected"
    texts_match = [line.text for line in got] == [None if isinstance(r, str) else r.raw.decode() for r in want]
    assert texts_match, f"{batch.packing}: the text of a read line differs from the line written"
    assert report == want_report, f"{batch.packing}: {report.lines, report.unreadable, report.truncated, report.error}"
    # The bulk reader (one text for a clean batch, split by landing) reads the very same lines.
    with patch.multiple(reader, MAX_LINE_BYTES=LINE_BOUND, MAX_BATCH_BYTES=BATCH_BOUND, READ_CHUNK=chunk, FAST_BYTES=fast):
        bulk_report = BatchReport()
        bulk = read_batch_text(io.BytesIO(batch.data), bulk_report)
    if bulk is not None:  # None: landing reads the batch with read_batch
        split = [ReadLine(n, text, None) for n, text in enumerate(bulk.split("\n"), 1)] if bulk else []
        assert split == got, f"{batch.packing}: the bulk reader read other lines"
        assert bulk_report == report, f"{batch.packing}: the bulk reader counted otherwise"


# --- Lines through the contract ----------------------------------------------------------------------------------------


@st.composite
def line_lists(draw) -> list[Line]:
    return draw(st.lists(lines(itertools.count(1)), min_size=1, max_size=6))


# Lines as validation judges them: are they JSON, their scope reason, do they break the contract.
JUDGE = f"""
        SELECT j IS NOT NULL, CASE WHEN t0 = 'OBJECT' THEN {scope_reason_sql(default_manifest())} END,
               CASE WHEN j IS NOT NULL THEN {violation_sql()} END
        FROM (SELECT *, {parsed_sql("j")}
              FROM (SELECT i, CASE WHEN json_valid(line) THEN line::JSON END AS j
                    FROM (SELECT unnest(range(len($lines))) AS i, unnest($lines) AS line)))
        ORDER BY i"""


def _judge(con: duckdb.DuckDBPyConnection, texts: list[str]) -> list[tuple]:
    return con.execute(JUDGE, {"lines": texts}).fetchall()


def _verdict(line: Line, text: str, is_json: bool, scope: str | None, violation: bool | None) -> str:
    """What is wrong with how one line was judged, in reason names only; the empty string when nothing is."""
    if line.fate == "not_json" or not is_json:
        return "" if line.fate == "not_json" and not is_json else f"{line.fate} line judged json={is_json}"
    if line.fate == "scope":
        return "" if scope and in_vocabulary(scope) else f"scope creep judged scope={scope} violation={violation}"
    if line.fate == "event":
        if scope or violation:
            return f"valid event judged scope={scope} violation={violation}"
        try:
            Event.model_validate_json(text, strict=True)
        except ValueError:
            return "valid event refused by pydantic"
        return ""
    if scope or not violation:
        return f"contract break judged scope={scope} violation={violation}"
    reason = contract_reason(text)
    return "" if in_vocabulary(reason) and not echoes([reason]) else "contract reason out of vocabulary or echoing input"


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


@settings(FUZZ, max_examples=300)
@given(generated=line_lists())
def test_every_line_gets_its_fate_and_a_clean_reason(con, generated):
    readable = []
    for line in generated:
        try:
            if line.raw.strip():
                readable.append((line, line.raw.decode("utf-8")))
        except UnicodeDecodeError:
            continue  # the reader stops it (see the reader test)
    if not readable:
        return
    verdicts = [_verdict(line, text, *row) for (line, text), row in zip(readable, _judge(con, [t for _, t in readable]))]
    wrong = Counter(v for v in verdicts if v)
    assert not wrong, dict(wrong)


# --- A whole day -------------------------------------------------------------------------------------------------------

NAMES = ["..", ".", "' OR 1=1 --", '"; DROP TABLE batches; --', "..\\..\\x", "%2e%2e%2fx", "a\nb", "$(rm -rf x)", "*", "[a-z]"]
names = st.one_of(st.sampled_from(NAMES), st.text(st.characters(exclude_characters="/\x00", exclude_categories=["Cs"]),
                                                   max_size=12))


@st.composite
def days(draw) -> list[Batch]:
    """Batches of folders D-1 and D (on weird device and batch names), and re-sent copies of some of them."""
    serial, made = itertools.count(1), []
    for folder, count in ((PREV, draw(st.integers(0, 2))), (DAY, draw(st.integers(1, 4)))):
        for _ in range(count):
            path = f"date={folder}/device={draw(names)}{draw(canaries)}/{draw(names)}-{len(made)}.jsonl.gz"
            made.append(draw(packed(draw(batch_lines(serial)), folder, path)))
    for source, folder in draw(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([PREV, DAY])), max_size=2)):
        path = f"date={folder}/device=retry/{len(made)}.jsonl.gz"
        made.append(draw(packed(made[source % len(made)].lines, folder, path)))
    return made


def _home(folder: date, item: Line | str) -> date:
    """The day a landed line belongs to: its `ts`'s, when that is its folder's day or the next."""
    day = ts_day(item.ts) if isinstance(item, Line) and item.fate != "not_json" else None
    return day if day in (folder, folder + timedelta(days=1)) else folder


def expected_day(made: list[Batch]) -> tuple[Counter, Counter, dict[str, tuple]]:
    """Landing counts, outcome counts (with reason families) and the folder-D batch records the day must show."""
    landing, outcomes, records, seen = Counter(), Counter(), {}, {}  # event_id -> the line its first copy had
    for batch in made:
        read, report = expected_batch(batch)
        if batch.folder == DAY:
            records[batch.path] = (report.lines, report.unreadable, report.truncated, report.error)
            landing.update(batches=1, batches_truncated=report.truncated, batches_unreadable=report.error is not None)
        for item in read:
            home = _home(batch.folder, item)
            if batch.folder != DAY and home != DAY:
                continue
            landing["lines_in_folder" if batch.folder == DAY else "carried_in"] += 1
            landing["unreadable_at_landing"] += isinstance(item, str)
            outcomes["lines_read"] += 1
            if home != DAY:
                outcomes["other_day"] += 1
            elif isinstance(item, str) or item.fate == "not_json":
                outcomes.update(["unreadable", f"reason:{item if isinstance(item, str) else 'unreadable:not_json'}"])
            elif item.key is not None and seen.get(item.key, item.raw) == item.raw and item.key in seen:
                outcomes["duplicate"] += 1  # the same line again; other content under a seen id is judged anew
            else:
                seen.setdefault(item.key, item.raw)
                if item.fate == "event":
                    outcomes.update(["valid"] if ts_day(item.ts) == DAY else ["quarantined", f"reason:{OFF_DAY}"])
                else:
                    outcomes.update(["quarantined", item.fate])
    return landing, outcomes, records


def _families(counts: dict[str, int]) -> Counter:
    """The day's counts, with the contract and scope reasons summed per family (as the model knows them)."""
    out = Counter({k: v for k, v in counts.items() if v and not k.startswith(("reason:scope:", "reason:contract:"))})
    for key, n in counts.items():
        if key == f"reason:{OFF_DAY}":
            out[key] += n
        elif key.startswith(("reason:scope:", "reason:contract:")):
            out[key.split(":")[1]] += n
    return out


def _land_and_validate(con: duckdb.DuckDBPyConnection, root: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Day D's landing and validation counts."""
    return land_day(con, LocalRaw(root), DAY), validate_day(con, DAY, default_manifest())


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "raw"


@settings(FUZZ, max_examples=150)
@given(made=days(), chunk=st.sampled_from(CHUNKS))
def test_a_day_of_malformed_batches_is_fully_accounted_for(con, raw_root, caplog, made, chunk):
    shutil.rmtree(raw_root, ignore_errors=True)
    for batch in made:
        (raw_root / batch.path).parent.mkdir(parents=True, exist_ok=True)
        (raw_root / batch.path).write_bytes(batch.data)
    caplog.clear()
    bounds = patch.multiple(reader, MAX_LINE_BYTES=LINE_BOUND, MAX_BATCH_BYTES=BATCH_BOUND, READ_CHUNK=chunk)
    with bounds, caplog.at_level(logging.DEBUG):
        try:
            landing, counts = _land_and_validate(con, raw_root)
        except Exception as exc:  # report where, not what: the message could carry input
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            raise AssertionError(f"{type(exc).__name__} raised at {frame.filename}:{frame.lineno}") from None
    want_landing, want_outcomes, want_records = expected_day(made)

    assert Counter(landing) == want_landing
    assert _families(counts) == want_outcomes
    parts = ("valid", "quarantined", "duplicate", "unreadable", "other_day")
    assert counts["lines_read"] == sum(counts[k] for k in parts) == landing["lines_in_folder"] + landing["carried_in"]
    records = {r[0]: r[1:] for r in con.execute(
        "SELECT batch_path, lines, unreadable, truncated, error FROM batches WHERE partition_date = ?", [DAY]).fetchall()}
    assert records == want_records, f"batch records differ: {sorted(records.values())} vs {sorted(want_records.values())}"

    reasons = [r for (r,) in con.execute(
        "SELECT reason FROM line_outcomes WHERE partition_date = $day AND reason IS NOT NULL"
        " UNION SELECT reason FROM quarantine WHERE partition_date = $day", {"day": DAY}).fetchall()]
    errors = [e for (e,) in con.execute("SELECT DISTINCT error FROM batches WHERE error IS NOT NULL").fetchall()]
    quarantined = con.execute("SELECT count(*), count(reason) FROM quarantine WHERE partition_date = ?", [DAY]).fetchone()
    assert quarantined == (counts["quarantined"], counts["quarantined"])
    assert all(in_vocabulary(r) for r in reasons) and not echoes(reasons), "reasons out of vocabulary or echoing input"
    assert set(errors) <= {"not_gzip", "corrupt_gzip", "batch_too_large"}
    assert not echoes([*counts, *landing, caplog.text])


def _write(root: Path, relative: str, data: bytes) -> None:
    shutil.rmtree(root, ignore_errors=True)
    (root / relative).parent.mkdir(parents=True)
    (root / relative).write_bytes(data)


TEN_MB = 10_000_000
EVENT = {"schema_version": "1", "event_id": event_id(1), "ts": "2026-11-02T09:13:22.123Z",
         "employee_id": "E1", "device_id": "D1", "session_id": "S1", "region": "US", "event_type": "window_focus",
         "app": "code.exe", "payload": {}}


def test_ten_megabyte_lines_are_unreadable_wherever_they_sit(con, raw_root):
    """At the real line bound (1 MiB): in the middle, as raw bytes that are not UTF-8, and as a last line without newline."""
    big = [json.dumps({**EVENT, "event_id": event_id(n), "window_title": "CANARY" * (TEN_MB // 6)}).encode() for n in (2, 3)]
    lines = [json.dumps(EVENT).encode(), big[0], b"\xffCANARY" * (TEN_MB // 7), big[1]]
    _write(raw_root, f"date={DAY}/device=D1/big.jsonl.gz", gzip.compress(b"\n".join(lines), compresslevel=1))
    _, counts = _land_and_validate(con, raw_root)
    assert counts == {"lines_read": 4, "valid": 1, "quarantined": 0, "duplicate": 0, "unreadable": 3, "other_day": 0,
                      "reason:unreadable:line_too_long": 3}


def test_ten_megabyte_values_are_refused_by_name(con, raw_root, monkeypatch):
    """With the line bound raised past them, 10 MB values reach the contract: refused, counted, never echoed."""
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 16 << 20)
    huge = "CANARY" * (TEN_MB // 6)
    changes = [{"window_title": huge}, {"event_id": huge}, {"ts": huge}, {huge: 1}, {"payload": {huge: 1}}]
    lines = [json.dumps({**EVENT, "event_id": event_id(n), **change}) for n, change in enumerate(changes, start=2)]
    _write(raw_root, f"date={DAY}/device=D1/big.jsonl.gz", gzip.compress("\n".join(lines).encode(), compresslevel=1))
    _, counts = _land_and_validate(con, raw_root)
    assert counts == {"lines_read": 5, "valid": 0, "quarantined": 5, "duplicate": 0, "unreadable": 0, "other_day": 0,
                      "reason:contract:window_title:string_too_long": 1, "reason:contract:event_id:string_pattern_mismatch": 1,
                      "reason:contract:ts:string_pattern_mismatch": 1, "reason:scope:field": 1, "reason:scope:payload_field": 1}


def test_a_batch_name_that_is_not_utf8_does_not_crash_landing(con, raw_root):
    _write(raw_root, f"date={DAY}/device=D1/" + os.fsdecode(b"CANARY\xff.jsonl.gz"), gzip.compress(b"{}\n"))
    assert _land_and_validate(con, raw_root)[1]["lines_read"] == 1
    assert con.execute("SELECT DISTINCT batch_path FROM landed_lines").fetchall() == [(f"date={DAY}/device=D1/CANARY\\xff.jsonl.gz",)]


def test_odd_entries_in_the_raw_root_are_not_batches_and_odd_names_can_still_be_rewritten(raw_root):
    from sluice.ingest.raw_store import LocalRaw

    odd = f"date={DAY}/device=D1/" + os.fsdecode(b"b\xff.jsonl.gz")
    _write(raw_root, odd, gzip.compress(b"{}\n"))
    (raw_root / f"date={DAY}" / "device=D1" / "folder.jsonl.gz").mkdir()
    store = LocalRaw(raw_root)
    (batch,) = store.folder(DAY)
    assert batch.relative == f"date={DAY}/device=D1/b\\xff.jsonl.gz"
    store.replace(batch.relative, gzip.compress(b"[]\n"))  # as erasure rewrites a batch: the file itself
    assert gzip.decompress((raw_root / odd).read_bytes()) == b"[]\n"
    store.replace(batch.relative, None)
    assert not (raw_root / odd).exists()
