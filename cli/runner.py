"""Run one day through Dagster (the instance in `$DAGSTER_HOME`, so runs show in the UI)
and say how it ended: published (0), blocked by a gate (3) or failed (1). The other days the run's erasure
touched are then rebuilt by runs of their own, as `erasure_rebuild_sensor` would request them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from cli.events import gate_counts, is_refusal, refusal_counts, safe_error_name
from cli.output import RUN_LOG, captured, verbose
from cli.progress import DayProgress, display_for, progress_logger
from sluice.lifecycle.erasure import REBUILD, rebuild_key
from sluice.platform.home import SluiceHome

PUBLISHED, ERROR, BLOCKED = 0, 1, 3
RUNNER_TAG = "sluice/runner"


@dataclass
class DayOutcome:
    exit_code: int
    run_id: str
    failed_gates: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rebuilt: dict[str, int] = field(default_factory=dict)  # days rebuilt after the run's erasure: their exit codes
    logs: Path | None = None  # the run's logs folder


def _outcome(result: dg.ExecuteInProcessResult) -> DayOutcome:
    failed_gates = {
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}": gate_counts(evaluation)
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    }
    gate_steps = {
        e.step_key for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not e.event_specific_data.passed
    }
    errors = []
    for failure in (e for e in result.all_events if e.is_step_failure and e.step_key not in gate_steps):
        if is_refusal(failure):  # the publisher refused: a block, whatever the wiring did
            failed_gates["publish/published_day:clearance"] = refusal_counts(failure)
        else:
            errors.append(safe_error_name(failure))
    if errors:
        code = ERROR
    elif failed_gates:
        code = BLOCKED
    else:
        code = PUBLISHED if result.success else ERROR
    return DayOutcome(code, result.run_id, failed_gates, errors)


def _process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None when there is no such process."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def runner_identity() -> str:
    """This process, as the tag of the runs it executes: host, pid and start time (a pid can be reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_start(os.getpid())}"


def is_dead(identity: str) -> bool:
    host, pid, started = identity.rsplit(":", 2)
    return host == socket.gethostname() and _process_start(int(pid)) != started


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Runs this machine's `sluice run` started whose process is gone (kill -9, OOM, power loss): marked
    failed, and their pool slots freed, so that the next run does not queue forever behind a ghost."""
    released = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])):
        if RUNNER_TAG in run.tags and is_dead(run.tags[RUNNER_TAG]):
            instance.report_run_failed(run, message="The process running it is gone (killed); released by the next run.")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            released.append(run.run_id)
    return released


def _execute(job_name: str, partition_key: str | dg.MultiPartitionKey, tags: dict[str, str] | None = None,
             progress: bool = False) -> tuple[DayOutcome, dg.ExecuteInProcessResult]:
    """One run, its output kept in its logs folder (`cli/output.py`); with `progress`, its stages shown."""
    run_id = str(uuid.uuid4())
    logs = SluiceHome.from_env().run_logs(run_id)
    with captured(logs / RUN_LOG, echo=verbose()) as terminal, dg.DagsterInstance.get() as instance:
        import definitions

        job = definitions.build_definitions().resolve_job_def(job_name)
        release_dead_runs(instance)
        stages = DayProgress(display_for(terminal, live=not verbose())) if progress else None
        loggers = {"console": {"config": {"log_level": "DEBUG"}}, **({"progress": {}} if stages else {})}
        if stages:
            job = job.with_logger_defs({**job.loggers, "progress": progress_logger(stages)})
        try:
            result = job.execute_in_process(partition_key=partition_key, instance=instance, raise_on_error=False,
                                            run_id=run_id, tags={RUNNER_TAG: runner_identity(), **(tags or {})},
                                            run_config={"loggers": loggers})
        finally:
            if stages:
                stages.finish()
    outcome = _outcome(result)
    outcome.logs = logs
    return outcome, result


def _rebuild_after_erasure(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """The other days the run's erasure named, each run now through the daily job: what `erasure_rebuild_sensor`
    requests, tagged with its run key and name so that a daemon watching the same instance does not run them again."""
    from orchestration.sensors import REBUILD_TAG, erasure_rebuild_sensor

    erased = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["lifecycle", "erasure"])]
    days = erased[0].materialization.metadata[REBUILD].value if erased and REBUILD in erased[0].materialization.metadata else []
    tags = {"dagster/sensor_name": erasure_rebuild_sensor.name, REBUILD_TAG: result.run_id}  # as the daemon tags its runs
    return {day: _execute("daily_publish", day, {**tags, "dagster/run_key": rebuild_key(result.run_id, day)})[0].exit_code
            for day in days}


def run_shard(day: date, shard: int) -> DayOutcome:
    """One device shard of day D (SLUICE_SHARDS > 1), in this process."""
    return _execute("day_shards", dg.MultiPartitionKey({"date": day.isoformat(), "shard": str(shard)}))[0]


def _run_shards(day: date, shards: int) -> DayOutcome | None:
    """Every shard of day D at once, each in its own process (as separate runs would on a cluster);
    the first shard that did not succeed decides the outcome, None when all succeeded."""
    with dg.DagsterInstance.get():  # create the instance's storage once, before processes race for it
        pass
    children = [subprocess.Popen([sys.executable, "-m", "cli.main", "shard", "--date", day.isoformat(), "--shard", str(s)])
                for s in range(shards)]
    codes = [child.wait() for child in children]
    failed = [code for code in codes if code != PUBLISHED]
    print(f"device shards: {shards - len(failed)} of {shards} landed and validated", flush=True)
    if not failed:
        return None
    code = BLOCKED if all(c == BLOCKED for c in failed) else ERROR
    return DayOutcome(code, "of the shards (above)", errors=[f"{len(failed)} of {shards} shards did not succeed"])


def run_day(day: date) -> DayOutcome:
    """Day D through the daily job; with SLUICE_SHARDS > 1 its device shards first, in parallel processes."""
    from orchestration.partitions import SHARDS

    if SHARDS > 1 and (failed := _run_shards(day, SHARDS)) is not None:
        return failed
    outcome, result = _execute("daily_publish", day.isoformat(), progress=True)
    outcome.rebuilt = _rebuild_after_erasure(result)
    failed = sorted(d for d, code in outcome.rebuilt.items() if code != PUBLISHED)
    if failed:  # the erasure is not whole until every day it touched is rebuilt without them
        outcome.errors.append(f"{len(failed)} day(s) not rebuilt after the erasure: {', '.join(failed)}")
        outcome.exit_code = ERROR
    return outcome
