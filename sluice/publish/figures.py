"""The day's figures for people: counts by outcome, reason and rule, and what was published."""

from __future__ import annotations

import os
import textwrap
from datetime import date

import duckdb

from sluice.contract.validation import outcome_counts
from sluice.platform.home import SluiceHome
from sluice.platform.keys import KEY_SECRETS_ENV
from sluice.platform.settings import EXPORT_ENV
from sluice.publish.commit import published_marker

WIDTH = 100  # the summary's lines: one screen, not the terminal's whole width


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


def _listed(label: str, total: str, items: list[tuple[str, int]], zeros: bool = False) -> list[str]:
    """`label  total: a n, b n, ...` (largest first) wrapped under itself; items that are 0 only with `zeros`."""
    text = ", ".join(f"{n:,} {name}" if zeros else f"{name} {n:,}"
                     for name, n in (items if zeros else sorted(items, key=lambda item: -item[1])) if n or zeros)
    return textwrap.wrap(f"{total}: {text}" if text else total, width=WIDTH,
                         initial_indent=f"  {label:<10} ", subsequent_indent=" " * 13, break_on_hyphens=False)


def render(day: date, counts: dict[str, int], home: SluiceHome) -> str:
    """A published day's figures, what it published and where (one screen)."""
    lines = []
    if "lines_read" in counts:
        outcomes = [(key.replace("_", " "), counts.get(key, 0))
                    for key in ("valid", "quarantined", "duplicate", "unreadable", "other_day")]
        lines += _listed("read", f"{counts['lines_read']:,} lines in {counts.get('batches', 0):,} batches "
                         f"({counts.get('batches_truncated', 0):,} truncated)", outcomes, zeros=True)
        reasons = [(k.removeprefix("reason:"), n) for k, n in counts.items() if k.startswith("reason:")]
        if reasons:
            lines += _listed("quarantine", "by reason", reasons)
    if "promoted" in counts:
        excluded = [(k.removeprefix("excluded:"), n) for k, n in counts.items() if k.startswith("excluded:")]
        redacted = [(k.removeprefix("redacted:").upper(), n) for k, n in counts.items() if k.startswith("redacted:")]
        lines += _listed("excluded", f"{sum(n for _, n in excluded):,} events by rule", excluded)
        lines += _listed("redacted", f"{sum(n for _, n in redacted):,} values", redacted)
        lines.append(f"  {'promoted':<10} {counts['promoted']:,} events")
    marker = published_marker(home, day)
    published = [(f"training/{t}", info["rows"]) for t, info in marker["tables"].items()]
    published += [(f"analytics/{t}", rows) for t, rows in marker["analytics_rows"].items()]
    lines += _listed("published", f"{sum(n for _, n in published):,} rows", published)
    export = os.environ.get(EXPORT_ENV, "").rstrip("/")
    lines += [
        "Files:",
        f"  training   {home.training}/<table>/date={day.isoformat()}/ (trusted through _published/{day.isoformat()}.json)",
        f"  analysts   {home.analytics_db}",
        f"  private    {home.private_db} (encrypted; key {_key_place(home)})",
        f"  audit      {home.audit_log}",
        *([f"  S3 export  {export}/training/<table>/date={day.isoformat()}/"] if export else []),
        "Next:",
        "  make ui    -> the Dagster UI at http://127.0.0.1:3000 (these runs, the asset graph, the checks)",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{home.analytics_db}', read_only=True)"
        ".sql('from daily_app_usage limit 10'))\"",
    ]
    return "\n".join(lines)


def nothing_published(day: date, home: SluiceHome) -> str:
    """What stands instead of a day that did not publish: its earlier publication, or none."""
    marker = published_marker(home, day)
    if marker:
        return (f"Nothing was published: the last publication of {day.isoformat()} (run {marker['run_id']}, "
                f"{marker['published_at']}) is unchanged.")
    return f"Nothing was published: {day.isoformat()} has no earlier publication."
