"""Policy rule 7: personnel and performance data is excluded entirely, not redacted.

Two signals: the event is in an HR or review system (by app or URL domain, the scope
manifest's `exclude.personnel`), or its text or window title talks about reviews,
ratings, calibration, compensation, promotion, performance plans or terminations, however it is
spaced, hyphenated or written (the detection view of `sluice/redaction/normalize.py`).
"""

from sluice.policy.aliases import app_or_domain
from sluice.policy.base import Exclusion
from sluice.policy.scope import ScopeManifest
from sluice.redaction.normalize import fold_sql

PERSONNEL_TERMS = (
    r"performance (?:review|rating|evaluation|appraisal|improvement plan|plan|concerns?)",
    r"perf review", r"calibration", r"calibrated", r"rated [0-9](?:\.[0-9])? (?:of|out of|/) ?[0-9]",
    r"rating of [0-9]", r"\bpip\b", r"compensation (?:review|band|adjustment|change|plan)",
    r"salary", r"pay (?:raise|rise|cut|band)", r"raise for", r"merit increase", r"bonus (?:pool|payout|decision)",
    r"promotion (?:case|packet|committee|deferred|denied|decision|review)", r"promoted to", r"not promoted",
    r"terminat(?:e|ed|ion|ing)", r"\bfired\b", r"dismissal", r"laid off", r"layoffs?", r"severance",
    r"disciplinary", r"written warning", r"final warning", r"underperform(?:ing|ance|er)",
)
# Words of a term may be split by any run of spaces or hyphens ("performance-review", "pay  raise"); the
# text is read in its detection view (NBSP, zero-width characters, fullwidth letters, other dashes folded).
PERSONNEL_PATTERN = "(?i)(?:" + "|".join(PERSONNEL_TERMS).replace(" ", "[ -]+") + ")"
TEXT_COLUMNS = ("text", "window_title")


def _mentions_personnel() -> str:
    return " OR ".join(
        f"coalesce(regexp_matches({fold_sql(c)}, '{PERSONNEL_PATTERN}'), false)" for c in TEXT_COLUMNS
    )


def exclusions(manifest: ScopeManifest) -> list[Exclusion]:
    return [
        Exclusion("personnel_system", 7, app_or_domain(manifest.exclude["personnel"])),
        Exclusion("personnel_content", 7, f"({_mentions_personnel()})"),
    ]
