"""Rules that drop valid events before anything is promoted, in the order they are judged.

Each valid event is either promoted or counted under the first rule here that drops it
(conservation: valid = promoted + excluded by rule). Predicates are SQL over the
day's events joined to the directory (`consent`, `team`), with `url_host` and
`dss_context` derived by `sluice/transforms.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.policy.scope import Excluded, ScopeManifest


@dataclass(frozen=True)
class Exclusion:
    name: str  # what is counted and reported
    policy_rule: int
    predicate: str  # SQL, true when the event is dropped


def _quoted(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.lower().replace("'", "''") + "'" for v in values) + ")"


def app_or_domain(excluded: Excluded) -> str:
    """SQL: the event's app is listed, or its URL host is a listed domain or a subdomain of one."""
    parts = ["false"]
    if excluded.apps:
        parts.append(f"lower(app) IN {_quoted(excluded.apps)}")
    for domain in excluded.domains:
        d = domain.lower().replace("'", "''")
        parts.append(f"(url_host = '{d}' OR ends_with(url_host, '.{d}'))")
    return "coalesce(" + " OR ".join(parts) + ", false)"


def ordered_exclusions(manifest: ScopeManifest) -> list[Exclusion]:
    from sluice.policy import consent, conversations, keystrokes, personnel, sensitivity

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
