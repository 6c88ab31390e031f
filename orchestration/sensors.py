"""Sensors: new capture on S3, a late batch in a local raw root, device shards done, and an erasure's other days.

`s3_capture_sensor`: new capture batches under `SLUICE_RAW=s3://...` request their day's run.
`get_objects` lists what changed since the cursor; each touched day gets a run key made of
the content its run would read (`sluice.ingest.arrivals.content_key`), so a batch sent again with
the same bytes starts no second run, here or (if the cursor were lost) in Dagster's run-key
check. With SLUICE_SHARDS > 1 it requests the day's shard runs instead, tagged with that
content key, and `shards_done_sensor` requests the day's run once every shard of the same
content has succeeded. `late_batch_sensor` re-runs a published day whose local capture changed;
`erasure_rebuild_sensor` runs the other days an erasure touched, so they are rebuilt without the erased.
"""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
from dagster_aws.s3.sensor import get_objects

from orchestration.jobs import daily_publish, day_shards
from orchestration.partitions import SHARDS, daily
from orchestration.resources import PrivateZoneResource, RawStoreResource
from sluice.ingest.arrivals import ArrivalCursor, content_key, days_fed, folder_day
from sluice.ingest.raw_store import LocalRaw, S3Raw, folder_days
from sluice.lifecycle.erasure import REBUILD, rebuild_key
from sluice.lifecycle.retention import cutoff
from sluice.platform.s3 import S3Location
from sluice.policy.scope import default_manifest
from sluice.publish.commit import published_days, published_marker

CONTENT_TAG = "sluice/content"
REBUILD_TAG = "sluice/rebuild_after"  # a day's run that rebuilds it after an erasure run (its id)
SHARD_TAG, DATE_TAG = "dagster/partition/shard", "dagster/partition/date"


def _partition_open(day: date) -> bool:
    """Daily partitions exist for finished UTC days since the first one."""
    return daily.start.date() <= day < datetime.now(timezone.utc).date()


def _requests(day: date, key: str) -> list[dg.RunRequest]:
    if SHARDS == 1:
        return [dg.RunRequest(job_name=daily_publish.name, partition_key=day.isoformat(), run_key=key)]
    return [dg.RunRequest(job_name=day_shards.name, run_key=f"{key}|shard={s}", tags={CONTENT_TAG: key},
                          partition_key=dg.MultiPartitionKey({"date": day.isoformat(), "shard": str(s)}))
            for s in range(SHARDS)]


@dg.sensor(
    jobs=[daily_publish, *([day_shards] if SHARDS > 1 else [])], minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="New batches under an s3:// raw root request their day's run, or its shard runs (run key = the day's content).",
)
def s3_capture_sensor(context: dg.SensorEvaluationContext, raw_store: RawStoreResource):
    if not raw_store.on_s3:
        return dg.SkipReason("the raw root is a local folder: the daily schedule runs it")
    client = raw_store.s3.get_client()
    store = S3Raw(client, S3Location.parse(raw_store.root))
    cursor = ArrivalCursor.load(context.cursor)
    prefix = f"{store.location.prefix}/" if store.location.prefix else ""
    objects = cursor.unseen(get_objects(store.location.bucket, prefix, since_last_modified=cursor.since(), client=client))
    folders = {d for d in (folder_day(store.relative(o["Key"])) for o in objects) if d is not None}
    touched = {date.fromisoformat(d) for d in cursor.pending}
    for folder in folders:
        touched.update(days_fed(folder, next(store.objects(folder + timedelta(days=1)), None) is not None))
    requests, pending = [], []
    for day in sorted(touched):
        if not _partition_open(day):
            pending.append(day.isoformat())
            continue
        key = content_key(day, [(store.relative(o["Key"]), o["ETag"]) for f in folder_days(day) for o in store.objects(f)])
        if cursor.days.get(day.isoformat()) != key:
            cursor.days[day.isoformat()] = key
            requests += _requests(day, key)
    cursor.pending = pending
    cursor.advance(objects)
    context.log.info(f"{len(objects)} new object(s), {len(touched)} day(s) touched, {len(requests)} run(s) requested")
    return dg.SensorResult(run_requests=requests, cursor=cursor.dump())


@dg.sensor(
    job=daily_publish, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
    description="A batch landing in a local raw root after its day was published re-runs that day (S3: s3_capture_sensor does).",
)
def late_batch_sensor(context: dg.SensorEvaluationContext, private_zone: PrivateZoneResource, raw_store: RawStoreResource):
    if raw_store.on_s3:
        return dg.SkipReason("an s3:// raw root: s3_capture_sensor re-runs days whose capture changed")
    layout, store = private_zone.layout, LocalRaw(Path(raw_store.root))
    keep_from = cutoff(datetime.now(timezone.utc).date(), default_manifest().retention_days)
    requests = []
    for day in (d for d in published_days(layout) if d >= keep_from):
        key = content_key(day, [(b.relative, b.version) for b in store.batches(day)])
        if published_marker(layout, day).get("raw_content") not in (None, key):
            requests.append(dg.RunRequest(partition_key=day.isoformat(), run_key=f"late:{key}"))
    return dg.SensorResult(run_requests=requests) if requests else dg.SkipReason("no published day's capture changed")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[day_shards], request_job=daily_publish,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="When every shard of a day's content has succeeded, request the day's run (merge, transforms, dbt, gates, publish).",
)
def shards_done_sensor(context: dg.RunStatusSensorContext):
    content = context.dagster_run.tags.get(CONTENT_TAG)
    if content is None:
        return dg.SkipReason("a shard run launched by hand: its day's run is launched by hand too")
    runs = context.instance.get_runs(filters=dg.RunsFilter(job_name=day_shards.name, statuses=[dg.DagsterRunStatus.SUCCESS],
                                                          tags={CONTENT_TAG: content}))
    done = {run.tags.get(SHARD_TAG) for run in runs}
    if len(done) < SHARDS:
        return dg.SkipReason(f"{len(done)} of {SHARDS} shards done")
    return dg.RunRequest(partition_key=context.dagster_run.tags[DATE_TAG], run_key=f"{content}|day")


@dg.asset_sensor(
    asset_key=dg.AssetKey(["lifecycle", "erasure"]), job=daily_publish, default_status=dg.DefaultSensorStatus.RUNNING,
    description="An erasure names the other days its people were in (`days_to_rebuild`): each is run again, so its models "
                "and publication are rebuilt without them, as runs of their own (rule 2).",
)
def erasure_rebuild_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    days = asset_event.asset_materialization.metadata.get(REBUILD)
    requests = [dg.RunRequest(partition_key=day, run_key=rebuild_key(asset_event.run_id, day), tags={REBUILD_TAG: asset_event.run_id})
                for day in (days.value if days is not None else [])]
    return requests or dg.SkipReason("the erasure touched no other day")
