"""Publish: write-audit-publish of the day's training Parquet and analytics tables, and, when
`SLUICE_EXPORT` names an S3 location, the export of the training zone there (manifest last).

Runs only when every blocking check upstream passed (a failed one skips this step), and publishes only
when this run's event log agrees (`sluice/quality/clearance.py`)."""


from datetime import date

import dagster as dg

from assets.checks import key_name, required_checks, run_evaluations
from assets.zones import zone
from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import ExportResource, PrivateZoneResource
from sluice.lifecycle import audit
from sluice.platform.control_plane import counts_only
from sluice.policy.scope import default_manifest
from sluice.publish.commit import publish_day, published_marker
from sluice.publish.export import export_day
from sluice.publish.figures import day_counts
from sluice.publish.privacy_report import report_with_chart
from sluice.quality.candidates import CANDIDATES
from sluice.quality.clearance import Clearance

CANDIDATE_KEYS = [dg.AssetKey([zone_name, table]) for zone_name, table in CANDIDATES]


def run_clearance(context: dg.AssetExecutionContext) -> Clearance:
    """What this run's event log says of the gates the candidates depend on (the publisher's own guard)."""
    graph = context.job_def.asset_layer.asset_graph.source_asset_graph  # the whole code location's, not the run's subset
    required = required_checks(graph, set(CANDIDATE_KEYS), daily)
    evaluations = run_evaluations(context.instance, context.run_id, required)
    return Clearance.of(map(key_name, required), evaluations)


@dg.asset(
    key=["publish", "published_day"], **zone("publish"), partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL, kinds={"parquet", "duckdb", "s3"},
    deps=CANDIDATE_KEYS,  # every candidate, by construction: its blocking checks skip this step when they fail
    description=(
        "The day's commit: training Parquet and marker `training/_published/D.json`, and analytics.duckdb "
        "swapped atomically; then the S3 export (SSE-KMS, manifest last) when SLUICE_EXPORT is set. "
        "Only after every gate of the day passed (the step is skipped otherwise, and refuses by itself unless every "
        "blocking check of the candidates' lineage passed in this run); recorded in the audit log. Its metadata holds the day's privacy "
        "report: events in, valid, quarantined by reason, excluded by rule, redactions by type, published rows."
    ),
)
def published_day(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource, export: ExportResource) -> dg.MaterializeResult:
    day, layout = date.fromisoformat(context.partition_key), private_zone.layout
    metadata = {}
    with private_zone.connect() as con:
        publication = publish_day(con, layout, day, context.run_id, default_manifest().manifest_version,
                                  run_clearance(context))
        metadata["privacy_report"] = dg.MetadataValue.md(report_with_chart(con, day, day_counts(con, day), publication.rows))
        if export.location is not None:
            manifest = export_day(export.s3.get_client(), con, layout, published_marker(layout, day), export.location,
                                  export.kms_key_id, export.policy.sse_s3_allowed)
            audit.append(layout.audit_log, "export", day=day.isoformat(), run_id=context.run_id,
                         rows=publication.rows, manifest=manifest)
            metadata["export_manifest"] = dg.MetadataValue.url(manifest)
    return dg.MaterializeResult(metadata={**counts_only(publication.rows), "marker": dg.MetadataValue.path(str(publication.marker)),
                                          **metadata})
