"""The statistical suites under expectations/, run as the gate runs them: a day's figures against the recent
published days, computed in a real DuckDB."""

from datetime import date, timedelta

import duckdb
import pytest

from sluice.quality import gates, profiles
from sluice.quality.expectations import SUITES_DIR, judge, load_suite

DAY = date(2026, 11, 10)


def test_every_gated_table_has_a_suite_and_every_figure_both_bands():
    assert {p.stem for p in SUITES_DIR.glob("*.json")} == set(profiles.METRICS)
    for suite, metrics in profiles.METRICS.items():
        bounded = [(e["kwargs"]["column"], e["meta"]["severity"]) for e in load_suite(suite)["expectations"]]
        assert sorted(bounded) == sorted((m, s) for m in metrics for s in ("warn", "block")), suite


def _turns(con, day: date, n: int, length: int = 40) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS turns (partition_date DATE, text VARCHAR)")
    con.execute("INSERT INTO turns SELECT ?, repeat('x', ?) FROM range(?)", [day, length, n])


def _judge(con, day: date, published: list[date]) -> gates.Gate:
    relation = f"(SELECT * FROM turns WHERE partition_date = DATE '{day}')"
    return gates.expectations(judge(con, "assistant_turns", relation, day, published))


def _baseline(con, days: int = 7, n: int = 1000) -> list[date]:
    history = [DAY - timedelta(days=i) for i in range(days, 0, -1)]
    for day in history:
        _turns(con, day, n)
        _judge(con, day, [])  # each published day's figures, as its own run recorded them
    return history


def test_a_day_like_the_recent_ones_passes_without_warnings():
    con = duckdb.connect()
    published = _baseline(con)
    _turns(con, DAY, 1100)
    gate = _judge(con, DAY, published)
    assert gate.passed and gate.named_counts() == {}


@pytest.mark.parametrize("n, length, passed, named", [
    (200, 40, True, {"warned:rows": 1}),  # a quiet day publishes, with a warning
    (0, 40, True, {"warned:rows": 1}),  # an empty day too
    (50_000, 40, True, {"warned:rows": 1}),  # five times the usual volume: warned
    (150_000, 40, False, {"blocked:rows": 1, "warned:rows": 1}),  # a flood: blocked
    (1000, 3, False, {"blocked:text_length_median": 1, "blocked:text_length_p99": 1,
                      "warned:text_length_median": 1, "warned:text_length_p99": 1}),  # texts a tenth as long
])
def test_a_day_unlike_the_recent_ones_warns_or_blocks_by_band(n, length, passed, named):
    con = duckdb.connect()
    published = _baseline(con)
    _turns(con, DAY, n, length)
    gate = _judge(con, DAY, published)
    assert (gate.passed, gate.named_counts()) == (passed, named)


def test_only_published_days_are_the_baseline_and_a_first_day_has_none():
    con = duckdb.connect()
    history = _baseline(con)
    _turns(con, DAY, 500_000)
    assert _judge(con, DAY, []).passed  # no published day before it: no band
    assert not _judge(con, DAY, history).passed
    later = DAY + timedelta(days=1)
    _turns(con, later, 1000)
    assert _judge(con, later, history).named_counts() == {}  # the flooded day was never published: not a baseline


def test_the_gate_reports_figure_names_never_values():
    con = duckdb.connect()
    published = _baseline(con)
    _turns(con, DAY, 150_000, length=1)
    gate = _judge(con, DAY, published)
    assert not gate.passed and "150000" not in repr(gate) and "150,000" not in gate.verdict()
