"""Policy rule 2: only employees whose directory consent is `granted` contribute.

Employees missing from the directory are dropped and counted (not blocking).
"""

from sluice.policy.base import Exclusion

CONSENT_VALUES = ("granted", "withdrawn", "never")

EXCLUSIONS = (
    Exclusion("unknown_employee", 2, "consent IS NULL"),
    Exclusion("consent", 2, "consent <> 'granted'"),
)
