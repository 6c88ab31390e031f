"""Rules that drop valid events before anything is promoted, in the order they are judged.

Each valid event is either promoted or counted under the first rule here that drops it
(conservation: valid = promoted + excluded by rule). Predicates are SQL over the
day's events joined to the directory (`consent`, `team`), with `url_host` and
`dss_context` derived by `sluice/privacy/transforms.py`. Each rule lives in its own module.
"""

from __future__ import annotations

from sluice.policy import consent, conversations, keystrokes, personnel, sensitivity
from sluice.policy.base import Exclusion
from sluice.policy.scope import ScopeManifest


def ordered_exclusions(manifest: ScopeManifest) -> list[Exclusion]:
    return [
        *consent.EXCLUSIONS,
        *conversations.exclusions(manifest),
        *personnel.exclusions(manifest),
        sensitivity.exclusion(manifest),
        keystrokes.PASSWORD_FIELD,
    ]


def excluded_by_sql(manifest: ScopeManifest) -> str:
    """SQL: the name of the first rule that drops the event, or NULL when it is promoted."""
    arms = " ".join(f"WHEN {e.predicate} THEN '{e.name}'" for e in ordered_exclusions(manifest))
    return f"CASE {arms} END"
