"""Policy rule 6: private conversations are excluded entirely.

A `chat_message` in a DM, and any event in a personal-messaging app or on its web domain
(the scope manifest's `exclude.personal_messaging`).
"""

from sluice.policy.aliases import app_or_domain
from sluice.policy.base import Exclusion
from sluice.policy.scope import ScopeManifest


def exclusions(manifest: ScopeManifest) -> list[Exclusion]:
    return [
        Exclusion("personal_messaging", 6, app_or_domain(manifest.exclude["personal_messaging"])),
        Exclusion("private_conversation", 6, "(event_type = 'chat_message' AND channel_kind = 'dm')"),
    ]
