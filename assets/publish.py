"""Publish: write-audit-publish of the day's training Parquet and analytics tables.

Runs only when every blocking check upstream passed (a failed one skips this step)."""


from datetime import date

import dagster as dg

from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import SluiceResource
from sluice.control_plane import counts_only
from sluice.policy.scope import default_manifest
from sluice.publish import publish_day


@dg.asset(
    key=["publish", "published_day"], group_name="publish", partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL, kinds={"parquet", "duckdb"},
    deps=[dg.AssetKey(["training", "interaction_steps"]), dg.AssetKey(["analytics", "daily_app_usage"])],
    description=(
        "The day's commit: training Parquet and marker `training/_published/D.json`, and analytics.duckdb "
        "swapped atomically. Only after every gate of the day passed; recorded in the audit log."
    ),
)
def published_day(context: dg.AssetExecutionContext, sluice: SluiceResource) -> dg.MaterializeResult:
    with sluice.private() as con:
        publication = publish_day(con, sluice.layout, date.fromisoformat(context.partition_key), context.run.run_id,
                                  default_manifest().manifest_version)
    return dg.MaterializeResult(metadata={**counts_only(publication.rows), "marker": dg.MetadataValue.path(str(publication.marker))})
