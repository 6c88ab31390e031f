"""The transparency report (policy rules 2 and 10): what Sluice holds and did about one employee,
for that person (through HR). Their own counts only, never the content of anyone's events.

- collected: their valid events per day and event type, and their quarantined lines by reason;
- excluded: their events each rule kept out of training, per day (judged as the transforms do);
- training: their rows in every published training table, per day (read from the published files);
- analytics: their events counted in the k-anonymous team aggregates, per day;
- erasure: consent as the directory says, and the completed erasure, if any, with its times.

Days past retention are gone from the private zone: the report says which days it covers.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb

from sluice.lifecycle.erasure import LOG_DDL, reference
from sluice.platform.home import SluiceHome
from sluice.policy.pseudonyms import pseudonym
from sluice.policy.scope import ScopeManifest
from sluice.privacy.transforms import judge_events
from sluice.publish.commit import files_relation, published_days, published_marker
from sluice.quality.candidates import TRAINING_TABLES


def _by_day(rows) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for day, key, n in rows:
        out.setdefault(day.isoformat(), {})[key] = n
    return out


def employee_report(con: duckdb.DuckDBPyConnection, home: SluiceHome, employee_id: str, pseudonym_key: str,
                    manifest: ScopeManifest) -> dict:
    """`con` has the private zone in use and the directory loaded."""
    subject = pseudonym(pseudonym_key, "employee", employee_id)
    collected = _by_day(con.execute(
        "SELECT partition_date, event_type, count(*) FROM events WHERE employee_id = ? GROUP BY ALL ORDER BY ALL", [employee_id]).fetchall())
    quarantined = _by_day(con.execute(
        "SELECT partition_date, reason, count(*) FROM quarantine WHERE json_valid(line)"
        " AND json_extract_string(line, '$.employee_id') = ? GROUP BY ALL ORDER BY ALL", [employee_id]).fetchall())
    excluded: dict[str, dict[str, int]] = {}
    for day in sorted(date.fromisoformat(d) for d in collected):
        judge_events(con, day, manifest)
        excluded.update(_by_day(con.execute(
            "SELECT partition_date, excluded_by, count(*) FROM judged_events WHERE employee_id = ? AND excluded_by IS NOT NULL"
            " GROUP BY ALL ORDER BY ALL", [employee_id]).fetchall()))
    training: dict[str, dict[str, int]] = {}
    for day in published_days(home):
        for table, info in published_marker(home, day)["tables"].items():
            if table in TRAINING_TABLES and info["files"]:
                rows = con.execute(f"SELECT count(*) FROM {files_relation(home, info['files'])} WHERE actor = ?", [subject]).fetchone()[0]
                if rows:
                    training.setdefault(day.isoformat(), {})[table] = rows
    analytics = {d.isoformat(): n for d, n in con.execute(
        "SELECT partition_date, count(*) FROM eligible_events WHERE actor = ? GROUP BY 1 ORDER BY 1", [subject]).fetchall()}
    consent = con.execute("SELECT consent FROM directory WHERE employee_id = ?", [employee_id]).fetchone()
    con.execute(LOG_DDL)
    erased = con.execute("SELECT source, requested_at, completed_at FROM erasure_log WHERE subject = ?",
                         [reference(subject)]).fetchone()
    days = con.execute("SELECT min(partition_date), max(partition_date) FROM line_outcomes").fetchone()
    return {
        "employee_id": employee_id,
        "pseudonym": subject,
        "days_covered": {"from": days[0].isoformat() if days[0] else None, "to": days[1].isoformat() if days[1] else None,
                         "retention_days": manifest.retention_days},
        "collected": collected,
        "quarantined": quarantined,
        "excluded": excluded,
        "training": training,
        "analytics_events_counted": analytics,
        "consent": consent[0] if consent else "not in the directory",
        "erasure": {"reference": reference(subject), "source": erased[0], "requested_at": erased[1], "completed_at": erased[2]}
        if erased else None,
    }


def _table(title: str, per_day: dict[str, dict[str, int]]) -> list[str]:
    lines = [f"## {title}", ""]
    if not per_day:
        return lines + ["Nothing.", ""]
    lines += ["| day | what | count |", "|---|---|---|"]
    lines += [f"| {day} | {key} | {n:,} |" for day, by_key in sorted(per_day.items()) for key, n in sorted(by_key.items())]
    return lines + [""]


def markdown(report: dict) -> str:
    covered = report["days_covered"]
    erasure = report["erasure"]
    lines = [
        f"# What Sluice holds about employee {report['employee_id']}",
        "",
        f"Pseudonym in training data: `{report['pseudonym']}`. Consent: **{report['consent']}**. "
        f"Days covered: {covered['from']} to {covered['to']} (raw and private data are kept {covered['retention_days']} days).",
        "",
        *_table("Collected (valid events, by event type)", report["collected"]),
        *_table("Quarantined (lines that broke the capture contract or scope, by reason)", report["quarantined"]),
        *_table("Excluded from training (by privacy rule)", report["excluded"]),
        *_table("Reached training (rows per published table)", report["training"]),
        *_table("Counted in team-level analytics (k-anonymous aggregates)",
                {d: {"events": n} for d, n in report["analytics_events_counted"].items()}),
        "## Erasure",
        "",
        (f"Completed {erasure['completed_at']} ({erasure['source']}, requested {erasure['requested_at'] or 'by withdrawing consent'}); "
         f"reference `{erasure['reference']}` in the audit log." if erasure else "No erasure requested or completed."),
        "",
    ]
    return "\n".join(lines)


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True)
