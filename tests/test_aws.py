"""The production path against a real S3 API (moto's server): S3 landing and sensor, enforced
bucket security, keys from Secrets Manager, and the training export with its manifest."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zlib

import boto3
import dagster as dg
import duckdb
import pytest
from conftest import DAY
from helpers import counts_for, raw_lines, withdrawn
from s3_buckets import kms_key, make_bucket, upload_tree

from cli.main import EXIT_BLOCKED, EXIT_PUBLISHED, main
from orchestration.dbt_project import DBT_PROJECT_DIR
from orchestration.resources import resources
from orchestration.sensors import s3_capture_sensor
from sluice.lifecycle import audit
from sluice.platform.bucket_security import bucket_findings
from sluice.platform.home import SluiceHome
from sluice.platform.s3 import S3Location, attach_s3
from sluice.platform.warehouse import private_zone
from sluice.publish.export import read_manifest

RAW, EXPORT = "s3://capture-raw/agents", "s3://training-export/sluice"


@pytest.fixture
def s3_day(aws, sluice_home, inbox, monkeypatch) -> dict:
    """The simulated day in an encrypted, private raw bucket; an encrypted, private export bucket."""
    key = kms_key()
    make_bucket("capture-raw", key_id=key)
    make_bucket("training-export", key_id=key)
    upload_tree(inbox / "raw", "capture-raw", "agents")
    monkeypatch.setenv("SLUICE_RAW", RAW)
    monkeypatch.setenv("SLUICE_EXPORT", EXPORT)
    return {"kms_key": key, "home": SluiceHome(sluice_home)}


def _run() -> int:
    return main(["run", "--date", DAY.isoformat()])


def _table_digests(manifest: dict) -> dict[str, str]:
    """Per training table of an S3 manifest: a digest of its rows, read through DuckDB's httpfs."""
    con = duckdb.connect(config={"autoinstall_known_extensions": "false"})
    from sluice.platform.warehouse import httpfs_extension_path

    con.execute(f"LOAD '{httpfs_extension_path()}'")
    attach_s3(con)
    root = manifest["files_root"]
    digests = {}
    for table, info in manifest["tables"].items():
        uris = [f"{root}/{f['path']}" for f in info["files"]]
        digests[table] = con.execute(
            "SELECT count(*) || ':' || coalesce(md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)), '') FROM read_parquet(?, hive_partitioning = false) t",
            [uris]).fetchone()[0]
    return digests


def _inflated(body: bytes) -> bytes:
    try:
        return gzip.decompress(body)
    except EOFError:  # the cut copy
        return zlib.decompressobj(31).decompress(body)


def test_a_day_lands_from_s3_and_publishes_to_s3_with_a_manifest(s3_day, inbox):
    gone = withdrawn(inbox)  # the run erases them, from S3 too
    batch = next(p for p in sorted((inbox / "raw").rglob("*.jsonl.gz"))  # and a copy the agent's crash cut in half
                 if json.loads(gzip.decompress(p.read_bytes()).splitlines()[0])["employee_id"] not in gone)
    cut = f"agents/{batch.relative_to(inbox / 'raw').as_posix()}".replace(".jsonl.gz", "-cut.jsonl.gz")
    boto3.client("s3").put_object(Bucket="capture-raw", Key=cut, Body=batch.read_bytes()[: batch.stat().st_size // 2])

    assert _run() == EXIT_PUBLISHED
    counts = counts_for(s3_day["home"], DAY)
    assert counts["batches_truncated"] == 1 and counts["reason:unreadable:truncated_line"] == 1
    assert counts["lines_read"] - counts["duplicate"] - 1 == raw_lines(inbox / "raw", DAY.isoformat(), gone) > 0
    s3 = boto3.client("s3")  # what is left in the bucket: no line of theirs
    for obj in s3.list_objects_v2(Bucket="capture-raw")["Contents"]:
        lines = _inflated(s3.get_object(Bucket="capture-raw", Key=obj["Key"])["Body"].read()).splitlines()
        assert not [line for line in lines if line.startswith(b"{") and line.endswith(b"}") and json.loads(line)["employee_id"] in gone]
    assert counts["duplicate"] > 0 and counts["promoted"] > 0

    manifest = read_manifest(s3, S3Location.parse(EXPORT), DAY)
    assert manifest is not None and manifest["date"] == DAY.isoformat()
    local_marker = json.loads((s3_day["home"].markers / f"{DAY.isoformat()}.json").read_text())
    assert manifest["tables"] == local_marker["tables"]
    for info in manifest["tables"].values():
        for file in info["files"]:
            key = f"sluice/training/{file['path']}"
            head = s3.head_object(Bucket="training-export", Key=key)
            assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == s3_day["kms_key"]
            body = s3.get_object(Bucket="training-export", Key=key)["Body"].read()
            assert hashlib.sha256(body).hexdigest() == file["sha256"]
    head = s3.head_object(Bucket="training-export", Key=f"sluice/training/_published/{DAY.isoformat()}.json")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert all(int(d.split(":")[0]) == manifest["tables"][t]["rows"] for t, d in _table_digests(manifest).items())
    assert manifest["tables"]["interaction_steps"]["rows"] > 0
    assert [r["action"] for r in audit.read(s3_day["home"].audit_log)][-2:] == ["publish", "export"]


def test_a_resent_batch_changes_nothing(s3_day, inbox):
    assert _run() == EXIT_PUBLISHED
    s3 = boto3.client("s3")
    before = read_manifest(s3, S3Location.parse(EXPORT), DAY)
    digests = _table_digests(before)
    batch = sorted(inbox.joinpath("raw").rglob("*.jsonl.gz"))[0]
    relative = batch.relative_to(inbox / "raw").as_posix()
    s3.upload_file(str(batch), "capture-raw", f"agents/{relative}")  # the agent retried: same name, same bytes
    s3.upload_file(str(batch), "capture-raw", f"agents/{relative.replace('.jsonl.gz', '-retry.jsonl.gz')}")  # or a new name

    assert _run() == EXIT_PUBLISHED
    after = read_manifest(s3, S3Location.parse(EXPORT), DAY)
    assert after["run_id"] != before["run_id"]
    assert _table_digests(after) == digests
    counts = counts_for(s3_day["home"], DAY)
    with gzip.open(batch) as handle:
        resent = sum(1 for _ in handle)
    assert counts["duplicate"] == resent  # same name: the object is replaced; a new name: every line a duplicate


@pytest.mark.parametrize("bucket, setup, finding", [
    ("raw", {"encryption": None}, "raw:unencrypted"),
    ("export", {"public_block": False}, "export:public_access_not_blocked"),
])
def test_an_unencrypted_or_public_bucket_is_refused_before_anything_is_read(aws, sluice_home, inbox, monkeypatch, capsys,
                                                                             bucket, setup, finding):
    key = kms_key()
    make_bucket("capture-raw", key_id=key, **(setup if bucket == "raw" else {}))
    make_bucket("training-export", key_id=key, **(setup if bucket == "export" else {}))
    upload_tree(inbox / "raw", "capture-raw", "agents")
    monkeypatch.setenv("SLUICE_RAW", RAW)
    monkeypatch.setenv("SLUICE_EXPORT", EXPORT)

    assert _run() == EXIT_BLOCKED
    assert "GATE FAILED private/landed_lines:storage_security" in capsys.readouterr().err
    home = SluiceHome(sluice_home)
    assert counts_for(home, DAY).get("lines_read", 0) == 0  # nothing was read
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket="training-export")
    blocks = [r for r in audit.read(home.audit_log) if r["action"] == "block"]
    assert blocks and blocks[-1]["gate"] == "storage_security" and blocks[-1]["counts"][finding] == 1


def test_bucket_findings_name_each_rule(aws):
    s3 = boto3.client("s3")
    key = kms_key()
    assert bucket_findings(s3, make_bucket("good-kms", key_id=key)) == []
    assert bucket_findings(s3, make_bucket("plain", encryption=None)) == ["unencrypted"]
    make_bucket("sse-s3", encryption="AES256")
    assert bucket_findings(s3, "sse-s3") == ["sse_s3_without_override"]
    assert bucket_findings(s3, "sse-s3", allow_sse_s3=True) == []
    assert bucket_findings(s3, make_bucket("open", key_id=key, public_block=False, public_acl=True)) == [
        "public_access_not_blocked", "public_acl"]
    assert bucket_findings(s3, "no-such-bucket") == ["unreachable:nosuchbucket"]


def _tick(cursor: str | None, instance: dg.DagsterInstance):
    with dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources()) as context:
        result = s3_capture_sensor(context)
    return result.run_requests, result.cursor


def test_the_sensor_requests_a_run_for_new_batches_only(aws, sluice_home, inbox, monkeypatch):
    make_bucket("capture-raw", key_id=kms_key())
    monkeypatch.setenv("SLUICE_RAW", RAW)
    s3 = boto3.client("s3")
    batches = sorted(inbox.joinpath("raw").rglob("*.jsonl.gz"))
    first, rest = batches[:-1], batches[-1]
    for path in first:
        s3.upload_file(str(path), "capture-raw", f"agents/{path.relative_to(inbox / 'raw').as_posix()}")
    s3.put_object(Bucket="capture-raw", Key="agents/README.txt", Body=b"not a batch")

    with dg.DagsterInstance.ephemeral() as instance:
        requests, cursor = _tick(None, instance)
        assert [r.partition_key for r in requests] == [DAY.isoformat()]
        first_key = requests[0].run_key
        assert _tick(cursor, instance)[0] == []  # nothing new: no run

        relative = rest.relative_to(inbox / "raw").as_posix()
        s3.upload_file(str(rest), "capture-raw", f"agents/{relative}")
        requests, cursor = _tick(cursor, instance)
        assert [r.partition_key for r in requests] == [DAY.isoformat()] and requests[0].run_key != first_key
        second_key = requests[0].run_key

        s3.upload_file(str(rest), "capture-raw", f"agents/{relative}")  # re-sent, same bytes
        requests, cursor = _tick(cursor, instance)
        assert requests == []
        lost_cursor_requests, _ = _tick(None, instance)  # a lost cursor yields the same run key: Dagster skips it
        assert [r.run_key for r in lost_cursor_requests] == [second_key]


def test_the_sensor_skips_a_local_raw_root(sluice_home):
    with dg.DagsterInstance.ephemeral() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources()) as context:
            assert isinstance(s3_capture_sensor(context), dg.SkipReason)


def test_keys_from_secrets_manager_never_reach_a_file_log_or_metadata(aws, sluice_home, inbox, tmp_path):
    secrets = boto3.client("secretsmanager")
    encryption_key, pseudonym_key = os.urandom(32).hex(), os.urandom(32).hex()
    secrets.create_secret(Name="sluice/encryption", SecretString=encryption_key)
    secrets.create_secret(Name="sluice/pseudonym", SecretString=pseudonym_key)
    home = tmp_path / "sm-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME", "DBT_ENV_SECRET"))}
    env.update(SLUICE_HOME=str(home), SLUICE_KEY_SECRETS="sluice/encryption,sluice/pseudonym",
               SLUICE_RAW=str(inbox / "raw"), SLUICE_DIRECTORY=str(inbox / "directory.csv"))
    done = subprocess.run([sys.executable, "-m", "cli.main", "run", "--date", DAY.isoformat()], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == EXIT_PUBLISHED, done.stderr[-2000:]

    layout = SluiceHome(home)
    assert not any(layout.keys.iterdir())  # nothing generated or written
    with private_zone(layout.private_db, encryption_key, layout.spill) as con:  # the zone is under the secret's key
        assert con.execute("SELECT count(*) FROM eligible_events").fetchone()[0] > 0
    from sluice.policy.pseudonyms import pseudonym

    with (inbox / "directory.csv").open() as handle:
        expected = {pseudonym(pseudonym_key, "employee", row["employee_id"]) for row in csv.DictReader(handle)}
    actors = {r[0] for r in duckdb.sql(f"SELECT DISTINCT actor FROM read_parquet('{layout.training}/interaction_steps/**/*.parquet')").fetchall()}
    assert actors and actors <= expected  # pseudonyms under the secret's key

    places = [home, DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"]
    texts = [done.stdout.encode(), done.stderr.encode()]
    texts += [p.read_bytes() for place in places if place.exists() for p in place.rglob("*") if p.is_file()]
    for secret in (encryption_key, pseudonym_key):
        assert not any(secret.encode() in blob for blob in texts), "a key reached a file or the output"
    shutil.rmtree(home)
