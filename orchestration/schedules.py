"""The daily schedule: yesterday's partition (UTC days), at an hour and timezone of your choice.

`SLUICE_SCHEDULE_HOUR` (default 3) and `SLUICE_SCHEDULE_TIMEZONE` (default UTC) are read when
the definitions load. Whatever the timezone, the run is for the last UTC day that has ended at
the scheduled time, the partition capture agents file their batches under.
"""

import os
from datetime import datetime, timedelta, timezone

import dagster as dg

from orchestration.jobs import daily_publish, retention

HOUR_ENV, TIMEZONE_ENV = "SLUICE_SCHEDULE_HOUR", "SLUICE_SCHEDULE_TIMEZONE"


def last_finished_day(at: datetime) -> str:
    """The partition key of the last UTC day that ended before `at`."""
    return (at.astimezone(timezone.utc).date() - timedelta(days=1)).isoformat()


HOUR = int(os.environ.get(HOUR_ENV) or 3)
TIMEZONE = os.environ.get(TIMEZONE_ENV) or "UTC"


@dg.schedule(
    name="daily_publish_schedule",
    job=daily_publish,
    cron_schedule=f"0 {HOUR} * * *",
    execution_timezone=TIMEZONE,
    description="Every day: the last finished UTC day's partition (hour and timezone from SLUICE_SCHEDULE_*).",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = last_finished_day(context.scheduled_execution_time)
    return dg.RunRequest(partition_key=day, run_key=f"scheduled:{day}")


retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule", job=retention, cron_schedule=f"30 {HOUR} * * *", execution_timezone=TIMEZONE,
    description="Every day, half an hour after the daily run: purge what is past retention.",
)
