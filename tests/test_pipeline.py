"""The real thing, end to end: real Dagster instance, real dbt, real DuckDB files, no mocks."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from datetime import timedelta

import duckdb
import pytest
from conftest import DAY, NEXT_DAY, SMALL
from helpers import (
    REDACTED_CLASSES,
    counts_for,
    files_bytes,
    identifiers,
    published_columns,
    published_values,
    raw_lines,
    readable_files,
)

from assets.dbt_models import dbt_run_env
from cli.main import EXIT_BLOCKED, EXIT_ERROR, EXIT_PUBLISHED, main
from orchestration.dbt_project import DBT_PROJECT_DIR
from sluice.contract.validation import validate_day
from sluice.lifecycle import audit
from sluice.platform.home import SluiceHome
from sluice.policy.personnel import PERSONNEL_PATTERN
from sluice.privacy import transforms
from sluice.privacy.transforms import transform_day
from sluice.publish.commit import published_marker
from sluice.quality.expectations import load_suite
from sluice.redaction.detectors import DETECTORS
from sluice.redaction.engine import Redactor
from sluice.simulate import simulate

DBT_TARGET = DBT_PROJECT_DIR / "target"


@pytest.fixture
def home(sluice_home) -> SluiceHome:
    return SluiceHome(sluice_home)


def _run(day) -> int:
    return main(["run", "--date", day.isoformat()])


def test_clean_day_publishes_and_nothing_identifying_reaches_a_published_file(home, inbox, capsys):
    assert _run(DAY) == EXIT_PUBLISHED
    out = capsys.readouterr().out
    assert "PUBLISHED" in out

    marker = published_marker(home, DAY)
    assert marker and marker["tables"]["interaction_steps"]["rows"] > 1000
    for info in marker["tables"].values():
        for f in info["files"]:
            assert hashlib.sha256((home.training / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    with duckdb.connect(str(home.analytics_db), read_only=True) as con:
        groups = con.execute("SELECT count(*), min(employees) FROM daily_app_usage").fetchone()
    assert groups[0] > 0 and groups[1] >= 5

    counts = counts_for(home, DAY)
    assert counts["lines_read"] == raw_lines(inbox / "raw", DAY.isoformat())
    assert counts["lines_read"] == sum(counts[k] for k in ("valid", "quarantined", "duplicate", "unreadable", "other_day"))
    assert counts["valid"] == counts["promoted"] + sum(v for k, v in counts.items() if k.startswith("excluded:"))
    assert counts["excluded:consent"] > 0 and counts["excluded:password_field"] > 0
    assert counts["excluded:data_sensitivity"] > 0 and counts["excluded:private_conversation"] > 0

    values = "\n".join(published_values(home))
    leaked = [i for i in identifiers(inbox) if i in values]
    assert not leaked, f"{len(leaked)} direct identifiers in published tables"
    assert not {c for c in published_columns(home) if "dss" in c or c in ("employee_id", "device_id", "session_id")}
    planted = [json.loads(line) for line in (inbox / "labels.jsonl").read_text().splitlines()]
    planted_values = {str(p["value"]) for p in planted if p["class"] in REDACTED_CLASSES}
    assert len(planted_values) > 50
    assert not [v for v in planted_values if v in values], "planted PII or secrets in published tables"
    assert not duckdb.execute("SELECT regexp_matches(?, ?)", [values, PERSONNEL_PATTERN]).fetchone()[0]
    turns = marker["tables"]["assistant_turns"]["rows"]
    assert turns > 0 and "<EMAIL_1>" in values and "<PERSON_1>" in values
    published_bytes = b"".join(files_bytes(home.training).values()) + home.analytics_db.read_bytes()
    assert not [i for i in identifiers(inbox) if i.encode() in published_bytes]
    assert [r["action"] for r in audit.read(home.audit_log)] == ["erasure", "manifest_change", "publish"]  # withdrawn consent: erased
    assert audit.verify(home.audit_log) is None


def test_canary_scan_finds_nothing_outside_the_encrypted_zone_and_full_utility_inside(home, inbox):
    """Canaries: every identifier, every planted value, and a unique token in every class of
    content the policy keeps out (rule 9). Files under the home (but the encrypted private
    zone) and dbt's artifacts are read as bytes, gzip decompressed; DuckDB and Parquet files
    are also queried, since their pages may be compressed. Allowed canaries must arrive."""
    simulate(DAY, SMALL["employees"], inbox, seed=SMALL["seed"], events_per_employee=SMALL["events_per_employee"],
             canaries=True)
    assert _run(DAY) == EXIT_PUBLISHED
    files = {**files_bytes(home.root), **files_bytes(DBT_TARGET)}
    files.pop("warehouse/private.duckdb")
    files = {name: gzip.decompress(data) if name.endswith(".gz") else data for name, data in files.items()}
    assert any(name.startswith("dagster/") for name in files) and any("run_results.json" in n for n in files)
    assert len([f for f in home.dbt_target.iterdir() if f.is_dir()]) == 1  # the last dbt run's artifacts, not every run's
    labels = [json.loads(line) for line in (inbox / "labels.jsonl").read_text().splitlines()]
    kept_out = {label["class"] for label in labels if label["class"].startswith("canary_")} - {"canary_ok"}
    assert {"canary_consent", "canary_dss", "canary_dm", "canary_hrtalk"} <= kept_out
    canaries = identifiers(inbox) | {str(label["value"]) for label in labels
                                     if label["class"] in REDACTED_CLASSES or label["class"] in kept_out}
    hits = sorted({name for name, data in files.items() for c in canaries if c.encode() in data})
    assert hits == [], f"canaries found in {len(hits)} files"
    queried = "\n".join(published_values(home))
    assert not [c for c in canaries if c in queried]
    allowed = [label["value"] for label in labels if label["class"] == "canary_ok"]
    arrived = sum(1 for c in allowed if c in queried)
    assert arrived >= 0.9 * len(allowed), f"{arrived} of {len(allowed)} allowed canaries reached training"
    for fragment in ("How do I rewrite this query", "Summarise this thread", "<EMAIL_1>", "<CARD_1>", "<SECRET_1>",
                     "<PERSON_1>", "<PHONE_1>", "<IBAN_1>", "<SSN_1>", "<IP_1>"):
        assert fragment in queried, f"training text lost its content: {fragment}"


def test_midnight_crossing_events_are_published_with_the_next_day(home):
    assert _run(DAY) == EXIT_PUBLISHED
    crossing = counts_for(home, DAY)["other_day"]
    assert crossing > 0, "the simulated night owl should cross midnight"
    assert _run(NEXT_DAY) == EXIT_PUBLISHED
    next_day = counts_for(home, NEXT_DAY)
    assert next_day["lines_read"] == next_day["valid"] == crossing
    assert published_marker(home, NEXT_DAY)["tables"]["interaction_steps"]["rows"] > 0


@pytest.mark.parametrize("variable,code", [("SLUICE_RAW", "raw_root_missing"), ("SLUICE_DIRECTORY", "directory_missing")])
def test_missing_input_is_an_error_not_a_block(home, monkeypatch, capsys, variable, code):
    monkeypatch.setenv(variable, str(home.root / "no-such-input"))
    assert _run(DAY) == EXIT_ERROR
    assert f"ERROR SluiceError({code})" in capsys.readouterr().err
    assert published_marker(home, DAY) is None


def test_empty_day_publishes_empty_tables_with_a_freshness_warning(home, capsys):
    assert _run(NEXT_DAY + timedelta(days=5)) == EXIT_PUBLISHED
    assert "GATE FAILED" not in capsys.readouterr().err
    assert not [r for r in audit.read(home.audit_log) if r["action"] == "block"]
    marker = published_marker(home, NEXT_DAY + timedelta(days=5))
    assert marker["tables"]["interaction_steps"]["rows"] == 0 and marker["analytics_rows"]["daily_app_usage"] == 0


def test_undeclared_event_type_blocks_the_day_and_leaves_the_last_publication_intact(published, capsys):
    home, inbox = published.home, published.inbox
    before = readable_files(home)
    simulate(NEXT_DAY, 6, inbox, seed=11, events_per_employee=600, scope_creep=True)
    capsys.readouterr()

    assert _run(NEXT_DAY) == EXIT_BLOCKED
    captured = capsys.readouterr()
    assert "BLOCKED" in captured.out and "GATE FAILED private/validated_events:scope_creep" in captured.err
    assert f"Nothing was published: {NEXT_DAY.isoformat()} has no earlier publication." in captured.out
    assert published_marker(home, NEXT_DAY) is None
    assert not list(home.training.glob(f"*/date={NEXT_DAY.isoformat()}"))
    after = readable_files(home)
    assert after == before
    counts = counts_for(home, NEXT_DAY)
    assert counts["reason:scope:event_type"] > 0 and counts["reason:scope:field"] > 0 and counts["reason:scope:region"] > 0
    blocks = [r for r in audit.read(home.audit_log) if r["action"] == "block"]
    assert [b["gate"] for b in blocks] == ["scope_creep"] and blocks[0]["counts"]["scope_creep"] > 0


@pytest.mark.parametrize("regressed", [
    # The engine finds nothing but private keys: the second layer withholds the rows it left shaped like a value
    # (emails, numbers, keys, names in pairs), and so many that the rate blocks the day.
    lambda names: Redactor(detectors=DETECTORS[:1]),
    # The engine forgets the directory: the second layer withholds the rows with a given name and a surname in a
    # row, and the rate blocks the day.
    lambda names: Redactor(detectors=DETECTORS),
], ids=["engine", "names"])
def test_a_day_whose_redaction_regressed_is_blocked(published, monkeypatch, capsys, regressed):
    """Fault injection into the privacy stage: an independent layer must catch what it lets through."""
    home, inbox = published.home, published.inbox
    before = readable_files(home)
    monkeypatch.setattr(transforms, "Redactor", type("Regressed", (), {"for_directory": staticmethod(regressed)}))
    capsys.readouterr()
    assert _run(DAY) == EXIT_BLOCKED
    err = capsys.readouterr().err
    blocked_by = {"private/eligible_events:residual_risk"}
    assert {line.split()[2].rstrip(":") for line in err.splitlines() if line.startswith("GATE FAILED")} >= blocked_by
    assert counts_for(home, DAY)["excluded:residual_risk"] > 0
    assert readable_files(home) == before
    labels = [json.loads(line) for line in (inbox / "labels.jsonl").read_text().splitlines()]
    planted = {str(label["value"]) for label in labels if label["class"] in REDACTED_CLASSES}
    assert planted and not [v for v in planted if v in err]
    blocks = [r for r in audit.read(home.audit_log) if r["action"] == "block"]
    assert {b["check"] for b in blocks if "check" in b} >= blocked_by
    assert all(b["counts"]["hits"] > 0 for b in blocks if b["gate"] == "leak_scan")


def test_a_day_breaking_the_contract_too_often_is_blocked(published, capsys):
    """Above the manifest's contract failure rate (1%): an agent sends `x` as a string."""
    home, inbox = published.home, published.inbox
    before = readable_files(home)
    broken = 0
    for batch in sorted((inbox / "raw").rglob("*.jsonl.gz"))[:3]:
        with gzip.open(batch, "rt") as handle:
            events = [json.loads(line) for line in handle]
        for event in events:
            if event["event_type"] == "mouse_move":
                event["payload"]["x"] = str(event["payload"]["x"])
                broken += 1
        batch.write_bytes(gzip.compress("".join(json.dumps(e) + "\n" for e in events).encode()))
    capsys.readouterr()
    assert _run(DAY) == EXIT_BLOCKED
    assert "GATE FAILED private/validated_events:contract_failure_rate" in capsys.readouterr().err
    assert counts_for(home, DAY)["reason:contract:payload.x:int_type"] == broken
    assert readable_files(home) == before


def _stricter_suite(name, suites_dir):
    suite = load_suite(name, suites_dir)
    if name == "daily_app_usage":  # a band no day meets: a median of a thousand employees per group
        suite["expectations"].append({"type": "expect_column_values_to_be_between", "meta": {"severity": "block"},
                                      "kwargs": {"column": "employees_median", "min_value": 1000}})
    return suite


def _lossy_validation(con, day, manifest):
    counts = validate_day(con, day, manifest)
    return {**counts, "valid": counts["valid"] - 1}  # one line unaccounted for


def _plain_ids(key, kind, values):
    ids = sorted(set(values))
    return {"id": ids, "pseudonym": ids}  # a regression: ids published as they are


def _inflated_promotion(con, day, manifest, key):
    counts = transform_day(con, day, manifest, key)
    return {**counts, "promoted": counts["promoted"] + 1}  # one event promoted twice, say


@pytest.mark.parametrize("target,fault,gate", [
    ("assets.private.transform_day", _inflated_promotion, "private/eligible_events:promotion_conservation"),
    ("sluice.privacy.transforms.pseudonym_table", _plain_ids, "training/interaction_steps:assert_pseudonymous_keys"),
    ("sluice.quality.expectations.load_suite", _stricter_suite, "analytics/daily_app_usage:expectations"),
    ("assets.private.validate_day", _lossy_validation, "private/validated_events:line_conservation"),
])
def test_fault_injected_gates_block_and_leave_the_publication_intact(published, monkeypatch, capsys, target, fault, gate):
    home = published.home
    before = readable_files(home)
    monkeypatch.setattr(target, fault)
    capsys.readouterr()
    assert _run(DAY) == EXIT_BLOCKED
    err = capsys.readouterr().err
    assert f"GATE FAILED {gate}" in err
    if gate.endswith(":expectations"):  # the figure out of its band, by name; not the ones within theirs
        assert "blocked:employees_median=1" in err and "rows" not in err.split(gate, 1)[1].split("\n", 1)[0]
    assert readable_files(home) == before
    blocks = [r["gate"] for r in audit.read(home.audit_log) if r["action"] == "block"]
    assert gate.split(":")[1] in {b.removeprefix("dbt:") for b in blocks}


def test_k_anonymity_is_checked_apart_from_the_k_the_model_is_built_with(published, monkeypatch, capsys):
    """Fault: the model suppresses groups below k = 2 only, on a day with a team of three; dbt's test reads the
    manifest's k by another path and blocks the day."""
    home, inbox = published.home, published.inbox
    before = readable_files(home)
    rows = (inbox / "directory.csv").read_text().splitlines()
    granted = [i for i, row in enumerate(rows) if row.endswith(",granted")]
    for i in granted[:3]:
        cells = rows[i].split(",")
        cells[3] = "tiny-team"
        rows[i] = ",".join(cells)
    (inbox / "directory.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.setattr("assets.dbt_models.dbt_run_env", lambda day, k, target: dbt_run_env(day, 2, target))
    capsys.readouterr()
    assert _run(DAY) == EXIT_BLOCKED
    err = capsys.readouterr().err
    assert "GATE FAILED analytics/daily_app_usage:assert_k_anonymity" in err and "tiny-team" not in err
    assert readable_files(home) == before


def test_truncated_batch_is_counted_not_fatal(home, inbox):
    batch = sorted((inbox / "raw").rglob("*.jsonl.gz"))[3]
    data = batch.read_bytes()
    batch.write_bytes(data[: len(data) // 2])

    assert _run(DAY) == EXIT_PUBLISHED
    counts = counts_for(home, DAY)
    assert counts["batches_truncated"] == 1
    assert counts["reason:unreadable:truncated_line"] == 1
    assert counts["lines_read"] == sum(counts[k] for k in ("valid", "quarantined", "duplicate", "unreadable", "other_day"))


def test_resent_batch_and_bad_lines_are_counted(home, inbox):
    batch = sorted((inbox / "raw").rglob("*.jsonl.gz"))[0]
    shutil.copy(batch, batch.with_name("b-resent.jsonl.gz"))
    with gzip.open(batch) as handle:
        resent = sum(1 for _ in handle)
    with gzip.open(batch, "rt") as handle:
        misdated = json.loads(handle.readline())
    misdated.update(event_id="00000000-0000-4000-8000-000000000001", ts="2026-10-30T09:00:00.000Z")
    lines = [b"not json", json.dumps({"schema_version": "1", "event_id": "nope"}).encode(), json.dumps(misdated).encode()]
    (batch.parent / "b-bad.jsonl.gz").write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))

    assert _run(DAY) == EXIT_PUBLISHED
    counts = counts_for(home, DAY)
    assert counts["duplicate"] == resent
    assert counts["reason:unreadable:not_json"] == 1
    assert counts["reason:contract:event_id:string_pattern_mismatch"] == 1
    assert counts["reason:contract:ts_outside_batch_days"] == 1
    assert counts["lines_read"] == raw_lines(inbox / "raw", DAY.isoformat())
