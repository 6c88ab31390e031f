"""Redaction benchmark: Sluice's engine against Presidio (pattern recognizers only), same corpus, same run.

    make bench-redaction        # or: .venv/bin/python bench/redaction.py [--texts 200000]

Generates a labelled corpus (clean texts, planted values of every type, look-alikes that
must not be touched: order ids, unix timestamps, UUIDs, git hashes, versions...), times
both engines from a list of strings to their findings, and prints texts/s, the ratio,
recall per type and clean texts altered. Presidio's spaCy model cannot be installed here,
so it runs with its predefined pattern recognizers and a no-op NLP engine (no PERSON).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sluice.redaction.corpus import TYPES, make_corpus  # noqa: E402
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


def score(samples, findings_per_text) -> tuple[dict[str, float], int]:
    """Recall per type (a planted value is caught when a finding of its type covers it) and clean texts altered."""
    planted, caught, altered = Counter(), Counter(), 0
    for sample, findings in zip(samples, findings_per_text):
        if not sample.planted and findings:
            altered += 1
        for kind, value in sample.planted:
            planted[kind] += 1
            start = sample.text.find(value)
            if any(t == kind and s <= start and start + len(value) <= e for t, s, e in findings):
                caught[kind] += 1
    return {kind: caught[kind] / planted[kind] for kind in TYPES if planted[kind]}, altered


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    samples, people = make_corpus(args.texts, seed=42)
    texts = [s.text for s in samples]
    print(f"corpus: {len(texts):,} texts, mean {sum(map(len, texts)) / len(texts):.0f} chars, "
          f"{sum(1 for s in samples if s.planted):,} planted, {sum(1 for s in samples if s.lookalike):,} look-alikes")

    redactor = Redactor.for_directory(people)
    redact_texts(texts[:1000], redactor)  # warm-up
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        _, found = redact_texts(texts, redactor, with_findings=True)
        times.append(time.perf_counter() - started)
    ours = len(texts) / statistics.median(times)
    ours_recall, ours_altered = score(samples, [[(f["type"], f["start"], f["end"]) for f in fs] for fs in found])
    print(f"sluice:   {ours:>10,.0f} texts/s (median of {args.repeat}; runs {', '.join(f'{t:.2f}' for t in times)} s)")

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    analyzer = presidio_engine()
    analyzer.analyze(texts[0], language="en")  # warm-up
    started = time.perf_counter()
    results = [analyzer.analyze(t, language="en") for t in texts]
    presidio_s = time.perf_counter() - started
    theirs = len(texts) / presidio_s
    theirs_recall, theirs_altered = score(
        samples, [[(PRESIDIO_TYPES.get(r.entity_type, r.entity_type), r.start, r.end) for r in rs] for rs in results])
    print(f"presidio: {theirs:>10,.0f} texts/s ({presidio_s:.1f} s, analysis only, no anonymization)")
    print(f"ratio:    {ours / theirs:>10.1f}x")
    print(f"{'type':<10} {'sluice':>8} {'presidio':>9}")
    for kind in TYPES:
        presidio_cell = f"{theirs_recall[kind]:.4f}" if kind in PRESIDIO_TYPES.values() else "n/a"
        print(f"{kind:<10} {ours_recall[kind]:>8.4f} {presidio_cell:>9}")
    clean = sum(1 for s in samples if not s.planted)
    print(f"clean texts altered: sluice {ours_altered:,} / presidio {theirs_altered:,} of {clean:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
