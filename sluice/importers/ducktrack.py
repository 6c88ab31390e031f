"""Import a DuckTrack (AgentNet) recording folder (`events.jsonl` + `metadata.json`) as capture
format v1 batches.

Event times are `time.perf_counter()` readings of the recording machine: an event's instant is
the metadata's `start_time` (local time of that machine, read in `--timezone`, default UTC) plus
its `time_stamp` minus t0, t0 being OBS's `OBS_WEBSOCKET_OUTPUT_STARTED` reading when there is
one, else the first event's `time_stamp`. There is no window information: every event has
`app` = `--app` and no title. Of the metadata only `start_time`, the screen size and OBS's start
reading are used: the host name, the MAC-derived `id`, the model and the OS build are never
written anywhere (nor hashed into an id). Pause and resume markers, key and click releases and
video files are counted, not imported; a line that is not JSON is counted `unreadable_line`,
one without a numeric `time_stamp` or a string `action` `invalid_line`. Scope creep, written as
it is: an unknown action (its fields become the payload) and an unknown field of a line.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluice.importers.mapping import Identity, Session, jsonable, summary
from sluice.importers.writer import BatchWriter, check_identity, derived_id, unix_ms
from sluice.platform.errors import SluiceError

RECORDER = "ducktrack"
KNOWN_FIELDS = {"time_stamp", "action", "x", "y", "button", "pressed", "dx", "dy", "name"}
VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".flv", ".webm"}
OBS_STARTED = "OBS_WEBSOCKET_OUTPUT_STARTED"
MAPPED = ("move", "click", "scroll", "press", "release")


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _metadata(folder: Path, tz: str) -> tuple[float, str, tuple[int, int], float | None]:
    """(start as unix seconds, start as written, screen size, OBS start reading or None)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SluiceError("timezone_unknown", "--timezone: an IANA zone name such as Europe/Berlin") from None
    path = folder / "metadata.json"
    if not path.is_file():
        raise SluiceError("ducktrack_metadata_missing", "the folder has no metadata.json")
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError):
        raise SluiceError("ducktrack_metadata_unreadable", "metadata.json is not a JSON object") from None
    if not isinstance(meta, dict):
        raise SluiceError("ducktrack_metadata_unreadable", "metadata.json is not a JSON object")
    start_text = meta.get("start_time")
    try:
        start = datetime.strptime(start_text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).timestamp()
    except (TypeError, ValueError, OverflowError):
        raise SluiceError("ducktrack_start_time_invalid", "metadata.json: start_time is not YYYY-MM-DD HH:MM:SS") from None
    screen = (meta.get("screen_width"), meta.get("screen_height"))
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 100_000 for v in screen):
        raise SluiceError("ducktrack_screen_size_invalid", "metadata.json: screen_width/screen_height")
    timings = meta.get("obs_record_state_timings")
    started = timings.get(OBS_STARTED) if isinstance(timings, dict) else None
    obs = _finite(started[0]) if isinstance(started, list) and started else None
    return start, start_text, screen, obs


def _not_json(constant: str) -> None:
    raise ValueError("NaN and Infinity are not JSON")


def _lines(path: Path, counts: Counter):
    """(line number, parsed object) of each readable line; the rest counted by reason."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                counts["skipped:empty_line"] += 1
                continue
            try:
                yield number, json.loads(raw.decode("utf-8"), parse_constant=_not_json)
            except (UnicodeDecodeError, ValueError, RecursionError):
                counts["skipped:unreadable_line"] += 1


def _first_time(path: Path) -> float | None:
    for _, obj in _lines(path, Counter()):
        if isinstance(obj, dict) and _finite(obj.get("time_stamp")) is not None:
            return float(obj["time_stamp"])
    return None


def import_ducktrack(path: Path, employee: str, device: str, region: str, session: str | None, out: Path,
                     app: str, timezone: str = "UTC", on_written: Callable[[int], None] | None = None) -> dict[str, int]:
    """Import one DuckTrack recording folder into `out` (a raw root); counts by name.
    `on_written(events)` is called as each batch is written."""
    check_identity(employee, device, region, session, app)
    folder = Path(path)
    if not folder.is_dir():
        raise SluiceError("input_missing", "the DuckTrack recording folder does not exist")
    events_path = folder / "events.jsonl"
    if not events_path.is_file():
        raise SluiceError("ducktrack_events_missing", "the folder has no events.jsonl")
    start, start_text, screen, obs = _metadata(folder, timezone)
    counts: Counter = Counter()
    counts["skipped:video"] = sum(1 for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    t0 = obs if obs is not None else _first_time(events_path)
    identity = (start_text, repr(t0))
    session_id = session or derived_id(RECORDER, "session", *identity)
    prefix = f"{RECORDER}-" + derived_id(RECORDER, "batches", *identity, session_id).replace("-", "")[:16]
    writer = BatchWriter(out, device, prefix, on_written)
    mapper = Session(RECORDER, Identity(employee, device, session_id, region), writer, counts, app, screen)
    try:
        for number, obj in _lines(events_path, counts):
            stamp = _finite(obj.get("time_stamp")) if isinstance(obj, dict) else None
            action = obj.get("action") if isinstance(obj, dict) else None
            if stamp is None or not isinstance(action, str) or not action.strip() or t0 is None:
                counts["skipped:invalid_line"] += 1
                continue
            ms = unix_ms(start + (stamp - t0))
            if ms is None:
                counts["skipped:invalid_timestamp"] += 1
                continue
            _event(mapper, ms, (*identity, number), action, obj, counts)
        result = writer.close()
    except BaseException:
        writer.abort()
        raise
    counts.update(result)
    counts["events"] = writer.events
    return summary(counts)


def _event(mapper: Session, ms: int, source: tuple, action: str, obj: dict, counts: Counter) -> None:
    extra = {k: jsonable(v) for k, v in obj.items() if k not in KNOWN_FIELDS}
    if action in ("pause", "resume"):
        counts[f"skipped:{action}"] += 1
        counts["skipped:unknown_field_on_marker"] += len(extra)
        mapper.modifiers.reset()  # releases during a pause are not recorded
        return
    if action not in MAPPED:  # scope creep: the line's fields are the payload
        mapper.other(ms, source, action, {k: jsonable(v) for k, v in obj.items() if k not in ("time_stamp", "action")})
        counts["scope_creep:unknown_action"] += 1
        return
    if action == "release" or (action == "click" and not obj.get("pressed")):
        counts["skipped:unknown_field_on_release"] += len(extra)  # a release is not an event: counted, not carried
        extra = {}
    counts["scope_creep:unknown_field"] += len(extra)
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    if action == "move":
        mapper.move(ms, source, obj.get("x"), obj.get("y"), extra)
    elif action == "click":
        mapper.click(ms, source, obj.get("x"), obj.get("y"), obj.get("button"), obj.get("pressed"), extra)
    elif action == "scroll":
        mapper.scroll(ms, source, obj.get("dx"), obj.get("dy"), extra)
    elif action == "press":
        mapper.press(ms, source, name, name, extra=extra)
    else:
        mapper.release(name, name)
