"""Publish: write-audit-publish of the day's training Parquet and analytics tables, and, when
`SLUICE_EXPORT` names an S3 location, the export of the training zone there (manifest last).

Runs only when every blocking check upstream passed (a failed one skips this step)."""


from datetime import date

import dagster as dg
from dagster_aws.s3 import S3Resource

from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import SluiceResource
from sluice import audit
from sluice.control_plane import counts_only
from sluice.export import export_day
from sluice.policy.scope import default_manifest
from sluice.publish import publish_day, published_marker
from sluice.s3 import S3Location


@dg.asset(
    key=["publish", "published_day"], group_name="publish", partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL, kinds={"parquet", "duckdb", "s3"},
    deps=[dg.AssetKey(["training", "interaction_steps"]), dg.AssetKey(["analytics", "daily_app_usage"])],
    description=(
        "The day's commit: training Parquet and marker `training/_published/D.json`, and analytics.duckdb "
        "swapped atomically; then the S3 export (SSE-KMS, manifest last) when SLUICE_EXPORT is set. "
        "Only after every gate of the day passed; recorded in the audit log."
    ),
)
def published_day(context: dg.AssetExecutionContext, sluice: SluiceResource, s3: S3Resource) -> dg.MaterializeResult:
    day, layout = date.fromisoformat(context.partition_key), sluice.layout
    metadata = {}
    with sluice.private() as con:
        publication = publish_day(con, layout, day, context.run.run_id, default_manifest().manifest_version)
        if sluice.export_root:
            location = S3Location.parse(sluice.export_root)
            manifest = export_day(s3.get_client(), con, layout, published_marker(layout, day), location,
                                  sluice.export_kms_key_id, sluice.sse_s3_allowed())
            audit.append(layout.audit_log, "export", day=day.isoformat(), run_id=context.run.run_id,
                         rows=publication.rows, manifest=manifest)
            metadata["export_manifest"] = dg.MetadataValue.url(manifest)
    return dg.MaterializeResult(metadata={**counts_only(publication.rows), "marker": dg.MetadataValue.path(str(publication.marker)),
                                          **metadata})
