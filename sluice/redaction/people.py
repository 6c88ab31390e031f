"""Names from the directory, with the variants people write: every employee, consenting or not.

"First Last", "First L.", "first.last" and "first_last" (URLs, file names), handles
(`@first.last`, `@flast`, `@firstlast`) and the surname alone where it is distinctive (one
employee has it, and it is not a common word).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from sluice.redaction.detectors import Detector

COMMON_WORDS = frozenset({
    "will", "may", "mark", "long", "short", "young", "king", "black", "white", "green", "brown", "rose",
    "page", "hall", "wood", "lane", "park", "price", "bell", "cook", "ward", "case", "key", "day", "hope",
})
MIN_SURNAME = 4


def name_variants(names: Iterable[str]) -> dict[str, str]:
    """Each variant (lowercase) -> the full name it stands for, so one person keeps one number."""
    people = [n.split() for n in names if n and len(n.split()) >= 2]
    surname_counts = Counter(parts[-1].lower() for parts in people)
    variants: dict[str, str] = {}
    for parts in people:
        first, last, full = parts[0], parts[-1], " ".join(parts)
        forms = [full, f"{first} {last}", f"{first} {last[0]}.", f"{first}.{last}", f"{first}_{last}",
                 f"@{first}.{last}", f"@{first[0]}{last}", f"@{first}{last}"]
        if surname_counts[last.lower()] == 1 and len(last) >= MIN_SURNAME and last.lower() not in COMMON_WORDS:
            forms.append(last)
        for form in forms:
            variants.setdefault(form.lower(), full.lower())
    return variants


def person_detector(names: Iterable[str]) -> Detector | None:
    variants = sorted(name_variants(names), key=lambda v: (-len(v), v))
    if not variants:
        return None
    alternation = "|".join(_bounded(v) for v in variants)
    return Detector("person", "PERSON", f"(?i:{alternation})")


def _bounded(variant: str) -> str:
    """Whole words only: a word boundary on each side that starts or ends with a letter."""
    start = r"\b" if variant[0].isalnum() else ""
    end = r"\b" if variant[-1].isalnum() else ""
    return f"{start}{re.escape(variant)}{end}"
