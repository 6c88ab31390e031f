"""Lifecycle zone: what removes data (policy rules 2 and 10), each run audited."""

from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
from dagster._core.errors import DagsterInvalidPropertyError

from assets.checks import gate_result, gate_spec
from assets.zones import zone
from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import ExportResource, PrivateZoneResource, RawStoreResource
from sluice.ingest.arrivals import content_key
from sluice.ingest.landing import record_content
from sluice.lifecycle import audit
from sluice.lifecycle.erasure import (
    REBUILD,
    affected_days,
    complete_requests,
    days_to_rebuild,
    erase_private,
    erase_raw,
    erase_training,
    raw_remaining,
    register,
    remaining,
    subject_devices,
    subjects,
)
from sluice.lifecycle.retention import cutoff, purge_logs, purge_private, purge_raw
from sluice.platform.control_plane import counts_only
from sluice.policy.scope import default_manifest
from sluice.privacy.transforms import load_directory
from sluice.publish.commit import published_days, published_marker, recover
from sluice.publish.export import export_day, read_manifest
from sluice.quality import gates


@dg.asset(
    key=["lifecycle", "retention_purge"], **zone("lifecycle"), pool=PRIVATE_ZONE_POOL, kinds={"duckdb", "s3"},
    description="Deletes raw batches, device shards, private-zone rows and run logs older than the manifest's retention_days (rule 10).",
)
def retention_purge(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource,
                    raw_store: RawStoreResource) -> dg.MaterializeResult:
    manifest = default_manifest()
    keep_from = cutoff(datetime.now(timezone.utc).date(), manifest.retention_days)
    counts = purge_raw(raw_store.store(), keep_from)
    shards = private_zone.shard_store()
    old_shards = [day for day in shards.days() if day < keep_from]
    for day in old_shards:
        shards.delete_day(day)
    counts["shard_days_purged"] = len(old_shards)
    with private_zone.connect() as con:
        counts.update(purge_private(con, keep_from))
    counts.update(purge_logs(private_zone.layout.logs, keep_from))
    audit.append(private_zone.layout.audit_log, "purge", run_id=context.run_id, keep_from=keep_from.isoformat(),
                 retention_days=manifest.retention_days, counts=counts_only(counts))
    return dg.MaterializeResult(metadata={**counts_only(counts), "keep_from": keep_from.isoformat()})


ERASURE = ["lifecycle", "erasure"]
PUBLISHED = dg.AssetKey(["publish", "published_day"])


@dg.asset(
    key=ERASURE, **zone("lifecycle"), partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL,
    kinds={"duckdb", "parquet"}, deps=[dg.AssetKey(["private", "landed_lines"])],
    description=(
        "Every run, before validation: employees with withdrawn consent or an erasure request are removed from raw "
        "batches, the private zone, every published training day and the exports (rule 2). The other days they were in "
        "are named in `days_to_rebuild`: `erasure_rebuild_sensor` (and `sluice run`) runs daily_publish for each, so "
        "their models and publication are rebuilt without them as runs of their own."
    ),
    check_specs=[gate_spec(ERASURE, "erasure_verified")],
)
def erasure(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource, raw_store: RawStoreResource,
            export: ExportResource):
    layout, run_id, pseudonym_key = private_zone.layout, context.run_id, private_zone.keyring.get().pseudonym
    recover(layout)  # a killed run's pending publication first: erasure rewrites what it would swap in
    store = raw_store.store()
    with private_zone.connect() as con:
        load_directory(con, Path(private_zone.directory))
        found = subjects(con, private_zone.erasures)
        by_id = register(con, found, pseudonym_key)
        devices, days = subject_devices(con), affected_days(con)
        counts = erase_raw(store, devices, set(by_id))
        if counts["raw_batches_rewritten"] or counts["raw_batches_deleted"]:  # the day's run now reads other bytes
            day = date.fromisoformat(context.partition_key)
            record_content(con, day, content_key(day, [(b.relative, b.version) for b in store.batches(day)]))
        counts.update(erase_private(con))
        rewritten, counts["training_rows_erased"] = erase_training(con, layout, run_id)
    rebuild = days_to_rebuild(days, date.fromisoformat(context.partition_key), _run_publishes(context))
    exported = _reexport(private_zone, export, rewritten)
    with private_zone.connect() as con:
        register(con, found, pseudonym_key)
        left = {**remaining(con, layout), "raw": raw_remaining(store, devices, set(by_id)), "exports_stale": exported}
        completed = complete_requests(con, found, by_id, run_id) if not any(left.values()) else []
    counts.update(subjects=len(found), days_to_rebuild=len(rebuild), training_days_rewritten=len(rewritten))
    if completed or any(v for k, v in counts.items() if k.startswith(("raw_lines", "private_rows", "training_rows"))):
        audit.append(layout.audit_log, "erasure", run_id=run_id, counts=counts_only(counts), completed=completed)
    yield dg.MaterializeResult(metadata={**counts_only(counts), REBUILD: dg.MetadataValue.json([d.isoformat() for d in rebuild])})
    yield gate_result(gates.erasure_verified(left), ERASURE, layout, context.partition_key, run_id)



def _run_publishes(context: dg.AssetExecutionContext) -> bool:
    """Whether this run goes on to publish the partition (the daily run does; erase_now, or a direct call, does not)."""
    try:
        in_run = context.run.asset_selection or context.job_def.asset_layer.executable_asset_keys
    except DagsterInvalidPropertyError:  # invoked directly (build_asset_context): there is no run
        return False
    return PUBLISHED in in_run


def _reexport(private_zone: PrivateZoneResource, export: ExportResource, days) -> int:
    """Re-export the re-published days; the number of manifests that still differ from their local marker."""
    if export.location is None:
        return 0
    location, layout, client = export.location, private_zone.layout, export.s3.get_client()
    with private_zone.connect() as con:
        for day in days:
            export_day(client, con, layout, published_marker(layout, day), location, export.kms_key_id, export.policy.sse_s3_allowed)
    return sum(1 for day in published_days(layout)
               if (manifest := read_manifest(client, location, day)) and manifest["tables"] != published_marker(layout, day)["tables"])
