"""`sluice run --date D`, killed with SIGKILL (this whole process group, dbt included) at one
point of one stage: `python crash_run.py STAGE D`. Used by tests/test_crash_safety.py.

The points are inside each stage, after it changed something: landing right after it deleted
the day's old landed lines, the contract after it inserted the day's events (quarantine not
yet), transforms after they inserted eligible events, dbt after its first model was built,
publish after the day's files were staged and moved into the training zone (before the commit) or right
after the marker's rename (the commit) with the analytics swap still pending.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager


def die() -> None:
    os.killpg(0, signal.SIGKILL)


class KillAfter:
    """A DuckDB connection that kills the process group right after a statement containing `marker` ran."""

    def __init__(self, con, marker: str) -> None:
        self._con, self._marker = con, marker

    def execute(self, sql, *args, **kwargs):
        result = self._con.execute(sql, *args, **kwargs)
        if self._marker in sql:
            die()
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def kill_in_private_zone(marker: str) -> None:
    import orchestration.resources as resources

    real = resources.private_zone

    @contextmanager
    def private_zone(*args, **kwargs):
        with real(*args, **kwargs) as con:
            yield KillAfter(con, marker)

    resources.private_zone = private_zone


def kill_after(module, name: str, calls: int = 1) -> None:
    real, seen = getattr(module, name), []

    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        seen.append(1)
        if len(seen) >= calls:
            die()
        return result

    setattr(module, name, wrapper)


def kill_after_first_dbt_model() -> None:
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
    from dagster_dbt.core.dbt_event_iterator import DbtEventIterator

    real = DbtCliInvocation.stream

    def stream(self, *args, **kwargs):  # still an event iterator: the asset fetches row counts from it
        def first_then_die():
            for event in real(self, *args, **kwargs):
                yield event
                die()

        return DbtEventIterator(first_then_die(), self)

    DbtCliInvocation.stream = stream


def arm(stage: str) -> None:
    import sluice.publish.commit as publish

    if stage == "landing":
        kill_in_private_zone("DELETE FROM landed_lines")
    elif stage == "contract":
        kill_in_private_zone("INSERT INTO events")
    elif stage == "transforms":
        kill_in_private_zone("INSERT INTO eligible_events")
    elif stage == "dbt":
        kill_after_first_dbt_model()
    elif stage == "publish":
        kill_after(publish, "_move_in")
    elif stage == "commit":
        kill_after(publish, "_write_marker")
    else:
        raise SystemExit(f"unknown stage {stage}")


if __name__ == "__main__":
    arm(sys.argv[1])
    from cli.main import main

    sys.exit(main(["run", "--date", sys.argv[2]]))
