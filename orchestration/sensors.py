"""The S3 arrivals sensor: new capture batches under `SLUICE_RAW=s3://...` request their day's run.

`get_objects` lists what changed since the cursor; each touched day gets a run key made of
the content its run would read (`sluice.arrivals.content_key`), so a batch sent again with the
same bytes starts no second run, here or (if the cursor were lost) in Dagster's run-key check.
"""

from datetime import date, datetime, timedelta, timezone

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_aws.s3.sensor import get_objects

from orchestration.jobs import daily_publish
from orchestration.partitions import daily
from orchestration.resources import SluiceResource
from sluice.arrivals import ArrivalCursor, content_key, days_fed, folder_day
from sluice.raw_store import S3Raw, folder_days
from sluice.s3 import S3Location, is_s3


def _partition_open(day: date) -> bool:
    """Daily partitions exist for finished UTC days since the first one."""
    return daily.start.date() <= day < datetime.now(timezone.utc).date()


@dg.sensor(
    job=daily_publish, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
    description="New batches under an s3:// raw root request their day's run (run key = the day's content).",
)
def s3_capture_sensor(context: dg.SensorEvaluationContext, sluice: SluiceResource, s3: S3Resource):
    if not is_s3(sluice.raw_root):
        return dg.SkipReason("the raw root is a local folder: the daily schedule runs it")
    client = s3.get_client()
    store = S3Raw(client, S3Location.parse(sluice.raw_root))
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
            requests.append(dg.RunRequest(partition_key=day.isoformat(), run_key=key))
    cursor.pending = pending
    cursor.advance(objects)
    context.log.info(f"{len(objects)} new object(s), {len(touched)} day(s) touched, {len(requests)} run(s) requested")
    return dg.SensorResult(run_requests=requests, cursor=cursor.dump())
