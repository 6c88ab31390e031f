"""Scale-out (SLUICE_SHARDS > 1): one device shard of a day, landed and validated in its own
process, written as encrypted Parquet where the day's run merges it (`sluice/ingest/shards.py`)."""

from datetime import date
from pathlib import Path

import dagster as dg

from assets.checks import gate_result, gate_spec
from assets.zones import zone
from orchestration.partitions import day_shards
from orchestration.resources import BucketPolicyResource, PrivateZoneResource, RawStoreResource
from sluice.ingest.shards import land_shard
from sluice.lifecycle.erasure import erase_private, register, subjects
from sluice.platform.control_plane import counts_only
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
def validated_shard(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource, raw_store: RawStoreResource,
                    buckets: BucketPolicyResource):
    keys = context.partition_key.keys_by_dimension
    day, shard, shards = date.fromisoformat(keys["date"]), int(keys["shard"]), len(day_shards.get_partitions_def_for_dimension("shard").get_partition_keys())
    locations = {"raw": raw_store.root, "shards": private_zone.shards_root}
    security = gates.storage_security({**buckets.findings(locations), **private_zone.access_findings(raw_store.root)})
    if security.passed:
        with private_zone.scratch() as con:
            load_directory(con, Path(private_zone.directory))  # who is erased: their lines never leave the shard
            register(con, subjects(con, private_zone.erasures), private_zone.keyring.get().pseudonym)
            counts = land_shard(con, raw_store.store(), day, shard, shards, default_manifest(), private_zone.shards_root,
                                prune=erase_private)
        yield dg.MaterializeResult(metadata=counts_only(counts))
    else:
        yield dg.MaterializeResult(metadata={"refused": 1})
    yield gate_result(security, SHARD, private_zone.layout, keys["date"], context.run_id)
