"""Lifecycle zone: what removes data (policy rules 2 and 10), each run audited."""

from datetime import datetime, timezone

import dagster as dg
from dagster_aws.s3 import S3Resource

from orchestration.partitions import PRIVATE_ZONE_POOL
from orchestration.resources import SluiceResource
from sluice import audit
from sluice.control_plane import counts_only
from sluice.policy.scope import default_manifest
from sluice.raw_store import raw_store
from sluice.retention import cutoff, purge_private, purge_raw
from sluice.s3 import is_s3


@dg.asset(
    key=["lifecycle", "retention_purge"], group_name="lifecycle", pool=PRIVATE_ZONE_POOL, kinds={"duckdb", "s3"},
    description="Deletes raw batches, device shards and private-zone rows of days older than the manifest's retention_days (rule 10).",
)
def retention_purge(context: dg.AssetExecutionContext, sluice: SluiceResource, s3: S3Resource) -> dg.MaterializeResult:
    manifest = default_manifest()
    keep_from = cutoff(datetime.now(timezone.utc).date(), manifest.retention_days)
    client = s3.get_client() if is_s3(sluice.raw_root) or is_s3(sluice.shard_root()) else None
    counts = purge_raw(raw_store(sluice.raw_root, client), keep_from)
    shards = raw_store(sluice.shard_root(), client)
    old_shards = [day for day in shards.days() if day < keep_from]
    for day in old_shards:
        shards.delete_day(day)
    counts["shard_days_purged"] = len(old_shards)
    with sluice.private() as con:
        counts.update(purge_private(con, keep_from))
    audit.append(sluice.layout.audit_log, "purge", run_id=context.run.run_id, keep_from=keep_from.isoformat(),
                 retention_days=manifest.retention_days, counts=counts_only(counts))
    return dg.MaterializeResult(metadata={**counts_only(counts), "keep_from": keep_from.isoformat()})
