"""The checks: every verdict, Sluice's gates and dbt's tests alike, passes through `settle` (a blocking failure
is recorded in the audit log there); plain `Gate`s become asset check results in `gate_result` (blocking ones at
ERROR severity); each training and analytics candidate gets its gates by being one (`CANDIDATE_CHECKS`: built
by dbt in the private zone, checked before anything is published, so `publish` waits for them); and
`required_checks` says what the publisher requires.
"""

from datetime import date

import dagster as dg

from orchestration.partitions import PRIVATE_ZONE_POOL, daily
from orchestration.resources import ExpectationsResource, PrivateZoneResource
from sluice.lifecycle import audit
from sluice.platform.control_plane import SAFE_NAME, counts_only
from sluice.platform.home import SluiceHome
from sluice.publish.commit import published_days
from sluice.quality import gates
from sluice.quality.candidates import CANDIDATES
from sluice.quality.gates import DESCRIPTIONS, WARN_ONLY, Gate
from sluice.quality.leak_scan import scan_table


def gate_spec(asset_key: list[str], name: str) -> dg.AssetCheckSpec:
    """The check of gate `name` on an asset: its description and whether it blocks, from `sluice.quality.gates`."""
    return dg.AssetCheckSpec(name=name, asset=dg.AssetKey(asset_key), blocking=name not in WARN_ONLY,
                             description=DESCRIPTIONS[name])


def key_name(key: dg.AssetCheckKey) -> str:
    """`asset/key:check`, how gates are named in the audit log, the clearance and `sluice run`'s output."""
    return f"{key.asset_key.to_user_string()}:{key.name}"


def check_name(result: dg.AssetCheckResult) -> str:
    return key_name(dg.AssetCheckKey(result.asset_key, result.check_name))


def settle(result: dg.AssetCheckResult, layout: SluiceHome, day: str, run_id: str) -> dg.AssetCheckResult:
    """The one place a check's verdict is final: a failed blocking (ERROR) check is audited as a `block`."""
    if not result.passed and result.severity == dg.AssetCheckSeverity.ERROR:
        counts = {k: v.value for k, v in result.metadata.items() if SAFE_NAME.fullmatch(k) and type(v.value) is int}
        audit.append(layout.audit_log, "block", day=day, run_id=run_id, gate=result.check_name, check=check_name(result),
                     counts=counts_only(counts))
    return result


def gate_result(gate: Gate, asset_key: list[str], layout: SluiceHome, day: str, run_id: str) -> dg.AssetCheckResult:
    return settle(dg.AssetCheckResult(
        asset_key=dg.AssetKey(asset_key),
        check_name=gate.name,
        passed=gate.passed,
        severity=dg.AssetCheckSeverity.ERROR if gate.blocking else dg.AssetCheckSeverity.WARN,
        description=gate.verdict(),
        metadata=counts_only(gate.counts),
    ), layout, day, run_id)


def required_checks(graph, candidates: set[dg.AssetKey], partitions_def: dg.PartitionsDefinition) -> set[dg.AssetCheckKey]:
    """Every blocking check on the candidates and on every asset of the day they are made from: what must
    have passed in a run before it may publish. Read from the asset graph's lineage of the candidates, not
    from the publish step's own dependencies, so that a miswired publish step cannot shrink it."""
    assets = set(candidates).union(*(graph.get_ancestor_asset_keys(key) for key in candidates))
    return {check for key in assets if graph.get(key).partitions_def == partitions_def
            for check in graph.get(key).check_keys if graph.get(check).blocking}


def run_evaluations(instance: dg.DagsterInstance, run_id: str, required: set[dg.AssetCheckKey]) -> list[tuple[str, bool]]:
    """(check, passed) of this run's evaluations that count for publishing: the required checks, and any
    blocking (ERROR) failure."""
    found = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        key = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
        if key in required or (not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR):
            found.append((key_name(key), evaluation.passed))
    return found


def _leak_scan(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]), name="leak_scan", blocking=True, pool=PRIVATE_ZONE_POOL, partitions_def=daily,
        description=gates.DESCRIPTIONS["leak_scan"],
    )
    def leak_scan_check(context: dg.AssetCheckExecutionContext, private_zone: PrivateZoneResource) -> dg.AssetCheckResult:
        day = context.partition_key
        with private_zone.connect() as con:
            hits = scan_table(con, schema, table, day)
        return gate_result(gates.leak_scan(hits), [schema, table], private_zone.layout, day, context.run.run_id)

    return leak_scan_check


def _expectations(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]), name="expectations", blocking=True, pool=PRIVATE_ZONE_POOL, partitions_def=daily,
        description=f"{gates.DESCRIPTIONS['expectations']} Suite: expectations/{table}.json.",
    )
    def expectations_check(context: dg.AssetCheckExecutionContext, private_zone: PrivateZoneResource,
                           expectations: ExpectationsResource) -> dg.AssetCheckResult:
        day = context.partition_key
        with private_zone.connect() as con:
            outcomes = expectations.check(con, table, f"private.{schema}.{table}", date.fromisoformat(day),
                                          published_days(private_zone.layout))
        return gate_result(gates.expectations(outcomes), [schema, table], private_zone.layout, day, context.run.run_id)

    return expectations_check


CANDIDATE_CHECKS = [
    *(make(schema, table) for schema, table in CANDIDATES for make in (_leak_scan, _expectations)),
]
