"""The day's privacy report for the Dagster UI: Markdown tables and a small PNG chart, counts only.

Events in, valid, quarantined by reason, excluded by rule, redactions by type and published rows come
from `summary.day_counts` (the same figures `sluice run` prints); the chart adds the day's valid events
per hour by type. Every label is one of Sluice's own names (an outcome, reason, rule, placeholder type,
event type or table), every value a count: nothing a rule protects can reach the report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from datetime import date

import duckdb

from sluice.platform.control_plane import counts_only
from sluice.quality.candidates import TRAINING_TABLES

OUTCOMES = ("valid", "quarantined", "duplicate", "unreadable", "other_day")


def hourly_events(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, list[int]]:
    """Valid events of day D per UTC hour (24 counts) for each event type."""
    by_type: dict[str, list[int]] = {}
    for event_type, hour, n in con.execute(
            "SELECT event_type, hour(ts), count(*) FROM events WHERE partition_date = ? GROUP BY ALL ORDER BY ALL", [day]).fetchall():
        by_type.setdefault(event_type, [0] * 24)[hour] = n
    return by_type


def _prefixed(counts: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {name.removeprefix(prefix): n for name, n in sorted(counts.items()) if name.startswith(prefix)}


def _table(title: str, header: str, rows: Mapping[str, int]) -> list[str]:
    body = [f"| {name} | {n:,} |" for name, n in rows.items()] or ["| (none) | 0 |"]
    return [f"#### {title}", "", f"| {header} | count |", "|---|---:|", *body, ""]


def report_markdown(day: date, counts: Mapping[str, int], published: Mapping[str, int]) -> str:
    """`counts`: `summary.day_counts` of the day; `published`: rows per published table (`Publication.rows`)."""
    counts_only({**counts, **published})  # refuses anything but Sluice's own names and integers
    zoned = {f"{'training' if table in TRAINING_TABLES else 'analytics'}/{table}": n for table, n in published.items()}
    outcomes = {"events in (lines read)": counts.get("lines_read", 0), **{o: counts.get(o, 0) for o in OUTCOMES},
                "promoted to training": counts.get("promoted", 0)}
    return "\n".join([
        f"### Privacy report, {day.isoformat()}", "",
        *_table("Lines and outcomes", "outcome", outcomes),
        *_table("Quarantined, by reason", "reason", _prefixed(counts, "reason:")),
        *_table("Excluded from training, by rule", "rule", _prefixed(counts, "excluded:")),
        *_table("Redactions in promoted text, by type", "placeholder",
                {f"`<{name.upper()}>`": n for name, n in _prefixed(counts, "redacted:").items()}),
        *_table("Published rows", "table", zoned),
    ])


def chart_png(hourly: Mapping[str, list[int]], exclusions: Mapping[str, int]) -> bytes:
    """Two panels: valid events per hour stacked by type, and events excluded by rule."""
    import matplotlib  # imported here: only the publish step draws, and the import costs ~0.5 s

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=80, gridspec_kw={"width_ratios": [2, 1]})
    bottom = [0] * 24
    for event_type, per_hour in sorted(hourly.items()):
        left.bar(range(24), per_hour, bottom=bottom, label=event_type, width=0.85)
        bottom = [b + n for b, n in zip(bottom, per_hour)]
    left.set(title="Valid events per hour (UTC), by type", xlabel="hour", xlim=(-0.6, 23.6))
    if hourly:
        left.legend(fontsize=7, ncols=2)
    rules = sorted(exclusions)
    right.barh(rules, [exclusions[r] for r in rules], color="tab:red")
    right.set(title="Excluded by rule")
    right.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def report_with_chart(con: duckdb.DuckDBPyConnection, day: date, counts: Mapping[str, int],
                      published: Mapping[str, int]) -> str:
    """The Markdown report with its chart embedded as a data URI (Dagster's UI renders it inline)."""
    png = chart_png(hourly_events(con, day), _prefixed(counts, "excluded:"))
    image = base64.b64encode(png).decode("ascii")
    return report_markdown(day, counts, published) + f"\n![events per hour and exclusions](data:image/png;base64,{image})\n"
