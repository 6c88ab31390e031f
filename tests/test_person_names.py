"""People outside the directory (sluice/redaction/person_names.py): found by name statistics and cues, measured
on names from another source (Faker's locales) than the one the finder reads (the US Census)."""

from __future__ import annotations

import pytest

from sluice.redaction.corpus import CLEAN_TITLES, PROSE, make_name_corpus, score
from sluice.redaction.engine import Redactor, redact_texts
from sluice.redaction.person_names import LexiconNames, name_finder

MIN_RECALL = {"en_US": 0.98, "en_GB": 0.98}  # the finder's own population
MIN_RECALL_ELSEWHERE = 0.8  # names of other countries: rarer words, fewer in the Census
MIN_RECALL_OVERALL = 0.9


@pytest.fixture(scope="module")
def labelled():
    samples = make_name_corpus(200, seed=11)
    _, found = redact_texts([s.text for s in samples], Redactor.for_directory([]), with_findings=True)
    return samples, found


def test_recall_on_names_from_another_source_per_locale(labelled):
    samples, found = labelled
    recall = score(samples, [[(f["type"], f["start"], f["end"]) for f in fs] for fs in found]).recall_by_source("PERSON")
    assert len(recall) == 10
    assert sum(recall.values()) / len(recall) >= MIN_RECALL_OVERALL
    low = {locale: share for locale, share in recall.items() if share < MIN_RECALL.get(locale, MIN_RECALL_ELSEWHERE)}
    assert low == {}


def test_no_clean_title_or_prose_is_altered(labelled):
    samples, found = labelled
    altered = [s.text for s, f in zip(samples, found) if not s.planted and f]
    assert len([s for s in samples if not s.planted]) == len(CLEAN_TITLES) + len(PROSE)
    assert altered == []


@pytest.mark.parametrize("text, expected", [
    ("Dear Priya, the results are in", "Dear <PERSON_1>, the results are in"),
    ("my daughter Chloe has a fever", "my daughter <PERSON_1> has a fever"),
    ("Patient Okonkwo-Balewa was discharged", "Patient <PERSON_1> was discharged"),
    ("Dr. Siobhan O'Neill will see Mr Nguyen", "Dr. <PERSON_1> will see Mr <PERSON_2>"),
    ("Maria J. Okafor signed, Maria J. Okafor paid", "<PERSON_1> signed, <PERSON_1> paid"),
    ("meet Jan van der Berg and Sarah's brother", "meet <PERSON_1> and <PERSON_2>'s brother"),
    ("Katja said the fix works", "<PERSON_1> said the fix works"),
    ("Grace Hopper wrote it", "<PERSON_1> wrote it"),
])
def test_people_outside_the_directory_become_placeholders(text, expected):
    assert redact_texts([text], Redactor.for_directory([]))[0] == [expected]


@pytest.mark.parametrize("text", [
    "Rose Gold Theme", "Grace Period Policy", "Hello Team", "Hi All, the deploy is done", "Dear Customer",
    "sync with Will tomorrow", "DuckDB's CSV reader", "Dagster's UI", "Mark As Read", "Long Running Queries",
    "Microsoft Teams - Sales Report", "Apache Kafka Streams", "Will update the doc",
])
def test_capitalised_words_that_are_not_names_stay(text):
    assert redact_texts([text], Redactor.for_directory([]))[0] == [text]


def test_a_word_is_name_like_by_its_share_of_people_against_its_share_of_text():
    finder = LexiconNames()
    assert finder.name_like("John") and finder.name_like("Smith") and finder.name_like("Mary")
    assert not finder.name_like("Will") and not finder.name_like("Long") and not finder.name_like("Rose")


def test_another_finder_plugs_in():
    """An NER backend, where a model is available, has the same two members; here, one that knows one name."""
    class OneName:
        candidate_sql = "Zorblax"

        def find(self, text):
            start = text.find("Zorblax")
            return [(start, start + 7, "zorblax")] if start >= 0 else []

    out, _ = redact_texts(["ask Zorblax and Priya Patel"], Redactor.for_directory([], finder=OneName()))
    assert out == ["ask <PERSON_1> and Priya Patel"]
    with pytest.raises(ValueError, match="unknown name finder"):
        name_finder("spacy")
