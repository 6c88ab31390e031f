"""The bulk SQL derived from the pydantic models must agree with pydantic, row for row."""

import copy
import json

import duckdb
import pytest

from sluice.contract.models import PAYLOADS, Event
from sluice.contract.reasons import DISAGREEMENT, contract_reason
from sluice.contract.vectorised import column_sql, parsed_sql, transform_type, violation_sql

VALID = {
    "mouse_move": {"x": 10, "y": 20, "screen_w": 1920, "screen_h": 1080},
    "mouse_click": {"x": 10, "y": 20, "screen_w": 1920, "screen_h": 1080, "button": "left", "clicks": 2},
    "scroll": {"dx": 0, "dy": -3},
    "key": {"key": "a", "modifiers": ["shift"], "field": "text"},
    "window_focus": {},
    "assistant_prompt": {"conversation_id": "c1", "text": "hello"},
    "assistant_response": {"conversation_id": "c1", "text": "hi", "model": "m"},
    "chat_message": {"channel_id": "C1", "channel_kind": "channel", "direction": "sent", "text": "yo"},
}
BASE = {
    "schema_version": "1", "event_id": "12345678-1234-4234-a234-123456789abc", "ts": "2026-11-02T09:13:22.123Z",
    "employee_id": "E1", "device_id": "D1", "session_id": "S1", "region": "US", "app": "code.exe",
    "window_title": "t", "url": "https://x.example.com/", "dss_level": 2,
}
BAD_VALUES = [None, "", "x", 1.5, -1, 0, 4, 5, 2**70, [], {}, ["ctrl"], ["hyper"], True,
              "2026-13-02T09:13:22.123Z", "2026-11-02T09:13:22Z", "0000-01-01T00:00:00.000Z", "us", "US", "USA", "a" * 300]


def _event(event_type):
    return {**BASE, "event_type": event_type, "payload": copy.deepcopy(VALID[event_type])}


def _mutations():
    for event_type in PAYLOADS:
        yield _event(event_type)
        for field in list(BASE) + ["event_type", "payload", "schema_version"]:
            e = _event(event_type)
            e.pop(field, None)
            yield e
            for bad in BAD_VALUES:
                e = _event(event_type)
                e[field] = bad
                yield e
        for field in VALID[event_type]:
            e = _event(event_type)
            del e["payload"][field]
            yield e
            for bad in BAD_VALUES:
                e = _event(event_type)
                e["payload"][field] = bad
                yield e
    yield [1, 2]
    yield "just a string"


def test_sql_and_pydantic_agree_on_every_mutation():
    lines = [json.dumps(m) for m in _mutations()]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, line VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(lines)))
    sql_verdicts = dict(con.execute(
        f"SELECT i, {violation_sql()} FROM (SELECT i, {parsed_sql('j')} FROM (SELECT i, CASE WHEN json_valid(line) THEN line END AS j FROM t))"
    ).fetchall())
    disagreements = []
    for i, line in enumerate(lines):
        try:
            Event.model_validate_json(line, strict=True)
            pydantic_rejects = False
        except ValueError:
            pydantic_rejects = True
        if sql_verdicts[i] != pydantic_rejects:
            disagreements.append(i)
    assert len(lines) > 1000
    assert disagreements == [], f"{len(disagreements)} lines judged differently by SQL and pydantic"


def test_valid_events_extract_typed_columns():
    con = duckdb.connect()
    line = json.dumps(_event("key"))
    row = con.execute(f"SELECT {column_sql()} FROM (SELECT json_transform(?, '{transform_type()}') AS s)", [line]).fetchone()
    names = [d[0] for d in con.description]
    values = dict(zip(names, row))
    assert values["modifiers"] == ["shift"] and values["field"] == "text" and values["dss_level"] == 2
    assert str(values["ts"]) == "2026-11-02 09:13:22.123000"


@pytest.mark.parametrize("field,bad,reason", [
    ("ts", "2026-13-02T09:13:22.123Z", "contract:ts:value_error"),
    ("employee_id", 12345, "contract:employee_id:string_type"),
    ("payload", {"key": "a", "modifiers": ["hyper"], "field": "text"}, "contract:payload.modifiers.n:literal_error"),
])
def test_reasons_name_field_and_error_without_the_value(field, bad, reason):
    e = _event("key")
    e[field] = bad
    assert contract_reason(json.dumps(e)) == reason


def test_reason_never_carries_input_keys_or_values():
    e = _event("key")
    e["payload"] = {"key": "a", "modifiers": [], "field": "text", "SECRET_KEY_NAME_123": "hunter2"}
    reason = contract_reason(json.dumps(e))
    assert "SECRET_KEY_NAME_123" not in reason and "hunter2" not in reason
    assert contract_reason(json.dumps(_event("key"))) == DISAGREEMENT


@pytest.mark.parametrize("once,twice,reason", [
    ('"app": "code.exe"', '"app": "code.exe", "app": "code.exe"', "contract:app:duplicate_key"),
    ('"app": "code.exe"', '"app": 5, "app": "code.exe"', "contract:app:duplicate_key"),  # pydantic reads the good last one
    ('"app": "code.exe"', '"app": "code.exe", "app": 5', "contract:app:duplicate_key"),  # whatever else is wrong
    ('"dy": -3', '"dy": -3, "dy": 4', "contract:payload.dy:duplicate_key"),
    ('"dy": -3', '"dy": "x", "dy": "y"', "contract:payload.dy:duplicate_key"),
])
def test_a_key_given_twice_breaks_the_contract_in_sql_and_in_its_reason(once, twice, reason):
    line = json.dumps(_event("scroll")).replace(once, twice)
    sql = f"SELECT {violation_sql()} FROM (SELECT {parsed_sql('j')} FROM (SELECT ?::JSON AS j))"
    assert duckdb.connect().execute(sql, [line]).fetchone()[0]
    assert contract_reason(line) == reason
    from sluice.quality import gates

    assert not gates.scope_creep({f"reason:{reason}": 1}).passed  # a parser differential is an evasion: scope creep
