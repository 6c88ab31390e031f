"""The transparency report against the simulation's ground truth (the raw capture itself)."""

from __future__ import annotations

import csv
import gzip
import json
import os
from collections import Counter

import duckdb
from conftest import DAY

from cli.main import EXIT_PUBLISHED, main
from sluice.platform.home import SluiceHome
from sluice.policy.pseudonyms import pseudonym


def _raw_truth(inbox, employee_id: str) -> Counter:
    """Event types of the employee's lines dated on DAY, straight from the batches."""
    counts = Counter()
    for path in (inbox / "raw").rglob("*.jsonl.gz"):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            event = json.loads(line)
            if event["employee_id"] == employee_id and event["ts"].startswith(DAY.isoformat()):
                counts[event["event_type"]] += 1
    return counts


def _report(employee_id: str, capsys, *flags) -> str:
    capsys.readouterr()
    assert main(["report", "--employee", employee_id, *flags]) == EXIT_PUBLISHED
    return capsys.readouterr().out


def test_reports_match_the_ground_truth_for_a_consenting_and_a_non_consenting_employee(sluice_home, inbox, capsys):
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    home, key = SluiceHome(sluice_home), os.environ["SLUICE_PSEUDONYM_KEY"]
    with (inbox / "directory.csv").open() as handle:
        staff = list(csv.DictReader(handle))
    granted = next(e for e in staff if e["consent"] == "granted")
    never = next(e for e in staff if e["consent"] == "never")
    day = DAY.isoformat()

    report = json.loads(_report(granted["employee_id"], capsys, "--json"))
    assert report["collected"][day] == dict(_raw_truth(inbox, granted["employee_id"]))
    subject = pseudonym(key, "employee", granted["employee_id"])
    assert report["pseudonym"] == subject and report["consent"] == "granted" and report["erasure"] is None
    for table in ("interaction_steps", "assistant_turns"):
        truth = duckdb.sql(f"SELECT count(*) FROM read_parquet('{home.training}/{table}/date={day}/v=*/*.parquet') "
                           f"WHERE actor = '{subject}'").fetchone()[0]
        assert report["training"].get(day, {}).get(table, 0) == truth
    assert report["training"][day]["interaction_steps"] > 0
    promoted = report["analytics_events_counted"][day]
    assert sum(report["collected"][day].values()) == promoted + sum(report["excluded"].get(day, {}).values())

    report = json.loads(_report(never["employee_id"], capsys, "--json"))
    assert report["collected"][day] == dict(_raw_truth(inbox, never["employee_id"]))
    assert report["excluded"][day] == {"consent": sum(report["collected"][day].values())}
    assert report["training"] == {} and report["analytics_events_counted"] == {}

    markdown = _report(granted["employee_id"], capsys)
    assert markdown.startswith(f"# What Sluice holds about employee {granted['employee_id']}")
    assert "## Reached training" in markdown and "No erasure requested" in markdown
    others = [e for e in staff if e is not granted]
    assert not [e for e in others if e["employee_id"] in markdown or e["email"] in markdown]
