"""pynput key names (what OpenAdapt and DuckTrack record) -> capture format v1 key names, and
the modifiers held at each key press.

A key is one character or a W3C-style key name (`Enter`, `ArrowLeft`, `F5`, ...), the names
`sluice.policy.keystrokes` classifies. A control character (what some platforms report for
ctrl+c) becomes its letter; a key the map does not know becomes `Unidentified` (class `other`).
"""

from __future__ import annotations

UNIDENTIFIED = "Unidentified"

# pynput `Key` member names -> key names of the capture format.
NAMED: dict[str, str] = {
    "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace", "delete": "Delete",
    "insert": "Insert", "esc": "Escape", "escape": "Escape", "home": "Home", "end": "End",
    "page_up": "PageUp", "page_down": "PageDown", "left": "ArrowLeft", "right": "ArrowRight",
    "up": "ArrowUp", "down": "ArrowDown", "caps_lock": "CapsLock", "num_lock": "NumLock",
    "scroll_lock": "ScrollLock", "print_screen": "PrintScreen", "pause": "Pause", "menu": "ContextMenu",
    "shift": "Shift", "shift_l": "Shift", "shift_r": "Shift",
    "ctrl": "Control", "ctrl_l": "Control", "ctrl_r": "Control",
    "alt": "Alt", "alt_l": "Alt", "alt_r": "Alt", "alt_gr": "AltGraph",
    "cmd": "Meta", "cmd_l": "Meta", "cmd_r": "Meta",
    "media_play_pause": "MediaPlayPause", "media_volume_mute": "AudioVolumeMute",
    "media_volume_down": "AudioVolumeDown", "media_volume_up": "AudioVolumeUp",
    "media_previous": "MediaTrackPrevious", "media_next": "MediaTrackNext",
    **{f"f{n}": f"F{n}" for n in range(1, 25)},
}

# Key names that are modifiers of the format (`modifiers` list), by their capture name.
MODIFIERS: dict[str, str] = {"Control": "ctrl", "Alt": "alt", "Shift": "shift", "Meta": "meta"}
MODIFIER_ORDER = ("ctrl", "alt", "shift", "meta")


def _char(value: object) -> str | None:
    """One typed character, or None. Control characters \\x01-\\x1a are ctrl+letter."""
    if not isinstance(value, str) or len(value) != 1:
        return None
    if "\x01" <= value <= "\x1a":
        return chr(ord(value) + 96)
    if value == " ":
        return "Space"
    return value if value.isprintable() else None


def _named(value: object) -> str | None:
    if not isinstance(value, str) or len(value) < 2:
        return None
    name = value.strip().lower().removeprefix("key.")
    return NAMED.get(name)


def key_label(*candidates: object) -> str:
    """The first of `candidates` (key names and characters, in order of preference) that maps to a
    key of the format: a pynput key name or a single character; else `Unidentified`."""
    for value in candidates:
        found = _named(value) or _char(value)
        if found:
            return found
    return UNIDENTIFIED


class ModifierTracker:
    """The ctrl/alt/shift/meta keys held down, from the press and release events seen so far."""

    def __init__(self) -> None:
        self.held: dict[str, str] = {}  # source name (ctrl_l, cmd) -> modifier (ctrl, meta)

    def current(self) -> list[str]:
        held = set(self.held.values())
        return [m for m in MODIFIER_ORDER if m in held]

    def press(self, source: str | None, key: str) -> list[str]:
        """The modifiers held while `key` goes down (not counting itself); then it is held if it is one."""
        modifiers = self.current()
        if key in MODIFIERS:
            self.held[(source or key).lower()] = MODIFIERS[key]
        return modifiers

    def release(self, source: str | None, key: str) -> None:
        if key not in MODIFIERS:
            return
        name = (source or key).lower()
        if self.held.pop(name, None) is None:  # released under another name (ctrl for ctrl_l): all of that kind
            self.held = {k: v for k, v in self.held.items() if v != MODIFIERS[key]}

    def reset(self) -> None:
        self.held.clear()
