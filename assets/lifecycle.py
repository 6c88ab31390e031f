"""Lifecycle zone: what removes data (policy rules 2 and 10), each run audited."""

from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_dbt import DbtCliResource

from assets.checks import gate_result, gate_spec
from assets.dbt_models import dbt_invocation
from assets.zones import zone
from orchestration.dbt_project import dbt_project
from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import SluiceResource
from sluice.ingest.arrivals import content_key
from sluice.ingest.landing import record_content
from sluice.ingest.raw_store import raw_store
from sluice.lifecycle import audit
from sluice.lifecycle.erasure import (
    affected_days,
    complete_requests,
    erase_private,
    erase_raw,
    erase_training,
    raw_remaining,
    register,
    remaining,
    subject_devices,
    subjects,
)
from sluice.lifecycle.retention import cutoff, purge_private, purge_raw
from sluice.platform.control_plane import counts_only
from sluice.platform.s3 import S3Location, is_s3
from sluice.policy.scope import default_manifest
from sluice.privacy.transforms import load_directory
from sluice.publish.commit import published_days, published_marker, recover, write_analytics
from sluice.publish.export import export_day, read_manifest
from sluice.quality import gates


@dg.asset(
    key=["lifecycle", "retention_purge"], **zone("lifecycle"), pool=PRIVATE_ZONE_POOL, kinds={"duckdb", "s3"},
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


ERASURE = ["lifecycle", "erasure"]


@dg.asset(
    key=ERASURE, **zone("lifecycle"), partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL,
    kinds={"duckdb", "parquet"}, deps=[dg.AssetKey(["private", "landed_lines"])],
    description=(
        "Every run, before validation: employees with withdrawn consent or an erasure request are removed from raw "
        "batches, the private zone, every published training day and the exports; analytics of the days they were in "
        "are recomputed (rule 2)."
    ),
    check_specs=[gate_spec(ERASURE, "erasure_verified")],
)
def erasure(context: dg.AssetExecutionContext, sluice: SluiceResource, s3: S3Resource, dbt: DbtCliResource):
    layout, run_id = sluice.layout, context.run.run_id
    recover(layout)  # a killed run's pending publication first: erasure rewrites what it would swap in
    client = s3.get_client() if is_s3(sluice.raw_root) or sluice.export_root else None
    store = raw_store(sluice.raw_root, client)
    with sluice.private() as con:
        load_directory(con, Path(sluice.directory))
        found = subjects(con, sluice.erasures)
        by_id = register(con, found, sluice.secret_keys().pseudonym)
        devices, days = subject_devices(con), affected_days(con)
        counts = erase_raw(store, devices, set(by_id))
        if counts["raw_batches_rewritten"] or counts["raw_batches_deleted"]:  # the day's run now reads other bytes
            day = date.fromisoformat(context.partition_key)
            record_content(con, day, content_key(day, [(b.relative, b.version) for b in store.batches(day)]))
        counts.update(erase_private(con))
        rewritten, counts["training_rows_erased"] = erase_training(con, layout, run_id)
    for day in days:  # the k-anonymous aggregates of the days they were in, without them
        with dbt_invocation(sluice, dbt, day.isoformat(), ["build", "--select", "+daily_app_usage"],
                            manifest=dbt_project.manifest_path) as invocation:
            invocation.wait()
        with sluice.private() as con:
            write_analytics(con, layout, day, run_id)
    exported = _reexport(sluice, client, rewritten)
    with sluice.private() as con:
        register(con, found, sluice.secret_keys().pseudonym)
        left = {**remaining(con, layout), "raw": raw_remaining(store, devices, set(by_id)), "exports_stale": exported}
        completed = complete_requests(con, found, by_id, run_id) if not any(left.values()) else []
    counts.update(subjects=len(found), analytics_days_recomputed=len(days), training_days_rewritten=len(rewritten))
    if completed or any(v for k, v in counts.items() if k.startswith(("raw_lines", "private_rows", "training_rows"))):
        audit.append(layout.audit_log, "erasure", run_id=run_id, counts=counts_only(counts), completed=completed)
    yield dg.MaterializeResult(metadata=counts_only(counts))
    yield gate_result(gates.erasure_verified(left), ERASURE, layout, context.partition_key, run_id)


def _reexport(sluice: SluiceResource, client, days) -> int:
    """Re-export the re-published days; the number of manifests that still differ from their local marker."""
    if not sluice.export_root:
        return 0
    location, layout = S3Location.parse(sluice.export_root), sluice.layout
    with sluice.private() as con:
        for day in days:
            export_day(client, con, layout, published_marker(layout, day), location, sluice.export_kms_key_id, sluice.sse_s3_allowed())
    return sum(1 for day in published_days(layout)
               if (manifest := read_manifest(client, location, day)) and manifest["tables"] != published_marker(layout, day)["tables"])
