"""The day's figures for people: counts by outcome, reason and rule, and what was published."""

from __future__ import annotations

import os
from datetime import date

import duckdb

from sluice.contract.validation import outcome_counts
from sluice.platform.home import SluiceHome
from sluice.platform.keys import KEY_SECRETS_ENV
from sluice.platform.settings import EXPORT_ENV
from sluice.publish.commit import published_marker


def day_counts(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    counts: dict[str, int] = {}
    if "batches" in tables:
        batches, truncated = con.execute(
            "SELECT count(*), count(*) FILTER (truncated) FROM batches WHERE partition_date = ?", [day]).fetchone()
        counts.update(batches=batches, batches_truncated=truncated)
    if "line_outcomes" in tables:
        counts.update(outcome_counts(con, day))
    if "exclusions" in tables:
        for rule, n in con.execute("SELECT rule, n FROM exclusions WHERE partition_date = ? ORDER BY rule", [day]).fetchall():
            counts[f"excluded:{rule}"] = n
        for placeholder, n in con.execute(
                "SELECT placeholder, n FROM redactions WHERE partition_date = ? ORDER BY 1", [day]).fetchall():
            counts[f"redacted:{placeholder.lower()}"] = n
        counts["promoted"] = con.execute("SELECT count(*) FROM eligible_events WHERE partition_date = ?", [day]).fetchone()[0]
    return counts


def _key_place(home: SluiceHome) -> str:
    return "in AWS Secrets Manager" if os.environ.get(KEY_SECRETS_ENV) else f"in {home.keys}"


def render(day: date, status: str, counts: dict[str, int], home: SluiceHome, published: bool) -> str:
    """The day's summary; for a day that did not publish, what stands instead of the files."""
    lines = [f"Sluice day {day.isoformat()}: {status}"]
    if "lines_read" in counts:
        lines.append(f"  events in (lines read) {counts['lines_read']:>10,}   batches {counts.get('batches', 0):,}"
                     f" (truncated {counts.get('batches_truncated', 0):,})")
        for key in ("valid", "quarantined", "duplicate", "unreadable", "other_day"):
            lines.append(f"  {key:<22} {counts.get(key, 0):>10,}")
        for key in sorted(k for k in counts if k.startswith("reason:")):
            lines.append(f"    {key.removeprefix('reason:'):<32} {counts[key]:>8,}")
    if "promoted" in counts:
        lines.append("  excluded by rule:")
        for key in sorted(k for k in counts if k.startswith("excluded:")):
            lines.append(f"    {key.removeprefix('excluded:'):<32} {counts[key]:>8,}")
        lines.append(f"  {'promoted':<22} {counts['promoted']:>10,}")
        lines.append("  redactions in promoted text, by type:")
        for key in sorted(k for k in counts if k.startswith("redacted:")):
            lines.append(f"    {key.removeprefix('redacted:').upper():<32} {counts[key]:>8,}")
    marker = published_marker(home, day)
    if not published:
        lines.append(f"Nothing was published: the last publication of {day.isoformat()} (run {marker['run_id']}, "
                     f"{marker['published_at']}) is unchanged." if marker else
                     f"Nothing was published: {day.isoformat()} has no earlier publication.")
        return "\n".join(lines)
    lines.append("  published rows:")
    for table, info in marker["tables"].items():
        lines.append(f"    training/{table:<23} {info['rows']:>8,}")
    for table, rows in marker["analytics_rows"].items():
        lines.append(f"    analytics/{table:<22} {rows:>8,}")
    lines += [
        "Files:",
        f"  training zone   {home.training}/<table>/date={day.isoformat()}/ (trust {home.markers}/{day.isoformat()}.json)",
        f"  analyst zone    {home.analytics_db}",
        f"  private zone    {home.private_db} (encrypted; key {_key_place(home)})",
        f"  audit log       {home.audit_log}",
        *([f"  S3 export       {export}/training/<table>/date={day.isoformat()}/ (trust {export}/training/_published/{day.isoformat()}.json)"]
          if (export := os.environ.get(EXPORT_ENV, "").rstrip("/")) else []),
        "Next:",
        "  make ui     -> Dagster UI at http://127.0.0.1:3000 (these runs, asset graph, checks)",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{home.analytics_db}', read_only=True)"
        ".sql('from daily_app_usage limit 10'))\"",
    ]
    return "\n".join(lines)
