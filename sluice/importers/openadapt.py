"""Import an OpenAdapt recording database (SQLite) as capture format v1 batches.

Every recording in the file is imported, in time order, as one session (`--session`, or a uuid5
of the recording's start). Mapped: `action_event` move/click/scroll/press (click and key
releases folded into their press), `window_event` (a `window_focus`; its title and app are the
context of the actions after it), `browser_event` (its url is the context until the next window
change). Counted and not imported: screenshots, audio, performance and memory statistics, scrub
records, releases, rows that belong to no recording or have no usable time. Scope creep, written
as it is for the pipeline to quarantine and block on: an action name the format does not know,
a value in an `action_event`/`window_event` column OpenAdapt does not document, and every row of
a table OpenAdapt does not have. Nothing else of the database (task descriptions, element state,
accessibility trees, browser page content) is carried.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from sluice.importers.mapping import Identity, Session, jsonable, summary
from sluice.importers.writer import BatchWriter, check_identity, derived_id, unix_ms
from sluice.platform.errors import SluiceError

RECORDER = "openadapt"

ACTION_COLUMNS = {
    "id", "name", "timestamp", "recording_timestamp", "recording_id", "screenshot_timestamp", "screenshot_id",
    "window_event_timestamp", "window_event_id", "browser_event_timestamp", "browser_event_id",
    "mouse_x", "mouse_y", "mouse_dx", "mouse_dy", "mouse_button_name", "mouse_pressed",
    "key_name", "key_char", "key_vk", "canonical_key_name", "canonical_key_char", "canonical_key_vk",
    "parent_id", "element_state", "disabled", "active_segment_description", "available_segment_descriptions",
    "scrubbed_text", "scrubbed_canonical_text",
}
# Documented action fields an unknown action carries in its payload (ids and times are the event's).
ACTION_FIELDS = ("mouse_x", "mouse_y", "mouse_dx", "mouse_dy", "mouse_button_name", "mouse_pressed",
                 "key_name", "key_char", "key_vk", "canonical_key_name", "canonical_key_char", "canonical_key_vk")
WINDOW_COLUMNS = {"id", "recording_timestamp", "recording_id", "timestamp", "state", "title", "left", "top",
                  "width", "height", "window_id"}
# Tables of OpenAdapt that hold no capture this format takes: counted by rows, never read.
COUNTED_TABLES = {"screenshot": "skipped:screenshot", "audio_info": "skipped:audio",
                  "memory_stat": "skipped:memory_stat", "perf_stat": "skipped:perf_stat",
                  "performance_stat": "skipped:performance_stat", "scrubbed_recording": "skipped:scrubbed_recording"}
KNOWN_TABLES = {"recording", "action_event", "window_event", "browser_event", "alembic_version", *COUNTED_TABLES}
REQUIRED = {"recording": ("timestamp", "monitor_width", "monitor_height"), "action_event": ("id", "name", "timestamp")}
# Where a window's application name sits in `window_event.state` (macOS Quartz, then others).
APP_KEYS = ("kCGWindowOwnerName", "app_name", "application", "owner_name", "process_name")
ORDER = {"window_event": 0, "browser_event": 1, "action_event": 2}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(path: Path, counts: Counter) -> sqlite3.Connection:
    if not path.is_file():
        raise SluiceError("input_missing", "the OpenAdapt database file does not exist")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SluiceError("openadapt_unreadable", type(exc).__name__) from None

    def text(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            counts["text_not_utf8"] += 1
            return raw.decode("utf-8", "replace")

    con.text_factory = text
    con.row_factory = sqlite3.Row
    return con


def _tables(con: sqlite3.Connection) -> dict[str, list[str]]:
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    except sqlite3.DatabaseError:
        raise SluiceError("openadapt_not_sqlite", "the file is not an SQLite database") from None
    return {n: [c[1] for c in con.execute(f"PRAGMA table_info({_quote(n)})")] for n in names if not n.startswith("sqlite_")}


def _link(columns: list[str], recording: sqlite3.Row) -> tuple[str, list]:
    """SQL condition and parameters selecting a table's rows of `recording` (newer files link by id)."""
    if "recording_id" in columns and "recording_timestamp" in columns:
        return ("(recording_id = ? OR (recording_id IS NULL AND recording_timestamp = ?))",
                [recording["id"], recording["timestamp"]])
    if "recording_id" in columns:
        return "recording_id = ?", [recording["id"]]
    if "recording_timestamp" in columns:
        return "recording_timestamp = ?", [recording["timestamp"]]
    return "1 = 1", []  # no link column: the rows of the first recording (see `_import_recording`)


def _timeline(con: sqlite3.Connection, tables: dict[str, list[str]], recording: sqlite3.Row, first: bool,
              counts: Counter) -> Iterator[tuple[int, int, int, str, sqlite3.Row]]:
    """Action, window and browser rows of one recording, merged in time order."""
    streams = []
    for table in ("window_event", "browser_event", "action_event"):
        columns = tables.get(table)
        if not columns or "timestamp" not in columns:
            continue
        where, params = _link(columns, recording)
        if where == "1 = 1" and not first:
            continue
        order = "timestamp, id" if "id" in columns else "timestamp"
        rows = con.execute(f"SELECT * FROM {_quote(table)} WHERE {where} ORDER BY {order}", params)
        streams.append(_timed(table, rows, counts))
    return heapq.merge(*streams)


def _timed(table: str, rows, counts: Counter) -> Iterator[tuple[int, int, int, str, sqlite3.Row]]:
    for index, row in enumerate(rows):
        counts[f"rows:{table}"] += 1
        ms = unix_ms(row["timestamp"])
        if ms is None:
            counts["skipped:invalid_timestamp"] += 1
            continue
        yield ms, ORDER[table], index, table, row


def _extra(row: sqlite3.Row, known: set[str], counts: Counter) -> dict:
    """Values of columns OpenAdapt does not document: carried as payload keys (scope creep)."""
    extra = {k: jsonable(row[k]) for k in row.keys() if k not in known and row[k] is not None}
    counts["scope_creep:unknown_column_value"] += len(extra)
    return extra


def _window_app(state: object, default: str, counts: Counter) -> str:
    if state is None:
        return default
    try:
        parsed = json.loads(state) if isinstance(state, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        counts["window_state_unreadable"] += 1
        return default
    for scope in (parsed.get("meta"), parsed):
        if isinstance(scope, dict):
            for key in APP_KEYS:
                value = scope.get(key)
                if isinstance(value, str) and 0 < len(value.strip()) <= 256:
                    return value.strip()
    return default


def _browser_url(message: object) -> str | None:
    try:
        parsed = json.loads(message) if isinstance(message, str) else None
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    for scope in (parsed, parsed.get("data"), parsed.get("tab")):
        if isinstance(scope, dict) and isinstance(scope.get("url"), str) and 0 < len(scope["url"]) <= 8_192:
            return scope["url"]
    return None


def _action(session: Session, ms: int, source: tuple, row: sqlite3.Row, counts: Counter) -> None:
    name = row["name"]
    get = row.keys()

    def col(key: str) -> object:
        return row[key] if key in get else None

    extra = _extra(row, ACTION_COLUMNS, counts)
    folded = (name == "click" and not col("mouse_pressed")) or name == "release"
    if folded and extra:  # a release is not an event: its unknown values are counted, not carried
        counts["scope_creep:unknown_column_value"] -= len(extra)
        counts["skipped:unknown_column_value_on_release"] += len(extra)
        extra = {}
    key_source = col("key_name") or col("canonical_key_name")
    candidates = (col("key_name"), col("key_char"), col("canonical_key_char"), col("canonical_key_name"))
    if name == "move":
        session.move(ms, source, col("mouse_x"), col("mouse_y"), extra)
    elif name == "click":
        session.click(ms, source, col("mouse_x"), col("mouse_y"), col("mouse_button_name"), col("mouse_pressed"), extra)
    elif name == "scroll":
        session.scroll(ms, source, col("mouse_dx"), col("mouse_dy"), extra)
    elif name == "press":
        session.press(ms, source, key_source, *candidates, extra=extra)
    elif name == "release":
        session.release(key_source, *candidates)
    elif isinstance(name, str) and name.strip():
        payload = {k: jsonable(col(k)) for k in ACTION_FIELDS if col(k) is not None}
        session.other(ms, source, name, {**payload, **extra})
        counts["scope_creep:unknown_action"] += 1
    else:
        counts["skipped:invalid_row"] += 1


def _unknown_rows(con: sqlite3.Connection, tables: dict[str, list[str]], recordings: list[sqlite3.Row]
                  ) -> dict[int, list[tuple[int | None, str, int, dict]]]:
    """Rows of tables OpenAdapt does not have, by the recording they name (else the first)."""
    by_recording: dict[int, list] = {}
    by_id = {r["id"]: i for i, r in enumerate(recordings) if "id" in r.keys()}
    by_ts = {r["timestamp"]: i for i, r in enumerate(recordings)}
    for table in sorted(set(tables) - KNOWN_TABLES):
        for index, row in enumerate(con.execute(f"SELECT * FROM {_quote(table)}")):
            keys = row.keys()
            owner = by_id.get(row["recording_id"]) if "recording_id" in keys else None
            if owner is None and "recording_timestamp" in keys:
                owner = by_ts.get(row["recording_timestamp"])
            ms = unix_ms(row["timestamp"]) if "timestamp" in keys else None
            payload = {k: jsonable(row[k]) for k in keys if row[k] is not None}
            by_recording.setdefault(owner or 0, []).append((ms, table, index, payload))
    return by_recording


def import_openadapt(path: Path, employee: str, device: str, region: str, session: str | None, out: Path,
                     app: str, on_written: Callable[[int], None] | None = None) -> dict[str, int]:
    """Import every recording of an OpenAdapt database into `out` (a raw root); counts by name.
    `on_written(events)` is called as each batch is written."""
    check_identity(employee, device, region, session, app)
    counts: Counter = Counter()
    con = _connect(Path(path), counts)
    writers: list[BatchWriter] = []
    try:
        tables = _tables(con)
        for table, needed in REQUIRED.items():
            if table not in tables:
                raise SluiceError("openadapt_table_missing", f"no table {table}")
            missing = [c for c in needed if c not in tables[table]]
            if missing:
                raise SluiceError("openadapt_column_missing", f"{table}.{missing[0]}")
        for table, count_name in COUNTED_TABLES.items():
            if table in tables:
                counts[count_name] += con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]
        order = "timestamp, id" if "id" in tables["recording"] else "timestamp"
        recordings = list(con.execute(f"SELECT * FROM recording ORDER BY {order}"))
        unknown = _unknown_rows(con, tables, recordings)
        counts["recordings"] = len(recordings)
        for index, recording in enumerate(recordings):
            writer = _import_recording(con, tables, recording, index, unknown.get(index, []), employee, device,
                                       region, session, out, app, counts, on_written)
            if writer is not None:
                writers.append(writer)
        if not recordings:  # rows of unknown tables with no recording to date them by
            counts["skipped:unknown_table_row_without_recording"] += sum(len(rows) for rows in unknown.values())
        for table in ("action_event", "window_event", "browser_event"):
            if table in tables:
                total = con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]
                counts["skipped:orphan_row"] += total - counts.pop(f"rows:{table}", 0)
        for writer in writers:
            for name, n in writer.close().items():
                counts[name] += n
    except sqlite3.Error as exc:
        for writer in writers:
            writer.abort()
        raise SluiceError("openadapt_read_failed", type(exc).__name__) from None
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    finally:
        con.close()
    counts["events"] = sum(w.events for w in writers)
    return summary(counts)


def _import_recording(con: sqlite3.Connection, tables: dict[str, list[str]], recording: sqlite3.Row, index: int,
                      unknown: list, employee: str, device: str, region: str, session_flag: str | None, out: Path,
                      app: str, counts: Counter, on_written: Callable[[int], None] | None) -> BatchWriter | None:
    start = unix_ms(recording["timestamp"])
    screen = (recording["monitor_width"], recording["monitor_height"])
    if start is None or not all(isinstance(v, int) and 0 < v <= 100_000 for v in screen):
        counts["skipped:invalid_recording"] += 1  # its rows are counted as orphans
        counts["skipped:unknown_table_row_of_invalid_recording"] += len(unknown)
        return None
    identity = repr(recording["timestamp"]), recording["id"] if "id" in recording.keys() else None
    session_id = session_flag or derived_id(RECORDER, "session", *identity)
    prefix = f"{RECORDER}-" + derived_id(RECORDER, "batches", *identity, session_id).replace("-", "")[:16]
    writer = BatchWriter(out, device, prefix, on_written)
    session = Session(RECORDER, Identity(employee, device, session_id, region), writer, counts, app, screen)
    try:
        for ms, _, _, table, row in _timeline(con, tables, recording, index == 0, counts):
            source = (*identity, table, row["id"] if "id" in row.keys() else None)
            if table == "window_event":
                title = row["title"] if isinstance(row["title"], str) else None
                state = row["state"] if "state" in row.keys() else None
                session.focus(ms, source, _window_app(state, app, counts), title, _extra(row, WINDOW_COLUMNS, counts))
            elif table == "browser_event":
                url = _browser_url(row["message"] if "message" in row.keys() else None)
                if url is None:
                    counts["skipped:browser_event_without_url"] += 1
                else:
                    session.url = url
                    counts["browser_event_url"] += 1
            else:
                _action(session, ms, source, row, counts)
        session.app, session.window_title, session.url = app, None, None
        for ms, table, row_index, payload in unknown:
            session.other(start if ms is None else ms, (*identity, table, row_index), table, payload)
            counts["scope_creep:unknown_table_row"] += 1
    except BaseException:
        writer.abort()
        raise
    return writer
