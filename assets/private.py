"""Private zone (encrypted DuckDB): landed lines, validated events with quarantine, and
eligible events after the deterministic privacy transforms. Gates here block the day."""


from datetime import date
from pathlib import Path

import dagster as dg

from assets.checks import gate_result, gate_spec
from assets.progress import batch_progress
from assets.shards import SHARD
from assets.zones import zone
from orchestration.partitions import BY_DATE, ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, SHARDS, daily
from orchestration.resources import (
    BucketPolicyResource,
    ExpectationsResource,
    ExportResource,
    PrivateZoneResource,
    RawStoreResource,
)
from sluice.contract.validation import outcome_counts, validate_day
from sluice.ingest.arrivals import content_key
from sluice.ingest.landing import land_day, record_content
from sluice.ingest.shards import merge_landing, merge_validation
from sluice.lifecycle import audit
from sluice.platform.control_plane import counts_only
from sluice.policy.scope import default_manifest
from sluice.privacy.transforms import load_directory, transform_day
from sluice.publish.commit import published_days
from sluice.quality import gates

LANDED = ["private", "landed_lines"]
VALIDATED = ["private", "validated_events"]
ELIGIBLE = ["private", "eligible_events"]


def _day(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


@dg.asset(
    key=LANDED, **zone("private"), partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL, kinds={"duckdb"},
    deps=[dg.AssetKey(["raw", "capture_batches"]), *([dg.AssetDep(SHARD, partition_mapping=BY_DATE)] if SHARDS > 1 else [])],
    description="Every line of the day's batches (and next-day lines of yesterday's), readable or not, with a reason when not, "
                "in the encrypted private zone, the pipeline's only copy (rule 10; nothing unread goes uncounted)"
                + (f"; merged from the day's {SHARDS} device shards." if SHARDS > 1 else "."),
    check_specs=[
        gate_spec(LANDED, "storage_security"),
        gate_spec(LANDED, "freshness"),
    ],
)
def landed_lines(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource, raw_store: RawStoreResource,
                 export: ExportResource, buckets: BucketPolicyResource):
    run_id = context.run_id
    locations = {"raw": raw_store.root, "export": export.root, **({"shards": private_zone.shards_root} if SHARDS > 1 else {})}
    security = gates.storage_security({**buckets.findings(locations), **private_zone.access_findings(raw_store.root)})
    if not security.passed:  # refuse before reading a byte; the private zone is left as it was
        yield dg.MaterializeResult(metadata={"refused": 1})
        yield gate_result(security, LANDED, private_zone.layout, context.partition_key, run_id)
        return
    store, day = raw_store.store(), _day(context)
    with private_zone.connect(reads_shards=SHARDS > 1) as con:
        if SHARDS > 1:
            counts = merge_landing(con, private_zone.shards_root, day, SHARDS)
        else:
            counts = land_day(con, store, day, on_batch=batch_progress(context))
        record_content(con, day, content_key(day, [(b.relative, b.version) for b in store.batches(day)]))
    yield dg.MaterializeResult(metadata=counts_only(counts))
    yield gate_result(security, LANDED, private_zone.layout, context.partition_key, run_id)
    yield gate_result(gates.freshness(counts), LANDED, private_zone.layout, context.partition_key, run_id)


@dg.asset(
    key=VALIDATED, **zone("private"), partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL, kinds={"duckdb"},
    deps=[dg.AssetKey(LANDED), dg.AssetKey(["lifecycle", "erasure"])],
    description="Capture-format-v1 events, deduplicated on event_id; the rest quarantined with a reason (rules 1, 9).",
    check_specs=[
        gate_spec(VALIDATED, "line_conservation"),
        gate_spec(VALIDATED, "scope_creep"),
        gate_spec(VALIDATED, "contract_failure_rate"),
    ],
)
def validated_events(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource):
    day, manifest = _day(context), default_manifest()
    audit.record_manifest(private_zone.layout.audit_log, manifest.manifest_version)
    with private_zone.connect(reads_shards=SHARDS > 1) as con:
        if SHARDS > 1:  # the shards validated their devices; merged here, deduplicated across shards
            counts = merge_validation(con, private_zone.shards_root, day, SHARDS)
        else:
            counts = validate_day(con, day, manifest)
        landed = con.execute("SELECT count(*) FROM landed_lines WHERE partition_date = ?", [day]).fetchone()[0]
    yield dg.MaterializeResult(metadata={**counts_only(counts), "manifest_version": manifest.manifest_version})
    for gate in (gates.line_conservation(counts, landed), gates.scope_creep(counts), gates.contract_failure_rate(counts, manifest)):
        yield gate_result(gate, VALIDATED, private_zone.layout, context.partition_key, context.run_id)


@dg.asset_check(
    asset=dg.AssetKey(VALIDATED), name="expectations", blocking=True, pool=PRIVATE_ZONE_POOL, partitions_def=daily,
    description=f"{gates.DESCRIPTIONS['expectations']} Suite: expectations/validated_events.json.",
)
def validated_events_expectations(context: dg.AssetCheckExecutionContext, private_zone: PrivateZoneResource,
                                  expectations: ExpectationsResource) -> dg.AssetCheckResult:
    day = context.partition_key
    with private_zone.connect() as con:
        outcomes = expectations.check(con, "validated_events", f"(SELECT * FROM private.main.events WHERE partition_date = DATE '{date.fromisoformat(day)}')",
                                      date.fromisoformat(day), published_days(private_zone.layout))
    return gate_result(gates.expectations(outcomes), VALIDATED, private_zone.layout, day, context.run.run_id)


@dg.asset(
    key=ELIGIBLE, **zone("private"), partitions_def=daily, backfill_policy=ONE_DAY_PER_RUN, pool=PRIVATE_ZONE_POOL, kinds={"duckdb"}, deps=[dg.AssetKey(VALIDATED)],
    description=(
        "Valid events of consenting employees minus excluded content (rules 2, 4, 6, 7, 8), with keyed "
        "pseudonyms for employee, device and session (rule 3), key classes instead of keys (rule 4), free text "
        "redacted and rows still shaped like a protected value withheld (rule 5)."
    ),
    check_specs=[gate_spec(ELIGIBLE, "promotion_conservation"), gate_spec(ELIGIBLE, "residual_risk")],
)
def eligible_events(context: dg.AssetExecutionContext, private_zone: PrivateZoneResource):
    day, manifest = _day(context), default_manifest()
    with private_zone.connect() as con:
        directory_rows = load_directory(con, Path(private_zone.directory))
        counts = transform_day(con, day, manifest, private_zone.keyring.get().pseudonym)
        valid = outcome_counts(con, day)["valid"]
    yield dg.MaterializeResult(metadata=counts_only({**counts, "directory_rows": directory_rows}))
    for gate in (gates.promotion_conservation(valid, counts), gates.residual_risk(counts, manifest)):
        yield gate_result(gate, ELIGIBLE, private_zone.layout, context.partition_key, context.run_id)
