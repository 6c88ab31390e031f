"""Policy rule 3: employee, device, session and conversation ids become keyed pseudonyms.

HMAC-SHA256 with a secret key (never a plain hash: ids are guessable, so an unkeyed hash
could be reversed by enumeration). Computed once per distinct id, not per row.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

KINDS = ("employee", "device", "session", "conversation")


def pseudonym(key: str, kind: str, value: str) -> str:
    if kind not in KINDS:
        raise ValueError("unknown pseudonym kind")
    digest = hmac.new(key.encode(), f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0]}_{digest[:24]}"


def pseudonym_table(key: str, kind: str, values: Iterable[str]) -> dict[str, list[str]]:
    """Columns `id`, `pseudonym` for every distinct value, ready to register in DuckDB."""
    ids = sorted(set(values))
    return {"id": ids, "pseudonym": [pseudonym(key, kind, v) for v in ids]}
