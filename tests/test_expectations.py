"""The Great Expectations suites under expectations/, run as the gate runs them."""

import pandas as pd
import pytest

from sluice.quality import gates
from sluice.quality.expectations import SUITES_DIR, load_suite, validate

ROW = {"day": pd.Timestamp("2026-11-02"), "team": "platform", "app": "code.exe", "employees": 6, "events": 120,
       "active_minutes": 40}


def _failed(df, name="daily_app_usage"):
    return {o.expectation: o.unexpected for o in validate(df, load_suite(name)) if not o.success}


def test_every_candidate_table_has_a_suite():
    assert {p.stem for p in SUITES_DIR.glob("*.json")} == {"validated_events", "interaction_steps", "assistant_turns", "daily_app_usage"}


def test_a_conforming_table_passes():
    assert _failed(pd.DataFrame([ROW, {**ROW, "app": "slack"}])) == {}


@pytest.mark.parametrize("change,expectation", [
    ({"extra_column": 1}, "expect_table_columns_to_match_set"),
    ({"employees": 3}, "expect_column_values_to_be_between.employees"),
    ({"team": None}, "expect_column_values_to_not_be_null.team"),
    ({"app": "mail jane.doe@example.com"}, "expect_column_values_to_not_match_regex.app"),
])
def test_each_kind_of_breach_fails_with_a_count(change, expectation):
    failed = _failed(pd.DataFrame([ROW, {**ROW, **change}]))
    assert failed == {expectation: 1}


def test_gate_reports_counts_never_values():
    outcomes = validate(pd.DataFrame([{**ROW, "app": "mail jane.doe@example.com"}]), load_suite("daily_app_usage"))
    gate = gates.expectations(outcomes)
    assert not gate.passed
    assert gate.counts["failed"] == 1
    assert "jane.doe" not in repr(gate)
