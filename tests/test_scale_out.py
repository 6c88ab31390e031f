"""Scale-out: a day split by device shard, each shard in its own process, S3 as shared storage;
the result must equal the unsharded day's, and the shards must be encrypted where they meet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import duckdb
import pytest
from conftest import DAY
from helpers import counts_for, identifiers
from s3_buckets import kms_key, make_bucket, upload_tree

from cli.main import EXIT_PUBLISHED, main
from sluice.ingest.raw_store import LocalRaw
from sluice.ingest.shards import ShardOfStore, land_shard, merge_landing, merge_validation, shard_of, use_parquet_key
from sluice.platform.home import SluiceHome
from sluice.platform.warehouse import private_zone, scratch_zone
from sluice.policy.scope import default_manifest


def _published_rows(home: SluiceHome) -> dict[str, list]:
    con = duckdb.connect()
    return {table: con.execute(f"SELECT * FROM read_parquet('{home.training}/{table}/date=*/v=*/*.parquet', hive_partitioning = false) "
                               "ORDER BY ALL").fetchall()
            for table in ("interaction_steps", "assistant_turns")}


def test_shards_partition_the_batches_by_device(inbox):
    store = LocalRaw(inbox / "raw")
    every = {b.relative for b in store.batches(DAY)}
    parts = [{b.relative for b in ShardOfStore(store, s, 3).batches(DAY)} for s in range(3)]
    assert set().union(*parts) == every and sum(len(p) for p in parts) == len(every)
    for shard, part in enumerate(parts):
        assert {shard_of(r, 3) for r in part} <= {shard}
        devices = {r.split("/")[1] for r in part}
        assert not devices & {r.split("/")[1] for other in parts if other is not part for r in other}
    with pytest.raises(Exception, match="configuration"):
        ShardOfStore(store, 3, 3)


def test_merge_deduplicates_across_shards_and_conserves_lines(inbox, tmp_path):
    """An event sent under two devices lands in two shards; the merge promotes it once and counts the copy."""
    raw = inbox / "raw"
    batch = sorted(raw.rglob("*.jsonl.gz"))[0]
    device = batch.parent.name
    other = next(p for p in sorted((raw / f"date={DAY.isoformat()}").iterdir()) if shard_of(f"x/{p.name}", 2) != shard_of(f"x/{device}", 2))
    shutil.copy(batch, other / "copied-from-another-device.jsonl.gz")
    key, root, spill = "k" * 64, str(tmp_path / "shards"), tmp_path / "spill"
    for shard in range(2):
        with scratch_zone(spill) as con:
            use_parquet_key(con, key)
            land_shard(con, LocalRaw(raw), DAY, shard, 2, default_manifest(), root)
    with private_zone(tmp_path / "private.duckdb", key, spill) as con:
        use_parquet_key(con, key)
        landing = merge_landing(con, root, DAY, 2)
        counts = merge_validation(con, root, DAY, 2)
        valid_events = con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()
    with private_zone(tmp_path / "whole.duckdb", key, spill) as con:  # the same day, unsharded
        from sluice.contract.validation import validate_day
        from sluice.ingest.landing import land_day

        whole_landing = land_day(con, LocalRaw(raw), DAY)
        whole = validate_day(con, DAY, default_manifest())
    assert valid_events[0] == valid_events[1] == counts["valid"]
    assert counts == whole and counts["duplicate"] > 0
    assert landing == whole_landing


def test_a_sharded_day_on_s3_equals_the_unsharded_day(aws, sluice_home, inbox, tmp_path, monkeypatch):
    key = kms_key()
    for bucket in ("capture-raw", "sluice-shards", "training-export"):
        make_bucket(bucket, key_id=key)
    upload_tree(inbox / "raw", "capture-raw", "agents")  # before the reference run erases withdrawn people locally
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED  # the reference: unsharded, local
    reference = SluiceHome(sluice_home)
    expected_rows, expected_counts = _published_rows(reference), counts_for(reference, DAY)

    home = tmp_path / "sharded-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME", "DBT_ENV_SECRET"))}
    env.update(SLUICE_HOME=str(home), SLUICE_SHARDS="2", SLUICE_RAW="s3://capture-raw/agents",
               SLUICE_SHARDS_ROOT="s3://sluice-shards/day-shards", SLUICE_EXPORT="s3://training-export/sluice",
               SLUICE_DIRECTORY=str(inbox / "directory.csv"),  # the reference's keys: the same pseudonyms
               SLUICE_ENCRYPTION_KEY=os.environ["SLUICE_ENCRYPTION_KEY"], SLUICE_PSEUDONYM_KEY=os.environ["SLUICE_PSEUDONYM_KEY"])
    done = subprocess.run([sys.executable, "-m", "cli.main", "run", "--date", DAY.isoformat()], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == EXIT_PUBLISHED, done.stderr[-3000:]

    sharded = SluiceHome(home)
    assert _published_rows(sharded) == expected_rows
    assert counts_for(sharded, DAY) == expected_counts

    s3 = boto3.client("s3")
    objects = s3.list_objects_v2(Bucket="sluice-shards", Prefix=f"day-shards/date={DAY.isoformat()}/shards=2/")["Contents"]
    assert {o["Key"].split("/")[3] for o in objects} == {"shard=0", "shard=1"}
    secrets = identifiers(inbox)
    for obj in objects:
        assert s3.head_object(Bucket="sluice-shards", Key=obj["Key"])["ServerSideEncryption"] == "aws:kms"
        body = s3.get_object(Bucket="sluice-shards", Key=obj["Key"])["Body"].read()
        assert not any(value.encode() in body for value in secrets), "a shard holds plaintext identifiers"
        with pytest.raises(duckdb.Error):  # Parquet-encrypted too: unreadable without the key
            path = tmp_path / "shard.parquet"
            path.write_bytes(body)
            duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()


def test_sharded_sensors_request_each_shard_then_the_day_once_all_succeeded(aws, sluice_home, inbox, tmp_path):
    make_bucket("capture-raw", key_id=kms_key())
    make_bucket("sluice-shards", key_id=kms_key())
    upload_tree(inbox / "raw", "capture-raw", "agents")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME", "DBT_ENV_SECRET"))}
    env.update(SLUICE_HOME=str(tmp_path / "home"), SLUICE_SHARDS="2", SLUICE_RAW="s3://capture-raw/agents",
               SLUICE_SHARDS_ROOT="s3://sluice-shards/day-shards", SLUICE_DIRECTORY=str(inbox / "directory.csv"))
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("sharded_sensors.py"))], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    requested = report["requested"]
    assert [(r["job"], r["partition"]) for r in requested] == [("day_shards", f"{DAY.isoformat()}|0"), ("day_shards", f"{DAY.isoformat()}|1")]
    content = {r["tags"]["sluice/content"] for r in requested}
    assert len(content) == 1 and len({r["run_key"] for r in requested}) == 2
    assert report["after_each_shard"] == [{"skip": "1 of 2 shards done"},
                                          {"partition": DAY.isoformat(), "run_key": f"{content.pop()}|day"}]
