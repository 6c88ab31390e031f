import json

import duckdb
import pytest
import yaml

from sluice.contract.vectorised import parsed_sql
from sluice.policy.scope import MANIFEST_PATH, ScopeManifest, load_manifest, scope_reason_sql


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


@pytest.mark.parametrize("event,reason", [
    ({"event_type": "screenshot", "region": "US", "payload": {}}, "scope:event_type"),
    ({"event_type": "key", "region": "US", "keystroke_buffer": "x", "payload": {}}, "scope:field"),
    ({"event_type": "key", "region": "US", "payload": {"key": "a", "clipboard": "x"}}, "scope:payload_field"),
    ({"event_type": "key", "region": "DE", "payload": {"key": "a"}}, "scope:region"),
    ({"event_type": "key", "region": "US", "payload": {"key": "a", "modifiers": [], "field": "text"}}, None),
    ({"event_type": 5, "region": "US", "payload": {}}, None),  # a wrong type is the contract's to reject
])
def test_scope_reasons(manifest, event, reason):
    sql = f"SELECT {scope_reason_sql(manifest)} FROM (SELECT {parsed_sql('j')} FROM (SELECT ?::JSON AS j))"
    got = duckdb.execute(sql, [json.dumps(event)]).fetchone()[0]
    assert got == reason


def test_manifest_version_changes_with_the_file(tmp_path, manifest):
    changed = tmp_path / "m.yaml"
    changed.write_text(MANIFEST_PATH.read_text().replace("k_anonymity: 5", "k_anonymity: 7"))
    other = load_manifest(changed)
    assert other.k_anonymity == 7 and other.manifest_version != manifest.manifest_version


def test_manifest_cannot_declare_what_the_contract_does_not_define():
    raw = yaml.safe_load(MANIFEST_PATH.read_text())
    raw["collect"]["event_types"]["screenshot"] = ["bytes"]
    with pytest.raises(ValueError):
        ScopeManifest(**raw)
    raw = yaml.safe_load(MANIFEST_PATH.read_text())
    raw["collect"]["event_types"]["key"].append("clipboard")
    with pytest.raises(ValueError):
        ScopeManifest(**raw)


def _valid_key_event(event_id: str) -> dict:
    return {"schema_version": "1", "event_id": event_id, "ts": "2026-11-02T10:00:00.000Z", "employee_id": "E1",
            "device_id": "D1", "session_id": "S1", "region": "US", "event_type": "key", "app": "code.exe",
            "payload": {"key": "a", "modifiers": [], "field": "text"}}


def test_scope_creep_cannot_hide_behind_a_valid_events_id_or_a_key_given_twice(tmp_path, manifest):
    """Evasions: an out-of-scope line reusing a valid event's id in a later batch, a line with other content under
    the same id, and a key given twice (read one way by SQL, another by pydantic) are each judged, not deduplicated."""
    import gzip
    from datetime import date

    from sluice.contract.validation import validate_day
    from sluice.ingest.landing import land_day
    from sluice.ingest.raw_store import LocalRaw
    from sluice.quality import gates

    day, ids = date(2026, 11, 2), [f"00000000-0000-4000-8000-00000000000{n}" for n in range(4)]
    first = [_valid_key_event(i) for i in ids]
    hidden = {**_valid_key_event(ids[0]), "event_type": "screenshot", "payload": {}}  # out of scope, a valid id
    other = {**_valid_key_event(ids[1]), "app": "slack"}  # in scope, other content, the same id
    resent = _valid_key_event(ids[2])  # the same line again: a duplicate
    twice = json.dumps(_valid_key_event(ids[3])).replace('"app": "code.exe"', '"app": "code.exe", "app": "workday"')
    folder = tmp_path / f"date={day.isoformat()}" / "device=D1"
    folder.mkdir(parents=True)
    (folder / "a.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(e) + "\n" for e in first).encode()))
    (folder / "b.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(e) + "\n" for e in (hidden, other, resent)).encode()
                                                      + twice.encode() + b"\n"))
    con = duckdb.connect()
    land_day(con, LocalRaw(tmp_path), day)
    counts = validate_day(con, day, manifest)
    assert counts["valid"] == 4 and counts["duplicate"] == 1 and counts["quarantined"] == 3  # the first copies stay valid
    assert counts["reason:scope:event_type"] == 1 and counts["reason:contract:conflicting_duplicate"] == 1
    assert counts["reason:contract:app:duplicate_key"] == 1
    gate = gates.scope_creep(counts)
    assert not gate.passed and gate.counts["scope_creep"] == 2
