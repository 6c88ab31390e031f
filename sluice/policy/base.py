"""What every exclusion rule is made of: a name to count it by, its policy rule, an SQL predicate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exclusion:
    name: str  # what is counted and reported
    policy_rule: int
    predicate: str  # SQL, true when the event is dropped


def quoted_lower(values) -> str:
    """SQL: a list literal of the values in lower case, for `IN`."""
    return "(" + ", ".join("'" + v.lower().replace("'", "''") + "'" for v in sorted(values)) + ")"
