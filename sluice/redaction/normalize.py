"""The detection view: a text as the detectors read it, and the way back to the text itself.

Variants of a protected value that a textbook pattern misses are folded before detection:
format characters (zero-width spaces and joiners, word joiner, BOM, soft hyphen) are dropped,
every kind of space (NBSP, thin, ideographic...) becomes a space and every dash (non-breaking
hyphen, en dash, minus sign...) a hyphen, compatibility forms become what they stand for
(fullwidth `５５５` and `ｊａｎｅ＠ｘ．ｃｏｍ`, ligatures, circled digits: NFKD), and accents are
taken off (`José`, precomposed or decomposed, reads `Jose`). Letters of other scripts stay as
they are: this is a compatibility fold, not a homoglyph map.

Detection runs on the view; each finding is mapped back to the characters of the original it
came from (`Alignment.span`), so the published text keeps its shape, accents and all, with
only the value replaced. An ASCII text is its own view (the common case costs nothing).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

NON_ASCII = re.compile(r"[^\x00-\x7f]+")
DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


@lru_cache(maxsize=65_536)
def fold(char: str) -> str:
    """What one character reads as in the view: '' (dropped), one character or several."""
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category in ("Zs", "Zl", "Zp"):
        return " "
    if char in DASHES:
        return "-"
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Alignment:
    """Segments of the view, each from a piece of the original: an ASCII run (character for character)
    or one folded character (its whole replacement comes from it)."""

    view_starts: tuple[int, ...]
    segments: tuple[tuple[int, int, int, int, bool], ...]  # view start, view end, original start, original end, exact

    def _segment(self, position: int) -> tuple[int, int, int, int, bool]:
        return self.segments[bisect.bisect_right(self.view_starts, position) - 1]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters that view characters [start, end) come from."""
        v0, _, o0, o1, exact = self._segment(start)
        first = o0 + (start - v0) if exact else o0
        v0, _, o0, o1, exact = self._segment(end - 1)
        last = o0 + (end - v0) if exact else o1
        return first, last


def detection_view(text: str) -> tuple[str, Alignment | None]:
    """The view of `text`, and its alignment (None when the text is its own view)."""
    if text.isascii():
        return text, None
    pieces: list[str] = []
    segments: list[tuple[int, int, int, int, bool]] = []
    view_at = original_at = 0
    for run in NON_ASCII.finditer(text):
        if run.start() > original_at:
            length = run.start() - original_at
            pieces.append(text[original_at:run.start()])
            segments.append((view_at, view_at + length, original_at, run.start(), True))
            view_at += length
        for offset, char in enumerate(run.group(), start=run.start()):
            folded = fold(char)
            if folded:
                pieces.append(folded)
                segments.append((view_at, view_at + len(folded), offset, offset + 1, False))
                view_at += len(folded)
        original_at = run.end()
    if original_at < len(text):
        pieces.append(text[original_at:])
        segments.append((view_at, view_at + len(text) - original_at, original_at, len(text), True))
    view = "".join(pieces)
    if view == text:
        return text, None
    return view, Alignment(tuple(s[0] for s in segments), tuple(segments))


def fold_text(text: str) -> str:
    """The view alone (names of the directory are indexed as the detectors will read them)."""
    return detection_view(text)[0]


def non_ascii_sql(column: str) -> str:
    """SQL: the text has a character outside ASCII (else it is its own view)."""
    return f"regexp_matches({column}, '[^\\x{{00}}-\\x{{7f}}]')"


FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
FULLWIDTH_AS = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))


def fold_sql(column: str) -> str:
    """SQL: the detection view of `column` for rules that read text in DuckDB (exclusion predicates), character
    for character where the view is (fullwidth forms, spaces, dashes, accents, dropped format characters).
    A test holds it to `fold_text` on every character it folds."""
    dashes = "".join(sorted(DASHES))
    return (f"CASE WHEN NOT {non_ascii_sql(column)} THEN {column} ELSE "  # ASCII: its own view
            f"regexp_replace(regexp_replace(regexp_replace(strip_accents(translate({column}, '{FULLWIDTH}', "
            f"'{FULLWIDTH_AS.replace(chr(39), chr(39) * 2)}')), '\\p{{Cf}}', '', 'g'), '[\\p{{Zs}}\\p{{Zl}}\\p{{Zp}}]', ' ', 'g'), "
            f"'[{dashes}]', '-', 'g') END")
