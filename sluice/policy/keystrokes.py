"""Policy rule 4: no typed secrets.

Key events in `password` fields are dropped entirely, before any time delta is computed
(so their timing is gone too). Other keys never reach training as characters: they
become classes. Recorders without a field type send `unknown`, treated as text typing.
"""

from sluice.policy.base import Exclusion

PASSWORD_FIELD = Exclusion("password_field", 4, "(event_type = 'key' AND field = 'password')")

KEY_CLASSES = (
    "letter", "digit", "punctuation", "whitespace", "navigation",
    "editing", "function", "modifier", "shortcut", "other",
)
MODIFIER_KEYS = ("Shift", "Control", "Ctrl", "Alt", "AltGraph", "Meta", "Command", "CapsLock", "Fn")
NAVIGATION_KEYS = ("ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown", "Escape")
EDITING_KEYS = ("Backspace", "Delete", "Insert")
WHITESPACE_KEYS = ("Enter", "Tab", "Space", " ")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v + "'" for v in values) + ")"


KEY_CLASS_SQL = f"""CASE
  WHEN event_type <> 'key' THEN NULL
  WHEN key IN {_in(MODIFIER_KEYS)} THEN 'modifier'
  WHEN list_has_any(modifiers, ['ctrl', 'alt', 'meta']) THEN 'shortcut'
  WHEN key IN {_in(WHITESPACE_KEYS)} THEN 'whitespace'
  WHEN key IN {_in(EDITING_KEYS)} THEN 'editing'
  WHEN key IN {_in(NAVIGATION_KEYS)} THEN 'navigation'
  WHEN regexp_matches(key, '^F([1-9]|1[0-9]|2[0-4])$') THEN 'function'
  WHEN length(key) = 1 AND regexp_matches(key, '^[0-9]$') THEN 'digit'
  WHEN length(key) = 1 AND regexp_matches(key, '^\\p{{L}}$') THEN 'letter'
  WHEN length(key) = 1 THEN 'punctuation'
  ELSE 'other'
END"""
