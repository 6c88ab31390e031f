"""The day's privacy report (Markdown and PNG) as plain functions, on counts made here."""

from datetime import date, datetime

import duckdb
import pytest

from sluice.publish.privacy_report import chart_png, hourly_events, report_markdown

DAY = date(2026, 11, 2)
COUNTS = {"lines_read": 1_210, "valid": 1_000, "quarantined": 150, "duplicate": 40, "unreadable": 15, "other_day": 5,
          "reason:contract:missing_field": 120, "reason:scope:event_type": 30, "excluded:password_field": 12,
          "excluded:data_sensitivity": 88, "redacted:email": 7, "redacted:person": 3, "promoted": 900}
PUBLISHED = {"interaction_steps": 870, "assistant_turns": 30, "daily_app_usage": 4}


def _row(markdown: str, label: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(f"| {label} |"))


def test_report_tables_carry_every_count_under_its_rule():
    md = report_markdown(DAY, COUNTS, PUBLISHED)
    assert _row(md, "events in (lines read)") == "| events in (lines read) | 1,210 |"
    assert _row(md, "quarantined") == "| quarantined | 150 |"
    assert _row(md, "contract:missing_field") == "| contract:missing_field | 120 |"
    assert _row(md, "scope:event_type") == "| scope:event_type | 30 |"
    assert _row(md, "data_sensitivity") == "| data_sensitivity | 88 |"
    assert _row(md, "`<EMAIL>`") == "| `<EMAIL>` | 7 |"  # in code: a bare <EMAIL> is an HTML tag to the UI
    assert _row(md, "training/interaction_steps") == "| training/interaction_steps | 870 |"
    assert _row(md, "analytics/daily_app_usage") == "| analytics/daily_app_usage | 4 |"
    assert _row(md, "promoted to training") == "| promoted to training | 900 |"


def test_an_empty_section_says_so():
    md = report_markdown(DAY, {"lines_read": 0}, {})
    assert md.count("| (none) | 0 |") == 4  # reasons, rules, redactions, published


@pytest.mark.parametrize("counts", [{"valid": "12"}, {"Jane.Doe@corp.example": 1}, {"reason:x y": 1}])
def test_report_refuses_anything_but_counts_under_sluice_names(counts):
    with pytest.raises(ValueError) as err:
        report_markdown(DAY, counts, {})
    assert "Jane" not in str(err.value)


def test_hourly_events_and_chart_from_a_small_events_table():
    con = duckdb.connect()
    con.execute("CREATE TABLE events (partition_date DATE, ts TIMESTAMP, event_type VARCHAR)")
    rows = [(DAY, datetime(2026, 11, 2, h, 5), t) for h, t, n in [(9, "key", 3), (9, "mouse_click", 2), (17, "key", 1)]
            for _ in range(n)] + [(date(2026, 11, 3), datetime(2026, 11, 3, 9), "key")]
    con.executemany("INSERT INTO events VALUES (?, ?, ?)", rows)
    hourly = hourly_events(con, DAY)
    assert set(hourly) == {"key", "mouse_click"}
    assert hourly["key"][9] == 3 and hourly["key"][17] == 1 and hourly["mouse_click"][9] == 2
    assert sum(map(sum, hourly.values())) == 6  # the other day's event is not counted
    png = chart_png(hourly, {"password_field": 12, "data_sensitivity": 88})
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and 5_000 < len(png) < 200_000
    assert chart_png({}, {}).startswith(b"\x89PNG")  # an empty day still draws
