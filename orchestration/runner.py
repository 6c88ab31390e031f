"""Run one day through Dagster (the instance in `$DAGSTER_HOME`, so runs show in the UI)
and say how it ended: published (0), blocked by a gate (3) or failed (1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import dagster as dg

PUBLISHED, ERROR, BLOCKED = 0, 1, 3


@dataclass
class DayOutcome:
    exit_code: int
    run_id: str
    failed_gates: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _safe_error_name(event: dg.DagsterEvent) -> str:
    """The error's class (and Sluice's code), never its message: messages can echo values."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    if error is None:
        return "unknown"
    if error.cls_name == "SluiceError":
        code = error.message.split("SluiceError:", 1)[-1].strip().split(":", 1)[0]
        return f"SluiceError({code})"
    return error.cls_name


def run_day(day: date) -> DayOutcome:
    from orchestration.definitions import defs

    job = defs.resolve_job_def("daily_publish")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(partition_key=day.isoformat(), instance=instance, raise_on_error=False,
                                        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    failed_gates = {
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}": {k: v.value for k, v in evaluation.metadata.items() if isinstance(v.value, int)}
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    }
    gate_steps = {
        e.step_key for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not e.event_specific_data.passed
    }
    failures = [e for e in result.all_events if e.is_step_failure]
    errors = [_safe_error_name(e) for e in failures if e.step_key not in gate_steps]
    if errors:
        code = ERROR
    elif failed_gates:
        code = BLOCKED
    else:
        code = PUBLISHED if result.success else ERROR
    return DayOutcome(code, result.run_id, failed_gates, errors)
