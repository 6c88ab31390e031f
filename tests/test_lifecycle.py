"""Lifecycle (policy rules 2 and 10): retention purge, through the real Dagster job."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone

import dagster as dg

from sluice import audit
from sluice.home import SluiceHome
from sluice.landing import land_day
from sluice.policy.scope import default_manifest
from sluice.raw_store import LocalRaw
from sluice.retention import PRIVATE_TABLES
from sluice.simulate import simulate
from sluice.transforms import load_directory, transform_day
from sluice.validation import validate_day
from sluice.warehouse import private_zone

AGES = (40, 31, 30, 29, 1)  # days before today; the manifest keeps 30


def _private_days(home: SluiceHome) -> dict[str, set]:
    with private_zone(home.private_db, os.environ["SLUICE_ENCRYPTION_KEY"], home.spill) as con:
        return {t: {r[0] for r in con.execute(f"SELECT DISTINCT partition_date FROM {t}").fetchall()} for t in PRIVATE_TABLES}


def test_retention_purges_exactly_the_days_past_their_age(sluice_home, tmp_path, monkeypatch):
    today = datetime.now(timezone.utc).date()
    days = [today - timedelta(days=age) for age in AGES]
    raw = tmp_path / "raw"
    for age, day in zip(AGES, days):
        simulate(day, 3, tmp_path / f"sim{age}", seed=age, events_per_employee=150)
        shutil.copytree(tmp_path / f"sim{age}" / "raw", raw, dirs_exist_ok=True)
    monkeypatch.setenv("SLUICE_RAW", str(raw))
    home = SluiceHome(sluice_home)
    with private_zone(home.private_db, os.environ["SLUICE_ENCRYPTION_KEY"], home.spill) as con:
        load_directory(con, tmp_path / f"sim{AGES[0]}" / "directory.csv")
        for day in days:
            land_day(con, LocalRaw(raw), day)
            validate_day(con, day, default_manifest())
            transform_day(con, day, default_manifest(), os.environ["SLUICE_PSEUDONYM_KEY"])
        rows_before = {t: con.execute(f"SELECT count(*) FROM {t} WHERE partition_date < ?", [today - timedelta(days=30)]).fetchone()[0]
                       for t in PRIVATE_TABLES}
    assert all(_private_days(home)[t] >= set(days) for t in ("landed_lines", "events", "line_outcomes"))
    old_batches = sum(len(list((raw / f"date={d.isoformat()}").rglob("*.jsonl.gz"))) for d in days[:2])

    from orchestration.definitions import defs

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("retention").execute_in_process(instance=instance)
    assert result.success

    kept = set(days[2:])  # ages 30, 29 and 1
    assert set(LocalRaw(raw).days()) == kept
    for table, present in _private_days(home).items():
        assert present <= kept, table
    (purge,) = [r for r in audit.read(home.audit_log) if r["action"] == "purge"]
    assert purge["keep_from"] == (today - timedelta(days=30)).isoformat()
    assert purge["counts"]["raw_days_purged"] == 2 and purge["counts"]["raw_batches_purged"] == old_batches
    assert {t: purge["counts"][f"private_rows_purged:{t}"] for t in PRIVATE_TABLES} == rows_before
    assert rows_before["landed_lines"] > 0 and rows_before["eligible_events"] > 0
    assert audit.verify(home.audit_log) is None
