"""Turn plain `Gate`s into asset check results (blocking ones at ERROR severity), and audit every block."""

from __future__ import annotations

import dagster as dg

from sluice import audit
from sluice.control_plane import counts_only
from sluice.gates import DESCRIPTIONS, WARN_ONLY, Gate
from sluice.home import SluiceHome


PARTITION_TAG = "dagster/partition"  # a check's run carries its partition here


def gate_spec(asset_key: list[str], name: str) -> dg.AssetCheckSpec:
    """The check of gate `name` on an asset: its description and whether it blocks, from `sluice.gates`."""
    return dg.AssetCheckSpec(name=name, asset=dg.AssetKey(asset_key), blocking=name not in WARN_ONLY,
                             description=DESCRIPTIONS[name])


def gate_result(gate: Gate, layout: SluiceHome, day: str, run_id: str) -> dg.AssetCheckResult:
    if not gate.passed and gate.blocking:
        audit.append(layout.audit_log, "block", day=day, run_id=run_id, gate=gate.name, counts=counts_only(gate.counts))
    return dg.AssetCheckResult(
        check_name=gate.name,
        passed=gate.passed,
        severity=dg.AssetCheckSeverity.ERROR if gate.blocking else dg.AssetCheckSeverity.WARN,
        description=gate.verdict(),
        metadata=counts_only(gate.counts),
    )
