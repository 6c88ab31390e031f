"""Names of people outside the directory: recall per Faker locale and clean titles altered.

    .venv/bin/python bench/person_names.py [--per-locale 500]

The finder reads the US Census name lists; the names here come from Faker's locale lists (another source),
written in the contexts of `sluice.redaction.corpus.NAME_CONTEXTS`, beside title-case text without a name.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sluice.redaction.corpus import make_name_corpus, score  # noqa: E402
from sluice.redaction.engine import Redactor, redact_texts  # noqa: E402


def measure(per_locale: int, seed: int = 0) -> tuple[dict[str, float], int, int, float]:
    """(recall per locale, clean texts altered, clean texts, seconds) with an empty directory."""
    samples = make_name_corpus(per_locale, seed)
    started = time.perf_counter()
    _, found = redact_texts([s.text for s in samples], Redactor.for_directory([]), with_findings=True)
    seconds = time.perf_counter() - started
    result = score(samples, [[(f["type"], f["start"], f["end"]) for f in fs] for fs in found])
    return result.recall_by_source("PERSON"), result.altered, result.clean, seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-locale", type=int, default=500)
    args = parser.parse_args()
    recall, altered, clean, seconds = measure(args.per_locale)
    for locale, share in recall.items():
        print(f"{locale:<6} recall {share:.3f}")
    print(f"all    recall {sum(recall.values()) / len(recall):.3f} ({args.per_locale} names per locale, {seconds:.2f} s)")
    print(f"clean texts altered: {altered} of {clean}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
