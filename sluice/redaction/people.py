"""Names from the directory, found by token lookup: every employee, consenting or not.

Matched case-insensitively as whole words: "First Last" (and the full name), "First L.",
"First M. Last", "first.last" and "first_last" (URLs, file names), handles (`@first.last`, `@flast`,
`@firstlast`), and the surname alone where it is distinctive (one employee has it, and it
is not a common word). Then inside other tokens, by their alphabetic pieces (CamelCase split):
`first-last` slugs, `FirstLast`, `renee_dubois_cv.pdf`, `Last, First`, and handles (`flast`,
`firstlast`, `firstl`) that are not English words, anywhere in a path or a file name. A lookup in dictionaries, not one regex alternation of every
variant: its cost does not grow with the directory (a large alternation falls off RE2's
fast path).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from wordfreq import zipf_frequency

from sluice.redaction.normalize import fold_text
from sluice.redaction.spans import leftmost_longest

COMMON_WORDS = frozenset({
    "will", "may", "mark", "long", "short", "young", "king", "black", "white", "green", "brown", "rose",
    "page", "hall", "wood", "lane", "park", "price", "bell", "cook", "ward", "case", "key", "day", "hope",
})
MIN_SURNAME = 4
MAX_NAME_WORDS = 4
TOKEN = re.compile(r"@?[^\W_](?:[\w.-]*[^\W_])?")
PIECES = re.compile(r"[^\W\d_]+")  # alphabetic pieces, as `PIECES_SQL` extracts them to find candidate rows
PIECES_SQL = r"\pL+"
CAMEL_PIECES = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # `JoseGarcia` -> Jose, Garcia; `GARCIA` -> GARCIA
JOINERS = ("", "-", "_", ".", " ")  # what may stand between the pieces of a name inside a token
HANDLE_MAX_ZIPF = 3.0  # a handle that is an English word (`mash` for Mark Ash) is not looked for inside tokens


@dataclass(frozen=True)
class PeopleIndex:
    names: dict[tuple[str, ...], str]  # lowercase words of a name form -> the person (full name, lowercase)
    initials: dict[tuple[str, str], str]  # (first, last initial) -> person, for "First L."
    handles: dict[str, str]  # first.last, first_last, flast, firstlast -> person
    pieces: frozenset[str]  # every alphabetic piece of any form: a row without one has no name
    starts: frozenset[str]  # the first word of any name form: where a match can begin

    @classmethod
    def from_names(cls, names: Iterable[str]) -> "PeopleIndex":
        people = [fold_text(n).lower().split() for n in names if n and len(n.split()) >= 2]  # as the detectors read
        surname_counts = Counter(parts[-1] for parts in people)
        forms: dict[tuple[str, ...], str] = {}
        initials: dict[tuple[str, str], str] = {}
        handles: dict[str, str] = {}
        for parts in people:
            person, first, last = " ".join(parts), parts[0], parts[-1]
            forms.setdefault(tuple(parts[:MAX_NAME_WORDS]), person)
            forms.setdefault((first, last), person)
            if surname_counts[last] == 1 and len(last) >= MIN_SURNAME and last not in COMMON_WORDS:
                forms.setdefault((last,), person)
            initials.setdefault((first, last[0]), person)
            for handle in (f"{first}.{last}", f"{first}_{last}", f"{first[0]}{last}", f"{first}{last}", f"{first}{last[0]}"):
                handles.setdefault(handle, person)
        pieces = {p for key in forms for word in key for p in PIECES.findall(word)}
        pieces |= {p for h in handles for p in PIECES.findall(h)}
        starts = frozenset(key[0] for key in forms) | frozenset(first for first, _ in initials)
        return cls(forms, initials, handles, frozenset(pieces), starts)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, person) of every name form in `text`, leftmost and longest first."""
        tokens = [(m.group(0).lower(), m.start(), m.end()) for m in TOKEN.finditer(text)]
        found, i = [], 0
        while i < len(tokens):
            match = self._match_at(text, tokens, i)
            if match:
                found.append(match[:3])
                i = match[3]
            else:
                i += 1
        return leftmost_longest(found + self._find_in_pieces(text))

    def _find_in_pieces(self, text: str) -> list[tuple[int, int, str]]:
        """Names inside tokens, by alphabetic pieces: two pieces of one name joined by nothing, a dash, an underscore,
        a dot or a space (or `Last, First`), or one piece that is a distinctive surname or a handle."""
        pieces = [(m.group(0).lower(), m.start(), m.end()) for m in CAMEL_PIECES.finditer(text)]
        found, i = [], 0
        while i < len(pieces):
            word, start, end = pieces[i]
            if i + 1 < len(pieces):
                after, start2, end2 = pieces[i + 1]
                gap = text[end:start2]
                person = (self.names.get((word, after)) if gap in JOINERS else
                          self.names.get((after, word)) if gap in (", ", ",") else None)
                if person:
                    found.append((start, end2, person))
                    i += 2
                    continue
            handle = self.handles.get(word)
            handle = handle if handle and zipf_frequency(word, "en") < HANDLE_MAX_ZIPF else None
            person = self.names.get((word,)) or handle  # a distinctive surname, or a handle that is not a word
            if person:
                found.append((start, end, person))
            i += 1
        return found

    def _match_at(self, text: str, tokens: list[tuple[str, int, int]], i: int) -> tuple[int, int, str, int] | None:
        word, start, end = tokens[i]
        if word.startswith("@") or "." in word or "_" in word:
            person = self.handles.get(word.lstrip("@"))
            return (start, end, person, i + 1) if person else None
        if word not in self.starts:
            return None
        for n in range(min(MAX_NAME_WORDS, len(tokens) - i), 0, -1):
            words = tokens[i:i + n]
            if all(text[a[2]:b[1]].isspace() for a, b in zip(words, words[1:])):
                person = self.names.get(tuple(w for w, _, _ in words))
                if person:
                    return start, words[-1][2], person, i + n
        if i + 1 < len(tokens):
            initial, s2, e2 = tokens[i + 1]
            if len(initial) == 1 and text[end:s2].isspace() and text[e2:e2 + 1] == ".":
                if i + 2 < len(tokens) and text[e2 + 1:tokens[i + 2][1]].isspace():  # `First M. Last`
                    person = self.names.get((word, tokens[i + 2][0]))
                    if person:
                        return start, tokens[i + 2][2], person, i + 3
                person = self.initials.get((word, initial))
                if person:
                    return start, e2 + 1, person, i + 2
        return None
