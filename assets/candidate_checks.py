"""Gates on the training and analytics candidates (built by dbt in the private zone), run
before anything is published: separate blocking checks, so `publish` waits for them."""

import dagster as dg

from assets.checks import PARTITION_TAG, gate_result
from orchestration.partitions import PRIVATE_ZONE_POOL
from orchestration.resources import ExpectationsResource, SluiceResource
from sluice import gates
from sluice.leak_scan import scan_table
from sluice.policy.scope import default_manifest
from sluice.candidates import CANDIDATES


def _leak_scan(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]), name="leak_scan", blocking=True, pool=PRIVATE_ZONE_POOL,
        description=gates.DESCRIPTIONS["leak_scan"],
    )
    def leak_scan_check(context: dg.AssetCheckExecutionContext, sluice: SluiceResource) -> dg.AssetCheckResult:
        day = context.run.tags[PARTITION_TAG]
        with sluice.private() as con:
            hits = scan_table(con, schema, table, day)
        return gate_result(gates.leak_scan(hits), [schema, table], sluice.layout, day, context.run.run_id)

    return leak_scan_check


def _expectations(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]), name="expectations", blocking=True, pool=PRIVATE_ZONE_POOL,
        description=f"{gates.DESCRIPTIONS['expectations']} Suite: expectations/{table}.json.",
    )
    def expectations_check(context: dg.AssetCheckExecutionContext, sluice: SluiceResource,
                           expectations: ExpectationsResource) -> dg.AssetCheckResult:
        day = context.run.tags[PARTITION_TAG]
        with sluice.private() as con:
            outcomes = expectations.check(con, table, f"private.{schema}.{table}")
        return gate_result(gates.expectations(outcomes), [schema, table], sluice.layout, day, context.run.run_id)

    return expectations_check


def _k_anonymity(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]), name="k_anonymity", blocking=True, pool=PRIVATE_ZONE_POOL,
        description=gates.DESCRIPTIONS["k_anonymity"],
    )
    def k_anonymity_check(context: dg.AssetCheckExecutionContext, sluice: SluiceResource) -> dg.AssetCheckResult:
        k = default_manifest().k_anonymity
        with sluice.private() as con:
            below, groups = con.execute(
                f"SELECT count(*) FILTER (employees < ?), count(*) FROM private.{schema}.{table}", [k]).fetchone()
        day = context.run.tags[PARTITION_TAG]
        return gate_result(gates.k_anonymity(below, groups, k), [schema, table], sluice.layout, day, context.run.run_id)

    return k_anonymity_check


CHECKS = [
    *(make(schema, table) for schema, table in CANDIDATES for make in (_leak_scan, _expectations)),
    *(_k_anonymity(schema, table) for schema, table in CANDIDATES if schema == "analytics"),
]
