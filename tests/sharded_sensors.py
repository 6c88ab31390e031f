"""Drives the sharded sensors for real; run in a process of its own with SLUICE_SHARDS=2 (the
definitions read it when they load). Prints what each tick and each shard's success asked for."""

import json

import dagster as dg

from definitions import build_definitions
from orchestration.resources import resources
from orchestration.sensors import s3_capture_sensor, shards_done_sensor
from sluice.platform.settings import configure

configure()  # what the `sluice` command does first: the instance and keys of the home
defs = build_definitions()

with dg.DagsterInstance.get() as instance:
    with dg.build_sensor_context(instance=instance, resources=resources()) as context:
        tick = s3_capture_sensor(context)
    report = {"requested": [{"job": r.job_name, "partition": str(r.partition_key), "run_key": r.run_key, "tags": r.tags}
                            for r in tick.run_requests], "after_each_shard": []}
    job = defs.resolve_job_def("day_shards")
    for request in tick.run_requests:
        run = job.execute_in_process(partition_key=request.partition_key, tags=request.tags, instance=instance).dagster_run
        success = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)[0].dagster_event
        asked = shards_done_sensor(dg.build_run_status_sensor_context(
            sensor_name="shards_done_sensor", dagster_instance=instance, dagster_run=run, dagster_event=success))
        report["after_each_shard"].append(
            {"partition": asked.partition_key, "run_key": asked.run_key} if isinstance(asked, dg.RunRequest) else {"skip": asked.skip_message})
print(json.dumps(report))
