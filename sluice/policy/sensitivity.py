"""Policy rule 8: events in a context rated `dss_level` >= the manifest's threshold are excluded.

The context is the event's own `dss_level` or, when it has none, the level of the last
`window_focus` of its session (a focus without a level resets the context). Two cases an
adversary (or a clock) can use are closed:

- across midnight: a session's context carries over from the previous day, so a DSS-4 window
  focused before midnight governs the session's events after it (the previous day's last focus of
  each session is read from the private zone);
- ties: an event at the same millisecond as a focus is judged under the most restrictive of the
  context before that millisecond and every focus at it.

The level itself never leaves the private zone: no promoted column carries it.
"""

from sluice.policy.base import Exclusion
from sluice.policy.scope import ScopeManifest

FOCUS_LEVEL = "CASE WHEN event_type = 'window_focus' THEN coalesce(dss_level, 0) END"


def dss_context_sql(events: str = "events", day: str = "$day") -> str:
    """SQL: (event_id, dss_context) of day `day`'s events in table `events` (which holds the previous day too)."""
    return f"""
        SELECT event_id, coalesce(dss_level, CASE WHEN event_type = 'window_focus' THEN at_ms ELSE greatest(
                 coalesce(last_value(at_ms IGNORE NULLS) OVER (
                   PARTITION BY device_id, session_id ORDER BY ts
                   RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP), 0),
                 coalesce(at_ms, 0)) END) AS dss_context
        FROM (SELECT *, max({FOCUS_LEVEL}) OVER (PARTITION BY device_id, session_id, ts) AS at_ms
              FROM (SELECT event_id, device_id, session_id, ts, event_type, dss_level FROM {events} WHERE partition_date = {day}
                    UNION ALL  -- the previous day's last focus of each of the day's sessions: its context at midnight
                    SELECT NULL, device_id, session_id, ts, event_type, dss_level FROM {events}
                    WHERE partition_date = {day} - 1 AND event_type = 'window_focus'
                      AND (device_id, session_id) IN (SELECT (device_id, session_id) FROM {events} WHERE partition_date = {day})
                    QUALIFY ts = max(ts) OVER (PARTITION BY device_id, session_id)))
        QUALIFY event_id IS NOT NULL"""


def exclusion(manifest: ScopeManifest) -> Exclusion:
    return Exclusion("data_sensitivity", 8, f"dss_context >= {int(manifest.dss_exclude_from_level)}")
