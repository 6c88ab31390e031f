"""Secrets by a well-kept rule set: Yelp's detect-secrets plugins, run in Python on the rows that may hold one.

The engine's own RE2 detectors take the common shapes in bulk (cloud and VCS tokens, JWTs, private keys,
bearer tokens, credential assignments, token parameters); this pass adds every provider detect-secrets
knows (Stripe, Twilio, SendGrid, Mailchimp, npm, PyPI, Discord, Telegram, Square, Artifactory, Azure, IBM,
Cloudant, SoftLayer, OpenAI...), its keyword detector (credential-named keys in code, JSON, YAML, config
files) and its entropy detectors on quoted strings (base64 above 4.5 bits, hex above 3 bits: its defaults).
Its plugins use look-behinds RE2 does not have, so they run here, on the rows an RE2 prefilter lets through.
IP addresses are left to the engine's IP detector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.settings import get_plugins, transient_settings

from sluice.redaction.spans import leftmost_longest

ENTROPY_LIMITS = {"Base64HighEntropyString": 4.5, "HexHighEntropyString": 3.0}  # detect-secrets' own defaults
# Shapes the engine's RE2 detectors take in bulk already (and IPs, which are not secrets to it).
LEFT_TO_THE_ENGINE = frozenset({"AWSKeyDetector", "GitHubTokenDetector", "GitLabTokenDetector", "SlackDetector",
                                "JwtTokenDetector", "PrivateKeyDetector", "IPPublicDetector"})
# The keyword detectors (detect-secrets' own, and the IBM, Cloudant and SoftLayer ones, which are keyed on words)
# cost ~125 us a row: they run where a credential word is given a value that is not a placeholder (by an
# assignment, a comparison or a call), or a quoted value is compared with one.
KEYWORD_PLUGINS = frozenset({"KeywordDetector", "CloudantDetector", "IbmCloudIamDetector", "IbmCosHmacDetector",
                             "SoftlayerDetector"})
KEYWORD_PREFILTER = (r"(?i)(?:pass|pwd|pw|secret|token|key|auth|cred|private)[a-z0-9_.\"'\[\] -]{0,30}(?::=|=>|==|[=:(])"
                     r"\s*[\"'@]?[^<\s\"']|[\"'][^\"'<]{4,}[\"'] ?== ?[a-z0-9_.-]*(?:pass|pwd|secret|token|key)")
# The providers' own prefixes and shapes (each plugin's pattern starts with one of these), a URL's credentials,
# and quoted strings long enough to reach the entropy detectors' limits.
PROVIDER_PREFILTER = (r"AKC[a-zA-Z0-9]{10}|AP[0-9A-F][a-zA-Z0-9]{8}|[0-9a-z]{32}-us[0-9]|sq0csp-|[0-9]{8,10}:[0-9A-Za-z_-]{35}"
                      r"|[MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\.|(?:AC|SK)[a-z0-9]{32}|pypi-AgE|_authToken=|T3BlbkFJ"
                      r"|SG\.[a-zA-Z0-9_-]{22}\.|[rs]k_live_|AccountKey=|://[^:/?#\[\]@\s]+:[^:/?#\[\]@\s]+@"
                      r"|[\"'][A-Za-z0-9+/=_\\-]{8,}[\"']")


@cache
def plugins() -> dict[str, tuple]:
    """detect-secrets' plugins but those the engine covers, configured once: {"keyword": ..., "provider": ...}."""
    config = [{"name": cls.__name__, **({"limit": ENTROPY_LIMITS[cls.__name__]} if cls.__name__ in ENTROPY_LIMITS else {})}
              for cls in get_mapping_from_secret_type_to_class().values() if cls.__name__ not in LEFT_TO_THE_ENGINE]
    with transient_settings({"plugins_used": config}):
        configured = tuple(get_plugins())
    return {"keyword": tuple(p for p in configured if type(p).__name__ in KEYWORD_PLUGINS),
            "provider": tuple(p for p in configured if type(p).__name__ not in KEYWORD_PLUGINS)}


@dataclass(frozen=True)
class SecretRules:
    candidate_sql: str = f"{KEYWORD_PREFILTER}|(?-i:{PROVIDER_PREFILTER})"

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, value) of every occurrence of each secret the plugins report in `text`."""
        groups = [group for group, prefilter in (("keyword", _KEYWORD), ("provider", _PROVIDER)) if prefilter.search(text)]
        values = {secret.secret_value for group in groups for plugin in plugins()[group]
                  for secret in plugin.analyze_line(filename="text", line=text, line_number=1) if secret.secret_value}
        return leftmost_longest([(m.start(), m.end(), value) for value in values for m in re.finditer(re.escape(value), text)])


_KEYWORD, _PROVIDER = re.compile(KEYWORD_PREFILTER), re.compile(PROVIDER_PREFILTER)
