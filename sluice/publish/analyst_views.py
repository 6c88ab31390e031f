"""What analysts find in analytics.duckdb besides its tables: views named for the questions they ask, and a
comment on every table, view and column (`duckdb_tables()`, `duckdb_views()`, `duckdb_columns()`).

Every view reads only `daily_app_usage`, where dbt already suppressed each group of fewer than k employees.
A view only adds published groups together, each of at least k employees, so no smaller group can appear in
one. View bodies name their table without a catalog: DuckDB resolves it in the file holding the view, under
whatever alias it is attached or when it is opened alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

SUPPRESSED = "groups (day, team, app) of fewer than {k} employees are suppressed: absent, not zero"


@dataclass(frozen=True)
class Relation:
    name: str
    comment: str
    columns: dict[str, str]
    sql: str = ""  # a view's body; empty for a table

    @property
    def kind(self) -> str:
        return "VIEW" if self.sql else "TABLE"


DAILY_APP_USAGE = Relation(
    "daily_app_usage",
    "Per day, team and app: employees, events and active minutes. k-anonymous (k = {k}): " + SUPPRESSED
    + ". No raw events, no person: only these counts.",
    {
        "day": "The UTC day the events happened.",
        "team": "The team, from the employee directory.",
        "app": "The application the events were in.",
        "employees": "Distinct employees of the team who used the app that day; always at least {k} (k-anonymity).",
        "events": "Their interaction events in the app (mouse, keys, scroll, focus, assistant, chat) that were valid, in "
                  "scope, consented and not excluded by a policy rule.",
        "active_minutes": "Clock minutes in which at least one of them had an event in the app.",
    },
)

VIEWS = (
    Relation(
        "app_usage_by_team",
        "Which apps does each team use most, per day? daily_app_usage ranked within each day and team. "
        "Only published groups: " + SUPPRESSED + ".",
        {
            "day": "The UTC day.",
            "team": "The team.",
            "app": "The application.",
            "employees": "Distinct employees of the team who used the app that day; always at least {k}.",
            "events": "Events of the team in the app that day.",
            "active_minutes": "Clock minutes in which at least one of them had an event in the app.",
            "rank_in_team": "1 for the team's most used app of the day (by events, then active minutes).",
            "share_of_team_events": "The app's fraction of the team's events that day, over the team's published "
                                    "apps only (suppressed groups are not counted).",
        },
        """SELECT day, team, app, employees, events, active_minutes,
    rank() OVER (PARTITION BY day, team ORDER BY events DESC, active_minutes DESC) AS rank_in_team,
    round(events / sum(events) OVER (PARTITION BY day, team), 4) AS share_of_team_events
FROM daily_app_usage
ORDER BY day, team, rank_in_team, app""",
    ),
    Relation(
        "busiest_apps",
        "Which apps are busiest over the published days? daily_app_usage added up per app, over every day and "
        "team in the file. Only published groups count: " + SUPPRESSED + ".",
        {
            "app": "The application.",
            "events_rank": "1 for the app with the most events.",
            "days": "Days on which at least one team's use of the app was published.",
            "teams": "Teams whose use of the app was published on at least one day.",
            "events": "Events in the app, summed over its published groups.",
            "team_minutes": "Active minutes summed over its published groups: a minute in which two teams used "
                            "the app counts twice.",
            "first_day": "First day the app appears.",
            "last_day": "Last day the app appears.",
        },
        """SELECT app,
    rank() OVER (ORDER BY sum(events) DESC) AS events_rank,
    count(DISTINCT day) AS days,
    count(DISTINCT team) AS teams,
    sum(events)::BIGINT AS events,
    sum(active_minutes)::BIGINT AS team_minutes,
    min(day) AS first_day,
    max(day) AS last_day
FROM daily_app_usage
GROUP BY app
ORDER BY events_rank, app""",
    ),
    Relation(
        "team_activity_by_day",
        "How active is each team, day by day? daily_app_usage added up per day and team, over the team's "
        "published apps. Only published groups count: " + SUPPRESSED + ".",
        {
            "day": "The UTC day.",
            "team": "The team.",
            "apps": "Apps whose use by the team was published that day.",
            "events": "Events of the team that day, summed over those apps.",
            "app_minutes": "Active minutes summed over those apps: a minute spent in two apps counts twice.",
            "employees_at_least": "The largest published app group of the team that day (at least {k}): a lower "
                                  "bound of its active employees; their exact number is not published.",
        },
        """SELECT day, team,
    count(*) AS apps,
    sum(events)::BIGINT AS events,
    sum(active_minutes)::BIGINT AS app_minutes,
    max(employees) AS employees_at_least
FROM daily_app_usage
GROUP BY day, team
ORDER BY day, team""",
    ),
    Relation(
        "days_published",
        "Which days does this file hold, and how much of each? One row per day of daily_app_usage. Only published "
        "groups count: " + SUPPRESSED + ".",
        {
            "day": "A published UTC day.",
            "groups": "Rows (day, team, app groups) of daily_app_usage that day.",
            "teams": "Teams with at least one published group that day.",
            "apps": "Apps with at least one published group that day.",
            "events": "Events summed over the day's published groups.",
        },
        """SELECT day,
    count(*) AS groups,
    count(DISTINCT team) AS teams,
    count(DISTINCT app) AS apps,
    sum(events)::BIGINT AS events
FROM daily_app_usage
GROUP BY day
ORDER BY day""",
    ),
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def describe_analytics(con: duckdb.DuckDBPyConnection, catalog: str, k: int) -> None:
    """(Re)create the views in `catalog` (an attached analytics file holding daily_app_usage) and comment on the
    table, every view and every column; `k` is the k-anonymity dbt applied."""
    for relation in (DAILY_APP_USAGE, *VIEWS):
        name = f"{catalog}.main.{relation.name}"
        if relation.sql:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {relation.sql}")
        con.execute(f"COMMENT ON {relation.kind} {name} IS {_literal(relation.comment.format(k=k))}")
        for column, comment in relation.columns.items():
            con.execute(f"COMMENT ON COLUMN {name}.{column} IS {_literal(comment.format(k=k))}")
