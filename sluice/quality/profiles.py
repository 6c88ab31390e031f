"""A gated table's day in figures, for its statistical expectations (Great Expectations, `expectations/`).

Row and schema rules live in dbt (contracts, not-null, accepted values, ranges, k-anonymity); what dbt expresses
poorly is how a day compares with the days before it: its volume, its event-type mix, the distribution of its
values. Each figure is computed here in DuckDB over the whole day (GX is given one row of aggregates, never the
rows), kept in the private zone (`day_profiles`), and compared with the same figure of the recent *published* days
(a blocked day's figures are not a baseline): `bounds` turns that history into the expectations' parameters.

Two bands per figure: outside the `warn` band the check says so and the day publishes; outside the `block` band,
far wider, the day is blocked (a regression or a flood, not a quiet day). A volume is never blocked for being low
(an empty day publishes empty tables); with no published day before it, a figure has no band.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date

import duckdb

from sluice.contract.models import EVENT_TYPES
from sluice.policy.keystrokes import KEY_CLASSES

HISTORY_DAYS = 7  # the baseline: at most this many published days before the day judged
TABLE = "day_profiles"  # suite, partition_date, metric, value: the private zone's record of each day's figures

# Per suite, its figures as SQL aggregates over the day's rows of its table.
METRICS: dict[str, dict[str, str]] = {
    "validated_events": {"rows": "count(*)", **{f"share_{t}": f"avg((event_type = '{t}')::DOUBLE)" for t in EVENT_TYPES}},
    "interaction_steps": {
        "rows": "count(*)",
        "x_norm_mean": "avg(x_norm)",
        "y_norm_mean": "avg(y_norm)",
        **{f"share_{c}": f"avg((key_class = '{c}')::DOUBLE) FILTER (WHERE action_type = 'key')" for c in KEY_CLASSES},
    },
    "assistant_turns": {
        "rows": "count(*)",
        "text_length_median": "median(length(text))",
        "text_length_p99": "quantile_cont(length(text), 0.99)",
    },
    "daily_app_usage": {"rows": "count(*)", "employees_median": "median(employees)", "events_median": "median(events)"},
}

# (warn, block) bands: a volume as factors of the baseline's median (no lower block: quiet days publish), a share
# as distances from the baseline's mean, any other figure as factors of its median.
VOLUME = ((1 / 3, 3.0), (None, 100.0))
SHARE = (0.2, 0.6)
LEVEL = ((1 / 2, 2.0), (1 / 10, 10.0))


def _kind(metric: str) -> str:
    return "volume" if metric == "rows" else "share" if metric.startswith("share_") else "level"


def record(con: duckdb.DuckDBPyConnection, suite: str, relation: str, day: date) -> dict[str, float | None]:
    """The day's figures of `relation` (its rows of day D), stored in place of any earlier run's for that day."""
    metrics = METRICS[suite]
    row = con.execute(f"SELECT {', '.join(f'{sql} AS {name}' for name, sql in metrics.items())} FROM {relation}").fetchone()
    figures = {name: (float(value) if value is not None else None) for name, value in zip(metrics, row)}
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (suite VARCHAR, partition_date DATE, metric VARCHAR, value DOUBLE)")
    con.execute(f"DELETE FROM {TABLE} WHERE suite = ? AND partition_date = ?", [suite, day])
    con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)", [(suite, day, name, value) for name, value in figures.items()])
    return figures


def history(con: duckdb.DuckDBPyConnection, suite: str, published: Iterable[date]) -> dict[str, list[float]]:
    """Each figure over the most recent `HISTORY_DAYS` of the `published` days (those that have figures)."""
    days = sorted(published)[-HISTORY_DAYS:]
    found: dict[str, list[float]] = {name: [] for name in METRICS[suite]}
    if not days or not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [TABLE]).fetchone()[0]:
        return found
    for metric, value in con.execute(f"SELECT metric, value FROM {TABLE} WHERE suite = ? AND value IS NOT NULL"
                                     f" AND partition_date IN (SELECT unnest(?::DATE[])) ORDER BY partition_date",
                                     [suite, days]).fetchall():
        if metric in found:
            found[metric].append(value)
    return found


def bounds(baseline: dict[str, list[float]]) -> dict[str, float | None]:
    """The expectations' parameters: `<metric>_<warn|block>_<min|max>` for every figure (None: no bound that way;
    with no baseline, 0 and None)."""
    parameters: dict[str, float | None] = {}
    for metric, values in baseline.items():
        bands = _bands(_kind(metric), values)
        for band, (low, high) in zip(("warn", "block"), bands):
            parameters[f"{metric}_{band}_min"], parameters[f"{metric}_{band}_max"] = low, high
    return parameters


def _bands(kind: str, values: list[float]) -> tuple[tuple[float | None, float | None], ...]:
    if not values:
        return ((0.0, None), (0.0, None))  # every figure is at least 0: no band
    if kind == "share":
        mean = statistics.fmean(values)
        return tuple((max(mean - d, 0.0), min(mean + d, 1.0)) for d in SHARE)
    median = statistics.median(values)
    factors = VOLUME if kind == "volume" else LEVEL
    return tuple((median * low if low is not None else None, median * high) for low, high in factors)
