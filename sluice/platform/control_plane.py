"""Policy rule 9: what may reach the control plane (Dagster metadata, logs, CLI output).

Only counts under names built by Sluice itself (outcomes, reason codes, rule names).
Anything else is refused here, before it can reach a log line or the UI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SAFE_NAME = re.compile(r"^[a-z0-9_]+(?:[:.][a-z0-9_]+)*$")


def counts_only(counts: Mapping[str, int]) -> dict[str, int]:
    out = {}
    for name, value in counts.items():
        if not SAFE_NAME.fullmatch(name) or type(value) is not int:
            raise ValueError("control-plane metadata takes counts under Sluice's own names only")
        out[name] = value
    return out
