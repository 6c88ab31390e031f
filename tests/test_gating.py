"""Every blocking gate stops publication, by construction and in fact.

- Structure: every blocking check of the daily job stands before the publish step in the job's execution
  plan, and is among what the publisher itself requires before it writes (`required_checks`); shown
  failing on a deliberately broken copy of the definitions.
- Fact: the matrix. For every blocking check of the daily job, read from the definitions (a new table,
  column or check joins it by existing), that check alone is made to fail where every verdict is
  settled (`assets.checks.settle`); `sluice run` exits 3, the previous publication is byte-identical, the
  training zone holds no new file, and the audit log has the block and no publication for that run.
- Defence in depth: with the wiring broken, and for a run of the publish step alone, the publisher's own
  clearance refuses.
"""

from __future__ import annotations

import dagster as dg
import pytest
from conftest import DAY
from dagster._core.execution.api import create_execution_plan
from helpers import readable_files

from assets import checks
from assets.checks import key_name, required_checks
from cli.main import EXIT_BLOCKED, main
from orchestration.partitions import daily
from sluice.lifecycle import audit
from sluice.quality.candidates import CANDIDATES

PUBLISH = dg.AssetKey(["publish", "published_day"])
CANDIDATE_KEYS = {dg.AssetKey([zone, table]) for zone, table in CANDIDATES}


def _definitions() -> dg.Definitions:
    """The code location's definitions (building them reads the environment and writes nothing)."""
    from definitions import build_definitions

    return build_definitions()


def blocking_checks(job: dg.JobDefinition) -> list[dg.AssetCheckKey]:
    graph = job.asset_layer.asset_graph
    return sorted((k for k in graph.asset_check_keys if graph.get(k).blocking), key=lambda k: k.to_user_string())


def ungated(job: dg.JobDefinition) -> list[str]:
    """The job's blocking checks that do not stand before publishing: the step evaluating them is not upstream
    of the publish step in the execution plan, or the publisher's clearance does not require them."""
    plan = create_execution_plan(job, tags={"dagster/partition": DAY.isoformat()})
    step_of = {output.properties.asset_check_key or output.properties.asset_key: step.key
               for step in plan.steps for output in step.step_outputs if output.properties}
    deps, upstream, frontier = plan.get_all_step_deps(), set(), [step_of[PUBLISH]]
    while frontier:
        for parent in deps[frontier.pop()] - upstream:
            upstream.add(parent)
            frontier.append(parent)
    required = required_checks(job.asset_layer.asset_graph.source_asset_graph, CANDIDATE_KEYS, daily)
    return [key_name(c) for c in blocking_checks(job) if step_of[c] not in upstream or c not in required]


DEFS = _definitions()
DAILY = DEFS.resolve_job_def("daily_publish")
MATRIX = [key_name(check) for check in blocking_checks(DAILY)]


def _with_publish_deps(defs: dg.Definitions, deps: list[dg.AssetKey]) -> dg.Definitions:
    """A deliberately broken copy of the definitions: the publish step depends on `deps` only."""
    def rewire(asset):
        if isinstance(asset, dg.AssetsDefinition) and PUBLISH in asset.keys:
            return asset.map_asset_specs(lambda spec: spec.replace_attributes(deps=deps))
        return asset

    return dg.Definitions(assets=[rewire(a) for a in defs.assets], asset_checks=defs.asset_checks, jobs=defs.jobs,
                          schedules=defs.schedules, sensors=defs.sensors, resources=defs.resources, executor=defs.executor)


MISWIRED = [dg.AssetKey(["training", "interaction_steps"]), dg.AssetKey(["analytics", "daily_app_usage"])]
BROKEN = _with_publish_deps(DEFS, MISWIRED)


def test_every_blocking_check_of_the_day_stands_before_publish(sluice_home):
    assert ungated(DAILY) == []
    checked = {c.asset_key for c in blocking_checks(DAILY)}
    assert CANDIDATE_KEYS <= checked and len(CANDIDATES) >= 3
    for zone, table in CANDIDATES:  # what every candidate gets by being one
        names = {c.name for c in blocking_checks(DAILY) if c.asset_key == dg.AssetKey([zone, table])}
        assert {"leak_scan", "expectations"} | ({"assert_k_anonymity"} if zone == "analytics" else set()) <= names, table
    assert len(MATRIX) >= 37


def test_the_structural_test_fails_on_a_publish_step_that_misses_a_candidate(sluice_home):
    missing = ungated(BROKEN.resolve_job_def("daily_publish"))
    assert missing and all(m.startswith("training/assistant_turns:") for m in missing), missing
    assert "training/assistant_turns:leak_scan" in missing and "training/assistant_turns:expectations" in missing


def fail_check(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """Make check `target` (`asset/key:check`) fail alone, at the point where every verdict is settled."""
    settle = checks.settle

    def failing(result: dg.AssetCheckResult, *args) -> dg.AssetCheckResult:
        if checks.check_name(result) == target:
            result = result._replace(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                     metadata={"injected_failure": dg.MetadataValue.int(1)})
        return settle(result, *args)

    monkeypatch.setattr(checks, "settle", failing)


def _run_records(home, before: int) -> list[dict]:
    return [r for r in audit.read(home.audit_log)[before:] if "run_id" in r]


def _assert_blocked_and_untouched(published, capsys, gate: str) -> None:
    home = published.home
    readable, records = readable_files(home), len(audit.read(home.audit_log))
    capsys.readouterr()
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_BLOCKED
    out, err = capsys.readouterr()
    assert f"GATE FAILED {gate}:" in err
    assert f"Nothing was published: the last publication of {DAY.isoformat()}" in out and "trust" not in out
    assert readable_files(home) == readable  # the marker, every published file, no new file in the zones
    assert list(home.staging.iterdir()) == []
    run = _run_records(home, records)
    assert len({r["run_id"] for r in run}) == 1
    assert [r for r in run if r["action"] == "block" and r["gate"] == gate.split(":")[-1] and r.get("check", gate) == gate]
    assert not [r for r in run if r["action"] == "publish"]


@pytest.mark.parametrize("gate", MATRIX)
def test_a_failed_blocking_check_alone_stops_publication(published, monkeypatch, capsys, gate):
    fail_check(monkeypatch, gate)
    _assert_blocked_and_untouched(published, capsys, gate)


def test_with_publish_miswired_the_publisher_still_refuses_a_failed_gate(published, monkeypatch, capsys):
    """The original hole: publish did not depend on assistant_turns. Its own clearance refuses."""
    # Built when the run starts, as the code location is: its resources read the test's environment.
    import definitions

    build = definitions.build_definitions
    monkeypatch.setattr(definitions, "build_definitions", lambda: _with_publish_deps(build(), MISWIRED))
    fail_check(monkeypatch, "training/assistant_turns:leak_scan")
    _assert_blocked_and_untouched(published, capsys, "publish/published_day:clearance")
    refusal = [r for r in audit.read(published.home.audit_log) if r.get("gate") == "clearance"][-1]
    assert refusal["counts"]["failed"] + refusal["counts"]["did_not_run"] >= 1


def test_the_publish_step_run_alone_is_refused_for_want_of_its_gates(published):
    readable = readable_files(published.home)
    daily = _definitions().resolve_job_def("daily_publish")  # its resources read the test's environment
    with dg.DagsterInstance.get() as instance:
        result = daily.execute_in_process(partition_key=DAY.isoformat(), instance=instance, raise_on_error=False,
                                          asset_selection=[PUBLISH])
    assert not result.success
    refusal = [r for r in audit.read(published.home.audit_log) if r["action"] == "block"][-1]
    assert refusal["gate"] == "clearance" and refusal["run_id"] == result.run_id
    assert refusal["counts"]["did_not_run"] == refusal["counts"]["required"] == len(MATRIX)
    assert readable_files(published.home) == readable
