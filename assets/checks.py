"""Turn plain `Gate`s into blocking asset check results, and audit every block."""

from __future__ import annotations

import dagster as dg

from sluice import audit
from sluice.control_plane import counts_only
from sluice.gates import Gate
from sluice.home import SluiceHome


def gate_spec(asset_key: list[str], name: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name=name, asset=dg.AssetKey(asset_key), blocking=True, description=description)


def gate_result(gate: Gate, layout: SluiceHome, day: str, run_id: str) -> dg.AssetCheckResult:
    if not gate.passed:
        audit.append(layout.audit_log, "block", day=day, run_id=run_id, gate=gate.name, counts=counts_only(gate.counts))
    return dg.AssetCheckResult(
        check_name=gate.name,
        passed=gate.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=gate.description,
        metadata=counts_only(gate.counts),
    )
