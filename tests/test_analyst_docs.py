"""What analysts get: the views and comments of analytics.duckdb, the queries of docs/analysts.md run against a
real publication, and `make docs`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
from conftest import DAY, NEXT_DAY

from cli.main import EXIT_PUBLISHED, main
from sluice.platform.home import SluiceHome
from sluice.policy.scope import default_manifest
from sluice.publish.analyst_views import DAILY_APP_USAGE, VIEWS, describe_analytics

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "analysts.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.S)


def _undocumented(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables, views and columns of the file without a comment (names only)."""
    return [r[0] for r in con.execute("""
        SELECT table_name FROM duckdb_tables() WHERE coalesce(comment, '') = ''
        UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND coalesce(comment, '') = ''
        UNION ALL SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE NOT internal AND coalesce(comment, '') = ''
    """).fetchall()]


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    return {name: con.sql(f"FROM {name}").columns for name in
            [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
            + [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]}


def test_views_are_commented_and_resolve_in_the_file_opened_alone(tmp_path):
    staged = tmp_path / "_tmp_analytics.duckdb"
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{staged}' AS next_analytics")  # as stage_analytics does
        con.execute("""CREATE TABLE next_analytics.main.daily_app_usage AS
            SELECT * FROM (VALUES ($d1, 'a', 'x', 5::BIGINT, 10::BIGINT, 3::BIGINT), ($d1, 'a', 'y', 6, 40, 4),
                                  ($d2, 'b', 'x', 7, 20, 5)) t(day, team, app, employees, events, active_minutes)""",
                    {"d1": DAY, "d2": NEXT_DAY})
        describe_analytics(con, "next_analytics", 5)
        describe_analytics(con, "next_analytics", 5)  # every staging describes the copied file again
    published = staged.rename(tmp_path / "analytics.duckdb")

    with duckdb.connect(str(published), read_only=True) as con:
        assert set(_relations(con)) == {DAILY_APP_USAGE.name, *(v.name for v in VIEWS)}
        assert _undocumented(con) == []
        assert "fewer than 5 employees are suppressed" in con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'daily_app_usage'").fetchone()[0]
        assert con.execute("SELECT day, team, app, rank_in_team, share_of_team_events FROM app_usage_by_team").fetchall() == [
            (DAY, "a", "y", 1, 0.8), (DAY, "a", "x", 2, 0.2), (NEXT_DAY, "b", "x", 1, 1.0)]
        assert con.execute("SELECT app, events_rank, days, teams, events, team_minutes FROM busiest_apps").fetchall() == [
            ("y", 1, 1, 1, 40, 4), ("x", 2, 2, 2, 30, 8)]
        assert con.execute("FROM team_activity_by_day").fetchall() == [(DAY, "a", 2, 50, 7, 6), (NEXT_DAY, "b", 1, 20, 5, 7)]
        assert con.execute("FROM days_published").fetchall() == [(DAY, 2, 1, 2, 50), (NEXT_DAY, 1, 1, 1, 20)]


def test_the_published_file_answers_the_guide_describes_itself_and_shows_no_small_group(sluice_home, tmp_path):
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    path, k = SluiceHome(sluice_home).analytics_db, default_manifest().k_anonymity
    queries = _blocks("sql")
    assert len(queries) >= 5

    with duckdb.connect(str(path), read_only=True) as con:
        for i, query in enumerate(queries):
            result = con.execute(query)
            columns, rows = [c[0] for c in result.description], result.fetchall()
            assert columns and rows, f"query {i} of docs/analysts.md: {len(columns)} columns, {len(rows)} rows"

        relations = _relations(con)
        assert set(relations) == {DAILY_APP_USAGE.name, *(v.name for v in VIEWS)}
        assert _undocumented(con) == []
        checked = 0
        for name, columns in relations.items():
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] > 0, f"{name} is empty"
            for column in (c for c in columns if "employees" in c):
                below = con.execute(f"SELECT count(*) FILTER ({column} < ?) FROM {name}", [k]).fetchone()[0]
                assert below == 0, f"{name}.{column}: {below} rows below k"
                checked += 1
            keys = ", ".join(c for c in ("day", "team", "app") if c in columns)
            unpublished = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {name} "
                                      f"EXCEPT SELECT DISTINCT {keys} FROM daily_app_usage)").fetchone()[0]
            assert unpublished == 0, f"{name}: {unpublished} groups that daily_app_usage does not publish"
        assert checked >= 3  # daily_app_usage, app_usage_by_team, team_activity_by_day

    (tmp_path / "analyst").mkdir()
    (tmp_path / "analyst" / ".sluice").symlink_to(sluice_home)  # the guide's relative path
    for i, snippet in enumerate(_blocks("python")):
        done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path / "analyst", capture_output=True, timeout=120)
        assert done.returncode == 0, f"python snippet {i} of docs/analysts.md exited {done.returncode}"


def test_make_docs_writes_dbts_site_as_one_page(tmp_path):
    done = subprocess.run(["make", "--no-print-directory", "-o", "setup", "docs", f"DOCS_SITE={tmp_path}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    page = (tmp_path / "index.html").read_text()
    assert "daily_app_usage" in page and "app_usage_by_team" in page  # the model and its description
