"""The one code location: assets by zone, the daily job and schedule, resources from env vars."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from assets import candidate_checks, dbt_models, private, publish, raw
from orchestration.dbt_project import dbt_project
from orchestration.resources import ExpectationsResource, sluice_resource
from sluice.settings import configure

configure()  # local defaults for what the environment does not set (never overrides it)

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
ZONES = dg.AssetSelection.groups("private", "training", "analytics", "publish")

daily_publish = dg.define_asset_job(
    "daily_publish",
    selection=ZONES,
    partitions_def=raw.daily,
    executor_def=dg.in_process_executor,  # one writer per DuckDB file
    description="Land, validate, transform, build and gate one day; publish it only if every gate passed.",
)

defs = dg.Definitions(
    assets=[raw.capture_batches, *dg.load_assets_from_modules([private, dbt_models, publish])],
    asset_checks=[*candidate_checks.CHECKS, private.validated_events_expectations],
    jobs=[daily_publish],
    schedules=[dg.build_schedule_from_partitioned_job(daily_publish, hour_of_day=3)],
    resources={
        "sluice": sluice_resource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        "expectations": ExpectationsResource(),
    },
    executor=dg.in_process_executor,
)
