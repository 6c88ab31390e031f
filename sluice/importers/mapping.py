"""Recorder actions -> capture format v1 events, shared by the importers.

One `Session` per recording: it holds the window context (app, title, url) that the events
after a window change carry, the modifiers held, the screen size, and the counts. Mouse
positions are rounded to integer pixels and clamped into the screen (counted); a click
release and a key release are folded into their press (counted); what a recorder sends beyond
the format (an unknown action, table, column or field) is written as it is, so the pipeline's
scope check quarantines it, counts it and blocks the day.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from sluice.importers.keys import UNIDENTIFIED, ModifierTracker, key_label
from sluice.importers.writer import BatchWriter, derived_id, format_ts

BUTTONS = ("left", "right", "middle")
MAX_DELTA = 100_000


@dataclass(frozen=True)
class Identity:
    employee_id: str
    device_id: str
    session_id: str
    region: str


def jsonable(value: object) -> object:
    """A column or field value as JSON can hold it (a blob by its size only)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<blob {len(bytes(value))} bytes>"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def summary(counts: Counter) -> dict[str, int]:
    """The counts worth reporting, sorted by name: events and batches always, the rest when not zero."""
    return {k: v for k, v in sorted({"events": 0, "batches": 0, **counts}.items()) if v or k in ("events", "batches")}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class Session:
    recorder: str
    identity: Identity
    writer: BatchWriter
    counts: Counter
    app: str
    screen: tuple[int, int]
    window_title: str | None = None
    url: str | None = None
    modifiers: ModifierTracker = field(default_factory=ModifierTracker)

    def emit(self, ms: int, source: tuple, event_type: str, payload: dict, extra: dict | None = None,
             declared: bool = True) -> None:
        """One event; `extra` holds keys beyond the format (scope creep); `declared` False for an
        event type the format does not have (scope creep)."""
        event = {
            "schema_version": "1",
            "event_id": derived_id(self.recorder, *source),
            "ts": format_ts(ms),
            "employee_id": self.identity.employee_id,
            "device_id": self.identity.device_id,
            "session_id": self.identity.session_id,
            "region": self.identity.region,
            "event_type": event_type,
            "app": self.app,
        }
        if self.window_title is not None:
            event["window_title"] = self.window_title
        if self.url is not None:
            event["url"] = self.url
        event["payload"] = {**payload, **(extra or {})}
        self.writer.add(event)
        if declared:
            self.counts[f"events:{event_type}"] += 1

    def _position(self, x: object, y: object) -> tuple[int, int] | None:
        fx, fy = _number(x), _number(y)
        if fx is None or fy is None:
            return None
        w, h = self.screen
        px, py = min(max(round(fx), 0), w - 1), min(max(round(fy), 0), h - 1)
        if (px, py) != (round(fx), round(fy)):
            self.counts["clamped_position"] += 1
        return px, py

    def _invalid(self) -> None:
        self.counts["skipped:invalid_row"] += 1

    def move(self, ms: int, source: tuple, x: object, y: object, extra: dict | None = None) -> None:
        pos = self._position(x, y)
        if pos is None:
            return self._invalid()
        self.emit(ms, source, "mouse_move", {"x": pos[0], "y": pos[1], "screen_w": self.screen[0], "screen_h": self.screen[1]}, extra)

    def click(self, ms: int, source: tuple, x: object, y: object, button: object, pressed: object,
              extra: dict | None = None) -> None:
        if not pressed:
            self.counts["skipped:click_release"] += 1
            return
        name = button.lower().removeprefix("button.") if isinstance(button, str) else None
        if name not in BUTTONS:
            self.counts["skipped:unsupported_button"] += 1
            return
        pos = self._position(x, y)
        if pos is None:
            return self._invalid()
        self.emit(ms, source, "mouse_click", {"x": pos[0], "y": pos[1], "screen_w": self.screen[0], "screen_h": self.screen[1],
                                              "button": name, "clicks": 1}, extra)

    def scroll(self, ms: int, source: tuple, dx: object, dy: object, extra: dict | None = None) -> None:
        fx, fy = _number(0 if dx is None else dx), _number(0 if dy is None else dy)
        if fx is None or fy is None:
            return self._invalid()
        self.emit(ms, source, "scroll", {"dx": min(max(round(fx), -MAX_DELTA), MAX_DELTA),
                                         "dy": min(max(round(fy), -MAX_DELTA), MAX_DELTA)}, extra)

    def press(self, ms: int, source: tuple, name: str | None, *candidates: object, extra: dict | None = None) -> None:
        """A key going down: `candidates` (key names and characters, preferred first) give the key."""
        key = key_label(*candidates)
        if key == UNIDENTIFIED:
            self.counts["key_unidentified"] += 1
        modifiers = self.modifiers.press(name, key)
        self.emit(ms, source, "key", {"key": key, "modifiers": modifiers, "field": "unknown"}, extra)

    def release(self, name: str | None, *candidates: object) -> None:
        self.modifiers.release(name, key_label(*candidates))
        self.counts["skipped:key_release"] += 1

    def focus(self, ms: int, source: tuple, app: str, title: str | None, extra: dict | None = None) -> None:
        """A window change: the context of this event and of the events after it (the url is
        the browser's to set again)."""
        self.app, self.window_title, self.url = app, title, None
        self.emit(ms, source, "window_focus", {}, extra)

    def other(self, ms: int, source: tuple, event_type: str, payload: dict) -> None:
        """An action, table row or line type the format does not define: scope creep, kept whole."""
        self.emit(ms, source, event_type, payload, declared=False)
