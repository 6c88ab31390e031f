"""Lifecycle (policy rules 2 and 10): erasure and retention, through the real Dagster jobs."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import dagster as dg
import duckdb
from conftest import DAY, SMALL
from s3_buckets import kms_key, make_bucket

from cli.main import EXIT_BLOCKED, EXIT_PUBLISHED, main
from sluice.contract.validation import validate_day
from sluice.ingest.landing import land_day
from sluice.ingest.raw_store import LocalRaw
from sluice.lifecycle import audit
from sluice.lifecycle.erasure import reference
from sluice.lifecycle.retention import PRIVATE_TABLES
from sluice.platform.home import SluiceHome
from sluice.platform.s3 import S3Location
from sluice.platform.warehouse import private_zone
from sluice.policy.pseudonyms import pseudonym
from sluice.policy.scope import default_manifest
from sluice.privacy.transforms import load_directory, transform_day
from sluice.publish.commit import published_marker
from sluice.publish.export import read_manifest
from sluice.quality import profiles
from sluice.simulate import simulate

AGES = (40, 31, 30, 29, 1)
EXPORT = "s3://training-export/sluice"  # days before today; the manifest keeps 30


def _private_days(home: SluiceHome) -> dict[str, set]:
    with private_zone(home.private_db, os.environ["SLUICE_ENCRYPTION_KEY"], home.spill) as con:
        return {t: {r[0] for r in con.execute(f"SELECT DISTINCT partition_date FROM {t}").fetchall()} for t in PRIVATE_TABLES}


def test_retention_purges_exactly_the_days_past_their_age(sluice_home, tmp_path, monkeypatch):
    today = datetime.now(timezone.utc).date()
    days = [today - timedelta(days=age) for age in AGES]
    raw = tmp_path / "raw"
    for age, day in zip(AGES, days):
        simulate(day, 3, tmp_path / f"sim{age}", seed=age, events_per_employee=150)
        shutil.copytree(tmp_path / f"sim{age}" / "raw", raw, dirs_exist_ok=True)
    monkeypatch.setenv("SLUICE_RAW", str(raw))
    home = SluiceHome(sluice_home)
    with private_zone(home.private_db, os.environ["SLUICE_ENCRYPTION_KEY"], home.spill) as con:
        load_directory(con, tmp_path / f"sim{AGES[0]}" / "directory.csv")
        for day in days:
            land_day(con, LocalRaw(raw), day)
            validate_day(con, day, default_manifest())
            transform_day(con, day, default_manifest(), os.environ["SLUICE_PSEUDONYM_KEY"])
            profiles.record(con, "validated_events", f"(SELECT * FROM events WHERE partition_date = DATE '{day}')", day)
        rows_before = {t: con.execute(f"SELECT count(*) FROM {t} WHERE partition_date < ?", [today - timedelta(days=30)]).fetchone()[0]
                       for t in PRIVATE_TABLES}
    assert all(_private_days(home)[t] >= set(days) for t in ("landed_lines", "events", "line_outcomes"))
    old_batches = sum(len(list((raw / f"date={d.isoformat()}").rglob("*.jsonl.gz"))) for d in days[:2])
    for age, day in zip(AGES, days):  # a run's logs folder, last written that day
        (folder := home.run_logs(f"run-{age}")).mkdir(parents=True)
        (folder / "run.log").write_text("a run's log\n")
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc).timestamp()
        os.utime(folder, (noon, noon))

    from definitions import build_definitions

    defs = build_definitions()

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("retention").execute_in_process(instance=instance)
    assert result.success

    kept = set(days[2:])  # ages 30, 29 and 1
    assert set(LocalRaw(raw).days()) == kept
    for table, present in _private_days(home).items():
        assert present <= kept, table
    (purge,) = [r for r in audit.read(home.audit_log) if r["action"] == "purge"]
    assert purge["keep_from"] == (today - timedelta(days=30)).isoformat()
    assert purge["counts"]["raw_days_purged"] == 2 and purge["counts"]["raw_batches_purged"] == old_batches
    assert {t: purge["counts"][f"private_rows_purged:{t}"] for t in PRIVATE_TABLES} == rows_before
    assert purge["counts"]["run_logs_purged"] == 2 and {p.name for p in home.logs.iterdir()} == {f"run-{a}" for a in AGES[2:]}
    assert rows_before["landed_lines"] > 0 and rows_before["eligible_events"] > 0 and rows_before[profiles.TABLE] > 0
    assert audit.verify(home.audit_log) is None


def _bytes_everywhere(*roots: Path) -> bytes:
    """Every file under `roots`, gzip members decompressed."""
    blobs = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                blobs.append(gzip.decompress(data) if path.name.endswith(".gz") else data)
    return b"\n".join(blobs)


def _private_hits(home: SluiceHome, needles: list[str]) -> int:
    with private_zone(home.private_db, os.environ["SLUICE_ENCRYPTION_KEY"], home.spill) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'private'"
                             " AND table_name NOT IN ('directory')").fetchall()
        return sum(con.execute(f"SELECT count(*) FROM private.{schema}.{table} t WHERE contains(t::VARCHAR, ?)", [needle]).fetchone()[0]
                   for schema, table in tables for needle in needles)


def test_withdrawal_and_an_erasure_request_remove_two_people_from_every_zone(aws, sluice_home, inbox, tmp_path, monkeypatch, capsys):
    make_bucket("training-export", key_id=kms_key())
    monkeypatch.setenv("SLUICE_EXPORT", EXPORT)
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    for day in days[1:]:
        simulate(day, SMALL["employees"], inbox, seed=SMALL["seed"], events_per_employee=SMALL["events_per_employee"])
    for day in days:
        assert main(["run", "--date", day.isoformat()]) == EXIT_PUBLISHED
    home = SluiceHome(sluice_home)
    with (inbox / "directory.csv").open() as handle:
        staff = list(csv.DictReader(handle))
    published = _bytes_everywhere(home.training)
    key = os.environ["SLUICE_PSEUDONYM_KEY"]
    chosen = [e for e in staff if e["consent"] == "granted" and pseudonym(key, "employee", e["employee_id"]).encode() in published][:2]
    assert len(chosen) == 2
    withdrawn, requested = chosen
    rows = [{**e, "consent": "withdrawn"} if e is withdrawn else e for e in staff]
    with (inbox / "directory.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(staff[0]))
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "erasures.csv").write_text(f"employee_id,requested_at\n{requested['employee_id']},2026-11-20T09:00:00Z\n")
    monkeypatch.setenv("SLUICE_ERASURES", str(tmp_path / "erasures.csv"))
    devices = {p.parent.name for p in (inbox / "raw").rglob("*.jsonl.gz")
               if requested["employee_id"].encode() in gzip.decompress(p.read_bytes())}

    assert main(["run", "--date", days[-1].isoformat()]) == EXIT_PUBLISHED  # the next run

    people = [withdrawn, requested]
    ids = [e["employee_id"] for e in people]
    marks = [pseudonym(key, "employee", i) for i in ids] + ids + [e["email"] for e in people]
    # Their events are gone from raw (others' messages may still mention them there, until retention);
    # nothing of them, mentions included, is in training, analytics or the exports.
    assert not [m for m in marks[:4] if m.encode() in _bytes_everywhere(inbox / "raw")]
    assert not [m for m in marks if m.encode() in _bytes_everywhere(home.training)]
    assert not [m for m in marks if m.encode() in home.analytics_db.read_bytes()]
    assert not [d for d in devices if any((inbox / "raw").rglob(d))]  # their device folders are gone
    assert _private_hits(home, marks[:4]) == 0
    s3 = boto3.client("s3")
    for obj in s3.list_objects_v2(Bucket="training-export")["Contents"]:
        body = s3.get_object(Bucket="training-export", Key=obj["Key"])["Body"].read()
        assert not [m for m in marks if m.encode() in body], obj["Key"]
    for day in days:
        assert read_manifest(s3, S3Location.parse(EXPORT), day)["tables"] == published_marker(home, day)["tables"]

    erasures = [r for r in audit.read(home.audit_log) if r["action"] == "erasure"]
    completed = {c["subject"]: c for r in erasures for c in r["completed"]}
    assert completed[reference(pseudonym(key, "employee", ids[0]))]["source"] == "consent_withdrawn"
    request = completed[reference(pseudonym(key, "employee", ids[1]))]
    assert request["source"] == "erasure_request" and request["requested_at"] == "2026-11-20T09:00:00Z"
    assert request["completed_at"] >= "2026-11-20"
    last = erasures[-1]["counts"]
    assert last["training_days_rewritten"] == 3 and last["days_to_rebuild"] == 2 and last["raw_lines_erased"] > 0
    rebuilds = dg.DagsterInstance.get().get_runs(filters=dg.RunsFilter(tags={"sluice/rebuild_after": erasures[-1]["run_id"]}))
    assert sorted((r.tags["dagster/partition"], r.status.value) for r in rebuilds) == [
        (d.isoformat(), "SUCCESS") for d in days[:2]]  # the other days, rebuilt by runs of their own
    assert audit.verify(home.audit_log) is None
    assert not [m for m in marks if m in home.audit_log.read_text() or m in capsys.readouterr().out]

    assert main(["report", "--employee", ids[1], "--json"]) == EXIT_PUBLISHED  # what they are told
    told = json.loads(capsys.readouterr().out)
    assert told["collected"] == {} and told["training"] == {} and told["analytics_events_counted"] == {}
    assert told["erasure"]["source"] == "erasure_request" and told["erasure"]["completed_at"] == request["completed_at"]


def _publish_then_request_erasure(sluice_home, inbox, tmp_path, monkeypatch) -> tuple[SluiceHome, str, dict]:
    """Publish DAY, then file an erasure request for a consenting employee whose rows are in training."""
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    home, key = SluiceHome(sluice_home), os.environ["SLUICE_PSEUDONYM_KEY"]
    with (inbox / "directory.csv").open() as handle:
        staff = [e for e in csv.DictReader(handle) if e["consent"] == "granted"]
    subject = next(e for e in staff if pseudonym(key, "employee", e["employee_id"]).encode() in _bytes_everywhere(home.training))
    (tmp_path / "erasures.csv").write_text(f"employee_id,requested_at\n{subject['employee_id']},2026-11-20T09:00:00Z\n")
    monkeypatch.setenv("SLUICE_ERASURES", str(tmp_path / "erasures.csv"))
    return home, key, subject


def test_an_incomplete_erasure_blocks_the_day_and_completes_nothing(sluice_home, inbox, tmp_path, monkeypatch, capsys):
    home, key, subject = _publish_then_request_erasure(sluice_home, inbox, tmp_path, monkeypatch)
    monkeypatch.setattr("assets.lifecycle.erase_training", lambda con, layout, run_id: ([], 0))  # a regression
    capsys.readouterr()

    assert main(["run", "--date", DAY.isoformat()]) == EXIT_BLOCKED
    err = capsys.readouterr().err
    assert "GATE FAILED lifecycle/erasure:erasure_verified" in err and "left:training:interaction_steps=" in err
    records = audit.read(home.audit_log)
    assert records[-1]["action"] == "block" and records[-1]["gate"] == "erasure_verified"
    assert not [c for r in records if r["action"] == "erasure" for c in r["completed"] if c["source"] == "erasure_request"]
    assert subject["employee_id"] not in err


def test_a_late_batch_re_runs_its_published_day(sluice_home, inbox, monkeypatch):
    from orchestration.resources import resources
    from orchestration.sensors import late_batch_sensor

    monkeypatch.setattr("orchestration.sensors.cutoff", lambda today, days: DAY)  # the fixed DAY is within retention

    def tick():
        with dg.DagsterInstance.ephemeral() as instance:
            with dg.build_sensor_context(instance=instance, resources=resources()) as context:
                return late_batch_sensor(context)

    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    home = SluiceHome(sluice_home)
    assert isinstance(tick(), dg.SkipReason)  # the run's own erasure of withdrawn people changed nothing to re-run
    before = published_marker(home, DAY)["tables"]["interaction_steps"]["rows"]
    with (inbox / "directory.csv").open() as handle:
        granted = {e["employee_id"] for e in csv.DictReader(handle) if e["consent"] == "granted"}
    source = next(p for p in sorted((inbox / "raw" / f"date={DAY.isoformat()}").rglob("*.jsonl.gz"))
                  if json.loads(gzip.decompress(p.read_bytes()).splitlines()[0])["employee_id"] in granted)
    late = [json.loads(line) for line in gzip.decompress(source.read_bytes()).splitlines()]
    for event in late:  # the same actions, sent again as new events after the day was published
        event["event_id"] = str(uuid.uuid4())
    (source.parent / "b-late.jsonl.gz").write_bytes(gzip.compress("\n".join(json.dumps(e) for e in late).encode() + b"\n"))

    requests = tick().run_requests
    assert [r.partition_key for r in requests] == [DAY.isoformat()] and requests[0].run_key.startswith("late:")
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    assert published_marker(home, DAY)["tables"]["interaction_steps"]["rows"] > before
    assert isinstance(tick(), dg.SkipReason)


def test_re_publishing_one_table_of_a_day_leaves_no_stale_version_behind(tmp_path):
    """The subject is in one training table of the day and not in the other."""
    from sluice.publish.commit import _move_in, _stage_dir, _stage_training, _write_marker, rewrite_training
    from sluice.quality.candidates import TRAINING_TABLES

    home, con = SluiceHome(tmp_path).ensure(), duckdb.connect()
    sources = {"interaction_steps": "(SELECT 'subject' AS actor UNION ALL SELECT 'other')", "assistant_turns": "(SELECT 'other' AS actor)"}
    stage = _stage_dir(home, "run1")
    tables = {t: _stage_training(con, home, stage, DAY, "run1", t, sources[t]) for t in TRAINING_TABLES}
    _move_in(home, stage, DAY, "run1", TRAINING_TABLES)
    _write_marker(home, DAY, {"date": DAY.isoformat(), "tables": tables})

    assert rewrite_training(con, home, DAY, "run2", "actor <> 'subject'", "erasure") == {"interaction_steps": 1}
    on_disk = sorted(str(p) for p in home.training.rglob("*.parquet"))
    assert con.execute("SELECT count(*) FROM read_parquet(?) WHERE actor = 'subject'", [on_disk]).fetchone()[0] == 0
    assert {p.parent.name for p in home.training.rglob("*.parquet")} == {"v=run1", "v=run2"} and len(on_disk) == 2
    marker = published_marker(home, DAY)
    assert {t: f["path"].split("/")[2] for t in TRAINING_TABLES for f in marker["tables"][t]["files"]} == \
        {"interaction_steps": "v=run2", "assistant_turns": "v=run1"}
    assert not (home.staging / "run2").exists()


def test_erasure_finds_a_person_behind_a_key_given_twice():
    from sluice.lifecycle.erasure import filter_batch

    lines = [b'{"employee_id": "e-erased", "employee_id": "e-other", "x": 1}', b'{"employee_id": "e-other"}', b'[1, 2]', b'not json']
    kept, removed = filter_batch(gzip.compress(b"\n".join(lines) + b"\n"), {"e-erased"})
    assert removed == 1
    assert gzip.decompress(kept).splitlines() == lines[1:]


def test_the_erasure_job_erases_without_the_daily_run(sluice_home, inbox, tmp_path, monkeypatch):
    home, key, subject = _publish_then_request_erasure(sluice_home, inbox, tmp_path, monkeypatch)
    from definitions import build_definitions

    defs = build_definitions()

    result = defs.resolve_job_def("erase_now").execute_in_process(instance=dg.DagsterInstance.get(), partition_key=DAY.isoformat())
    assert result.success
    assert [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [("erasure_verified", True)]
    assert pseudonym(key, "employee", subject["employee_id"]).encode() not in _bytes_everywhere(home.training)
    assert [s.step_key for s in result.get_step_success_events()] == ["lifecycle__erasure"]  # nothing else ran
    completed = [c for r in audit.read(home.audit_log) if r["action"] == "erasure" for c in r["completed"]]
    assert [c["source"] for c in completed] == ["consent_withdrawn", "erasure_request"]

    from orchestration.sensors import erasure_rebuild_sensor

    with dg.build_sensor_context(instance=dg.DagsterInstance.get()) as context:
        requests = erasure_rebuild_sensor(context)  # the day it was in, its own partition included: this run published none
    assert [(r.partition_key, r.run_key) for r in requests] == [(DAY.isoformat(), f"erasure:{result.run_id}:{DAY.isoformat()}")]
