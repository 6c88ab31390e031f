"""Crash safety: `sluice run` killed with SIGKILL inside each stage (tests/crash_run.py) never
changes the last publication, leaves a private zone that opens, and the next run publishes
exactly what an uninterrupted run publishes (same bytes: outputs are deterministic)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
from conftest import DAY

from sluice.platform.home import SluiceHome
from sluice.platform.keys import ENCRYPTION_KEY_ENV, KEY_FILES
from sluice.platform.warehouse import private_zone
from sluice.publish.commit import files_relation, published_marker
from sluice.simulate import simulate

CRASH_RUN = Path(__file__).with_name("crash_run.py")
STAGES = ("landing", "contract", "transforms", "dbt", "publish")
RUN_TIMEOUT = 300


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          start_new_session=True)


def _env(home: Path, inbox: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_", "DBT_ENV_SECRET"))}
    return {**env, "SLUICE_HOME": str(home), "SLUICE_RAW": str(inbox / "raw"), "SLUICE_DIRECTORY": str(inbox / "directory.csv")}


def _sluice_run(env: dict[str, str]) -> int:
    done = _run(["-m", "cli.main", "run", "--date", DAY.isoformat()], env)
    if done.returncode:  # sluice's own output: codes and counts, never a value
        print(done.stderr[-3000:])
    return done.returncode


def publication(home: SluiceHome) -> dict[str, bytes]:
    """What readers see of the day: its marker, the files the marker names, the analytics file."""
    marker_path = home.markers / f"{DAY.isoformat()}.json"
    files = [home.training / f["path"] for t in published_marker(home, DAY)["tables"].values() for f in t["files"]]
    return {str(p.relative_to(home.root)): p.read_bytes() for p in (marker_path, home.analytics_db, *files)}


def published_rows(home: SluiceHome) -> dict[str, list]:
    marker = published_marker(home, DAY)
    with duckdb.connect() as con:
        rows = {t: con.execute(f"SELECT * FROM {files_relation(home, info['files'])} ORDER BY ALL").fetchall()
                for t, info in marker["tables"].items()}
        con.execute(f"ATTACH '{home.analytics_db}' AS a (READ_ONLY)")
        rows["analytics"] = con.execute("SELECT * FROM a.daily_app_usage ORDER BY ALL").fetchall()
    return rows


def _private_zone_opens(home: SluiceHome, key: str) -> int:
    with private_zone(home.private_db, key, home.spill) as con:
        return con.execute("SELECT count(*) FROM events").fetchone()[0]


def test_a_run_killed_in_any_stage_changes_nothing_published_and_the_next_run_completes_the_day(tmp_path):
    inbox = tmp_path / "inbox"  # a small day: these are nine runs, each in its own process
    simulate(DAY, 8, inbox, seed=3, events_per_employee=400)
    late = sorted((inbox / "raw").rglob(f"date={DAY.isoformat()}/**/*.jsonl.gz"))[-1]
    reference_inbox = tmp_path / "reference_inbox"
    shutil.copytree(inbox, reference_inbox)
    held_back = tmp_path / late.name
    shutil.move(late, held_back)
    home = SluiceHome(tmp_path / "home")
    env = _env(home.root, inbox)
    assert _sluice_run(env) == 0
    before = publication(home)
    shutil.move(held_back, late)  # a late batch: the day must be published again

    key = (home.keys / KEY_FILES[ENCRYPTION_KEY_ENV]).read_text().strip()
    for stage in STAGES:
        killed = _run([str(CRASH_RUN), stage, DAY.isoformat()], env)
        assert killed.returncode == -signal.SIGKILL, f"{stage}: the run was not killed (exit {killed.returncode})"
        assert publication(home) == before, f"{stage}: the previous publication changed"
        assert published_rows(home)  # and it is readable
        assert _private_zone_opens(home, key) > 0, stage

    killed = _run([str(CRASH_RUN), "commit", DAY.isoformat()], env)  # right after the marker's rename
    assert killed.returncode == -signal.SIGKILL
    assert publication(home) != before
    assert _sluice_run(env) == 0

    reference = SluiceHome(tmp_path / "reference")
    shutil.copytree(home.keys, reference.keys)  # same inputs, same keys
    assert _sluice_run(_env(reference.root, reference_inbox)) == 0
    assert published_rows(home) == published_rows(reference)
    recovered, clean = published_marker(home, DAY), published_marker(reference, DAY)
    assert {t: [f["sha256"] for f in v["files"]] for t, v in recovered["tables"].items()} == \
        {t: [f["sha256"] for f in v["files"]] for t, v in clean["tables"].items()}
    leftovers = [p.name for p in home.warehouse.rglob("_tmp*")] + [p.name for p in home.staging.iterdir()]
    assert not leftovers, leftovers
    versions = {p.parent.name: sorted(v.name for v in p.parent.glob("v=*")) for p in home.training.glob("*/date=*/v=*")}
    assert all(len(v) == 1 for v in versions.values()), versions

    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        statuses = [r.status for r in instance.get_runs()]
    assert statuses.count(dg.DagsterRunStatus.FAILURE) == len(STAGES) + 1
    assert statuses.count(dg.DagsterRunStatus.SUCCESS) == 2
    assert not any(s in (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING) for s in statuses)



def test_a_runner_is_dead_only_when_its_process_is_gone_from_this_host():
    from cli.runner import is_dead, runner_identity

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host, pid, started = runner_identity().rsplit(":", 2)
    assert not is_dead(runner_identity())
    assert is_dead(f"{host}:{gone.pid}:1")
    assert is_dead(f"{host}:{pid}:{int(started) + 1}")  # the same pid, another process: reused
    assert not is_dead(f"another-host:{gone.pid}:1")  # only the host's own runs are judged


def test_recover_rolls_a_committed_swap_forward_and_removes_what_no_marker_names(tmp_path):
    import json

    from sluice.publish.commit import recover

    home = SluiceHome(tmp_path).ensure()
    version = home.training / "interaction_steps" / f"date={DAY.isoformat()}" / "v=r2"
    version.mkdir(parents=True)
    for run, body in (("r2", b"committed"), ("r3", b"never committed")):
        (home.staging / run).mkdir()
        (home.staging / run / "analytics.duckdb").write_bytes(body)
    orphan = home.training / "interaction_steps" / "date=2026-11-09" / "v=r3"
    orphan.mkdir(parents=True)
    (home.markers / f"{DAY.isoformat()}.json").write_text(json.dumps({
        "run_id": "r2", "analytics_staged": "_staging/r2/analytics.duckdb",
        "tables": {"interaction_steps": {"files": [{"path": f"interaction_steps/date={DAY.isoformat()}/v=r2/part-0.parquet"}]}}}))
    (version.parent / "v=r1").mkdir()

    assert recover(home) == {"analytics_rolled_forward": 1, "staged_removed": 2}
    assert home.analytics_db.read_bytes() == b"committed"
    assert sorted(p.name for p in version.parent.iterdir()) == ["v=r2"]
    assert not orphan.exists() and not list(home.staging.iterdir())
    assert recover(home) == {"analytics_rolled_forward": 0, "staged_removed": 0}
