"""The one code location: assets by zone, the jobs, schedules and sensors, resources by system from env vars.

Loading it reads the environment and writes nothing: the local defaults (home, keys) are applied by the
resources when a run starts, and by the `sluice` command. `defs` is built when Dagster loads the location
(`dagster dev -w workspace.yaml`); `build_definitions()` builds it anew, under the environment of the moment.
"""

import sys
from pathlib import Path

import dagster as dg

from assets import checks, dbt_models, lifecycle, private, publish, raw, shards
from orchestration.dbt_project import dbt_project
from orchestration.jobs import daily_publish, day_shards, erase_now, retention
from orchestration.partitions import SHARDS
from orchestration.resources import SluiceDbtCliResource, resources
from orchestration.schedules import daily_schedule, retention_schedule
from orchestration.sensors import erasure_rebuild_sensor, late_batch_sensor, s3_capture_sensor, shards_done_sensor

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[raw.capture_batches, *dg.load_assets_from_modules([private, dbt_models, publish, lifecycle]),
                *([shards.validated_shard] if SHARDS > 1 else [])],
        asset_checks=[*checks.CANDIDATE_CHECKS, private.validated_events_expectations],
        jobs=[daily_publish, erase_now, retention, *([day_shards] if SHARDS > 1 else [])],
        schedules=[daily_schedule, retention_schedule],
        sensors=[s3_capture_sensor, late_batch_sensor, erasure_rebuild_sensor, *([shards_done_sensor] if SHARDS > 1 else [])],
        resources={**resources(), "dbt": SluiceDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
