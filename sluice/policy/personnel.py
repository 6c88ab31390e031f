"""Policy rule 7: personnel and performance data is excluded entirely.

Here: any event in an HR or review system, by app or URL domain (the scope manifest's
`exclude.personnel`). Text about ratings, compensation and the like is classified with
the redaction engine.
"""

from sluice.policy.exclusions import Exclusion, app_or_domain
from sluice.policy.scope import ScopeManifest


def exclusion(manifest: ScopeManifest) -> Exclusion:
    return Exclusion("personnel_system", 7, app_or_domain(manifest.exclude["personnel"]))
