"""Importers of OpenAdapt and DuckTrack recordings: fixtures made here, then the real pipeline on them."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from conftest import DAY, isolate_home
from helpers import counts_for, files_bytes

from cli.main import EXIT_BLOCKED, EXIT_ERROR, EXIT_PUBLISHED, main
from sluice.contract.models import Event
from sluice.importers import import_ducktrack, import_openadapt
from sluice.importers.keys import ModifierTracker, key_label
from sluice.importers.writer import MAX_BATCH_EVENTS
from sluice.platform.errors import SluiceError
from sluice.platform.home import SluiceHome
from sluice.publish.commit import files_relation, published_marker

START = datetime(DAY.year, DAY.month, DAY.day, 9, 0, 0, tzinfo=timezone.utc).timestamp() + 0.25
HOSTNAME = "ws-jdoe-laptop.corp.example.com"
MAC_ID = 207920192837465
MODEL = "MacBookPro18,3"
TASK = "Pay invoice for Jane Roe"
EMPLOYEES = [f"E10{i:02d}" for i in range(1, 7)]


# --- fixtures -------------------------------------------------------------------------------

OPENADAPT_DDL = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);
CREATE TABLE recording (id INTEGER PRIMARY KEY, timestamp REAL, monitor_width INTEGER, monitor_height INTEGER,
  double_click_interval_seconds REAL, double_click_distance_pixels REAL, platform TEXT, task_description TEXT);
CREATE TABLE action_event (id INTEGER PRIMARY KEY, name TEXT, timestamp REAL, recording_timestamp REAL,
  recording_id INTEGER, screenshot_timestamp REAL, window_event_timestamp REAL, mouse_x REAL, mouse_y REAL,
  mouse_dx REAL, mouse_dy REAL, mouse_button_name TEXT, mouse_pressed BOOLEAN, key_name TEXT, key_char TEXT,
  key_vk TEXT, canonical_key_name TEXT, canonical_key_char TEXT, canonical_key_vk TEXT, parent_id INTEGER,
  element_state JSON {extra_column});
CREATE TABLE window_event (id INTEGER PRIMARY KEY, recording_timestamp REAL, recording_id INTEGER, timestamp REAL,
  state JSON, title TEXT, "left" INTEGER, top INTEGER, width INTEGER, height INTEGER, window_id TEXT);
CREATE TABLE browser_event (id INTEGER PRIMARY KEY, recording_timestamp REAL, recording_id INTEGER, timestamp REAL,
  message JSON);
CREATE TABLE screenshot (id INTEGER PRIMARY KEY, recording_timestamp REAL, timestamp REAL, png_data BLOB);
CREATE TABLE audio_info (id INTEGER PRIMARY KEY, timestamp REAL, flac_data BLOB, transcribed_text TEXT,
  recording_timestamp REAL, sample_rate INTEGER);
CREATE TABLE memory_stat (id INTEGER PRIMARY KEY, recording_timestamp INTEGER, memory_usage_bytes REAL, timestamp REAL);
"""

# (offset s, name, fields): the actions of the OpenAdapt fixture.
ACTIONS = [
    (1.0, "move", {"mouse_x": 100.4, "mouse_y": 200.6}),
    (1.1, "move", {"mouse_x": 2500.0, "mouse_y": -5.0}),  # off the primary screen: clamped
    (2.0, "click", {"mouse_x": 150, "mouse_y": 250, "mouse_button_name": "left", "mouse_pressed": 1}),
    (2.1, "click", {"mouse_x": 150, "mouse_y": 250, "mouse_button_name": "left", "mouse_pressed": 0}),
    (2.5, "click", {"mouse_x": 10, "mouse_y": 20, "mouse_button_name": "right", "mouse_pressed": 1}),
    (2.6, "click", {"mouse_x": 10, "mouse_y": 20, "mouse_button_name": "right", "mouse_pressed": 0}),
    (3.0, "scroll", {"mouse_x": 10, "mouse_y": 20, "mouse_dx": 0, "mouse_dy": -2.6}),
    (4.0, "press", {"key_name": "ctrl_l", "canonical_key_name": "ctrl_l"}),
    (4.1, "press", {"key_char": "\x03", "canonical_key_char": "c", "key_vk": "8"}),
    (4.2, "release", {"key_char": "\x03", "canonical_key_char": "c"}),
    (4.3, "release", {"key_name": "ctrl_l", "canonical_key_name": "ctrl_l"}),
    (5.0, "press", {"key_char": "a", "canonical_key_char": "a"}),
    (5.1, "release", {"key_char": "a", "canonical_key_char": "a"}),
    (5.2, "press", {"key_name": "enter"}),
    (5.3, "release", {"key_name": "enter"}),
    (5.4, "press", {"key_name": "shift"}),
    (5.5, "press", {"key_char": "A", "canonical_key_char": "a"}),
    (5.6, "release", {"key_char": "A", "canonical_key_char": "a"}),
    (5.7, "release", {"key_name": "shift"}),
    (5.8, "press", {"key_name": "page_up"}),
    (5.9, "release", {"key_name": "page_up"}),
    (11.0, "move", {"mouse_x": 300, "mouse_y": 400}),  # in the browser, after its url is known
    (11.5, "press", {"key_name": "f5"}),
    (11.6, "release", {"key_name": "f5"}),
]
OPENADAPT_EXPECTED = {"mouse_move": 3, "mouse_click": 2, "scroll": 1, "key": 8, "window_focus": 2}


def make_openadapt(path: Path, unknowns: bool = False, start: float = START) -> Path:
    con = sqlite3.connect(path)
    con.executescript(OPENADAPT_DDL.format(extra_column=", gaze_x REAL" if unknowns else ""))
    con.execute("INSERT INTO alembic_version VALUES ('530f0663324e')")
    con.execute("INSERT INTO recording VALUES (1, ?, 1920, 1080, 0.5, 4, 'darwin', ?)", [start, TASK])
    con.execute("INSERT INTO window_event VALUES (1, ?, 1, ?, ?, ?, 0, 0, 1920, 1080, '4711')",
                [start, start + 0.5, json.dumps({"meta": {"kCGWindowOwnerName": "Microsoft Excel", "kCGWindowOwnerPID": 99},
                                                 "data": {"AXValue": TASK}}), "Budget 2027.xlsx"])
    con.execute("INSERT INTO window_event VALUES (2, ?, 1, ?, ?, ?, 0, 0, 1920, 1080, '4712')",
                [start, start + 10.0, json.dumps({"meta": {"kCGWindowOwnerName": "Google Chrome"}}), "Docs - Chrome"])
    con.execute("INSERT INTO browser_event VALUES (1, ?, 1, ?, ?)",
                [start, start + 10.5, json.dumps({"type": "USER_EVENT", "url": "https://docs.example.com/d/42",
                                                  "visibleHTMLString": f"<p>{TASK}</p>"})])
    con.execute("INSERT INTO browser_event VALUES (2, ?, 1, ?, ?)", [start, start + 10.6, json.dumps({"type": "PING"})])
    actions = list(ACTIONS)
    if unknowns:
        actions.append((6.0, "gaze", {"mouse_x": 5, "mouse_y": 6}))
    for i, (offset, name, fields) in enumerate(actions, 1):
        row = {"id": i, "name": name, "timestamp": start + offset, "recording_timestamp": start, "recording_id": 1, **fields}
        if unknowns and i == 1:
            row["gaze_x"] = 0.42
        con.execute(f"INSERT INTO action_event ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    con.execute("INSERT INTO screenshot VALUES (1, ?, ?, ?)", [start, start + 1, b"\x89PNG fake"])
    con.execute("INSERT INTO audio_info VALUES (1, ?, ?, ?, ?, 16000)", [start + 1, b"fLaC", TASK, start])
    con.execute("INSERT INTO memory_stat VALUES (1, ?, 1.5e9, ?)", [int(start), start + 1])
    if unknowns:
        con.execute("CREATE TABLE keylogger_buffer (id INTEGER PRIMARY KEY, recording_timestamp REAL, timestamp REAL, text TEXT)")
        con.executemany("INSERT INTO keylogger_buffer VALUES (?, ?, ?, ?)",
                        [(1, start, start + 7, "hunter2"), (2, start, start + 8, "more")])
    con.commit()
    con.close()
    return path


DUCKTRACK_LINES = [
    {"time_stamp": 1000.0, "action": "move", "x": 10.6, "y": 20.2},  # before OBS started: 0.5 s before start_time
    {"time_stamp": 1001.0, "action": "move", "x": 11.0, "y": 21.0},
    {"time_stamp": 1001.5, "action": "click", "x": 11.0, "y": 21.0, "button": "left", "pressed": True},
    {"time_stamp": 1001.6, "action": "click", "x": 11.0, "y": 21.0, "button": "left", "pressed": False},
    {"time_stamp": 1002.0, "action": "scroll", "x": 11.0, "y": 21.0, "dx": 0, "dy": -1},
    {"time_stamp": 1003.0, "action": "press", "name": "cmd"},
    {"time_stamp": 1003.1, "action": "press", "name": "c"},
    {"time_stamp": 1003.2, "action": "release", "name": "c"},
    {"time_stamp": 1003.3, "action": "release", "name": "cmd"},
    {"time_stamp": 1003.5, "action": "press", "name": "enter"},
    {"time_stamp": 1003.6, "action": "release", "name": "enter"},
    {"time_stamp": 1004.0, "action": "pause"},
    {"time_stamp": 1005.0, "action": "resume"},
    {"time_stamp": 1005.5, "action": "press", "name": "backspace"},
    {"time_stamp": 1005.6, "action": "release", "name": "backspace"},
]
DUCKTRACK_EXPECTED = {"mouse_move": 2, "mouse_click": 1, "scroll": 1, "key": 4}


def make_ducktrack(folder: Path, lines: list | None = None, start_time: str = "2026-11-02 10:00:00",
                   raw_lines: list[bytes] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {"system": "Darwin", "node": HOSTNAME, "release": "23.0.0", "version": f"Darwin Kernel; root:{HOSTNAME}",
                "machine": "arm64", "processor": "arm", "id": MAC_ID, "screen_width": 1512, "screen_height": 982,
                "model": MODEL, "scroll_direction": -1, "start_time": start_time, "stop_time": start_time,
                "obs_record_state_timings": {"OBS_WEBSOCKET_OUTPUT_STARTING": [1000.4], "OBS_WEBSOCKET_OUTPUT_STARTED": [1000.5]}}
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=4))
    body = b"".join(json.dumps(e).encode() + b"\n" for e in (DUCKTRACK_LINES if lines is None else lines))
    (folder / "events.jsonl").write_bytes(body + b"".join(raw_lines))
    (folder / "obs-recording.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    return folder


def read_events(raw: Path) -> list[dict]:
    events = []
    for path in sorted(raw.rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            events += [json.loads(line) for line in handle]
    return events


def _oa(db: Path, out: Path, **kw) -> dict[str, int]:
    args = {"employee": "E1001", "device": "LAPTOP-OA1", "region": "US", "session": None, "out": out, "app": "unknown"} | kw
    return import_openadapt(db, **args)


def _dt(folder: Path, out: Path, **kw) -> dict[str, int]:
    args = {"employee": "E1002", "device": "LAPTOP-DT1", "region": "US", "session": None, "out": out, "app": "unknown",
            "timezone": "Europe/Berlin"} | kw
    return import_ducktrack(folder, **args)


def _types(events: list[dict]) -> Counter:
    return Counter(e["event_type"] for e in events)


# --- unit tests: no pipeline ----------------------------------------------------------------

def test_key_names_map_to_the_format_and_modifiers_are_tracked():
    assert [key_label(n) for n in ("enter", "tab", "space", "backspace", "delete", "left", "right", "up", "down",
                                   "page_up", "page_down", "esc", "shift_r", "ctrl_l", "alt_r", "cmd", "caps_lock",
                                   "f1", "f24", "Key.home")] == [
        "Enter", "Tab", "Space", "Backspace", "Delete", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown",
        "PageUp", "PageDown", "Escape", "Shift", "Control", "Alt", "Meta", "CapsLock", "F1", "F24", "Home"]
    assert key_label("a") == "a" and key_label(" ") == "Space" and key_label("\x03") == "c"
    assert key_label(None, "\x00", None) == "Unidentified" and key_label("f99") == "Unidentified"
    assert key_label(None, "x", "y") == "x"  # first usable candidate wins
    held = ModifierTracker()
    assert held.press("ctrl_l", "Control") == []
    assert held.press("shift", "Shift") == ["ctrl"]
    assert held.press(None, "c") == ["ctrl", "shift"]
    held.release("shift", "Shift")
    held.release("ctrl", "Control")  # released under the generic name: every ctrl is up
    assert held.press(None, "c") == []


def test_openadapt_maps_each_action_and_counts_what_it_folds_or_skips(tmp_path):
    counts = _oa(make_openadapt(tmp_path / "oa.db"), tmp_path / "raw")
    events = read_events(tmp_path / "raw")
    assert _types(events) == OPENADAPT_EXPECTED
    assert {f"events:{t}": n for t, n in OPENADAPT_EXPECTED.items()}.items() <= counts.items()
    assert counts["events"] == len(events) == sum(OPENADAPT_EXPECTED.values()) and counts["batches"] == 1
    assert counts["skipped:click_release"] == 2 and counts["skipped:key_release"] == 8
    assert counts["skipped:screenshot"] == 1 and counts["skipped:audio"] == 1 and counts["skipped:memory_stat"] == 1
    assert counts["browser_event_url"] == 1 and counts["skipped:browser_event_without_url"] == 1
    assert counts["clamped_position"] == 1 and counts["recordings"] == 1
    assert not [k for k in counts if k.startswith("scope_creep")]
    for e in events:  # every event is valid capture format v1
        Event.model_validate_json(json.dumps(e), strict=True)
    by_type = {t: [e["payload"] for e in events if e["event_type"] == t] for t in OPENADAPT_EXPECTED}
    assert by_type["mouse_move"][:2] == [{"x": 100, "y": 201, "screen_w": 1920, "screen_h": 1080},
                                         {"x": 1919, "y": 0, "screen_w": 1920, "screen_h": 1080}]
    assert [(p["button"], p["clicks"], p["x"], p["y"]) for p in by_type["mouse_click"]] == [("left", 1, 150, 250), ("right", 1, 10, 20)]
    assert by_type["scroll"] == [{"dx": 0, "dy": -3}]
    assert [(p["key"], p["modifiers"]) for p in by_type["key"]] == [
        ("Control", []), ("c", ["ctrl"]), ("a", []), ("Enter", []), ("Shift", []), ("A", ["shift"]), ("PageUp", []), ("F5", [])]
    assert {p["field"] for p in by_type["key"]} == {"unknown"}
    assert {(e["employee_id"], e["device_id"], e["region"], e["schema_version"]) for e in events} == {("E1001", "LAPTOP-OA1", "US", "1")}
    assert len({e["session_id"] for e in events}) == 1 and len({e["event_id"] for e in events}) == len(events)


def test_older_openadapt_files_link_by_recording_timestamp_one_session_per_recording(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE recording (id INTEGER PRIMARY KEY, timestamp REAL, monitor_width INTEGER, monitor_height INTEGER)")
    con.execute("CREATE TABLE action_event (id INTEGER PRIMARY KEY, name TEXT, timestamp REAL, recording_timestamp REAL,"
                " mouse_x REAL, mouse_y REAL, key_name TEXT, key_char TEXT)")
    con.executemany("INSERT INTO recording VALUES (?, ?, 800, 600)", [(1, START), (2, START + 3600)])
    con.executemany("INSERT INTO action_event VALUES (?, ?, ?, ?, ?, ?, NULL, ?)", [
        (1, "move", START + 1, START, 1, 2, None), (2, "press", START + 3601, START + 3600, None, None, "x"),
        (3, "move", START + 5, START + 99, 1, 2, None),  # names no recording
        (4, "move", None, START, 1, 2, None)])  # no time
    con.commit()
    con.close()
    counts = _oa(db, tmp_path / "raw")
    events = read_events(tmp_path / "raw")
    assert sorted((e["ts"], e["event_type"]) for e in events) == [("2026-11-02T09:00:01.250Z", "mouse_move"),
                                                                  ("2026-11-02T10:00:01.250Z", "key")]
    assert len({e["session_id"] for e in events}) == 2 and counts["batches"] == 2 and counts["recordings"] == 2
    assert counts["skipped:orphan_row"] == 1 and counts["skipped:invalid_timestamp"] == 1
    _oa(db, tmp_path / "one", session="s-42")
    assert {e["session_id"] for e in read_events(tmp_path / "one")} == {"s-42"}


def test_window_and_browser_context_carry_to_the_events_after_them(tmp_path):
    _oa(make_openadapt(tmp_path / "oa.db"), tmp_path / "raw", app="fallback.app")
    events = read_events(tmp_path / "raw")
    context = [(e["event_type"], e["app"], e.get("window_title"), e.get("url")) for e in events]
    assert context[0] == ("window_focus", "Microsoft Excel", "Budget 2027.xlsx", None)
    assert context[1] == ("mouse_move", "Microsoft Excel", "Budget 2027.xlsx", None)
    chrome = context.index(("window_focus", "Google Chrome", "Docs - Chrome", None))
    assert context[chrome + 1:] == [("mouse_move", "Google Chrome", "Docs - Chrome", "https://docs.example.com/d/42"),
                                    ("key", "Google Chrome", "Docs - Chrome", "https://docs.example.com/d/42")]
    assert all(e["payload"] == {} for e in events if e["event_type"] == "window_focus")


def test_timestamps_are_utc_milliseconds(tmp_path):
    _oa(make_openadapt(tmp_path / "oa.db"), tmp_path / "oa")
    oa = read_events(tmp_path / "oa")
    assert [e["ts"] for e in oa[:2]] == ["2026-11-02T09:00:00.750Z", "2026-11-02T09:00:01.250Z"]
    _dt(make_ducktrack(tmp_path / "dt"), tmp_path / "raw")  # 10:00:00 in Berlin (CET) = 09:00:00Z at OBS start 1000.5
    dt = read_events(tmp_path / "raw")
    assert [e["ts"] for e in dt[:3]] == ["2026-11-02T08:59:59.500Z", "2026-11-02T09:00:00.500Z", "2026-11-02T09:00:01.000Z"]
    _dt(tmp_path / "dt", tmp_path / "utc", timezone="UTC")
    assert read_events(tmp_path / "utc")[0]["ts"] == "2026-11-02T09:59:59.500Z"


def test_ducktrack_maps_actions_and_counts_markers_releases_and_bad_lines(tmp_path):
    folder = make_ducktrack(tmp_path / "dt", raw_lines=[b"not json {\n", b'{"action": "move"}\n', b"\n",
                                                         b'{"time_stamp": 1006, "action": 5}\n', b"\xff\xfe\n",
                                                         b'{"time_stamp": NaN, "action": "move"}\n'])
    counts = _dt(folder, tmp_path / "raw")
    events = read_events(tmp_path / "raw")
    assert _types(events) == DUCKTRACK_EXPECTED and counts["events"] == len(events)
    for e in events:
        Event.model_validate_json(json.dumps(e), strict=True)
    keys = [(e["payload"]["key"], e["payload"]["modifiers"]) for e in events if e["event_type"] == "key"]
    assert keys == [("Meta", []), ("c", ["meta"]), ("Enter", []), ("Backspace", [])]
    assert [e["payload"] for e in events if e["event_type"] == "mouse_click"] == [
        {"x": 11, "y": 21, "screen_w": 1512, "screen_h": 982, "button": "left", "clicks": 1}]
    assert {e["app"] for e in events} == {"unknown"} and not [e for e in events if "window_title" in e or "url" in e]
    assert counts["skipped:click_release"] == 1 and counts["skipped:key_release"] == 4
    assert counts["skipped:pause"] == 1 and counts["skipped:resume"] == 1 and counts["skipped:video"] == 1
    assert counts["skipped:unreadable_line"] == 3 and counts["skipped:invalid_line"] == 2 and counts["skipped:empty_line"] == 1


def test_reimport_rewrites_the_same_files_with_the_same_event_ids(tmp_path):
    db, folder, out = make_openadapt(tmp_path / "oa.db"), make_ducktrack(tmp_path / "dt"), tmp_path / "raw"
    _oa(db, out)
    _dt(folder, out)
    first = files_bytes(out)
    _oa(db, out)
    _dt(folder, out)
    assert files_bytes(out) == first and len(first) == 2
    assert not [p for p in out.rglob("*") if p.name.startswith("_tmp")]
    # a re-import whose events moved to another day (its zone corrected) replaces its batches, leaving none behind
    counts = _dt(folder, out, timezone="Pacific/Auckland")  # 10:00 NZDT = 21:00Z the day before
    assert counts["stale_batches_removed"] == 1
    assert sorted(p.parent.parent.name for p in out.rglob("*.jsonl.gz")) == ["date=2026-11-01", "date=2026-11-02"]
    ids = {e["event_id"] for e in read_events(out)}
    assert len(ids) == sum(OPENADAPT_EXPECTED.values()) + sum(DUCKTRACK_EXPECTED.values())


def test_events_are_split_by_utc_day_and_batches_hold_at_most_2000(tmp_path):
    lines = [{"time_stamp": 1000.5 + i * 0.001, "action": "move", "x": i % 1512, "y": 5} for i in range(4_500)]
    lines.append({"time_stamp": 1000.5 + 10, "action": "move", "x": 1, "y": 1})  # after midnight UTC
    written: list[int] = []  # the command's progress: events of each batch as it is written
    counts = _dt(make_ducktrack(tmp_path / "dt", lines, start_time="2026-11-02 23:59:55"), tmp_path / "raw", timezone="UTC",
                 on_written=written.append)
    batches = sorted((tmp_path / "raw").rglob("*.jsonl.gz"))
    assert counts["batches"] == len(batches) == 4 and counts["events"] == 4_501
    assert written[:2] == [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS] and sorted(written) == [1, 500, MAX_BATCH_EVENTS, MAX_BATCH_EVENTS]
    sizes = {}
    for path in batches:
        with gzip.open(path, "rt") as handle:
            events = [json.loads(line) for line in handle]
        assert {e["ts"][:10] for e in events} == {path.parent.parent.name.removeprefix("date=")}
        assert path.parent.name == "device=LAPTOP-DT1"
        sizes[path.name] = len(events)
    assert sorted(sizes.values()) == [1, 500, MAX_BATCH_EVENTS, MAX_BATCH_EVENTS]


def test_identifying_metadata_never_reaches_a_batch(tmp_path):
    _oa(make_openadapt(tmp_path / "oa.db"), tmp_path / "raw")
    _dt(make_ducktrack(tmp_path / "dt"), tmp_path / "raw")
    written = b"".join(gzip.decompress(data) for data in files_bytes(tmp_path / "raw").values())
    paths = "".join(str(p) for p in (tmp_path / "raw").rglob("*"))
    for value in (HOSTNAME, "ws-jdoe", str(MAC_ID), hex(MAC_ID)[2:], MODEL, "Darwin Kernel", TASK, "hunter2", "fLaC", "PNG"):
        assert value.encode() not in written and value not in paths, value


def test_unknown_tables_actions_columns_and_fields_become_scope_creep_events(tmp_path):
    counts = _oa(make_openadapt(tmp_path / "oa.db", unknowns=True), tmp_path / "oa")
    events = read_events(tmp_path / "oa")
    assert counts["scope_creep:unknown_table_row"] == 2 and counts["scope_creep:unknown_action"] == 1
    assert counts["scope_creep:unknown_column_value"] == 1
    table_rows = [e for e in events if e["event_type"] == "keylogger_buffer"]
    assert [r["payload"]["id"] for r in table_rows] == [1, 2] and table_rows[0]["ts"] == "2026-11-02T09:00:07.250Z"
    assert [e["payload"] for e in events if e["event_type"] == "gaze"] == [{"mouse_x": 5, "mouse_y": 6}]
    assert [e["payload"].get("gaze_x") for e in events if e["event_type"] == "mouse_move"] == [0.42, None, None]
    assert counts["events"] == len(events) == sum(OPENADAPT_EXPECTED.values()) + 3

    lines = DUCKTRACK_LINES + [{"time_stamp": 1007.0, "action": "clipboard", "text": "copied"},
                               {"time_stamp": 1008.0, "action": "move", "x": 1, "y": 2, "window": "Mail"},
                               {"time_stamp": 1009.0, "action": "move", "x": 1, "y": 2, "z": "\ud800"}]  # a lone surrogate
    counts = _dt(make_ducktrack(tmp_path / "dt", lines), tmp_path / "dt_raw")
    events = read_events(tmp_path / "dt_raw")
    assert counts["scope_creep:unknown_action"] == 1 and counts["scope_creep:unknown_field"] == 2
    assert [e["payload"] for e in events if e["event_type"] == "clipboard"] == [{"text": "copied"}]
    assert events[-2]["payload"] == {"x": 1, "y": 2, "screen_w": 1512, "screen_h": 982, "window": "Mail"}
    assert events[-1]["payload"]["z"] == "\ud800"


def _sqlite_without(table: str):
    def make(path: Path) -> Path:
        make_openadapt(path)
        with sqlite3.connect(path) as con:
            con.execute(f"DROP TABLE {table}")
        return path
    return make


def _sqlite_without_screen(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE recording (id INTEGER PRIMARY KEY, timestamp REAL)")
    con.execute("CREATE TABLE action_event (id INTEGER PRIMARY KEY, name TEXT, timestamp REAL)")
    con.close()
    return path


SECRET_PATH = "Jane-Roe-private"


@pytest.mark.parametrize("make,code", [
    (lambda p: p, "input_missing"),
    (lambda p: (p.write_bytes(b"name,email\nJane Roe,jane@example.com\n" * 100), p)[1], "openadapt_not_sqlite"),
    (_sqlite_without("action_event"), "openadapt_table_missing"),
    (_sqlite_without("recording"), "openadapt_table_missing"),
    (_sqlite_without_screen, "openadapt_column_missing"),
])
def test_bad_openadapt_inputs_are_value_free_errors(tmp_path, make, code):
    target = make(tmp_path / f"{SECRET_PATH}.db")
    with pytest.raises(SluiceError) as raised:
        _oa(target, tmp_path / "raw")
    assert raised.value.code == code
    assert SECRET_PATH not in str(raised.value) and "jane" not in str(raised.value).lower()
    assert not (tmp_path / "raw").exists()


def _folder_with(metadata: object = None, events: bool = True):
    def make(folder: Path) -> Path:
        make_ducktrack(folder)
        if not events:
            (folder / "events.jsonl").unlink()
        if metadata is not None:
            (folder / "metadata.json").write_bytes(metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode())
        return folder
    return make


@pytest.mark.parametrize("make,kw,code", [
    (lambda p: p, {}, "input_missing"),
    (_folder_with(events=False), {}, "ducktrack_events_missing"),
    (_folder_with(b"{Jane Roe"), {}, "ducktrack_metadata_unreadable"),
    (_folder_with({"start_time": "Jane Roe", "screen_width": 1, "screen_height": 1}), {}, "ducktrack_start_time_invalid"),
    (_folder_with({"start_time": "2026-11-02 10:00:00", "screen_width": "Jane"}), {}, "ducktrack_screen_size_invalid"),
    (make_ducktrack, {"timezone": "Mars/Jane_Roe"}, "timezone_unknown"),
    (make_ducktrack, {"employee": "Jane Roe\n"}, "invalid_flag"),
    (make_ducktrack, {"device": "../Jane-Roe"}, "invalid_flag"),
    (make_ducktrack, {"region": "Jane"}, "invalid_flag"),
    (make_ducktrack, {"app": ""}, "invalid_flag"),
])
def test_bad_ducktrack_inputs_are_value_free_errors(tmp_path, make, kw, code):
    folder = make(tmp_path / SECRET_PATH)
    with pytest.raises(SluiceError) as raised:
        _dt(folder, tmp_path / "raw", **kw)
    assert raised.value.code == code
    assert SECRET_PATH not in str(raised.value) and "jane" not in str(raised.value).lower()
    assert not (tmp_path / "raw").exists()


def test_cli_prints_counts_and_reports_bad_input_without_values(tmp_path, capsys):
    db = make_openadapt(tmp_path / "oa.db")
    assert main(["import", "openadapt", str(db), "--employee", "E1001", "--out", str(tmp_path / "raw")]) == 0
    out = capsys.readouterr().out
    assert "imported openadapt: 16 events in 1 batches" in out and "skipped:click_release" in out
    assert [p.parent.name for p in (tmp_path / "raw").rglob("*.jsonl.gz")] == ["device=imported-openadapt"]
    folder = make_ducktrack(tmp_path / "dt")
    assert main(["import", "ducktrack", str(folder), "--employee", "E1002", "--device", "D2", "--session", "s-1",
                 "--timezone", "Europe/Berlin", "--app", "code.exe", "--out", str(tmp_path / "raw")]) == 0
    assert "imported ducktrack: 8 events in 1 batches" in capsys.readouterr().out
    assert {(e["session_id"], e["app"]) for e in read_events(tmp_path / "raw") if e["device_id"] == "D2"} == {("s-1", "code.exe")}
    bad = tmp_path / f"{SECRET_PATH}.db"
    bad.write_text("Jane Roe")
    assert main(["import", "openadapt", str(bad), "--employee", "E1001", "--out", str(tmp_path / "raw")]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "openadapt_not_sqlite" in err and SECRET_PATH not in err and "Jane" not in err


# --- end to end: the real pipeline over imported recordings ---------------------------------

def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    (inbox / "raw").mkdir(parents=True)
    rows = ["employee_id,name,email,team,region,consent"]
    rows += [f"{e},Person {chr(65 + i)} Example,person{i}@acme.example.com,data,US,granted" for i, e in enumerate(EMPLOYEES)]
    (inbox / "directory.csv").write_text("\n".join(rows) + "\n")
    return inbox


def test_imported_recordings_publish_their_actions_and_nothing_identifying(tmp_path, monkeypatch):
    inbox = _inbox(tmp_path)
    oa = _oa(make_openadapt(tmp_path / "oa.db"), inbox / "raw")
    dt = _dt(make_ducktrack(tmp_path / "dt"), inbox / "raw")
    home = SluiceHome(isolate_home(monkeypatch, tmp_path / "home", inbox))

    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    counts = counts_for(home, DAY)
    assert counts["lines_read"] == counts["valid"] == counts["promoted"] == oa["events"] + dt["events"]
    marker = published_marker(home, DAY)
    relation = files_relation(home, marker["tables"]["interaction_steps"]["files"])
    with duckdb.connect() as con:
        published = dict(con.execute(f"SELECT action_type, count(*) FROM {relation} GROUP BY 1").fetchall())
        classes = dict(con.execute(f"SELECT key_class, count(*) FROM {relation} WHERE key_class IS NOT NULL GROUP BY 1").fetchall())
        apps = {r[0] for r in con.execute(f"SELECT DISTINCT app FROM {relation}").fetchall()}
    imported = Counter({t: oa.get(f"events:{t}", 0) + dt.get(f"events:{t}", 0) for t in OPENADAPT_EXPECTED})
    assert published == +imported and published["mouse_click"] == 3
    assert classes["shortcut"] == 2 and classes["modifier"] == 3 and classes["letter"] == 2
    assert apps == {"Microsoft Excel", "Google Chrome", "unknown"}

    files = {name: data for name, data in files_bytes(home.root).items() if name != "warehouse/private.duckdb"}
    files = {name: gzip.decompress(data) if name.endswith(".gz") else data for name, data in files.items()}
    for value in (HOSTNAME, str(MAC_ID), MODEL, TASK, "E1001", "E1002", "LAPTOP-OA1", "LAPTOP-DT1"):
        assert not [name for name, data in files.items() if value.encode() in data], value


def test_imported_scope_creep_blocks_the_day(tmp_path, monkeypatch, capsys):
    inbox = _inbox(tmp_path)
    oa = _oa(make_openadapt(tmp_path / "oa.db", unknowns=True), inbox / "raw")
    home = SluiceHome(isolate_home(monkeypatch, tmp_path / "home", inbox))

    assert main(["run", "--date", DAY.isoformat()]) == EXIT_BLOCKED
    assert "GATE FAILED private/validated_events:scope_creep" in capsys.readouterr().err
    assert published_marker(home, DAY) is None
    counts = counts_for(home, DAY)
    assert counts["reason:scope:event_type"] == oa["scope_creep:unknown_table_row"] + oa["scope_creep:unknown_action"] == 3
    assert counts["reason:scope:payload_field"] == oa["scope_creep:unknown_column_value"] == 1
    assert counts["lines_read"] == oa["events"]
