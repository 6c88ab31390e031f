"""Scale-out (SLUICE_SHARDS > 1): one device shard of a day, landed and validated in its own
process, written as encrypted Parquet where the day's run merges it (`sluice/ingest/shards.py`)."""

from datetime import date
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from assets.checks import gate_result, gate_spec
from assets.zones import zone
from orchestration.partitions import day_shards
from orchestration.resources import SluiceResource
from sluice.ingest.raw_store import raw_store
from sluice.ingest.shards import land_shard
from sluice.lifecycle.erasure import erase_private, register, subjects
from sluice.platform.bucket_security import storage_findings
from sluice.platform.control_plane import counts_only
from sluice.platform.s3 import is_s3
from sluice.policy.scope import default_manifest
from sluice.privacy.transforms import load_directory
from sluice.quality import gates

SHARD = ["private", "validated_shard"]


@dg.asset(
    key=SHARD, **zone("shards"), partitions_def=day_shards, kinds={"parquet"},
    deps=[dg.AssetKey(["raw", "capture_batches"])],
    description="One device shard of a day: its batches landed and validated, as encrypted Parquet for the day's merge.",
    check_specs=[gate_spec(SHARD, "storage_security")],
)
def validated_shard(context: dg.AssetExecutionContext, sluice: SluiceResource, s3: S3Resource):
    keys = context.partition_key.keys_by_dimension
    day, shard, shards = date.fromisoformat(keys["date"]), int(keys["shard"]), len(day_shards.get_partitions_def_for_dimension("shard").get_partition_keys())
    locations = {"raw": sluice.raw_root, "shards": sluice.shard_root()}
    client = s3.get_client() if any(is_s3(uri) for uri in locations.values()) else None
    security = gates.storage_security(storage_findings(locations, client, sluice.sse_s3_allowed()))
    if security.passed:
        with sluice.scratch(client) as con:
            load_directory(con, Path(sluice.directory))  # who is erased: their lines never leave the shard
            register(con, subjects(con, sluice.erasures), sluice.secret_keys().pseudonym)
            counts = land_shard(con, raw_store(sluice.raw_root, client), day, shard, shards, default_manifest(),
                               sluice.shard_root(), prune=erase_private)
        yield dg.MaterializeResult(metadata=counts_only(counts))
    else:
        yield dg.MaterializeResult(metadata={"refused": 1})
    yield gate_result(security, SHARD, sluice.layout, keys["date"], context.run.run_id)
