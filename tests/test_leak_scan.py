"""The leak scan finds the day's direct identifiers however they are written, and names only counts."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from sluice.quality.leak_scan import scan_table

DAY = date(2026, 11, 2)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS private")
    con.execute("CREATE SCHEMA private.training")
    con.execute("CREATE TABLE directory AS SELECT * FROM (VALUES ('E123450001', 'Dana Whitfield', 'dana.whitfield@example.com'))"
                " t(employee_id, name, email)")
    con.execute("CREATE TABLE events AS SELECT DATE '2026-11-02' AS partition_date, 'LAPTOP-7F3A' AS device_id")
    return con


@pytest.mark.parametrize("text, kind", [
    ("ticket for E123450001", "employee_id"), ("ticket for e-1234-50001", "employee_id"), ("ask ｅ１２３４５０００１", "employee_id"),
    ("id E1234\u200b50001 again", "employee_id"), ("on laptop7f3a today", "device_id"), ("host LAPTOP.7F3A", "device_id"),
    ("staff no. E 1234 50001 ok", "employee_id"), ("e12 345 0001", "employee_id"), ("LAPTOP 7F3A is back", "device_id"),
])
def test_identifiers_are_found_in_any_spelling(con, text, kind):
    con.execute("CREATE TABLE private.training.t AS SELECT ?::VARCHAR AS text", [text])
    hits = scan_table(con, "training", "t", DAY)
    assert hits.get(f"text:{kind}") == 1, hits
    assert all(isinstance(v, int) for v in hits.values()) and text not in str(hits)


def test_clean_text_has_no_hits(con):
    con.execute("CREATE TABLE private.training.t AS SELECT 'the laptop is fine, ticket 4821' AS text")
    assert scan_table(con, "training", "t", DAY) == {}
