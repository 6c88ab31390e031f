"""The red team's variants (tests/adversarial.py) never reach a file outside the encrypted zone.

Each variant is redacted to a placeholder of its kind, with no form of its value left (as written, or folded:
digits, ASCII letters). Planted as assistant prompts of a consenting employee in a real day, all are published
redacted, none is withheld (the second layer finds nothing left of them), and no form of any of them is in a
published file. (The second layer alone, engine off, flags them too: tests/test_residual_risk.py.)
"""

from __future__ import annotations

import csv
import gzip
import json
import uuid
from collections import Counter

import duckdb
import pytest
from adversarial import ALIASES, CATEGORIES, CORPUS, DIRECTORY, Aliased, Variant
from conftest import DAY
from helpers import counts_for, files_bytes, published_values

from cli.main import EXIT_PUBLISHED, main
from sluice.lifecycle import audit
from sluice.publish.commit import published_marker
from sluice.redaction.engine import Redactor, redact_texts
from sluice.redaction.normalize import fold_text


def survivors(variant: Variant, text: str) -> list[str]:
    """Forms of the variant's value still in `text` (searched in the text and in its folded, lowercase view)."""
    view = fold_text(text).lower()
    return [form for form in variant.forms if form in text or fold_text(form).lower() in view]


def test_the_corpus_covers_each_category_three_times_over():
    assert len(CATEGORIES) >= 8
    for category in CATEGORIES:
        assert len([v for v in CORPUS if v.category == category]) >= 3, category


@pytest.mark.parametrize("variant", [v for v in CORPUS if v.field == "text"], ids=lambda v: f"{v.category}:{v.kind}:{CORPUS.index(v)}")
def test_each_variant_becomes_a_placeholder_of_its_kind(variant):
    (out,), (found,) = redact_texts([variant.text], Redactor.for_directory(DIRECTORY), with_findings=True)
    assert not survivors(variant, out), f"{variant.category} {variant.kind}: a form of the value survived"
    assert f"<{variant.kind}_1>" in out and [f["type"] for f in found] == [variant.kind]
    prefix = variant.text[:variant.text.index(variant.value)]
    assert out.startswith(prefix) and out[len(prefix):].startswith(f"<{variant.kind}_1>")  # the rest keeps its shape


@pytest.mark.parametrize("variant", [v for v in CORPUS if v.field == "app"], ids=lambda v: v.bare)
def test_an_app_that_carries_a_name_an_id_or_a_number_is_not_published_as_sent(variant):
    from sluice.policy.identifiers import published_values_sql

    con = duckdb.connect()
    con.execute("CREATE TABLE directory AS SELECT * FROM (VALUES ('E99900002', 'Zoë Ångström'), ('E1', 'José García'),"
                " ('E2', 'Renée Dubois')) t(employee_id, name)")
    con.execute("CREATE TABLE events AS SELECT ?::VARCHAR AS app", [variant.text])
    assert con.execute(published_values_sql("app", "events")).fetchall() == [(variant.text, "<APP_OTHER>")]


def test_the_aliases_cover_each_category_three_times_over():
    for category in {a.category for a in ALIASES}:
        assert len([a for a in ALIASES if a.category == category]) >= 3, category


def _plant(inbox, variants: list[Variant], aliases: list[Aliased] = ()) -> int:
    """The variants as assistant prompts of a consenting employee, in a batch of their own, on a session of
    their own (no window context: nothing excludes them); DIRECTORY joins the directory (never consented).
    The aliases as window focuses of the same employee on another session, each titled with its canary."""
    with (inbox / "directory.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    author = next(r for r in rows if r["consent"] == "granted")
    device = next((inbox / "raw" / f"date={DAY.isoformat()}").glob("device=*")).name.removeprefix("device=")
    with (inbox / "directory.csv").open("a", newline="") as handle:
        writer = csv.writer(handle)
        for n, name in enumerate(DIRECTORY):
            writer.writerow([f"E99900{n:02d}", name, f"person{n}@example.com", "sales", "US", "never"])
    events = [{"schema_version": "1", "event_id": str(uuid.UUID(int=0xADE0000 + i, version=4)),
               "ts": f"{DAY.isoformat()}T12:00:{i // 1000:02d}.{i % 1000:03d}Z", "employee_id": author["employee_id"],
               "device_id": device, "session_id": "red-team-session", "region": "US", "event_type": "assistant_prompt",
               "app": v.text if v.field == "app" else "assistant",
               "payload": {"conversation_id": f"red-team-{i}", "text": v.text if v.field == "text" else "hello"}}
              for i, v in enumerate(variants)]
    events += [{"schema_version": "1", "event_id": str(uuid.UUID(int=0xA11A5000 + i, version=4)),
                "ts": f"{DAY.isoformat()}T13:00:{i:02d}.000Z", "employee_id": author["employee_id"], "device_id": device,
                "session_id": "red-team-aliases", "region": "US", "event_type": "window_focus", "app": a.app,
                "window_title": f"{a.title} {a.canary(i)}", **({"url": a.url} if a.url else {}), "payload": {}}
               for i, a in enumerate(aliases)]
    batch = inbox / "raw" / f"date={DAY.isoformat()}" / f"device={device}" / "red-team.jsonl.gz"
    batch.write_bytes(gzip.compress("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode()))
    return len(variants)


def test_no_variant_reaches_a_published_file(published):
    """Every variant is published redacted (none withheld), and none is in any published file; every alias is
    excluded by its rule, and no canary of theirs is published."""
    home = published.home
    rows_before = published_marker(home, DAY)["tables"]["assistant_turns"]["rows"]
    before = counts_for(home, DAY)
    withheld_before = before["excluded:residual_risk"]
    planted = _plant(published.inbox, CORPUS, ALIASES)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    after = counts_for(home, DAY)
    rules = Counter(a.rule for a in ALIASES)
    assert {rule: after[f"excluded:{rule}"] - before[f"excluded:{rule}"] for rule in rules} == dict(rules)
    rows = published_marker(home, DAY)["tables"]["assistant_turns"]["rows"] - rows_before
    withheld = counts_for(home, DAY)["excluded:residual_risk"] - withheld_before
    assert rows == planted and withheld == 0
    values = "\n".join(published_values(home))
    assert all(f"<{v.kind}_1>" in values for v in CORPUS if v.field == "text")  # redacted, not dropped
    assert "<APP_OTHER>" in values
    leaked = sorted({v.category for v in CORPUS if survivors(v, values)})
    assert leaked == [], f"values of {len(leaked)} categories published"
    published_bytes = b"".join(files_bytes(home.training).values()) + home.analytics_db.read_bytes()
    assert not [v for v in CORPUS if v.value.encode() in published_bytes]
    canaries = [a.category for i, a in enumerate(ALIASES) if a.canary(i) in values or a.canary(i).encode() in published_bytes]
    assert canaries == [], f"aliases of {len(set(canaries))} categories published"
    publication = [r for r in audit.read(home.audit_log) if r["action"] == "publish"][-1]
    assert publication["excluded"].get("residual_risk", 0) == withheld_before  # nothing more withheld
