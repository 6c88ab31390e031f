"""Redaction benchmark: Sluice's engine against Presidio (pattern recognizers only), same texts, same run.

    .venv/bin/uv sync --group bench   # Presidio, for this script only (`make bench` does it)
    .venv/bin/python bench/redaction.py [--texts 200000] [--per-locale 1000]

Two labelled corpora, timed and scored together: the synthetic one (clean texts, planted values of every
type, secrets included, and look-alikes that must not be touched: order ids, unix timestamps, UUIDs, git
hashes, versions, dates, amounts...) and the realistic one (values from Faker's twelve locales as each
writes them, people's names outside any directory, look-alikes). Prints texts/s of both engines and the
ratio, recall per type, names per script, and clean texts altered. Presidio's spaCy model cannot be
installed here, so it runs with its predefined pattern recognizers and a no-op NLP engine (no PERSON).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sluice.redaction.corpus import LOCALE_REGIONS, TYPES, make_corpus, make_locale_corpus, score  # noqa: E402
from sluice.redaction.engine import Redactor, redact_texts  # noqa: E402

PRESIDIO_TYPES = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "US_SSN": "SSN", "CREDIT_CARD": "CARD",
                  "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP"}


def presidio_engine():
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())  # the bundled suffix list: no download

    class PatternsOnly(NlpEngine):
        """No NLP model: Presidio's pattern recognizers alone (spaCy models are not installable here)."""

        def load(self): ...
        def is_loaded(self): return True
        def process_text(self, text, language):
            return NlpArtifacts(entities=[], tokens=[], tokens_indices=[], lemmas=[], nlp_engine=self, language=language)
        def process_batch(self, texts, language, batch_size=1, n_process=1, **kwargs):
            return ((t, self.process_text(t, language)) for t in texts)
        def is_stopword(self, word, language): return False
        def is_punct(self, word, language): return False
        def get_supported_entities(self): return []
        def get_supported_languages(self): return ["en"]

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    for recognizer in list(registry.recognizers):
        if recognizer.__class__.__name__ == "SpacyRecognizer":
            registry.remove_recognizer(recognizer.name)
    return AnalyzerEngine(registry=registry, nlp_engine=PatternsOnly(), supported_languages=["en"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--per-locale", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    synthetic, people = make_corpus(args.texts, seed=42)
    realistic = make_locale_corpus(args.per_locale, seed=42)
    samples = synthetic + realistic
    texts = [s.text for s in samples]
    print(f"corpus: {len(texts):,} texts ({len(synthetic):,} synthetic, {len(realistic):,} from {len(LOCALE_REGIONS)} Faker locales),"
          f" mean {sum(map(len, texts)) / len(texts):.0f} chars, {sum(1 for s in samples if s.planted):,} planted,"
          f" {sum(1 for s in samples if s.lookalike):,} look-alikes")

    redactor = Redactor.for_directory(people)
    redact_texts(texts[:1000], redactor)  # warm-up
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        _, found = redact_texts(texts, redactor, with_findings=True)
        times.append(time.perf_counter() - started)
    ours = len(texts) / statistics.median(times)
    mine = score(samples, [[(f["type"], f["start"], f["end"]) for f in fs] for fs in found])
    print(f"sluice:   {ours:>10,.0f} texts/s (median of {args.repeat}; runs {', '.join(f'{t:.2f}' for t in times)} s)")

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    analyzer = presidio_engine()
    analyzer.analyze(texts[0], language="en")  # warm-up
    started = time.perf_counter()
    results = [analyzer.analyze(t, language="en") for t in texts]
    presidio_s = time.perf_counter() - started
    theirs = len(texts) / presidio_s
    presidio = score(samples, [[(PRESIDIO_TYPES.get(r.entity_type, r.entity_type), r.start, r.end) for r in rs] for rs in results])
    print(f"presidio: {theirs:>10,.0f} texts/s ({presidio_s:.1f} s, analysis only, no anonymization)")
    print(f"ratio:    {ours / theirs:>10.1f}x")
    ours_recall, theirs_recall = mine.recall(), presidio.recall()
    print(f"{'type':<10} {'values':>7} {'sluice':>8} {'presidio':>9}")
    for kind in TYPES:
        presidio_cell = f"{theirs_recall[kind]:.4f}" if kind in PRESIDIO_TYPES.values() else "n/a"
        values = sum(n for (k, _), n in mine.planted.items() if k == kind)
        print(f"{kind:<10} {values:>7,} {ours_recall[kind]:>8.4f} {presidio_cell:>9}")
    names = mine.recall_by_source("PERSON")
    others = mine.recall(("PERSON",), exclude_sources=("", "ja_JP"))["PERSON"]
    print(f"PERSON: directory names {names['']:.4f}; names outside it, Latin-script locales {others:.4f},"
          f" ja_JP (kanji) {names['ja_JP']:.4f}")
    print(f"clean texts altered: sluice {mine.altered:,} / presidio {presidio.altered:,} of {mine.clean:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
