"""Secrets by detect-secrets' rule set (sluice/redaction/secret_rules.py), inside the engine's numbering."""

from __future__ import annotations

import duckdb
import pytest

from sluice.redaction.corpus import make_corpus
from sluice.redaction.engine import Redactor, redact_texts
from sluice.redaction.secret_rules import SecretRules, plugins

PROVIDERS = {  # what only the rule set knows, each as a provider writes it
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "sendgrid": "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",
    "twilio": "SK" + "0123456789abcdef" * 2,
    "mailchimp": "0123456789abcdef0123456789abcdef-us12",
    "square": "sq0csp-" + "A1b2C3d4E5" * 4 + "xyz",
    "telegram": "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX",
    "artifactory": "AKCp5budRiXBB1PSGDwBdbnNqN7CEfhx6Vc6JNeyvJNmuRd9eA2SUiPLSrs",
    "quoted_entropy": '"q8Zx3LmN0pVt7RwYb2KcJ5hFgD9sA1eU4iOyTnWm"',
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_provider_key_only_the_rule_set_knows_is_redacted(provider):
    value = PROVIDERS[provider].strip('"')
    (out,), (found,) = redact_texts([f"use {PROVIDERS[provider]} for {provider}"], Redactor.for_directory([]), with_findings=True)
    assert value not in out and "<SECRET_1>" in out and {f["type"] for f in found} == {"SECRET"}


def test_keyword_assignments_in_code_and_config():
    texts = ["db_password = 'S3cr3t!x'", 'secret: "n0t-a-placeholder"', 'if password == "letmein42":']
    out, _ = redact_texts(texts, Redactor.for_directory([]), scopes=["a", "b", "c"])
    assert all("<SECRET_1>" in o for o in out) and not any(v in "".join(out) for v in ("S3cr3t!x", "n0t-a-placeholder", "letmein42"))


def test_rule_set_secrets_continue_the_scope_numbering():
    stripe = PROVIDERS["stripe"]
    out, _ = redact_texts([f"token=abc123def456 then {stripe}", f"again {stripe} and token=abc123def456"],
                          Redactor.for_directory([]), scopes=["c1", "c1"])
    assert out == ["token=<SECRET_1> then <SECRET_2>", "again <SECRET_2> and token=<SECRET_1>"]


def test_the_prefilter_lets_through_every_row_a_plugin_fires_on():
    """The RE2 prefilter is a superset: no row the plugins would report on is skipped (checked in DuckDB, where
    the engine applies it, over a corpus of texts and the providers' keys)."""
    samples, _ = make_corpus(3000, seed=3)
    texts = [s.text for s in samples] + [f"{k} {v} y" for k, v in PROVIDERS.items()]
    texts += [f"{key}{op}{quote}{value}{quote}" for key in ("db_password", "api_key", "client_secret", "authToken")
              for op in (" = ", ": ", ":=", " == ") for quote in ('"', "'") for value in ("S3cr3t!x", "hunter2hunter2")]
    fired = [t for t in texts if any(p.analyze_line(filename="text", line=t, line_number=1)
                                     for group in plugins().values() for p in group)]
    assert len(fired) > 40
    passed = duckdb.execute("SELECT list_filter(?::VARCHAR[], t -> regexp_matches(t, ?))", [fired, SecretRules().candidate_sql]).fetchone()[0]
    assert len(passed) == len(fired)
