"""Name why a rejected line breaks the contract, with pydantic, one rejected row at a time.

A reason is `contract:<location>:<pydantic error type>`, e.g. `contract:payload.x:int_type`,
or `contract:<location>:duplicate_key` for a key given twice, whatever else is wrong with the line (pydantic
keeps the last, SQL the first: a parser differential, counted as scope creep by the gate).
Locations are built only from the models' own field names, so an unexpected key or value
in the input can never become part of a reason (policy rule 9).
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from sluice.contract.models import PAYLOADS, Event

KNOWN_NAMES = frozenset(Event.model_fields) | {n for m in PAYLOADS.values() for n in m.model_fields}
# Pydantic passes the SQL-rejected row: the two validations disagree, which a test forbids.
DISAGREEMENT = "contract:unexplained"


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [p if isinstance(p, str) and p in KNOWN_NAMES else ("n" if isinstance(p, int) else "?") for p in loc]
    return ".".join(parts) or "event"


def contract_reason(line: str) -> str:
    try:
        twice = _duplicate_key(line)
    except ValueError:
        return "contract:not_json"
    if twice is not None:  # before any other reason: a key given twice is read differently by different parsers
        return twice
    try:
        Event.model_validate_json(line, strict=True)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False, include_context=False)[0]
        return f"contract:{_location(tuple(first['loc']))}:{first['type']}"
    return DISAGREEMENT


class _Pairs(list):
    """A JSON object as the (name, value) pairs it was written with."""


def _duplicate_key(line: str) -> str | None:
    """The first key given twice in the event, at the top level or in its payload."""
    event = json.loads(line, object_pairs_hook=_Pairs)
    if not isinstance(event, _Pairs):
        return None
    payload = next((value for name, value in event if name == "payload" and isinstance(value, _Pairs)), _Pairs())
    for where, pairs in (((), event), (("payload",), payload)):
        names = [name for name, _ in pairs]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            return f"contract:{_location((*where, twice))}:duplicate_key"
    return None
