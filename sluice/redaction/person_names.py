"""People who are not in the directory (customers, patients, family): names found without a list of who they are.

No NER model can be installed here, so the default finder (`LexiconNames`) reads the public-domain US Census
name statistics (88,799 surnames and 5,494 given names with the share of people who bear each, from the
`names` package) and the cues around a capitalised word:

- a given name and a surname, both capitalised, a middle initial or name allowed between (`Maria J. Okafor`);
- an honorific or a role before capitalised words (`Mr Nguyen`, `Dr. Siobhan Kelly`, `Patient Alvarez`): the
  honorific stays readable;
- a given name after a greeting or a relation (`Dear Priya`, `my daughter Chloe`), or before a verb of speech
  or a possessive (`Marcus said`, `Aisha's`).

Precision guard: a capitalised word that is more common as an English word than as a name (`Will`, `Long`,
`White`, `Rose` in `Rose Gold`) is a name only beside stronger evidence. A word is *name-like* when the share
of people bearing it (Census) is at least `MARGIN` times the share of English text it makes up as a word
(`wordfreq`); a pair needs one name-like word, a lone word after a weak cue must be name-like itself.

Any other finder with the same two members (`candidate_sql`, `find`) plugs in through `name_finder()`:
an NER backend where a model is available.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from wordfreq import zipf_frequency

from sluice.privacy.lexicons import census

RARE_ZIPF = 3.5  # under 3.5 per billion words (log10): `Priya`, `Okafor`, `Kowalski`, but also `Kubernetes`
UNKNOWN_ZIPF = 2.0  # all but absent from English text (`Patberg`, `Lachmann`; `Dashboards` is 2.4): two such, a name
STRONG_CUE_ZIPF = 4.5  # after a greeting or a relation, any capitalised word less common than `team` or `sir`
MARGIN = 30.0  # a name-like word is borne by at least 30 times the share of people that it makes up of words
HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "doctor", "sir", "dame", "madam", "rev", "father",
    "sister", "patient", "nurse", "aunt", "auntie", "uncle", "grandma", "grandpa", "mister", "officer", "judge",
    "coach", "herr", "frau", "mme", "mlle", "monsieur", "madame", "senor", "senora", "sr", "sra",
})
GREETINGS = frozenset({"dear", "hi", "hello", "hey", "thanks", "congrats", "welcome", "bye"})
RELATIONS = frozenset({
    "wife", "husband", "son", "daughter", "mother", "mom", "mum", "dad", "father", "sister", "brother", "partner",
    "friend", "boyfriend", "girlfriend", "fiance", "fiancee", "child", "kid", "cousin", "niece", "nephew",
    "grandson", "granddaughter", "neighbour", "neighbor", "customer", "client", "patient", "tenant", "landlord",
    "named", "called",
})
WEAK_CUES = frozenset({"with", "cc", "ask", "tell", "told", "from", "to", "for", "and", "by", "met", "call", "ping", "email",
                       "contact", "is", "use"})
SPEECH = frozenset({"said", "says", "wrote", "asked", "told", "mentioned", "emailed", "texted", "replied", "thinks",
                    "wants", "called", "complained", "reported"})
PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "do", "dos", "das", "du", "del", "della", "la", "le",
                       "ter", "ten", "zu", "al", "el", "bin", "ibn"})
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*")  # letters of any script: `Gieß`
UPPER = re.compile(r"[^\W\d_a-z]")  # a letter that is not lower case ASCII: an upper case one, or another script's
POSSESSIVE = re.compile(r"['’]s$")
# Rows worth reading (RE2 and Python alike): two capitalised words in a row, a cue before a capitalised word,
# a capitalised word before a verb of speech or a possessive.
CANDIDATE = (r"[A-Z][a-z]+[ ]+(?:[A-Z]\.?[ ]+)?[A-Z][a-z]"
             r"|(?i:\b(?:" + "|".join(sorted(HONORIFICS | GREETINGS | RELATIONS | WEAK_CUES)) + r"))\.?,?[ ]+[A-Z][a-z]"
             r"|[A-Z][a-z]+(?:[ ]+(?i:" + "|".join(sorted(SPEECH)) + r")\b|['’]s\b)")


class NameFinder(Protocol):
    """Finds people's names in a text: (start, end, who) for each, `who` identifying the person in its scope."""

    candidate_sql: str  # an RE2 pattern: a text that does not match it has no name this finder would find

    def find(self, text: str) -> list[tuple[int, int, str]]: ...


def _key(word: str) -> str:
    return re.sub(r"['’-]", "", word).lower()


def _bare(word: str) -> str:
    """The word without a possessive `'s`."""
    return POSSESSIVE.sub("", word)


def _capitalised(word: str) -> bool:
    return word[0].isupper() and any(c.islower() for c in word[1:])


@dataclass(frozen=True)
class LexiconNames:
    candidate_sql: str = CANDIDATE
    margin: float = MARGIN

    @staticmethod
    def shares(word: str) -> tuple[float, float]:
        return _shares(word)

    def name_like(self, word: str) -> bool:
        return _name_like(self, word)

    def given(self, word: str) -> bool:
        return _capitalised(word) and self.shares(word)[0] > 0

    def surname(self, word: str) -> bool:
        return _capitalised(word) and self.shares(word)[1] > 0

    def find(self, text: str) -> list[tuple[int, int, str]]:
        if not UPPER.search(text):
            return []  # a name is capitalised
        words = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(text)]
        found, i = [], 0
        while i < len(words):
            last = self._name_at(text, words, i)
            if last is None:
                i += 1
                continue
            end = words[last][1] + len(_bare(words[last][0]))
            found.append((words[i][1], end, " ".join(_key(_bare(w)) for w, _, _ in words[i:last + 1])))
            i = last + 1
        return found

    def _name_at(self, text: str, words: list[tuple[str, int, int]], i: int) -> int | None:
        """The index of the last word of a name that starts at word `i`, or None."""
        if not words[i][0][0].isupper():
            return None
        word = _bare(words[i][0])
        if not _capitalised(word):
            return None
        cue = words[i - 1][0].lower() if i and _adjacent(text, words[i - 1], words[i]) else ""
        rest = self._rest_of_name(text, words, i)
        if cue in HONORIFICS:  # any capitalised word after one: `Dr Okonkwo-Balewa`
            return i if rest is None else rest[0]
        strong = cue in GREETINGS or cue in RELATIONS
        given, rare = self.given(word), _rare(word)
        end = i if rest is None else rest[0]
        after = words[end + 1][0].lower() if end + 1 < len(words) and _adjacent(text, words[end], words[end + 1]) else ""
        cued = strong or cue in WEAK_CUES or after in SPEECH or POSSESSIVE.search(words[end][0]) is not None
        if rest is not None:
            last, initial = rest
            second = _bare(words[last][0])
            if given and (cued or initial or self.name_like(word) or self.name_like(second) or _rare(second)):
                return last  # `Grace Hopper`, `Will J. Long`, `with Rose Gold`, but not `Rose Gold Theme`
            if rare and (cued or initial or _common_below(second, UNKNOWN_ZIPF) or (self.surname(second) and self.name_like(second))):
                return last  # `Priya Patel`, `with Lekha Salvi`, `Oluwaseun A. Okafor`, `Eberhardt Patberg`
        if strong:
            return i if given or _common_below(word, STRONG_CUE_ZIPF) else None  # `Dear Priya`, `thanks Liam`
        if after in SPEECH:
            return i if given or rare else None  # `Max said`, `Katja said`
        if POSSESSIVE.search(words[i][0]):
            return i if given else None  # `Sarah's`, but not `Dagster's`
        return i if cue in WEAK_CUES and given and self.name_like(word) else None  # `with Sarah`, not `with Will`

    def _rest_of_name(self, text: str, words: list[tuple[str, int, int]], i: int) -> tuple[int, bool] | None:
        """(index, over an initial) of the capitalised surname (from the Census, or a rare word) that completes a
        name begun at word `i`, over a middle initial (`J.`) or a middle given name; or None."""
        k, initial = i + 1, False
        if k < len(words) and _adjacent(text, words[i], words[k]) and len(words[k][0]) == 1 and words[k][0].isupper():
            k, initial = k + 1, True
        elif k + 1 < len(words) and _adjacent(text, words[i], words[k]) and self.given(words[k][0]) \
                and _adjacent(text, words[k], words[k + 1]) and self._surname_or_rare(words[k + 1][0]):
            k += 1  # a middle name
        for _ in range(2):  # surname particles: `van der`, `da`, `von`
            if k + 1 < len(words) and words[k][0].lower() in PARTICLES and _adjacent(text, words[k - 1], words[k]):
                k += 1
        if k < len(words) and _adjacent(text, words[k - 1], words[k]) and self._surname_or_rare(words[k][0]):
            return k, initial
        return None

    def _surname_or_rare(self, word: str) -> bool:
        word = _bare(word)
        return _capitalised(word) and (self.shares(word)[1] > 0 or _rare(word))


def _rare(word: str) -> bool:
    """A capitalised word rare as an English word (names from everywhere, and product names: used with cues)."""
    return _common_below(word, RARE_ZIPF)


@lru_cache(maxsize=131072)
def _common_below(word: str, zipf: float) -> bool:
    """Capitalised like a name (`Okafor`, `Karl-Peter`, not `DuckDB`) and rarer than `zipf` as an English word."""
    plain = word[0].isupper() and all(not part[1:] or part[1:].islower() for part in re.split(r"['’-]", word) if part)
    return plain and zipf_frequency(word.lower(), "en") < zipf


@lru_cache(maxsize=131072)
def _shares(word: str) -> tuple[float, float]:
    """(given, surname): the share of people bearing the word as each; a double-barrelled surname by its rarer half."""
    given, surnames = census()
    key = _key(word)
    first, surname = given.get(key, 0.0), surnames.get(key, 0.0)
    if "-" in word:  # double-barrelled, by its rarer half: `Karl-Peter`, `Smith-Jones`
        first = first or min(given.get(_key(part), 0.0) for part in word.split("-"))
        surname = surname or min(surnames.get(_key(part), 0.0) for part in word.split("-"))
    return first, surname


@lru_cache(maxsize=131072)
def _name_like(finder: LexiconNames, word: str) -> bool:
    """Borne by a larger share of people than the share of English text the word makes up, by `margin`."""
    share = max(finder.shares(word))
    return share > 0 and math.log10(share) - (zipf_frequency(word.lower(), "en") - 9) >= math.log10(finder.margin)


def _adjacent(text: str, a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    """One or two spaces between two words, or a dot and a space after an initial or an honorific (`J. `, `Dr. `)."""
    gap = text[a[2]:b[1]]
    return gap in (" ", "  ") or (gap in (". ", ".  ") and (len(a[0]) == 1 or a[0].lower() in HONORIFICS))


def name_finder(backend: str = "lexicon") -> NameFinder:
    """The finder of names outside the directory called `backend`: the lexicon is the one built in."""
    if backend == "lexicon":
        return LexiconNames()
    raise ValueError(f"unknown name finder {backend!r}: the one built in is 'lexicon'")
