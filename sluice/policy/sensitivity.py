"""Policy rule 8: events in a context rated `dss_level` >= the manifest's threshold are excluded.

The context is the event's own `dss_level` or, when it has none, the level of the last
`window_focus` of its session (a focus without a level resets the context). The level
itself never leaves the private zone: no promoted column carries it.
"""

from sluice.policy.exclusions import Exclusion
from sluice.policy.scope import ScopeManifest

DSS_CONTEXT_SQL = """coalesce(dss_level, last_value(
    CASE WHEN event_type = 'window_focus' THEN coalesce(dss_level, 0) END IGNORE NULLS)
    OVER (PARTITION BY device_id, session_id ORDER BY ts, event_id
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0)"""


def exclusion(manifest: ScopeManifest) -> Exclusion:
    return Exclusion("data_sensitivity", 8, f"dss_context >= {int(manifest.dss_exclude_from_level)}")
